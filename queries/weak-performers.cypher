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
// The weak firm-years are stored on the FinancialYear nodes (weak_reason and the figures, with
// that year as the firm's latest: kg/derive/performance.py): find each firm's latest year by
// as_of, then its weak FinancialYear nodes of that year, then whether the firm is of the cohort
// (last: a few rows to test; a cohort bound first makes LadybugDB hash-join every FinancialYear).
// Grouped by id(firm): LadybugDB groups by an id in half the time it takes by the node.
// At 10^6 firms this takes 2.5-3.5 CPU s (issue 12), most of it finding every firm's latest year
// (7 M FinancialYear rows grouped by firm). Starting from the weak last years instead (weak_since
// <= the year of as_of: 0.7 CPU s) is exact only when no firm reports after as_of: a weak year
// that is not the firm's last needs the firm's next reported year, which the property graph does
// not hold (kg:weakAt is on no class). The two cases cannot be put together cheaply here: ORDER BY
// does not apply to a whole UNION (in Neo4j either), and LadybugDB materialises the rows before a
// test against a value computed over the graph and evaluates every operand of an OR (EXISTS
// included). Measured variants, all 2.3-6 s: the maximum weak year per firm then a later-year
// check, the latest and the latest weak year in one grouping, the cohort first, OPTIONAL MATCH or
// EXISTS for later years, collected lists of rows merged by UNWIND.
MATCH (firm:Firm)-[:REPORTED]->(fy:FinancialYear)
WHERE fy.year <= $as_of.year
WITH id(firm) AS firm_id, max(fy.year) AS latest
MATCH (firm:Firm)-[:REPORTED]->(w:FinancialYear)
WHERE id(firm) = firm_id AND w.year = latest AND w.weak_reason IS NOT NULL AND @in_cohort(firm)
RETURN DISTINCT firm.iri AS firm, firm.name AS firm_name, w.weak_reason AS reason, w.year AS latest_year,
       w.min_revenue AS revenue, w.revenue_3y_before AS revenue_3y_before, w.loss_years AS loss_years
ORDER BY firm_name, firm
