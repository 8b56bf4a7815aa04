//+ summary: Certified firms that are large in their latest reported year (over the SME thresholds)
//+ description: |
//+   Firms holding a certification valid at as_of (of `programme` when given, else of any
//+   programme) whose derived size_class is 'large': in their latest reported year they are over
//+   the SME thresholds of their sector (industry: employees >= 1000 and revenue >= 400 million
//+   yuan; 2011 classification, see kg/derive/size.py). year, employees and revenue are those of
//+   that latest year (the largest figure of the sources that give both; stored with the size
//+   class at build: kg:sizeEmployees, kg:sizeRevenue). programme is the highest tier the
//+   firm holds at as_of (or `programme` when given); a Manufacturing Champion is not an SME tier,
//+   so give programme=little_giant (or specialized_sme) to see SME-tier breaches only.
//+ params:
//+   programme: {type: programme, description: "only firms holding this certification at as_of"}
//+ columns: firm, firm_name, year, employees, revenue, programme
//+ iri_columns: firm
MATCH (firm:Firm {size_class: 'large'})-[c:CERTIFIED_AS]->(p:Programme)
WHERE (c.valid_from IS NULL OR c.valid_from <= $as_of) AND (c.valid_to IS NULL OR c.valid_to >= $as_of)
  AND ($programme IS NULL OR p.code = $programme)
WITH firm, max(p.tier) AS top
MATCH (pp:Programme {tier: top})
MATCH (firm)-[:REPORTED]->(fy:FinancialYear)
WHERE fy.year = firm.size_year AND fy.employees IS NOT NULL AND fy.revenue IS NOT NULL
WITH firm, pp, max(fy.employees) AS employees, max(fy.revenue) AS revenue
RETURN firm.iri AS firm, firm.name AS firm_name, firm.size_year AS year, employees, revenue, pp.code AS programme
ORDER BY firm_name, firm
