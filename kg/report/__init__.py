"""Reports: several canned queries run with one set of parameters, written as one document.

``kg report cohort`` (:mod:`kg.report.cohort` gathers the data, :mod:`kg.report.sources` the
source files behind it, :mod:`kg.report.render` writes HTML or Markdown).
"""
