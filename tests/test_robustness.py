"""Robustness: arbitrary input, bad input, markup, personal data, damaged model files.

Each bad-input row of docs/robustness.md is one test here; the document
records what each returns.
"""
from __future__ import annotations

import json
import math
import os
import random
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import painpoints as pp

from conftest import load_labelled, synthetic
from painpoints._language import english_share, not_english_warning

QUIET = dict(progress=False)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


@pytest.fixture(scope="module")
def model() -> pp.ProblemModel:
    texts, _ = synthetic()
    return pp.ProblemModel(seed=0, progress=False).fit(texts)


# ---------------------------------------------------------------------------
# 2. Property tests: one answer per row, in order, deterministic.
# ---------------------------------------------------------------------------

# Any code point, lone surrogates included (st.text() leaves those out).
_any_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()),
                    max_size=40)
# Complaint-like phrases so that fits also find problems, not only -1.
_phrases = st.sampled_from([
    "refund not received", "my refund was not received", "app crashes at login", "login crashes the app",
    "card stolen", "XXXX XX/XX/XXXX", "退款没有收到", "😡", "<script>x</script>", "   ",
])
_row = st.one_of(_any_text, _phrases, st.none(), st.just(float("nan")))
_rows = st.lists(_row, max_size=30)
_PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPS
@pytest.mark.filterwarnings("ignore:.*not in English:UserWarning")  # (random text is rarely English)
@given(_rows)
def test_analyze_one_label_per_row_in_order_deterministic(rows: List[Any]) -> None:
    result = pp.analyze(rows, **QUIET)
    assert result.labels.shape == (len(rows),)
    assert result.similarity.shape == (len(rows),)
    ids = {p.id for p in result.problems}
    for i, (row, label) in enumerate(zip(rows, result.labels)):
        assert label == -1 or int(label) in ids, (i, label, ids)
        if _is_blank(row):
            assert label == -1, (i, row)
    again = pp.analyze(rows, **QUIET)
    assert np.array_equal(again.labels, result.labels)
    assert [p.label for p in again.problems] == [p.label for p in result.problems]
    # predict on the training rows gives the fit's labels, row by row too.
    assert np.array_equal(result.model.predict(rows), result.labels)


@_PROPS
@given(_rows)
def test_predict_one_label_per_row_in_order_deterministic(model: pp.ProblemModel, rows: List[Any]) -> None:
    labels = model.predict(rows)
    assert labels.shape == (len(rows),)
    ids = {p.id for p in model.problems_}
    for i, (row, label) in enumerate(zip(rows, labels)):
        assert label == -1 or int(label) in ids
        if _is_blank(row):
            assert label == -1, (i, row)
    assert np.array_equal(model.predict(rows), labels)
    # A row's answer does not depend on its batch: reversed batch, reversed answers.
    assert np.array_equal(model.predict(rows[::-1])[::-1], labels)


# ---------------------------------------------------------------------------
# 3. Bad-input matrix (docs/robustness.md), one test per row.
# ---------------------------------------------------------------------------

def test_matrix_empty_input(model: pp.ProblemModel) -> None:
    result = pp.analyze([], **QUIET)
    assert result.labels.shape == (0,) and result.problems == []
    assert result.coverage(3) == 0.0 and result.no_problem_share == 0.0
    assert "0 complaints" in result.to_html()
    assert model.predict([]).shape == (0,)


def test_matrix_one_complaint() -> None:
    result = pp.analyze(["my refund was not received"], **QUIET)
    assert list(result.labels) == [-1]  # one complaint is no recurring problem
    assert result.problems == []


def test_matrix_all_identical() -> None:
    result = pp.analyze(["my refund was not received"] * 20, **QUIET)
    assert len(result.problems) == 1
    assert list(result.labels) == [0] * 20
    assert result.problems[0].label == "refund not received"
    assert len(result.problems[0].examples) == 1  # near-copies are shown once


def test_matrix_all_empty() -> None:
    rows = ["", None, "   ", "\n\t", float("nan")]
    result = pp.analyze(rows, **QUIET)
    assert list(result.labels) == [-1] * 5
    assert result.problems == []


