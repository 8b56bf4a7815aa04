"""The derive layer: facts computed from the loaded graph, as plain functions over arrays.

- :mod:`kg.derive.ownership` -- ownership matrix, integrated ownership (cycle-corrected),
  hop counts, control, ultimate controller / Orbis-style ultimate owner, explaining paths
- :mod:`kg.derive.state` -- the state as one owner: state-controlled set, state share,
  influence level and the path that explains it
- :mod:`kg.derive.size` -- SME size classes (2011 rule), thresholds in
  ``kg/domain/sme_size_thresholds.csv``
- :mod:`kg.derive.performance` -- performance by firm and year (weak years: revenue decline,
  losses) keyed by year-end, and the figures of the size class's year
- :mod:`kg.derive.facts` -- the derived tables of a build at one date, computed with the modules above
- :mod:`kg.derive.timeline` -- the same tables with the period each row holds for
  (``valid_from``/``valid_to``), exact at any date; :func:`kg.derive.timeline.at` slices them

Entities are indexed ``0 .. n-1``; ``W[i, j]`` is the share of ``j`` owned directly by ``i``
(``scipy.sparse.csr_matrix``). Nothing is imported here, so importing one module stays cheap.
"""
