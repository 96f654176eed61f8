#!/usr/bin/env python3
"""Does a change to painpoints help? Two builds or settings, on the same draws.

One labelled file moves by a few hundredths of NMI / ARI when a handful of its
rows are grouped differently, so a change judged on whole files alone is
judged on noise. This script fits two variants, A and B, on the same random
subsets of every labelled data set and reports, per data set, their mean NMI
/ ARI and top-three recovery (how many of the 3 largest categories one of the
3 problems painpoints ranks first matches with F1 >= 0.5), the mean difference B - A, on how
many draws B is ahead, and the two-sided sign-test p-value of that count.
It also reports how repeatable each variant is: the ARI between its fits of
two different draws, on the rows both draws hold, over every pair of draws
(the "between draws" row; no labels needed).

A variant is a Python interpreter with painpoints installed (a virtualenv
holding the build to compare) plus `painpoints.analyze` parameters:

    # the build in .venv against the one in ../old-venv
    python benches/paired.py --a ../old-venv/bin/python --b .venv/bin/python
    # one build, two settings
    python benches/paired.py --b-set resolution=0.7
    python benches/paired.py --a-set word_vectors=false --draws 20 --share 0.3
    # both variants given all-MiniLM-L6-v2 vectors (cached as quality.py caches them)
    python benches/paired.py --a ../old-venv/bin/python --b .venv/bin/python --embeddings
    # fit on random halves, score the other halves with predict()
    python benches/paired.py --a ../old-venv/bin/python --b .venv/bin/python --holdout --share 0.5
    # a reference pipeline of quality.py as A, on the same draws
    python benches/paired.py --a-ref tfidf-kmeans
    python benches/paired.py --a-ref minilm-kmeans --embeddings [--b-without-embeddings]
    python benches/paired.py --a-ref bertopic --embeddings --a ../bertopic-venv/bin/python

Each variant runs in a child process of its own interpreter (`--child`),
which needs only painpoints; the parent draws the subsets (numpy seeds 777 +
d) and scores the labels (scikit-learn), so both variants see the same rows.

With --a-ref, variant A is one of quality.py's reference pipelines instead:
`tfidf-kmeans` or `minilm-kmeans`, given each draw's true number of
categories, or `bertopic`, which finds its own (the last two with
--embeddings; BERTopic's outliers count as one cluster, as in quality.py).
A's interpreter then needs scikit-learn, and `bertopic` for that one; its
"top three" are its three largest clusters. One whole file is one draw: a
comparison with a reference on the draws says whether a gap is the file's
jitter or the method's. --b-without-embeddings keeps the vectors from B,
to set painpoints' default fit against an embedding reference.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATASETS, DEFAULT_CACHE, DEFAULT_DATA, draw_rows, load_dataset, table  # noqa: E402


def parse_value(v: str):
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def parse_settings(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--a-set / --b-set take KEY=VALUE, got {item!r}")
        if key in ("seed", "progress", "texts"):
            raise SystemExit(f"--a-set / --b-set cannot set {key!r}: paired.py fits every draw with seed=0")
        out[key] = parse_value(value)
    return out


def child(job_path: str, out_path: str) -> None:
    """Fit every draw of the job with this interpreter's painpoints (or the
    job's reference pipeline)."""
    job = json.loads(Path(job_path).read_text())
    if job.get("reference"):
        reference_child(job, out_path)
        return
    import painpoints

    out, tops = {}, {}
    for name, draws, texts, _, vectors in job_sets(job):
        out[name], tops[name] = [], []
        for rows in draws:
            extra = {} if vectors is None else {"embeddings": vectors[rows]}
            if job.get("holdout"):
                # Fit on the draw, score the rows it left out.
                model = painpoints.ProblemModel(seed=0, progress=False, **job["settings"])
                model.fit([texts[i] for i in rows], **extra)
                rest = held_out(len(texts), rows)
                extra = {} if vectors is None else {"embeddings": vectors[rest]}
                labels = model.predict([texts[i] for i in rest], **extra)
                headline = model.problems_[:3]
            else:
                result = painpoints.analyze([texts[i] for i in rows], seed=0, progress=False, **job["settings"],
                                            **extra)
                labels, headline = result.labels, result.top(3)
            out[name].append([int(x) for x in labels])
            # The three problems painpoints headlines (its own ranking).
            tops[name].append([int(p.id) for p in headline])
    Path(out_path).write_text(json.dumps({"version": painpoints.__version__, "labels": out, "top": tops}))


