"""Command-line interface: ``painpoints analyze|fit|score|demo``.

Run ``painpoints --help`` (or ``python -m painpoints --help``) for usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import warnings
from typing import Any, Dict, List, Optional, Sequence

from ._files import replaced
from ._inputs import is_missing
from ._words import complaints_and_blank, counted, of_them_copies

__all__ = ["main", "build_parser"]

PROG = "painpoints"

_MAIN_EPILOG = """\
Examples:
  painpoints demo
  painpoints analyze tickets.csv --text comment --html report.html
  painpoints fit survey.xlsx --text "What went wrong?" -o problems.json
  painpoints score problems.json new_tickets.csv -o scored.csv

Supported inputs: CSV, TSV, JSON Lines, JSON, Parquet, Excel (Qualtrics and
SurveyMonkey exports are recognised). Run 'painpoints COMMAND --help' for details.
"""

_ANALYZE_EPILOG = """\
Examples:
  painpoints analyze tickets.csv --text comment
  painpoints analyze tickets.csv --text comment --top 5 --html report.html
  painpoints analyze tickets.csv --text comment --rows tickets_labelled.csv
  painpoints analyze survey.xlsx --sheet Responses --text Q2_TEXT --json problems.json
  painpoints analyze export.jsonl --text body --max-problems 20 --min-size 5 --seed 42
  painpoints analyze tickets.csv --text comment --embeddings tickets_minilm.npy
  painpoints analyze tickets.csv --text comment --date created --freq M --segment channel
  painpoints analyze survey.csv --text comment --rating nps_score --nps
"""

_FIT_EPILOG = """\
Examples:
  painpoints fit tickets.csv --text comment -o problems.json
  painpoints fit survey.csv --text Q2_TEXT -o problems.json --max-problems 15 --seed 1

The model file records the text column, so 'painpoints score' can reuse it.
"""

_SCORE_EPILOG = """\
Examples:
  painpoints score problems.json new_tickets.csv -o scored.csv
  painpoints score problems.json new_tickets.xlsx --text comment -o scored.xlsx

Every input row is written back in order with its original columns plus
problem_id (-1 = no known problem), problem_label and similarity.
The output format follows the -o extension (.csv, .tsv, .jsonl, .parquet, .xlsx).
"""

_DEMO_EPILOG = """\
Examples:
  painpoints demo
  painpoints demo --top 5 --html demo.html
