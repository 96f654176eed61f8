"""The problem model: scikit-learn shape, agreement with the fit, model files,
stable ids across refits and analyst edits."""
from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest

import painpoints as pp
from conftest import synthetic


@pytest.fixture()
def texts():
    return synthetic()[0]


@pytest.fixture()
def model(texts):
    return pp.ProblemModel(min_size=5).fit(texts)


def _saved_and_loaded(data, tmp_path):
    """The model a file holding `data` (a model's JSON, edited) loads as."""
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    return pp.ProblemModel.load(path)


def _id(model, word):
    return next(p.id for p in model.problems_ if word in p.label)


def test_estimator_shape(texts):
    m = pp.ProblemModel(seed=2, min_size=5)
    assert m.get_params()["seed"] == 2
    assert m.set_params(max_problems=10) is m and m.max_problems == 10
    with pytest.raises(pp.ParameterError, match="unknown parameter"):
        m.set_params(colour="red")
    with pytest.raises(pp.NotFittedError, match="fit"):
        m.predict(texts)
    assert m.fit(texts) is m
    assert m.labels_.shape == (len(texts),)
    assert len(m.problems_) == 3
    np.testing.assert_array_equal(pp.ProblemModel(seed=2, max_problems=10, min_size=5).fit_predict(texts), m.labels_)


def test_predict_agrees_with_fit_and_batches(model, texts):
    np.testing.assert_array_equal(model.predict(texts), model.labels_)
    one_by_one = np.array([model.predict([t])[0] for t in texts[:30]])
    np.testing.assert_array_equal(one_by_one, model.labels_[:30])
    shuffled = list(reversed(texts))
    np.testing.assert_array_equal(model.predict(shuffled)[::-1], model.labels_)


def test_score_and_threshold(model, texts):
    ids, sims = model.score(texts + ["my cat likes tuna", None])
    assert ids.dtype == np.int64 and sims.dtype == np.float32
    assert ids[-1] == -1 and sims[-1] == 0.0
    assert ids[-2] == -1  # similar to no known problem: an emerging one
    assert np.all(sims[:-2][ids[:-2] >= 0] > 0.0)
    model.threshold_ = 0.99
    assert (model.predict(texts) == -1).mean() > 0.5
    with pytest.raises(ValueError, match="threshold"):
        model.threshold_ = 2.0


def test_save_load_round_trip(model, texts, tmp_path):
    path = tmp_path / "problems.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == pp.SCHEMA_VERSION
    assert data["library_version"] == pp.__version__
    back = pp.ProblemModel.load(path)
    np.testing.assert_array_equal(back.predict(texts), model.labels_)
    assert [(p.id, p.label) for p in back.problems_] == [(p.id, p.label) for p in model.problems_]
    assert back.get_params()["min_size"] == 5


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda s: s[: len(s) // 2], "truncated"),
        (lambda s: "not json at all", "JSON"),
        (lambda s: "{}", "schema_version"),
        (lambda s: s.replace(f'"schema_version":{pp.SCHEMA_VERSION}', '"schema_version":7', 1), "newer"),
        (lambda s: s.replace('"problems":[', '"problems":7,"x":[', 1), "damaged"),
    ],
)
def test_damaged_model_files(model, tmp_path, damage, message):
    path = tmp_path / "bad.json"
    path.write_text(damage(model.to_json()))
    with pytest.raises(pp.ModelFormatError, match=message):
        pp.ProblemModel.load(path)


def test_a_model_file_without_copies_still_loads(model, tmp_path):
    # Files written before problems counted copies load with none.
    data = json.loads(model.to_json())
    for p in data["problems"]:
        del p["copies"]
    old = _saved_and_loaded(data, tmp_path)
    assert [(p.id, p.size, p.copies) for p in old.problems_] == [(p.id, p.size, 0) for p in model.problems_]


