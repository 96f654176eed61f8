"""Helpers shared by the comparison scripts in benches/ (quality.py, speed.py).

Nothing here imports painpoints, so the scripts can print a clear message
when the package is not installed yet.
"""
from __future__ import annotations

import csv
import json
import os
import platform
import re
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
# The labelled data lives in the `shared` folder next to the repository.
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_TOOLS = REPO.parent / "shared" / "tools"
DEFAULT_CACHE = BENCHES / ".cache"

DATASETS = ["banking77.csv", "cfpb_products.csv", "tweet_complaints.csv"]


def import_painpoints():
    """Import painpoints or exit with a message that says how to get it."""
    try:
        import painpoints
    except ImportError as e:
        sys.exit(
            f"cannot import painpoints ({e}).\n"
            "Build and install it first, from the repository root:\n"
            "    pip install .        (or: maturin develop --release)"
        )
    return painpoints


def load_dataset(path: Path, column: str = "label"):
    """Return (texts, labels) from one labelled CSV, labels from `column`.

    tweet_complaints.csv holds complaints and non-complaints; only rows with
    is_complaint == "1" are complaints, so only those are kept.
    """
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if column not in (reader.fieldnames or []):
            raise SystemExit(f"{path.name} has no column {column!r} (columns: {', '.join(reader.fieldnames or [])})")
        for row in reader:
            if "is_complaint" in row and row["is_complaint"] != "1":
                continue
            texts.append(row["text"])
            labels.append(row[column])
    return texts, labels


def load_texts(path: Path, limit: int | None = None):
    """Only the text column of a CSV made by make_corpus.py."""
    texts = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        col = next(reader).index("text")
        for row in reader:
            texts.append(row[col])
            if limit is not None and len(texts) >= limit:
                break
    return texts


# --- does a cluster's label "name" a category? -------------------------------

_NON_WORD = re.compile(r"[^0-9a-z]+")


def _stop_words():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def stems(text: str) -> list[str]:
    """Crude stems: lowercase words split on anything not a letter or digit,
    stop words dropped, words of 5+ characters cut to their first 5."""
    stop = _stop_words()
    out = []
    for w in _NON_WORD.split(text.lower()):
        if len(w) < 2 or w in stop or w.isdigit():
            continue
        out.append(w[:5] if len(w) >= 5 else w)
    return out


def name_match(category: str, label: str, keywords: list[str]) -> list[str]:
    """Stems of `category` that prefix-match a stem of `label` or `keywords`.

    Empty list = the cluster is not named after the category. Matching goes
    both ways ("card" ~ "cards", "deliv" ~ "deliveri") but needs 3+ shared
    characters, so "a" or "tv" match nothing by accident.
    """
    got = set(stems(label)) | set(stems(" ".join(keywords)))
    hits = []
    for s in dict.fromkeys(stems(category)):
        for t in got:
            n = min(len(s), len(t))
            if n >= 3 and (t.startswith(s) or s.startswith(t)):
                hits.append(s)
                break
    return hits


# --- plain-text tables --------------------------------------------------------

def table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    """Fixed-width table; columns listed in `right` are right-aligned."""
    right = set(range(1, len(headers))) if right is None else right
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def draw_rows(n: int, d: int, share: float) -> list[int]:
    """Draw d of a data set of n rows, as paired.py draws them: a random
    share of the rows (at least 2, numpy seed 777 + d), in their order."""
    import numpy as np

    size = max(2, int(share * n))
    return sorted(int(i) for i in np.random.default_rng(777 + d).choice(n, size, replace=False))


def median(xs):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


# --- environment and JSON ------------------------------------------------------

def environment() -> dict:
    """Versions and machine facts for the report header.

    Versions come from the installed distributions' metadata, so nothing heavy
    is imported: speed.py's parent process must stay small (see speed.py).
    """
    from importlib import metadata

    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    for dist in ("painpoints", "numpy", "scikit-learn"):
        try:
            env[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            env[dist] = "?"
    env["command"] = " ".join([Path(sys.argv[0]).name] + sys.argv[1:])
    env["load_average"] = load_average()
    for var in ("PAINPOINTS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var):
            env[var] = os.environ[var]
    return env


def load_average() -> str:
    """1/5/15-minute load averages: a busy machine makes every timing suspect."""
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def dump_json(path: str, obj) -> None:
    def default(o):
        import numpy as np

        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, Path):
            return str(o)
        raise TypeError(type(o).__name__)

    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, default=default, ensure_ascii=False)
        f.write("\n")


# --- is a problem's label readable? -------------------------------------------