"""


# --------------------------------------------------------------------------
# argument parsing


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _runs(text: str) -> int:
    """A number of stability refits: 1 to 100 (checked here, before the fit)."""
    value = _positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"expected at most 100 runs, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _version() -> str:
    try:
        import painpoints

        return str(getattr(painpoints, "__version__", "unknown"))
    except Exception:  # pragma: no cover - broken install
        return "unknown"


def _add_input_args(p: argparse.ArgumentParser, *, model_default: bool = False) -> None:
    # model_default: without --text, the column the model was fitted on;
    # otherwise the file's only column (see _text_column).
    p.add_argument("export", metavar="EXPORT", help="complaints file (CSV, TSV, JSONL, JSON, Parquet, Excel)")
    p.add_argument(
        "--text",
        "-t",
        metavar="COLUMN",
        default=None,
        help="column holding the complaint text (case-insensitive); default: "
        + ("the column the model was fitted on" if model_default else "the only column, when the file has one"),
    )
    p.add_argument("--sheet", metavar="NAME", default=None, help="Excel worksheet name or 0-based index")
    p.add_argument(
        "--embeddings",
        metavar="NPY",
        default=None,
        help="optional .npy file of sentence embeddings, one row per complaint in file order, blended "
        "into the similarity (a model fitted with them needs them again to score)",
    )


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_seed, default=0,
                   help="seed of the k-means start in the rare fit where no group of complaints is large "
                        "enough; otherwise the same complaints give the same problems whatever the seed "
                        "or row order (default: 0)")
    p.add_argument("--max-problems", type=_positive_int, default=None, metavar="N", help="upper bound on problems found")
    p.add_argument("--min-size", type=_positive_int, default=None, metavar="N", help="smallest number of complaints per problem")
    p.add_argument(
        "--no-word-vectors",
        action="store_true",
        help="compare complaints by their keywords alone, without the built-in word vectors or character pieces",
    )
    p.add_argument("--previous", metavar="MODEL", default=None,
                   help="last month's model file: problems found again keep their id, and its edits "
                        "(renames, merges, drops, seeds) are applied again")
    p.add_argument("--no-progress", action="store_true",
                   help="do not show a progress bar (none is shown when standard error is not a terminal)")


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Cluster free-text customer complaints into problems and rank them.",
        epilog=_MAIN_EPILOG,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "analyze",
        help="find and rank the top problems in a file of complaints",
        description="Find the recurring problems in a file of complaints and print the top ones.",
        epilog=_ANALYZE_EPILOG,
        formatter_class=raw,
    )
    _add_input_args(p)
    p.add_argument("--top", type=_positive_int, default=3, metavar="N", help="number of problems to show (default: 3)")
    p.add_argument("--html", metavar="PATH", default=None, help="also write an HTML report to PATH")
    p.add_argument("--json", metavar="PATH", default=None, help="also write the full result as JSON to PATH")
    p.add_argument("--rows", metavar="PATH", default=None,
                   help="also write every row of EXPORT with its problem_id, problem_label and similarity to PATH"
                        " (CSV, TSV, JSONL, Parquet or Excel, by its extension; as `score` writes them)")
    p.add_argument(
        "--stability",
        type=_runs,
        default=None,
        metavar="RUNS",
        help="also refit RUNS times on 80%% of the rows and show how often each problem stays in the top N"
        " (also in --html and --json; costs RUNS fits; at most 100)",
    )
    p.add_argument("--date", metavar="COLUMN", default=None,
                   help="also count the top problems per period of this date column (also in --html and --json)")
    p.add_argument("--freq", choices=["D", "W", "M", "Q", "Y"], default="W",
                   help="the period for --date: day, week, month, quarter or year (default: W)")
    p.add_argument("--segment", metavar="COLUMN", default=None,
                   help="also show the top problems within each value of this column (channel, product...), "
                   "with a test against the other values (also in --html and --json)")
    p.add_argument("--rating", metavar="COLUMN", default=None,
                   help="also show which problems pull this score column (a rating, CSAT, NPS answer) down, "
                   "with a test against the other complaints (also in --html and --json)")
    p.add_argument("--nps", action="store_true",
                   help="read --rating as NPS answers from 0 to 10 (9-10 promoters, 0-6 detractors)")
    _add_model_args(p)
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "fit",
        help="learn problems from complaints and save a reusable model",
        description="Learn the problems in a file of complaints and save them as a model file.",
        epilog=_FIT_EPILOG,
        formatter_class=raw,
    )
    _add_input_args(p)
    p.add_argument("-o", "--output", metavar="MODEL", required=True, help="where to save the model (JSON)")
    _add_model_args(p)
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser(
        "score",
        help="assign complaints to the problems of a saved model",
        description="Assign each complaint in a file to the closest known problem of a saved model.",
        epilog=_SCORE_EPILOG,
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'painpoints fit'")
    _add_input_args(p, model_default=True)
    p.add_argument("-o", "--output", metavar="PATH", required=True, help="scored output file; format from extension")
    p.add_argument("--no-progress", action="store_true",
                   help="do not show a progress bar (none is shown when standard error is not a terminal)")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "demo",
        help="analyze the bundled sample complaints",
        description="Run 'analyze' on the sample complaints bundled with painpoints.",
        epilog=_DEMO_EPILOG,
        formatter_class=raw,
    )
    p.add_argument("--top", type=_positive_int, default=3, metavar="N", help="number of problems to show (default: 3)")
    p.add_argument("--html", metavar="PATH", default=None, help="also write an HTML report to PATH")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default: 0)")
    p.set_defaults(func=_cmd_demo)

    return parser


# --------------------------------------------------------------------------
# helpers


def _err(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _io() -> Any:
    try:
        from painpoints import io as ppio
    except ImportError as exc:
        import painpoints

        raise painpoints.PainpointsError(
            f"reading and writing files needs pandas (pip install 'painpoints[files]'): {exc}"
        ) from None
    return ppio


def _check_outputs(args: argparse.Namespace, *paths: Optional[str], replaceable: str = "") -> None:
    """Fail before the (slow) analysis if an output path cannot be written,
    or is one of the command's input files (the export, the model, the
    previous model, the embeddings), which it would replace; the input
    named ``replaceable`` may be (``fit --previous m.json -o m.json``
    updates the model, written whole or not at all)."""
    import painpoints

    from ._files import input_overwritten

    for path in paths:
        _check_output(path)
    names = [n for n in ("export", "model", "previous", "embeddings") if n != replaceable]
    clash = input_overwritten([getattr(args, n, None) for n in names], paths)
    if clash is not None:
        raise painpoints.InputError(f"{clash} is an input of this command, and writing it would replace it: "
                                    "write to another file")


def _check_output(path: Optional[str]) -> None:
    """Fail before the (slow) analysis if an output path cannot be written."""
    if not path:
        return
    import painpoints

    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise painpoints.InputError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(parent):
        raise painpoints.InputError(f"cannot write {path}: directory {os.path.dirname(path) or parent} does not exist")


def _load_rows(args: argparse.Namespace) -> Any:
    """The export for ``analyze`` and ``fit``, which say so when it has no rows
    (a scheduled job's empty day still gets its report and its model)."""
    table = _load(args)
    if len(table) == 0:
        sheet = " (or choose another worksheet with --sheet NAME)" if _io().detect_format(args.export) == "excel" else ""
        _err(f"{args.export} has no rows under its header: no complaints to find problems in; check the file{sheet}")
    return table


def _load(args: argparse.Namespace) -> Any:
    io = _io()
    table = io.read_table(args.export, sheet=args.sheet)
    if args.sheet is not None and io.detect_format(args.export) != "excel":
        _err(f"--sheet applies to workbooks (.xlsx, .xls); {args.export} has no worksheets, so it is ignored")
    if args.sheet is None and io.detect_format(args.export) == "excel":
        names = io.sheet_names(args.export)
        if len(names) > 1:
            listed = ", ".join(repr(n) for n in names)
            _err(f"read the first of {len(names)} worksheets, {names[0]!r} ({listed}); choose another with --sheet NAME")
    return table


_NUMBER = re.compile(r"^\s*[-+]?[\d.,]*\d[\d.,]*\s*$")


def _texts(df: Any, column: Any) -> List[Optional[str]]:
    values = df[column].tolist()
    present = [v for v in values if not is_missing(v)]
    import painpoints

    if present and all(isinstance(v, (int, float)) or (isinstance(v, str) and _NUMBER.match(v)) for v in present):
        # An id or rating column picked by mistake: numbers are no complaints
        # (the Python API refuses them too).
        raise painpoints.InputError(
            f"column {str(column)!r} holds numbers, not complaint text; name the text column with --text COLUMN"
        )
    if present and not any(any(ch.isalpha() for ch in str(v)) for v in present):
        # Dates, times, codes without a letter: no complaint would ever
        # group, and "no problem found" would send the analyst the wrong way.
        raise painpoints.InputError(
            f"column {str(column)!r} holds no words (values such as {str(present[0])!r}), not complaint text; "
            "name the text column with --text COLUMN"
        )
    out: List[Optional[str]] = []
    for value in values:
        if is_missing(value):
            out.append(None)
        elif isinstance(value, str):
            out.append(value)
        elif isinstance(value, bytes):
            out.append(value.decode("utf-8", errors="replace"))
        else:
            out.append(str(value))
    return out


def _model_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"seed": args.seed}
    if getattr(args, "no_progress", False):
        kwargs["progress"] = False
    if getattr(args, "max_problems", None) is not None:
        kwargs["max_problems"] = args.max_problems
    if getattr(args, "min_size", None) is not None:
        kwargs["min_size"] = args.min_size
    if getattr(args, "no_word_vectors", False):
        kwargs["word_vectors"] = False
    return kwargs


