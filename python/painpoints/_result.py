"""What an analysis returns: ranked problems, per-row labels, and views of both."""
from __future__ import annotations

import datetime
import decimal
import hashlib
import html
import math
import numbers
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, AbstractSet, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, cast

import numpy as np

from ._errors import InputError, NotFittedError, ParameterError
from ._inputs import check_count, is_integer, is_missing, pandas_index, says_nothing_rows
from ._redact import redact as _redact
from ._snippet import redacted_snippet
from ._words import clipped, complaints_and_blank, counted, of_them_copies

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars

    from ._model import ProblemModel

__all__ = ["Example", "Problem", "Theme", "Analysis", "ProblemStability"]


@dataclass(frozen=True)
class Example:
    """A real complaint shown as evidence for a problem."""

    row: int
    """Position of the complaint in the analysed input (0-based)."""
    text: str
    """The complaint as written."""
    similarity: float
    """How close it is to the problem's centre (0..1)."""

    def __repr__(self) -> str:
        text = " ".join(self.text.split())
        text = text if len(text) <= 80 else text[:79] + "…"
        return f"Example(row={self.row}, similarity={self.similarity:.2f}, text={text!r})"


@dataclass(frozen=True)
class Problem:
    """One recurring problem: its label, keywords, size and evidence."""

    id: int
    """Stable id; the value used in ``labels`` for its complaints."""
    label: str
    """A short phrase naming the problem, e.g. ``"refund not received"``."""
    keywords: Tuple[Tuple[str, float], ...]
    """Distinctive keywords with weights, best first."""
    size: int
    """Number of complaints in the problem."""
    share: float
    """``size`` over the analysed rows that hold a complaint (0..1; see ``Analysis.n_empty``)."""
    cohesion: float
    """Mean similarity of its complaints to its centre (0..1); higher is tighter."""
    examples: Tuple[Example, ...] = field(default_factory=tuple)
    """Representative complaints, best first: close to the problem's centre
    and saying its most distinctive terms."""
    rank: int = 0
    """1 for the problem with the most different complaints (see ``copies``)."""
    copies: int = 0
    """Its complaints that copy another of its complaints: the same text once
    normalised (case, numbers, dates aside), or nearly (a template letter
    with another name or a typo), counted only for complaints of at least
    10 words, which different customers do not write alike: a copy-paste
    wave. Problems are ranked by ``size - copies``, so
    one wave counts once and cannot take a top slot from a problem many
    customers each describe in their own words."""

    @classmethod
    def _from_dict(cls, d: dict, rank: int) -> "Problem":
        return cls(
            id=int(d["id"]),
            label=str(d["label"]),
            keywords=tuple((str(k), float(w)) for k, w in d["keywords"]),
            size=int(d["size"]),
            share=float(d["share"]),
            cohesion=float(d["cohesion"]),
            examples=tuple(Example(int(r), str(t), float(s)) for r, t, s in d["examples"]),
            rank=rank,
            copies=int(d.get("copies", 0)),
        )

    def __str__(self) -> str:
        kws = ", ".join(clipped(k) for k, _ in self.keywords[:5])
        copies = f", {of_them_copies(self.copies)}" if self.copies else ""
        return f"#{self.rank} {self.label} — {counted(self.size, 'complaint')} ({self.share:.1%}{copies}); keywords: {kws}"

    def __repr__(self) -> str:
        # Compact: the examples' full text is in .examples, not on screen.
        kws = [k for k, _ in self.keywords[:5]]
        return (f"Problem(id={self.id}, rank={self.rank}, label={self.label!r}, size={self.size}, "
                f"share={self.share:.3f}, cohesion={self.cohesion:.2f}, copies={self.copies}, keywords={kws}, "
                f"examples=<{len(self.examples)}>)")


@dataclass(frozen=True)
class Theme:
    """Related problems one level up: problems whose complaints are more
    similar to each other than chance (e.g. "hard inquiry", "identity theft"
    and "credit freeze" under one credit-report theme).

    Themes are computed from the fitted model, so they follow every edit;
    unlike problem ids, theme ids are positions (0 = largest) and are not
    kept across fits.
    """

    id: int
    """Position among the themes, 0 for the largest."""
    label: str
    """Its problem's label for a one-problem theme; otherwise its two (or, to stay unique, three) most
    distinctive words, one per word family, e.g. ``"inquiry / report"``."""
    problem_ids: Tuple[int, ...]
    """Ids of its problems, largest first."""
    keywords: Tuple[str, ...]
    """Words frequent in its complaints and rare in the others', best first."""
    size: int
    """Number of complaints in its problems."""
    share: float
    """``size`` over the analysed rows that hold a complaint (0..1; see ``Analysis.n_empty``)."""

    @classmethod
    def _from_dict(cls, d: dict, id: int) -> "Theme":
        return cls(
            id=id,
            label=str(d["label"]),
            problem_ids=tuple(int(i) for i in d["problem_ids"]),
            keywords=tuple(str(k) for k in d["keywords"]),
            size=int(d["size"]),
            share=float(d["share"]),
        )

    def __str__(self) -> str:
        n = len(self.problem_ids)
        return f"{self.label} — {counted(n, 'problem')}, {counted(self.size, 'complaint')} ({self.share:.1%})"


@dataclass(frozen=True)
class ProblemStability:
    """How one problem holds up when the analysis is repeated on resampled
    complaints (see :meth:`Analysis.stability`)."""

    id: int
    """The problem's id."""
    label: str
    """The problem's label."""
    rank: int
    """Its rank in the analysis (1 = largest)."""
    agreement: float
    """Median over the runs of the overlap (Jaccard, 0..1) between its
    complaints and the closest problem the refit found, both counted on the
    complaints the run kept: 1 means found again exactly."""
    top_rate: float
    """Share of runs (0..1) in which the problem was found again (its
    closest refit problem overlaps it by more than half, Jaccard > 0.5;
    at or below that a cluster counts as dissolved, as in Hennig's
    bootstrap cluster stability) and that refit problem ranked within the
    analysis' headline count (``top``, 3 by default)."""


# Jaccard overlap above which a problem counts as found again in a refit.
FOUND_AGAIN = 0.5

# Below this many complaints a summary says that its problems are thin.
FEW_COMPLAINTS = 50


def few_complaints_note(said: int, problems: int) -> Optional[str]:
    """The caution a summary of ``said`` complaints shows, or None: with a
    handful of complaints, any few that share a word make a "problem"."""
    if problems == 0 or said == 0 or said >= FEW_COMPLAINTS:
        return None
    return (f"Only {counted(said, 'complaint')}: with this few, a problem can gather complaints that share a "
            "single word. Read its examples before counting on it.")


NO_PROBLEMS_HINT = (
    "No problem found: no group of at least min_size similar complaints (by default 0.4% of the rows, "
    "at least 3). With few complaints, analyze more of them or set min_size lower (min_size=2, or --min-size 2)."
)


# Column names of the problem tables for complaints outside the problems shown.
_NO_PROBLEM = "(no problem)"
_OTHER_PROBLEMS = "(other problems)"


def _blank_rows(texts: Optional[Sequence[Optional[str]]], n: int) -> Optional[np.ndarray]:
    """Per row, whether it holds no complaint (missing, blank, or a non-answer
    such as "n/a" or "no comment", as the core reads it); None when unknown."""
    if texts is None or len(texts) != n:
        return None
    return says_nothing_rows(list(texts))


# pandas' date-range aliases (month end, month start...) for the periods they
# mark: a period has no end or start of its own.
_RANGE_ALIASES = re.compile(r"^(?P<n>\d*)(M|Q|Y|A|BM|BQ|BY|BA)(E|S)(-[A-Z]{3})?$")

# More periods than this in one table is a freq too fine for the dates
# (minutes over a year), not a report.
_MAX_PERIODS = 100_000


