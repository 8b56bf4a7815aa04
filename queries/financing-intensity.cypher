//+ summary: State-linked financing over revenue for a cohort of certified firms (the brief's 13.7%)
//+ description: |
//+   The cohort (the cohort parameters, as in every query that selects certified firms; by
//+   default the firms holding a little_giant certification valid at as_of, and with batches,
//+   e.g. 1,2, the firms certified in those batches by as_of). For each, over the years
//+   from_year..to_year (default 2016-2021):
//+
//+   financing = the sum of FUNDED amounts dated in those years (and on or before as_of) that are
//+     - subsidy or equity from a state-linked funder, or
//+     - loan or bond from a state-linked lender, or at an interest_rate below benchmark_rate
//+       (default 0.0435, the PBoC one-year benchmark rate from October 2015), from any lender;
//+   revenue = the sum of the firm's reported revenue in those years;
//+   intensity = financing / revenue (a fraction: 0.137 means 13.7%).
//+
//+   State-linked (derived facts of the funder at as_of): state_controlled = true (government bodies, guidance funds,
//+   entities marked state-owned such as state banks, and everything the state controls), or a
//+   state_share >= min_state_share (default 0.25: state influence 'medium' or 'high', which
//+   takes in the sub-funds that national and provincial guidance funds co-own without a
//+   majority). LP commitments and undated fundings do not count.
//+
//+   One row per cohort firm (firms with no revenue in the window have revenue and intensity
//+   empty); with total=true one row for the cohort: sums over the firms that reported revenue in
//+   the window, intensity = sum of financing / sum of revenue. subsidies, equity and debt
//+   (loans and bonds) split the financing.
//+ params:
//+   programme: {default: little_giant}
//+   from_year: {type: year, default: 2016, description: "first year of financing and revenue"}
//+   to_year: {type: year, default: 2021, description: "last year of financing and revenue"}
//+   benchmark_rate: {type: decimal, default: 0.0435, min: 0, max: 1, description: "loans below this yearly rate count whoever lends (0.0435 = 4.35%)"}
//+   min_state_share: {type: decimal, default: 0.25, min: 0, max: 1, description: "a funder with at least this state share is state-linked"}
//+   total: {type: boolean, default: false, description: "one row for the whole cohort"}
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms reports revenue in {from_year}-{to_year}"
//+   left_out: {empty: revenue, counted: firms, text: "{missing} of {firms} cohort firms report no revenue in {from_year}-{to_year}"}
//+ columns: firm, firm_name, financing, revenue, intensity, subsidies, equity, debt
//+ columns_when:
//+   total: firms, financing, revenue, intensity, subsidies, equity, debt
//+ iri_columns: firm
@cohort(f)
// state-linked financing in the window
OPTIONAL MATCH (fu:KgNode)-[r:FUNDED]->(f)
WHERE r.amount IS NOT NULL AND r.date IS NOT NULL AND r.date <= $as_of
  AND r.date.year >= $from_year AND r.date.year <= $to_year
OPTIONAL MATCH (fu)-[:HAS_OWNERSHIP]->(fa:OwnershipAssessment)
WHERE (fa.valid_from IS NULL OR fa.valid_from <= $as_of) AND (fa.valid_to IS NULL OR fa.valid_to >= $as_of)
WITH f, r, coalesce(fa.state_controlled, false) OR coalesce(fa.state_share >= $min_state_share, false) AS linked
WITH f, r, (r.instrument IN ['subsidy', 'equity'] AND linked)
        OR (r.instrument IN ['loan', 'bond'] AND (linked OR coalesce(r.interest_rate < $benchmark_rate, false))) AS counted
WITH f, sum(CASE WHEN counted THEN r.amount ELSE 0.0 END) AS fin,
     sum(CASE WHEN counted AND r.instrument = 'subsidy' THEN r.amount ELSE 0.0 END) AS sub,
     sum(CASE WHEN counted AND r.instrument = 'equity' THEN r.amount ELSE 0.0 END) AS eq,
     sum(CASE WHEN counted AND r.instrument IN ['loan', 'bond'] THEN r.amount ELSE 0.0 END) AS debt
// revenue in the window
OPTIONAL MATCH (f)-[:REPORTED]->(y:FinancialYear)
WHERE y.year >= $from_year AND y.year <= $to_year AND y.revenue IS NOT NULL
WITH f, fin, sub, eq, debt, CASE WHEN count(y) > 0 THEN sum(y.revenue) END AS rev
WHERE NOT $total OR rev IS NOT NULL
WITH CASE WHEN $total THEN '' ELSE f.iri END AS k, f, fin, sub, eq, debt, rev
WITH k, min(f.iri) AS firm, min(f.name) AS firm_name, count(f) AS firms, sum(fin) AS financing,
     sum(rev) AS rev_sum, count(rev) AS n_rev, sum(sub) AS subsidies, sum(eq) AS equity, sum(debt) AS debt
WITH firm, firm_name, firms, financing, CASE WHEN n_rev = firms THEN rev_sum END AS revenue, subsidies, equity, debt
RETURN firm, firm_name, firms, financing, revenue,
       CASE WHEN revenue > 0 THEN toFloat(financing) / revenue END AS intensity, subsidies, equity, debt
ORDER BY firm_name, firm