def _previous(args: argparse.Namespace) -> Any:
    """The model named by --previous, if any."""
    path = getattr(args, "previous", None)
    return None if path is None else _load_model(path)


def _summary(result: Any, top: int) -> str:
    summary = getattr(result, "summary", None)
    if callable(summary):
        return str(summary(top))
    return str(result)


def _stability_text(checks: Sequence[Any], runs: int, top: int) -> str:
    """Per problem in (or once in) the top ``top``: how well refits find it
    again and how often it stays in the top (see Analysis.stability)."""
    lines = [f"stability over {runs} refits on 80% of the rows (found again: median overlap with the closest problem)"]
    for c in checks:
        if c.rank <= top or c.top_rate > 0:
            lines.append(
                f"#{c.rank} {c.label}  found again {c.agreement:.2f}  in the top {top}: {round(c.top_rate * runs)}/{runs}"
            )
    return "\n".join(lines)


def _write_html(result: Any, path: str, top: int, stability: Optional[Sequence[Any]] = None,
                impact: Any = None, over_time: Any = None, by_segment: Any = None) -> None:
    result.to_html(path, top=top, stability=stability, impact=impact, over_time=over_time, by_segment=by_segment)
    _err(f"wrote HTML report to {path}")


def _result_dict(result: Any) -> Dict[str, Any]:
    """A JSON-ready view of an :class:`painpoints.Analysis`."""
    problems = []
    for p in getattr(result, "problems", []):
        problems.append(
            {
                "rank": int(p.rank),
                "problem_id": int(p.id),
                "label": str(p.label),
                "size": int(p.size),
                "share": float(p.share),
                "cohesion": float(p.cohesion),
                "copies": int(p.copies),
                "keywords": [[str(k), float(w)] for k, w in p.keywords],
                "examples": [
                    {"row": int(e.row), "text": str(e.text), "similarity": float(e.similarity)} for e in p.examples
                ],
            }
        )
    labels = [int(i) for i in getattr(result, "labels", [])]
    sims = [round(float(x), 6) for x in getattr(result, "similarity", [])]
    themes = [
        {"theme_id": int(t.id), "label": str(t.label), "problem_ids": [int(i) for i in t.problem_ids],
         "keywords": [str(k) for k in t.keywords], "size": int(t.size), "share": float(t.share)}
        for t in (result.themes() if hasattr(result, "themes") else [])
    ]
    return {
        "n_rows": len(labels),
        "n_empty": int(getattr(result, "n_empty", 0)),
        "n_problems": len(problems),
        "problems": problems,
        "themes": themes,
        "rows": [{"row": i, "problem_id": pid, "similarity": sim} for i, (pid, sim) in enumerate(zip(labels, sims))],
    }


