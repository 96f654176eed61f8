"""Reading and writing tabular complaint exports.

``read_table`` loads CSV, TSV, JSON Lines, JSON, Parquet and Excel files into a
:class:`pandas.DataFrame`, recognising the multi-row headers of Qualtrics and
SurveyMonkey survey exports.  ``write_table`` writes a frame back out, choosing
the format from the file extension.  ``resolve_column`` finds a column by name,
tolerating case and whitespace differences and suggesting near misses.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import difflib
import io
import json
import os
import re
import warnings
from pathlib import Path
from typing import IO, Any, Dict, Hashable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._files import replaced
from ._inputs import is_missing
from ._words import counted

__all__ = ["read_table", "write_table", "check_writable", "resolve_column", "detect_format"]

PathLike = Union[str, "os.PathLike[str]"]

_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zip", ".xz", ".zst", ".tar"}

_FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}

# Formats where a non-CSV extension must not be silently treated as text.
_BINARY_SUFFIXES = {
    ".pdf", ".doc", ".docx", ".ppt", ".pptx", ".zip", ".png", ".jpg", ".jpeg",
    ".gif", ".feather", ".arrow", ".orc", ".avro", ".sav", ".dta", ".sqlite",
    ".db", ".pkl", ".pickle", ".numbers", ".ods",
}

_SUPPORTED_HELP = (
    "supported formats: .csv, .tsv/.tab, .jsonl/.ndjson, .json, .parquet, "
    ".xlsx/.xls (optionally compressed, e.g. .csv.gz)"
)

# Qualtrics third header row: {"ImportId":"QID1_TEXT"} (quotes may be doubled
# or missing in some re-saved files).
_IMPORT_ID_RE = re.compile(r'^\s*\{\s*"*\s*ImportId\s*"*\s*:', re.IGNORECASE)

_SM_ID_COLUMNS = {"respondent id", "collector id"}
_SM_PLAIN_LABELS = {"response", "open-ended response"}

_READ_TEXT_OPTS = dict(dtype=str, keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------
# errors


def _input_error(message: str) -> Exception:
    from painpoints import InputError  # lazy: avoids an import cycle

    return InputError(message)


def _general_error(message: str) -> Exception:
    try:
        from painpoints import PainpointsError
    except ImportError:  # pragma: no cover - package always defines it
        return _input_error(message)
    return PainpointsError(message)


# --------------------------------------------------------------------------
# format detection


def _suffixes(path: Path) -> List[str]:
    return [s.lower() for s in path.suffixes]


def detect_format(path: PathLike) -> str:
    """Return the table format implied by ``path``'s extension.

    One of ``"csv"``, ``"tsv"``, ``"jsonl"``, ``"json"``, ``"parquet"`` or
    ``"excel"``.  Compression suffixes (``.gz``, ``.bz2``, ...) are skipped, so
    ``data.tsv.gz`` is ``"tsv"``.  Unknown text extensions (or none) are CSV.
    Raises :class:`painpoints.InputError` for known non-tabular formats.
    """
    p = Path(os.fspath(path))
    suffixes = _suffixes(p)
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    if not suffixes:
        return "csv"
    last = suffixes[-1]
    if last in _FORMATS_BY_SUFFIX:
        return _FORMATS_BY_SUFFIX[last]
    if last in _BINARY_SUFFIXES:
        raise _input_error(f"unsupported file format {last!r} for {p.name!r}; {_SUPPORTED_HELP}")
    return "csv"


# --------------------------------------------------------------------------
# reading


def read_table(path: PathLike, *, sheet: Union[str, int, None] = None) -> pd.DataFrame:
    """Read a table of complaints from ``path``.

    The format is chosen from the extension (see :func:`detect_format`).  For
    CSV and TSV every column is read as text: empty cells become NaN,
    but literal text such as ``"NA"`` or ``"null"`` is kept as-is.  Excel
    columns are read the same way, except those whose every filled cell
    below the header is a number or a date, which keep the type the
    workbook gives them (so a scored workbook written back keeps them).  Qualtrics
    (three header rows) and SurveyMonkey (two header rows) exports are
    recognised and reduced to a single header row.

    ``sheet`` selects an Excel worksheet by name or 0-based index (default:
    the first sheet); it is ignored for other formats.

    Raises :class:`painpoints.InputError` if the file is missing, unreadable,
    empty or of an unsupported format.
    """
    p = Path(os.fspath(path))
    if not p.exists():
        raise _input_error(f"file not found: {os.fspath(path)}")
    if p.is_dir():
        raise _input_error(f"expected a file but got a directory: {os.fspath(path)}")

    fmt = detect_format(p)
    try:
        if fmt in ("csv", "tsv"):
            encoding = _text_encoding(p)
            sep = "\t" if fmt == "tsv" else _csv_delimiter(p, encoding)
            raw = _read_delimited(p, sep, encoding)
            _warn_if_rows_joined(raw, sep, p)
            return _warn_if_sentence_header(_apply_header(raw), p)
        if fmt == "excel":
            typed = _read_excel_raw(p, sheet)
            table = _apply_header(_as_text(typed))
            return _keep_types(table, typed.iloc[len(typed) - len(table):])
        if fmt == "jsonl":
            return _read_json(p, lines=True)
        if fmt == "json":
            return _read_json(p, lines=False)
        if fmt == "parquet":
            return _read_parquet(p)
    except pd.errors.EmptyDataError:
        raise _input_error(f"file is empty: {os.fspath(path)}") from None
    except pd.errors.ParserError as exc:
        raise _input_error(f"cannot parse {os.fspath(path)} as {fmt.upper()}: {_one_line(exc)}") from None
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        if _is_painpoints_error(exc):
            raise
        raise _input_error(f"cannot read {os.fspath(path)} as {fmt.upper()}: {_one_line(exc)}") from None
    except Exception as exc:  # e.g. zipfile.BadZipFile, pyarrow.ArrowInvalid
        if _is_painpoints_error(exc):
            raise
        raise _input_error(f"cannot read {os.fspath(path)} as {fmt.upper()}: {_one_line(exc)}") from None
    raise AssertionError(fmt)  # pragma: no cover


def _is_painpoints_error(exc: BaseException) -> bool:
    try:
        from painpoints import PainpointsError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, PainpointsError)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


_OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


def _open_binary(path: Path) -> Optional[IO[bytes]]:
    """``path`` opened for reading its (decompressed) bytes, or None for a
    compression this module does not open itself (pandas still reads it)."""
    suffix = path.suffix.lower()
    if suffix in _OPENERS:
        import importlib

        return importlib.import_module(_OPENERS[suffix]).open(path, "rb")
    if suffix in _COMPRESSION_SUFFIXES:
        return None
    return open(path, "rb")


def _text_encoding(path: Path) -> Optional[str]:
    """How to decode the delimited text file ``path``: ``"utf-16"`` after a
    UTF-16 byte-order mark; ``"utf-8-sig"`` for UTF-8, warning when a few
    bytes are not valid UTF-8 (they read as U+FFFD, the rest of the file
    as written); ``"cp1252"`` when the file's non-ASCII bytes are not UTF-8
    at all (spreadsheet tools on Windows save so). None when the file is
    compressed in a way read only by pandas: UTF-8, else cp1252."""
    try:
        fh = _open_binary(path)
        if fh is None:
            return None
        with fh:
            head = fh.read(4)
            if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                return "utf-16"
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            bad = text = 0
            chunk = head
            while True:
                if not chunk.isascii():
                    decoded = decoder.decode(chunk)
                    # U+FFFD written as such in the file is not a bad byte.
                    bad += decoded.count("\ufffd") - chunk.count(b"\xef\xbf\xbd")
                    text += len(decoded) - len(decoded.encode("ascii", "ignore"))
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
            bad += decoder.decode(b"", final=True).count("\ufffd")
    except OSError:
        return "utf-8-sig"  # the read proper reports it
    text -= bad
    if bad and text <= bad:
        if text:
            warnings.warn(
                f"{path.name} mixes encodings: read as Windows-1252 (cp1252), which most of its non-ASCII "
                f"bytes are; {counted(text, 'character')} written as UTF-8 read wrongly "
                "(save the file as UTF-8 to keep them)",
                UserWarning,
                stacklevel=4,
            )
        return "cp1252"
    if bad:
        warnings.warn(
            f"{path.name}: {counted(bad, 'byte')} not valid UTF-8 read as \ufffd; "
            "the rest of the file reads as UTF-8",
            UserWarning,
            stacklevel=4,
        )
    return "utf-8-sig"


def _warn_if_rows_joined(raw: pd.DataFrame, sep: str, path: Path, offset: int = 0) -> None:
    """Warn when a field of a tab-separated file holds a line break followed
    by a line with a tab for each other column: rows joined into one field
    by a quote opened at a field's start and never closed (tabs inside a
    complaint are rare, so such a line is a row). ``offset``: the rows
    before ``raw`` in the file."""
    if sep != "\t" or raw.shape[1] < 2:
        return
    tabs = raw.shape[1] - 1
    joined = []
    for column in raw.columns:
        cells = raw[column]
        try:
            hit = cells.str.contains("\n", regex=False, na=False).astype(bool)
        except AttributeError:  # (not a column of text)
            continue
        if not hit.any():
            continue
        for i, cell in cells[hit].items():
            rows = sum(line.count("\t") >= tabs for line in str(cell).split("\n")[1:])
            if rows:
                joined.append((int(i), rows))
    if joined:
        first, _ = min(joined)
        warnings.warn(
            f"{path.name}: {counted(sum(n for _, n in joined), 'row')} may have been read into the field of another, "
            f"first in row {first + offset + 1:,} of the file: a field that opens with a quote (\") and does not close it "
            "takes the rows after it along; fix that quote, or quote every field that holds one",
            UserWarning,
            stacklevel=3,
        )


def _warn_if_sentence_header(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame``, after warning when its one column is named by a sentence:
    a file of one complaint per line without a header line, whose first
    complaint would otherwise be taken for the column's name unsaid."""
    if len(frame.columns) == 1:
        name = str(frame.columns[0])
        # (A survey's question, "What could we have done better?", is a header.)
        if (len(name.split()) >= 5 or len(name) > 60) and not name.rstrip().endswith(("?", ":")):
            warnings.warn(
                f"{path.name}: its first line, {name[:60]!r}, is read as the column's name, not as a complaint; "
                "if the file has no header line, add one (such as 'text')",
                UserWarning,
                stacklevel=3,
            )
    return frame


