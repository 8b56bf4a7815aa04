//+ summary: Capital reaching firms from state sources, directly and through chains of funds, with look-through amounts
//+ description: |
//+   Every FUNDED link (equity, loan, subsidy, bond: anything but lp_commitment) to a Firm whose
//+   funder is a state source or is reached from one through a chain of funds (fund of funds ->
//+   sub-fund -> firm). A state source is an entity with the derived state_controlled = true:
//+   government bodies, guidance funds, entities marked state-owned (state banks, SOEs) and
//+   everything the state controls. One row per (source, chain, funding).
//+
//+   A chain source -> fund_1 -> ... -> fund_k -> firm has k intermediate Funds (distinct, k <=
//+   max_hops - 1; hops = k + 1, so 1 = the source funded the firm itself). Each step x -> fund
//+   carries x's share of the fund at as_of: its LP commitments to the fund over all LP
//+   commitments to it (commitments dated on or before as_of, with an amount), or, when the fund
//+   has no LP commitments on record, x's direct ownership share of it (OWNS valid at as_of).
//+   share = the product of the step shares; look_through_amount = amount x share, the part of
//+   the funding attributable to the source. Sources at several levels of one chain each get a
//+   row (the Ministry of Finance and the national fund it co-owns), so do not add up
//+   look_through_amount over all sources.
//+
//+   Filters: source (a reference; only state-controlled sources are reported), the cohort
//+   parameters (as in every query that selects certified firms; when one is given, only
//+   recipients of the cohort, e.g. programme=little_giant: recipients holding a little_giant
//+   certification valid at as_of), from_year / to_year (the year of the funding date; undated
//+   fundings drop out when a year filter is given); fundings dated after as_of are left out.
//+   via names the intermediate funds.
//+
//+   The flows are derived facts (LOOK_THROUGH_FUNDED, kg.derive.flows), each stored with the
//+   period it holds for: the state sources, the chains and their shares are those of as_of,
//+   and fundings dated after as_of are left out.
//+ params:
//+   source: {type: ref, description: "the state source (id, USCC, LEI, ticker or name)"}
//+   from_year: {type: year, description: "first year of the funding date"}
//+   to_year: {type: year, description: "last year of the funding date"}
//+   max_hops: {type: integer, default: 4, min: 1, max: 4, description: "longest chain: 1 = direct only, 4 = up to three intermediate funds"}
//+ cohort: optional
//+ explain:
//+   if_empty: "no funding from a state source reached the {firms} cohort firms by {as_of} (with the filters given)"
//+ columns: source, source_name, recipient, recipient_name, instrument, year, amount, look_through_amount, hops, share, via, date
//+ iri_columns: source, recipient
// Reads the derived look-through flows (LOOK_THROUGH_FUNDED, one per source, chain and funding).
MATCH (s:KgNode)-[r:LOOK_THROUGH_FUNDED]->(recipient:KgNode)
WHERE ($source IS NULL OR s.iri = $source) AND r.hops <= $max_hops
  AND (r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of)
  AND (r.date IS NULL OR r.date <= $as_of)
  AND ($from_year IS NULL OR r.date.year >= $from_year)
  AND ($to_year IS NULL OR r.date.year <= $to_year)
  AND ($certified IS NULL OR @in_cohort(recipient))
RETURN s.iri AS source, s.name AS source_name, recipient.iri AS recipient, recipient.name AS recipient_name,
       r.instrument AS instrument, r.date.year AS year, r.amount AS amount, r.amount * r.share AS look_through_amount,
       r.hops AS hops, r.share AS share, coalesce(r.via, '') AS via, r.date AS date
ORDER BY source_name, source, recipient_name, recipient, coalesce(date, date('0001-01-01')), instrument,
         coalesce(amount, -1), hops, via, share
