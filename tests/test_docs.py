"""The examples in the public docstrings run and print what they show."""
from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

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


def test_readme_examples_run():
    """The README's ``>>>`` examples (its fenced code blocks) print what they show."""
    readme = Path(__file__).resolve().parents[1] / "README.md"
    blocks = re.findall(r"^```python\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)
    text = "\n".join(b for b in blocks if ">>>" in b)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(readme), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 5
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed"
