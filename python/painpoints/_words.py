"""Counts in words, for the messages and summaries people read."""
from __future__ import annotations

from typing import Optional


def counted(n: int, noun: str, plural: Optional[str] = None) -> str:
    """``"1 complaint"``, ``"1,200 complaints"``; ``plural`` when adding an
    "s" is wrong (``counted(2, "copy", "copies")``)."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def complaints_and_blank(said: int, empty: int) -> str:
    """``"1,200 complaints"``, or with rows that say nothing ``"400
    complaints (+1,600 rows without a complaint)"``."""
    blank = f" (+{counted(empty, 'row')} without a complaint)" if empty else ""
    return f"{counted(said, 'complaint')}{blank}"


def of_them_copies(n: int) -> str:
    """How many of a problem's complaints copy another: ``"1 of them a
    copy"``, ``"12 of them copies"``."""
    return f"{n:,} of them {'a copy' if n == 1 else 'copies'}"


def clipped(word: str, limit: int = 40) -> str:
    """``word`` as shown in a line of keywords: at most ``limit`` characters,
    "…" for the rest (a 5,000-character blob is a "word" too)."""
    return word if len(word) <= limit else word[: limit - 1] + "…"