@pytest.mark.parametrize(
    "bad, row, type_name",
    [
        (["refund not received", 42], 1, "int"),
        ([b"refund not received"], 0, "bytes"),
        (["a", "b", {"text": "refund"}], 2, "dict"),
        (["a", 1.5], 1, "float"),
        (["a", True], 1, "bool"),
        (["a", "b", "c", ["refund"]], 3, "list"),
    ],
)
def test_matrix_non_text_values_name_the_row(model: pp.ProblemModel, bad: List[Any], row: int, type_name: str) -> None:
    for call in (lambda: pp.analyze(bad, **QUIET), lambda: model.predict(bad)):
        with pytest.raises(pp.InputError, match=rf"row {row} of texts is {type_name}\b") as info:
            call()
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", ["refund not received", b"refund", None, 42, {"a": "refund"}])
def test_matrix_not_a_column_is_a_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="list or column of complaints"):
        pp.analyze(bad, **QUIET)


def test_matrix_dataframe_is_a_type_error() -> None:
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    with pytest.raises(TypeError, match="DataFrame; pass one column"):
        pp.analyze(pd.DataFrame({"comment": ["a"]}), **QUIET)
    with pytest.raises(TypeError, match="DataFrame; pass one column"):
        pp.analyze(pl.DataFrame({"comment": ["a"]}), **QUIET)
    with pytest.raises(TypeError, match="Table; pass one column"):
        pp.analyze(pa.table({"comment": ["a"]}), **QUIET)


def test_arrow_columns_are_read_as_text() -> None:
    import pyarrow as pa
    rows = synthetic()[0][:200] + [None]
    expected = pp.analyze(rows, min_size=5, **QUIET).labels
    for column in (pa.array(rows), pa.chunked_array([rows[:50], rows[50:]]), pa.table({"c": rows})["c"]):
        np.testing.assert_array_equal(pp.analyze(column, min_size=5, **QUIET).labels, expected)


def test_matrix_pandas_na(model: pp.ProblemModel) -> None:
    import pandas as pd
    values = ["refund not received", pd.NA, None, float("nan"), "app crashes at login", pd.NaT]
    for series in (pd.Series(values * 4, dtype=object),
                   pd.Series([v if isinstance(v, str) else pd.NA for v in values] * 4, dtype="string")):
        result = pp.analyze(series, min_size=3, **QUIET)
        labels = list(result.labels)
        assert len(labels) == 24
        for i in range(24):
            if i % 6 in (1, 2, 3, 5):
                assert labels[i] == -1, i
            else:
                assert labels[i] >= 0, i
        assert list(model.predict(series)) == [-1 if i % 6 in (1, 2, 3, 5) else lab
                                               for i, lab in enumerate(model.predict(series))]
        assert model.predict(series)[1] == -1


def test_matrix_ten_megabyte_complaint(model: pp.ProblemModel) -> None:
    big = ("my refund was not received and the bank ignored me " * 200_000)[:10_000_000]
    rows = [big, "refund not received", "my refund has not been received", "app crashes at login", None]
    result = pp.analyze(rows, min_size=2, **QUIET)
    assert result.labels.shape == (5,)
    assert result.labels[0] == result.labels[1] == result.labels[2] >= 0
    assert result.labels[4] == -1
    page = result.to_html()
    assert len(page) < 20_000  # examples are shortened in reports
    assert len(result._repr_html_()) < 20_000


def test_matrix_lone_surrogates_and_nul(model: pp.ProblemModel, tmp_path: Path) -> None:
    rows = ["my refund \ud800 was not received", "refund\x00not received", "\udfff", "\x00",
            "my refund was not received \udbff\udc00"] * 4
    result = pp.analyze(rows, min_size=3, **QUIET)
    labels = list(result.labels)
    assert len(labels) == 20
    assert labels[2] == -1 and labels[3] == -1
    assert labels[0] == labels[4] >= 0
    for p in result.problems:
        for e in p.examples:
            e.text.encode("utf-8")  # surrogates replaced, so reports and model files can be written
    result.to_html(tmp_path / "report.html")
    result.model.save(tmp_path / "model.json")
    assert list(pp.ProblemModel.load(tmp_path / "model.json").predict(rows)) == labels
    assert model.predict(rows).shape == (20,)


