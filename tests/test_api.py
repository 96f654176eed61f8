"""The analyst API: inputs, alignment, results, determinism, display."""
from __future__ import annotations

import html.parser
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import painpoints as pp
from conftest import synthetic


@pytest.fixture(scope="module")
def result(complaints):
    return pp.analyze(complaints[0], min_size=5)


def test_version_comes_from_cargo():
    import tomllib
    from pathlib import Path

    cargo = tomllib.loads((Path(__file__).resolve().parents[1] / "Cargo.toml").read_text())
    assert pp.__version__ == cargo["package"]["version"]


def test_finds_the_three_problems(result, complaints):
    texts, truth = complaints
    assert len(result.problems) == 3
    # Every problem is pure: all its complaints share one true topic.
    for p in result.problems:
        topics = {truth[i] for i in np.flatnonzero(result.labels == p.id)}
        assert len(topics) == 1, (p.label, topics)
    labels = " | ".join(p.label for p in result.problems)
    for word in ("delivery", "refund", "app"):
        assert word in labels, labels


def test_problem_fields(result):
    sizes = [p.size for p in result.problems]
    assert sizes == sorted(sizes, reverse=True)
    assert [p.rank for p in result.problems] == [1, 2, 3]
    assert len({p.id for p in result.problems}) == 3
    for p in result.problems:
        assert p.size == int((result.labels == p.id).sum())
        assert p.share == pytest.approx(p.size / result.n_rows)
        assert 0 < p.cohesion <= 1
        assert 3 <= len(p.examples) <= 5
        weights = [w for _, w in p.keywords]
        assert weights == sorted(weights, reverse=True)
        for ex in p.examples:
            assert result.labels[ex.row] == p.id
        assert "_" not in p.label and p.label.strip() == p.label


def test_top_and_coverage(result):
    assert result.top(2) == result.problems[:2]
    assert result.top(0) == []
    assert result.coverage(1) == pytest.approx(result.problems[0].size / result.n_rows)
    assert result.coverage(10) == pytest.approx(sum(p.size for p in result.problems) / result.n_rows)
    for bad in (-1, 1.5, True):
        with pytest.raises(pp.ParameterError, match="non-negative integer"):
            result.coverage(bad)


@pytest.mark.parametrize("kind", ["list", "tuple", "pandas", "polars", "numpy", "generator"])
def test_input_types_agree(kind, complaints):
    texts = list(complaints[0])
    texts[5] = None
    texts[9] = ""
    expected = pp.analyze(texts, min_size=5).labels
    if kind == "tuple":
        data = tuple(texts)
    elif kind == "pandas":
        data = pd.Series(texts, dtype=object)
    elif kind == "polars":
        data = pl.Series(texts, dtype=pl.Utf8)
    elif kind == "numpy":
        data = np.array(texts, dtype=object)
    elif kind == "generator":
        data = (t for t in texts)
    else:
        data = texts
    got = pp.analyze(data, min_size=5).labels
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_missing_rows_are_kept_in_place(complaints):
    texts = list(complaints[0])
    holes = {0: None, 7: float("nan"), 13: "", 21: pd.NA, 30: "   ", 31: np.nan}
    messy = [holes.get(i, t) for i, t in enumerate(texts)]
    clean = pp.analyze(texts, min_size=5)
    got = pp.analyze(messy, min_size=5)
    assert len(got.labels) == len(texts)
    for i in holes:
        assert got.labels[i] == -1
    # The other rows are grouped as before.
    from sklearn.metrics import adjusted_rand_score

    keep = [i for i in range(len(texts)) if i not in holes]
    assert adjusted_rand_score(clean.labels[keep], got.labels[keep]) > 0.9
    # Missing cells written out as text (pandas' astype(str) before 3.0:
    # "nan", "NaT"; "None", "<NA>", "null") are blank rows too, not a problem.
    spelt = dict(zip(range(2, len(texts), 4), ["nan", "NaN", "NaT", "None", "<NA>", "null"] * 5))
    written = pp.analyze([spelt.get(i, t) for i, t in enumerate(texts)], min_size=5)
    assert all(written.labels[i] == -1 for i in spelt) and written.n_empty == len(spelt)
    assert not any(p.label.lower() in ("nan", "nat", "none", "null") for p in written.problems)


def test_pandas_series_with_index_keeps_positions(complaints):
    texts = complaints[0]
    s = pd.Series(texts, index=np.arange(len(texts))[::-1] * 10)
    np.testing.assert_array_equal(pp.analyze(s, min_size=5).labels, pp.analyze(texts, min_size=5).labels)


