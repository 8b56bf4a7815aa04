//+ summary: Declared indirect holdings beside the integrated shares kg computes
//+ description: |
//+   Every holding a source declares as indirect (OWNS with direct_or_indirect "indirect",
//+   e.g. a BODS interest with directOrIndirect "indirect"), valid at as_of, with the share it
//+   declares (declared_share, or the range declared_min..declared_max) beside the integrated
//+   (direct + indirect) share kg computes through the direct holdings (computed_share, the
//+   derived ULTIMATELY_OWNS that holds at as_of; empty when none is stored, e.g. the chain
//+   is not in the graph or the share is under the build's floor). Declared indirect holdings
//+   are kept as declarations and do not enter the computation. source = the dataset of the
//+   declaration.
//+ columns: owner, owner_name, firm, firm_name, declared_share, declared_min, declared_max, computed_share, source
//+ iri_columns: owner, firm
MATCH (owner:KgNode)-[d:OWNS]->(firm:KgNode)
WHERE d.direct_or_indirect = 'indirect'
  AND (d.start IS NULL OR d.start <= $as_of) AND (d.end IS NULL OR d.end >= $as_of)
OPTIONAL MATCH (owner)-[io:ULTIMATELY_OWNS]->(firm)
WHERE (io.valid_from IS NULL OR io.valid_from <= $as_of) AND (io.valid_to IS NULL OR io.valid_to >= $as_of)
RETURN owner.iri AS owner, owner.name AS owner_name, firm.iri AS firm, firm.name AS firm_name,
       d.share AS declared_share, d.share_min AS declared_min, d.share_max AS declared_max,
       io.share AS computed_share, d.source AS source
ORDER BY firm_name, firm, owner_name, owner, source, declared_share, declared_min, declared_max