def test_matrix_rtl_cjk_emoji() -> None:
    rows = (["لم أستلم المبلغ المسترد", "لم أستلم المبلغ المسترد بعد"] * 5
            + ["לא קיבלתי החזר כספי", "עדיין לא קיבלתי החזר כספי"] * 5
            + ["退款没有收到", "我的退款还没有收到"] * 5
            + ["😡😡😡", "🙂👍"] * 5)
    with pytest.warns(UserWarning, match="not in English"):
        result = pp.analyze(rows, **QUIET)
    labels = list(result.labels)
    arabic, hebrew, cjk, emoji = labels[0:10], labels[10:20], labels[20:30], labels[30:40]
    for group in (arabic, hebrew, cjk):
        assert len(set(group)) == 1 and group[0] >= 0, labels
    assert len({arabic[0], hebrew[0], cjk[0]}) == 3
    assert emoji == [-1] * 10  # emoji alone carry no words
    names = {p.id: p.label for p in result.problems}
    assert any("\u0600" <= ch <= "\u06ff" for ch in names[arabic[0]])
    assert any("\u0590" <= ch <= "\u05ff" for ch in names[hebrew[0]])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in names[cjk[0]])


def test_matrix_mixed_languages() -> None:
    rows = (["refund not received", "my refund was not received"] * 5
            + ["Rückerstattung nicht erhalten", "meine Rückerstattung nicht erhalten"] * 5
            + ["refund 没有收到 😡 لم أستلم", "XXXX refund לא קיבלתי"] * 2)
    with pytest.warns(UserWarning, match="not in English"):
        result = pp.analyze(rows, **QUIET)
    labels = list(result.labels)
    assert len(labels) == 24
    assert len(set(labels[0:10])) == 1 and labels[0] >= 0
    assert len(set(labels[10:20])) == 1 and labels[10] >= 0
    assert labels[0] != labels[10]


_SPANISH = ["No he recibido mi reembolso todavía", "El paquete llegó roto y nadie responde",
            "La aplicación se cierra cuando intento pagar", "Me cobraron dos veces por el mismo pedido"] * 10
_GERMAN = ["Ich habe meine Rückerstattung nicht erhalten", "Das Paket kam beschädigt an",
           "Die App stürzt ab, wenn ich bezahlen will", "Mir wurde die Bestellung doppelt berechnet"] * 10
_FRENCH = ["Je n'ai pas reçu mon remboursement", "Le colis est arrivé cassé et personne ne répond",
           "L'application plante quand je veux payer", "On m'a facturé deux fois la même commande"] * 10
_CHINESE = ["我还没有收到退款，客服也不回复", "包裹到的时候已经坏了", "我想付款的时候应用程序崩溃了", "同一个订单被扣了两次钱"] * 10


@pytest.mark.parametrize("rows", [_SPANISH, _GERMAN, _FRENCH, _CHINESE, _SPANISH + _SPANISH + ["my refund was not received"] * 40])
def test_complaints_mostly_not_in_english_are_warned_about_at_the_callers_line(rows: List[str]) -> None:
    # Stop words, stemming, negation and word vectors are English: an
    # analyst fitting another language is told, at the line that fitted.
    for fit in (lambda: pp.analyze(rows, **QUIET), lambda: pp.ProblemModel(progress=False).fit(rows)):
        with pytest.warns(UserWarning, match="not in English") as caught:
            fit()
        assert [w.filename for w in caught if "English" in str(w.message)] == [__file__]


def test_english_complaints_are_not_warned_about() -> None:
    # Every labelled set is English, short queries, tweets and narratives
    # alike; titles that use no common word at all say nothing either way.
    for name in ("banking77", "cfpb_products", "tweet_complaints"):
        texts, _ = load_labelled(name)
        assert english_share(texts) >= 0.99, name
        assert not_english_warning(texts) is None
    titles = ["Spring MVC Hibernate integration", "Oracle stored procedure timeout", "Haskell type class error"] * 20
    assert english_share(titles) is None
    pp.analyze(pp.load_sample(), **QUIET)  # (warnings are errors in this suite)