def test_a_model_file_without_word_counts_still_loads_and_scores(model, texts, tmp_path):
    # Files of schema 1 hold no word mixture: such a model chooses among
    # the problems by their centres alone, as it always did.
    data = json.loads(model.to_json())
    assert data["mixture"]["problems"], "a default fit keeps its problems' word counts"
    del data["mixture"]
    data["schema_version"] = 1
    old = _saved_and_loaded(data, tmp_path)
    labels = old.predict(texts)
    assert len(labels) == len(texts)
    assert (labels >= 0).mean() > 0.9
    assert {p.id for p in old.problems_} == {p.id for p in model.problems_}


def test_a_model_file_without_character_pieces_still_loads_and_scores(model, texts, tmp_path):
    # Files of schema 2 keep word counts but no character pieces: such a
    # model weighs a short complaint's words against the problems' centres.
    data = json.loads(model.to_json())
    assert len(data["mixture"]["pieces"]["pieces"]) > 0
    assert all(g["pieces"] for g in data["mixture"]["problems"]), "every problem keeps its pieces"
    del data["mixture"]["pieces"]
    for g in data["mixture"]["problems"]:
        del g["pieces"]
    data["schema_version"] = 2
    old = _saved_and_loaded(data, tmp_path)
    labels = old.predict(texts)
    assert len(labels) == len(texts)
    assert (labels == model.labels_).mean() > 0.9


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p["pieces"].__setitem__(0, "ab"),  # too short to be a piece
        lambda p: p["pieces"].reverse(),  # no longer sorted
        lambda p: p["idf"].pop(),  # one weight missing
        lambda p: p["idf"].__setitem__(0, -1.0),
    ],
)
def test_damaged_character_pieces_are_a_format_error(model, tmp_path, damage):
    data = json.loads(model.to_json())
    damage(data["mixture"]["pieces"])
    with pytest.raises(pp.ModelFormatError, match="character pieces"):
        _saved_and_loaded(data, tmp_path)


def test_a_problem_pointing_past_the_pieces_is_a_format_error(model, tmp_path):
    data = json.loads(model.to_json())
    n = len(data["mixture"]["pieces"]["pieces"])
    data["mixture"]["problems"][0]["pieces"].append([n, 0.5])
    with pytest.raises(pp.ModelFormatError, match="character pieces"):
        _saved_and_loaded(data, tmp_path)


def test_binary_file_is_a_format_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\x80\x81\xfe\xff" * 10)
    with pytest.raises(pp.ModelFormatError):
        pp.ProblemModel.load(path)


def test_pickle_goes_through_json(model, texts):
    state = model.__getstate__()
    assert isinstance(state["_model_json"], str)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(texts), model.labels_)


