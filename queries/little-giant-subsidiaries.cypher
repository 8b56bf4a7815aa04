//+ summary: Certified firms (Little Giants by default) that a large firm owns, directly or through holdings
//+ description: |
//+   Firms of the cohort (the cohort parameters, as in every query that selects certified
//+   firms: by default the firms holding a little_giant certification valid at as_of) in
//+   which a large firm has an integrated (direct + indirect, cycle-corrected) share >=
//+   min_share (default 0.5), from the stored derived ULTIMATELY_OWNS facts. One row per (firm, parent); a firm owned through a holding appears
//+   with the group at the top and with any other large firm in the chain.
//+
//+   "Large firm" (the brief's "subsidiaries of larger firms"): the parent is a Firm (not a
//+   government body, fund, bank or person) that
//+     (a) has size_class 'large' at as_of, from its latest year reported by then (employees
//+         and revenue over the SME thresholds of its sector; a year counts once it has ended), or
//+     (b) is listed on an exchange at as_of (a listed group; its accounts may be missing, as
//+         for Siasun and STEP Electric in the sample),
//+   and that holds no SME-tier certification (innovative_sme, specialized_sme, little_giant)
//+   valid at as_of: a firm that is itself certified as an SME is not a "larger firm".
//+   Intermediate holdings that are neither large nor listed (e.g. Siasun's Hunhe Holding) are
//+   not parents. parent_basis says which test the parent passed: large, listed, or both.
//+   Shares, hops and size classes are the derived facts that hold at as_of.
//+ params:
//+   min_share: {type: decimal, default: 0.5, min: 0, max: 1, description: "lowest integrated share of the parent in the firm (0.5 = 50%; 50% also accepted)"}
//+   programme: {default: little_giant}
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms is owned >= {min_share} by a large or listed firm (one without an SME-tier certification)"
//+ columns: firm, firm_name, parent, parent_name, share, hops, parent_basis
//+ iri_columns: firm, parent
@cohort(firm)
MATCH (parent:Firm)-[io:ULTIMATELY_OWNS]->(firm)
WHERE io.share >= $min_share
  AND (io.valid_from IS NULL OR io.valid_from <= $as_of) AND (io.valid_to IS NULL OR io.valid_to >= $as_of)
WITH firm, parent, io,
     EXISTS {
       MATCH (parent)-[:HAS_SIZE]->(z:SizeAssessment)
       WHERE z.size_class = 'large'
         AND (z.valid_from IS NULL OR z.valid_from <= $as_of) AND (z.valid_to IS NULL OR z.valid_to >= $as_of)
     } AS large,
     EXISTS {
       MATCH (parent)-[l:LISTED_ON]->(:Exchange)
       WHERE (l.listed IS NULL OR l.listed <= $as_of) AND (l.delisted IS NULL OR l.delisted >= $as_of)
     } AS listed
WHERE (large OR listed)
  AND NOT EXISTS {
    MATCH (parent)-[pc:CERTIFIED_AS]->(pp:Programme)
    WHERE pp.tier <= 3 AND (pc.valid_from IS NULL OR pc.valid_from <= $as_of)
      AND (pc.valid_to IS NULL OR pc.valid_to >= $as_of)
  }
RETURN firm.iri AS firm, firm.name AS firm_name, parent.iri AS parent, parent.name AS parent_name,
       io.share AS share, io.hops AS hops,
       CASE WHEN large AND listed THEN 'large, listed' WHEN large THEN 'large' ELSE 'listed' END AS parent_basis
ORDER BY parent_name, firm_name, parent, firm