def test_matrix_html_entities() -> None:
    # Ticket systems export "&nbsp;" between sentences: it is a space, not
    # a word that 230 complaints share (it was the first problem).
    clean = pp.load_sample()
    spaced = [t.replace(". ", ".&nbsp; ") if i % 4 == 0 else t for i, t in enumerate(clean)]
    assert sum(t != c for t, c in zip(spaced, clean)) > 50
    a = pp.analyze(clean, **QUIET)
    b = pp.analyze(spaced, **QUIET)
    assert list(b.labels) == list(a.labels)
    assert [p.label for p in b.problems] == [p.label for p in a.problems]
    assert not any("nbsp" in k for p in b.problems for k, _ in p.keywords)
    # Extracts show the text as a reader sees it; the example keeps the row's text.
    assert any("&nbsp;" in e.text for p in b.problems for e in p.examples)
    assert "nbsp" not in b.summary() and "nbsp" not in b.to_html() and "nbsp" not in b._repr_html_()
    # A row of no-break spaces alone says nothing, like a blank one.
    assert list(pp.says_nothing(["&nbsp;", "&#160;&#xA0;", "refund&nbsp;late"])) == [True, True, False]


@pytest.mark.parametrize(
    "rows",
    [
        ["12345", "42", "3.14", "1,000,000", "007"],
        ["https://example.com/x", "www.bank.com", "http://a.b/c?d=e"],
        ["XXXX XX/XX/XXXX", "XXXX", "{$190.00}", "XX/XX/XXXX XXXX XXXX", "@user", "@USER {URL}"],
        ["03/15/2024", "$1,250.00", "555-123-4567", "jo@example.com", "#48213"],
    ],
    ids=["numbers", "urls", "masks", "dates-amounts-phones-emails"],
)
def test_matrix_only_numbers_urls_masks(model: pp.ProblemModel, rows: List[str]) -> None:
    result = pp.analyze(rows * 5, **QUIET)
    assert list(result.labels) == [-1] * len(rows) * 5  # masks are never a topic
    assert result.problems == []
    assert list(model.predict(rows)) == [-1] * len(rows)


def test_anonymised_accounts_and_links_are_not_a_topic() -> None:
    # Public exports of posts put "@user" for every account and "{URL}" for
    # every link. Shared by posts about anything, they must not gather the
    # posts that carry them into one problem, nor name one.
    parcel = ["my parcel never arrived", "parcel still not delivered", "where is my parcel",
              "parcel lost in delivery", "courier never delivered the parcel"]
    refund = ["refund not received yet", "still waiting for my refund", "refund was never paid",
              "no refund after return", "they refused my refund"]
    rows = [f"@user {t} {{URL}}" if i % 2 else t for i, t in enumerate(parcel * 8)]
    rows += [f"@user {t}" if i % 2 == 0 else t for i, t in enumerate(refund * 8)]
    result = pp.analyze(rows, **QUIET)
    shown = [p.label for p in result.problems] + [k[0] for p in result.problems for k in p.keywords]
    assert not [s for s in shown if "user" in s or "url" in s]
    topic = np.array([0] * 40 + [1] * 40)
    labels = np.asarray(result.labels)
    assert len(result.problems) >= 2
    for p in result.problems:
        assert len(set(topic[labels == p.id])) == 1  # a problem holds one topic, "@user" or not


# ---------------------------------------------------------------------------
# 4. Markup is inert in the notebook view and the HTML report.
# ---------------------------------------------------------------------------

_ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "style", "div", "span", "h3", "b"}