# NLTK's English stop-word list (nltk_data corpora/stopwords/english), the
# list analysts know; scikit-learn's is broader and holds content words such
# as "amount", "top" (as in top up) and "bill".
NLTK_STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he
him his himself she she's her hers herself it it's its itself they them their theirs themselves what
which who whom this that that'll these those am is are was were be been being have has had having do
does did doing a an the and but if or because as until while of at by for with about against between
into through during before after above below to from up down in out on off over under again further
then once here there when where why how all any both each few more most other some such no nor not
only own same so than too very s t can will just don don't should should've now d ll m o re ve y ain
aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't
ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
weren't won won't wouldn wouldn't
""".split())
# painpoints writes a negated word as "not <word>" ("refund not received",
# "not power" for "no power"), so "not" is the negation marker, not a word
# to find in the complaints; it may not stand alone.
NEGATION_MARKER = "not"
MAX_LABEL_WORDS = 4
_MASK = re.compile(r"^_[a-z]+_$")


# Scripts written without spaces between words (painpoints reads them as
# character pairs): there a label's word is found anywhere in the text.
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def occurs(word: str, text: str) -> bool:
    """`word` as a whole word of `text` (both lowercased); "@handle" and
    "u.s" count as words; in Chinese and Japanese, anywhere."""
    if UNSPACED.search(word):
        return word in text
    return re.search(r"(?<![\w@])" + re.escape(word) + r"(?!\w)", text) is not None


def label_faults(label: str, member_texts: list[str]) -> list[str]:
    """What keeps `label` from being a readable name of the problem whose
    complaints are `member_texts`; an empty list when nothing does.

    A readable label is a short phrase (1 to MAX_LABEL_WORDS words) of real
    words that its complaints write (each found as a whole word in at least
    one of them, case aside), with no mask placeholder and no stop word
    (NLTK's list) but the negation marker. Uniqueness is a property of the
    whole set: see `duplicate_labels`.
    """
    words = label.lower().split()
    faults = []
    if not 1 <= len(words) <= MAX_LABEL_WORDS:
        faults.append(f"{len(words)} words")
    lowered = [t.lower() for t in member_texts]
    for w in words:
        if w == NEGATION_MARKER:
            continue
        if _MASK.match(w):
            faults.append(f"mask {w!r}")
        elif w in NLTK_STOP_WORDS:
            faults.append(f"stop word {w!r}")
        elif not any(occurs(w, t) for t in lowered):
            faults.append(f"{w!r} is in none of its complaints")
    if words and all(w == NEGATION_MARKER for w in words):
        faults.append("only a negation")
    return faults


def problem_label_faults(problems, labels, texts) -> dict[str, list[str]]:
    """`label_faults` of every problem of an analysis (its `problems`, its
    per-row `labels` as an array, the `texts` it was given): only the labels
    with a fault."""
    faults = {p.label: label_faults(p.label, [texts[i] for i in (labels == p.id).nonzero()[0]]) for p in problems}
    return {label: f for label, f in faults.items() if f}


def duplicate_labels(labels: list[str]) -> list[str]:
    """Labels (case aside) that more than one problem carries."""
    seen, dup = set(), []
    for label in labels:
        key = label.lower()
        if key in seen and key not in dup:
            dup.append(key)
        seen.add(key)
    return dup


# A problem beyond the top three repeats one of them when it shares this
# many of its top keywords with it, or its label is one of them.
FRAGMENT_KEYWORDS, FRAGMENT_SHARED = 5, 2


def fragments(problems, top_ids):
    """Problems beyond the top three that say what one of them says, by the
    words an analyst reads: [(label, size, top problem's label, shared keywords)]."""
    words = {p.id: [str(k) for k, _ in list(p.keywords)[:FRAGMENT_KEYWORDS]] for p in problems}
    tops = [p for p in problems if p.id in top_ids]
    found = []
    for p in problems:
        if p.id in top_ids:
            continue
        for t in tops:
            shared = sorted(set(words[p.id]) & set(words[t.id]))
            if len(shared) >= FRAGMENT_SHARED or str(p.label) in words[t.id]:
                found.append((str(p.label), int(p.size), str(t.label), shared))
                break
    return found


def label_coverage(problems, labels, texts) -> list[tuple[str, int, float]]:
    """For every problem, the share of its complaints that say its label:
    every word of it (crude stems, equal or prefix-matched over 3+
    characters as in name_match; the negation marker "not" is a stop word
    there, since complaints write "no", "never", "without").
    [(label, size, share)], in the problems' order."""
    import numpy as np

    def says(words, text):
        got = set(stems(text or ""))
        return all(w in got or any(min(len(w), len(t)) >= 3 and (t.startswith(w) or w.startswith(t)) for t in got)
                   for w in words)

    labels = np.asarray(labels)
    out = []
    for p in problems:
        words = list(dict.fromkeys(stems(str(p.label))))
        rows = np.flatnonzero(labels == p.id)
        if not words or len(rows) == 0:
            out.append((str(p.label), int(p.size), float("nan")))
            continue
        out.append((str(p.label), int(p.size), sum(says(words, texts[i]) for i in rows) / len(rows)))
    return out


# Answers a survey's open question collects besides complaints: typical
# non-answers, written for the benches and tests (not from a data set).
NON_ANSWERS = [
    "N/A", "n/a", "NA", "none", "None.", "Nothing", "nothing really", "Nothing, all good", "nothing to add",
    "Nothing comes to mind", "no", "No.", "no comment", "No comments", "No complaints",
    "I have no complaints at this time", "never had a problem", "No issues", "all good thanks",
    "Everything is fine", "Everything was perfect", "Keep up the good work!", "great service",
    "Great customer service", "very satisfied", "Happy with everything", "not sure", "don't know", "-", ".",
    "same as above", "Not at this time", "No, thank you",
]
