//+ summary: Listings per year on SSE, SZSE and BSE, and the share by firms certified at their listing date
//+ description: |
//+   Per year (of the listing date, up to as_of): listings = listings on the Shanghai, Shenzhen
//+   and Beijing exchanges; certified = those whose firm held a certification of `programme`
//+   (default little_giant) valid at the listing date; share = certified / listings (the brief:
//+   40% of 2022 listings were Little Giants). Listings without a date are left out; a listing
//+   dated only by year counts on 1 January, by month on its first day.
//+ params:
//+   programme: {type: programme, default: little_giant, description: "the certification held at listing"}
//+   from_year: {type: year, description: "first year"}
//+   to_year: {type: year, description: "last year"}
//+ columns: year, listings, certified, share
MATCH (firm:KgNode)-[l:LISTED_ON]->(ex:Exchange)
WHERE ex.code IN ['SSE', 'SZSE', 'BSE'] AND l.listed IS NOT NULL AND l.listed <= $as_of
  AND ($from_year IS NULL OR l.listed.year >= $from_year) AND ($to_year IS NULL OR l.listed.year <= $to_year)
OPTIONAL MATCH (firm)-[c:CERTIFIED_AS]->(:Programme {code: $programme})
WHERE (c.valid_from IS NULL OR c.valid_from <= l.listed) AND (c.valid_to IS NULL OR c.valid_to >= l.listed)
WITH l.listed.year AS year, l, CASE WHEN count(c) > 0 THEN 1 ELSE 0 END AS cert
WITH year, count(l) AS listings, sum(cert) AS certified
RETURN year, listings, certified, toFloat(certified) / listings AS share
ORDER BY year
