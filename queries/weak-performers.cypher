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
// that year as the firm's latest: kg/derive/performance.py), with the firm's next reported year
// (next_year; absent on its last year): a weak year is the firm's latest at as_of when its year
// is <= the year of as_of < next_year. One filtered scan of the financial years, then whether the
// firm is of the cohort (last: a few rows to test; a cohort bound first makes LadybugDB hash-join
// every FinancialYear). Grouping every firm's years for its latest instead takes 2.5-3.5 CPU s at
// 10^6 firms (issue 12). (In LadybugDB, an OPTIONAL MATCH whose WHERE names only earlier
// variables matches nothing: avoid that form.)
MATCH (firm:Firm)-[:REPORTED]->(w:FinancialYear)
WHERE w.weak_reason IS NOT NULL AND w.year <= $as_of.year AND (w.next_year IS NULL OR w.next_year > $as_of.year)
  AND @in_cohort(firm)
RETURN DISTINCT firm.iri AS firm, firm.name AS firm_name, w.weak_reason AS reason, w.year AS latest_year,
       w.min_revenue AS revenue, w.revenue_3y_before AS revenue_3y_before, w.loss_years AS loss_years
ORDER BY firm_name, firm
