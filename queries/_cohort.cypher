//+ summary: The cohort of certified firms, shared by every query that selects them
//+ description: |
//+   The cohort is the Firms holding a certification that meets every condition given:
//+     - programme: the certification is of this programme (default: any programme);
//+     - batches: it is of one of these batches (e.g. 1,2 or 1-2; default: any batch);
//+     - certified = valid: it is valid at as_of (valid_from <= as_of <= valid_to), or
//+       certified = ever: it started on or before as_of (valid_from <= as_of), whether or not it
//+       has lapsed since; when batches is given certified defaults to ever (a batch is a
//+       cohort, whether or not its status has since lapsed), else to valid;
//+   and the firm is of sector and of province when given (as the graph writes them; a province
//+   may be given in any usual form: Anhui, 安徽, 安徽省).
//+   All certification conditions hold for one and the same certification.
//+ params:
//+   programme: {type: programme, shown_default: any, description: "the cohort's certification programme"}
//+   batches: {type: integers, shown_default: any, description: "certification batches, e.g. 1,2 or 1-2"}
//+   sector: {type: string, shown_default: any, description: "only firms of this sector, e.g. industry"}
//+   province: {type: province, shown_default: any, description: "only firms of this province, e.g. Anhui or 安徽省"}
//+   certified: {type: string, choices: [valid, ever], shown_default: "valid (ever when batches is given)", description: "valid: holds a certification valid at as_of; ever: held one that started on or before as_of"}
// The Cypher half of the cohort (kg/queries/cohort.py). A query writes @cohort(firm) where it
// wants the cohort firms (these lines, then WITH DISTINCT firm), @cohort(firm, c) for the pairs
// of a cohort firm and a certification that puts it in the cohort (WITH DISTINCT firm, c,
// c_programme: its programme node), or
// @in_cohort(firm) as a condition on a firm already matched (EXISTS { these lines }). firm and
// cohort_c are renamed to the query's names. The cohort is empty when $certified is null.
MATCH (firm:Firm)-[cohort_c:CERTIFIED_AS]->(cohort_p:Programme)
WHERE $certified IS NOT NULL
  AND ($programme IS NULL OR cohort_p.code = $programme)
  AND ($batches IS NULL OR cohort_c.batch IN $batches)
  AND (cohort_c.valid_from IS NULL OR cohort_c.valid_from <= $as_of)
  AND ($certified = 'ever' OR cohort_c.valid_to IS NULL OR cohort_c.valid_to >= $as_of)
  AND ($sector IS NULL OR firm.sector = $sector)
  AND ($province IS NULL OR firm.province IN $province)
