"""Pairs of problems that share their top keywords: one problem said two ways, or two?

For every labelled data set (whole file, or random draws as paired.py draws
them), lists each pair of problems whose five top keywords share two, with
whether their centres are each other's nearest ("one way": one is the
other's nearest, not the reverse; cosine of the centres the model stores) and how alike their complaints' human labels are: the cosine
between the two problems' counts of each label, 1 when they hold the same
categories in the same proportions, 0 when they share none.

The fit merges the pairs that share two keywords and are each other's
nearest (without the caller's embeddings: docs/quality.md, "Problems said
two ways are merged"), so with this build only the pairs it left apart
remain; run it with an earlier build's interpreter to see what it merges.

    python benches/repeats.py                                   # the three files
    python benches/repeats.py --data benches/.cache/extra --datasets stackoverflow,mcid,hwu64
    python benches/repeats.py --draws 10                        # 80% draws, seeds 777 + d
    python benches/repeats.py --embeddings                      # with all-MiniLM-L6-v2 vectors
    python benches/repeats.py --set word_vectors=false          # keywords alone
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DATASETS, DEFAULT_CACHE, DEFAULT_DATA, draw_rows, import_painpoints, load_dataset,  # noqa: E402
                     table)
from paired import parse_settings  # noqa: E402

TOP, SHARED = 5, 2


def centres(model_json: dict) -> np.ndarray:
    """The model's problem centres as unit rows, in the problems' order."""
    cs = model_json["centroids"]
    dim = 1 + max((t for c in cs for t, _ in c), default=0)
    out = np.zeros((len(cs), dim))
    for i, c in enumerate(cs):
        for t, w in c:
            out[i, t] = w
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def labels_alike(y: np.ndarray, labels: np.ndarray, a: int, b: int) -> float:
    """Cosine between the label counts of problems a and b."""
    cats = sorted(set(y[labels == a].tolist()) | set(y[labels == b].tolist()))
    ca = np.array([np.sum((labels == a) & (y == c)) for c in cats], dtype=float)
    cb = np.array([np.sum((labels == b) & (y == c)) for c in cats], dtype=float)
    den = np.linalg.norm(ca) * np.linalg.norm(cb)
    return float(ca @ cb / den) if den else 0.0


def pairs(result, y: np.ndarray) -> list[list]:
    """[label a (size), label b (size), shared keywords, each other's nearest, labels alike]."""
    model = json.loads(result.model.to_json())
    problems = model["problems"]
    if len(problems) < 2:
        return []
    c = centres(model)
    sims = c @ c.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    words = [{k["text"].lower() for k in p["keywords"][:TOP]} for p in problems]
    labels = np.asarray(result.labels)
    out = []
    for i in range(len(problems)):
        for j in range(i + 1, len(problems)):
            shared = sorted(words[i] & words[j])
            if len(shared) >= SHARED:
                ways = int(nearest[i] == j) + int(nearest[j] == i)
                a, b = problems[i], problems[j]
                out.append([f"{a['label']} ({a['size']})", f"{b['label']} ({b['size']})", ", ".join(shared),
                            ("no", "one way", "yes")[ways], f"{labels_alike(y, labels, a['id'], b['id']):.2f}"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder of labelled CSVs (text,label)")
    ap.add_argument("--datasets", default=",".join(d[:-4] for d in DATASETS))
    ap.add_argument("--draws", type=int, default=0, help="random 80%% draws per set (default: 0, the whole file)")
    ap.add_argument("--embeddings", action="store_true", help="fit with all-MiniLM-L6-v2 vectors (as quality.py)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where --embeddings caches vectors")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="analyze() parameter")
    args = ap.parse_args()
    pp = import_painpoints()
    settings = parse_settings(args.set)
    rows = []
    for name in args.datasets.split(","):
        texts, y = load_dataset(Path(args.data) / f"{name}.csv")
        y = np.asarray(y)
        vectors = None
        if args.embeddings:
            from quality import minilm_embeddings

            vectors = minilm_embeddings(name, texts, Path(args.cache))[0]
        n = len(texts)
        draws = ([("all", list(range(n)))] if args.draws <= 0 else
                 [(str(d), draw_rows(n, d, 0.8)) for d in range(args.draws)])
        for draw, idx in draws:
            extra = {} if vectors is None else {"embeddings": vectors[idx]}
            result = pp.analyze([texts[i] for i in idx], seed=0, progress=False, **settings, **extra)
            found = pairs(result, y[idx])
            rows += [[name, draw] + r for r in found]
            if not found:
                rows.append([name, draw, "(none)", "", "", "", ""])
    print(table(["data set", "draw", "problem", "problem", "shared keywords", "each other's nearest", "labels alike"],
                rows))


if __name__ == "__main__":
    main()
