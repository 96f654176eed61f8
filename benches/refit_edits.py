"""What an analyst's edits do to next month's problems, row by row.

For each labelled data set: fit its first half, edit the model (drop each
of the first four problems found again in the second half, or merge pairs
of them), refit the second half with ``previous=`` the edited model, and
compare every complaint's problem with the refit of the unedited model.
An edit should change only its own problems' complaints, and the new
problems that last month's model put mostly in them.

Per edit it prints which problem ids the changed complaints went from and
to, with how many ("14->-1: 43" = 43 complaints of problem 14 now -1), and
for every new problem among them where last month's model put its
complaints (``predict`` of the unedited first-half model).

    python benches/refit_edits.py [--datasets cfpb_products,banking77]

Reads ../shared/data as the other benches do.
"""
from __future__ import annotations

import argparse
import itertools
from collections import Counter

import numpy as np

from _common import DEFAULT_DATA, import_painpoints, load_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="folder of labelled CSV files")
    ap.add_argument("--datasets", default="banking77,cfpb_products,tweet_complaints")
    args = ap.parse_args()
    pp = import_painpoints()
    for name in args.datasets.split(","):
        texts, _ = load_dataset(__import__("pathlib").Path(args.data) / f"{name}.csv")
        half = len(texts) // 2
        first, second = texts[:half], texts[half:]
        base = pp.ProblemModel(progress=False).fit(first)
        plain = pp.ProblemModel(progress=False).fit(second, previous=base)
        before = np.asarray(plain.labels_)
        new = set(plain.lineage_["new"])
        labels = {p.id: p.label for p in plain.problems_}
        last_month = np.asarray(base.predict(second))
        kept = [p for p in base.problems_ if p.id in set(plain.lineage_["kept"])][:4]
        print(f"=== {name}: {len(first):,} + {len(second):,} complaints; {len(kept)} problems edited; "
              f"new next month: {', '.join(repr(labels[i]) for i in sorted(new)) or 'none'}")
        edits = [("drop", [p]) for p in kept[:3]] + [("merge", list(m)) for m in itertools.combinations(kept, 2)]
        for kind, problems in edits:
            model = pp.ProblemModel.from_json(base.to_json())
            ids = [p.id for p in problems]
            model = model.drop(ids[0], texts=first) if kind == "drop" else model.merge(*ids, texts=first)
            now = np.asarray(pp.ProblemModel(progress=False).fit(second, previous=model).labels_)
            moved = Counter((int(a), int(b)) for a, b in zip(before, now) if a != b)
            shown = ", ".join(f"{a}->{b}: {n}" for (a, b), n in sorted(moved.items()))
            print(f"{kind} {' + '.join(repr(p.label) for p in problems)}: {shown or 'no complaint moved'}")
            for a in sorted({a for a, _ in moved} & new):
                rows = before == a
                put = Counter(last_month[rows].tolist()).most_common(3)
                print(f"    new {labels[a]!r} ({int(rows.sum())}): last month's model put them in "
                      + ", ".join(f"{i}: {n}" for i, n in put))


if __name__ == "__main__":
    main()
