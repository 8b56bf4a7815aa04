"""Run the doctests of the loader modules (the docstring examples are part of the API)."""

import doctest
import importlib
import pkgutil

import pytest

import kg.loaders

MODULES = sorted(f"kg.loaders.{m.name}" for m in pkgutil.iter_modules(kg.loaders.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0, name
