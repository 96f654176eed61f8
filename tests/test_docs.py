"""The examples in the public docstrings run and print what they show."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import painpoints

MODULES = ["painpoints"] + [f"painpoints.{m.name}" for m in pkgutil.iter_modules(painpoints.__path__)
                            if m.name not in ("__main__", "_painpoints")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_the_api_has_examples():
    attempted = sum(doctest.testmod(importlib.import_module(n), optionflags=doctest.ELLIPSIS).attempted
                    for n in MODULES)
    assert attempted >= 10