def _csv_delimiter(path: Path, encoding: Optional[str] = None) -> str:
    """``","``, or ``";"`` / tab / ``"|"`` when that splits the header into
    more fields than a comma does and splits most of the next rows into
    as many (spreadsheets in many European locales save "CSV" with ``;``;
    a one-column file whose header holds a ``;`` stays one column)."""
    try:
        fh = _open_binary(path)
        if fh is None:
            return ","
        with io.TextIOWrapper(fh, encoding=encoding or "utf-8-sig", errors="replace") as text:
            sample = "".join(text.readline(65536) for _ in range(21))
    except OSError:
        return ","  # the read proper reports it

    def split(d: str) -> List[List[str]]:
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, len(sample) + 1))  # a long first complaint is one field
        try:
            return [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        except csv.Error:
            return []
        finally:
            csv.field_size_limit(limit)

    rows = split(",")
    best, fields = ",", (len(rows[0]) if rows else 1)
    for d in (";", "\t", "|"):
        rows = split(d)
        if not rows or len(rows[0]) <= max(fields, 1):
            continue
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the last line read may be cut short
        if body and sum(len(r) == len(rows[0]) for r in body) < 0.8 * len(body):
            continue
        best, fields = d, len(rows[0])
    return best


def _read_delimited(path: Path, sep: str, encoding: Optional[str]) -> pd.DataFrame:
    opts: dict = dict(sep=sep, header=None, compression="infer", **_READ_TEXT_OPTS)
    if encoding is not None:
        return pd.read_csv(path, encoding=encoding, encoding_errors="replace", **opts)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **opts)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="cp1252", encoding_errors="replace", **opts)


