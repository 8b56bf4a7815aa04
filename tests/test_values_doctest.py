"""Run the doctests of every module in kg.values (the docstring examples are part of the API)."""

import doctest
import importlib

import pytest

MODULES = [
    "kg.values",
    "kg.values.errors",
    "kg.values.text",
    "kg.values.number",
    "kg.values.uscc",
    "kg.values.lei",
    "kg.values.ticker",
    "kg.values.share",
    "kg.values.amount",
    "kg.values.dates",
    "kg.values.boolean",
    "kg.values.place",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
    if name != "kg.values":
        assert result.attempted > 0, f"{name} has no docstring examples"


def test_every_module_listed():
    import pkgutil

    import kg.values

    found = {f"kg.values.{m.name}" for m in pkgutil.iter_modules(kg.values.__path__)}
    assert found <= set(MODULES)
