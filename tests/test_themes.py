"""Themes: related problems grouped one level up."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import painpoints as pp
from conftest import load_labelled


@pytest.fixture(scope="module")
def cfpb():
    texts, truth = load_labelled("cfpb_products")
    return texts, np.array(truth), pp.analyze(texts, progress=False)


def test_every_problem_is_in_exactly_one_theme(cfpb):
    _, _, result = cfpb
    themes = result.themes()
    ids = [pid for t in themes for pid in t.problem_ids]
    assert sorted(ids) == sorted(p.id for p in result.problems)
    assert [t.id for t in themes] == list(range(len(themes)))
    sizes = {p.id: p.size for p in result.problems}
    # Ranked as problems are: by different complaints (size less copies),
    # then by size.
    rank = {p.id: (p.size - p.copies, p.size) for p in result.problems}
    totals = [tuple(map(sum, zip(*(rank[i] for i in t.problem_ids)))) for t in themes]
    assert totals == sorted(totals, reverse=True)
    for t in themes:
        assert t.size == sum(sizes[i] for i in t.problem_ids)
        assert [rank[i] for i in t.problem_ids] == sorted((rank[i] for i in t.problem_ids), reverse=True)
        assert t.keywords and t.label
        assert result.theme_of(t.problem_ids[0]) == t
    assert len({t.label for t in themes}) == len(themes)
    _assert_theme_labels(themes)
    # Fewer themes than problems: some problems do belong together.
    assert len(themes) < len(result.problems)


def _assert_theme_labels(themes):
    for t in themes:
        if len(t.problem_ids) > 1:
            # Two (or three) words, each of its own family: never "verified / verification".
            words = t.label.split(" / ")
            assert 2 <= len(words) <= 3, t.label
            stems = [w[:5] for w in words]
            assert len(set(stems)) == len(stems), t.label


def test_theme_labels_on_the_bundled_sample():
    # Several problems of the sample roll up, and their themes read well
    # (the rule itself is tested in Rust: themes::one_per_family).
    result = pp.analyze(pp.load_sample(), progress=False)
    assert any(len(t.problem_ids) > 1 for t in result.themes())
    _assert_theme_labels(result.themes())


def test_theme_ids_follow_the_rows(cfpb):
    _, _, result = cfpb
    tid = result.theme_ids
    assert tid.shape == result.labels.shape
    assert ((tid == -1) == (result.labels == -1)).all()
    for t in result.themes():
        assert np.isin(result.labels[tid == t.id], t.problem_ids).all()
    table = result.to_pandas()
    assert list(table["theme"]) == [result.theme_of(int(i)).label for i in table["problem_id"]]


def test_credit_report_problems_roll_up_together(cfpb):
    # Credit reporting is half of these complaints and comes out as several
    # specific problems (bankruptcy, hard inquiries, identity theft, ...);
    # at least one theme gathers several of them, nearly all credit reporting.
    _, truth, result = cfpb
    tid = result.theme_ids
    best = 0.0
    for t in result.themes():
        if len(t.problem_ids) < 2:
            continue
        top, n = Counter(truth[tid == t.id]).most_common(1)[0]
        if top.startswith("Credit reporting"):
            best = max(best, n / t.size)
    assert best >= 0.8


def test_themes_follow_edits(complaints):
    texts, _ = complaints
    model = pp.ProblemModel(min_size=5, progress=False).fit(texts)
    assert len(model.themes_) == len(model.problems_) == 3  # three unrelated problems
    a, b = model.problems_[0].id, model.problems_[1].id
    model.merge(a, b, label="merged")
    themes = model.themes_
    ids = sorted(pid for t in themes for pid in t.problem_ids)
    assert ids == sorted(p.id for p in model.problems_)
    assert b not in ids and a in ids


def test_summary_and_report_show_a_problems_theme(cfpb):
    _, _, result = cfpb
    shared = [p for p in result.top(3) if len(result.theme_of(p.id).problem_ids) > 1]
    text = result.summary()
    page = result.to_html()
    for p in shared:
        label = result.theme_of(p.id).label
        assert f"theme: {label}" in text
        assert "theme: " + label in page  # plain words: escaping leaves them as they are
    assert ("theme:" in text) == bool(shared)


def test_theme_is_not_fitted_without_a_model():
    with pytest.raises(pp.NotFittedError):
        pp.ProblemModel().themes_


@pytest.mark.parametrize("texts", [[], ["", None, "   "]])
def test_no_problems_no_themes(texts):
    result = pp.analyze(texts, progress=False)
    assert result.themes() == []
    assert result.theme_ids.tolist() == [-1] * len(texts)