def job_sets(job: dict):
    """Each data set of a child's job: its name, draws, texts, labels and
    vectors (None without --embeddings)."""
    for name, draws in job["draws"].items():
        file, _, column = name.partition(":")
        texts, labels = load_dataset(Path(job["data"]) / file, column or "label")
        vectors = job.get("embeddings", {}).get(name)
        if vectors is not None:
            import numpy as np

            vectors = np.load(vectors)
        yield name, draws, texts, labels, vectors


REFERENCES = ("tfidf-kmeans", "minilm-kmeans", "bertopic")


def reference_child(job: dict, out_path: str) -> None:
    """Fit every draw of the job with one of quality.py's reference
    pipelines (k-means given the draw's true number of categories)."""
    import numpy as np
    from quality import run_bertopic, run_embedding_kmeans, run_tfidf_kmeans, top_clusters

    out, tops = {}, {}
    for name, draws, texts, labels, vectors in job_sets(job):
        out[name], tops[name] = [], []
        for rows in draws:
            k = len({labels[i] for i in rows})
            if job["reference"] == "tfidf-kmeans":
                y = run_tfidf_kmeans([texts[i] for i in rows], k)[0]
            elif job["reference"] == "minilm-kmeans":
                y = run_embedding_kmeans(vectors[rows], k)[0]
            else:
                y = run_bertopic([texts[i] for i in rows], vectors[rows])[0]
            out[name].append([int(x) for x in y])
            tops[name].append([c for c, _ in top_clusters(np.asarray(y))])
    Path(out_path).write_text(json.dumps({"version": job["reference"], "labels": out, "top": tops}))


def held_out(n: int, rows: list) -> list:
    """The rows of 0..n that are not in `rows` (sorted)."""
    taken = set(rows)
    return [i for i in range(n) if i not in taken]


def run_variant(python: str, data: str, draws: dict, settings: dict, embeddings: dict, tmp: Path, tag: str,
                holdout: bool = False, reference: str | None = None) -> dict:
    job = tmp / f"job_{tag}.json"
    out = tmp / f"labels_{tag}.json"
    job.write_text(json.dumps({"data": data, "draws": draws, "settings": settings, "embeddings": embeddings,
                               "holdout": holdout, "reference": reference}))
    done = subprocess.run([python, __file__, "--child", str(job), str(out)])
    if done.returncode != 0:
        raise SystemExit(f"variant {tag} ({python}) failed with exit code {done.returncode}")
    result = json.loads(out.read_text())
    return result["labels"], result["top"]


def top3_matched(y, labels, top) -> int:
    """How many of the 3 largest categories are matched with F1 >= 0.5 by one
    of the 3 problems painpoints headlines, `top` (the top-three recovery of
    quality.py)."""
    from collections import Counter

    import numpy as np

    labels = np.asarray(labels)
    cat_sizes = Counter(y.tolist())
    cats = sorted(cat_sizes, key=lambda c: (-cat_sizes[c], str(c)))[:3]
    groups = [(g, int((labels == g).sum())) for g in top]
    matched = 0
    for cat in cats:
        in_cat = y == cat
        f1 = [2 * int((in_cat & (labels == g)).sum()) / (size + cat_sizes[cat]) for g, size in groups]
        matched += max(f1, default=0.0) >= 0.5
    return matched


