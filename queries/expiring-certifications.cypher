//+ summary: Certifications running out within a window of as_of, and those already lapsed without renewal
//+ description: |
//+   For each firm of the cohort (the cohort parameters, as in every query that selects
//+   certified firms, except that certified defaults to ever here: by default every firm that
//+   held a certification by as_of) and each programme (`programme` when given), the
//+   certification that runs longest (latest valid_to, among
//+   those starting on or before as_of; a renewal on record is such a later certification).
//+   status 'expiring': it ends within window_days (default 180) after as_of (as_of <= valid_to
//+   <= as_of + window_days); status 'expired': it ended before as_of and no renewal is on record.
//+   A firm that holds a higher tier valid at as_of (e.g. a Little Giant whose provincial
//+   specialized_sme status lapsed) is not listed for the lower tier. days_left = valid_to - as_of
//+   in days (negative when expired). batch and valid_from are those of that certification (of
//+   several ending the same day: the latest starting, then the highest batch).
//+ params:
//+   window_days: {type: integer, default: 180, min: 0, description: "how far ahead of as_of to look, in days"}
//+   certified: {default: ever}
//+   only: {type: string, choices: [expiring, expired], description: "only this status"}
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms has a certification ending within {window_days} days after {as_of}, or lapsed without renewal (with the filters given)"
//+ columns: firm, firm_name, programme, batch, valid_from, valid_to, status, days_left
//+ iri_columns: firm
// The cohort is a condition on the rows left at the end. With its defaults (certified = ever, no
// batches, sector or province) each row's own certification puts its firm in it, so the
// condition folds away (kg.cypher.dialect: LadybugDB would run the subquery for every row).
MATCH (firm:Firm)-[c0:CERTIFIED_AS]->(p:Programme)
WHERE c0.valid_to IS NOT NULL AND (c0.valid_from IS NULL OR c0.valid_from <= $as_of)
  AND ($programme IS NULL OR p.code = $programme)
// the latest certification: greatest "valid_to|valid_from|batch" key (ISO dates sort as text)
WITH firm, p, max(toString(c0.valid_to) + '|' + coalesce(toString(c0.valid_from), '') + '|' +
                  coalesce(toString(c0.batch), '')) AS latest
WITH firm, p, latest, date(substring(latest, 0, 10)) AS valid_to, split(latest, '|') AS parts
WHERE valid_to < $as_of OR valid_to <= $as_of + duration({days: $window_days})
WITH firm, p, parts, valid_to, CASE WHEN valid_to < $as_of THEN 'expired' ELSE 'expiring' END AS status
WHERE ($only IS NULL OR status = $only)
  AND NOT EXISTS {
    MATCH (firm)-[h:CERTIFIED_AS]->(hp:Programme)
    WHERE hp.tier > p.tier AND (h.valid_from IS NULL OR h.valid_from <= $as_of)
      AND (h.valid_to IS NULL OR h.valid_to >= $as_of)
  }
  AND (($batches IS NULL AND $sector IS NULL AND $province IS NULL AND $certified = 'ever') OR @in_cohort(firm))
RETURN firm.iri AS firm, firm.name AS firm_name, p.code AS programme,
       CASE WHEN parts[2] = '' THEN null ELSE toInteger(parts[2]) END AS batch,
       CASE WHEN parts[1] = '' THEN null ELSE date(parts[1]) END AS valid_from,
       valid_to, status, duration.inDays($as_of, valid_to).days AS days_left
ORDER BY valid_to, firm_name, firm, programme
