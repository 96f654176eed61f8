"""Other ways to find problems without being told how many, side by side with painpoints.

Approaches worth trying for painpoints' job, each measured on the labelled
data sets as quality.py measures painpoints (NMI, ARI, -1 as one cluster):

  painpoints          painpoints.analyze(texts, seed=0)
  kmeans/stability    spherical k-means on TF-IDF (KMeans on unit rows), k from
                      a grid around the true count, the k whose fits of two
                      random 80% subsets agree most (ARI on the rows both hold)
  kmeans/silhouette   the same, the k of the best cosine silhouette (3,000 rows)
  stc                 phrase-first clusters in the manner of Suffix Tree
                      Clustering (Zamir & Etzioni 1998): base clusters of the
                      complaints sharing a phrase of 1 to 3 stems (in 3 to 40%
                      of them), the 500 best by size x phrase length, merged
                      where they overlap by more than half both ways; each
                      complaint to the best merged cluster holding it, -1 if none
  painpoints+vote     painpoints' problems, then every complaint given the
                      problem most of its 10 nearest neighbours hold (TF-IDF of
                      words and 3-5 character n-grams, cosine-weighted votes)
  painpoints+kwmerge  painpoints' problems, then problems whose 5 top keywords
                      share at least 2 merged (ProblemModel.merge, the pair
                      sharing most first, keywords recounted after each merge):
                      the "merge clusters whose keywords overlap" idea, and the
                      bench's own test of a repeated problem
  --embeddings        adds painpoints+minilm and painpoints+minilm+kwmerge, the
                      same with all-MiniLM-L6-v2 vectors (as quality.py --embeddings)

Words are the crude stems of _common.stems (stop words out, cut to 5
characters). Needs scikit-learn.

    python benches/alternatives.py [--datasets banking77,cfpb_products] [--data DIR] [--embeddings]
"""
from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from _common import (DATASETS, DEFAULT_CACHE, DEFAULT_DATA, FRAGMENT_KEYWORDS, FRAGMENT_SHARED, import_painpoints,
                     load_dataset, stems, table)


def spherical_kmeans_by_data(X, grid, seed=0):
    """(rows of the grid, best by stability, best by silhouette)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    n = X.shape[0]
    rng = np.random.default_rng(seed)
    rows = []
    for k in grid:
        agree = []
        for r in range(2):
            a = rng.choice(n, int(0.8 * n), replace=False)
            b = rng.choice(n, int(0.8 * n), replace=False)
            la = np.full(n, -1)
            lb = np.full(n, -1)
            la[a] = KMeans(n_clusters=k, n_init=1, random_state=2 * r).fit_predict(X[a])
            lb[b] = KMeans(n_clusters=k, n_init=1, random_state=2 * r + 1).fit_predict(X[b])
            both = (la >= 0) & (lb >= 0)
            agree.append(adjusted_rand_score(la[both], lb[both]))
        labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(X)
        some = rng.choice(n, min(n, 3000), replace=False)
        sil = silhouette_score(X[some], labels[some], metric="cosine")
        rows.append((k, float(np.mean(agree)), float(sil), labels))
    return rows, max(rows, key=lambda r: r[1]), max(rows, key=lambda r: r[2])


def stc(docs, max_base=500, min_docs=3, max_share=0.4, overlap=0.5):
    """Labels of phrase-first clusters (see the module docstring)."""
    n = len(docs)
    where = collections.defaultdict(set)
    for i, d in enumerate(docs):
        for length in (1, 2, 3):
            for j in range(len(d) - length + 1):
                where[tuple(d[j:j + length])].add(i)
    weight = lambda p: 0.5 if len(p) == 1 else min(len(p), 6)  # noqa: E731 (STC's f(|P|))
    base = [(p, s) for p, s in where.items() if min_docs <= len(s) <= max_share * n]
    base.sort(key=lambda ps: -len(ps[1]) * weight(ps[0]))
    base = base[:max_base]
    parent = list(range(len(base)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a in range(len(base)):
        for b in range(a + 1, len(base)):
            inter = len(base[a][1] & base[b][1])
            if inter > overlap * len(base[a][1]) and inter > overlap * len(base[b][1]):
                parent[find(a)] = find(b)
    members = collections.defaultdict(set)
    score = collections.Counter()
    for a, (p, s) in enumerate(base):
        members[find(a)] |= s
        score[find(a)] += len(s) * weight(p)
    labels = np.full(n, -1)
    for cluster, root in enumerate(sorted(members, key=lambda r: -score[r])):
        for i in members[root]:
            if labels[i] == -1:
                labels[i] = cluster
    return labels


def neighbour_vote(texts, labels, k=10):
    """Each complaint's label becomes the one most of its k nearest neighbours hold."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import normalize

    words = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
    chars = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5), min_df=2).fit_transform(texts)
    X = normalize(hstack([words, chars]).tocsr())
    dist, idx = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(X).kneighbors(X)
    out = labels.copy()
    for i in range(len(labels)):
        votes: dict = {}
        for j, d in zip(idx[i], dist[i]):
            if labels[j] >= 0:
                votes[labels[j]] = votes.get(labels[j], 0.0) + 1.0 - d
        if votes:
            out[i] = max(votes, key=votes.get)
    return out