_MARKUP = [
    "<script>alert(1)</script> my refund was not received",
    '<img src=x onerror="alert(1)"> my refund was not received',
    '<a href="javascript:alert(1)">click</a> my refund was not received',
    '"><svg onload=alert(1)> my refund was not received',
    "<div <b>unclosed <scr<script>ipt>alert(1)</scr</script>ipt> my refund was not received",
    "&lt;script&gt;alert(1)&lt;/script&gt; my refund was not received",
    "</style><script>alert(1)</script> my refund was not received",
    "<!-- --><iframe src=javascript:alert(1)> my refund was not received",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[Tuple[str, List[Tuple[str, Optional[str]]]]] = []
        self.text: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _assert_inert(page: str, shown: List[str]) -> None:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in _ALLOWED_TAGS, f"unexpected tag <{tag}> in {page!r}"
        for name, value in attrs:
            assert not name.lower().startswith("on"), f"event handler {name}= in <{tag}>"
            assert "javascript:" not in (value or "").lower(), f"javascript: in <{tag} {name}>"
    assert sum(1 for tag, _ in parser.tags if tag == "style") == 1  # only ours
    text = "".join(parser.text)
    for s in shown:
        assert s in text, f"{s!r} not shown as text"


def test_markup_in_complaints_is_escaped(tmp_path: Path) -> None:
    rows = _MARKUP * 3 + ["the app crashes at login"] * 6
    result = pp.analyze(rows, top=10, min_size=3, **QUIET)
    assert result.problems
    shown = [" ".join(e.text.split()) for p in result.problems for e in p.examples[:3]]
    assert any("<script>" in s for s in shown)
    _assert_inert(result._repr_html_(), shown)
    path = tmp_path / "report.html"
    page = result.to_html(path, top=10)
    assert path.read_text(encoding="utf-8") == page
    _assert_inert(page, shown)
    _assert_inert(result.to_html(top=10, redact=False), shown)


def test_report_tables_of_periods_and_segments_are_inert_and_the_analysis_own() -> None:
    rows = _MARKUP * 3 + ["the app crashes at login"] * 6
    result = pp.analyze(rows, top=10, min_size=3, **QUIET)
    dates = [f"2024-0{1 + i % 3}-10" for i in range(len(rows))]
    segments = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'] * (len(rows) // 2)
    trend = result.over_time(dates, "M")
    seg = result.by_segment(segments, top=2)
    page = result.to_html(over_time=trend, by_segment=seg)
    shown = [" ".join(e.text.split()) for p in result.problems for e in p.examples[:3]]
    allowed = _ALLOWED_TAGS | {"table", "tr", "th", "td"}
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert {tag for tag, _ in parser.tags} <= allowed
    assert all(not name.lower().startswith("on") for _, attrs in parser.tags for name, _ in attrs)
    text = "".join(parser.text)
    assert "<script>alert(1)</script> (" in text and all(s in text for s in shown)
    assert int(trend.to_numpy().sum()) == len(rows)
    # Tables of another analysis, or not tables at all, are refused.
    other = pp.analyze(rows + ["the app crashes at login"] * 3, top=10, min_size=3, **QUIET)
    with pytest.raises(pp.ParameterError, match="another analysis"):
        other.to_html(over_time=trend)
    with pytest.raises(pp.ParameterError, match="another analysis"):
        other.to_html(by_segment=seg)
    with pytest.raises(pp.ParameterError, match="takes the table"):
        result.to_html(by_segment=trend)
    renamed = trend.rename(columns={trend.columns[0]: "a problem of another analysis"})
    renamed.attrs = {}
    with pytest.raises(pp.ParameterError, match="does not have"):
        result.to_html(over_time=renamed)


def test_markup_cannot_reach_labels_or_keywords() -> None:
    rows = ["<b>bold</b> <i onclick=x>refund</i> not received", "&lt;b&gt;refund&lt;/b&gt; not received",
            "<script>script alert</script> refund not received"] * 5
    result = pp.analyze(rows, min_size=3, **QUIET)
    assert result.problems
    for p in result.problems:
        assert not any(ch in p.label for ch in "<>\"'&=")
        for k, _ in p.keywords:
            assert not any(ch in k for ch in "<>\"'&=")


def test_markup_in_a_label_is_escaped() -> None:
    # Labels come from words, so markup cannot get into one through a fit;
    # a hand-made (or edited) problem with markup must still render inert.
    evil = '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">x</a>'
    ex = pp.Example(row=0, text="<script>alert(3)</script>", similarity=1.0)
    problem = pp.Problem(id=0, label=evil, keywords=((evil, 1.0),), size=1, share=1.0, cohesion=1.0,
                         examples=(ex,), rank=1)
    result = pp.Analysis([problem], np.array([0]), np.array([1.0], dtype=np.float32), None)  # type: ignore[arg-type]
    for page in (result._repr_html_(), result.to_html()):
        _assert_inert(page, [evil, "<script>alert(3)</script>"])
    # The same for a theme's label, shown beside each of its problems.
    other = pp.Problem(id=1, label="other", keywords=(("other", 1.0),), size=1, share=0.5, cohesion=1.0, rank=2)
    theme = pp.Theme(id=0, label=evil, problem_ids=(0, 1), keywords=(evil,), size=2, share=1.0)
    result = pp.Analysis([problem, other], np.array([0, 1]), np.array([1.0, 1.0], dtype=np.float32),
                         None, themes=[theme])  # type: ignore[arg-type]
    for page in (result._repr_html_(), result.to_html()):
        assert "theme: " in page
        _assert_inert(page, [evil, "<script>alert(3)</script>"])


# ---------------------------------------------------------------------------
# 5. Personal data.
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("Please email me at john.doe+bank@example.co.uk about it", "Please email me at [email] about it"),
        ("Call me at (555) 123-4567 or 555.123.4567", "Call me at [phone] or [phone]"),
        ("my UK mobile is +44 7911 123456.", "my UK mobile is [phone]."),
        ("call +447911123456 now", "call [phone] now"),
        ("they charged my card 4111 1111 1111 1111 twice", "they charged my card [card] twice"),
        ("card 5555-5555-5555-4444 and amex 378282246310005", "card [card] and amex [card]"),
        ("wire to IBAN GB82 WEST 1234 5698 7654 32 failed", "wire to IBAN [iban] failed"),
        ("IBAN DE89370400440532013000 was refused", "IBAN [iban] was refused"),
        ("my SSN 123-45-6789 is on a report that is not mine", "my SSN [ssn] is on a report that is not mine"),
        ("social security number: 078 05 1120.", "social security number: [ssn]."),
        # Numbers of other countries, toll-free ones, and digits said to be a phone.
        ("call +33 1 23 45 67 89 or +91 98765 43210", "call [phone] or [phone]"),
        ("their Sydney office +61 2 9876 5432 hung up", "their Sydney office [phone] hung up"),
        ("I called 1-800-555-0199 six times", "I called [phone] six times"),
        ("phone: 4155550100, tel 020 12 3456 7890", "phone: [phone], tel [phone]"),
        ("call +1 212 55 1234, ref 1234 123 45 6789 end", "call [phone], ref 1234 123 45 6789 end"),
    ],
)
def test_redact_personal_data(text: str, expected: str) -> None:
    assert pp.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I paid $1,250.00 and then $12,345.67 on 03/15/2024",
        "on 2024-03-15 at 10:30 and again at 14:45:00 on 3/15/24",
        "order number 1234567890123456 never shipped",  # 16 digits, fails Luhn
        "between 12/01/2023 and 01/15/2024 I paid 1,250,000.00 dollars",
        "zip 94105-1234, case 20240315-001234, version 2.3.4567",
        "the loan of 250000 at 3.5% for 30 years, account ending 4444",
        "no SSN starts 000-12-3456, 666-12-3456 or 912-34-5678, nor has 123-00-4567 or 123-45-0000",
        "reference 1123-45-6789 and 123-45-67890 are longer",
        "ref 1234 123 45 6789 end, score +1 today, up +5 points, 1 2 3 4 5 6",
        # Dates, amounts and references after a word for a phone are no phone.
        "I bought the phone 2024-03-15, got my phone 15.03.2024, Mobile 2023 2024 contract",
        "mobile: 12.99 15.99 charged; phone 1234 5678 9012 3456 is the order",
    ],
)
def test_redact_leaves_amounts_dates_and_non_luhn_numbers(text: str) -> None:
    assert pp.redact(text) == text


