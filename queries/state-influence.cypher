//+ summary: How much of a firm (or of a cohort) the state owns, and through whom
//+ description: |
//+   For the entity `ref`, or else for a cohort (Firms certified under `programme` by as_of, of
//+   `batches`, in `sector`; every certified firm when none is given): the derived state
//+   influence level (high = state-controlled: a state entity itself or controlled by the state
//+   acting as one owner; medium = state share >= 25%; low = > 0; none), the integrated state
//+   share (ownership held by state entities and what they control, counted once), whether the
//+   state controls it, and the explaining path (the chain of holdings from a state entity with
//+   the largest product of shares, e.g. "Anhui SASAC -> 95% Qingyun Group -> 100% Holding ->
//+   70% Reducer"). Derived at build time; `level` filters on one level. Largest share first.
//+ params:
//+   ref: {type: ref, description: "one entity (id, USCC, LEI, ticker or name); without it the cohort"}
//+   programme: {type: programme, description: "cohort: firms certified under this programme by as_of"}
//+   batches: {type: integers, description: "cohort: certification batches, e.g. 1,2"}
//+   sector: {type: string, description: "cohort: only firms of this sector"}
//+   level: {type: string, choices: [high, medium, low, none], description: "only this influence level"}
//+ columns: firm, firm_name, level, state_share, state_controlled, path
//+ iri_columns: firm
// two parts, one of them empty: the entity ref, or (without ref) the cohort
MATCH (firm:KgNode {iri: $ref})
WHERE $level IS NULL OR firm.state_influence = $level
RETURN firm.iri AS firm, firm.name AS firm_name, firm.state_influence AS level, firm.state_share AS state_share,
       firm.state_controlled AS state_controlled, firm.path AS path
UNION ALL
MATCH (firm:Firm)-[c:CERTIFIED_AS]->(p:Programme)
WHERE $ref IS NULL AND (c.valid_from IS NULL OR c.valid_from <= $as_of)
  AND ($programme IS NULL OR p.code = $programme)
  AND ($batches IS NULL OR c.batch IN $batches)
  AND ($sector IS NULL OR firm.sector = $sector)
WITH DISTINCT firm
WHERE $level IS NULL OR firm.state_influence = $level
RETURN firm.iri AS firm, firm.name AS firm_name, firm.state_influence AS level, firm.state_share AS state_share,
       firm.state_controlled AS state_controlled, firm.path AS path
ORDER BY coalesce(state_share, 0) DESC, firm_name, firm
