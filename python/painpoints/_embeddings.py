"""Checking and packing caller-supplied sentence embeddings."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ._errors import InputError

__all__ = ["embedding_array", "pack_embeddings"]


def embedding_array(embeddings: Any) -> Optional[np.ndarray]:
    """``embeddings`` (an N×d array, one row per text) as a 2-D float32
    numpy array: the caller's own array when it already is one (no copy),
    a converted one otherwise; ``None`` passes through.

    Accepts numpy arrays, lists of lists, pandas/polars frames and torch
    tensors. Raises :class:`InputError` when it is not a 2-D array of
    numbers; the core checks the rest (one row per text, at least one
    column, the width a fitted model expects, finite values) and names the
    row at fault.
    """
    if embeddings is None:
        return None
    if hasattr(embeddings, "detach") and hasattr(embeddings, "cpu"):  # a torch tensor
        embeddings = embeddings.detach().cpu().numpy()
    try:
        arr = np.asarray(embeddings, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise InputError(f"embeddings must be a 2-D array of numbers, one row per text: {e}") from None
    if arr.ndim != 2:
        raise InputError(
            f"embeddings must be a 2-D array (one row per text), got {arr.ndim} dimension(s) of shape {arr.shape}"
        )
    return arr


def pack_embeddings(embeddings: Any) -> Optional[Tuple[bytes, int, int]]:
    """``embeddings`` (see :func:`embedding_array`) as little-endian float32
    bytes with its shape, for the core; ``None`` passes through. The bytes
    are an immutable snapshot, so the core can read them without the GIL.
    """
    arr = embedding_array(embeddings)
    if arr is None:
        return None
    return (np.ascontiguousarray(arr, dtype="<f4").tobytes(), int(arr.shape[0]), int(arr.shape[1]))
