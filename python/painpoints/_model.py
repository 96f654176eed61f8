"""The scikit-learn-shaped problem model: fit once, score every new export."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np

from . import _painpoints
from ._embeddings import embedding_array, pack_embeddings
from ._errors import EditError, InputError, ModelFormatError, NotFittedError, ParameterError
from ._files import replaced, same_file
from ._inputs import call_with_texts as _call
from ._inputs import check_count, is_integer, pandas_index, to_texts
from ._language import warn_if_not_english
from ._progress import make_progress
from ._result import _NO_PROBLEM, _OTHER_PROBLEMS, Analysis, Problem, Theme
from ._words import counted

__all__ = ["ProblemModel"]

_PARAM_NAMES = ("seed", "max_problems", "min_size", "threshold", "resolution", "sample_size", "embedding_weight",
                "word_vectors", "n_jobs", "progress")


# Compressions that score_file can append chunk after chunk to.
_APPENDABLE = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}

# More worker threads than this is a mistake, not a speed-up.
_MAX_JOBS = 1024


def _check_int(name: str, value: Any, minimum: int, maximum: int = 2**64 - 1, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not is_integer(value):
        raise ParameterError(f"{name} must be an integer{' or None' if optional else ''}, got {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be at least {minimum}, got {value}")
    if value > maximum:
        raise ParameterError(f"{name} must be at most {maximum}, got {value}")


def _number(name: str, value: Any) -> float:
    """``value`` as a float, or a ParameterError naming the parameter."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    return float(value)


SCORE_COLUMNS = ("problem_id", "problem_label", "similarity")


def warn_replaced_columns(columns: Any) -> None:
    """Warn when an export already has the columns scoring writes (an
    earlier run's scores, scored again): they are replaced."""
    clash = [c for c in SCORE_COLUMNS if c in list(columns)]
    if clash:
        import warnings

        warnings.warn(f"the input already has column(s) {', '.join(clash)} (an earlier run's scores?): "
                      "they are replaced by these scores", UserWarning, stacklevel=3)


def _problem_id(value: Any) -> int:
    if not is_integer(value):
        raise EditError(f"a problem id is an integer (see model.problems_), got {value!r}")
    return int(value)


