#!/usr/bin/env python3
"""Speed, memory and scoring throughput of painpoints vs scikit-learn, side by side.

Corpora of short complaints come from ../shared/tools/make_corpus.py --short-only
(cached in --cache). For each size, --runs times, alternating which goes first:
  painpoints  painpoints.analyze(texts, progress=False)
  reference   TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
              + MiniBatchKMeans(n_clusters=50, random_state=0, n_init=1), fit on the same rows
Each measurement runs in a fresh Python process, which reports its peak RSS
(ru_maxrss) once the texts are loaded and again after the fit.

Scoring: fit on the first --fit-rows rows (default 100,000), then score all rows:
  painpoints  ProblemModel(seed=0).fit(first rows).predict(all texts)
  reference   vectorizer.transform(all texts) + kmeans.predict(...)

With --embedding-dim D, every row also gets a random unit vector of D
columns (a stand-in for sentence embeddings: encoding a million rows with a
real model takes hours and is not what is measured), made after the texts
are loaded, and:
  painpoints  analyze(texts, embeddings=E) / fit + predict with embeddings=
  reference   MiniBatchKMeans(n_clusters=50, random_state=0, n_init=1) on E / its predict

With --keywords-only, painpoints runs with word_vectors=False (grouping by
keywords alone, without the built-in word vectors).

    python benches/speed.py [--rows 100000,1000000] [--runs 3] [--json speed.json]
                            [--embedding-dim 384] [--keywords-only] [--sample-size 10000]
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_CACHE, DEFAULT_TOOLS, dump_json, environment, load_average, load_texts, median, table,
)

RESULT = "RESULT "  # prefix of the one line a child prints for the parent
EMBEDDING_DIM = 0  # --embedding-dim, passed on to every child
WORD_VECTORS = True  # False with --keywords-only, passed on to every child
SAMPLE_SIZE = 20_000  # --sample-size, passed on to every child


def maxrss_mib() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 / (1024 * 1024) if sys.platform == "darwin" else 1 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def hwm_mib() -> float | None:
    """Linux's own peak RSS of this process (VmHWM), a cross-check of ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --- child side: one measurement in a fresh process ----------------------------------

