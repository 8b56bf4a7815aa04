"""The value-type layer: one module per value type, each a set of plain functions.

- :mod:`kg.values.errors` -- :class:`~kg.values.errors.ValueProblem`, the one error type
- :mod:`kg.values.text` -- half-width, cleaning, name keys for matching
- :mod:`kg.values.number` -- plain numbers and whole numbers
- :mod:`kg.values.uscc` -- Unified Social Credit Codes (GB 32100-2015)
- :mod:`kg.values.lei` -- Legal Entity Identifiers (ISO 17442)
- :mod:`kg.values.ticker` -- stock codes (SSE, SZSE, BSE, HKEX, NEEQ)
- :mod:`kg.values.share` -- ownership shares in [0, 1]
- :mod:`kg.values.amount` -- money amounts with 万/亿 units, currencies and bounds
- :mod:`kg.values.dates` -- partial dates (year, month or day precision)
- :mod:`kg.values.boolean` -- yes/no values
- :mod:`kg.values.place` -- province and city keys for matching (江苏省 = 江苏 = Jiangsu)

Every parser raises :class:`~kg.values.errors.ValueProblem` for input it cannot read. Nothing is
imported here, so importing one value module stays cheap.
"""