def test_edits(model, texts):
    refund, app, delivery = _id(model, "refund"), _id(model, "app"), _id(model, "delivery")
    model.rename(refund, "money back")
    assert any(p.id == refund and p.label == "money back" for p in model.problems_)
    model.merge(app, delivery, label="app or delivery")
    assert len(model.problems_) == 2
    assert (model.labels_ == app).sum() == 80
    model.drop(refund)
    assert (model.labels_ == -1).sum() == 40
    np.testing.assert_array_equal(model.predict(texts), model.labels_)
    new_id = model.seed_problem(["refund"], label="refunds")
    assert new_id not in (refund, app, delivery)
    assert (model.labels_ == new_id).sum() == 40
    np.testing.assert_array_equal(model.predict(texts), model.labels_)
    # Merged and seeded problems keep character pieces to score short
    # complaints by, as fitted ones do.
    groups = json.loads(model.to_json())["mixture"]["problems"]
    assert len(groups) == len(model.problems_) == 2 and all(g["pieces"] for g in groups)
    assert [e["edit"] for e in model.edits_] == ["rename", "merge", "drop", "seed"]
    with pytest.raises(pp.EditError, match="no problem with id 999"):
        model.rename(999, "x")
    with pytest.raises(pp.EditError, match="no problem with id 999"):  # before any label clash
        model.rename(999, model.problems_[0].label)
    # The reports' own columns cannot be a problem's label: over_time() would add them up.
    first = model.problems_[0]
    for reserved in ("(no problem)", " (other  problems) "):
        with pytest.raises(pp.EditError, match="choose another label"):
            model.rename(first.id, reserved)
    assert model.problems_[0].label == first.label
    # A label made from the keywords that a problem already has gets a
    # suffix; an analyst's own label that is taken is refused.
    made = model.seed_problem(["refunds"])
    assert [p.label for p in model.problems_ if p.id == made] == ["refunds (2)"]
    with pytest.raises(pp.EditError, match="already labelled .*choose another label"):
        model.seed_problem(["app"], label=first.label)
    # Labels are compared regardless of case and spacing, by every edit
    # that gives one; a merge may keep the label of one it merges.
    second, third = model.problems_[1], model.problems_[2]
    taken = f" {first.label.upper()} "
    with pytest.raises(pp.EditError, match="already labelled"):
        model.rename(second.id, taken)
    with pytest.raises(pp.EditError, match="already labelled"):
        model.seed_problem(["app"], label=taken)
    with pytest.raises(pp.EditError, match="already labelled"):
        model.merge(second.id, third.id, label=taken)
    assert [p.label for p in model.problems_][:3] == [first.label, second.label, third.label]
    model.rename(second.id, second.label.upper())
    model.merge(second.id, third.id, label=third.label)
    assert [p.label for p in model.problems_ if p.id == second.id] == [third.label]


