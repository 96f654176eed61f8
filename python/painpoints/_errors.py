"""The exception hierarchy of painpoints, in one place.

Every error painpoints raises on purpose is a :class:`PainpointsError`.
Errors about bad values also subclass :class:`ValueError`, so existing
``except ValueError`` handlers keep working.
"""
from __future__ import annotations

__all__ = [
    "PainpointsError",
    "InputError",
    "ParameterError",
    "ModelFormatError",
    "EditError",
    "NotFittedError",
]


class PainpointsError(Exception):
    """Base class of every painpoints error."""


class InputError(PainpointsError, ValueError):
    """The complaints given cannot be analysed as they are (the message says which row)."""


class ParameterError(PainpointsError, ValueError):
    """A parameter is out of range or inconsistent."""


class ModelFormatError(PainpointsError, ValueError):
    """A model file is damaged, from a newer painpoints, or not a model file at all."""


class EditError(PainpointsError, ValueError):
    """An analyst edit names a problem that does not exist or is otherwise invalid."""


class NotFittedError(PainpointsError, ValueError, AttributeError):
    """The model was used before ``fit`` was called."""
