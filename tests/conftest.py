"""Shared fixtures: a small synthetic complaint set with three clear problems,
and the labelled real data sets in ../shared/data (when present)."""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

_TOPICS = {
    "delivery": [
        "my delivery is late again, parcel delivery {n} days late",
        "late delivery of my parcel, {n} days overdue",
        "parcel delivery was late by {n} days",
        "the courier made the delivery {n} days late",
        "delivery late, the parcel came after {n} days",
    ],
    "refund": [
        "my refund was not received after {n} weeks",
        "refund not received for my return, {n} weeks now",
        "returned the item {n} weeks ago, refund not received",
        "still waiting, my refund has not been received",
        "refund for my return not received in {n} weeks",
    ],
    "app": [
        "the app crashes at login, version {n}",
        "app keeps crashing at login",
        "mobile app crash on login screen, tried {n} times",
        "login crashes the app every time",
        "the app crashed {n} times at login today",
    ],
}


def synthetic(n_per_topic: int = 40) -> Tuple[List[str], List[str]]:
    texts, truth = [], []
    for i in range(n_per_topic):
        for topic, templates in _TOPICS.items():
            texts.append(templates[i % len(templates)].format(n=2 + (i * 7) % 11))
            truth.append(topic)
    return texts, truth


@pytest.fixture(scope="session")
def complaints() -> Tuple[List[str], List[str]]:
    return synthetic()


def load_labelled(name: str) -> Tuple[List[str], List[str]]:
    csv.field_size_limit(sys.maxsize)
    with open(DATA / f"{name}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if name == "tweet_complaints":
        rows = [r for r in rows if r["is_complaint"] == "1"]
    return [r["text"] for r in rows], [r["label"] for r in rows]