def keyword_merge(model, texts, embeddings=None, shared=FRAGMENT_SHARED, top=FRAGMENT_KEYWORDS):
    """Merge the problems whose top keywords overlap; returns the merges made."""
    merges = []
    while True:
        problems = model.problems_
        words = {p.id: {str(k) for k, _ in list(p.keywords)[:top]} for p in problems}
        best = None
        for i, a in enumerate(problems):
            for b in problems[i + 1:]:
                n = len(words[a.id] & words[b.id])
                if n >= shared and (best is None or n > best[0]):
                    best = (n, a, b)
        if best is None:
            return merges
        model.merge(best[1].id, best[2].id, texts=texts, embeddings=embeddings)
        merges.append(f"{best[1].label} + {best[2].label}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder of labelled CSVs (text,label)")
    ap.add_argument("--datasets", default=",".join(d[:-4] for d in DATASETS))
    ap.add_argument("--embeddings", action="store_true", help="also painpoints with MiniLM vectors (as quality.py)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where --embeddings caches vectors")
    args = ap.parse_args()
    pp = import_painpoints()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from pathlib import Path

    rows = []
    for name in args.datasets.split(","):
        texts, y = load_dataset(Path(args.data) / f"{name}.csv")
        y = np.asarray(y)
        k_true = len(set(y))

        def add(method, labels, note="", seconds=0.0):
            counts = collections.Counter(labels.tolist())
            rows.append([name, method, f"{nmi(y, labels):.3f}", f"{ari(y, labels):.3f}",
                         f"{len(counts) - (-1 in counts)} / {k_true}", f"{counts.get(-1, 0) / len(labels):.1%}",
                         f"{seconds:.1f}", note])

        t = time.perf_counter()
        result = pp.analyze(texts, seed=0, progress=False)
        ours = np.asarray(result.labels)
        add("painpoints", ours, seconds=time.perf_counter() - t)
        t = time.perf_counter()
        X = TfidfVectorizer(analyzer=stems, sublinear_tf=True, min_df=2).fit_transform(texts)
        grid = sorted({max(2, k_true // 4), max(2, k_true // 2), k_true, 2 * k_true, 5, 10, 20, 40, 80})
        _, by_stability, by_silhouette = spherical_kmeans_by_data(X, grid)
        took = time.perf_counter() - t
        add("kmeans/stability", by_stability[3], f"k = {by_stability[0]} (agreement {by_stability[1]:.3f})", took)
        add("kmeans/silhouette", by_silhouette[3], f"k = {by_silhouette[0]} ({by_silhouette[2]:.4f})", took)
        t = time.perf_counter()
        add("stc", stc([stems(x) for x in texts]), seconds=time.perf_counter() - t)
        t = time.perf_counter()
        voted = neighbour_vote(texts, ours)
        add("painpoints+vote", voted, f"{(voted != ours).mean():.1%} moved", time.perf_counter() - t)
        variants = [("painpoints", None, result.model)]  # editing result.model leaves result as it was
        if args.embeddings:
            from quality import minilm_embeddings

            emb = minilm_embeddings(name, texts, Path(args.cache))[0]
            t = time.perf_counter()
            with_emb = pp.ProblemModel(seed=0, progress=False).fit(texts, embeddings=emb)
            add("painpoints+minilm", np.asarray(with_emb.labels_), seconds=time.perf_counter() - t)
            variants.append(("painpoints+minilm", emb, with_emb))
        for method, emb, model in variants:
            t = time.perf_counter()
            merges = keyword_merge(model, texts, emb)
            add(f"{method}+kwmerge", np.asarray(model.labels_), "; ".join(merges) or "no merge",
                time.perf_counter() - t)
        print(f"{name} done", flush=True)
    print(table(["data set", "method", "NMI", "ARI", "clusters / true", "-1 share", "s", "note"], rows))


if __name__ == "__main__":
    main()
