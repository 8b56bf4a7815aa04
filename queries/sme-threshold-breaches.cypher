//+ summary: Certified firms that are large in their latest reported year (over the SME thresholds)
//+ description: |
//+   Firms of the cohort (the cohort parameters, as in every query that selects certified
//+   firms: by default the firms holding a certification of any programme valid at as_of)
//+   whose derived size_class is 'large': in their latest reported year they are over the SME
//+   thresholds of their sector (industry: employees >= 1000 and revenue >= 400 million yuan;
//+   2011 classification, see kg/derive/size.py). year, employees and revenue are those of that
//+   latest year (the largest figure of the sources that give both; stored with the size class
//+   at build: kg:sizeEmployees, kg:sizeRevenue). programme is the highest tier among the
//+   certifications that put the firm in the cohort (`programme` when given); a Manufacturing
//+   Champion is not an SME tier, so give programme=little_giant (or specialized_sme) to see
//+   SME-tier breaches only.
//+ cohort: required
//+ explain:
//+   if_empty: "none of the {firms} cohort firms is over the SME thresholds of its sector in its latest reported year"
//+ columns: firm, firm_name, year, employees, revenue, programme
//+ iri_columns: firm
@cohort(firm, c)
WITH firm, c_programme
WHERE firm.size_class = 'large'
WITH firm, max(c_programme.tier) AS top
MATCH (pp:Programme {tier: top})
MATCH (firm)-[:REPORTED]->(fy:FinancialYear)
WHERE fy.year = firm.size_year AND fy.employees IS NOT NULL AND fy.revenue IS NOT NULL
WITH firm, pp, max(fy.employees) AS employees, max(fy.revenue) AS revenue
RETURN firm.iri AS firm, firm.name AS firm_name, firm.size_year AS year, employees, revenue, pp.code AS programme
ORDER BY firm_name, firm