def _read_excel_raw(path: Path, sheet: Union[str, int, None]) -> pd.DataFrame:
    if isinstance(sheet, str) and sheet.strip().isdigit():
        # Accept "2" from a command line as an index unless such a sheet name exists.
        sheet_name: Union[str, int] = sheet
        if sheet not in _sheet_names(path):
            sheet_name = int(sheet)
    else:
        sheet_name = 0 if sheet is None else sheet
    try:
        # Read once with the workbook's types (see _as_text, _keep_types).
        raw = pd.read_excel(path, sheet_name=sheet_name, header=None, dtype=object, keep_default_na=False,
                            na_values=[""])
    except ImportError as exc:
        engine = "xlrd" if path.suffix.lower() == ".xls" else "openpyxl"
        raise _input_error(
            f"reading {path.suffix.lower()} files needs the optional package {engine!r} "
            f"(pip install {engine}): {_one_line(exc)}"
        ) from None
    except (ValueError, IndexError) as exc:
        msg = _one_line(exc)
        if sheet is not None and ("not found" in msg or "out of range" in msg or "index" in msg.lower()):
            avail = ", ".join(repr(n) for n in _sheet_names(path))
            raise _input_error(f"worksheet {sheet!r} not found in {path.name}; available: {avail}") from None
        raise
    return raw


