"""The one-call entry point."""
from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np

from ._inputs import check_count, says_nothing_rows, to_texts
from ._model import ProblemModel
from ._result import Analysis

__all__ = ["analyze", "says_nothing"]


def analyze(texts: Any, *, top: int = 3, seed: int = 0, max_problems: Optional[int] = None,
            min_size: Optional[int] = None, threshold: Optional[float] = None,
            resolution: float = 1.0, sample_size: int = 20_000, n_jobs: Optional[int] = None,
            progress: Optional[bool] = None, embeddings: Any = None,
            embedding_weight: float = 0.5, word_vectors: bool = True,
            previous: Union[ProblemModel, str, "os.PathLike[str]", None] = None) -> Analysis:
    """Find and rank the recurring problems in ``texts``.

    Args:
        texts: a list of str, pandas or polars Series, numpy array, or any
            iterable of str. None, NaN and empty strings are allowed: they are
            labelled -1, never dropped, so ``labels`` lines up with the input.
        top: how many problems the summary headlines (all are kept).
        seed: seed of the one random choice left, rarely used; the same
            texts give the same result whatever the seed (see :class:`ProblemModel`).
        max_problems, min_size, threshold, resolution, sample_size, n_jobs, progress:
            see :class:`ProblemModel`.
        embeddings: optional N×d array of sentence embeddings, one row per
            text (e.g. ``SentenceTransformer(...).encode(texts)``), blended
            into the similarity; keywords and labels still come from the words.
        embedding_weight: the share (0..1, exclusive) of the similarity that
            comes from ``embeddings`` (default 0.5).
        word_vectors: without ``embeddings``, also compare complaints by the
            built-in word vectors (default True); see :class:`ProblemModel`.
        previous: last month's model (``result.model``, one loaded from a
            file, or the path of its file): problems found again keep their id and the analyst's
            edits are applied again (see :meth:`ProblemModel.fit`); the
            result's ``lineage`` and summary say what is new and what is gone.

    Returns:
        An :class:`Analysis`: ``result.top(3)``, ``result.labels``,
        ``result.coverage(3)``, ``result.to_pandas()``; it renders as HTML
        in a notebook and as text with ``print``.

    >>> import painpoints as pp
    >>> texts = ["refund not received", "still waiting for my refund", "app crashes at login"] * 10
    >>> result = pp.analyze(texts, min_size=3)
    >>> len(result.labels) == len(texts)
    True
    """
    check_count("top", top)
    model = ProblemModel(seed=seed, max_problems=max_problems, min_size=min_size, threshold=threshold,
                         resolution=resolution, sample_size=sample_size, embedding_weight=embedding_weight,
                         word_vectors=word_vectors, n_jobs=n_jobs, progress=progress)
    model.fit(texts, embeddings=embeddings, previous=previous)
    # A pandas Series keeps its index in assignments(), for joining back.
    return Analysis(model.problems_, model.labels_, model.similarity_, model, top=top, index=model._index,
                    lineage=None if previous is None else model.lineage_)


def says_nothing(texts: Any) -> np.ndarray:
    """Per text, whether it holds no complaint, as :func:`analyze` and
    :meth:`ProblemModel.predict` read it.

    A text says nothing when it is missing or blank, has no words at all
    (punctuation, a link alone, emoji), or is a short non-answer: each of
    its words is a stop word, a word that reports nothing ("n/a",
    "anything", "sure"), praise that is not negated ("all good", "great
    service", "keep up the good work"), or a complaint word that is negated
    ("no complaints", "never had a problem"); it says so (a word such as
    "no", "nothing", "not", "same", "thanks", or praise, or such a negated
    complaint word); it asks, wishes and compares nothing ("?", "more",
    "could", "before", "again"); and it holds no amount, number, date or id.
    Such rows get no problem (-1), stay out of the fit and of every share,
    and are counted in :attr:`Analysis.n_empty`. "not good", "no response",
    "nothing works", "never again" and "staff could be more helpful" are
    complaints. English only.

    Args:
        texts: a list of str, pandas or polars Series, numpy array, or any
            iterable of str (None and NaN allowed).

    Returns:
        A boolean numpy array, one value per text, in order.

    >>> import painpoints as pp
    >>> pp.says_nothing(["N/A", "no complaints, great service", "not good", "refund not received"]).tolist()
    [True, True, False, False]
    """
    return says_nothing_rows(to_texts(texts))
