//+ summary: Listings per year on SSE, SZSE and BSE, and the share by firms of the cohort certified at their listing date
//+ description: |
//+   Per year (of the listing date, up to as_of): listings = every listing on the Shanghai,
//+   Shenzhen and Beijing exchanges that year (of any firm: the cohort's sector or province do
//+   not narrow it); by_cohort = those whose firm is in the cohort (the cohort parameters, as in
//+   every query that selects certified firms, except that certified defaults to ever here)
//+   through a certification valid at the listing date; share = by_cohort / listings (the
//+   brief: 40% of 2022 listings were Little Giants). With only programme given this is
//+   certified-listings-share; with batches, e.g. programme=little_giant batches=1,2: the
//+   listings by Little Giants of those batches while their status held. Listings without a
//+   date are left out; a listing dated only by year counts on 1 January, by month on its
//+   first day.
//+ params:
//+   certified: {default: ever}
//+   from_year: {type: year, description: "first year"}
//+   to_year: {type: year, description: "last year"}
//+ cohort: required
//+ columns: year, listings, by_cohort, share
// Whether a listing counts depends only on its firm and date: the (firm, date) keys of the cohort
// firms' listings made while a cohort certification held are collected first (one row, an empty
// list when there are none), then every listing of the window is checked against them.
@cohort(firm, c)
MATCH (firm)-[l:LISTED_ON]->(ex:Exchange)
WHERE ex.code IN ['SSE', 'SZSE', 'BSE'] AND l.listed IS NOT NULL AND l.listed <= $as_of
  AND (c.valid_from IS NULL OR c.valid_from <= l.listed) AND (c.valid_to IS NULL OR c.valid_to >= l.listed)
WITH collect(DISTINCT firm.iri + '|' + toString(l.listed)) AS keys
MATCH (f:KgNode)-[l:LISTED_ON]->(ex:Exchange)
WHERE ex.code IN ['SSE', 'SZSE', 'BSE'] AND l.listed IS NOT NULL AND l.listed <= $as_of
  AND ($from_year IS NULL OR l.listed.year >= $from_year) AND ($to_year IS NULL OR l.listed.year <= $to_year)
WITH l.listed.year AS year, CASE WHEN (f.iri + '|' + toString(l.listed)) IN keys THEN 1 ELSE 0 END AS cert
WITH year, count(*) AS listings, sum(cert) AS by_cohort
RETURN year, listings, by_cohort, toFloat(by_cohort) / listings AS share
ORDER BY year