def test_edits_on_a_loaded_model_need_texts(model, texts, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    back = pp.ProblemModel.load(path)
    sizes = [p.size for p in back.problems_]
    back.rename(back.problems_[0].id, "renamed")  # fine without texts, and every count stays
    assert [p.size for p in back.problems_] == sizes and back.problems_[0].label == "renamed"
    back.save(path)
    assert [p.size for p in pp.ProblemModel.load(path).problems_] == sizes  # (they were all 0)
    with pytest.raises(pp.EditError, match="texts="):
        back.drop(back.problems_[0].id)
    back.drop(back.problems_[0].id, texts=texts)
    assert len(back.problems_) == 2


def test_edits_refuse_complaints_other_than_the_fitted_ones(model, texts, tmp_path):
    # Recounted on other rows, every problem's size and examples would
    # describe those rows, not the model's.
    model.save(tmp_path / "m.json")
    back = pp.ProblemModel.load(tmp_path / "m.json")
    first = back.problems_[0]
    for other in (["totally", "different"], texts[:50], texts + ["one more"]):
        with pytest.raises(pp.EditError, match=f"texts= has {len(other):,} rows, but this model was fitted on "
                                               f"{len(texts):,}"):
            back.merge(first.id, back.problems_[1].id, texts=other)
        with pytest.raises(pp.EditError, match="fitted on"):
            back.rename(first.id, "renamed", texts=other)
    assert back.problems_[0].size == first.size and back.edits_ == []


def test_the_same_keywords_seed_one_problem(model, texts):
    # A second seed of the same keywords held no complaint, and took some
    # from the first at the next refit.
    m = pp.ProblemModel.from_json(model.to_json())
    seeded = m.seed_problem(["refund", "money back"], texts=texts)
    with pytest.raises(pp.EditError, match=f"problem {seeded} .* was seeded with these keywords already"):
        m.seed_problem(["Money  back", "REFUND"], texts=texts)
    assert [p.id for p in m.problems_].count(seeded) == 1
    m.seed_problem(["refund", "money back", "chargeback"], texts=texts)  # other keywords: a problem of their own


def test_a_failed_save_leaves_the_model_file_that_was_there(model, tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    model.save(path)
    before = path.read_bytes()
    import builtins

    real_open = builtins.open

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Full(real_open(*a, **k)) if "w" in a[1:2] else
                        real_open(*a, **k))
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_refit_keeps_ids_and_edits(model, texts, tmp_path):
    refund = _id(model, "refund")
    model.rename(refund, "money back")
    path = tmp_path / "m.json"
    model.save(path)
    previous = pp.ProblemModel.load(path)
    next_month = [t for t in texts if "app" not in t] + [f"password reset email never arrives, try {i}" for i in range(40)]
    m2 = pp.ProblemModel(min_size=5).fit(next_month, previous=previous)
    assert any(p.id == refund and p.label == "money back" for p in m2.problems_)
    lineage = m2.lineage_
    assert refund in lineage["kept"]
    assert len(lineage["new"]) == 1 and len(lineage["vanished"]) == 1
    assert "app" in lineage["vanished"][0][1]
    new_id = lineage["new"][0]
    assert new_id not in [p.id for p in model.problems_]
    assert m2.edits_ == model.edits_


def test_a_loaded_model_says_what_is_wrong_with_an_edit_before_asking_for_texts(model, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    loaded = pp.ProblemModel.load(path)
    for edit, message in [(lambda: loaded.merge(0), "at least two"), (lambda: loaded.drop(-1), "no problem with id -1"),
                          (lambda: loaded.drop(99), "no problem with id 99"),
                          (lambda: loaded.seed_problem([]), "at least one keyword"),
                          (lambda: loaded.merge(0, 1), "pass texts=")]:
        with pytest.raises(pp.EditError, match=message):
            edit()
    assert loaded.edits_ == [] and loaded.to_json() == model.to_json()


def test_a_report_shows_the_model_as_edited(model, texts):
    refund, app = _id(model, "refund"), _id(model, "app")
    delivery = _id(model, "deliver")
    sizes = {p.id: p.size for p in model.problems_}
    model.rename(refund, "money back").merge(delivery, app, label="orders and app")
    report = model.analysis()
    assert isinstance(report, pp.Analysis)
    assert report.problem(refund).label == "money back"
    assert report.problem(delivery).size == sizes[delivery] + sizes[app]
    assert "money back" in report.summary() and "orders and app" in report.summary()
    assert np.array_equal(report.labels, model.labels_)
    assert np.array_equal(report.labels, model.predict(texts))
    assert report.n_rows == len(texts)


def test_editing_the_model_leaves_the_analysis_as_it_was(texts, tmp_path):
    # The README's month-after-month block edits result.model, then the
    # analyst still writes last month's report from result.
    reference = pp.analyze(texts, min_size=5)
    result = pp.analyze(texts, min_size=5)
    first, second, third = (p.id for p in result.problems[:3])
    result.model.drop(first)
    result.model.merge(third, second)
    np.testing.assert_array_equal(result.labels, reference.labels)
    assert result.to_pandas().equals(reference.to_pandas())
    assert result.themes() == reference.themes()
    np.testing.assert_array_equal(result.theme_ids, reference.theme_ids)
    result.to_html(tmp_path / "report.html")
    assert result.summary() == reference.summary()
    # Its arrays are its own, too.
    fresh = pp.analyze(texts, min_size=5)
    fresh.labels[:] = -1
    assert (np.asarray(fresh.model.labels_) >= 0).any()


def test_a_report_of_a_new_export_counts_it_with_the_problems_as_they_are(model, texts):
    import pandas as pd

    refund = _id(model, "refund")
    model.rename(refund, "money back")
    before = [(p.id, p.label, p.size) for p in model.problems_]
    new = pd.Series([t for t in texts if "refund" in t][:7] + [None, "app crashes on login"] * 3,
                    index=[f"r{i}" for i in range(13)])
    report = model.analysis(new, top=2)
    ids = model.predict(new)
    assert np.array_equal(report.labels, ids)
    assert report.n_rows == 13 and report.n_empty == 3
    for p in report.problems:
        assert p.size == int((ids == p.id).sum())
    assert report.problem(refund).label == "money back" and report.problem(refund).size == 7
    assert report.problems[0].id == refund
    assert list(report.assignments().index) == list(new.index)
    # The model itself still describes the complaints it was fitted on.
    assert [(p.id, p.label, p.size) for p in model.problems_] == before
    assert model.analysis().n_rows == len(texts)


def test_a_report_of_the_fitting_complaints_keeps_their_index(texts):
    import pandas as pd

    series = pd.Series(texts, index=range(1000, 1000 + len(texts)))
    result = pp.analyze(series, min_size=5)
    report = result.model.analysis()
    assert list(report.assignments().index) == list(series.index)
    assert report.assignments().equals(result.assignments())


def test_a_loaded_model_reports_on_the_texts_it_is_given(model, texts, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    loaded = pp.ProblemModel.load(path)
    with pytest.raises(pp.InputError, match="pass texts="):
        loaded.analysis()
    assert np.array_equal(loaded.analysis(texts).labels, model.labels_)
    with pytest.raises(pp.ParameterError, match="top"):
        loaded.analysis(texts, top=-1)
    with pytest.raises(pp.NotFittedError):
        pp.ProblemModel().analysis(texts)


def test_analyze_keeps_last_months_ids_and_edits(model, texts):
    refund = _id(model, "refund")
    model.rename(refund, "money back")
    result = pp.analyze(texts, previous=model, min_size=5)
    assert result.problem(refund).label == "money back"
    assert result.model.edits_ == model.edits_
    assert sorted(p.id for p in result.problems) == sorted(p.id for p in model.problems_)


@pytest.mark.parametrize("reassign", [False, True])
def test_a_dropped_problem_stays_dropped_next_month(reassign, tmp_path):
    # An analyst drops a problem; next month's fit finds it again and must
    # drop it again, not bring it back under a new id.
    from conftest import load_labelled

    texts, _ = load_labelled("cfpb_products")
    model = pp.ProblemModel().fit(texts)
    debt = _id(model, "debt")
    model.drop(debt, reassign=reassign)
    expected = model.predict(texts)
    path = tmp_path / "m.json"
    model.save(path)
    m2 = pp.ProblemModel().fit(texts, previous=pp.ProblemModel.load(path))
    assert [p.id for p in m2.problems_] == [p.id for p in model.problems_]
    assert m2.lineage_["new"] == []
    assert np.array_equal(m2.labels_, expected)
    assert m2.edits_ == model.edits_


@pytest.mark.parametrize("name", ["tweet_complaints", "cfpb_products"])
def test_row_order_does_not_change_the_problems(name):
    # Sorting an export differently must not change what is found: the same
    # complaints end up together, under the same labels.
    from conftest import load_labelled

    texts, _ = load_labelled(name)
    perm = np.random.default_rng(7).permutation(len(texts))
    first = pp.analyze(texts, progress=False)
    again = pp.analyze([texts[i] for i in perm], progress=False)
    a, b = first.labels[perm], again.labels
    assert len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist())) == len(set(b.tolist()))
    assert sorted(p.label for p in first.problems) == sorted(p.label for p in again.problems)
    assert [p.size for p in first.problems] == [p.size for p in again.problems]


@pytest.mark.parametrize("name", ["tweet_complaints", "cfpb_products"])
def test_above_the_sample_size_neither_seed_nor_row_order_changes_the_problems(name):
    # A fit clusters a sample of at most sample_size complaints. The sample
    # is chosen by the complaints' content, so a large export gives the same
    # problems for every seed and however its rows are sorted.
    from conftest import load_labelled

    texts, _ = load_labelled(name)
    perm = np.random.default_rng(3).permutation(len(texts))
    kw = dict(sample_size=len(texts) // 3, progress=False)
    first = pp.ProblemModel(seed=0, **kw).fit(texts)
    other_seed = pp.ProblemModel(seed=7, **kw).fit(texts)
    shuffled = pp.ProblemModel(seed=0, **kw).fit([texts[i] for i in perm])
    np.testing.assert_array_equal(other_seed.labels_, first.labels_)
    assert [p.label for p in other_seed.problems_] == [p.label for p in first.problems_]
    a, b = first.labels_[perm], shuffled.labels_
    assert len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist())) == len(set(b.tolist()))
    assert sorted((p.label, p.size) for p in first.problems_) == sorted((p.label, p.size) for p in shuffled.problems_)


