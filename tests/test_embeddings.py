"""Bring-your-own embeddings: blended into the similarity, checked at every door."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from sklearn.metrics import homogeneity_score

import painpoints as pp
from painpoints import InputError, ParameterError, ProblemModel


def blobs(n_per: int = 60, dim: int = 16, seed: int = 0):
    """Texts with no topical signal (every text draws from one word pool) and
    embeddings that fall in two well-separated groups: only the embeddings
    can tell the groups apart."""
    rng = np.random.default_rng(seed)
    pool = ["account", "service", "problem", "issue", "order", "support", "call", "email", "week", "store"]
    texts, truth, vecs = [], [], []
    centres = np.zeros((2, dim), dtype=np.float32)
    centres[0, 0] = 1.0
    centres[1, 1] = 1.0
    for i in range(2 * n_per):
        g = i % 2
        words = rng.choice(pool, size=5, replace=False)
        texts.append(" ".join(words))
        truth.append(g)
        vecs.append(centres[g] + 0.05 * rng.standard_normal(dim).astype(np.float32))
    return texts, np.array(truth), np.vstack(vecs).astype(np.float32)


def test_embeddings_decide_the_groups_when_words_cannot():
    texts, truth, emb = blobs()
    plain = pp.analyze(texts, min_size=5, progress=False)
    blended = pp.analyze(texts, embeddings=emb, min_size=5, embedding_weight=0.7, progress=False)
    # Every blended problem holds one group; the words alone mix them.
    assert homogeneity_score(truth, blended.labels) > 0.9
    assert homogeneity_score(truth, plain.labels) < 0.3
    # Keywords still describe each problem in words.
    for p in blended.problems:
        assert p.label and all(k for k, _ in p.keywords)


def test_predict_agrees_with_fit_and_needs_the_embeddings(complaints):
    texts, _ = complaints
    rng = np.random.default_rng(1)
    emb = rng.standard_normal((len(texts), 8)).astype(np.float32)
    model = ProblemModel(min_size=5).fit(texts, embeddings=emb)
    assert model.embedding_dim_ == 8
    assert np.array_equal(model.predict(texts, embeddings=emb), model.labels_)
    # One row at a time gives the same answers as the whole batch.
    one = [int(model.predict(texts[i:i + 1], embeddings=emb[i:i + 1])[0]) for i in range(0, len(texts), 17)]
    assert one == [int(x) for x in model.labels_[::17]]
    with pytest.raises(InputError, match="fitted with embeddings"):
        model.predict(texts)
    with pytest.raises(InputError, match="columns"):
        model.predict(texts, embeddings=emb[:, :4])
    with pytest.raises(InputError, match="score_batches|score"):
        list(model.score_batches([texts]))


def test_a_model_without_embeddings_refuses_them(complaints):
    texts, _ = complaints
    model = ProblemModel(min_size=5).fit(texts)
    assert model.embedding_dim_ is None
    with pytest.raises(InputError, match="without embeddings"):
        model.predict(texts, embeddings=np.zeros((len(texts), 3), dtype=np.float32))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((5, 4)), "rows"),
    (np.zeros(120), "2-D"),
    (np.zeros((120, 0)), "at least one column"),
    ([["a", "b"]] * 120, "numbers"),
])
def test_bad_embeddings_are_input_errors(complaints, bad, message):
    texts, _ = complaints
    with pytest.raises(InputError, match=message):
        pp.analyze(texts, embeddings=bad, progress=False)


def test_nan_rows_are_named(complaints):
    texts, _ = complaints
    emb = np.ones((len(texts), 4), dtype=np.float32)
    emb[7, 2] = np.nan
    with pytest.raises(InputError, match="row 7"):
        pp.analyze(texts, embeddings=emb, progress=False)


@pytest.mark.parametrize("weight", [0, 1, -0.5, 2, True])
def test_embedding_weight_is_checked(complaints, weight):
    texts, _ = complaints
    with pytest.raises(ParameterError, match="embedding_weight"):
        ProblemModel(embedding_weight=weight).fit(texts, embeddings=np.ones((len(texts), 2)))


def test_lists_and_zero_rows_are_accepted(complaints):
    texts, _ = complaints
    emb = [[1.0, 0.0] if i % 2 else [0.0, 0.0] for i in range(len(texts))]
    res = pp.analyze(texts, embeddings=emb, min_size=5, progress=False)
    assert len(res.labels) == len(texts)


def test_model_file_and_pickle_keep_the_blend(tmp_path):
    texts, _, emb = blobs()
    model = ProblemModel(min_size=5, embedding_weight=0.7).fit(texts, embeddings=emb)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = ProblemModel.load(path)
    assert loaded.embedding_dim_ == emb.shape[1]
    assert loaded.embedding_weight == 0.7
    assert np.array_equal(loaded.predict(texts, embeddings=emb), model.labels_)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict(texts, embeddings=emb), model.labels_)


def test_edits_on_a_blended_model(tmp_path):
    texts, _, emb = blobs()
    model = ProblemModel(min_size=5, embedding_weight=0.7).fit(texts, embeddings=emb)
    ids = [p.id for p in model.problems_]
    assert len(ids) >= 2
    a = ids[0]
    model.merge(*ids)
    assert len(model.problems_) == 1 and (model.labels_ == a).sum() == len(texts)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = ProblemModel.load(path)
    with pytest.raises(InputError, match="embeddings"):
        loaded.drop(a, texts=texts)
    loaded.drop(a, texts=texts, embeddings=emb)
    assert (loaded.labels_ == -1).all()


def test_a_fitted_model_holds_the_callers_embeddings_not_a_copy():
    texts, _, emb = blobs()
    model = ProblemModel(min_size=5, embedding_weight=0.7).fit(texts, embeddings=emb)
    # A float32 array is kept by reference: no second copy of N x d floats
    # lives as long as the model. Edits without texts= still see it.
    assert np.shares_memory(model._embeddings, emb)
    before = model.labels_.copy()
    model.drop(model.problems_[0].id, reassign=True)
    assert (model.labels_ >= 0).all() and not np.array_equal(model.labels_, before)
    # Other dtypes and nested lists are converted once, and kept converted.
    listed = ProblemModel(min_size=5, embedding_weight=0.7).fit(texts, embeddings=emb.astype(np.float64).tolist())
    assert listed._embeddings.dtype == np.float32 and np.array_equal(listed.labels_, before)


def test_refit_with_embeddings_keeps_ids():
    texts, _, emb = blobs()
    # Ids are matched by the words of each problem, however much weight the
    # embeddings carry.
    first = ProblemModel(min_size=5, embedding_weight=0.8).fit(texts, embeddings=emb)
    again = ProblemModel(min_size=5, embedding_weight=0.8).fit(texts, embeddings=emb, previous=first)
    assert sorted(again.lineage_["kept"]) == sorted(p.id for p in first.problems_)
    assert again.lineage_["new"] == [] and again.lineage_["vanished"] == []
    assert np.array_equal(again.labels_, first.labels_)


@pytest.mark.parametrize("scale", [1e20, 1e-25])
def test_embeddings_at_any_scale_blend_alike(scale):
    # Squares of 1e20 overflow a float32 and those of 1e-25 vanish; a row's
    # direction is what counts, so the embeddings must still decide the
    # groups (they fell back to keywords alone, which mix them).
    texts, truth, emb = blobs()
    scaled = pp.analyze(texts, embeddings=emb * np.float32(scale), min_size=5, embedding_weight=0.7, progress=False)
    assert homogeneity_score(truth, scaled.labels) > 0.9


@pytest.mark.parametrize("scale", [1e20, 1e-21, 1e-22, 3e-23, 1e-25])
def test_scores_do_not_depend_on_the_embeddings_scale(scale):
    # Between overflow and underflow lies a band where squares are subnormal
    # f32 numbers and lose precision; every scale must score alike.
    texts, _, emb = blobs()
    model = ProblemModel(min_size=5, embedding_weight=0.7, progress=False).fit(texts, embeddings=emb)
    ids, sims = model.score(texts, embeddings=emb)
    ids_s, sims_s = model.score(texts, embeddings=emb * np.float32(scale))
    np.testing.assert_allclose(sims_s, sims, atol=1e-5)
    np.testing.assert_array_equal(ids_s, ids)


def test_a_blank_complaint_gets_no_problem_from_its_embedding():
    texts, _, emb = blobs()
    rows = texts + ["   ", "", None, "\t"]
    vecs = np.vstack([emb, emb[:4]])
    result = pp.analyze(rows, embeddings=vecs, min_size=5, embedding_weight=0.7, progress=False)
    assert list(result.labels[-4:]) == [-1] * 4 and result.n_empty == 4


def test_the_fit_with_embeddings_does_not_depend_on_row_order():
    # Words and vectors both take part in the grouping; neither the graph,
    # nor the settling, nor the assignment may depend on the row order.
    texts, truth, emb = blobs(n_per=80, seed=3)
    texts = [t + (" refund" if g else " delivery") for t, g in zip(texts, truth)]
    order = np.random.default_rng(5).permutation(len(texts))
    a = pp.analyze(texts, embeddings=emb, min_size=5, progress=False)
    b = pp.analyze([texts[i] for i in order], embeddings=emb[order], min_size=5, progress=False)
    la, lb = np.asarray(a.labels), np.asarray(b.labels)
    # The same partition (problem ids follow size, so compare groupings).
    pairs = set(zip(la[order].tolist(), lb.tolist()))
    assert len(pairs) == len(set(la.tolist())) == len(set(lb.tolist()))
    assert homogeneity_score(truth, la) > 0.9


def test_above_the_sample_size_the_fit_with_embeddings_depends_on_neither_seed_nor_row_order():
    # The clustered sample is chosen by the complaints' text, with or
    # without embeddings.
    texts, truth, emb = blobs(n_per=80, seed=3)
    texts = [t + (" refund" if g else " delivery") for t, g in zip(texts, truth)]
    order = np.random.default_rng(9).permutation(len(texts))
    kw = dict(min_size=5, progress=False)
    a = pp.ProblemModel(seed=0, sample_size=len(texts) // 2, **kw).fit(texts, embeddings=emb)
    b = pp.ProblemModel(seed=4, sample_size=len(texts) // 2, **kw).fit(texts, embeddings=emb)
    c = pp.ProblemModel(seed=0, sample_size=len(texts) // 2, **kw).fit([texts[i] for i in order],
                                                                       embeddings=emb[order])
    np.testing.assert_array_equal(a.labels_, b.labels_)
    la, lc = np.asarray(a.labels_), np.asarray(c.labels_)
    pairs = set(zip(la[order].tolist(), lc.tolist()))
    assert len(pairs) == len(set(la.tolist())) == len(set(lc.tolist())) > 1


def _brand_tweets(n_per: int = 40):
    """Two brands' customers complain alike; random embeddings say nothing."""
    texts = []
    for i in range(n_per):
        texts.append(f"@upshelp my parcel {i} is late")
        texts.append(f"@comcastcares my internet {i} is down")
    emb = np.random.default_rng(3).standard_normal((len(texts), 8)).astype(np.float32)
    return texts, emb


