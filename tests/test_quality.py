"""Quality on the real labelled complaints, against the reference in the same run.

These guard the claims the README makes from ``benches/quality.py``: without
being told how many problems there are, painpoints agrees with the human
labels better than scikit-learn TF-IDF + KMeans given the true number, the
built-in word vectors help, few complaints are left out, and the number of
problems stays sensible. The bench reports the numbers; these tests fail
when a change loses the ordering.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import painpoints as pp
from conftest import load_labelled

DATASETS = ["banking77", "cfpb_products", "tweet_complaints"]


def tfidf_kmeans(texts, k, seed):
    """The bench's reference pipeline (benches/quality.py, run_tfidf_kmeans)."""
    X = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(X)


@pytest.fixture(scope="module", params=DATASETS)
def labelled(request):
    texts, truth = load_labelled(request.param)
    y = np.array(truth)
    return request.param, texts, y, pp.analyze(texts, progress=False, seed=0)


def scores(y, labels):
    return normalized_mutual_info_score(y, labels), adjusted_rand_score(y, labels)


def test_agrees_with_the_labels_better_than_tfidf_kmeans(labelled):
    name, texts, y, result = labelled
    k = len(set(y.tolist()))
    ours = scores(y, result.labels)
    # The reference depends on its seed: compare with its median over the
    # bench's five seeds (on cfpb_products its ARI spans 0.081-0.143).
    refs = [scores(y, tfidf_kmeans(texts, k, seed)) for seed in range(5)]
    ref_nmi, ref_ari = np.median([r[0] for r in refs]), np.median([r[1] for r in refs])
    assert ours[0] > ref_nmi, f"{name}: NMI {ours[0]:.3f} vs TF-IDF + KMeans {ref_nmi:.3f}"
    assert ours[1] > ref_ari, f"{name}: ARI {ours[1]:.3f} vs TF-IDF + KMeans {ref_ari:.3f}"


def test_word_vectors_add_to_the_keywords(labelled):
    name, texts, y, result = labelled
    keywords_only = pp.analyze(texts, progress=False, seed=0, word_vectors=False)
    with_vectors, without = scores(y, result.labels), scores(y, keywords_only.labels)
    assert with_vectors[0] > without[0], f"{name}: NMI {with_vectors[0]:.3f} vs {without[0]:.3f} by keywords alone"


def test_few_left_out_and_a_sensible_count(labelled):
    name, _, y, result = labelled
    labels = np.asarray(result.labels)
    assert (labels < 0).mean() <= 0.05, name
    true_k = len(set(y.tolist()))
    # Not hundreds of fragments, not a handful of catch-alls.
    assert true_k / 4 <= len(result.problems) <= 4 * true_k, (name, len(result.problems), true_k)
    # Every problem is a real group, and the top three hold a good share.
    assert min(p.size for p in result.problems) >= 3
    assert result.coverage(3) >= 0.05