def test_redact_is_quick_on_a_long_run_of_digits() -> None:
    import time

    start = time.perf_counter()
    assert pp.redact("+" + "1" * 5000) == "+" + "1" * 5000
    assert time.perf_counter() - start < 1.0  # (grouping tried every split: 2 s per 1,000 digits)


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234 5678 9012 3456 still not shipped",  # grouped 16 digits, fails Luhn
        "Transaction ID 4000 1234 5678 9010 was reversed",
    ],
)
def test_redact_grouped_reference_number_is_not_a_phone(text: str) -> None:
    # Regression: the phone pattern matched three of the four groups
    # ("Order [phone] 3456"); fixed in _redact.py.
    assert pp.redact(text) == text


def test_reports_redact_by_default_text_does_not() -> None:
    rows = ["my refund was not received, mail me at jo.smith@example.com",
            "refund not received, call me at (555) 123-4567",
            "refund not received on card 4111 1111 1111 1111"] * 4
    result = pp.analyze(rows, min_size=3, **QUIET)
    assert result.problems
    secrets = ["jo.smith@example.com", "(555) 123-4567", "4111 1111 1111 1111"]
    report = result.to_html()
    for s in secrets:
        assert s not in report
    assert "[email]" in report and "[phone]" in report and "[card]" in report
    raw = result.to_html(redact=False)
    assert all(s in raw for s in secrets)
    text = str(result)
    assert all(s in text for s in secrets)
    redacted = result.summary(redact=True)
    assert not any(s in redacted for s in secrets)


