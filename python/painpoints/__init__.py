"""painpoints: find the recurring top problems in free-text customer complaints.

>>> import painpoints as pp
>>> result = pp.analyze(pp.load_sample())      # doctest: +SKIP
>>> result.top(3)                               # doctest: +SKIP

The whole public API is re-exported here.
"""
from __future__ import annotations

from ._painpoints import SCHEMA_VERSION, __version__
from ._errors import (
    EditError,
    InputError,
    ModelFormatError,
    NotFittedError,
    PainpointsError,
    ParameterError,
)
from ._redact import redact
from ._result import Analysis, Example, Problem, ProblemStability, Theme
from ._model import ProblemModel
from ._api import analyze, says_nothing
from ._sample import load_sample, load_sample_dates, load_sample_labels

__all__ = [
    "__version__",
    "SCHEMA_VERSION",
    "analyze",
    "Analysis",
    "Problem",
    "Theme",
    "Example",
    "ProblemStability",
    "ProblemModel",
    "load_sample",
    "load_sample_dates",
    "load_sample_labels",
    "redact",
    "says_nothing",
    "PainpointsError",
    "InputError",
    "ParameterError",
    "ModelFormatError",
    "EditError",
    "NotFittedError",
]