def _write_json(result: Any, path: str, stability: Optional[Sequence[Any]] = None,
                extra: Optional[Dict[str, Any]] = None) -> None:
    doc = _result_dict(result)
    lineage = getattr(result, "lineage", None)
    if lineage:
        doc["lineage"] = {"kept": lineage["kept"], "new": lineage["new"],
                          "vanished": [{"problem_id": i, "label": label} for i, label in lineage["vanished"]],
                          "found_again": [{"problem_id": i, "share": share}
                                          for i, share in lineage.get("found_again", {}).items()]}
    if stability is not None:
        doc["stability"] = [dataclasses.asdict(c) for c in stability]
    doc.update(extra or {})
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    with replaced(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    _err(f"wrote JSON result to {path}")


def _problem_labels(model: Any) -> Dict[int, str]:
    labels: Dict[int, str] = {}
    for problem in getattr(model, "problems_", None) or []:
        labels[int(problem.id)] = str(problem.label)
    return labels


def _label_for(model: Any, labels: Dict[int, str], pid: int) -> str:
    if pid < 0:
        return ""
    if pid in labels:
        return labels[pid]
    getter = getattr(model, "problem_label", None)
    if callable(getter):
        labels[pid] = str(getter(pid))
        return labels[pid]
    return ""


# --------------------------------------------------------------------------
# commands


def _resolve_text(df: Any, name: str) -> Any:
    """The column ``name`` designates; says on stderr which one was read when
    it was found by another spelling or by its survey question."""
    ppio = _io()
    column = ppio.resolve_column(df, name)
    if str(column) != name:
        question = (df.attrs.get(ppio.QUESTIONS) or {}).get(column)
        shown = f"{str(column)!r}" + (f" ({' '.join(str(question).split())!r})" if question else "")
        print(f"{PROG}: --text {name!r}: reading column {shown}", file=sys.stderr)
    return column


def _text_column(df: Any, args: argparse.Namespace) -> Any:
    """The column named by --text; without it, the file's only column."""
    if args.text is not None:
        return _resolve_text(df, args.text)
    columns = list(df.columns)
    if len(columns) == 1:
        return columns[0]
    import painpoints

    shown = ", ".join(repr(str(c)) for c in columns[:10]) + (", ..." if len(columns) > 10 else "")
    raise painpoints.InputError(
        f"{args.export} has {len(columns)} columns ({shown}); name the one holding the complaints with --text COLUMN"
    )


def _cmd_analyze(args: argparse.Namespace) -> int:
    import painpoints

    _check_outputs(args, args.html, args.json, args.rows)
    if args.rows:
        _io().check_writable(args.rows)  # its format too, before the fit
    previous = _previous(args)
    df = _load_rows(args)
    column = _text_column(df, args)
    texts = _texts(df, column)
    kwargs = _model_kwargs(args)
    kwargs["top"] = args.top
    ppio = _io()
    dates = df[ppio.resolve_column(df, args.date)].tolist() if args.date else None
    if dates is not None:
        import pandas as pd

        from ._result import check_dates

        check_dates(pd, dates, f"--date {args.date!r}")  # before the fit, not after it
    segments = df[ppio.resolve_column(df, args.segment)].tolist() if args.segment else None
    if args.nps and not args.rating:
        raise painpoints.ParameterError("--nps reads the --rating column: pass --rating COLUMN too")
    ratings = df[ppio.resolve_column(df, args.rating)].tolist() if args.rating else None
    if ratings is not None:
        import numpy as np

        from ._result import read_scores

        read_scores(np.asarray(ratings, dtype=object), f"--rating {args.rating!r}", args.nps)  # before the fit
    result = painpoints.analyze(texts, embeddings=_embeddings(args), previous=previous, **kwargs)
    print(_summary(result, args.top))
    checks = result.stability(runs=args.stability, seed=args.seed) if args.stability else None
    if checks is not None:
        print()
        print(_stability_text(checks, args.stability, args.top))
    extra: Dict[str, Any] = {}
    table = seg = None
    if dates is not None:
        table = result.over_time(dates, args.freq, top=args.top)
        extra["over_time"] = {
            "freq": args.freq,
            "periods": [str(t.date()) for t in table.index],
            "columns": [str(c) for c in table.columns],
            "counts": table.to_numpy().tolist(),
        }
        print()
        print(_over_time_text(table, args.freq))
    if segments is not None:
        seg = result.by_segment(segments, top=args.top)
        extra["by_segment"] = json.loads(seg.to_json(orient="records"))
        print()
        print(_segment_text(seg))
    effect = None
    if ratings is not None:
        effect = result.impact(ratings, nps=args.nps)
        extra["impact"] = {"overall": effect.attrs["overall"], "nps": args.nps,
                           "problems": json.loads(effect.to_json(orient="records"))}
        print()
        print(_impact_text(effect, args.rating, args.nps))
    if args.html:
        _write_html(result, args.html, args.top, checks, effect, table, seg)
    if args.json:
        _write_json(result, args.json, checks, extra)
    if args.rows:
        rows = result.assignments()
        names = {p.id: p.label for p in result.problems}
        ids = rows["problem_id"].to_numpy()
        out = _with_problems(df, ids, [names.get(int(i), "") for i in ids], rows["similarity"].to_numpy())
        ppio.write_table(out, args.rows)
        print(f"\nWrote {counted(len(out), 'row')} with their problem to {args.rows}")
    return 0


_PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _over_time_text(table: Any, freq: str, last: int = 12) -> str:
    """The last ``last`` periods of an over_time table, as plain text."""
    shown = table.tail(last)
    head = f"complaints per {_PERIOD_NAMES.get(freq, freq)}"
    if len(table) > last:
        head += f" (the last {last} of {len(table)}; all in --json)"
    if len(table) == 0:
        return head + ": no dated complaint"
    shown = shown.set_axis([str(t.date()) for t in shown.index])
    return head + "\n" + shown.to_string()


def _impact_text(table: Any, column: str, nps: bool, rows: int = 10) -> str:
    """The first ``rows`` rows of an impact table, as plain text."""
    what = "NPS" if nps else "mean"
    lines = [f"problems by their pull on {column!r} (overall {what} {table.attrs['overall']:.2f}; "
             f"{what} of a problem's complaints vs the others, p: Welch t-test)"]
    if len(table) > rows:
        lines[0] += f"; the {rows} that pull it down most of {len(table)}, all in --json"
    for r in table.head(rows).itertuples():
        lines.append(f"   {r.problem_label}  {r.mean:.2f} vs {r.mean_elsewhere:.2f} ({r.rated:,} rated)  "
                     f"impact {r.impact:+.3f}  p={r.p_value:.2g} q={r.q_value:.2g}")
    return "\n".join(lines)


def _segment_text(table: Any, segments: int = 10) -> str:
    """The first ``segments`` segments of a by_segment table, as plain text."""
    names = list(dict.fromkeys(table["segment"]))
    lines = ["top problems per segment (share there vs elsewhere; p: test of the two shares)"]
    if len(names) > segments:
        lines[0] += f"; the {segments} largest of {len(names)} segments, all in --json"
    if not names:
        lines[0] += ": no segment holds a problem's complaint"
    for name in names[:segments]:
        rows = table[table["segment"] == name]
        lines.append(f"{name} ({counted(int(rows['complaints'].iloc[0]), 'complaint')})")
        for r in rows.itertuples():
            lines.append(f"   #{r.rank} {r.problem_label}  {r.share:.1%} vs {r.share_elsewhere:.1%}  p={r.p_value:.2g} q={r.q_value:.2g}")
    return "\n".join(lines)


def _cmd_fit(args: argparse.Namespace) -> int:
    import painpoints

    _check_outputs(args, args.output, replaceable="previous")
    previous = _previous(args)
    df = _load_rows(args)
    column = _text_column(df, args)
    texts = _texts(df, column)
    model = painpoints.ProblemModel(**_model_kwargs(args))
    model.fit(texts, embeddings=_embeddings(args), previous=previous)
    try:
        model.text_column_ = str(column)
    except AttributeError:  # pragma: no cover - model without that slot
        pass
    model.save(args.output)
    problems = list(getattr(model, "problems_", None) or [])
    empty = int(painpoints.says_nothing(texts).sum())
    print(f"Found {counted(len(problems), 'problem')} in {complaints_and_blank(len(texts) - empty, empty)}.")
    if not problems and len(texts) > empty:
        from ._result import NO_PROBLEMS_HINT

        print(NO_PROBLEMS_HINT)
    for rank, problem in enumerate(problems[:3], start=1):
        size = getattr(problem, "size", None)
        copies = getattr(problem, "copies", 0)
        extra = f" ({counted(size, 'complaint')}{f', {of_them_copies(copies)}' if copies else ''})" if size is not None else ""
        print(f"  {rank}. {problem.label}{extra}")
    print(f"Saved model to {args.output}")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    import numpy as np

    import painpoints

    _check_outputs(args, args.output)
    _io().check_writable(args.output)
    model = _load_model(args.model)
    if args.no_progress:
        model.progress = False
    dim = model.embedding_dim_
    if dim is not None and args.embeddings is None:
        raise painpoints.InputError(
            f"model {args.model} was fitted with {dim}-column embeddings: pass --embeddings NPY with one row per "
            "complaint of this file, from the same embedding model"
        )
    if dim is None and args.embeddings is not None:
        raise painpoints.InputError(f"model {args.model} was fitted without embeddings: leave out --embeddings")
    df = _load(args)
    ppio = _io()
    if args.text is not None:
        column = _resolve_text(df, args.text)
    else:
        stored = getattr(model, "text_column_", None)
        if not stored:
            raise painpoints.InputError(
                f"model {args.model} does not record which column holds the text; pass --text COLUMN"
            )
        try:
            column = ppio.resolve_column(df, stored)
        except painpoints.InputError as exc:
            raise painpoints.InputError(f"{exc} (column taken from the model; pass --text COLUMN to override)") from None
    texts = _texts(df, column)
    ids, sims = model.score(texts, embeddings=_embeddings(args))
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    sims = np.asarray(sims, dtype=np.float64).reshape(-1)
    if len(ids) != len(df) or len(sims) != len(df):  # pragma: no cover - library contract
        raise painpoints.PainpointsError(
            f"model returned {len(ids)} scores for {len(df)} rows"
        )
    labels = _problem_labels(model)
    out = _with_problems(df, ids, [_label_for(model, labels, int(i)) for i in ids], sims)
    ppio.write_table(out, args.output)
    matched = int((ids >= 0).sum())
    print(f"Scored {counted(len(out), 'row')} ({matched:,} matched a known problem); wrote {args.output}")
    return 0


def _with_problems(df: Any, ids: Any, labels: Sequence[Optional[str]], similarity: Any) -> Any:
    """A copy of the export ``df`` with each row's problem_id, problem_label
    ("" for no problem) and similarity (rounded as score_file() writes it)
    after its own columns, which replace an earlier run's (with a warning)."""
    import numpy as np

    from ._model import warn_replaced_columns

    warn_replaced_columns(df.columns)
    out = df.copy()
    out["problem_id"] = ids
    out["problem_label"] = list(labels)
    out["similarity"] = np.round(np.asarray(similarity, dtype=np.float64), 4)
    return out


def _embeddings(args: argparse.Namespace) -> Any:
    """The --embeddings array, or None."""
    import numpy as np

    import painpoints

    path = getattr(args, "embeddings", None)
    if path is None:
        return None
    if not os.path.isfile(path):
        raise painpoints.InputError(f"embeddings file not found: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError):
        # (numpy's own reason for a file that is no array speaks of pickles.)
        raise painpoints.InputError(f"{path} is not a .npy array of embeddings: save one with "
                                    "numpy.save(path.npy, array), a float array with one row per complaint") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            names = list(data.keys())
            if len(names) != 1:
                raise painpoints.InputError(
                    f"{path} holds {len(names)} arrays ({', '.join(names) or 'none'}); save the embeddings alone "
                    "with numpy.save(path.npy, array)"
                )
            return data[names[0]]
    return data


def _load_model(path: str) -> Any:
    import painpoints

    if not os.path.exists(path):
        raise painpoints.InputError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise painpoints.InputError(f"expected a model file but got a directory: {path}")
    try:
        return painpoints.ProblemModel.load(path)
    except painpoints.PainpointsError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, UnicodeDecodeError) as exc:
        error_cls = getattr(painpoints, "ModelFormatError", painpoints.PainpointsError)
        raise error_cls(f"{path} is not a valid painpoints model: {exc}") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    import painpoints

    _check_output(args.html)
    texts = painpoints.load_sample()
    result = painpoints.analyze(texts, seed=args.seed, top=args.top)
    print(_summary(result, args.top))
    if args.html:
        _write_html(result, args.html, args.top)
    return 0


# --------------------------------------------------------------------------
# entry point


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        import painpoints
    except Exception:  # pragma: no cover
        return False
    base = getattr(painpoints, "PainpointsError", None)
    return base is not None and isinstance(exc, base)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    text = str(exc).strip()
    return text or type(exc).__name__


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: Optional[str] = None) -> None:
    _err(f"warning: {message}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, usage errors
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            # A warning reads as the command's own line, not as a source location.
            warnings.showwarning = _show_warning
            return int(func(args))
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`; silence the flush error at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except Exception:
            pass
        return 1
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        _err(f"error: {_describe(exc)}")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