# ---------------------------------------------------------------------------
# 7. Damaged model files.
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_json(model: pp.ProblemModel) -> str:
    return model.to_json()


def _damaged(model_json: str) -> dict:
    doc = json.loads(model_json)
    rng = random.Random(0)

    def altered() -> str:
        b = bytearray(model_json.encode())
        for i in rng.sample(range(len(b)), 8):
            b[i] = ord("#")
        return b.decode()

    bad_threshold = dict(doc, threshold=5.0)
    bad_centroid = json.loads(model_json)
    bad_centroid["centroids"][0].insert(0, [999_999_999, 0.5])
    wrong_type = dict(doc, problems="none")
    return {
        "truncated": (model_json[: len(model_json) // 2], r"invalid JSON .*truncated or damaged"),
        "truncated-one-byte": (model_json[:-1], r"invalid JSON"),
        "altered-bytes": (altered(), r"invalid JSON|damaged"),
        "schema-newer": (json.dumps(dict(doc, schema_version=99)), r"schema version 99 is newer .* upgrade"),
        "schema-zero": (json.dumps(dict(doc, schema_version=0)), r"schema version 0 is not valid"),
        "schema-missing": (json.dumps({k: v for k, v in doc.items() if k != "schema_version"}), r"no schema_version"),
        "schema-string": (json.dumps(dict(doc, schema_version="1")), r"schema_version is \"1\", not a whole number"),
        "threshold-out-of-range": (json.dumps(bad_threshold), r"damaged .*threshold out of range"),
        "centroid-unknown-term": (json.dumps(bad_centroid), r"damaged .*unknown terms"),
        "field-wrong-type": (json.dumps(wrong_type), r"damaged painpoints model file"),
        "not-json": ("id,text\n1,my refund was not received\n", r"invalid JSON"),
        "json-not-a-model": ("[1, 2, 3]", r"no schema_version"),
        "json-null": ("null", r"no schema_version"),
        "deeply-nested": ("[" * 100_000, r"invalid JSON"),
        "empty-file": ("", r"invalid JSON"),
    }


_CASES = ["truncated", "truncated-one-byte", "altered-bytes", "schema-newer", "schema-zero", "schema-missing",
          "schema-string", "threshold-out-of-range", "centroid-unknown-term", "field-wrong-type", "not-json",
          "json-not-a-model", "json-null", "deeply-nested", "empty-file"]


@pytest.mark.parametrize("case", _CASES)
def test_damaged_model_file(model_json: str, tmp_path: Path, case: str) -> None:
    content, message = _damaged(model_json)[case]
    path = tmp_path / "problems.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(pp.ModelFormatError, match=message):
        pp.ProblemModel.load(path)


@pytest.mark.parametrize("garbage", [os.urandom(0) + bytes(range(256)) * 4, b"\xff\xfe\x00\x01" * 100,
                                     b"\x89PNG\r\n\x1a\n" + bytes(100)])
def test_binary_garbage_model_file(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "problems.json"
    path.write_bytes(garbage)
    with pytest.raises(pp.ModelFormatError, match=r"not a painpoints model file"):
        pp.ProblemModel.load(path)


def test_valid_model_file_loads(model: pp.ProblemModel, model_json: str, tmp_path: Path) -> None:
    path = tmp_path / "problems.json"
    path.write_text(model_json, encoding="utf-8")
    loaded = pp.ProblemModel.load(path)
    texts, _ = synthetic()
    assert np.array_equal(loaded.predict(texts), model.predict(texts))


def test_min_size_above_every_group_leaves_no_problem() -> None:
    rows = ["refund not received"] * 3 + ["card declined at the shop"] * 3
    assert len(pp.analyze(rows, min_size=3, **QUIET).problems) == 2
    result = pp.analyze(rows, min_size=4, **QUIET)
    assert result.problems == [] and list(result.labels) == [-1] * 6
    assert "No problem found" in result.summary() and "min_size" in result._repr_html_()
    # Rows that all say nothing need no hint about min_size.
    blank = pp.analyze(["", None, "n/a"], **QUIET)
    assert "No problem found" not in blank.summary() + blank._repr_html_()


def test_a_complaint_sharing_no_word_does_not_join_the_first_problem() -> None:
    # Two complaints are too few for a problem of their own (min_size 3);
    # dissolved, they share no word with the refund problem, so they must
    # not be pulled into its centre (and then scored as refunds).
    rows = ["refund not received"] * 5 + ["app crash login"] * 2
    model = pp.ProblemModel(word_vectors=False, **QUIET).fit(rows)
    assert len(model.problems_) == 1
    assert list(model.labels_) == [0] * 5 + [-1] * 2
    assert model.predict(["app crash login"])[0] == -1
    assert "crash" not in [k for k, _ in model.problems_[0].keywords]


@pytest.mark.parametrize("bad", ["2", 1.5, True, 10**30, -(10**30)])
def test_n_jobs_is_checked(bad: Any) -> None:
    with pytest.raises(pp.ParameterError, match="n_jobs"):
        pp.analyze(["refund not received"] * 3, n_jobs=bad, **QUIET)
    model = pp.ProblemModel(**QUIET).fit(["refund not received"] * 3)
    model.set_params(n_jobs=bad)
    with pytest.raises(pp.ParameterError, match="n_jobs"):
        model.predict(["refund"])


def test_blank_rows_are_left_out_of_every_share() -> None:
    said = synthetic()[0]
    blank: List[Optional[str]] = [""] * 300 + [None] * 200 + ["  \n"] * 10
    alone = pp.analyze(said, min_size=5, **QUIET)
    mixed = pp.analyze(said + blank, min_size=5, **QUIET)
    np.testing.assert_array_equal(mixed.labels[: len(said)], alone.labels)
    assert (mixed.labels[len(said):] == -1).all()
    assert mixed.n_empty == len(blank) and alone.n_empty == 0
    assert [p.share for p in mixed.problems] == pytest.approx([p.share for p in alone.problems])
    assert mixed.coverage(3) == pytest.approx(alone.coverage(3))
    assert mixed.no_problem_share == pytest.approx(alone.no_problem_share)
    assert sum(p.share for p in mixed.problems) + mixed.no_problem_share == pytest.approx(1.0)
    assert f"{len(said):,} complaints (+{len(blank)} rows without a complaint)" in mixed.summary()


def test_missing_cells_of_every_kind_are_missing():
    import numpy as np
    import pandas as pd

    from painpoints._inputs import is_missing

    for missing in (None, float("nan"), np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT"), np.timedelta64("NaT")):
        assert is_missing(missing), repr(missing)
    for present in ("", "nan", 0, 0.0, np.datetime64("2024-01-01"), np.timedelta64(1, "D"), pd.Timestamp("2024-01-01")):
        assert not is_missing(present), repr(present)


def test_control_characters_and_direction_overrides_never_reach_a_terminal() -> None:
    # ESC sequences in a complaint would clear the analyst's screen or set
    # the window title when the summary is printed; a direction override
    # reverses what follows it, and inside a word it made "evil\u202c" a keyword.
    rows = ["refund not received \x1b[2J\x1b]0;pwned\x07 now", "refund not received \u202eevil\u202c yes",
            "refund not received"] * 10
    result = pp.analyze(rows, min_size=2, **QUIET)
    text = result.summary()
    assert not any(c in text for c in "\x1b\x07\u202e\u202c")
    assert "refund not received \ufffd[2J\ufffd]0;pwned\ufffd now" in text
    assert [k for k, _ in result.problems[0].keywords if "evil" in k] == ["evil"]
    # The examples themselves keep the complaint as written.
    assert {e.text for e in result.problems[0].examples} <= set(rows)


def test_a_blob_of_thousands_of_letters_is_shown_clipped_as_a_keyword() -> None:
    rows = ["refund not received " + "A" * 5000, "refund not received"] * 10
    result = pp.analyze(rows, min_size=2, **QUIET)
    blob = next(k for k, _ in result.problems[0].keywords if len(k) > 100)  # the keyword itself stays whole
    shown = blob[:39] + "…"
    for text in (result.summary(), str(result.problems[0]), result.to_html()):
        assert shown in text and blob[:100] not in text.replace(rows[0], "")


def test_english_tickets_with_addresses_are_not_taken_for_another_language() -> None:
    subjects = ["Invoice from acme.com not received", "Login el error on portal", "Refund via los angeles store",
                "Password reset mail from support@acme.com", "EST time zone wrong on receipt", "Order et al missing",
                "Shipping to mi address failed", "Visit www.acme.com/help broken"] * 30
    assert not_english_warning(subjects) is None