def between_draws(draws: list, labels: list):
    """ARI between the fits of every two draws, on the rows both draws hold:
    how repeatable a variant's grouping is on new samples of the same data."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    out = []
    for i in range(len(draws)):
        for j in range(i + 1, len(draws)):
            shared, in_i, in_j = np.intersect1d(draws[i], draws[j], assume_unique=True, return_indices=True)
            if len(shared) > 1:
                out.append(adjusted_rand_score(np.asarray(labels[i])[in_i], np.asarray(labels[j])[in_j]))
    return np.array(out)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (ties dropped)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", default=sys.executable, help="interpreter of variant A (default: this one)")
    ap.add_argument("--b", default=sys.executable, help="interpreter of variant B (default: this one)")
    ap.add_argument("--a-set", action="append", default=[], metavar="KEY=VALUE", help="analyze() parameter for A")
    ap.add_argument("--b-set", action="append", default=[], metavar="KEY=VALUE", help="analyze() parameter for B")
    ap.add_argument("--draws", type=int, default=10, help="random subsets per data set (default: %(default)s)")
    ap.add_argument("--share", type=float, default=0.8, help="share of rows in each subset (default: %(default)s)")
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder with the labelled CSVs (default: %(default)s)")
    ap.add_argument("--datasets", default=",".join(Path(n).stem for n in DATASETS),
                    help="comma-separated data set names (default: all); NAME:COLUMN takes the labels "
                         "from another column, e.g. cfpb_products:issue")
    ap.add_argument("--embeddings", action="store_true",
                    help="give both variants all-MiniLM-L6-v2 vectors (as quality.py --embeddings; cached)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where --embeddings caches vectors")
    ap.add_argument("--holdout", action="store_true",
                    help="fit a ProblemModel on each draw and score the rows it left out with predict() "
                         "(use with --share 0.5 for halves); no between-draws row")
    ap.add_argument("--a-ref", choices=REFERENCES,
                    help="variant A is this reference pipeline of quality.py (the k-means ones given the true k; "
                         "minilm-kmeans and bertopic need --embeddings)")
    ap.add_argument("--b-without-embeddings", action="store_true",
                    help="with --embeddings, give the vectors to A only: B is painpoints' default fit "
                         "(e.g. against --a-ref minilm-kmeans)")
    ap.add_argument("--child", nargs=2, metavar=("JOB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if not 0.0 < args.share <= 1.0 or args.draws < 1:
        raise SystemExit("--share must be in (0, 1] and --draws at least 1")
    a_set, b_set = parse_settings(args.a_set), parse_settings(args.b_set)
    if args.a_ref and (a_set or args.holdout):
        raise SystemExit("--a-ref takes neither --a-set nor --holdout: a reference is fitted as quality.py fits it")
    if args.b_without_embeddings and not args.embeddings:
        raise SystemExit("--b-without-embeddings goes with --embeddings")
    if args.a_ref in ("minilm-kmeans", "bertopic") and not args.embeddings:
        raise SystemExit(f"--a-ref {args.a_ref} needs --embeddings")
    if args.a == args.b and a_set == b_set and not args.a_ref:
        raise SystemExit("A and B are the same variant: give --a/--b interpreters or --a-set/--b-set parameters")

    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    names = []
    for spec in args.datasets.split(","):
        stem, _, column = spec.strip().partition(":")
        if stem:
            names.append(f"{stem}.csv" + (f":{column}" if column else ""))
    truth, draws, texts_of = {}, {}, {}
    for name in names:
        file, _, column = name.partition(":")
        texts_of[name], labels = load_dataset(Path(args.data) / file, column or "label")
        truth[name] = np.asarray(labels)
        draws[name] = [draw_rows(len(labels), d, args.share) for d in range(args.draws)]
    with tempfile.TemporaryDirectory() as tmp:
        embeddings = {}
        if args.embeddings:
            from quality import minilm_embeddings

            for name in names:
                file = name.partition(":")[0]
                vectors, _, _ = minilm_embeddings(file, texts_of[name], Path(args.cache))
                path = Path(tmp) / f"minilm_{Path(file).stem}.npy"
                np.save(path, vectors)
                embeddings[name] = str(path)
        a, a_top = run_variant(args.a, args.data, draws, a_set, embeddings, Path(tmp), "a", args.holdout,
                               args.a_ref)
        b, b_top = run_variant(args.b, args.data, draws, b_set, {} if args.b_without_embeddings else embeddings,
                               Path(tmp), "b", args.holdout)

    given = "its own count" if args.a_ref == "bertopic" else "true k"
    a_name = f"reference {args.a_ref} ({given}), with {args.a}" if args.a_ref else f"{args.a} {a_set or ''}"
    print(f"A: {a_name}\nB: {args.b} {b_set or ''}")
    print(f"{args.draws} draws of {args.share:.0%} of each data set (numpy seeds 777 + d)"
          + ((", all-MiniLM-L6-v2 embeddings given" + (" to A only" if args.b_without_embeddings else ""))
             if args.embeddings else "")
          + (", each fitted and the rows left out scored with predict()" if args.holdout else "") + "\n")
    rows = []
    for name in names:
        scores = {"A": [], "B": []}
        for d, rows_d in enumerate(draws[name]):
            y = truth[name][held_out(len(truth[name]), rows_d) if args.holdout else rows_d]
            for tag, labels, top in (("A", a[name][d], a_top[name][d]), ("B", b[name][d], b_top[name][d])):
                scores[tag].append((normalized_mutual_info_score(y, labels), adjusted_rand_score(y, labels),
                                    len(set(labels) - {-1}), top3_matched(y, labels, top)))
        sa, sb = np.array(scores["A"]), np.array(scores["B"])
        for col, metric in ((0, "NMI"), (1, "ARI"), (3, "top-3 matched")):
            diff = sb[:, col] - sa[:, col]
            wins, losses = int((diff > 1e-12).sum()), int((diff < -1e-12).sum())
            digits = 2 if col == 3 else 3
            rows.append([name.replace(".csv", "") if col == 0 else "", metric, f"{sa[:, col].mean():.{digits}f}",
                         f"{sb[:, col].mean():.{digits}f}", f"{diff.mean():+.{digits}f}", f"{wins}/{args.draws}",
                         f"{sign_test(wins, losses):.3f}",
                         f"{np.median(sa[:, 2]):.0f} / {np.median(sb[:, 2]):.0f}" if col == 0 else ""])
        if args.draws > 1 and not args.holdout:
            ra, rb = between_draws(draws[name], a[name]), between_draws(draws[name], b[name])
            diff = rb - ra
            wins, losses = int((diff > 1e-12).sum()), int((diff < -1e-12).sum())
            rows.append(["", "ARI between draws", f"{ra.mean():.3f}", f"{rb.mean():.3f}", f"{diff.mean():+.3f}",
                         f"{wins}/{len(diff)}", f"{sign_test(wins, losses):.3f}", ""])
    print(table(["data set", "metric", "A mean", "B mean", "B - A", "B ahead", "sign test p", "problems A / B"],
                rows, right={2, 3, 4, 5, 6}))
    print("\n(B ahead: draws where B scores higher; ties count for neither side in the sign test. top-3 matched:"
          " of the 3 largest categories, how many one of the 3 problems painpoints ranks first (top(3))"
          " matches with F1 >= 0.5, out of 3."
          " ARI between draws: agreement of a variant's fits of two draws on the rows both hold, per pair of"
          " draws; the pairs share draws, so its sign test is only a guide."
          + (" A's top three are its three largest clusters." if args.a_ref else "") + ")")


if __name__ == "__main__":
    main()
