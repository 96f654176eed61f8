"""The bundled sample: real, public-domain consumer complaints.

``data/cfpb_sample.csv`` holds complaint narratives from the US Consumer
Financial Protection Bureau's Consumer Complaint Database (public-domain
open government data; narratives scrubbed by the CFPB, hence ``XXXX``),
with the product each complaint was filed under.
"""
from __future__ import annotations

import csv
import io
import sys
from importlib import resources
from typing import List

__all__ = ["load_sample", "load_sample_dates", "load_sample_labels"]


def _rows() -> List[dict]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    data = resources.files("painpoints").joinpath("data/cfpb_sample.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(data)))


def load_sample() -> List[str]:
    """The sample complaints (a list of str)."""
    return [r["text"] for r in _rows()]


def load_sample_dates() -> List[str]:
    """The date each sample complaint was received ("2019/9/24"), aligned with :func:`load_sample`."""
    return [r["date"] for r in _rows()]


def load_sample_labels() -> List[str]:
    """The product each sample complaint was filed under, aligned with :func:`load_sample`."""
    return [r["product"] for r in _rows()]
