"""Short extracts of long complaints for display: the part that says the problem.

A complaint narrative often opens with dates and background ("On XX/XX/XXXX
I moved from ...") and reaches the problem later. Showing its first 160
characters can hide exactly what puts it in the problem. :func:`snippet`
instead shows the stretch of text that holds the most of the problem's
keywords, with "…" where text was left out; a text short enough is shown
whole, and one that names no keyword shows its beginning.

Keywords are matched word by word, ignoring case and small differences in
endings ("deliveries" finds "delivery", "charged" finds "charge"), as the
problem's keywords are shown in one written form of a stemmed term.
Extracts show a complaint as a reader sees it: HTML entities decoded
("&nbsp;", "&#146;" in ticket exports), as the grouping reads them, and
whitespace collapsed. Redaction stays the caller's: :func:`snippet` only cuts, and
:func:`redacted_snippet` cuts, redacts and cuts again so that a number cut
at the edge of the first cut is never shown half-redacted.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, List, Sequence, Tuple

from . import _painpoints

__all__ = ["snippet", "redacted_snippet"]

_WORD = re.compile(r"\w+", re.UNICODE)
# Negation is part of some keywords ("not received"); complaints write it
# many ways ("didn't", "never"), so it is not required to match.
_SKIP = {"not"}
# Extra characters cut around the first extract, so that redaction sees
# whole numbers and e-mail addresses near its edges.
_MARGIN = 100
# Only this many characters are searched for keywords (a display needs no
# more, and a pasted log of a megabyte stays fast).
_SEARCH = 20_000


def _same_word(a: str, b: str) -> bool:
    """Whether two lower-cased words are one word up to a short ending."""
    if a == b:
        return True
    short = min(len(a), len(b))
    if short < 4:
        return False
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= 4 and n >= short - 2 and max(len(a), len(b)) - n <= 3


def _keyword_words(keywords: Sequence[str]) -> List[Tuple[str, float]]:
    """Distinct keyword words with a weight: earlier keywords count more."""
    out: List[Tuple[str, float]] = []
    seen = set()
    for rank, kw in enumerate(keywords):
        for w in _WORD.findall(kw.lower().lstrip("@#")):
            if w in _SKIP or w in seen:
                continue
            seen.add(w)
            out.append((w, 1.0 / (1.0 + 0.25 * rank)))
    return out


def _hits(text: str, keywords: Sequence[str]) -> List[Tuple[int, int, int, float]]:
    """(start, end, word index, weight) of every keyword word in ``text``."""
    words = _keyword_words(keywords)
    if not words:
        return []
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0).lower()
        for j, (k, weight) in enumerate(words):
            if _same_word(w, k):
                out.append((m.start(), m.end(), j, weight))
                break
    return out


def _window(text: str, keywords: Sequence[str], limit: int, lo: int, hi: int) -> Tuple[int, int]:
    """Start and end of the ``limit``-character stretch of ``text[lo:hi]``
    holding the most keyword weight (each keyword word counted once)."""
    hits = [h for h in _hits(text[:hi], keywords) if lo <= h[0]]
    best = (0.0, lo)
    # The beginning first, so that it wins ties; then a stretch opening a
    # little before each keyword, so that the keyword reads in context.
    # Both ends of the stretch only move forward: one sweep over the hits,
    # each keyword word counted once however often it occurs.
    starts = [lo] + [max(lo, h[0] - limit // 5) for h in hits]
    count: Dict[int, int] = {}
    score = 0.0
    left = right = 0
    for a in starts:
        while left < len(hits) and hits[left][0] < a:
            if left < right:
                j = hits[left][2]
                count[j] -= 1
                if count[j] == 0:
                    score -= hits[left][3]
            left += 1
        right = max(right, left)
        while right < len(hits) and hits[right][1] <= a + limit:
            j = hits[right][2]
            count[j] = count.get(j, 0) + 1
            if count[j] == 1:
                score += hits[right][3]
            right += 1
        if score > best[0] + 1e-9:
            best = (score, a)
    a = best[1]
    if a > 0:
        # Start at a sentence, or else a word, boundary when one is near.
        sentence = max(text.rfind(". ", lo, a + 1), text.rfind("! ", lo, a + 1), text.rfind("? ", lo, a + 1))
        if sentence >= 0 and a - sentence <= limit // 4:
            a = sentence + 2
        elif not text[a - 1].isspace():
            space = text.find(" ", a, a + 20)
            if space >= 0:
                a = space + 1
    b = min(hi, a + limit)
    if b < len(text) and not text[b].isspace():
        # End at a word boundary too.
        space = text.rfind(" ", a + limit // 2, b)
        if space >= 0:
            b = space
    return a, b


# Control characters (a terminal obeys ESC sequences: clear the screen, set
# the window title) and invisible direction overrides (they reverse what
# follows them), shown as a visible mark instead.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def _readable(text: str) -> str:
    """``text`` as a reader sees it (entities decoded), whitespace
    collapsed, control characters and direction overrides shown as "�"."""
    if "&" in text or not text.isascii():
        text = _painpoints.as_shown(text)
    return _CONTROLS.sub("\ufffd", " ".join(text.split()))


def snippet(text: str, keywords: Sequence[str] = (), limit: int = 160) -> str:
    """At most ``limit`` characters of ``text`` (entities decoded,
    whitespace collapsed), taken where the most ``keywords`` are; "…"
    marks text left out.

    >>> snippet("On 01/02 I moved house. Then my card was declined twice at the store.",
    ...         ["declined", "card"], limit=40)
    '…Then my card was declined twice at the…'
    >>> snippet("short complaint", ["card"])
    'short complaint'
    >>> snippet("Card declined&nbsp;&nbsp;twice, the store&#146;s till")
    'Card declined twice, the store’s till'
    """
    text = _readable(text)
    if len(text) <= limit:
        return text
    limit = max(limit, 2)
    a, b = _window(text, keywords, limit - 2, 0, min(len(text), _SEARCH))
    return ("…" if a > 0 else "") + text[a:b].strip() + ("…" if b < len(text) else "")


def redacted_snippet(text: str, keywords: Sequence[str], limit: int, redact: Callable[[str], str]) -> str:
    """:func:`snippet` of the redacted text, redacting only a stretch around
    the extract (redaction is slow on a huge complaint)."""
    text = _readable(text)
    if len(text) <= limit + 2 * _MARGIN:
        return snippet(redact(text), keywords, limit)
    a, b = _window(text, keywords, limit, 0, min(len(text), _SEARCH))
    lo, hi = max(0, a - _MARGIN), min(len(text), b + _MARGIN)
    part = redact(text[lo:hi])
    # The stretch's own edges may cut a number or an address, which
    # redaction then misses: keep the extract clear of them, by half the
    # margin (numbers written with spaces are shorter) and past the word
    # each edge cuts (an address has no spaces, however long).
    inner_lo, inner_hi = 0, len(part)
    if lo > 0:
        space = part.find(" ")
        inner_lo = max(_MARGIN // 2, space + 1) if space >= 0 else len(part)
    if hi < len(text):
        space = part.rfind(" ", inner_lo, len(part))
        inner_hi = min(len(part) - _MARGIN // 2, space) if space >= 0 else inner_lo
    if inner_hi - inner_lo < limit // 2:
        # Edges too close to leave a readable extract (one enormous word):
        # redact the whole text instead.
        return snippet(redact(text), keywords, limit)
    limit = max(limit, 2)
    a, b = _window(part, keywords, limit - 2, inner_lo, max(inner_lo, inner_hi))
    head = "…" if lo + a > 0 else ""
    tail = "…" if not (hi == len(text) and b >= len(part)) else ""
    return head + part[a:b].strip() + tail