def _label(value: Any, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise EditError(f"a label is a string, got {value!r}")
    return value


# Column names of over_time() and the reports; a problem named so would be
# counted together with them.
_RESERVED_LABELS = {_NO_PROBLEM, _OTHER_PROBLEMS}


def _only_column(batch: Any) -> Any:
    """A batch that is a one-column pandas or polars DataFrame, as that
    column; anything else as it is (``score`` says what is wrong with it)."""
    if type(batch).__module__.startswith("pyarrow") and hasattr(batch, "column_names"):
        # A pyarrow Table or RecordBatch.
        if len(batch.column_names) == 1:
            return batch.column(0).to_pylist()
    columns = getattr(batch, "columns", None)
    if columns is not None and len(columns) != 1:
        raise InputError(f"a batch is a DataFrame of {len(columns)} columns; pass the complaints' column alone, "
                         "e.g. pd.read_csv(path, usecols=['comment'], chunksize=100_000)")
    if columns is None:
        return batch
    if hasattr(batch, "iloc"):
        return batch.iloc[:, 0]
    to_series = getattr(batch, "to_series", None)
    return to_series() if callable(to_series) else batch


#: At most this many complaints, spread over the input, are scored by the
#: previous model on a refit for ``lineage_["found_again"]``.
_FOUND_AGAIN_ROWS = 20_000


class ProblemModel:
    """Finds recurring problems in complaints and scores new ones against them.

    Parameters are keyword-only; ``fit`` returns the model itself; fitted
    attributes end in ``_``::

        model = ProblemModel(seed=0).fit(texts)
        model.problems_          # ranked problems
        model.labels_            # problem id per training row, -1 = none
        model.predict(new_texts) # same ids for new complaints
        model.save("problems.json"); ProblemModel.load("problems.json")

    Args:
        seed: seed of the one random choice left: the k-means start in the
            rare fit where no group of complaints is large enough to stand
            alone. The sample of ``sample_size`` complaints a large fit
            clusters is chosen by their content, so otherwise the same
            complaints give the same problems whatever the seed, the row
            order or the number of threads.
        max_problems: never more problems than this (default 100).
        min_size: smallest problem, in complaints (default 0.4% of the rows that hold a complaint, at least 3).
        threshold: complaints less similar than this (0..1) to every
            problem get -1, the sign of a problem not seen before (default 0.08).
        resolution: granularity of the problems: above 1 finds more,
            finer problems, below 1 fewer, broader ones (default 1).
        sample_size: at most this many complaints are clustered (chosen by a
            hash of their text, so the same ones whatever the seed or the
            row order); all are assigned.
        embedding_weight: when ``fit`` is given ``embeddings=``, the share
            (0..1, exclusive) of the similarity between two complaints that
            comes from their embeddings; the rest comes from their keywords
            (default 0.5).
        word_vectors: without ``embeddings=``, also compare complaints by
            painpoints' built-in word vectors (static vectors distilled from
            the all-MiniLM-L6-v2 sentence model, shipped with the package; no
            neural network runs), so complaints that say the same thing in
            different words still meet, and by the character pieces of their
            words, so misspellings and handles of one brand meet too.
            ``False`` compares by keywords alone.
            Either way, keywords and labels come from the words (default True).
        n_jobs: worker threads (default: ``PAINPOINTS_NUM_THREADS`` or all CPUs;
            0 is all CPUs too; negative counts back from all CPUs).
        progress: ``None`` shows a progress bar for long runs, ``True``
            always, ``False`` never.
    """

    def __init__(self, *, seed: int = 0, max_problems: Optional[int] = None, min_size: Optional[int] = None,
                 threshold: Optional[float] = None, resolution: float = 1.0, sample_size: int = 20_000,
                 embedding_weight: float = 0.5, word_vectors: bool = True, n_jobs: Optional[int] = None,
                 progress: Optional[bool] = None) -> None:
        self.seed = seed
        self.max_problems = max_problems
        self.min_size = min_size
        self.threshold = threshold
        self.resolution = resolution
        self.sample_size = sample_size
        self.embedding_weight = embedding_weight
        self.word_vectors = word_vectors
        self.n_jobs = n_jobs
        self.progress = progress
        self._fitted: Optional[Any] = None

    # -- scikit-learn protocol -----------------------------------------
    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The constructor parameters, as a dict."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def set_params(self, **params: Any) -> "ProblemModel":
        """Set constructor parameters; returns self. Takes effect at the next ``fit``."""
        for name, value in params.items():
            if name not in _PARAM_NAMES:
                raise ParameterError(f"unknown parameter {name!r}; valid: {', '.join(_PARAM_NAMES)}")
            setattr(self, name, value)
        return self

    def _params_json(self) -> str:
        _check_int("seed", self.seed, 0, optional=False)
        _check_int("max_problems", self.max_problems, 1)
        _check_int("min_size", self.min_size, 1)
        _check_int("sample_size", self.sample_size, 2, optional=False)
        if self.threshold is not None and not (0.0 <= _number("threshold", self.threshold) <= 1.0):
            raise ParameterError(f"threshold must be between 0 and 1, got {self.threshold}")
        if not (0.0 < _number("resolution", self.resolution) <= 100.0):
            raise ParameterError(f"resolution must be above 0 (and at most 100), got {self.resolution}")
        if not (0.0 < _number("embedding_weight", self.embedding_weight) < 1.0):
            raise ParameterError(f"embedding_weight must be between 0 and 1 (exclusive), got {self.embedding_weight}")
        self._jobs()
        if not isinstance(self.word_vectors, (bool, np.bool_)):
            raise ParameterError(f"word_vectors must be True or False, got {self.word_vectors!r}")
        if self.progress is not None and not isinstance(self.progress, (bool, np.bool_)):
            raise ParameterError(f"progress must be True, False or None (a bar where someone watches), "
                                 f"got {self.progress!r}")
        return json.dumps({
            "seed": int(self.seed),
            "max_problems": None if self.max_problems is None else int(self.max_problems),
            "min_size": None if self.min_size is None else int(self.min_size),
            "threshold": None if self.threshold is None else float(self.threshold),
            "resolution": float(self.resolution),
            "sample_size": int(self.sample_size),
            "embedding_weight": float(self.embedding_weight),
            "word_vectors": bool(self.word_vectors),
        })

    def _jobs(self) -> Optional[int]:
        """``n_jobs``, checked."""
        _check_int("n_jobs", self.n_jobs, -_MAX_JOBS)
        if self.n_jobs is not None and self.n_jobs > _MAX_JOBS:
            raise ParameterError(f"n_jobs must be at most {_MAX_JOBS} (this machine has {os.cpu_count()} CPUs), got {self.n_jobs}")
        return None if self.n_jobs is None else int(self.n_jobs)

    def fit(self, texts: Any, y: Any = None, *, previous: Union["ProblemModel", str, "os.PathLike[str]", None] = None,
            embeddings: Any = None) -> "ProblemModel":
        """Find the problems in ``texts``; returns self.

        ``texts``: list of str, pandas/polars Series, numpy array or any
        iterable of str; None/NaN/empty rows are allowed (labelled -1).
        ``y`` is ignored (scikit-learn pipelines pass it).

        ``previous``: last month's model (or the path of its file). Problems found again keep their
        id, new ones get new ids, the ones that vanished are listed in
        ``lineage_``, and ``previous``'s edits (renames, merges, drops,
        seeds) are applied again.

        ``embeddings``: optional N×d array, one sentence embedding per text
        (e.g. from sentence-transformers), blended into the similarity with
        ``embedding_weight``, in place of the built-in word vectors; keywords
        and labels still come from the words. A model fitted with embeddings
        needs them again to ``predict``. The model keeps a reference to the
        array, not a copy, for later edits (``merge``, ``drop``...) without
        ``texts=``: pass a copy if you will change it in place.
        """
        rows = to_texts(texts)
        params = self._params_json()
        warn_if_not_english(rows)
        # Kept as the caller's array (not a copy: at 1M x 384 a copy is
        # another 1.5 GB) for later edits and stability checks.
        kept = embedding_array(embeddings)
        dense = pack_embeddings(kept)
        prev = None
        if isinstance(previous, (str, os.PathLike)):
            previous = ProblemModel.load(previous)
        if previous is not None:
            if not isinstance(previous, ProblemModel):
                raise ParameterError(f"previous is last month's ProblemModel or the path of its file, got "
                                     f"{type(previous).__name__}")
            prev = previous._model()
        bar = make_progress(self.progress, "painpoints fit")
        try:
            fitted, labels, sims = _call(_painpoints.fit, rows, params, self._jobs(), bar, prev, dense)
        finally:
            if bar is not None:
                bar.close()
        self._fitted = fitted
        self._refit = previous is not None
        # Where last month's model puts these complaints, so lineage_ can
        # say how much of each problem found again is what it was: on up to
        # _FOUND_AGAIN_ROWS rows spread over the input, so a refit of a
        # million rows does not score them all a second time.
        self._before = None
        if prev is not None:
            at = np.unique(np.linspace(0, len(rows) - 1, min(len(rows), _FOUND_AGAIN_ROWS)).astype(np.int64))
            picked_dense = None if kept is None else pack_embeddings(kept[at])
            before, _ = _call(prev.score, [rows[i] for i in at], self._jobs(), None, picked_dense)
            self._before = (at, np.frombuffer(before, dtype="<i8").astype(np.int64))
        self._texts = rows
        self._embeddings = kept
        # A pandas Series keeps its index in the reports' assignments(), for joining back.
        self._index = pandas_index(texts)
        # A named column (df["comment"]) is remembered, so score_file and
        # `painpoints score` find it in the next export by itself.
        name = getattr(texts, "name", None)
        if isinstance(name, str) and name and type(texts).__module__.startswith(("pandas", "polars", "pyarrow")):
            fitted.text_column = name
        self.labels_ = np.frombuffer(labels, dtype="<i8").astype(np.int64)
        self.similarity_ = np.frombuffer(sims, dtype="<f4").astype(np.float32)
        self._refresh()
        return self

    def fit_predict(self, texts: Any, y: Any = None, *,
                    previous: Union["ProblemModel", str, "os.PathLike[str]", None] = None,
                    embeddings: Any = None) -> np.ndarray:
        """``fit(texts)`` and return ``labels_``."""
        return self.fit(texts, previous=previous, embeddings=embeddings).labels_

    # -- analyst edits (stored in the model file, replayed by fit(previous=...)) --
    def _edit(self, edit: Dict[str, Any], texts: Any, embeddings: Any = None) -> "ProblemModel":
        model = self._model()
        label = edit.get("label")
        if isinstance(label, str) and " ".join(label.split()) in _RESERVED_LABELS:
            raise EditError(f"{label!r} names the reports' own columns (complaints without a problem, the "
                            "problems beyond the top); choose another label")
        if edit["edit"] != "seed":
            for i in edit.get("ids", [edit.get("id")]):
                if not 0 <= i < 2**32 - 1:
                    raise EditError(f"no problem with id {i}; the ids are {sorted(p.id for p in self.problems_)}")
        if texts is None:
            rows = getattr(self, "_texts", None)
            dense = pack_embeddings(getattr(self, "_embeddings", None))
        else:
            rows = to_texts(texts)
            dense = pack_embeddings(embeddings)
            fitted_on = model.n_rows
            if len(rows) != fitted_on:
                # (Recounted on other complaints, every problem's size and
                # examples would describe those, not the model's.)
                raise EditError(
                    f"texts= has {counted(len(rows), 'row')}, but this model was fitted on {fitted_on:,}: pass "
                    "the complaints it was fitted on, all of them in their order"
                )
        if rows is None and edit["edit"] != "rename":
            # Say first what is wrong with the edit itself (one id to merge, an
            # unknown id, no keywords), tried on a copy that has no texts.
            _painpoints.FittedModel.from_json(model.to_json()).edit(json.dumps(edit))
            raise EditError(
                "this model was loaded from a file, so its complaints are not at hand; "
                "pass texts= (the complaints it was fitted on) to refresh sizes and labels"
            )
        bar = make_progress(self.progress, "painpoints edit")
        try:
            labels = model.edit(json.dumps(edit), rows, self._jobs(), bar, dense)
        finally:
            if bar is not None:
                bar.close()
        if labels is not None:
            self.labels_ = np.frombuffer(labels, dtype="<i8").astype(np.int64)
        self._refresh()
        return self

    def rename(self, problem_id: int, label: str, *, texts: Any = None) -> "ProblemModel":
        """Give a problem a new label (kept across refits); returns self."""
        return self._edit({"edit": "rename", "id": _problem_id(problem_id), "label": _label(label)}, texts)

    def merge(self, *problem_ids: int, label: Optional[str] = None, texts: Any = None,
              embeddings: Any = None) -> "ProblemModel":
        """Merge problems into the first one (which keeps its id); returns self.

        No complaint moves: the merged problem holds exactly the complaints
        of the problems merged, and scores new ones by them.
        ``texts`` (and, for a model fitted with embeddings, ``embeddings``)
        are the fitting complaints, needed only for a model loaded from a file.
        """
        ids = [_problem_id(i) for i in problem_ids]
        return self._edit({"edit": "merge", "ids": ids, "label": _label(label, optional=True)}, texts, embeddings)

    def drop(self, problem_id: int, *, reassign: bool = False, texts: Any = None,
             embeddings: Any = None) -> "ProblemModel":
        """Remove a problem: its complaints go to -1 and no other complaint
        moves, or with ``reassign=True`` they go to their next-best problem
        (-1 where none is close enough). Returns self. A later
        ``fit(..., previous=model)`` that finds the problem again drops it again."""
        if not isinstance(reassign, (bool, np.bool_)):
            raise EditError(f"reassign must be True or False, got {reassign!r}")
        return self._edit({"edit": "drop", "id": _problem_id(problem_id), "reassign": bool(reassign)}, texts, embeddings)

    def seed_problem(self, keywords: Any, label: Optional[str] = None, *, texts: Any = None,
                     embeddings: Any = None) -> int:
        """Add a problem defined by keywords ("refund", "chargeback"): the
        complaints that use them form its centre. Returns its id. When the
        problem the seed is most like was dropped or merged earlier, the seed
        takes it back (lifts the drop, or takes it out of the merge)."""
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, (list, tuple)) or not all(isinstance(k, str) for k in keywords):
            raise EditError(f"keywords are a word or a list of words, e.g. ['refund', 'chargeback']; got {keywords!r}")
        words = list(keywords)
        before = {p.id for p in self.problems_} if self._fitted is not None else set()
        same = {" ".join(w.lower().split()) for w in words}
        for e in self.edits_ if self._fitted is not None else []:
            if e.get("edit") == "seed" and e.get("id") in before and \
                    {" ".join(str(w).lower().split()) for w in e.get("keywords", [])} == same:
                # (A second problem of the same keywords would hold no complaint now,
                # and take some from the first at the next refit.)
                raise EditError(f"problem {e['id']} ({self.problem_label(e['id'])!r}) was seeded with these "
                                "keywords already; rename it, or seed other keywords")
        self._edit({"edit": "seed", "id": 2**32 - 1, "keywords": words, "label": _label(label, optional=True) or ""},
                   texts, embeddings)
        new = [p.id for p in self.problems_ if p.id not in before]
        return new[0] if new else -1

    @property
    def edits_(self) -> List[Dict[str, Any]]:
        """The analyst edits recorded in the model, oldest first."""
        return json.loads(self._model().edits_json())

    @property
    def lineage_(self) -> Dict[str, Any]:
        """After ``fit(previous=...)``: ids ``kept`` from the previous model,
        ids that are ``new``, ``vanished`` previous problems as (id, label),
        and ``found_again``: for each kept id, the share of its complaints
        that the previous model puts in that same problem (1.0: the same
        problem; below 0.5: it now holds mostly complaints the previous
        model put elsewhere, so compare its counts across months with care).
        The shares are of up to 20,000 complaints spread over the input (all
        of them in a smaller one). ``found_again`` is empty for a model
        loaded from a file, which no longer holds the complaints."""
        kept, new, vanished = self._model().lineage()
        return {"kept": list(kept), "new": list(new), "vanished": [(int(i), str(l)) for i, l in vanished],
                "found_again": self._found_again(kept)}

    def _found_again(self, kept: List[int]) -> Dict[int, float]:
        """For each kept id holding complaints (among the rows scored by the
        previous model), the share of them the previous model put there too."""
        before = getattr(self, "_before", None)
        labels = getattr(self, "labels_", None)
        if before is None or labels is None:
            return {}
        at, theirs = before
        if len(at) and at[-1] >= len(labels):
            return {}
        ours = labels[at]
        out = {}
        for i in kept:
            mine = ours == i
            n = int(mine.sum())
            if n:
                out[int(i)] = float((theirs[mine] == i).sum() / n)
        return out

    def _refresh(self) -> None:
        self.problems_: List[Problem] = [
            Problem._from_dict(d, rank=i + 1) for i, d in enumerate(self._model().problems())
        ]

    @property
    def themes_(self) -> List[Theme]:
        """Related problems grouped one level up, largest first (see :class:`painpoints.Theme`)."""
        return [Theme._from_dict(d, id=i) for i, d in enumerate(self._model().themes())]

    def _model(self) -> Any:
        if self._fitted is None:
            raise NotFittedError("this ProblemModel is not fitted yet; call fit(texts) or ProblemModel.load(path) first")
        return self._fitted

    def score(self, texts: Any, *, embeddings: Any = None) -> Tuple[np.ndarray, np.ndarray]:
        """Problem id (-1 = no known problem) and similarity (0..1) of every row, in order.

        The similarity is to the centre of the row's problem. A row gets -1
        when no problem's centre reaches ``threshold_``, and (-1, 0) when it
        holds no complaint (missing, blank, or a non-answer such as "n/a" or
        "no comment": see :func:`painpoints.says_nothing`); otherwise a short
        complaint goes to the problem its words are most likely drawn from
        among those it shares a keyword with, whose centre it may resemble
        less than ``threshold_``.

        ``embeddings``: for a model fitted with embeddings, one per text from
        the same embedding model (required then, refused otherwise).
        """
        model = self._model()
        # A list goes to the extension as it is: it checks each row is str or
        # None on the way in. Anything else, or a list with other rows (NaN,
        # numbers...), goes through to_texts, which converts or names the row.
        rows = texts if type(texts) is list else to_texts(texts)
        dense = pack_embeddings(embeddings)
        bar = make_progress(self.progress, "painpoints score")
        try:
            try:
                ids, sims = _call(model.score, rows, self._jobs(), bar, dense)
            except TypeError:
                if rows is not texts:
                    raise
                rows = to_texts(texts)
                ids, sims = _call(model.score, rows, self._jobs(), bar, dense)
        finally:
            if bar is not None:
                bar.close()
        return (np.frombuffer(ids, dtype="<i8").astype(np.int64), np.frombuffer(sims, dtype="<f4").astype(np.float32))

    def analysis(self, texts: Any = None, *, top: int = 3, embeddings: Any = None) -> Analysis:
        """A report of ``texts`` by this model's problems as they are now,
        after the analyst's edits: the same :class:`painpoints.Analysis` that
        :func:`painpoints.analyze` returns, with every problem's size, share
        and examples counted on ``texts``.

        ``texts``: this month's export scored by last month's problems (no
        refit: ids, labels and edits stay as they are), or, left out, the
        complaints the model was fitted on, which it still holds until it is
        saved or pickled. ``embeddings``: for a model fitted with embeddings,
        one per text (left out with ``texts``: the fit's own).

        The report's ``model`` is a copy of this one counted on ``texts``;
        edit this model, then ask for a new report.

        >>> import painpoints as pp
        >>> texts = ["refund not received", "still waiting for my refund", "app crashes at login"] * 10
        >>> model = pp.ProblemModel(min_size=3).fit(texts)
        >>> refund = next(p.id for p in model.problems_ if "refund" in p.label)
        >>> report = model.rename(refund, "money back").analysis()
        >>> report.problem(refund).label
        'money back'
        """
        check_count("top", top)
        model = self._model()
        if texts is None:
            rows = getattr(self, "_texts", None)
            if rows is None:
                raise InputError(
                    "this model was loaded from a file or unpickled, so its complaints are not at hand; "
                    "pass texts= (the complaints to report on)"
                )
            kept = getattr(self, "_embeddings", None) if embeddings is None else embedding_array(embeddings)
            index = getattr(self, "_index", None)
        else:
            rows = to_texts(texts)
            kept = embedding_array(embeddings)
            index = pandas_index(texts)
        copy = ProblemModel.from_json(model.to_json())
        copy.set_params(n_jobs=self.n_jobs, progress=self.progress)
        fitted = copy._model()
        bar = make_progress(self.progress, "painpoints report")
        try:
            ids, sims = _call(fitted.refresh, rows, self._jobs(), bar, pack_embeddings(kept))
        finally:
            if bar is not None:
                bar.close()
        copy._texts = rows
        copy._embeddings = kept
        copy.labels_ = np.frombuffer(ids, dtype="<i8").astype(np.int64)
        copy.similarity_ = np.frombuffer(sims, dtype="<f4").astype(np.float32)
        copy._refresh()
        copy._index = index
        # What a refit in this session changed, as analyze(previous=...) reports it.
        lineage = self.lineage_ if getattr(self, "_refit", False) else None
        return Analysis(copy.problems_, copy.labels_, copy.similarity_, copy, top=top, index=index, lineage=lineage)

    def predict(self, texts: Any, *, embeddings: Any = None) -> np.ndarray:
        """Problem id of every row, in order; -1 where no known problem is similar enough.

        On the training texts this gives exactly ``labels_``; a row's answer
        does not depend on the other rows in the batch.
        """
        return self.score(texts, embeddings=embeddings)[0]

    def score_batches(self, batches: Iterable[Any]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Score an input too large for memory, batch by batch, in order.

        ``batches`` is any iterable of batches (lists, Series, arrays, or
        pandas/polars DataFrames of one column, as
        ``pd.read_csv(path, usecols=["comment"], chunksize=100_000)`` gives);
        yields ``(ids, similarity)`` per batch. Memory stays bounded by one batch; answers do not depend on
        how the rows are batched. (A model fitted with embeddings scores
        with ``score(texts, embeddings=...)`` instead.)
        """
        self._no_embeddings("score_batches")
        if type(batches).__module__.split(".")[0] in ("pandas", "polars", "pyarrow", "numpy") and \
                type(batches).__name__ in ("DataFrame", "Series", "LazyFrame", "Table", "RecordBatch", "Array",
                                           "ChunkedArray", "StringArray", "LargeStringArray", "ndarray"):
            # (Iterating a DataFrame gives its column names, or in polars its
            # columns, each scored as a batch.)
            raise InputError(
                f"score_batches takes an iterable of batches, and a {type(batches).__name__} is one batch: score it "
                "with model.score(df['comment']), or pass batches such as "
                "pd.read_csv(path, usecols=['comment'], chunksize=100_000)"
            )
        if isinstance(batches, (str, bytes)) or not hasattr(batches, "__iter__"):
            raise InputError(f"score_batches takes an iterable of batches of complaints, got {type(batches).__name__}")
        for batch in batches:
            if batch is None or isinstance(batch, (str, bytes)):
                raise InputError(
                    "score_batches takes batches of complaints (lists, columns, one-column DataFrames), e.g. "
                    "pd.read_csv(path, usecols=['comment'], chunksize=100_000), and was given single complaints: "
                    "for one column of complaints use model.score(texts) or model.predict(texts)"
                )
            yield self.score(_only_column(batch))

    def score_file(self, path: "os.PathLike[str] | str", output: "os.PathLike[str] | str", *,
                   text: Optional[str] = None, chunk_rows: int = 100_000) -> int:
        """Score a CSV/TSV/JSON Lines/Parquet file in chunks, writing every row
        (original columns plus ``problem_id``, ``problem_label``,
        ``similarity``) in order to ``output``: CSV, or by its extension TSV
        (``.tsv``, ``.tab``) or JSON Lines (``.jsonl``, ``.ndjson``), optionally
        compressed (``.gz``, ``.bz2``, ``.xz``). Returns the number of rows
        written. Memory stays bounded by one chunk.

        ``output`` appears only once every row is scored (it is written
        next to it under a temporary name first), so a failure never leaves
        half a file, and it may not be ``path`` itself.
        """
        from .io import _COMPRESSION_SUFFIXES, detect_format, iter_table_chunks, resolve_column

        self._no_embeddings("score_file")
        _check_int("chunk_rows", chunk_rows, 1, optional=False)
        column = text or self.text_column_
        if column is None:
            raise ParameterError("say which column holds the complaints: text='comment'")
        src, dst = os.path.realpath(os.fspath(path)), os.path.realpath(os.fspath(output))
        if not os.path.isfile(src):
            raise InputError(f"file not found: {os.fspath(path)}")
        if same_file(src, dst):
            raise ParameterError(f"output {os.fspath(output)!r} is the input file; write the scores to another path")
        if os.path.isdir(dst):
            raise InputError(f"cannot write {os.fspath(output)!r}: it is a directory; name a file in it")
        fmt = detect_format(dst)
        name = os.path.basename(dst).lower()
        compression = next((c for s, c in _APPENDABLE.items() if name.endswith(s)), None)
        other = tuple(_COMPRESSION_SUFFIXES - _APPENDABLE.keys())
        if fmt not in ("csv", "tsv", "jsonl") or name.endswith(other):
            raise ParameterError(
                f"score_file writes CSV, TSV or JSON Lines (.csv, .tsv, .jsonl, optionally .gz, .bz2 or .xz), "
                f"not {os.fspath(output)!r}; "
                "for Parquet or Excel, score a DataFrame with model.score() or use `painpoints score`"
            )
        if not os.path.isdir(os.path.dirname(dst)):
            raise InputError(f"cannot write {os.fspath(output)!r}: its folder does not exist")
        labels = {p.id: p.label for p in self.problems_}
        written = 0
        with replaced(output) as tmp:
            for chunk in iter_table_chunks(path, chunk_rows=chunk_rows):
                col = resolve_column(chunk, column)
                if written == 0:
                    warn_replaced_columns(chunk.columns)
                try:
                    ids, sims = self.score(chunk[col])
                except InputError as e:
                    # (Its row numbers count from the chunk's first row.)
                    raise InputError(f"{os.fspath(path)}, the rows {written + 1:,} to {written + len(chunk):,} "
                                     f"(numbered from 0 below): {e}") from None
                chunk = chunk.copy()
                chunk["problem_id"] = ids
                chunk["problem_label"] = [labels.get(int(i), "") for i in ids]
                chunk["similarity"] = np.round(sims.astype(np.float64), 4)
                mode = "w" if written == 0 else "a"
                if fmt == "jsonl":
                    chunk.to_json(tmp, orient="records", lines=True, force_ascii=False, mode=mode,
                                  compression=compression, double_precision=15)
                else:
                    chunk.to_csv(tmp, index=False, header=written == 0, sep="\t" if fmt == "tsv" else ",",
                                 mode=mode, encoding="utf-8", compression=compression)
                written += len(chunk)
            if not os.path.exists(tmp):  # no chunk at all
                open(tmp, "w").close()
        return written

    def _no_embeddings(self, method: str) -> None:
        dim = self._model().embedding_dim
        if dim is not None:
            raise InputError(
                f"this model was fitted with {dim}-column embeddings, which {method} cannot supply; "
                "score each batch with model.score(texts, embeddings=...)"
            )

    @property
    def embedding_dim_(self) -> Optional[int]:
        """Columns of the embeddings the model was fitted with; None if fitted without."""
        return self._model().embedding_dim

    @property
    def threshold_(self) -> float:
        """The similarity threshold in use for scoring."""
        return float(self._model().threshold)

    @threshold_.setter
    def threshold_(self, value: float) -> None:
        value = _number("threshold_", value)
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"threshold_ must be between 0 and 1, got {value}")
        self._model().threshold = value

    @property
    def text_column_(self) -> Optional[str]:
        """The text column the model was fitted on, if recorded (saved in the model file)."""
        return self._model().text_column

    @text_column_.setter
    def text_column_(self, value: Optional[str]) -> None:
        self._model().text_column = value

    def problem_label(self, problem_id: int) -> str:
        """The label of a problem id ("" for -1)."""
        if problem_id < 0:
            return ""
        for p in self.problems_:
            if p.id == problem_id:
                return p.label
        raise KeyError(f"no problem with id {problem_id}")

    # -- model files -----------------------------------------------------
    def to_json(self) -> str:
        """The model file contents: JSON with a schema and library version."""
        return self._model().to_json()

    def save(self, path: "os.PathLike[str] | str") -> None:
        """Write the model file (JSON) to ``path``, replacing it only once
        the whole model is written."""
        data = self.to_json()
        # (Whole or not at all: a full disk leaves the previous file as it was.)
        with replaced(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            f.write(data)

    @classmethod
    def from_json(cls, data: str) -> "ProblemModel":
        """Read a model from its JSON text; raises :class:`ModelFormatError` if damaged."""
        if not isinstance(data, str):
            raise ModelFormatError(f"a model file's contents must be text, got {type(data).__name__}")
        fitted = _painpoints.FittedModel.from_json(data)
        model = cls()
        try:
            params = json.loads(data).get("params", {})
            model.set_params(**{k: v for k, v in params.items() if k in _PARAM_NAMES})
        except (ValueError, AttributeError):
            pass
        model._fitted = fitted
        model._refresh()
        return model

    @classmethod
    def load(cls, path: "os.PathLike[str] | str") -> "ProblemModel":
        """Read a model file written by :meth:`save`. Loading never runs code."""
        try:
            # (utf-8-sig: an editor that saved the file with a byte-order mark
            # changed nothing in it.)
            with open(path, "r", encoding="utf-8-sig") as f:
                data = f.read()
        except UnicodeDecodeError as e:
            raise ModelFormatError(f"{path} is not a painpoints model file (not UTF-8 text: {e})") from None
        except FileNotFoundError:
            raise InputError(f"no model file at {os.fspath(path)}: check the path, or write one with "
                             "model.save(path) or `painpoints fit EXPORT -o PATH`") from None
        except IsADirectoryError:
            raise InputError(f"{os.fspath(path)} is a directory, not a model file") from None
        return cls.from_json(data)

    # Pickling goes through the same JSON, so a model travels to worker processes.
    def __getstate__(self) -> Dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_fitted", "_texts", "_embeddings", "_index")}
        state["_model_json"] = None if self._fitted is None else self._fitted.to_json()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        data = state.pop("_model_json", None)
        self.__dict__.update(state)
        self._fitted = None if data is None else _painpoints.FittedModel.from_json(data)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v != _DEFAULTS.get(k))
        fitted = "" if self._fitted is None else f" fitted: {len(self.problems_)} problems"
        return f"ProblemModel({args}){fitted}"


_DEFAULTS = {name: ProblemModel.__init__.__kwdefaults__[name] for name in _PARAM_NAMES}  # type: ignore[index]