def test_an_embedded_model_keeps_the_pieces_of_handles_alone(tmp_path):
    texts, emb = _brand_tweets()
    model = ProblemModel(min_size=5).fit(texts, embeddings=emb)
    data = json.loads(model.to_json())
    assert "pieces" not in data["mixture"] or data["mixture"]["pieces"] is None
    table = data["mixture"]["handles"]
    assert table["words"] == "handles"
    assert table["pieces"] and all(p in " @upshelp " or p in " @comcastcares " for p in table["pieces"])
    # A handle written another way, with words of both problems, goes to a
    # problem of its brand (the noise of the embeddings may split a brand).
    brands: dict = {}
    for label, text in zip(model.labels_, texts):
        brands.setdefault(int(label), set()).add(text.split()[0])
    assert all(len(b) == 1 for b in brands.values())
    new = ["@upshelps late and down", "@comcastcare late and down"]
    new_emb = np.random.default_rng(4).standard_normal((2, 8)).astype(np.float32)
    got = [int(x) for x in model.predict(new, embeddings=new_emb)]
    assert [brands[g] for g in got] == [{"@upshelp"}, {"@comcastcares"}]
    # Files of schema 3 kept no pieces for such a model: they load and score
    # by the embedding beside the words, as they did.
    del data["mixture"]["handles"]
    for g in data["mixture"]["problems"]:
        g.pop("handles", None)
    data["schema_version"] = 3
    path = tmp_path / "schema3.json"
    path.write_text(json.dumps(data))
    old = ProblemModel.load(path)
    assert len(old.predict(new, embeddings=new_emb)) == 2
    assert (old.predict(texts, embeddings=emb) == model.labels_).mean() > 0.9
    # An unknown kind of piece is a damaged file.
    data = json.loads(model.to_json())
    data["mixture"]["handles"]["words"] = "everything"
    path.write_text(json.dumps(data))
    with pytest.raises(pp.ModelFormatError):
        ProblemModel.load(path)
