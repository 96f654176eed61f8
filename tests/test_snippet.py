"""Examples are shown by the part of the complaint that holds the problem's
keywords, within the display limit, redacted where asked."""
from __future__ import annotations

import random
import re

import painpoints as pp
from painpoints._snippet import redacted_snippet, snippet

BACKGROUND = (
    "I have been a customer for many years and always paid on time. "
    "Last spring we moved house and updated our address with every company we deal with. "
    "Nothing about that move was unusual and the paperwork went through as expected. "
)
CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number


def test_short_text_is_shown_whole_with_whitespace_collapsed():
    assert snippet("refund  not\nreceived", ["refund"]) == "refund not received"


def test_keyword_deep_in_a_long_complaint_is_shown():
    text = BACKGROUND * 3 + "Then my card was declined at the store twice. " + BACKGROUND
    out = snippet(text, ["declined", "card"], limit=160)
    assert "card was declined" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out) <= 160
    # The old behaviour showed the beginning, which says nothing of the problem.
    assert "declined" not in " ".join(text.split())[:160]


def test_extract_starts_at_a_sentence_or_word_and_ends_at_a_word():
    text = BACKGROUND * 3 + "Then my card was declined at the store twice. " + BACKGROUND
    out = snippet(text, ["declined"], limit=120).strip("…")
    words = set(re.findall(r"\w+", " ".join(text.split())))
    first, last = out.split()[0], out.split()[-1]
    assert re.sub(r"\W", "", first) in words and re.sub(r"\W", "", last) in words


def test_without_keywords_the_beginning_is_shown():
    text = BACKGROUND * 4
    out = snippet(text, ["refund"], limit=100)
    assert not out.startswith("…") and out.endswith("…")
    assert " ".join(text.split()).startswith(out[:-1].strip())


def test_keyword_endings_match_other_forms_and_negation_is_optional():
    text = BACKGROUND * 3 + "The delivery never arrived and no one answered. " + BACKGROUND
    assert "delivery never arrived" in snippet(text, ["deliveries", "not arrived"], limit=120)
    # A different word sharing a short prefix is not a match.
    assert "delivery" not in snippet(BACKGROUND * 3 + "The delivery came. " + BACKGROUND, ["deli"], limit=100)


def test_the_window_with_most_distinct_keywords_wins():
    text = (
        "refund refund refund refund. " + BACKGROUND * 2
        + "The refund was not received and the parcel never returned. " + BACKGROUND
    )
    out = snippet(text, ["refund", "received", "parcel"], limit=120)
    assert "parcel" in out and "received" in out


def test_redaction_never_shows_part_of_a_number_cut_at_an_edge():
    # The keyword sentence stays in place while a card number slides across
    # both edges of the stretch that is redacted (about 130 characters
    # before the sentence and 130 after the extract): its digits are either
    # redacted whole or not shown at all.
    tail = "Then my card was declined at the store twice. "
    filler = "x " * 400
    for shift in range(0, 360, 2):
        before = filler[: 2 * 150 + shift] if shift < 180 else filler[:480]
        after = "" if shift < 180 else filler[: 2 * (shift - 180)]
        text = before + (CARD + " " if shift < 180 else "") + filler[: 500 - len(before)] + tail + \
            after + (CARD + " " if shift >= 180 else "") + filler
        out = redacted_snippet(text, ["declined", "card"], 160, pp.redact)
        assert "declined" in out
        assert not re.search(r"\d", out), (shift, out)


def test_redaction_sees_a_long_address_cut_at_an_edge():
    text = ("word " * 300 + "contact jo@mail-" + "x" * 110 + ".example.com my card was declined at the till. "
            + "word " * 300)
    out = redacted_snippet(text, ["declined", "card"], 160, pp.redact)
    assert "declined" in out
    assert "example.com" not in out and "xxxxx" not in out, out


def test_redacted_snippet_of_a_short_text_redacts_it_all():
    out = redacted_snippet(f"card {CARD} was declined", ["declined"], 160, pp.redact)
    assert out == "card [card] was declined"


def test_extracts_show_entities_as_a_reader_sees_them():
    assert snippet("card&nbsp;declined&#146;s &amp;amp; fees") == "card declined’s & fees"
    # Decoded before redaction: a number written with entities is still redacted.
    out = redacted_snippet(f"card&#160;{CARD.replace(' ', '&#32;')} was declined", ["declined"], 160, pp.redact)
    assert out == "card [card] was declined"


def test_decoded_markup_in_an_example_stays_inert_in_the_report():
    texts = ["my card was declined at the till &lt;script&gt;alert(1)&lt;/script&gt; again"] * 30 + \
        ["the parcel never arrived and nobody answers the phone"] * 30
    result = pp.analyze(texts, min_size=5, progress=False)
    for page in (result.to_html(), result._repr_html_()):
        assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<script>alert(1)</script>" in result.summary()


def test_summary_and_report_show_the_part_that_names_the_problem():
    problems = {
        "declined": "Then my card was declined at the store, {n} times this week.",
        "refund": "Then my refund was not received after {n} weeks of waiting.",
    }
    # Varied background, so that only the last sentence is shared.
    rng = random.Random(0)
    filler = [f"{a} {b} {c}" for a in ("my sister", "the neighbour", "our landlord", "a colleague", "my uncle")
              for b in ("painted", "visited", "cleaned", "sold", "repaired", "photographed")
              for c in ("the garden shed.", "an old bicycle.", "the kitchen.", "a blue caravan.")]
    texts = []
    for n in range(30):
        for sentence in problems.values():
            texts.append(" ".join(rng.sample(filler, 8)) + " " + sentence.format(n=n))
    result = pp.analyze(texts, progress=False)
    summary = result.summary()
    page = result.to_html()
    for word in ("declined", "refund"):
        shown = [line for line in summary.splitlines() if line.startswith("   - ")]
        assert any(word in line for line in shown)
        assert word in page