def test_edits_keep_the_pieces_of_handles():
    # Brands' customers tagging their handles: a model keeps the pieces of
    # handles beside those of every word; merged and seeded problems too.
    texts = []
    for i in range(30):
        texts += [f"@upshelp my parcel {i} is late", f"@comcastcares my internet {i} is down",
                  f"@delta my flight {i} was cancelled"]
    model = pp.ProblemModel(min_size=5).fit(texts)
    data = json.loads(model.to_json())
    assert data["mixture"]["handles"]["words"] == "handles"
    ups, comcast = int(model.labels_[0]), int(model.labels_[1])
    model.merge(ups, comcast, label="parcel or internet")
    model.seed_problem(["flight"], label="flights", texts=texts)
    groups = json.loads(model.to_json())["mixture"]["problems"]
    assert groups and all(g["handles"] for g in groups)
    np.testing.assert_array_equal(model.predict(texts), model.labels_)


@pytest.mark.parametrize("kwargs, match", [
    ({"resolution": "high"}, "resolution must be a number"),
    ({"threshold": "0.3"}, "threshold must be a number"),
    ({"embedding_weight": None}, "embedding_weight must be a number"),
    ({"min_size": 2**70}, "min_size must be at most"),
    ({"seed": 2**64}, "seed must be at most"),
    ({"seed": None}, "seed must be an integer, got None"),
    ({"progress": "yes"}, "progress must be True, False or None"),
])
def test_a_parameter_of_the_wrong_type_is_a_parameter_error(texts, kwargs, match):
    with pytest.raises(pp.ParameterError, match=match):
        pp.ProblemModel(**kwargs).fit(texts)


