//+ summary: Promotions up the certification ladder, with years; with summary=true the share of each tier that came from the tier below
//+ description: |
//+   The ladder: innovative_sme (tier 1) -> specialized_sme (2) -> little_giant (3) ->
//+   manufacturing_champion (4), the certified entity's tiers. A certification's year is its `year`, else the year of its
//+   valid_from; only certifications of a year up to that of as_of (and not starting after
//+   as_of) count. For each firm and each tier it reached, the first year it held that tier
//+   (to_year) and the highest lower tier it held no later than that (from_programme, first held
//+   in from_year) make one promotion. A firm that entered the ladder at a tier has no row for it.
//+   since / until restrict the year of the promotion (to_year), in both modes. The cohort
//+   parameters (as in every query that selects certified firms) restrict the firms when one
//+   is given, e.g. programme=little_giant batches=1,2: the promotions of the Little Giants of
//+   batches 1 and 2 (into and out of little_giant); without them, every firm.
//+
//+   With summary=true, one row per (from_programme, to_programme): firms = promotions,
//+   to_firms = firms that ever reached to_programme, share = firms / to_firms, e.g. the share of
//+   Manufacturing Champions that came from the Little Giants (the brief: 268 of 1,200, 22%).
//+ params:
//+   since: {type: year, description: "first year of promotion (to_year)"}
//+   until: {type: year, description: "last year of promotion (to_year)"}
//+   summary: {type: boolean, default: false, description: "counts per step of the ladder instead of firms"}
//+ cohort: optional
//+ explain:
//+   if_empty: "none of the {firms} cohort firms moved up the certification ladder by {as_of} (in the years given)"
//+ columns: firm, firm_name, from_programme, from_year, to_programme, to_year
//+ columns_when:
//+   summary: from_programme, to_programme, firms, to_firms, share
//+ iri_columns: firm
// One pass over the certifications pivots each firm's first year per tier (tiers 1-4); two parts, one of them
// empty: the promotions, or (summary) their counts. Typed nulls (toString(null) ...) keep the parts' columns alike.
MATCH (f)-[c:CERTIFIED_AS]->(p:Programme)
WHERE NOT $summary
WITH f, p, c, coalesce(c.year, c.valid_from.year) AS cy
WHERE cy <= $as_of.year AND (c.valid_from IS NULL OR c.valid_from <= $as_of)
  AND ($certified IS NULL OR @in_cohort(f))
// per firm: the first year it held each tier (9999: never), by as_of
WITH f, min(CASE WHEN p.tier = 1 THEN cy ELSE 9999 END) AS y1, min(CASE WHEN p.tier = 2 THEN cy ELSE 9999 END) AS y2,
     min(CASE WHEN p.tier = 3 THEN cy ELSE 9999 END) AS y3, min(CASE WHEN p.tier = 4 THEN cy ELSE 9999 END) AS y4
// each tier reached above the first, and the highest lower tier held by then
UNWIND [2, 3, 4] AS tB
WITH f, y1, y2, y3, tB, CASE tB WHEN 2 THEN y2 WHEN 3 THEN y3 ELSE y4 END AS yB
WHERE yB < 9999 AND ($since IS NULL OR yB >= $since) AND ($until IS NULL OR yB <= $until)
WITH f, y1, y2, y3, tB, yB,
     CASE WHEN tB > 3 AND y3 <= yB THEN 3 WHEN tB > 2 AND y2 <= yB THEN 2 WHEN y1 <= yB THEN 1 ELSE 0 END AS tFrom
WITH f, y1, y2, y3, tB, yB, tFrom
WHERE NOT $summary AND tFrom > 0
MATCH (pa:Programme {tier: tFrom}), (pb:Programme {tier: tB})
RETURN f.iri AS firm, f.name AS firm_name, pa.code AS from_programme,
       CASE tFrom WHEN 1 THEN y1 WHEN 2 THEN y2 ELSE y3 END AS from_year, pb.code AS to_programme, yB AS to_year,
       toInteger(null) AS firms, toInteger(null) AS to_firms, toFloat(null) AS share
ORDER BY tB, tFrom, to_year, firm_name, firm
UNION ALL
MATCH (f)-[c:CERTIFIED_AS]->(p:Programme)
WHERE $summary
WITH f, p, c, coalesce(c.year, c.valid_from.year) AS cy
WHERE cy <= $as_of.year AND (c.valid_from IS NULL OR c.valid_from <= $as_of)
  AND ($certified IS NULL OR @in_cohort(f))
// per firm: the first year it held each tier (9999: never), by as_of
WITH f, min(CASE WHEN p.tier = 1 THEN cy ELSE 9999 END) AS y1, min(CASE WHEN p.tier = 2 THEN cy ELSE 9999 END) AS y2,
     min(CASE WHEN p.tier = 3 THEN cy ELSE 9999 END) AS y3, min(CASE WHEN p.tier = 4 THEN cy ELSE 9999 END) AS y4
// each tier reached above the first, and the highest lower tier held by then
UNWIND [2, 3, 4] AS tB
WITH f, y1, y2, y3, tB, CASE tB WHEN 2 THEN y2 WHEN 3 THEN y3 ELSE y4 END AS yB
WHERE yB < 9999 AND ($since IS NULL OR yB >= $since) AND ($until IS NULL OR yB <= $until)
WITH f, y1, y2, y3, tB, yB,
     CASE WHEN tB > 3 AND y3 <= yB THEN 3 WHEN tB > 2 AND y2 <= yB THEN 2 WHEN y1 <= yB THEN 1 ELSE 0 END AS tFrom
WITH tB, tFrom
WHERE $summary
UNWIND [1, 2, 3] AS tA
WITH tB, tFrom, tA
WHERE tA < tB
WITH tB, tA, toInteger(sum(CASE WHEN tFrom = tA THEN 1 ELSE 0 END)) AS promoted, count(*) AS reached
WHERE promoted > 0
MATCH (pa:Programme {tier: tA}), (pb:Programme {tier: tB})
RETURN toString(null) AS firm, toString(null) AS firm_name, pa.code AS from_programme, toInteger(null) AS from_year,
       pb.code AS to_programme, toInteger(null) AS to_year, promoted AS firms, reached AS to_firms, toFloat(promoted) / reached AS share
ORDER BY tB, tA