def _period(pd: Any, freq: str) -> str:
    """``freq`` checked: one calendar period, as pandas spells periods."""
    given = freq
    if not isinstance(freq, str) and not hasattr(freq, "freqstr"):  # (a pandas offset reads too)
        raise ParameterError(f"freq must be a period such as 'D' (day), 'W' (week), 'M' (month), 'Q' (quarter) "
                             f"or 'Y' (year), got {freq!r}")
    if isinstance(freq, str):
        alias = _RANGE_ALIASES.match(freq.strip())  # case matters: "ms" is milliseconds
        if alias:
            unit = {"A": "Y", "BM": "M", "BQ": "Q", "BY": "Y", "BA": "Y"}.get(alias.group(2), alias.group(2))
            anchor = alias.group(4) or ""
            if anchor and alias.group(3) == "S":
                # Quarters or years that start in a month end in the month
                # before it ("QS-JAN" is "Q-DEC"), as periods are named.
                months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
                if anchor[1:] in months:
                    anchor = "-" + months[months.index(anchor[1:]) - 1]
            freq = alias.group("n") + unit + anchor
    try:
        offset = pd.Period("2024-01-01", freq=freq).freq
    except (ValueError, TypeError, AttributeError):
        raise ParameterError(f"freq must be a period such as 'D' (day), 'W' (week), 'M' (month), 'Q' (quarter) "
                             f"or 'Y' (year), got {given!r}") from None
    if offset.n != 1:
        raise ParameterError(f"freq must be a single period such as 'D', 'W', 'M', 'Q' or 'Y', not a multiple ({given!r})")
    return freq


def _parse_dates(pd: Any, values: np.ndarray, dayfirst: bool = False) -> Any:
    """``values`` as naive timestamps (NaT where unreadable); see :func:`_read_dates`.
    Without ``dayfirst``, a column that reads fully only day first
    ("31/01/2024") is read day first."""
    given = [v for v in values.tolist() if not is_missing(v)]
    if given and all(isinstance(v, pd.Period) for v in given):
        # A column of periods (dates.dt.to_period("D")): each at its start.
        values = np.array([None if is_missing(v) else v.start_time for v in values.tolist()], dtype=object)
        given = [v for v in values.tolist() if v is not None]
    if given and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                     for v in given):
        raise InputError(
            "dates are numbers, which pandas would read as nanoseconds since 1970; convert them first, e.g. "
            "pd.to_datetime(dates, unit='s') for Unix seconds (unit='ms' for milliseconds), "
            "or pd.to_datetime(dates.astype(str), format='%Y%m%d') for 20240131"
        )
    when = _read_dates(pd, values, dayfirst)
    if not dayfirst and when.isna().any():
        other = _read_dates(pd, values, True)
        if other.isna().sum() < when.isna().sum():
            return other
    return when


def _some_values(values: Any) -> str:
    """Three distinct values for a message, each cut to 40 characters (a
    column of complaints named as the dates must not fill the screen)."""
    shown = []
    for v in list(dict.fromkeys(np.asarray(values, dtype=object).tolist()))[:3]:
        text = str(v)
        shown.append(repr(text[:40] + "…" if len(text) > 40 else v))
    return ", ".join(shown)


def check_dates(pd: Any, dates: Sequence[Any], name: str) -> None:
    """Raise :class:`InputError` before a long fit when ``dates`` (a
    column of an export, in any form over_time() takes) cannot serve it:
    numbers, or no value that reads as a date."""
    values = np.asarray(list(dates), dtype=object)
    when = _parse_dates(pd, values)
    given = np.array([not is_missing(v) and str(v).strip() != "" for v in values], dtype=bool)
    if given.any() and not bool(when[given].notna().any()):
        sample = _some_values(values[given])
        raise InputError(f"none of the values of {name} reads as a date (values such as {sample}); "
                         "name a column of dates or date strings")


def _date_format(column: Any, dayfirst: bool) -> Optional[str]:
    """The strptime format most of the column's first date strings read by
    (pandas guesses one per string; of the first 1,000 rows, until 200
    guesses), or None. A majority, not the first guess: one odd date at
    the top ("2019-12-31" over a column of "2019/9/24") must not make
    every other row unreadable."""
    try:
        from pandas.tseries.api import guess_datetime_format
    except ImportError:  # pandas < 2.2: pandas infers it itself
        return None
    votes: Dict[str, int] = {}
    for value in column.head(1000):
        if isinstance(value, str):
            fmt = guess_datetime_format(value.strip(), dayfirst=dayfirst)
            if fmt is not None:
                votes[str(fmt)] = votes.get(str(fmt), 0) + 1
                if sum(votes.values()) >= 200:
                    break
    # (The first format seen wins a tie: dicts keep insertion order.)
    return max(votes, key=lambda f: votes[f]) if votes else None


def _read_dates(pd: Any, values: np.ndarray, dayfirst: bool) -> Any:
    """``values`` as naive timestamps (NaT where unreadable). The column is
    read with one format, the one most of its first dates read by, so
    "03/04" cannot mean March in one row and April in the next; strings
    with different UTC offsets are brought to UTC, and a column in one
    time zone keeps its local times."""
    column = pd.Series(values)
    options: Dict[str, Any] = {"errors": "coerce", "dayfirst": dayfirst}
    with warnings.catch_warnings():
        # Rows that do not read are counted and reported by over_time();
        # a column that reads only day first is read so (_parse_dates), so
        # pandas' advice to pass dayfirst is not the caller's to follow.
        warnings.filterwarnings("ignore", message="Could not infer format")
        warnings.filterwarnings("ignore", message=".*dayfirst", category=UserWarning)
        fmt = _date_format(column, dayfirst)
        if fmt is not None:
            options["format"] = fmt
        try:
            when = pd.to_datetime(column, **options)
        except (ValueError, TypeError):
            when = pd.to_datetime(column, utc=True, **options)
        if str(when.dtype) == "object":
            when = pd.to_datetime(when, utc=True, **options)
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    if str(when.dtype) != "datetime64[ns]":
        # Dates pandas keeps in another unit (date objects, year 1 or 9999:
        # sentinels for "no date") are unreadable past the years 1677 to
        # 2262 that periods and tables handle, as such strings are.
        inside = (when >= pd.Timestamp.min) & (when <= pd.Timestamp.max)
        when = when.where(inside).astype("datetime64[ns]")
    return when


def _numbered_in_order(index: Any) -> bool:
    """Whether a pandas index is 0, 1, ..., n-1 (a position is its label)."""
    n = len(index)
    try:
        return n == 0 or (bool(index.is_monotonic_increasing) and bool(index.is_unique)
                          and index[0] == 0 and index[-1] == n - 1)
    except TypeError:
        return False


def _wilson(k: int, n: int, z: float = 1.959964) -> Tuple[float, float]:
    """95% Wilson score interval of the proportion k / n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value that k1 / n1 and k2 / n2 are the same share: the
    pooled two-proportion z-test, or Fisher's exact test when a cell of the
    2x2 table expects fewer than 5 (where the z-test is unreliable); NaN
    without data."""
    if n1 == 0 or n2 == 0:
        return float("nan")
    k, n = k1 + k2, n1 + n2
    if min(k, n - k) * min(n1, n2) < 5 * n:
        return _fisher_p(k1, n1, k, n)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def _fisher_p(k1: int, n1: int, k: int, n: int) -> float:
    """Two-sided Fisher exact p-value of k1 successes among n1 draws, k of n
    in all (the tables at most as likely as the one seen)."""
    def log_pmf(x: int) -> float:
        return (math.lgamma(k + 1) - math.lgamma(x + 1) - math.lgamma(k - x + 1)
                + math.lgamma(n - k + 1) - math.lgamma(n1 - x + 1) - math.lgamma(n - k - n1 + x + 1)
                - math.lgamma(n + 1) + math.lgamma(n1 + 1) + math.lgamma(n - n1 + 1))

    seen = log_pmf(k1)
    total = sum(math.exp(lp) for lp in map(log_pmf, range(max(0, k - (n - n1)), min(k, n1) + 1))
                if lp <= seen + 1e-7)
    return min(1.0, total)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function
    (modified Lentz), as in Numerical Recipes' ``betacf``."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of Student's t with ``df`` degrees of freedom
    (within 1e-8 of SciPy's up to 100 million degrees of freedom)."""
    if math.isinf(t):
        return 0.0
    return min(1.0, _incomplete_beta(df / 2.0, 0.5, df / (df + t * t)))


def _t_quantile_95(df: float) -> float:
    """The t beyond which 2.5% of Student's t lies on each side: from 30
    degrees of freedom the Cornish-Fisher expansion around the normal's
    1.96 (within 1e-6), below by bisection on the p-value."""
    z = 1.959963984540054
    if df >= 30:
        return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
                + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))
    lo, hi = 0.0, 1.0
    while _t_two_sided_p(hi, df) > 0.05:
        hi *= 2.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if _t_two_sided_p(mid, df) > 0.05 else (lo, mid)
    return (lo + hi) / 2.0


