//+ summary: Promotions up the certification ladder, with years; with summary=true the share of each tier that came from the tier below
//+ description: |
//+   The ladder: innovative_sme (tier 1) -> specialized_sme (2) -> little_giant (3) ->
//+   manufacturing_champion (4). A certification's year is its `year`, else the year of its
//+   valid_from; only certifications of a year up to that of as_of (and not starting after
//+   as_of) count. For each firm and each tier it reached, the first year it held that tier
//+   (to_year) and the highest lower tier it held no later than that (from_programme, first held
//+   in from_year) make one promotion. A firm that entered the ladder at a tier has no row for it.
//+   since / until restrict the year of the promotion (to_year).
//+
//+   With summary=true, one row per (from_programme, to_programme): firms = promotions,
//+   to_firms = firms that ever reached to_programme, share = firms / to_firms, e.g. the share of
//+   Manufacturing Champions that came from the Little Giants (the brief: 268 of 1,200, 22%).
//+ params:
//+   since: {type: year, description: "first year of promotion (to_year)"}
//+   until: {type: year, description: "last year of promotion (to_year)"}
//+   summary: {type: boolean, default: false, description: "counts per step of the ladder instead of firms"}
//+ columns: firm, firm_name, from_programme, from_year, to_programme, to_year
//+ columns_when:
//+   summary: from_programme, to_programme, firms, to_firms, share
//+ iri_columns: firm
CALL {
  // first year each firm held each programme (by as_of)
  MATCH (f:Firm)-[c:CERTIFIED_AS]->(p:Programme)
  WITH f, p, c, coalesce(c.year, c.valid_from.year) AS cy
  WHERE cy <= $as_of.year AND (c.valid_from IS NULL OR c.valid_from <= $as_of)
  RETURN f, p, min(cy) AS first
}
WITH f, collect({p: p, first: first}) AS held
UNWIND held AS b
WITH f, held, b, [a IN held WHERE a.p.tier < b.p.tier AND a.first <= b.first] AS lower
WHERE size(lower) > 0
  AND ($since IS NULL OR b.first >= $since) AND ($until IS NULL OR b.first <= $until)
WITH f, b, reduce(m = lower[0], a IN lower | CASE WHEN a.p.tier > m.p.tier THEN a ELSE m END) AS a
WITH f, a.p AS pa, a.first AS from_year, b.p AS pb, b.first AS to_year
CALL {
  // how many firms reached the upper tier (by as_of)
  WITH pb
  MATCH (g:Firm)-[c:CERTIFIED_AS]->(pb)
  WHERE coalesce(c.year, c.valid_from.year) <= $as_of.year AND (c.valid_from IS NULL OR c.valid_from <= $as_of)
  RETURN count(DISTINCT g) AS reached
}
WITH f, pa, from_year, pb, to_year, reached
WITH CASE WHEN $summary THEN null ELSE f END AS firm_node, CASE WHEN $summary THEN null ELSE from_year END AS fy,
     CASE WHEN $summary THEN null ELSE to_year END AS ty, pa, pb, reached, f
WITH firm_node, fy, ty, pa, pb, count(f) AS firms, min(reached) AS to_firms
RETURN CASE WHEN $summary THEN null ELSE firm_node.iri END AS firm,
       CASE WHEN $summary THEN null ELSE firm_node.name END AS firm_name,
       pa.code AS from_programme, fy AS from_year, pb.code AS to_programme, ty AS to_year,
       CASE WHEN $summary THEN firms END AS firms, CASE WHEN $summary THEN to_firms END AS to_firms,
       CASE WHEN $summary THEN toFloat(firms) / to_firms END AS share
ORDER BY pb.tier, pa.tier, to_year, firm_name, firm
