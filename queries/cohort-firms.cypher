//+ summary: The firms of a cohort (the cohort parameters), one row per firm
//+ description: |
//+   The cohort itself: the firms that the cohort parameters select, as every query that
//+   selects certified firms selects them (by default the firms holding a certification of any
//+   programme valid at as_of; with batches, e.g. 1,2, the firms certified in those batches by
//+   as_of). Its row count is the cohort's size (what `kg report cohort` shows first).
//+ cohort: required
//+ explain:
//+   if_empty: "the cohort is empty at {as_of}"
//+ columns: firm, firm_name
//+ iri_columns: firm
@cohort(firm)
RETURN firm.iri AS firm, firm.name AS firm_name
ORDER BY firm_name, firm
