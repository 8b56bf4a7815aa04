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
WITH firm, max(fy.year) AS latest
MATCH (firm)-[:REPORTED]->(fy:FinancialYear)
WHERE fy.year >= latest - 3 AND fy.year <= latest
WITH firm, latest,
     min(CASE WHEN fy.year = latest THEN toFloat(fy.revenue) END) AS revenue,
     min(CASE WHEN fy.year = latest - 3 THEN toFloat(fy.revenue) END) AS revenue_3y_before,
     count(DISTINCT CASE WHEN fy.year >= latest - 2 AND fy.net_profit < 0 THEN fy.year END) AS loss_years
WITH firm, latest, loss_years, revenue, revenue_3y_before,
     coalesce(revenue < revenue_3y_before, false) AS decline, loss_years >= 2 AS losses
WHERE decline OR losses
RETURN firm.iri AS firm, firm.name AS firm_name,
       CASE WHEN decline AND losses THEN 'revenue decline, losses' WHEN decline THEN 'revenue decline' ELSE 'losses' END AS reason,
       latest AS latest_year, revenue, revenue_3y_before, loss_years
ORDER BY firm_name, firm
