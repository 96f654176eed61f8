"""Turning whatever the analyst passes into a list of ``str | None``.

Accepted: a list or tuple of str, a pandas Series, a polars Series, a numpy
array, or any iterable of str. Missing values (None, NaN, pandas NA/NaT,
polars null) become None and are labelled -1; they are never dropped, so
every output row lines up with its input row.
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Iterable, List, Optional

from ._errors import InputError, ParameterError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["to_texts", "is_missing"]


def is_integer(value: Any) -> bool:
    """An integer, Python's or numpy's, and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_count(name: str, value: Any, *, optional: bool = False) -> None:
    """Raise :class:`ParameterError` unless ``value`` is a non-negative
    integer (see :func:`is_integer`), or None when ``optional``."""
    if value is None and optional:
        return
    if not is_integer(value) or value < 0:
        raise ParameterError(f"{name} must be a non-negative integer{' or None' if optional else ''}, got {value!r}")


def is_missing(value: Any) -> bool:
    """True for None, float NaN, pandas NA/NaT and numpy NaN/NaT."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    type_name = type(value).__name__
    if type_name in ("NAType", "NaTType"):
        return True
    try:
        import numpy as np

        if isinstance(value, np.floating):
            return bool(np.isnan(value))
        if isinstance(value, (np.datetime64, np.timedelta64)):
            return bool(np.isnat(value))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return False


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _clean(value: str) -> str:
    # Lone surrogates cannot be encoded as UTF-8; replace them rather than fail.
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def to_texts(texts: Any, *, name: str = "texts") -> List[Optional[str]]:
    """Convert ``texts`` to a list of ``str | None``, checking every row.

    Raises :class:`TypeError` for a single string (a common slip: wrap it in
    a list) or for something that is not a sequence of text, and
    :class:`InputError` (a ``ValueError``) naming the first row that is not
    text or missing.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a list or column of complaints, not a single {type(texts).__name__}; wrap it in a list: [text]")
    if texts is None:
        raise TypeError(f"{name} must be a list or column of complaints, not None")
    if isinstance(texts, (set, frozenset, dict)):
        # (A set has no order, so no row of the result would be the caller's.)
        raise TypeError(f"{name} must be a list or column of complaints, not a {type(texts).__name__}, whose order is "
                        "not the input's: pass a list")
    if type(texts) is list and all(type(t) is str for t in texts):
        # The common case, checked in one pass without copying (never mutated).
        return texts
    values: Iterable[Any]
    module = type(texts).__module__ or ""
    if module.startswith(("pandas", "polars")) and hasattr(texts, "columns"):
        raise TypeError(f"{name} is a DataFrame; pass one column, e.g. df['comment']")
    if module.startswith("polars"):
        values = texts.to_list()
    elif module.startswith("pyarrow"):
        if hasattr(texts, "column_names"):
            raise TypeError(f"{name} is a Table; pass one column, e.g. table['comment']")
        values = texts.to_pylist()
    elif module.startswith("pandas"):
        values = texts.astype(object).tolist()
    elif module.startswith("numpy"):
        if getattr(texts, "ndim", 1) != 1:
            raise TypeError(f"{name} must be one-dimensional, got an array of shape {texts.shape}")
        values = texts.tolist()
    elif isinstance(texts, dict):
        raise TypeError(f"{name} must be a list or column of complaints, not a dict; pass list(d.values())")
    else:
        try:
            values = list(texts)
        except TypeError:
            raise TypeError(f"{name} must be a list or column of complaints, got {type(texts).__name__}") from None
    out: List[Optional[str]] = []
    for row, value in enumerate(values):
        if isinstance(value, str):
            out.append(value)
        elif is_missing(value):
            out.append(None)
        else:
            raise InputError(
                f"row {row} of {name} is {type(value).__name__} {_describe(value)}, not text; "
                "convert the column to text first (e.g. df[col].astype(\"string\"), which keeps missing cells missing) "
                "or set non-text cells to None"
            )
    return out


def clean_surrogates(texts: List[Optional[str]]) -> List[Optional[str]]:
    """Replace lone surrogates (which UTF-8 cannot hold) in every row."""
    return [t if t is None else _clean(t) for t in texts]


def call_with_texts(fn: Any, texts: List[Optional[str]], *args: Any, **kwargs: Any) -> Any:
    """``fn(texts, ...)`` of the native module, with lone surrogates replaced
    (copying the rows) only when a row has any."""
    try:
        return fn(texts, *args, **kwargs)
    except UnicodeEncodeError:
        return fn(clean_surrogates(texts), *args, **kwargs)


def says_nothing_rows(texts: List[Optional[str]]) -> "np.ndarray":
    """Per row, whether it holds no complaint, as the core reads it (see
    :func:`painpoints.says_nothing`)."""
    import numpy as np

    from . import _painpoints

    return np.asarray(call_with_texts(_painpoints.says_nothing, texts), dtype=bool)


def pandas_index(values: Any) -> Any:
    """The index of a pandas Series (complaints, dates, segments), or None
    for anything else."""
    return values.index if type(values).__module__.startswith("pandas") and hasattr(values, "index") else None
