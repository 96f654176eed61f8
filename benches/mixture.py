"""Would a mixture model settle the problems better than k-means does?

An experiment on the labelled data sets. It was written to answer that
question before the method changed; painpoints has since adopted the
mixture for complaints of up to 30 words (longer ones move in its first
sweep only), with its character pieces as a second view (see
src/mixture.rs and the README), so its own row here
already holds that. What this script still measures is the words-only
mixture over every complaint, long ones too, run on top of it, and the
variant with MiniLM vectors (--embeddings), where the fit keeps k-means.

painpoints groups a sample with a similarity graph (Louvain), then settles
the groups with k-means on cosine similarity. Short-text topic models such
as GSDMM (Yin & Wang 2014) instead treat each group as a multinomial over
words and each complaint as drawn whole from one group. Here painpoints'
own result is the starting point, and a hard-EM version of that mixture
(every complaint moves to the group under which its words are most likely,
counts recomputed, until nothing moves) refines it. Words are painpoints'
own terms (`painpoints._painpoints.terms`, stems with negation kept), seen
in at least two complaints; Dirichlet smoothing alpha = beta = 0.1 as in
GSDMM. With --embeddings the MiniLM sentence vectors add a second view, a
von Mises-Fisher term kappa * cos(vector, group mean direction), kappa
estimated from the groups (Banerjee et al. 2005) and scaled by
--dense-weight.

Three rows per data set:
  painpoints               the fit as it is (seed 0)
  + mixture                its groups refined by the mixture
  + mixture, by centres    the refined groups' centres re-assign every
                           complaint (keyword centres, sublinear TF-IDF and
                           cosine, blended half and half with the vectors'
                           centres under --embeddings): what a fitted model
                           that scores by its centres, as painpoints' does,
                           would give

    python benches/mixture.py [--datasets banking77,cfpb_products] [--embeddings] [--dense-weight 0.15]

Needs painpoints, numpy and scikit-learn (--embeddings: see quality.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATASETS, DEFAULT_CACHE, DEFAULT_DATA, import_painpoints, load_dataset, table  # noqa: E402

ALPHA = 0.1  # Dirichlet prior on group sizes
BETA = 0.1   # Dirichlet prior on each group's word distribution


def word_counts(texts):
    """Complaint × term counts over painpoints' own terms (min_df 2)."""
    from sklearn.feature_extraction.text import CountVectorizer

    from painpoints import _painpoints

    cv = CountVectorizer(tokenizer=lambda t: [stem for stem, _ in _painpoints.terms(t)], lowercase=False,
                         min_df=2, token_pattern=None)
    return cv.fit_transform(texts).tocsr()


def refine(counts, labels, dense=None, dense_weight=0.0, max_sweeps=30):
    """Hard-EM on a multinomial mixture (plus an optional vMF view), from `labels`.

    Every sweep scores each complaint against every group with the counts of
    the previous sweep (its own counts taken out of its group), then moves
    all complaints at once. Rows labelled -1 stay out. Returns the new
    labels and the number of sweeps run.
    """
    z = labels.copy()
    n, v = counts.shape
    k = int(z.max()) + 1
    docs = [(counts.indices[counts.indptr[d]:counts.indptr[d + 1]],
             counts.data[counts.indptr[d]:counts.indptr[d + 1]].astype(np.int64)) for d in range(n)]
    unit = None
    if dense is not None:
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        unit = np.where(norms > 0, dense / np.maximum(norms, 1e-12), 0.0)
    steps = np.arange(max((int(c.sum()) for _, c in docs), default=0) + 1)
    for sweep in range(1, max_sweeps + 1):
        nkw = np.zeros((k, v))
        nk = np.zeros(k)
        mk = np.zeros(k)
        for d in np.flatnonzero(z >= 0):
            w, c = docs[d]
            nkw[z[d], w] += c
            nk[z[d]] += c.sum()
            mk[z[d]] += 1
        view = None
        if unit is not None and dense_weight > 0:
            sums = np.zeros((k, unit.shape[1]))
            np.add.at(sums, z[z >= 0], unit[z >= 0])
            lengths = np.linalg.norm(sums, axis=1)
            rbar = min(lengths.sum() / max(1, int((z >= 0).sum())), 0.999)
            kappa = rbar * (unit.shape[1] - rbar ** 2) / (1 - rbar ** 2)
            view = dense_weight * kappa * (unit @ (sums / np.maximum(lengths[:, None], 1e-12)).T)
        new = z.copy()
        for d in np.flatnonzero(z >= 0):
            w, c = docs[d]
            own = z[d]
            size = mk.copy()
            size[own] -= 1
            score = np.log(size + ALPHA)
            total = int(c.sum())
            if total:
                sub = nkw[:, w]
                sub[own] -= c
                for j in range(int(c.max())):
                    score += np.log(sub[:, c > j] + BETA + j).sum(1)
                mass = nk.copy()
                mass[own] -= total
                score -= np.log(mass[:, None] + v * BETA + steps[None, :total]).sum(1)
            if view is not None:
                score += view[d]
            score[mk == 0] = -np.inf  # (its own group counts itself)
            new[d] = int(np.argmax(score))
        moved = int((new != z).sum())
        z = new
        if moved == 0:
            break
    return z, sweep