def test_bad_inputs_are_clear():
    with pytest.raises(TypeError, match="single str"):
        pp.analyze("just one complaint")
    with pytest.raises(pp.InputError, match="row 1"):
        pp.analyze(["fine", 42, "fine"])
    with pytest.raises(ValueError, match="row 0"):
        pp.analyze([b"bytes"])
    with pytest.raises(TypeError, match="DataFrame"):
        pp.analyze(pd.DataFrame({"a": ["x"]}))
    with pytest.raises(pp.ParameterError, match="max_problems"):
        pp.analyze(["x"], max_problems=0)
    with pytest.raises(ValueError, match="threshold"):
        pp.analyze(["x"], threshold=1.5)


def test_empty_and_tiny_inputs():
    r = pp.analyze([])
    assert r.n_rows == 0 and r.problems == [] and r.labels.shape == (0,)
    assert r.coverage(3) == 0.0
    r = pp.analyze([None, "", None])
    assert list(r.labels) == [-1, -1, -1]
    r = pp.analyze(["my card was stolen"])
    assert r.labels.shape == (1,)
    str(r)
    r._repr_html_()


def test_deterministic_for_a_seed_whatever_the_threads(complaints):
    texts = complaints[0]
    runs = [pp.analyze(texts, seed=3, n_jobs=n, min_size=5) for n in (1, 2, 4)]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.labels, runs[0].labels)
        assert [p.label for p in r.problems] == [p.label for p in runs[0].problems]
        assert r.model.to_json() == runs[0].model.to_json()


def test_thread_env_variable(monkeypatch):
    from painpoints import _painpoints

    monkeypatch.setenv("PAINPOINTS_NUM_THREADS", "1")
    assert _painpoints.thread_count(None) == 1
    assert _painpoints.thread_count(3) == 3


def test_tables(result):
    df = result.to_pandas()
    assert list(df["label"]) == [p.label for p in result.problems]
    assert list(df["size"]) == [p.size for p in result.problems]
    pl_df = result.to_polars()
    assert pl_df["label"].to_list() == list(df["label"])
    a = result.assignments()
    assert len(a) == result.n_rows
    assert list(a["row"]) == list(range(result.n_rows))
    np.testing.assert_array_equal(a["problem_id"].to_numpy(), result.labels)


def test_assignments_keep_a_series_index_for_joining_back(complaints):
    # A filtered, sorted DataFrame: its index is neither 0..n nor in order.
    df = pd.DataFrame({"comment": complaints[0]}).iloc[::-1]
    df = df[df.index % 7 != 3]
    result = pp.analyze(df["comment"], min_size=5)
    a = result.assignments()
    assert list(a.index) == list(df.index)
    assert list(a["row"]) == list(range(len(df)))
    joined = df.join(a)
    np.testing.assert_array_equal(joined["problem_id"].to_numpy(), result.labels)
    # A list has no index to keep: positions.
    assert list(pp.analyze(list(df["comment"]), min_size=5).assignments().index) == list(range(len(df)))
    # A repeated index (pd.concat without ignore_index) is not kept: a join on
    # it would multiply rows.
    doubled = pd.concat([df["comment"], df["comment"]])
    assert not doubled.index.is_unique
    with pytest.warns(UserWarning, match="reset_index"):
        a = pp.analyze(doubled, min_size=5).assignments()
    assert list(a.index) == list(range(len(doubled)))
    # The columns do not collide with a data set's own "label" column.
    labelled = df.assign(label="x")
    joined = labelled.join(result.assignments())
    assert list(joined["problem_label"]) == [result.model.problem_label(int(i)) or None for i in result.labels]


def test_problem_and_example_reprs_are_compact(result):
    p = result.problems[0]
    text = repr(p)
    assert text.startswith("Problem(id=") and repr(p.label) in text
    assert len(text) < 300
    assert not any(e.text in text for e in p.examples if len(e.text) > 40)
    e = repr(p.examples[0])
    assert e.startswith(f"Example(row={p.examples[0].row}") and len(e) < 140


def test_bad_top_is_a_parameter_error(complaints):
    for bad in ("3", -1, 2.5, True):
        with pytest.raises(pp.ParameterError, match="top"):
            pp.analyze(complaints[0][:30], top=bad)


def test_text_summary(result):
    text = str(result)
    assert result.problems[0].label in text
    assert "#1" in text and "#3" in text
    assert repr(result).startswith("<painpoints.Analysis")


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.attrs = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


