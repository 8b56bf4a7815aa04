"""Run the doctests of the derive modules (the docstring examples are part of the API)."""

import doctest
import importlib

import pytest

MODULES = ["kg.derive.ownership", "kg.derive.state", "kg.derive.size", "kg.derive.periods", "kg.derive.flows",
           "kg.derive.performance", "kg.derive.lookups", "kg.derive.facts", "kg.derive.timeline", "kg.derive.text"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring examples"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_has_an_example(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    with_examples = {t.name.rsplit(".", 1)[-1] for t in finder.find(module) if t.examples}
    for attr in module.__all__:
        obj = getattr(module, attr)
        if callable(obj) and not isinstance(obj, type):
            assert attr in with_examples, f"{name}.{attr} has no docstring example"
