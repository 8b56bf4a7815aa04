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
// A listing counts when its firm held a cohort certification on the listing day. The cohort's
// listings are found from the cohort (its (firm, certification) pairs joined to their firms'
// listings on the day each certification held) and counted per year; every listing is counted
// per year; the two counts meet by year (a list of one [year, count] pair per year, read by each
// year's row, plus [year, 0] for a year without cohort listings). Testing each listing against a
// list of the cohort's listings instead costs listings x cohort listings (4.4 s at 10^6 firms).
@cohort(firm, c)
MATCH (firm)-[l:LISTED_ON]->(ex:Exchange)
WHERE ex.code IN ['SSE', 'SZSE', 'BSE'] AND l.listed IS NOT NULL AND l.listed <= $as_of
  AND ($from_year IS NULL OR l.listed.year >= $from_year) AND ($to_year IS NULL OR l.listed.year <= $to_year)
  AND (c.valid_from IS NULL OR c.valid_from <= l.listed) AND (c.valid_to IS NULL OR c.valid_to >= l.listed)
WITH DISTINCT l
WITH l.listed.year AS year, count(*) AS n
WITH collect([year, n]) AS cohort_years
MATCH (f:KgNode)-[l:LISTED_ON]->(ex:Exchange)
WHERE ex.code IN ['SSE', 'SZSE', 'BSE'] AND l.listed IS NOT NULL AND l.listed <= $as_of
  AND ($from_year IS NULL OR l.listed.year >= $from_year) AND ($to_year IS NULL OR l.listed.year <= $to_year)
WITH cohort_years, l.listed.year AS year, count(*) AS listings
UNWIND cohort_years + [[year, 0]] AS y
WITH year, listings, sum(CASE WHEN y[0] = year THEN y[1] ELSE 0 END) AS by_cohort
RETURN year, listings, by_cohort, toFloat(by_cohort) / listings AS share
ORDER BY year