@pytest.mark.parametrize("render", ["notebook", "report"])
def test_html_escapes_complaints(render):
    evil = [
        "<script>alert('x')</script> refund not received",
        "<img src=x onerror=alert(1)> refund not received",
        "<a href=\"javascript:alert(1)\">refund</a> not received",
        "refund not received </div></div><b>broken",
    ]
    texts = evil * 10
    r = pp.analyze(texts, min_size=3, top=10)
    assert r.problems, "the markup complaints must form a problem, so that they are rendered"
    page = r._repr_html_() if render == "notebook" else r.to_html(top=10)
    c = _Collector()
    c.feed(page)
    assert "script" not in c.tags and "img" not in c.tags and "a" not in c.tags
    assert not any(a.startswith("on") for a in c.attrs)
    assert "javascript:" not in page.replace("javascript:alert", "")  # only ever inside escaped text
    assert "&lt;script&gt;" in page or "&lt;img" in page or "&lt;a href" in page


@pytest.mark.parametrize("render", ["notebook", "report"])
def test_html_names_the_problems_beyond_the_top(render, complaints):
    r = pp.analyze(list(complaints[0]), min_size=3, top=1)
    assert len(r.problems) >= 3
    page = r._repr_html_() if render == "notebook" else r.to_html()
    rest = page.split(f"The other {len(r.problems) - 1} problems")[1]
    for p in r.problems[1:]:
        assert f"#{p.rank} {html.escape(p.label, quote=False)} ({p.size:,}, {p.share:.1%})" in rest
    assert "The other" not in r.to_html(top=len(r.problems))


def test_html_report_file_and_redaction(tmp_path, complaints):
    # A problem of its own whose every complaint carries the address, so
    # its examples must show it.
    extra = [f"parking fine {w} was unfair, write to jane.doe@example.com" for w in
             ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")]
    texts = list(complaints[0]) + extra
    r = pp.analyze(texts, min_size=3, top=10)
    shown = [e.text for p in r.top(10) for e in p.examples[:3]]
    assert any("jane.doe@example.com" in t for t in shown)
    path = tmp_path / "report.html"
    page = r.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert "jane.doe@example.com" not in page and "[email]" in page
    # The notebook view is saved in the notebook file: redacted too.
    view = r._repr_html_()
    assert "jane.doe@example.com" not in view and "[email]" in view
    assert "jane.doe@example.com" in r.to_html(redact=False)


def test_pickle_round_trip(complaints):
    model = pp.ProblemModel(min_size=5).fit(complaints[0])
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(complaints[0]), model.labels_)
    assert [p.label for p in back.problems_] == [p.label for p in model.problems_]


def test_analyst_steers_the_count():
    texts = pp.load_sample()
    counts = [len(pp.analyze(texts, resolution=r).problems) for r in (0.5, 1.0, 2.0)]
    assert counts[0] < counts[1] < counts[2], counts
    assert len(pp.analyze(texts, max_problems=4).problems) <= 4
    big = pp.analyze(texts, min_size=40)
    assert all(p.size >= 40 for p in big.problems)
    with pytest.raises(pp.ParameterError, match="resolution"):
        pp.analyze(texts, resolution=0)


def test_a_copy_paste_wave_cannot_take_a_top_slot():
    # 200 copies of one long complaint (its number masked) among real CFPB
    # narratives: before copies counted once, the wave was the second problem.
    from conftest import load_labelled

    texts, _ = load_labelled("cfpb_products")
    wave = ["I demand that you stop selling my data to third parties. This violates my privacy rights "
            f"under the CCPA. Delete all my records now. Customer #{i}" for i in range(200)]
    result = pp.analyze(texts + wave, progress=False)
    ids = set(result.labels[len(texts):].tolist())
    assert len(ids) == 1
    campaign = result.problem(ids.pop())
    assert (campaign.size, campaign.copies) == (200, 199)
    assert campaign.rank == len(result.problems)  # one complaint, 199 copies: last
    ranks = [(p.size - p.copies, p.size) for p in result.problems]
    assert ranks == sorted(ranks, reverse=True)
    assert any(p.size < campaign.size for p in result.top(3))  # larger than a top problem, yet not in the top
    # It is still there, counted in full, and said to be copies.
    table = result.to_pandas().set_index("problem_id")
    assert table.loc[campaign.id, ["size", "copies"]].tolist() == [200, 199]
    assert "199 copies" in result.summary(top=len(result.problems))
    assert "199 of them copies" in result.to_html(top=len(result.problems))
    assert "199 of them copies" in str(campaign)


