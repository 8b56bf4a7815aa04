//+ summary: Certified firms with falling revenue or repeated losses
//+ description: |
//+   Firms of the cohort (the cohort parameters, as in every query that selects certified
//+   firms: by default the firms holding a certification of any programme valid at as_of)
//+   that, in their financial years up to the year of as_of,
//+     - revenue decline: have a latest-year revenue below their revenue three years earlier
//+       (latest year - 3; no comparison when that year is missing), or
//+     - losses: have a net loss (net_profit < 0) in two or more of the three years ending
//+       with their latest year (latest - 2 .. latest; a missing year counts as no loss).
//+   reason names what applies ("revenue decline", "losses" or both). latest_year, revenue,
//+   revenue_3y_before and loss_years show the figures (the smallest revenue when sources
//+   differ for a year; a year counts as a loss when any source reports a loss).
//+   The figures are derived facts of the financial years (kg/derive/performance.py), stored
//+   per firm and year, so the answer is exact for any as_of, not only the build date.
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms has falling revenue or repeated losses in its accounts up to {as_of}"
//+ columns: firm, firm_name, reason, latest_year, revenue, revenue_3y_before, loss_years
//+ iri_columns: firm
@cohort(firm)
MATCH (firm)-[:REPORTED]->(fy:FinancialYear)
WHERE fy.year <= $as_of.year
WITH firm, collect(fy) AS fys, max(fy.year) AS latest
WITH firm, latest,
     [x IN fys WHERE x.year = latest AND x.revenue IS NOT NULL | x.revenue] AS rl,
     [x IN fys WHERE x.year = latest - 3 AND x.revenue IS NOT NULL | x.revenue] AS rb,
     size([y IN range(latest - 2, latest) WHERE any(x IN fys WHERE x.year = y AND x.net_profit < 0)]) AS loss_years
WITH firm, latest, loss_years,
     CASE WHEN size(rl) = 0 THEN null ELSE reduce(m = toFloat(rl[0]), r IN rl | CASE WHEN r < m THEN toFloat(r) ELSE m END) END AS revenue,
     CASE WHEN size(rb) = 0 THEN null ELSE reduce(m = toFloat(rb[0]), r IN rb | CASE WHEN r < m THEN toFloat(r) ELSE m END) END AS revenue_3y_before
WITH firm, latest, loss_years, revenue, revenue_3y_before,
     coalesce(revenue < revenue_3y_before, false) AS decline, loss_years >= 2 AS losses
WHERE decline OR losses
RETURN firm.iri AS firm, firm.name AS firm_name,
       CASE WHEN decline AND losses THEN 'revenue decline, losses' WHEN decline THEN 'revenue decline' ELSE 'losses' END AS reason,
       latest AS latest_year, revenue, revenue_3y_before, loss_years
ORDER BY firm_name, firm
