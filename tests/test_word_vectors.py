"""Built-in word vectors: complaints that say the same thing in other words
end up in the same problem, and the fitted model still scores by keywords."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from sklearn.metrics import completeness_score, homogeneity_score

import painpoints as pp
from painpoints import ParameterError, ProblemModel
from painpoints.cli import main

# Each problem in five phrasings that share few words with one another.
PHRASINGS = {
    "delivery": [
        "My parcel arrived {n} days late",
        "Delivery was late again, waited {n} days for my order",
        "The courier never showed up and the package is {n} days overdue",
        "Order still not delivered after {n} days, shipping is so slow",
        "Package delivery delayed by {n} days without any notice",
    ],
    "refund": [
        "I returned the item {n} weeks ago and still have not received my refund",
        "Refund not received yet, it has been {n} weeks",
        "Where is my money back? Refund pending for {n} weeks",
        "You promised a refund {n} weeks ago but nothing arrived on my card",
        "Still waiting for the refund for my returned order after {n} weeks",
    ],
    "crash": [
        "The app crashes every time I open it on my phone (version {n})",
        "App keeps crashing when I try to log in, version {n}",
        "Mobile app crashed {n} times today while checking out",
        "Since update {n} the app freezes and crashes on startup",
        "The application crashes whenever I open my account page, tried {n} times",
    ],
}
QUIET = dict(progress=False)


def corpus():
    texts, truth = [], []
    for i in range(90):
        topic = list(PHRASINGS)[i % 3]
        texts.append(PHRASINGS[topic][(i // 3) % 5].format(n=2 + (i * 7) % 11))
        truth.append(topic)
    return texts, np.array(truth)


def test_other_words_for_the_same_problem_group_together():
    texts, truth = corpus()
    with_vectors = pp.analyze(texts, **QUIET)
    words_only = pp.analyze(texts, word_vectors=False, **QUIET)
    labels = np.asarray(with_vectors.labels)
    # One problem per topic, each holding all of its topic's phrasings.
    assert len(with_vectors.problems) == 3
    assert homogeneity_score(truth, labels) == pytest.approx(1.0)
    assert completeness_score(truth, labels) == pytest.approx(1.0)
    # By keywords alone, "where is my money back" shares too little with
    # the other refund complaints.
    assert homogeneity_score(truth, np.asarray(words_only.labels)) < 0.95
    # Labels and keywords still come from the words.
    for p in with_vectors.problems:
        assert p.label and all(k in " ".join(texts).lower() for k in p.label.split())


def test_the_model_scores_by_keywords_alone(tmp_path):
    texts, _ = corpus()
    model = ProblemModel(**QUIET).fit(texts)
    assert model.embedding_dim_ is None  # nothing more to pass when scoring
    assert np.array_equal(model.predict(texts), model.labels_)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = ProblemModel.load(path)
    assert loaded.word_vectors is True
    assert np.array_equal(loaded.predict(texts), model.labels_)
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(texts), model.labels_)
    assert list(model.predict(["my parcel arrived 9 days late"])) == [model.labels_[0]]


def test_same_result_whatever_the_thread_count():
    texts, _ = corpus()
    one = ProblemModel(n_jobs=1, **QUIET).fit(texts)
    two = ProblemModel(n_jobs=2, **QUIET).fit(texts)
    assert np.array_equal(one.labels_, two.labels_)
    assert [p.label for p in one.problems_] == [p.label for p in two.problems_]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_word_vectors_must_be_a_bool(value):
    with pytest.raises(ParameterError, match="word_vectors"):
        ProblemModel(word_vectors=value).fit(["refund not received"] * 5)


def test_word_vectors_is_a_parameter():
    model = ProblemModel(word_vectors=False)
    assert model.get_params()["word_vectors"] is False
    assert model.set_params(word_vectors=True).word_vectors is True
    # A model file remembers how it was fitted.
    texts, _ = corpus()
    keywords_only = ProblemModel(word_vectors=False, **QUIET).fit(texts)
    assert ProblemModel.from_json(keywords_only.to_json()).word_vectors is False
    assert "word_vectors=False" in repr(keywords_only)


def test_cli_can_turn_them_off(tmp_path, capsys):
    texts, _ = corpus()
    path = tmp_path / "c.csv"
    path.write_text("comment\n" + "".join(f'"{t}"\n' for t in texts), encoding="utf-8")
    counts = {}
    for flag in ([], ["--no-word-vectors"]):
        out = tmp_path / f"r{len(flag)}.json"
        assert main(["analyze", str(path), "--json", str(out), "--no-progress", *flag]) == 0
        counts[bool(flag)] = json.loads(out.read_text(encoding="utf-8"))["n_problems"]
    capsys.readouterr()
    assert counts[False] == len(pp.analyze(texts, **QUIET).problems)
    assert counts[True] == len(pp.analyze(texts, word_vectors=False, **QUIET).problems)
