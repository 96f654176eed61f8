"""Concurrency: shared models across Python threads, thread-count
independence, and fork safety after painpoints has started its workers."""
from __future__ import annotations

import multiprocessing
import threading
from typing import Any, List

import numpy as np
import pytest

import painpoints as pp

from conftest import synthetic

QUIET = dict(progress=False)


def _texts() -> List[Any]:
    base, _ = synthetic(60)
    extra = ["my parcel and my refund are both late", "card stolen", "", None, "😡", "退款没有收到",
             "the app crashed and my refund was not received", "XXXX XX/XX/XXXX"]
    return [t for i, b in enumerate(base) for t in (b, extra[i % len(extra)])]


@pytest.fixture(scope="module")
def fitted() -> pp.ProblemModel:
    texts, _ = synthetic()
    return pp.ProblemModel(seed=0, progress=False).fit(texts)


def test_eight_threads_share_one_model(fitted: pp.ProblemModel) -> None:
    texts = _texts() * 10
    expected_ids, expected_sims = fitted.score(texts)
    assert len(set(expected_ids.tolist())) >= 3  # a meaningful mix of answers
    barrier = threading.Barrier(8)
    results: List[Any] = [None] * 8
    errors: List[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            # Each thread scores the rows in its own rotation, several times.
            shift = i * 37 % len(texts)
            rotated = texts[shift:] + texts[:shift]
            out = []
            for _ in range(3):
                ids, sims = fitted.score(rotated)
                out.append((np.roll(ids, shift), np.roll(sims, shift)))
            results[i] = out
        except BaseException as e:  # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a scoring thread hung"
    assert not errors, errors
    for per_thread in results:
        for ids, sims in per_thread:
            assert np.array_equal(ids, expected_ids)
            assert np.array_equal(sims, expected_sims)


def test_threads_fit_and_score_at_once(fitted: pp.ProblemModel) -> None:
    texts = _texts()
    expected_labels = pp.analyze(texts, **QUIET).labels
    expected_pred = fitted.predict(texts)
    out: dict = {}
    errors: List[BaseException] = []

    def fit(i: int) -> None:
        try:
            out[("fit", i)] = pp.analyze(texts, **QUIET).labels
        except BaseException as e:
            errors.append(e)

    def score(i: int) -> None:
        try:
            out[("score", i)] = fitted.predict(texts)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=f, args=(i,)) for i in range(4) for f in (fit, score)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    for (kind, _), labels in out.items():
        assert np.array_equal(labels, expected_labels if kind == "fit" else expected_pred)


def test_same_result_with_1_2_and_8_jobs(fitted: pp.ProblemModel) -> None:
    texts = _texts() * 3
    runs = {n: pp.analyze(texts, n_jobs=n, **QUIET) for n in (1, 2, 8)}
    ref = runs[1]
    assert len(ref.problems) >= 3
    for n, r in runs.items():
        assert np.array_equal(r.labels, ref.labels), n
        assert np.array_equal(r.similarity, ref.similarity), n
        assert [(p.label, p.size, p.keywords) for p in r.problems] == \
               [(p.label, p.size, p.keywords) for p in ref.problems], n
        assert r.model.to_json() == ref.model.to_json(), n
    preds = {}
    for n in (1, 2, 8):
        fitted.set_params(n_jobs=n)
        preds[n] = fitted.score(texts)
    fitted.set_params(n_jobs=None)
    for n in (2, 8):
        assert np.array_equal(preds[n][0], preds[1][0]) and np.array_equal(preds[n][1], preds[1][1])


def _child(model_json: str, texts: List[Any], expected_labels: List[int], expected_pred: List[int]) -> None:
    # Runs in the forked child: painpoints' worker pool of the parent does
    # not exist here; analyze and predict must build their own, not hang.
    import sys

    import painpoints as pp_child

    labels = pp_child.analyze(texts, n_jobs=2, progress=False).labels.tolist()
    model = pp_child.ProblemModel.from_json(model_json)
    model.set_params(n_jobs=2, progress=False)
    pred = model.predict(texts).tolist()
    sys.exit(0 if (labels == expected_labels and pred == expected_pred) else 3)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_fork_after_use_does_not_deadlock(fitted: pp.ProblemModel) -> None:
    texts = _texts()
    # Run painpoints in the parent first, with worker threads, so the pools exist.
    expected_labels = pp.analyze(texts, n_jobs=2, **QUIET).labels.tolist()
    fitted.set_params(n_jobs=2)
    expected_pred = fitted.predict(texts).tolist()
    fitted.set_params(n_jobs=None)
    ctx = multiprocessing.get_context("fork")
    for _ in range(2):  # twice: a second fork from the same parent too
        proc = ctx.Process(target=_child, args=(fitted.to_json(), texts, expected_labels, expected_pred))
        proc.start()
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
            proc.join()
            pytest.fail("forked child deadlocked in analyze/predict")
        assert proc.exitcode == 0, f"child exit code {proc.exitcode} (3 = different answers)"