def _as_text(raw: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a typed sheet as the text ``dtype=str`` would read (missing stays NaN)."""
    def text(v: Any) -> Any:
        if isinstance(v, str):
            return v
        return float("nan") if is_missing(v) else str(v)

    return raw.apply(lambda col: col.map(text))


def _keep_types(table: pd.DataFrame, typed: pd.DataFrame) -> pd.DataFrame:
    """``table`` (text) with the columns whose filled cells in ``typed`` (the
    same rows, as the workbook types them) are all numbers or all dates
    taken from ``typed``."""
    if typed.shape != table.shape:
        return table
    out = table.copy()
    for j in range(table.shape[1]):
        cells = typed.iloc[:, j].tolist()
        filled = [v for v in cells if not is_missing(v)]
        if not filled:
            continue
        if all(isinstance(v, int) and not isinstance(v, bool) for v in filled):
            # Whole numbers stay whole (nullable where cells are empty), not 1.0.
            column: Any = pd.array([v if isinstance(v, int) else None for v in cells],
                                   dtype="Int64" if len(filled) < len(cells) else "int64")
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in filled):
            column = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy()
        elif all(isinstance(v, (datetime.datetime, pd.Timestamp)) for v in filled):
            column = pd.to_datetime(pd.Series(cells, dtype=object), errors="coerce").to_numpy()
        else:
            continue
        out.isetitem(j, column)
    return out


def sheet_names(path: PathLike) -> List[str]:
    """The worksheet names of an Excel workbook, in order ([] if unreadable)."""
    return _sheet_names(Path(os.fspath(path)))


def _sheet_names(path: Path) -> List[str]:
    try:
        with pd.ExcelFile(path) as book:
            return [str(n) for n in book.sheet_names]
    except Exception:
        return []


def _json_lines(path: Path, encoding: Optional[str] = None) -> Optional[Iterator[Tuple[int, Any]]]:
    """The values of a JSON Lines file with their line numbers, blank lines
    skipped; None for a compression only pandas reads. ``encoding`` as
    :func:`_text_encoding` tells (found here when not given). Records are
    split at line feeds only, and a tab or carriage return left raw inside
    a string is read as written (as pandas reads it)."""
    fh = _open_binary(path)
    if fh is None:
        return None
    encoding = encoding or _text_encoding(path) or "utf-8-sig"

    def values() -> Iterator[Tuple[int, Any]]:
        with io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="\n") as text:
            for number, line in enumerate(text, start=1):
                if line.strip():
                    try:
                        yield number, json.loads(line, strict=False)
                    except ValueError as exc:
                        raise _input_error(f"{path.name}, line {number}: not JSON ({_one_line(exc)})") from None

    return values()


def _records_frame(records: List[Any], columns: Optional[List[Any]] = None) -> pd.DataFrame:
    """Records (dicts) as a frame whose values are the JSON values as read:
    an id of 19 digits stays that integer, also beside a null."""
    if columns is None:
        return pd.DataFrame(records, dtype=object)
    return pd.DataFrame(records, columns=columns, dtype=object)


def _read_json(path: Path, *, lines: bool) -> pd.DataFrame:
    opts: dict = dict(lines=lines, dtype=False, compression="infer")
    if int(pd.__version__.split(".")[0]) < 3:
        opts["convert_dates"] = False  # deprecated (and implied by dtype=False) in pandas 3
    if lines:
        found = _json_lines(path)
        if found is None:
            return pd.read_json(path, **opts).reset_index(drop=True)
        records = [value for _, value in found]
        if not records:
            raise pd.errors.EmptyDataError("no records")
        if all(isinstance(r, dict) for r in records):
            return _records_frame(records)
        return pd.read_json(path, **opts).reset_index(drop=True)
    fh = _open_binary(path)
    if fh is not None:
        with io.TextIOWrapper(fh, encoding=_text_encoding(path) or "utf-8-sig", errors="replace") as text:
            try:
                whole = json.load(text, strict=False)
            except ValueError as exc:
                raise _input_error(f"cannot read {path.name} as JSON: {_one_line(exc)}") from None
        if isinstance(whole, list) and all(isinstance(r, dict) for r in whole):
            return _records_frame(whole)
    try:
        return pd.read_json(path, orient="records", **opts)
    except ValueError:
        return pd.read_json(path, **opts)


def _index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the index pandas saved in a Parquet file (``df.set_index
    ("ticket").to_parquet(...)``) back as columns, so the rows written out
    keep it; a plain row-number index is dropped."""
    # (An index saved with drop=False is a column already.)
    twins = [i for i, name in enumerate(frame.index.names) if name is not None and name in frame.columns]
    if twins:
        frame = frame.reset_index(level=twins, drop=True)
    if all(name is None for name in frame.index.names) and isinstance(frame.index, pd.RangeIndex):
        return frame.reset_index(drop=True)
    return frame.reset_index()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return _index_as_columns(pd.read_parquet(path))
    except ImportError as exc:
        raise _input_error(
            f"reading Parquet files needs the optional package 'pyarrow' (pip install pyarrow): {_one_line(exc)}"
        ) from None


# --------------------------------------------------------------------------
# header handling (ordinary files, Qualtrics, SurveyMonkey)


def _cell(value: Any) -> str:
    """A header cell as stripped text ('' for missing)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _row(raw: pd.DataFrame, i: int) -> List[str]:
    return [_cell(v) for v in raw.iloc[i].tolist()]


def _is_import_id_row(cells: Sequence[str]) -> bool:
    filled = [c for c in cells if c]
    if not filled:
        return False
    hits = sum(1 for c in filled if _IMPORT_ID_RE.match(c))
    return hits >= 1 and hits * 2 >= len(filled)


def _qualtrics_header_rows(raw: pd.DataFrame) -> int:
    """Number of header rows if ``raw`` is a Qualtrics export, else 0."""
    # Current exports: ids, question texts, ImportId row.  Some variants put
    # the ImportId row second.  Row 1 itself must not be an ImportId row.
    if len(raw) < 2 or _is_import_id_row(_row(raw, 0)):
        return 0
    for idx in (2, 1):
        if len(raw) > idx and _is_import_id_row(_row(raw, idx)):
            return idx + 1
    return 0


def _is_surveymonkey(raw: pd.DataFrame) -> bool:
    if len(raw) < 2:
        return False
    top = _row(raw, 0)
    second = _row(raw, 1)
    id_cols = [i for i, c in enumerate(top) if c.lower() in _SM_ID_COLUMNS]
    if not id_cols:
        return False
    # In the sub-label row the id columns are blank (a data row would hold ids).
    if any(second[i] for i in id_cols):
        return False
    labels = {c.lower() for c in second if c}
    return bool(labels & _SM_PLAIN_LABELS)


def _surveymonkey_names(top: Sequence[str], second: Sequence[str]) -> List[str]:
    names: List[str] = []
    current = ""
    for a, b in zip(top, second):
        if a:
            current = a
        base = current
        if not b or b.lower() in _SM_PLAIN_LABELS:
            names.append(base)
        elif base:
            names.append(f"{base} - {b}")
        else:
            names.append(b)
    return names


def _dedupe(names: Sequence[str]) -> List[str]:
    """Fill blanks as ``Unnamed: i`` and make duplicates unique (``x``, ``x.1``)."""
    out: List[str] = []
    seen: set = set()
    for i, name in enumerate(names):
        base = name if name else f"Unnamed: {i}"
        candidate = base
        k = 0
        while candidate in seen:
            k += 1
            candidate = f"{base}.{k}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _apply_header(raw: pd.DataFrame) -> pd.DataFrame:
    """Turn a header-less frame into one with proper column names."""
    if raw.shape[0] == 0:
        if raw.shape[1] == 0:
            raise pd.errors.EmptyDataError("no columns")
        return raw
    n_header = _qualtrics_header_rows(raw)
    questions: List[str] = []
    if n_header:
        names = _row(raw, 0)
        if n_header == 3:
            # Row 2 holds the question texts, which --text also accepts.
            questions = _row(raw, 1)
    elif _is_surveymonkey(raw):
        n_header = 2
        names = _surveymonkey_names(_row(raw, 0), _row(raw, 1))
    else:
        n_header = 1
        names = [_header_name(v) for v in raw.iloc[0].tolist()]
    body = raw.iloc[n_header:].reset_index(drop=True)
    body.columns = _dedupe(names)
    if questions:
        body.attrs[QUESTIONS] = {c: q for c, q in zip(body.columns, questions) if q and q != c}
    return body


# Key of ``DataFrame.attrs`` holding a survey export's question text per column.
QUESTIONS = "painpoints_questions"


def _header_name(value: Any) -> str:
    # Ordinary header cells keep their original spelling (only missing -> '').
    if _cell(value) == "":
        return ""
    return str(value)


# --------------------------------------------------------------------------
# writing


# The package each binary format needs to be written.
_WRITERS = {"parquet": ("pyarrow", "fastparquet"), "excel": ("openpyxl", "xlsxwriter")}


def check_writable(path: PathLike) -> str:
    """The format :func:`write_table` would write ``path`` in, after
    checking that it can: a known extension, not legacy ``.xls``, an
    existing directory, and the package the format needs installed.
    Raises :class:`painpoints.InputError` saying what to change, so a
    command can refuse before its slow work rather than after it."""
    import importlib.util

    p = Path(os.fspath(path))
    fmt = detect_format(p)
    if fmt == "excel" and p.suffix.lower() == ".xls":
        raise _input_error("writing legacy .xls files is not supported; use .xlsx")
    if p.parent and not p.parent.exists():
        raise _general_error(f"cannot write {os.fspath(path)}: directory {os.fspath(p.parent)} does not exist")
    needed = _WRITERS.get(fmt, ())
    if needed and not any(importlib.util.find_spec(name) is not None for name in needed):
        raise _input_error(f"writing {fmt} files needs {' or '.join(needed)}: pip install {needed[0]}, "
                           "or write .csv")
    return fmt


def write_table(df: pd.DataFrame, path: PathLike) -> None:
    """Write ``df`` to ``path``; the format follows the extension.

    ``.tsv``/``.tab`` -> tab-separated, ``.jsonl``/``.ndjson`` -> JSON Lines,
    ``.json`` -> a JSON array of records, ``.parquet`` -> Parquet,
    ``.xlsx`` -> Excel; anything else is CSV.  Compression suffixes such as
    ``.gz`` are honoured for the text formats.  The index is not written.
    """
    p = Path(os.fspath(path))
    fmt = check_writable(p)
    try:
        # (Whole or not at all: a failure leaves what was there.)
        with replaced(p) as tmp:
            _write(df, Path(tmp), fmt)
    except ImportError as exc:
        raise _input_error(f"writing {fmt} files needs an optional package: {_one_line(exc)}") from None
    except OSError as exc:
        raise _general_error(f"cannot write {os.fspath(path)}: {_one_line(exc)}") from None
    except Exception as exc:
        if _is_painpoints_error(exc):
            raise
        raise _general_error(f"cannot write {os.fspath(path)} as {fmt}: {_one_line(exc)}") from None


def _write(df: pd.DataFrame, p: Path, fmt: str) -> None:
    """``df`` written to ``p`` in ``fmt``."""
    if fmt == "csv":
        df.to_csv(p, index=False, encoding="utf-8", compression="infer")
    elif fmt == "tsv":
        df.to_csv(p, sep="\t", index=False, encoding="utf-8", compression="infer")
    elif fmt == "jsonl":
        _write_json_lines(df, p)
    elif fmt == "json":
        df.to_json(p, orient="records", force_ascii=False, indent=2, compression="infer", double_precision=15)
    elif fmt == "parquet":
        _mixed_as_text(df).to_parquet(p, index=False)
    elif fmt == "excel":
        _write_excel(df, p)
    else:  # pragma: no cover
        raise AssertionError(fmt)


def _mixed_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every column that mixes text and other values (ids read
    from JSON as 1, "A-2", 3.5) written as text, which Parquet's one type
    per column needs; missing values stay missing."""
    mixed = [c for c in df.columns
             if df[c].dtype == object and pd.api.types.infer_dtype(df[c], skipna=True) in ("mixed", "mixed-integer")]
    if not mixed:
        return df
    out = df.copy()
    for c in mixed:
        out[c] = [None if is_missing(v) else v if isinstance(v, str) else str(v) for v in out[c]]
    return out


# Excel keeps numbers as doubles (whole numbers exact up to 2**53) and at
# most this many characters in a cell.
_EXCEL_EXACT, _EXCEL_CELL = 2**53, 32_767


def _write_excel(df: pd.DataFrame, p: Path) -> None:
    """``df`` as a workbook whose text cells stay text: a complaint that
    starts with "=" is not made a live formula (``=HYPERLINK(...)``); a
    whole number Excel would round (a 19-digit ticket id) is written as
    text; a cell longer than Excel holds is cut, with a warning."""
    out = df
    for c in df.columns:
        whole = [v for v in df[c] if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]
        if any(abs(int(v)) > _EXCEL_EXACT for v in whole):
            if out is df:
                out = df.copy()
            out[c] = [None if is_missing(v) else str(v) for v in df[c]]
    long = sum(isinstance(v, str) and len(v) > _EXCEL_CELL for c in df.columns for v in df[c])
    if long:
        warnings.warn(f"{counted(long, 'cell')} longer than the {_EXCEL_CELL:,} characters an Excel cell holds, cut "
                      "there; write .csv or .parquet to keep them whole", UserWarning, stacklevel=4)
    df = out
    with warnings.catch_warnings(), pd.ExcelWriter(p, engine="openpyxl") as writer:
        # (openpyxl's own notice of the cut says less than the one above.)
        warnings.filterwarnings("ignore", message="Cell contents too long")
        df.to_excel(writer, index=False)
        for row in writer.sheets[next(iter(writer.sheets))].iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _write_json_lines(df: pd.DataFrame, path: Path, rows: int = 20_000) -> None:
    """``df`` as JSON Lines, a slice of ``rows`` at a time (one string for
    the whole frame would take several times its memory), floats to the
    15 significant digits JSON numbers keep."""
    opts: dict = dict(orient="records", lines=True, force_ascii=False, double_precision=15)
    suffix = path.suffix.lower()
    if suffix in _COMPRESSION_SUFFIXES and suffix not in _OPENERS:
        df.to_json(path, compression="infer", **opts)
        return
    if suffix in _OPENERS:
        import importlib

        out: IO[str] = importlib.import_module(_OPENERS[suffix]).open(path, "wt", encoding="utf-8")
    else:
        out = open(path, "w", encoding="utf-8")
    with out:
        for start in range(0, len(df), rows):
            out.write(df.iloc[start : start + rows].to_json(**opts))


# --------------------------------------------------------------------------
# column lookup


def _norm(name: Any) -> str:
    return " ".join(str(name).split()).casefold()


def resolve_column(df: pd.DataFrame, name: str) -> Hashable:
    """Return the column of ``df`` called ``name``.

    Tries an exact match first, then a match ignoring case and surrounding /
    repeated whitespace.  Otherwise raises :class:`painpoints.InputError`
    listing the available columns and, when one is close, suggesting it.
    """
    columns = list(df.columns)
    if name in columns:
        return name
    str_matches = [c for c in columns if str(c) == str(name)]
    if len(str_matches) == 1:
        return str_matches[0]
    target = _norm(name)
    matches = [c for c in columns if _norm(c) == target]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(repr(str(c)) for c in matches)
        raise _input_error(f"column {name!r} is ambiguous; it matches {options}")
    # A survey question's text ("What went wrong?") names its column too,
    # whole or by its beginning.
    questions: Dict[Any, str] = df.attrs.get(QUESTIONS) or {}
    by_question = [c for c, q in questions.items() if _norm(q) == target]
    if not by_question and target:
        by_question = [c for c, q in questions.items() if _norm(q).startswith(target)]
    if len(by_question) == 1 and by_question[0] in columns:
        return by_question[0]
    if len(by_question) > 1:
        options = ", ".join(f"{str(c)!r} ({questions[c]!r})" for c in by_question)
        raise _input_error(f"question {name!r} is ambiguous; it matches {options}")

    shown = [str(c) for c in columns]
    if not shown:
        raise _input_error(f"column {name!r} not found; the table has no columns")
    limit = 30
    available = ", ".join(
        repr(c) + (f" ({' '.join(questions[c].split())!r})" if c in questions else "") for c in shown[:limit]
    )
    if len(shown) > limit:
        available += f", ... ({len(shown) - limit} more)"
    message = f"column {name!r} not found; available: {available}"
    by_norm: Dict[str, str] = {}
    for c in shown:
        by_norm.setdefault(_norm(c), c)
    close = difflib.get_close_matches(target, list(by_norm), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {by_norm[close[0]]!r}?"
    raise _input_error(message)


# --------------------------------------------------------------------------
# streaming


def iter_table_chunks(path: PathLike, *, chunk_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """Yield ``path``'s rows as DataFrames of at most ``chunk_rows`` rows, in order.

    CSV, TSV and JSON Lines are read incrementally and Parquet by record
    batch, so memory stays bounded by one chunk; Excel files are read whole
    (the format cannot be streamed) and then sliced. Survey header rows are
    recognised in the first chunk, as :func:`read_table` does.
    """
    if chunk_rows < 1:
        raise _input_error("chunk_rows must be at least 1")
    p = Path(os.fspath(path))
    if not p.exists():
        raise _input_error(f"file not found: {os.fspath(path)}")
    fmt = detect_format(p)
    if fmt in ("csv", "tsv"):
        encoding = _text_encoding(p)
        sep = "\t" if fmt == "tsv" else _csv_delimiter(p, encoding)
        # (Read at least 8 rows at a time, so a survey's header rows, up to
        # three, are seen together; chunks of fewer are cut from them.)
        opts: dict = dict(sep=sep, header=None, compression="infer", chunksize=max(chunk_rows, 8),
                          **_READ_TEXT_OPTS)
        if encoding is not None:
            opts["encoding_errors"] = "replace"
        try:
            with pd.read_csv(p, encoding=encoding or "utf-8-sig", **opts) as reader:
                header: Optional[List[Any]] = None
                read = 0
                for raw in reader:
                    _warn_if_rows_joined(raw.reset_index(drop=True), sep, p, read)
                    read += len(raw)
                    if header is None:
                        # Survey header rows, if any, are in the first chunk.
                        frame = _apply_header(raw)
                        header = list(frame.columns)
                    else:
                        frame = raw.copy()
                        frame.columns = header
                    frame = frame.reset_index(drop=True)
                    for start in range(0, max(len(frame), 1), chunk_rows):
                        yield frame.iloc[start : start + chunk_rows].reset_index(drop=True)
        except pd.errors.EmptyDataError:
            raise _input_error(f"file is empty: {os.fspath(path)}") from None
        except pd.errors.ParserError as exc:
            raise _input_error(f"cannot parse {os.fspath(path)} as {fmt.upper()}: {_one_line(exc)}") from None
        return
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow is in the files extra
            raise _input_error("reading Parquet needs pyarrow: pip install pyarrow") from None
        for batch in pq.ParquetFile(p).iter_batches(batch_size=chunk_rows):
            yield _index_as_columns(batch.to_pandas())
        return
    if fmt == "jsonl":
        yield from _json_line_chunks(p, chunk_rows)
        return
    whole = read_table(p)
    for start in range(0, max(len(whole), 1), chunk_rows):
        yield whole.iloc[start : start + chunk_rows].reset_index(drop=True)


def _json_line_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """A JSON Lines file's records in frames of ``chunk_rows``, each with
    every field any record has, in the order they first appear: a field
    left out of the first records still has its column, and every frame
    its columns in one order (a file is read twice: once for the fields)."""
    encoding = _text_encoding(path)
    found = _json_lines(path, encoding)
    if found is None:
        with pd.read_json(path, lines=True, chunksize=chunk_rows, dtype=False) as reader:
            for frame in reader:
                yield frame.reset_index(drop=True)
        return
    columns: Dict[Any, None] = {}
    for number, value in found:
        if not isinstance(value, dict):
            raise _input_error(f"{path.name}, line {number}: expected a JSON object (one record per line)")
        columns.update(dict.fromkeys(value))
    names = list(columns)
    records: List[Any] = []
    again = _json_lines(path, encoding)
    assert again is not None
    for _, value in again:
        records.append(value)
        if len(records) == chunk_rows:
            yield _records_frame(records, names)
            records = []
    if records or not names:
        yield _records_frame(records, names)