def _welch(a: np.ndarray, b: np.ndarray) -> Tuple[float, float, float, float]:
    """Welch's unequal-variance t-test of mean(a) - mean(b): (difference,
    p-value, low, high) with the difference's 95% interval; NaN for the
    test when a group has fewer than two values (and for all without one)."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return (float("nan"),) * 4
    if a.min() == a.max() and b.min() == b.max():  # every score alike within each group
        diff = float(a[0] - b[0])  # exactly: the means of equal decimals differ by rounding
        return (diff, 1.0 if diff == 0.0 else 0.0, diff, diff) if n1 > 1 and n2 > 1 else (diff,) + (float("nan"),) * 3
    diff = float(a.mean() - b.mean())
    if n1 < 2 or n2 < 2:
        return (diff,) + (float("nan"),) * 3
    # Tested on scores scaled to at most 1, whose squared variances cannot
    # overflow; the test does not depend on the scale, the interval scales back.
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
    a, b = a / scale, b / scale
    v1, v2 = float(a.var(ddof=1)) / n1, float(b.var(ddof=1)) / n2
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = _t_quantile_95(df) * se * scale
    return (diff, _t_two_sided_p(diff / scale / se, df), diff - half, diff + half)


# A survey tool's answer label: "10 - Extremely likely", "4: Satisfied".
_SCORE_LABEL = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*[-\u2013\u2014:]\s*\D")
_FLAGS = {"true": 1.0, "false": 0.0}
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*$")


def _score_value(value: Any) -> float:
    """One score as a float (NaN when it is not a number, or beyond 1e100):
    numbers as they are, True/False as 1/0, text as the number it writes ("4", " 4 ",
    "True", or a survey label's number: "10 - Extremely likely")."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _FLAGS:
            return _FLAGS[text.lower()]
        label = _SCORE_LABEL.match(text)
        try:
            number = float(label.group(1) if label else text)
        except ValueError:
            return float("nan")
    elif isinstance(value, (numbers.Real, decimal.Decimal)):
        try:
            number = float(value)
        except (OverflowError, ValueError, TypeError):
            return float("nan")
    else:
        return float("nan")
    # Beyond 1e100 a value is a data error, not a score, and its sums overflow.
    return number if abs(number) <= 1e100 else float("nan")


# Cells a survey export writes where there is no score: blank, or "N/A",
# "-", "don't know"… (lower-cased, stripped). They count as no score given,
# not as a score that is not a number.
_NO_SCORE = frozenset({"", "n/a", "n.a.", "na", "-", "--", "\u2014", "?", "none", "null", "nan", "<na>", "missing",
                       "unknown", "no answer", "not applicable", "dk", "don't know", "prefer not to say"})


def read_scores(raw: np.ndarray, name: str, nps: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Per row of ``raw``, its score as a float (NaN without one), and
    whether a value was given at all (blank, "N/A" and the like are not).
    Raises :class:`ParameterError` for dates, for a column of which no
    value is a number, and with ``nps`` for answers that are not whole
    numbers from 0 to 10."""
    given = np.array([not is_missing(v) and not (isinstance(v, str) and v.strip().lower() in _NO_SCORE)
                      for v in raw], dtype=bool)
    if any(isinstance(v, (datetime.date, datetime.timedelta, np.datetime64, np.timedelta64)) for v in raw[given]):
        raise ParameterError(f"{name} holds dates or durations, not scores; pass a column of ratings")
    values = np.array([_score_value(v) for v in raw], dtype=float)
    unread = given & np.isnan(values)
    if given.any() and unread.sum() == given.sum():
        comma = any(isinstance(v, str) and _DECIMAL_COMMA.match(v) for v in raw[unread])
        hint = "; write decimals with a point ('4.5', not '4,5')" if comma else ""
        raise ParameterError(f"no value of {name} is a number ({_some_values(raw[unread])}); pass a column of "
                             f"ratings{hint}")
    if nps:
        flags = np.array([isinstance(v, (bool, np.bool_)) or (isinstance(v, str) and v.strip().lower() in _FLAGS)
                          for v in raw], dtype=bool)
        bad = given & ~unread & (flags | (values < 0) | (values > 10) | (values != np.round(values)))
        if bad.any():
            raise ParameterError(f"NPS answers are whole numbers from 0 to 10; {int(bad.sum()):,} of {name} are not "
                                 f"({_some_values(raw[bad])})")
    return values, given


def _q_values(p_values: Sequence[float]) -> List[float]:
    """Benjamini-Hochberg adjusted p-values (q-values) of ``p_values``,
    in their order: the smallest false discovery rate at which each test
    would be called significant among all of them. NaN stays NaN and is
    not counted among the tests."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return q.tolist()
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q.tolist()


def _add_q_values(rows: List[Dict[str, Any]]) -> None:
    """Give every row of a table of tests its ``q_value``, from the
    ``p_value`` of all of them (see :func:`_q_values`)."""
    for row, q in zip(rows, _q_values([cast(float, r["p_value"]) for r in rows])):
        row["q_value"] = q


def _pandas(what: str) -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(f"{what} needs pandas: pip install pandas") from None
    return pandas


def _bar(share: float, width: int = 20) -> str:
    filled = int(round(share * width))
    return "█" * filled + "·" * (width - filled)


class Analysis:
    """The result of :func:`painpoints.analyze`.

    ``problems`` are ranked by size, largest first (a copy-paste wave
    counting once: see :attr:`Problem.copies`); ``labels`` gives the
    problem id of every input row, in input order, ``-1`` for complaints
    that fit no problem (and for rows without a complaint: missing, blank,
    or a non-answer such as "n/a", see :attr:`n_empty`).
    """

    def __init__(self, problems: Sequence[Problem], labels: np.ndarray, similarity: np.ndarray,
                 model: "ProblemModel", top: int = 3, themes: Optional[Sequence[Theme]] = None,
                 index: Any = None, lineage: Optional[Dict[str, Any]] = None) -> None:
        self.problems: List[Problem] = list(problems)
        #: After ``analyze(..., previous=model)``: what changed since that
        #: model, as :attr:`ProblemModel.lineage_` gives it (ids ``kept``,
        #: ``new``, ``vanished`` as (id, label), and ``found_again``: per
        #: kept id, the share of its complaints that model puts there too);
        #: None otherwise.
        self.lineage: Optional[Dict[str, Any]] = lineage
        # Copies: the model's own arrays change with its edits (and would
        # change with a write to these).
        self.labels: np.ndarray = np.array(labels, copy=True)
        self.similarity: np.ndarray = np.array(similarity, copy=True)
        self.model = model
        self._top = top
        # The pandas index of the complaints, when they came as a Series with
        # unique labels (a repeated label would multiply rows in a join).
        unique = index is not None and len(index) == len(labels) and bool(getattr(index, "is_unique", False))
        self._index = index if unique else None
        self._repeated_index = index is not None and not unique
        # Rows without a complaint and without a problem (what the core's n_empty
        # counts), taken now: a pickled model no longer holds its texts.
        blank = _blank_rows(getattr(model, "_texts", None), len(labels))
        self._empty: Optional[np.ndarray] = None if blank is None else blank & (labels < 0)
        # Taken now, like everything else here: editing ``model`` afterwards
        # (rename, merge, drop) leaves this analysis as it was.
        if themes is None and model is not None and getattr(model, "_fitted", None) is not None:
            themes = model.themes_
        self._themes: Optional[List[Theme]] = None if themes is None else list(themes)

    @property
    def n_rows(self) -> int:
        """Number of analysed rows (missing and empty ones included)."""
        return int(self.labels.shape[0])

    @property
    def n_empty(self) -> int:
        """Rows without a complaint, labelled -1: missing, blank, or a
        non-answer ("n/a", "nothing", "no comment", "all good, thanks",
        "keep up the good work"; see :func:`painpoints.says_nothing`). They
        are left out of every share and out of the fit, so a survey's empty
        answers neither dilute nor reshape the problems."""
        if self._empty is not None:
            return int(self._empty.sum())
        fitted = getattr(self.model, "_fitted", None)
        if fitted is None or fitted.n_rows != self.n_rows:
            return 0
        return int(fitted.n_empty)

    @property
    def no_problem_share(self) -> float:
        """Share of the rows holding a complaint that no problem holds (-1)."""
        said = self.n_rows - self.n_empty
        return float(((self.labels < 0).sum() - self.n_empty) / said) if said else 0.0

    def top(self, n: int = 3) -> List[Problem]:
        """The ``n`` largest problems (by different complaints: see :attr:`Problem.copies`)."""
        check_count("n", n)
        return self.problems[:n]

    def problem(self, problem_id: int) -> Problem:
        """The problem with this id."""
        for p in self.problems:
            if p.id == problem_id:
                return p
        raise KeyError(f"no problem with id {problem_id}; ids are {[p.id for p in self.problems]}")

    def coverage(self, n: int = 3) -> float:
        """Share of the rows holding a complaint that the ``n`` largest problems explain."""
        check_count("n", n)
        said = self.n_rows - self.n_empty
        if said == 0:
            return 0.0
        return sum(p.size for p in self.problems[:n]) / said

    def themes(self) -> List[Theme]:
        """Related problems grouped one level up, largest first (see :class:`Theme`).

        Every problem is in exactly one theme; a problem unlike all others
        is a theme of its own.
        """
        if self._themes is None:
            if self.model is None:  # a hand-made analysis: each problem stands alone
                self._themes = [Theme(id=i, label=p.label, problem_ids=(p.id,), keywords=tuple(k for k, _ in p.keywords),
                                      size=p.size, share=p.share) for i, p in enumerate(self.problems)]
            else:
                self._themes = self.model.themes_
        return list(self._themes)

    def theme_of(self, problem_id: int) -> Theme:
        """The theme that holds the problem with this id."""
        for t in self.themes():
            if problem_id in t.problem_ids:
                return t
        raise KeyError(f"no problem with id {problem_id}; ids are {[p.id for p in self.problems]}")

    def stability(self, runs: int = 5, share: float = 0.8, seed: int = 0) -> List[ProblemStability]:
        """Repeat the analysis on random subsets of the same complaints and
        report, per problem, how well it is found again and how often it
        stays in the top ``top`` (3 by default): is #3 really ahead of #4?

        Each of ``runs`` runs refits the same parameters (and embeddings,
        if any) on a random ``share`` of the rows, then matches every
        problem to the refit's problem that overlaps it most. Problems close
        in size can swap places from one export to the next; this shows
        which ones. It costs ``runs`` fits. Results depend only on ``seed``.

        >>> import painpoints as pp
        >>> texts = ["refund not received", "my refund never arrived", "app crashes at login",
        ...          "the app crashes on start", "parcel delivered late", "late delivery again"] * 10
        >>> result = pp.analyze(texts, min_size=3, progress=False)
        >>> checks = result.stability(runs=3)
        >>> [c.rank for c in checks] == [p.rank for p in result.problems]
        True
        """
        if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= 100:
            raise ParameterError(f"runs must be an integer from 1 to 100, got {runs!r}")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 < float(share) < 1.0:
            raise ParameterError(f"share must be between 0 and 1 (exclusive), e.g. 0.8; got {share!r}")
        check_count("seed", seed)
        if not self.problems:
            return []
        texts = getattr(self.model, "_texts", None) if self.model is not None else None
        if texts is None or len(texts) != self.n_rows:
            raise NotFittedError("stability() refits on the analysed complaints, which this analysis does not hold "
                                 "(it was loaded or built by hand): run painpoints.analyze(texts) first")
        embeddings = getattr(self.model, "_embeddings", None)
        params = {**self.model.get_params(), "progress": False}
        n = self.n_rows
        keep = min(n, max(2, int(round(float(share) * n))))
        rng = np.random.default_rng(seed)
        labels = np.asarray(self.labels, dtype=np.int64)
        ids = [p.id for p in self.problems]
        row_of = {pid: r for r, pid in enumerate(ids)}
        # Per problem (in ``self.problems`` order), one entry per run.
        overlaps: List[List[float]] = [[] for _ in ids]
        in_top: List[List[bool]] = [[] for _ in ids]
        for _ in range(runs):
            idx = np.sort(rng.choice(n, keep, replace=False))
            refit = type(self.model)(**params).fit(
                [texts[i] for i in idx], embeddings=None if embeddings is None else embeddings[idx])
            mine = np.array([row_of.get(int(x), -1) for x in labels[idx]], dtype=np.int64)
            theirs = np.asarray(refit.labels_, dtype=np.int64)
            k = int(theirs.max(initial=-1)) + 1
            # Overlap (Jaccard) of every problem with every refit problem,
            # both counted on the rows this run kept.
            both = (mine >= 0) & (theirs >= 0)
            shared = np.zeros((len(ids), k))
            np.add.at(shared, (mine[both], theirs[both]), 1.0)
            sizes = np.bincount(mine[mine >= 0], minlength=len(ids)).astype(float)
            found = np.bincount(theirs[theirs >= 0], minlength=k).astype(float)
            union = sizes[:, None] + found[None, :] - shared
            jac = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
            rank_of = {p.id: r for r, p in enumerate(refit.problems_, start=1)}
            for r in range(len(ids)):
                best = int(jac[r].argmax()) if k else -1
                overlap = float(jac[r, best]) if k else 0.0
                overlaps[r].append(overlap)
                # Found again: the closest refit problem overlaps it by more
                # than half (Hennig 2007: at Jaccard 0.5 or less a cluster is
                # dissolved). A small problem swallowed by a large one, or the
                # largest piece of a mix, does not borrow the refit's rank;
                # above 0.5 no other problem can be closer to that refit one.
                again = overlap > FOUND_AGAIN
                in_top[r].append(again and rank_of.get(best, self._top + 1) <= self._top)
        return [ProblemStability(id=p.id, label=p.label, rank=p.rank, agreement=float(np.median(overlaps[r])),
                                 top_rate=float(np.mean(in_top[r]))) for r, p in enumerate(self.problems)]

    @property
    def theme_ids(self) -> np.ndarray:
        """Per input row, in input order, the id of its problem's theme (-1 = no problem)."""
        themes = self.themes()
        labels = np.asarray(self.labels, dtype=np.int64)
        top_id = max([pid for t in themes for pid in t.problem_ids] + [int(labels.max(initial=-1))])
        lookup = np.full(max(top_id, 0) + 1, -1, dtype=np.int64)
        for t in themes:
            lookup[list(t.problem_ids)] = t.id
        return np.where(labels >= 0, lookup[np.clip(labels, 0, None)], -1)

    # -- tables ---------------------------------------------------------
    def _problem_rows(self) -> List[dict]:
        theme = {pid: t.label for t in self.themes() for pid in t.problem_ids}
        return [
            {
                "rank": p.rank,
                "problem_id": p.id,
                "label": p.label,
                "size": p.size,
                "share": p.share,
                "cohesion": p.cohesion,
                "copies": p.copies,
                "keywords": [k for k, _ in p.keywords],
                "examples": [e.text for e in p.examples],
                "example_rows": [e.row for e in p.examples],
                "theme": theme.get(p.id),
            }
            for p in self.problems
        ]

    def to_pandas(self) -> "pandas.DataFrame":
        """One row per problem: rank, id, label, size, share, cohesion, copies, keywords, examples, theme."""
        pd = _pandas("to_pandas()")

        cols = ["rank", "problem_id", "label", "size", "share", "cohesion", "copies", "keywords", "examples",
                "example_rows", "theme"]
        return pd.DataFrame(self._problem_rows(), columns=cols)

    def to_polars(self) -> "polars.DataFrame":
        """:meth:`to_pandas` as a polars DataFrame."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars() needs polars: pip install polars") from None

        rows = self._problem_rows()
        schema: "dict[str, Any]" = {
            "rank": pl.Int64, "problem_id": pl.Int64, "label": pl.Utf8, "size": pl.Int64, "share": pl.Float64,
            "cohesion": pl.Float64, "copies": pl.Int64, "keywords": pl.List(pl.Utf8), "examples": pl.List(pl.Utf8),
            "example_rows": pl.List(pl.Int64), "theme": pl.Utf8,
        }
        return pl.DataFrame(rows, schema=schema)

    def over_time(self, dates: Any, freq: str = "W", *, top: Optional[int] = None,
                  share: bool = False, dayfirst: bool = False) -> "pandas.DataFrame":
        """How many complaints each problem had per period: what is growing,
        and did a fix shrink a problem.

        ``dates``: one date per complaint, in input order (a column of the
        same DataFrame, a list or an array of dates or date strings).
        ``freq``: the period, as pandas spells it: ``"D"``, ``"W"`` (weeks
        ending on Sunday), ``"M"``, ``"Q"`` or ``"Y"`` (date-range aliases
        such as ``"ME"`` or ``"MS"`` name the same periods; a freq that
        would make more than 100,000 periods of the dates is refused).
        ``dates`` may also be a column of periods. ``top``: only the
        ``top`` largest problems get a column, the others are summed in
        ``"(other problems)"`` (default: every problem).

        Returns a DataFrame with one row per period, every period from the
        first date to the last (a quiet week shows zeros), indexed by the
        period's first day; one column per problem, named by its label, in
        rank order, then ``"(no problem)"`` (complaints matching none);
        rows without a complaint are not counted. ``share=True`` divides each row
        by that period's complaints, so problems compare across busy and
        quiet periods. Date strings are read with one format for the whole
        column, as pandas infers it from the first; a column that only
        reads in full day first ("31/01/2024") is read day first, and
        ``dayfirst=True`` says so for one where every day is 12 or less.
        Strings with different UTC offsets are brought to UTC. ``freq`` is
        one period, not a multiple ("2W"). Complaints without a readable
        date are left out, with a warning that counts them.

        >>> import painpoints as pp
        >>> result = pp.analyze(pp.load_sample(), progress=False)
        >>> result.over_time(pp.load_sample_dates(), "Y", top=2).tail(2)  # doctest: +NORMALIZE_WHITESPACE
                    card  experian  (other problems)  (no problem)
        period
        2019-01-01    70        51               185             0
        2020-01-01     0         3                 6             0
        """
        pd = _pandas("over_time()")
        if not isinstance(share, bool):
            raise ParameterError(f"share must be True or False, got {share!r}")
        when = _parse_dates(pd, self._aligned(dates, "dates"), dayfirst)
        periods = when.dt.to_period(_period(pd, freq))
        columns = self._columns(top)
        said = ~self._empty_rows()
        undated = int((said & when.isna().to_numpy()).sum())
        if undated and undated == int(said.sum()):
            sample = _some_values(self._aligned(dates, "dates")[said])
            raise InputError(f"none of the {undated:,} complaints' dates reads as a date (values such as {sample}); "
                             "pass a column of dates or date strings")
        if undated:
            warnings.warn(f"{counted(undated, 'complaint')} {'has' if undated == 1 else 'have'} no readable date and "
                          f"{'is' if undated == 1 else 'are'} not counted in over_time()",
                          UserWarning, stacklevel=2)
        keep = said & when.notna().to_numpy()
        frame = pd.DataFrame({"period": periods[keep].to_numpy(), "column": columns[keep]})
        table = pd.crosstab(frame["period"], frame["column"]) if keep.any() else pd.DataFrame()
        if len(table):
            span = int(table.index.max().ordinal - table.index.min().ordinal) + 1
            if span > _MAX_PERIODS:
                raise ParameterError(f"the dates span {span:,} periods of {freq!r} (from {table.index.min()} to "
                                     f"{table.index.max()}): use a longer freq, such as 'D', 'W' or 'M'")
            table = table.reindex(pd.period_range(table.index.min(), table.index.max(), freq=table.index.freq))
        present = set(columns[said])
        order = [c for c in self._column_names(top) if c in present or c == _NO_PROBLEM]
        table = table.reindex(columns=order).fillna(0).astype("int64")
        if share:
            totals = table.sum(axis=1)
            table = table.div(totals.where(totals > 0), axis=0).fillna(0.0)
        table.index = pd.Index([p.start_time for p in table.index], name="period", dtype="datetime64[ns]")
        table.columns.name = None
        table.attrs["analysis"] = self._mark()
        return table

    def by_segment(self, segments: Any, *, top: int = 3) -> "pandas.DataFrame":
        """The largest problems within each segment (channel, product,
        region...), and whether each stands out there.

        ``segments``: one value per complaint, in input order (a column of
        the same DataFrame, a list or an array); a missing value is its own
        segment, ``"(missing)"``. ``top``: problems listed per segment.

        Returns one row per segment and problem, segments largest first:
        ``segment`` (the value as given: ``1`` and ``"1"`` are two
        segments), ``complaints`` (the segment's rows holding a complaint),
        ``rank`` (within the segment), ``problem_id``, ``problem_label``,
        ``count``, ``share`` with its 95% interval (``share_low``,
        ``share_high``; Wilson), ``share_elsewhere`` (the problem's share in
        all other segments), ``p_value``, a two-sided test of the two
        shares being equal (two-proportion z-test, or Fisher's exact test
        when a count is too small for it; small values say the problem
        really is more, or less, common in this segment), and ``q_value``,
        the p-value adjusted for every row of the table (Benjamini-Hochberg).
        Each p-value is for its own row: among many segments, about one row
        in twenty falls below 0.05 by chance alone; among the rows with a
        q-value below 0.05, on average at most about 5% are such false finds
        (the rows share complaints, so this is approximate), so read
        ``q_value`` when scanning many segments. Rows without a complaint are not counted. A
        segment where no complaint has a problem still gets a row, with
        ``problem_id`` -1 and the label ``"(no problem)"``.

        >>> import painpoints as pp
        >>> result = pp.analyze(pp.load_sample(), progress=False)
        >>> by_product = result.by_segment(pp.load_sample_labels(), top=1)
        >>> row = by_product.iloc[1]
        >>> row["segment"], row["problem_label"], f"{row['share']:.2f}", f"{row['share_elsewhere']:.2f}"
        ('Debt collection', 'debt', '0.47', '0.04')
        >>> bool(row["p_value"] < 0.001)
        True
        """
        pd = _pandas("by_segment()")
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ParameterError(f"top must be a positive integer, got {top!r}")
        seg = pd.Series(self._aligned(segments, "segments"), dtype=object)
        # Segments keep their values (1 and "1" are two segments, as in a
        # groupby); a missing value is the segment "(missing)".
        seg = seg.where(seg.notna(), "(missing)")
        try:
            codes, values = pd.factorize(seg)
        except TypeError:  # unhashable values (lists...): segments by their text
            codes, values = pd.factorize(seg.astype(str))
        said = ~self._empty_rows()
        labels = self.labels
        names = {p.id: p.label for p in self.problems}
        total = int(said.sum())
        overall = {p.id: int((said & (labels == p.id)).sum()) for p in self.problems}
        overall[-1] = int((said & (labels < 0)).sum())
        sizes = np.bincount(codes[said], minlength=len(values))
        order = sorted((j for j in range(len(values)) if sizes[j]),
                       key=lambda j: (-int(sizes[j]), type(values[j]).__name__, str(values[j])))
        rows = []
        for j in order:
            inside = said & (codes == j)
            n = int(inside.sum())
            counts = pd.Series(labels[inside & (labels >= 0)]).value_counts()
            ranked = sorted(counts.index, key=lambda i: (-int(counts[i]), int(i)))[:top]
            if not ranked:
                # No complaint of this segment has a problem: one row says so
                # rather than the segment vanishing from the table.
                counts, ranked = pd.Series({-1: n}), [-1]
            for rank, pid in enumerate(ranked, start=1):
                k = int(counts[pid])
                low, high = _wilson(k, n)
                rest_n, rest_k = total - n, overall[int(pid)] - k
                rows.append({
                    "segment": values[j], "complaints": n, "rank": rank, "problem_id": int(pid),
                    "problem_label": names.get(int(pid), _NO_PROBLEM), "count": k, "share": k / n,
                    "share_low": low, "share_high": high,
                    "share_elsewhere": rest_k / rest_n if rest_n else float("nan"),
                    "p_value": _two_proportion_p(k, n, rest_k, rest_n),
                })
        _add_q_values(rows)
        cols = ["segment", "complaints", "rank", "problem_id", "problem_label", "count", "share", "share_low",
                "share_high", "share_elsewhere", "p_value", "q_value"]
        out = pd.DataFrame(rows, columns=cols)
        out.attrs["analysis"] = self._mark()
        return out

    def trend(self, dates: Any, freq: str = "W", *, recent: int = 1, dayfirst: bool = False) -> "pandas.DataFrame":
        """What is growing and what shrank: each problem's share of the
        complaints in the last ``recent`` periods against its share before.

        ``dates``, ``freq`` and ``dayfirst`` are those of :meth:`over_time`. Returns one
        row per problem, the fastest-growing first: ``problem_id``,
        ``problem_label``, ``recent`` (its complaints in the recent periods),
        ``recent_share``, ``earlier_share``, ``change`` (the difference) and
        ``p_value`` (two-proportion test of the two shares; a small value
        says the change is more than chance) with ``q_value``, adjusted for
        every problem tested (Benjamini-Hochberg). The frame's ``attrs["since"]``
        is the first day of the recent periods. Needs dates in more than
        ``recent`` periods.

        >>> import painpoints as pp
        >>> result = pp.analyze(pp.load_sample(), progress=False)
        >>> t = result.trend(pp.load_sample_dates(), "Y")
        >>> str(t.attrs["since"].date()), list(t.columns)
        ('2020-01-01', ['problem_id', 'problem_label', 'recent', 'recent_share', 'earlier_share', 'change', 'p_value', 'q_value'])
        """
        pd = _pandas("trend()")
        if isinstance(recent, bool) or not isinstance(recent, int) or recent < 1:
            raise ParameterError(f"recent must be a positive integer (periods), got {recent!r}")
        table = self.over_time(dates, freq, dayfirst=dayfirst)
        if len(table) <= recent:
            raise ParameterError(
                f"the dates span {len(table)} period(s) of {freq!r}; trend() compares the last {recent} with "
                "earlier ones: use a shorter freq or a smaller recent"
            )
        late, early = table.iloc[-recent:].sum(), table.iloc[:-recent].sum()
        n_late, n_early = int(late.sum()), int(early.sum())
        rows = []
        for p in self.problems:
            k1, k2 = int(late.get(p.label, 0)), int(early.get(p.label, 0))
            s1 = k1 / n_late if n_late else float("nan")
            s2 = k2 / n_early if n_early else float("nan")
            rows.append({"problem_id": p.id, "problem_label": p.label, "recent": k1, "recent_share": s1,
                         "earlier_share": s2, "change": s1 - s2, "p_value": _two_proportion_p(k1, n_late, k2, n_early)})
        _add_q_values(rows)
        cols = ["problem_id", "problem_label", "recent", "recent_share", "earlier_share", "change", "p_value",
                "q_value"]
        out = pd.DataFrame(rows, columns=cols)
        out = out.sort_values(["change", "problem_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
        out.attrs["since"] = table.index[-recent]
        return out

    def impact(self, scores: Any, *, nps: bool = False) -> "pandas.DataFrame":
        """Which problems pull a score down: each problem's complaints
        against all the others on a score given with them (a rating, a
        CSAT answer, an NPS answer from 0 to 10, or True/False such as
        "churned", read as 1/0 so that a mean is a rate).

        ``scores``: one number per complaint, in input order (a column of
        the same DataFrame, a list or an array); numbers written as text
        ("4", or a survey tool's answer label such as "10 - Extremely
        likely") are read as numbers, and "true"/"false" as 1/0. Rows without a score (missing, blank or
        not a number) and rows without a complaint are not counted; a
        warning counts the complaints left out. ``nps=True`` scores each
        answer as the Net Promoter Score does (9 and 10: +100, 7 and 8: 0,
        0 to 6: -100), so a mean is an NPS; the answers must be whole
        numbers from 0 to 10. Dates are refused.

        Returns one row per problem, the one that pulls the overall score
        down most first: ``problem_id``, ``problem_label``, ``rated`` (its
        complaints with a score), ``mean`` (their mean score, or NPS),
        ``mean_elsewhere`` (of every other scored complaint, those without a
        problem included), ``difference`` (``mean - mean_elsewhere``) with
        its 95% interval (``low``, ``high``), ``p_value`` (Welch's t-test of
        the two means; NaN with fewer than two scores on a side) with
        ``q_value``, adjusted for every problem tested (Benjamini-Hochberg),
        and ``impact``: how far the overall mean sits from where it would
        be if the problem's complaints scored like the others (its share of
        the scored complaints times ``difference``; negative pulls down).
        Read a problem with a large negative ``impact`` and a small
        ``q_value`` as one whose complaints really do score lower; for a
        score where lower is better (an effort score), read the signs the
        other way. The frame's ``attrs["overall"]`` is the mean of every
        scored complaint (``attrs["nps"]`` says whether it is an NPS).
        ``to_html(impact=table)`` adds each problem's row to the report.

        >>> import painpoints as pp
        >>> result = pp.analyze(pp.load_sample(), progress=False)
        >>> stars = [1 if label == 2 else 4 for label in result.labels]  # problem 2 rates 1 star
        >>> table = result.impact(stars)
        >>> row = table.iloc[0]
        >>> int(row["problem_id"]), float(row["mean"]), float(row["mean_elsewhere"])
        (2, 1.0, 4.0)
        """
        pd = _pandas("impact()")
        if not isinstance(nps, (bool, np.bool_)):
            raise ParameterError(f"nps must be True or False, got {nps!r}")
        raw = self._aligned(scores, "scores")
        values, given = read_scores(raw, "scores", bool(nps))
        said = ~self._empty_rows()
        scored = said & np.isfinite(values)
        unread = given & ~np.isfinite(values)
        for rows, one, many, show in ((said & unread, "score is not a number", "scores are not numbers", True),
                                      (said & ~given, "complaint has no score", "complaints have no score", False)):
            k = int(rows.sum())
            if k and scored.any():
                shown = f" ({_some_values(raw[rows])})" if show else ""
                warnings.warn(f"{k:,} {one if k == 1 else many}{shown} and {'is' if k == 1 else 'are'} left out of "
                              "impact()", UserWarning, stacklevel=2)
        if nps:
            values = np.where(values >= 9, 100.0, np.where(values <= 6, -100.0, 0.0))
        if not scored.any():
            raise ParameterError("no complaint has a score that is a number; pass one number per complaint")
        labels = self.labels
        total = int(scored.sum())
        rows = []
        for p in self.problems:
            inside = scored & (labels == p.id)
            a, b = values[inside], values[scored & ~inside]
            mean = float(a.mean()) if len(a) else float("nan")
            rest = float(b.mean()) if len(b) else float("nan")
            diff, p_value, low, high = _welch(a, b)
            rows.append({"problem_id": p.id, "problem_label": p.label, "rated": int(len(a)), "mean": mean,
                         "mean_elsewhere": rest, "difference": diff, "low": low, "high": high,
                         "p_value": p_value, "impact": len(a) / total * diff if len(a) and len(b) else 0.0})
        _add_q_values(rows)
        cols = ["problem_id", "problem_label", "rated", "mean", "mean_elsewhere", "difference", "low", "high",
                "p_value", "q_value", "impact"]
        out = pd.DataFrame(rows, columns=cols)
        out["_rank"] = np.arange(len(out))
        out = out.sort_values(["impact", "_rank"], kind="stable").drop(columns="_rank").reset_index(drop=True)
        out.attrs["overall"] = float(values[scored].mean())
        out.attrs["nps"] = bool(nps)
        out.attrs["analysis"] = self._mark()
        return out

    def _mark(self) -> str:
        """A digest of this analysis' problems and labels, to recognise its own tables."""
        digest = hashlib.sha1(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        digest.update("\x00".join(f"{p.id}:{p.label}" for p in self.problems).encode())
        return digest.hexdigest()[:16]

    def _aligned(self, values: Any, name: str) -> np.ndarray:
        """``values`` (one per complaint) as an array in input order; a pandas
        Series is aligned on the complaints' index when they came with one."""
        if (isinstance(values, (str, bytes, Mapping, AbstractSet)) or values is None
                or not hasattr(values, "__iter__") or getattr(values, "ndim", 1) != 1):
            shape = f" of shape {values.shape}" if getattr(values, "ndim", 1) != 1 else ""
            raise ParameterError(f"{name} must be one column with one value per complaint, in their order (a list, "
                                 f"an array or a Series), got {type(values).__name__}{shape}")
        index = self._index
        own = pandas_index(values)
        if index is None and own is not None and not _numbered_in_order(own):
            warnings.warn(f"{name} is a pandas Series with an index of its own, but the complaints came without "
                          "one, so its values are taken in their order, not by index; pass the complaints as a "
                          "column of the same DataFrame to line them up by index", UserWarning, stacklevel=3)
        aligned = index is not None and own is not None
        if not aligned and hasattr(values, "__len__") and len(values) != self.n_rows:
            raise ParameterError(f"{name} must have one value per complaint ({self.n_rows}), got {len(values)}")
        if index is not None and aligned:
            if not values.index.equals(index):
                if not values.index.is_unique or not index.isin(values.index).all():
                    raise ParameterError(
                        f"{name} does not have the complaints' index; pass the column of the same DataFrame "
                        "(or a list in the complaints' order)"
                    )
                values = values.reindex(index)
        if hasattr(values, "to_pylist"):  # pyarrow
            values = values.to_pylist()
        out = np.asarray(values.to_list() if hasattr(values, "to_list") else list(values), dtype=object)
        if out.ndim != 1:
            raise ParameterError(f"{name} must hold one value per complaint, not lists or rows of values")
        if len(out) != self.n_rows:
            raise ParameterError(f"{name} must have one value per complaint ({self.n_rows}), got {len(out)}")
        return out

    def _empty_rows(self) -> np.ndarray:
        """Per row: no complaint and no problem (the rows ``n_empty`` counts)."""
        if self._empty is not None:
            return self._empty
        if self.n_empty:
            raise ParameterError(
                "this analysis does not know which of its rows are blank (its complaints are not at hand); "
                "make it with pp.analyze(texts)"
            )
        return np.zeros(self.n_rows, dtype=bool)

    def _column_names(self, top: Optional[int]) -> List[str]:
        shown = self.problems if top is None else self.problems[:top]
        names = [p.label for p in shown]
        if top is not None and len(self.problems) > top:
            names.append(_OTHER_PROBLEMS)
        return names + [_NO_PROBLEM]

    def _columns(self, top: Optional[int]) -> np.ndarray:
        """Per row, the name of its column in a problem table."""
        check_count("top", top, optional=True)
        shown = self.problems if top is None else self.problems[:top]
        names = {p.id: p.label for p in shown}
        rest = _OTHER_PROBLEMS if top is not None else _NO_PROBLEM
        return np.array([_NO_PROBLEM if i < 0 else names.get(int(i), rest) for i in self.labels], dtype=object)

    def assignments(self) -> "pandas.DataFrame":
        """One row per complaint, in input order: row (0-based position),
        problem_id, problem_label, similarity.

        When the complaints were a pandas Series with a unique index, the
        frame keeps it, so ``df.join(result.assignments())`` lines up with the
        rows they came from even after filtering or sorting ``df``. Otherwise
        the index is the position: join on ``df.reset_index(drop=True)``.
        An index that repeats labels (``pd.concat`` without
        ``ignore_index=True``) is not kept, with a warning, since a join on
        it would pair rows wrongly.
        """
        pd = _pandas("assignments()")
        if self._repeated_index:
            warnings.warn(
                "the complaints' pandas index repeats labels, so assignments() is indexed by position "
                "0..n-1: join it to df.reset_index(drop=True), not to df",
                UserWarning, stacklevel=2,
            )
        names = {p.id: p.label for p in self.problems}
        labels = self.labels
        return pd.DataFrame(
            {
                "row": np.arange(self.n_rows),
                "problem_id": labels,
                "problem_label": [names.get(int(i), None) for i in labels],
                "similarity": self.similarity,
            },
            index=self._index,
        )

    # -- display --------------------------------------------------------
    def _counted(self) -> str:
        """"1,200 complaints", or with blank rows "400 complaints (+1,600 rows without a complaint)"."""
        return complaints_and_blank(self.n_rows - self.n_empty, self.n_empty)

    def _since_previous(self, shown: int = 5) -> Optional[str]:
        """"since the previous model: 8 problems found again; new: ...; gone: ..."."""
        if not self.lineage:
            return None
        labels = {p.id: p.label for p in self.problems}

        def listed(names: List[str]) -> str:
            more = f" and {len(names) - shown} more" if len(names) > shown else ""
            return ", ".join(repr(n) for n in names[:shown]) + more

        found = f"{counted(len(self.lineage['kept']), 'problem')} found again"
        # Kept ids that now hold mostly complaints the previous model put
        # elsewhere: their counts do not compare across months as they are.
        moved = [(labels.get(i, str(i)), share) for i, share in self.lineage.get("found_again", {}).items()
                 if share < 0.5]
        if moved:
            # (Rounded down: 49.6% is not shown as the 50% that would be half.)
            shown_moved = [f"{n!r} {int(share * 100)}%" for n, share in moved[:shown]]
            more = f" and {len(moved) - shown} more" if len(moved) > shown else ""
            found += (f" ({len(moved)} of them hold mostly complaints the previous model put in other problems;"
                      f" share from their own: {', '.join(shown_moved)}{more})")
        parts = [found]
        new = [labels.get(i, str(i)) for i in self.lineage["new"]]
        if new:
            parts.append(f"new: {listed(new)}")
        gone = [str(label) for _, label in self.lineage["vanished"]]
        if gone:
            parts.append(f"gone: {listed(gone)}")
        return "since the previous model: " + "; ".join(parts)

    def summary(self, top: Optional[int] = None, *, redact: bool = False) -> str:
        """A plain-text summary of the top problems."""
        if top is not None:
            check_count("top", top)
        n = self._top if top is None else top
        clean = _redact if redact else (lambda s: s)
        lines = [
            f"painpoints: {self._counted()}, {counted(len(self.problems), 'problem')}, "
            f"top {min(n, len(self.problems))} cover {self.coverage(n):.1%}, no problem {self.no_problem_share:.1%}",
        ]
        if not self.problems and self.n_rows > self.n_empty:
            lines.append(NO_PROBLEMS_HINT)
        since = self._since_previous()
        if since:
            lines.append(since)
        said = self.n_rows - self.n_empty
        few = few_complaints_note(said, len(self.problems))
        if few:
            lines.append(few)
        if self.problems and said == 0:
            lines.append("No complaint to count: every row is blank or says nothing.")
        # (A problem none of these complaints is in has nothing to show.)
        for p in (p for p in self.top(n) if p.size > 0):
            lines.append("")
            copies = f"  {counted(p.copies, 'copy', 'copies')}" if p.copies else ""
            lines.append(f"#{p.rank} {p.label}  {_bar(p.share)}  {p.size} ({p.share:.1%}){copies}  "
                         f"cohesion {p.cohesion:.2f}")
            lines.append("   keywords: " + ", ".join(clipped(k) for k, _ in p.keywords[:8]))
            t = self.theme_of(p.id)
            if len(t.problem_ids) > 1:
                lines.append(f"   theme: {t}")
            words = [k for k, _ in p.keywords[:8]]
            for e in p.examples[:3]:
                # The part of the complaint that holds the problem's keywords.
                lines.append(f"   - [row {e.row}] {redacted_snippet(e.text, words, 160, clean)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        labels = ", ".join(repr(p.label) for p in self.top(self._top))
        return f"<painpoints.Analysis: {self.n_rows} rows, {len(self.problems)} problems; top: {labels}>"

    def to_html(
        self,
        path: Any = None,
        *,
        top: Optional[int] = None,
        redact: bool = True,
        stability: Optional[Iterable[ProblemStability]] = None,
        impact: Optional["pandas.DataFrame"] = None,
        over_time: Optional["pandas.DataFrame"] = None,
        by_segment: Optional["pandas.DataFrame"] = None,
    ) -> str:
        """An HTML report of the top problems; every complaint is escaped.

        ``redact`` (on by default here) hides e-mails, phone numbers, card
        numbers, IBANs and US Social Security numbers in the examples. ``stability``, the result of this
        analysis' :meth:`stability`, adds to each problem how well refits
        find it again and how often it stays in the top; ``impact``, the
        table of this analysis' :meth:`impact`, adds its mean score against
        the others'. ``over_time`` and ``by_segment``, the tables of this
        analysis' :meth:`over_time` and :meth:`by_segment`, add the
        complaints per period (the last 24 periods) and the top problems of
        each segment (the 20 largest). When ``path`` is given the report is
        also written there (UTF-8).

        >>> import painpoints as pp
        >>> texts = ["refund not received", "my refund never arrived", "app crashes at login",
        ...          "the app crashes on start", "parcel delivered late", "late delivery again"] * 10
        >>> result = pp.analyze(texts, min_size=3, progress=False)
        >>> "found again" in result.to_html(stability=result.stability(runs=2))
        True
        """
        from ._display import render_html

        if top is not None:
            check_count("top", top)
        checks = self._own_checks(stability)
        rows = self._own_impact(impact)
        page = render_html(self, top=self._top if top is None else top, redact=redact, full_page=True,
                           stability=checks, impact=rows,
                           score_name="NPS" if impact is not None and impact.attrs.get("nps") else "mean score",
                           over_time=self._own_table(over_time, "over_time", set()),
                           by_segment=self._own_table(by_segment, "by_segment",
                                                      {"segment", "complaints", "rank", "problem_id", "problem_label",
                                                       "share", "share_elsewhere", "p_value", "q_value"}))
        if path is not None:
            from ._files import replaced

            with replaced(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
                f.write(page)
        return page

    def _own_checks(self, stability: Optional[Iterable[ProblemStability]]) -> Optional[Dict[int, ProblemStability]]:
        """``stability`` by problem id, checked to be this analysis' own."""
        if stability is None:
            return None
        # Read once: a generator would be used up by the first check.
        checks = list(stability) if isinstance(stability, Iterable) and not isinstance(stability, (str, bytes)) else None
        if checks is None or not all(isinstance(c, ProblemStability) for c in checks):
            raise ParameterError("stability= takes the list that this analysis' stability() returns, "
                                 f"got {type(stability).__name__}")
        labels = {p.id: p.label for p in self.problems}
        for c in checks:
            if labels.get(c.id) != c.label:
                raise ParameterError(f"stability= has problem {c.id} ({c.label!r}), which this analysis does not: "
                                     "pass the result of this analysis' own stability()")
        return {c.id: c for c in checks}

    def _table_of(self, table: Any, name: str, columns: AbstractSet[str]) -> Any:
        """``table`` checked to be a table of this analysis' ``name`` method:
        a DataFrame with at least ``columns``, not marked as another
        analysis' (a table that lost its mark is checked by its rows)."""
        pd = _pandas(f"to_html({name}=...)")
        if not isinstance(table, pd.DataFrame) or not set(columns) <= set(table.columns):
            raise ParameterError(f"{name}= takes the table that this analysis' {name}() returns, got "
                                 f"{type(table).__name__}")
        mark = self._mark()
        if table.attrs.get("analysis", mark) != mark:
            raise ParameterError(f"{name}= was computed on another analysis: pass the result of this analysis' "
                                 f"own {name}()")
        return table

    def _own_table(self, table: Any, name: str, columns: AbstractSet[str]) -> Any:
        """``table`` (from this analysis' ``name`` method, with at least
        ``columns``) checked to be this analysis' own: its mark, and the
        problems it names, which must be this analysis' problems."""
        if table is None:
            return None
        self._table_of(table, name, columns)
        own = f"pass the result of this analysis' own {name}()"
        known = {p.label for p in self.problems} | {_NO_PROBLEM, _OTHER_PROBLEMS}
        named = set(table["problem_label"]) if "problem_label" in columns else set(table.columns)
        strange = sorted(str(x) for x in named - known)
        if strange:
            raise ParameterError(f"{name}= names problems this analysis does not have ({', '.join(strange[:3])}): "
                                 f"{own}")
        return table

    def _own_impact(self, impact: Any) -> Optional[Dict[int, Dict[str, Any]]]:
        """The rows of ``impact`` by problem id, checked to be this analysis' own."""
        if impact is None:
            return None
        numeric = ("rated", "mean", "mean_elsewhere", "impact", "q_value")
        self._table_of(impact, "impact", {"problem_id", "problem_label", *numeric})
        own = "pass the result of this analysis' own impact()"
        labels = {p.id: p.label for p in self.problems}
        rows = {}
        for row in impact.to_dict("records"):
            pid = row["problem_id"]
            if not is_integer(pid) or labels.get(int(pid)) != row["problem_label"]:
                raise ParameterError(f"impact= has problem {pid!r} ({row['problem_label']!r}), which this analysis "
                                     f"does not: {own}")
            if not all(isinstance(row[c], numbers.Real) and not isinstance(row[c], bool) for c in numeric):
                raise ParameterError(f"impact= has values that are not numbers in the row of problem {pid}: {own}")
            rows[int(pid)] = row
        return rows

    def _repr_html_(self) -> str:
        # Redacted like the report: a notebook's output is saved in the
        # .ipynb file and travels with it. summary() and .examples show all.
        from ._display import render_html

        return render_html(self, top=self._top, redact=True, full_page=False)


def escape(text: str) -> str:
    """HTML-escape untrusted text, quotes included."""
    return html.escape(text, quote=True)