def by_centres(counts, labels, dense=None, weight=0.5):
    """Every complaint re-assigned to the nearest centre of the groups `labels`.

    Keyword centres (sublinear TF-IDF, cosine), blended with the mean
    direction of the vectors when `dense` is given (cosine similarities
    averaged with `weight`, painpoints' default embedding weight): what a
    fitted model that scores by its centres would give.
    """
    from scipy.sparse import csr_matrix, issparse
    from sklearn.feature_extraction.text import TfidfTransformer

    keep = np.flatnonzero(labels >= 0)
    members = csr_matrix((np.ones(len(keep)), (labels[keep], keep)), shape=(int(labels.max()) + 1, len(labels)))

    def cosines(x):
        centres = members @ x
        centres = centres.toarray() if issparse(centres) else centres
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
        return np.asarray(x @ centres.T)

    score = cosines(TfidfTransformer(sublinear_tf=True).fit_transform(counts))
    if dense is not None:
        unit = dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
        score = (1 - weight) * score + weight * cosines(unit)
    out = score.argmax(axis=1)
    out[labels < 0] = -1
    return out


def main() -> None:
    import quality

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--datasets", default=",".join(Path(n).stem for n in DATASETS))
    ap.add_argument("--embeddings", action="store_true",
                    help="fit with MiniLM sentence vectors and use them as a second view (see quality.py)")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--dense-weight", type=float, default=0.15,
                    help="share of the estimated vMF concentration given to the vectors (default %(default)s)")
    args = ap.parse_args()
    pp = import_painpoints()
    rows = []
    for name in args.datasets.split(","):
        path = Path(args.data) / f"{name}.csv"
        texts, cats = load_dataset(path, "label")
        names = sorted(set(cats))
        y = np.array([names.index(c) for c in cats])
        emb = None
        if args.embeddings:
            emb, _, _ = quality.minilm_embeddings(path.name, texts, Path(args.cache))
        kwargs = {"seed": 0, "progress": False}
        if emb is not None:
            kwargs["embeddings"] = emb
        start = np.asarray(pp.analyze(texts, **kwargs).labels, dtype=np.int64)
        counts = word_counts(texts)
        t0 = time.perf_counter()
        refined, sweeps = refine(counts, start, emb, args.dense_weight if emb is not None else 0.0)
        dt = time.perf_counter() - t0
        for method, lab, note in (
            ("painpoints" + (" + MiniLM" if emb is not None else ""), start, ""),
            ("+ mixture", refined, f"{sweeps} sweeps, {dt:.1f} s, {np.mean(refined != start):.0%} moved"),
            ("+ mixture, by centres", by_centres(counts, refined, emb), ""),
        ):
            m = quality.metrics(y, lab)
            rows.append([name, method, f"{m['nmi']:.3f}", f"{m['ari']:.3f}", m["problems"], note])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    print()
    print(table(["data set", "method", "NMI", "ARI", "groups", ""], rows, right={2, 3, 4}))


if __name__ == "__main__":
    main()
