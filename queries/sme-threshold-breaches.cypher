//+ summary: Certified firms that are large in their latest reported year (over the SME thresholds)
//+ description: |
//+   Firms of the cohort (the cohort parameters, as in every query that selects certified
//+   firms: by default the firms holding a certification of any programme valid at as_of)
//+   whose derived size_class at as_of is 'large': in their latest year reported by as_of (a
//+   year counts once it has ended: FY 2023 from 2024-01-01) they are over the SME
//+   thresholds of their sector (industry: employees >= 1000 and revenue >= 400 million yuan;
//+   2011 classification, see kg/derive/size.py). year, employees and revenue are those of that
//+   latest year (the largest figure of the sources that give both; stored with the size class
//+   of each period: kg:sizeEmployees, kg:sizeRevenue). programme is the highest tier among the
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
MATCH (firm)-[:HAS_SIZE]->(z:SizeAssessment)
WHERE z.size_class = 'large'
  AND (z.valid_from IS NULL OR z.valid_from <= $as_of) AND (z.valid_to IS NULL OR z.valid_to >= $as_of)
WITH firm, z, max(c_programme.tier) AS top
// the figures of the size year (the largest any source gives), stored with the size class
WHERE z.size_employees IS NOT NULL AND z.size_revenue IS NOT NULL
MATCH (pp:Programme {tier: top})
RETURN firm.iri AS firm, firm.name AS firm_name, z.size_year AS year, z.size_employees AS employees,
       z.size_revenue AS revenue, pp.code AS programme
ORDER BY firm_name, firm
