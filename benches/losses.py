"""Where does painpoints lose agreement with the human labels?

A grouping can miss the labels in two ways: it merges categories into one
problem (the problem is then impure by whole categories), or it scatters
single complaints into problems where their category is not at home
(strays). The two call for different fixes: splitting problems, or
assigning complaints better. This script fits painpoints on each labelled
data set and scores, besides its own NMI / ARI, two repaired versions of its
result that each undo one kind of error with the labels' help:

  merges undone   every problem split by the labels of its complaints:
                  no problem holds two categories, strays stay apart
  strays undone   every complaint moved to the problem where most of its
                  category went: merged categories stay merged

The repair that gains more names the larger loss. These are bounds read off
the labels, not methods.

    python benches/losses.py
    python benches/losses.py --datasets banking77 --set word_vectors=false
    python benches/losses.py --embeddings     # with all-MiniLM-L6-v2 vectors (as quality.py)

Needs painpoints, numpy and scikit-learn; reads ../shared/data as the other
benches do.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATASETS, DEFAULT_CACHE, DEFAULT_DATA, import_painpoints, load_dataset, table  # noqa: E402


def repaired(labels, groups):
    """(merges undone, strays undone) versions of `groups`."""
    split = [f"{g}|{y}" for y, g in zip(labels, groups)]
    where: dict = defaultdict(Counter)
    for y, g in zip(labels, groups):
        where[y][g] += 1
    home = {y: c.most_common(1)[0][0] for y, c in where.items()}
    return split, [home[y] for y in labels]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder of labelled CSVs (default: %(default)s)")
    ap.add_argument("--datasets", default=",".join(d[:-4] for d in DATASETS),
                    help="comma-separated data set names (default: %(default)s)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a painpoints.analyze parameter (repeatable), e.g. word_vectors=false")
    ap.add_argument("--embeddings", action="store_true",
                    help="give painpoints all-MiniLM-L6-v2 vectors (cached as quality.py caches them)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="where --embeddings caches vectors")
    args = ap.parse_args()
    pp = import_painpoints()
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from paired import parse_value  # the same reading of KEY=VALUE as paired.py

    settings = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            ap.error(f"--set takes KEY=VALUE, got {item!r}")
        settings[key] = parse_value(value)
    rows = []
    for name in args.datasets.split(","):
        texts, labels = load_dataset(Path(args.data) / f"{name}.csv")
        if args.embeddings:
            from quality import minilm_embeddings

            settings["embeddings"] = minilm_embeddings(f"{name}.csv", texts, Path(args.cache))[0]
        groups = [int(g) for g in pp.analyze(texts, seed=0, progress=False, **settings).labels]
        split, moved = repaired(labels, groups)
        for what, g in (("painpoints", groups), ("merges undone", split), ("strays undone", moved)):
            rows.append([name if what == "painpoints" else "", what,
                         f"{normalized_mutual_info_score(labels, g):.3f}", f"{adjusted_rand_score(labels, g):.3f}",
                         str(len(set(g)))])
    print(table(["data set", "grouping", "NMI", "ARI", "groups"], rows))


if __name__ == "__main__":
    main()
