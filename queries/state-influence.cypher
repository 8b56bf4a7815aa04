//+ summary: How much of a firm (or of a cohort) the state owns, and through whom
//+ description: |
//+   For the entity `ref`, or else for the cohort (the cohort parameters, as in every query that
//+   selects certified firms; by default the firms holding a certification of any programme
//+   valid at as_of; the cohort parameters do not apply with `ref`): the derived state
//+   influence level (high = state-controlled: a state entity itself or controlled by the state
//+   acting as one owner; medium = state share >= 25%; low = > 0; none), the integrated state
//+   share (ownership held by state entities and what they control, counted once), whether the
//+   state controls it, and the explaining path (the chain of holdings from a state entity with
//+   the largest product of shares, e.g. "Anhui SASAC -> 95% Qingyun Group -> 100% Holding ->
//+   70% Reducer"), all as they hold at as_of; `level` filters on one level. Largest share first.
//+ params:
//+   ref: {type: ref, description: "one entity (id, USCC, LEI, ticker or name); without it the cohort"}
//+   level: {type: string, choices: [high, medium, low, none], description: "only this influence level"}
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms has state influence {level}"
//+ columns: firm, firm_name, level, state_share, state_controlled, path
//+ iri_columns: firm
// two parts, one of them empty: the entity ref, or (without ref) the cohort
MATCH (firm:KgNode {iri: $ref})-[:HAS_OWNERSHIP]->(a:OwnershipAssessment)
WHERE (a.valid_from IS NULL OR a.valid_from <= $as_of) AND (a.valid_to IS NULL OR a.valid_to >= $as_of)
  AND ($level IS NULL OR a.state_influence = $level)
RETURN firm.iri AS firm, firm.name AS firm_name, a.state_influence AS level, a.state_share AS state_share,
       a.state_controlled AS state_controlled, a.path AS path
UNION ALL
@cohort(firm)
WITH firm
WHERE $ref IS NULL
MATCH (firm)-[:HAS_OWNERSHIP]->(a:OwnershipAssessment)
WHERE (a.valid_from IS NULL OR a.valid_from <= $as_of) AND (a.valid_to IS NULL OR a.valid_to >= $as_of)
  AND ($level IS NULL OR a.state_influence = $level)
RETURN firm.iri AS firm, firm.name AS firm_name, a.state_influence AS level, a.state_share AS state_share,
       a.state_controlled AS state_controlled, a.path AS path
ORDER BY coalesce(state_share, 0) DESC, firm_name, firm