def test_wrong_types_in_edits_and_calls_say_so(model, texts, tmp_path):
    first = model.problems_[0].id
    labels = model.labels_.copy()
    for call, match in [
        (lambda: model.drop(float(first) + 0.7), "problem id is an integer"),
        (lambda: model.drop(str(first)), "problem id is an integer"),
        (lambda: model.drop(first, reassign="no"), "reassign must be True or False"),
        (lambda: model.rename(first, None), "label is a string"),
        (lambda: model.merge(first, model.problems_[1].id, label=3), "label is a string"),
        (lambda: model.seed_problem(["refund"], label=["refunds"]), "label is a string"),
        (lambda: model.seed_problem(None), "keywords are a word or a list of words"),
        (lambda: model.seed_problem(5), "keywords are a word or a list of words"),
    ]:
        with pytest.raises(pp.EditError, match=match):
            call()
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.edits_ == []
    with pytest.raises(pp.ParameterError, match="threshold_ must be a number"):
        model.threshold_ = "x"
    with pytest.raises(pp.ParameterError, match="threshold_ must be between 0 and 1"):
        model.threshold_ = 2
    src = tmp_path / "in.csv"
    src.write_text("text\nrefund not received\n")
    with pytest.raises(pp.ParameterError, match="chunk_rows must be an integer"):
        model.score_file(src, tmp_path / "out.csv", text="text", chunk_rows="100")
    with pytest.raises(pp.ParameterError, match="n must be a non-negative integer"):
        pp.analyze(texts, min_size=5).top("3")
    with pytest.raises(pp.InputError, match="folder does not exist"):
        model.score_file(src, tmp_path / "no-such-folder" / "out.csv", text="text")
    # numpy integers are integers.
    assert len(pp.analyze(texts, min_size=5, top=np.int64(2)).top(np.int64(2))) == 2
    assert model.analysis(top=np.int64(1)) is not None


