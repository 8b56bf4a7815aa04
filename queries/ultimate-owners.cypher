//+ summary: Who owns a firm, directly and indirectly, by integrated share
//+ description: |
//+   Every owner with a stored integrated (direct + indirect, cycle-corrected) share of the
//+   entity `ref` (derived ULTIMATELY_OWNS; shares under the build's floor, 1%, are not stored),
//+   largest first. controls = the owner controls it (derived CONTROLS: over 50% directly or
//+   through firms it controls); direct_share = its own direct holding valid at as_of (empty when
//+   it holds nothing directly); state_controlled = the owner is a state entity or controlled by
//+   the state. path = the chain of direct holdings valid at as_of with the largest product of
//+   shares (up to four links, owner first, the firm last; empty when longer), names joined by
//+   " > ". Integrated shares, control and state control are the derived facts that hold at as_of.
//+ params:
//+   ref: {type: ref, required: true, description: "the firm (id, USCC, LEI, ticker or name)"}
//+ columns: owner, owner_name, share, hops, controls, direct_share, state_controlled, path
//+ iri_columns: owner
MATCH (owner:KgNode)-[io:ULTIMATELY_OWNS]->(firm:KgNode {iri: $ref})
WHERE (io.valid_from IS NULL OR io.valid_from <= $as_of) AND (io.valid_to IS NULL OR io.valid_to >= $as_of)
OPTIONAL MATCH (owner)-[d:OWNS]->(firm)
WHERE (d.start IS NULL OR d.start <= $as_of) AND (d.end IS NULL OR d.end >= $as_of)
// (the date as a variable: an embedded engine reads no parameter inside ALL(...))
WITH owner, firm, io, max(d.share) AS direct_share, $as_of AS day
// the chain of direct holdings valid at as_of, no entity twice, with the largest product (ties: the greatest
// text); tested inside max(), as a WHERE on this OPTIONAL MATCH loses the path in an embedded engine
OPTIONAL MATCH p = (owner)-[:OWNS*1..4]->(firm)
WITH owner, firm, io, direct_share,
     max(CASE WHEN p IS NULL
                   OR NOT ALL(r IN relationships(p) WHERE (r.start IS NULL OR r.start <= day) AND (r.end IS NULL OR r.end >= day))
                   OR NOT ALL(i IN range(0, length(p)) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..]) THEN null
              ELSE toString(toInteger(reduce(x = 1.0, r IN relationships(p) | x * r.share) * 1000000000) + 1000000000000)
                   + '|' + reduce(t = '', n IN nodes(p) | t + CASE WHEN t = '' THEN '' ELSE ' > ' END + coalesce(n.name, n.iri))
         END) AS best
OPTIONAL MATCH (owner)-[:HAS_OWNERSHIP]->(oa:OwnershipAssessment)
WHERE (oa.valid_from IS NULL OR oa.valid_from <= $as_of) AND (oa.valid_to IS NULL OR oa.valid_to >= $as_of)
RETURN owner.iri AS owner, owner.name AS owner_name, io.share AS share, io.hops AS hops,
       EXISTS {
         MATCH (owner)-[ctl:CONTROLS]->(firm)
         WHERE (ctl.valid_from IS NULL OR ctl.valid_from <= $as_of) AND (ctl.valid_to IS NULL OR ctl.valid_to >= $as_of)
       } AS controls, direct_share,
       oa.state_controlled AS state_controlled, substring(best, 14) AS path
ORDER BY share DESC, owner_name, owner