@pytest.mark.parametrize("name", ["cfpb_products", "banking77"])
def test_non_answers_neither_form_problems_nor_move_the_others(name):
    # A survey export: real complaints with 400 answers that say there is
    # nothing to report. Before, "no comment" alone x400 became the first
    # problem of cfpb_products, and "nothing" / "N/A" moved the real problems
    # (ARI 0.86). On banking77 the smallest problem also shrank with them.
    from conftest import load_labelled

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benches"))
    from _common import NON_ANSWERS  # the quality bench's --non-answers list

    texts, _ = load_labelled(name)
    rng = np.random.default_rng(3)
    fillers = [NON_ANSWERS[i] for i in rng.integers(len(NON_ANSWERS), size=400)]
    alone = pp.analyze(texts, progress=False)
    mixed = pp.analyze(texts + fillers, progress=False)
    np.testing.assert_array_equal(mixed.labels[: len(texts)], alone.labels)
    assert [p.label for p in mixed.problems] == [p.label for p in alone.problems]
    assert (mixed.labels[len(texts):] == -1).all()
    assert mixed.n_empty == alone.n_empty + 400 == mixed.model._fitted.n_empty  # the core counts as Python does
    assert [p.share for p in mixed.problems] == pytest.approx([p.share for p in alone.problems])
    assert mixed.no_problem_share == pytest.approx(alone.no_problem_share)
    assert "(+400 rows without a complaint)" in mixed.summary()
    # A model reads them the same way, and complaints that look like them
    # are still complaints.
    model = pp.ProblemModel(progress=False).fit(texts + fillers)
    np.testing.assert_array_equal(model.predict(texts + fillers), model.labels_)
    ids, similarity = model.score(fillers)
    assert (ids == -1).all() and (similarity == 0).all()
    # Edits refresh the labels the same way.
    model.drop(model.problems_[-1].id)
    assert (model.labels_[len(texts):] == -1).all()
    np.testing.assert_array_equal(model.predict(texts + fillers), model.labels_)
    assert pp.says_nothing(fillers).all()
    assert not pp.says_nothing(["not good", "no response", "nothing works", "no refund", "great app but it crashes",
                                "never again", "staff could be more helpful", "Everything"]).any()


def test_short_answers_repeat_without_being_copies():
    # Many customers give the same short answer: each one counts.
    texts = ["too expensive"] * 40 + ["the app keeps crashing at login"] * 30 + ["delivery was late"] * 20
    result = pp.analyze(texts, min_size=5, progress=False)
    assert [(p.size, p.copies) for p in result.problems] == [(40, 0), (30, 0), (20, 0)]


def test_a_summary_of_few_complaints_says_its_problems_are_thin():
    # Five unrelated narratives share "credit" and "report": one problem of
    # all five, which the summary must not present as a finding like any other.
    texts = pp.load_sample()[:5]
    few = pp.analyze(texts, progress=False)
    assert few.problems
    note = "Only 5 complaints: with this few, a problem can gather complaints that share a single word"
    assert note in few.summary()
    assert note in few._repr_html_()
    assert few.summary().startswith(f"painpoints: 5 complaints, {len(few.problems)} problem")
    one_blank = pp.analyze(texts + [""], progress=False)
    assert "5 complaints (+1 row without a complaint)" in one_blank.summary()
    # From 50 complaints on, no such note.
    assert "with this few, a problem" not in pp.analyze(pp.load_sample()[:50], progress=False).summary()



def test_wrong_arguments_to_reports_are_typed_errors_that_say_what_to_pass(tmp_path):
    result = pp.analyze(pp.load_sample(), progress=False)
    with pytest.raises(pp.ParameterError, match="top must be a non-negative integer, got '3'"):
        result.to_html(top="3")
    with pytest.raises(pp.ParameterError, match="top must be a non-negative integer"):
        result.summary(top="2")
    with pytest.raises(pp.ParameterError, match="freq must be a period .* got None"):
        result.over_time(pp.load_sample_dates(), freq=None)
    # A set has no order: no row of the result would be the caller's.
    with pytest.raises(TypeError, match="not a set, whose order is not the input's"):
        pp.analyze({"refund not received", "card declined"}, progress=False)
    model = result.model
    with pytest.raises(pp.InputError, match="file not found: .*missing.csv"):
        model.score_file(tmp_path / "missing.csv", tmp_path / "out.csv", text="text")
    (tmp_path / "in.csv").write_text("text\nrefund not received\n")
    with pytest.raises(pp.InputError, match="it is a directory"):
        model.score_file(tmp_path / "in.csv", tmp_path, text="text")


def test_a_bad_row_in_a_streamed_file_is_placed_in_the_file(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"text": {"a": 1} if i == 210 else "refund not received"}) + "\n"
                            for i in range(250)))
    model = pp.analyze(pp.load_sample(), progress=False).model
    with pytest.raises(pp.InputError, match=r"the rows 201 to 250 \(numbered from 0 below\): row 10 of texts is dict"):
        model.score_file(path, tmp_path / "out.csv", text="text", chunk_rows=100)