def test_analyze_takes_the_sample_size():
    # analyze() passes sample_size on, as the model's other parameters: a
    # smaller sample is how a large export is grouped faster.
    from conftest import load_labelled

    texts, _ = load_labelled("cfpb_products")
    small = pp.analyze(texts, sample_size=len(texts) // 3, progress=False)
    assert small.model.sample_size == len(texts) // 3
    alone = pp.ProblemModel(sample_size=len(texts) // 3, progress=False).fit(texts)
    np.testing.assert_array_equal(small.labels, alone.labels_)
    assert not np.array_equal(small.labels, pp.analyze(texts, progress=False).labels)
    with pytest.raises(pp.ParameterError, match="sample_size"):
        pp.analyze(texts, sample_size=1)


def test_a_merge_found_again_as_a_whole_keeps_its_id_and_label():
    # Next month's complaints mix the five merged topics: the new problem
    # resembles the merge as a whole, none of its parts, and is the merged
    # problem found again (matched by its parts alone, the merge vanished
    # and its complaints became new problems).
    rng = random.Random(0)
    topics = {
        "refund": "refund money back returned item waiting weeks reimbursement".split(),
        "delivery": "parcel courier delivery late tracking driver doorstep".split(),
        "login": "password login account locked reset email code".split(),
        "billing": "invoice charged twice billing statement overcharge fee".split(),
        "app": "app crashes update phone screen freezes android".split(),
        "store": "store staff rude manager queue cashier shop".split(),
    }

    def complaint(words):
        return " ".join(rng.sample(words, 6)) + " " + rng.choice(["please help", "very annoyed", "again today"])

    model = pp.analyze([complaint(w) for w in topics.values() for _ in range(40)], progress=False).model
    five = [p.id for p in model.problems_ if not any(w in p.label for w in topics["store"])][:5]
    model.merge(*five, label="Everything else")
    mixed = [w for t, w in topics.items() if t != "store"]
    month = [" ".join(rng.choice(ws) for ws in mixed for _ in range(2)) + " please help" for _ in range(150)]
    month += [complaint(topics["store"]) for _ in range(40)]
    result = pp.analyze(month, previous=model, progress=False)
    merged = result.problem(five[0])
    assert merged.label == "Everything else" and merged.size >= 140
    assert five[0] in result.lineage["kept"]


def test_previous_may_be_the_path_of_last_months_model(model, texts, tmp_path):
    model.save(tmp_path / "m.json")
    by_path = pp.analyze(texts, previous=tmp_path / "m.json", progress=False)
    by_model = pp.analyze(texts, previous=model, progress=False)
    np.testing.assert_array_equal(by_path.labels, by_model.labels)
    assert by_path.lineage == by_model.lineage and by_path.lineage["kept"]
    assert pp.ProblemModel(progress=False).fit(texts, previous=str(tmp_path / "m.json")).lineage_["kept"]
    with pytest.raises(pp.ParameterError, match="previous is last month's ProblemModel or the path of its file"):
        pp.analyze(texts, previous=3, progress=False)
    with pytest.raises(pp.InputError):
        pp.analyze(texts, previous=tmp_path / "missing.json", progress=False)


def test_a_report_on_no_complaints_lists_no_empty_problems(model):
    empty = model.analysis(["", None, "n/a"]).summary()
    assert "No complaint to count" in empty and "Only 0 complaints" not in empty and "#1" not in empty
    one = model.analysis([model.problems_[0].examples[0].text]).summary()
    assert "#1 " in one and "#2 " not in one  # problems no complaint is in are not listed


def test_a_model_files_schema_version_of_the_wrong_type_is_named(model, tmp_path):
    data = json.loads(model.to_json())
    for version in ("5", 5.0, -1):
        with pytest.raises(pp.ModelFormatError, match=f"schema_version is {json.dumps(version)}, not a whole number"):
            pp.ProblemModel.from_json(json.dumps({**data, "schema_version": version}))
    # A byte-order mark an editor added changes nothing.
    (tmp_path / "m.json").write_bytes(b"\xef\xbb\xbf" + model.to_json().encode("utf-8"))
    assert [p.label for p in pp.ProblemModel.load(tmp_path / "m.json").problems_] == [p.label for p in model.problems_]