def child(method: str, corpus: str, fit_rows: int, repeat: int) -> dict:
    # On Linux a child's ru_maxrss starts at its parent's RSS at fork time (it
    # survives exec), which is why the parent imports nothing heavy. Recorded
    # so a report can show it stayed below everything measured here.
    rss_start = maxrss_mib()
    if method.startswith("painpoints"):
        import painpoints
    else:
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.feature_extraction.text import TfidfVectorizer

        def reference():
            return (TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2),
                    MiniBatchKMeans(n_clusters=50, random_state=0, n_init=1))
    import numpy as np

    rss_import = maxrss_mib()
    texts = load_texts(Path(corpus))
    emb = None
    if EMBEDDING_DIM:
        emb = np.random.default_rng(0).standard_normal((len(texts), EMBEDDING_DIM), dtype=np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    out = {"rows": len(texts), "text_mib": sum(len(t.encode()) for t in texts) / 2**20,
           "rss_start_mib": rss_start, "rss_import_mib": rss_import, "rss_loaded_mib": maxrss_mib(),
           "hwm_loaded_mib": hwm_mib()}
    if method.startswith("painpoints"):
        out["painpoints_version"] = getattr(painpoints, "__version__", "?")

    if method == "painpoints-fit":
        t0 = time.perf_counter()
        res = painpoints.analyze(texts, progress=False, embeddings=emb, word_vectors=WORD_VECTORS,
                                 sample_size=SAMPLE_SIZE)
        out["time_s"] = time.perf_counter() - t0
        labels = np.asarray(res.labels)
        out["problems"] = len(res.problems)
        out["noise_share"] = float((labels < 0).mean())
    elif method == "reference-fit":
        t0 = time.perf_counter()
        vec, km = reference()
        km.fit(vec.fit_transform(texts) if emb is None else emb)
        out["time_s"] = time.perf_counter() - t0
    elif method == "painpoints-score":
        t0 = time.perf_counter()
        model = painpoints.ProblemModel(seed=0, word_vectors=WORD_VECTORS, sample_size=SAMPLE_SIZE).fit(
            texts[:fit_rows], embeddings=None if emb is None else emb[:fit_rows])
        out["fit_s"] = time.perf_counter() - t0
        out["predict_s"] = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            pred = model.predict(texts, embeddings=emb)
            out["predict_s"].append(time.perf_counter() - t0)
        out["noise_share"] = float((np.asarray(pred) < 0).mean())
    elif method == "reference-score":
        t0 = time.perf_counter()
        vec, km = reference()
        km.fit(vec.fit_transform(texts[:fit_rows]) if emb is None else emb[:fit_rows])
        out["fit_s"] = time.perf_counter() - t0
        out["predict_s"] = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            km.predict(vec.transform(texts) if emb is None else emb)
            out["predict_s"].append(time.perf_counter() - t0)
    else:
        raise SystemExit(f"unknown method {method}")
    out["rss_peak_mib"] = maxrss_mib()
    out["hwm_peak_mib"] = hwm_mib()
    return out


def measure(method: str, corpus: Path, fit_rows: int = 0, repeat: int = 1) -> dict:
    """Run one measurement in a fresh interpreter and return what it reported."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", method, "--corpus", str(corpus),
           "--fit-rows", str(fit_rows), "--repeat", str(repeat), "--embedding-dim", str(EMBEDDING_DIM),
           "--sample-size", str(SAMPLE_SIZE)]
    if not WORD_VECTORS:
        cmd.append("--keywords-only")
    p = subprocess.run(cmd, capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT):])
    sys.stderr.write(p.stderr[-4000:])
    raise RuntimeError(f"{method} on {corpus.name} failed (exit {p.returncode})")


# --- parent side ---------------------------------------------------------------------------

def corpus_path(rows: int, cache: Path, tools: Path) -> Path:
    """The cached corpus of `rows` short complaints, made first if missing."""
    maker = tools / "make_corpus.py"
    if not maker.exists():
        sys.exit(f"corpus generator not found: {maker} (use --tools)")
    # The generator's hash is in the name, so a changed generator makes a new corpus.
    tag = hashlib.sha1(maker.read_bytes()).hexdigest()[:8]
    path = cache / f"short_{rows}_seed0_{tag}.csv"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    print(f"making {path.name} ...", end=" ", flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(maker), "--rows", str(rows), "--short-only", "--seed", "0",
                    "--out", str(tmp)], check=True)
    os.replace(tmp, path)
    print(f"{time.perf_counter() - t0:.1f} s", flush=True)
    return path


def bench_size(rows: int, corpus: Path, args) -> dict:
    pp, ref, ratios = [], [], []
    for run in range(args.runs):
        order = ["painpoints", "reference"] if run % 2 == 0 else ["reference", "painpoints"]
        got = {m: measure(f"{m}-fit", corpus) for m in order}
        pp.append(got["painpoints"])
        ref.append(got["reference"])
        ratios.append(got["reference"]["time_s"] / got["painpoints"]["time_s"])
        print(f"  {rows:>9,} rows run {run + 1}/{args.runs}: painpoints {got['painpoints']['time_s']:.2f} s, "
              f"reference {got['reference']['time_s']:.2f} s", flush=True)
    d = {
        "rows": rows, "corpus": corpus.name, "text_mib": pp[0]["text_mib"],
        "painpoints_s": median([r["time_s"] for r in pp]), "reference_s": median([r["time_s"] for r in ref]),
        "speedup": median(ratios), "speedups": ratios,
        "painpoints_rss_loaded_mib": median([r["rss_loaded_mib"] for r in pp]),
        "painpoints_rss_peak_mib": median([r["rss_peak_mib"] for r in pp]),
        "reference_rss_loaded_mib": median([r["rss_loaded_mib"] for r in ref]),
        "reference_rss_peak_mib": median([r["rss_peak_mib"] for r in ref]),
        "painpoints_problems": pp[0]["problems"], "painpoints_noise_share": pp[0]["noise_share"],
        "painpoints_runs": pp, "reference_runs": ref,
        "child_rss_start_mib": max(r["rss_start_mib"] for r in pp + ref),
    }
    for r in pp + ref:
        if r["hwm_peak_mib"] and abs(r["hwm_peak_mib"] - r["rss_peak_mib"]) > 0.05 * r["rss_peak_mib"]:
            print(f"  WARNING: ru_maxrss {r['rss_peak_mib']:.0f} MiB but VmHWM {r['hwm_peak_mib']:.0f} MiB", flush=True)
    if not args.no_scoring:
        fit_rows = min(args.fit_rows, rows)
        sp = measure("painpoints-score", corpus, fit_rows, args.runs)
        sr = measure("reference-score", corpus, fit_rows, args.runs)
        d["scoring"] = {
            "fit_rows": fit_rows,
            "painpoints_rows_per_s": median([rows / t for t in sp["predict_s"]]),
            "reference_rows_per_s": median([rows / t for t in sr["predict_s"]]),
            "painpoints_fit_s": sp["fit_s"], "reference_fit_s": sr["fit_s"],
            "painpoints_noise_share": sp["noise_share"],
            "painpoints_predict_s": sp["predict_s"], "reference_predict_s": sr["predict_s"],
        }
        s = d["scoring"]
        print(f"  {rows:>9,} rows scoring: painpoints {s['painpoints_rows_per_s']:,.0f} rows/s, "
              f"reference {s['reference_rows_per_s']:,.0f} rows/s", flush=True)
    return d


def report(sizes: list[dict], runs: int):
    med = "" if runs == 1 else f" (median of {runs})"
    what = f"MiniBatchKMeans(50) on {EMBEDDING_DIM}-column embeddings" if EMBEDDING_DIM else "TF-IDF + MiniBatchKMeans(50)"
    sampled = "" if SAMPLE_SIZE == 20_000 else f", painpoints sample_size={SAMPLE_SIZE:,}"
    print(f"\n=== fit: analyze vs {what}{med}{sampled} ===")
    rows = [[f"{d['rows']:,}", f"{d['text_mib']:.1f}", f"{d['painpoints_s']:.2f}", f"{d['reference_s']:.2f}",
             f"{d['speedup']:.2f}x", f"{d['painpoints_rss_loaded_mib']:.0f}", f"{d['painpoints_rss_peak_mib']:.0f}",
             f"{d['reference_rss_peak_mib']:.0f}", d["painpoints_problems"],
             f"{100 * d['painpoints_noise_share']:.1f}%"]
            for d in sizes]
    print(table(["rows", "text MiB", "painpoints s", "reference s", "ref/pp", "pp RSS loaded MiB",
                 "pp RSS peak MiB", "ref RSS peak MiB", "pp problems", "pp -1 share"], rows))
    print("(ref/pp > 1: painpoints is faster; RSS = peak resident set (ru_maxrss) of a fresh Python process,"
          " 'loaded' = libraries imported and texts read;"
          f" a child's ru_maxrss starts at {max(d['child_rss_start_mib'] for d in sizes):.0f} MiB)")

    scored = [d for d in sizes if "scoring" in d]
    if scored:
        print(f"\n=== scoring: model fit on the first rows, then predict all rows{med} ===")
        rows = [[f"{d['rows']:,}", f"{s['fit_rows']:,}", f"{s['painpoints_rows_per_s']:,.0f}",
                 f"{s['reference_rows_per_s']:,.0f}", f"{s['painpoints_rows_per_s'] / s['reference_rows_per_s']:.2f}x",
                 f"{s['painpoints_fit_s']:.2f}", f"{s['reference_fit_s']:.2f}"]
                for d in scored for s in [d["scoring"]]]
        print(table(["rows scored", "fit rows", "painpoints rows/s", "reference rows/s", "pp/ref",
                     "pp fit s", "ref fit s"], rows))

    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]

        def growth(side, what):
            return f"{what(b, side) / max(1e-9, what(a, side)):.2f}"

        def secs(d, side):
            return d[f"{side}_s"]

        def peak(d, side):
            return d[f"{side}_rss_peak_mib"]

        def above(d, side):
            return d[f"{side}_rss_peak_mib"] - d[f"{side}_rss_loaded_mib"]

        print(f"\n=== growth {b['rows']:,} vs {a['rows']:,} rows ({b['rows'] / a['rows']:.0f}x the rows) ===")
        print(table(["", "painpoints", "reference"], [
            [name, growth("painpoints", what), growth("reference", what)]
            for name, what in [("time ratio", secs), ("peak RSS ratio", peak),
                               ("RSS above loaded texts ratio", above)]
        ]))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="100000,1000000", help="comma-separated corpus sizes (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="runs per size; medians are reported (default: 3)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where corpora are kept (default: benches/.cache)")
    ap.add_argument("--tools", default=str(DEFAULT_TOOLS), help="folder with make_corpus.py (default: %(default)s)")
    ap.add_argument("--fit-rows", type=int, default=100_000, help="rows the scoring model is fit on (default: 100000)")
    ap.add_argument("--no-scoring", action="store_true", help="skip the scoring throughput measurement")
    ap.add_argument("--json", help="write all numbers to this JSON file")
    ap.add_argument("--embedding-dim", type=int, default=0, metavar="D",
                    help="also give every row a random D-column embedding (see above; default: none)")
    ap.add_argument("--keywords-only", action="store_true",
                    help="painpoints with word_vectors=False (keywords alone)")
    ap.add_argument("--sample-size", type=int, default=20_000, metavar="N",
                    help="painpoints' sample_size: how many complaints a fit clusters (default: %(default)s)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    global EMBEDDING_DIM, WORD_VECTORS, SAMPLE_SIZE
    EMBEDDING_DIM = max(0, args.embedding_dim)
    WORD_VECTORS = not args.keywords_only
    SAMPLE_SIZE = args.sample_size

    if args.child:
        print(RESULT + json.dumps(child(args.child, args.corpus, args.fit_rows, args.repeat)), flush=True)
        return
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    sizes = sorted(int(r.replace("_", "")) for r in args.rows.split(","))

    # Only look for painpoints here: importing it (or numpy, scikit-learn) would
    # grow this process, and each child's ru_maxrss starts at this process's RSS.
    if importlib.util.find_spec("painpoints") is None:
        sys.exit("cannot find painpoints; install it first: pip install .  (from the repository root)")
    env = environment()
    shown = {k: v for k, v in env.items() if k not in ("platform", "load_average")}
    print("painpoints speed bench  " + "  ".join(f"{k}={v}" for k, v in shown.items()))

    t0 = time.perf_counter()
    results = []
    for rows in sizes:
        corpus = corpus_path(rows, Path(args.cache), Path(args.tools))
        results.append(bench_size(rows, corpus, args))
    report(results, args.runs)
    env["load_average_end"] = load_average()
    print(f"\ntotal bench time {time.perf_counter() - t0:.1f} s; load average at start {env['load_average']},"
          f" at end {env['load_average_end']} (on {env['cpus']} cores)")
    if args.json:
        dump_json(args.json, {"environment": env, "sizes": results})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
