"""Problems over time and per segment: counts that add up, periods without
gaps, rows aligned with the complaints, statistics checked against SciPy."""
from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

import painpoints as pp
from conftest import synthetic

QUIET = dict(progress=False, min_size=5)


@pytest.fixture(scope="module")
def frame():
    texts, truth = synthetic()
    n = len(texts)
    # Dates over five weeks with the third left empty; a channel per row.
    weeks = [0, 1, 3, 4]
    dates = [pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=weeks[i % 4], days=i % 5) for i in range(n)]
    channel = ["email" if i % 4 else "phone" for i in range(n)]
    df = pd.DataFrame({"comment": texts, "truth": truth, "date": dates, "channel": channel})
    return df, pp.analyze(df["comment"], **QUIET)


def test_over_time_counts_every_complaint_once_with_no_gap(frame):
    df, result = frame
    table = result.over_time(df["date"], "W")
    # Five weeks, the empty one included, each a Monday (W-SUN periods start on Monday).
    assert len(table) == 5 and table.index.name == "period"
    assert (table.index.day_of_week == 0).all()
    assert table.iloc[2].sum() == 0
    assert int(table.to_numpy().sum()) == len(df)
    assert list(table.columns) == [p.label for p in result.problems] + ["(no problem)"]
    # Each problem's column sums to its size; each cell to a direct count.
    for p in result.problems:
        assert int(table[p.label].sum()) == p.size
    week = pd.to_datetime(df["date"]).dt.to_period("W").dt.start_time
    first = result.problems[0]
    expected = Counter(week[result.labels == first.id])
    assert {k: v for k, v in table[first.label].items() if v} == dict(expected)


def test_over_time_shares_top_and_other(frame):
    df, result = frame
    shares = result.over_time(df["date"], "W", share=True)
    busy = shares.sum(axis=1) > 0
    np.testing.assert_allclose(shares[busy].sum(axis=1), 1.0)
    assert (shares[~busy] == 0).all().all()
    top1 = result.over_time(df["date"], "M", top=1)
    assert list(top1.columns) == [result.problems[0].label, "(other problems)", "(no problem)"]
    assert int(top1["(other problems)"].sum()) == sum(p.size for p in result.problems[1:])


def test_over_time_reads_pandas_range_aliases_and_period_columns(frame):
    df, result = frame
    months = result.over_time(df["date"], "M")
    # pandas >= 2.2 spells month end "ME" for date ranges; a period has no end.
    for alias in ("ME", "MS", "BME"):
        pd.testing.assert_frame_equal(result.over_time(df["date"], alias), months)
    # ("ms" is milliseconds, not month start: five weeks of them are too many.)
    with pytest.raises(pp.ParameterError, match="periods of 'ms'"):
        result.over_time(df["date"], "ms")
    pd.testing.assert_frame_equal(result.over_time(df["date"], "QE-DEC"), result.over_time(df["date"], "Q-DEC"))
    # Quarters and years that start in a month are named by the month they end in.
    pd.testing.assert_frame_equal(result.over_time(df["date"], "QS-JAN"), result.over_time(df["date"], "Q-DEC"))
    starts = result.over_time(df["date"], "QS-FEB").index
    assert (starts.month % 3 == 2).all() and (starts == result.over_time(df["date"], "Q-JAN").index).all()
    assert (result.over_time(df["date"], "YS-JUL").index.month == 7).all()
    with pytest.raises(pp.ParameterError, match=r"not a multiple \('2ME'\)"):
        result.over_time(df["date"], "2ME")
    # A column of periods counts at each period's start.
    pd.testing.assert_frame_equal(result.over_time(df["date"].dt.to_period("D"), "W"), result.over_time(df["date"], "W"))
    # Minutes over five weeks is no report: say so rather than build it.
    spread = df["date"] + pd.to_timedelta(np.arange(len(df)) * 9_000, unit="min")
    with pytest.raises(pp.ParameterError, match="periods of 'min'.*longer freq"):
        result.over_time(spread, "min")


def test_over_time_leaves_out_undated_and_blank_rows_and_says_so(frame):
    df, _ = frame
    texts = list(df["comment"]) + ["", None]
    dates = [str(d.date()) for d in df["date"]] + ["2024-01-02", None]
    dates[0] = "not a date"
    result = pp.analyze(texts, **QUIET)
    with pytest.warns(UserWarning, match="1 complaint has no readable date and is not counted"):
        table = result.over_time(dates, "W")
    assert int(table.to_numpy().sum()) == len(df) - 1


def test_sentinel_dates_past_what_periods_hold_count_as_unreadable(frame):
    # Date objects of year 1 or 9999 ("no date" in many systems) raised
    # pandas' OutOfBoundsDatetime deep inside, after the whole fit.
    import datetime

    df, result = frame
    for sentinel in (datetime.date(1, 1, 1), datetime.datetime(9999, 12, 31), datetime.date(2500, 1, 1)):
        dates = [d.to_pydatetime() for d in df["date"]]
        dates[3] = sentinel
        with pytest.warns(UserWarning, match="1 complaint has no readable date"):
            table = result.over_time(dates, "W")
        assert int(table.to_numpy().sum()) == len(df) - 1
        with pytest.warns(UserWarning, match="1 complaint has no readable date"):
            result.trend(dates, "W")


def test_dates_that_are_numbers_or_no_dates_at_all_are_refused_with_what_to_do(frame):
    df, _ = frame
    result = pp.analyze(df["comment"], **QUIET)
    seconds = (pd.to_datetime(df["date"]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    with pytest.raises(pp.InputError, match="unit='s'"):
        result.over_time(seconds, "W")
    with pytest.raises(pp.InputError, match="unit='s'"):
        result.trend(seconds.astype(float), "W")
    with pytest.raises(pp.InputError, match="none of the .* dates reads as a date .*'email'"):
        result.over_time(df["channel"], "W")
    # The complaints named as the dates: a few of them, cut short.
    with pytest.raises(pp.InputError) as named:
        result.over_time(df["comment"] + " and more words to make the complaint long", "W")
    assert "and more words to make the complaint long" not in str(named.value) and len(str(named.value)) < 300
    with pytest.raises(pp.InputError, match="unit='s'"):
        result.over_time(pd.Series(list(seconds[:-1]) + [pd.NA], dtype="Int64"), "W")
    # Read as seconds, they count as the dates they are.
    assert result.over_time(pd.to_datetime(seconds, unit="s"), "W").equals(result.over_time(df["date"], "W"))


def test_q_values_are_benjamini_hochberg():
    from painpoints._result import _q_values

    # By the definition: sorted p 0.01, 0.03, 0.04, 0.2 times m / rank
    # (0.04, 0.06, 0.0533, 0.2), then the running minimum from the largest.
    q = _q_values([0.04, 0.01, float("nan"), 0.2, 0.03])
    assert q[1] == pytest.approx(0.04) and q[0] == pytest.approx(0.16 / 3) and q[4] == pytest.approx(0.16 / 3)
    assert q[3] == pytest.approx(0.2) and math.isnan(q[2])
    assert _q_values([0.9, 0.8]) == pytest.approx([0.9, 0.9]) and _q_values([]) == []


def test_by_segment_q_values_tame_segments_that_differ_by_chance():
    # Segments drawn at random: a few p-values fall below 0.05 by chance,
    # the adjusted ones do not; a real difference stays significant.
    texts, truth = synthetic()
    result = pp.analyze(texts, **QUIET)
    rng = np.random.default_rng(3)
    random = result.by_segment(rng.integers(0, 30, len(texts)).tolist(), top=3)
    assert (random["q_value"] >= random["p_value"] - 1e-12).all() and (random["q_value"] <= 1).all()
    assert (random["q_value"] > 0.05).all()
    real = result.by_segment(list(truth), top=1)
    assert (real["q_value"] < 1e-6).all()
    trend_cols = result.trend([f"2024-0{1 + i % 3}-01" for i in range(len(texts))], "M").columns
    assert list(trend_cols)[-2:] == ["p_value", "q_value"]


def test_over_time_aligns_a_series_on_the_complaints_index(frame):
    df, _ = frame
    part = df.iloc[::-1][df.index % 4 != 1]
    result = pp.analyze(part["comment"], **QUIET)
    by_series = result.over_time(part["date"].sort_index(), "W")
    assert by_series.equals(result.over_time(list(part["date"]), "W"))
    with pytest.raises(pp.ParameterError, match="index"):
        result.over_time(df["date"].reset_index(drop=True).iloc[: len(part)], "W")
    # The whole column of the frame the complaints were taken from aligns
    # on their index; a shorter column without one does not.
    assert result.over_time(df["date"], "W").equals(by_series)
    with pytest.raises(pp.ParameterError, match="one value per complaint"):
        result.over_time(list(part["date"])[:-1] + [None, None], "W")
    with pytest.raises(pp.ParameterError, match="one value per complaint"):
        result.over_time(list(part["date"])[:-1], "W")
    with pytest.raises(pp.ParameterError, match="freq") as refused:
        result.over_time(part["date"], "fortnight")
    assert str(refused.value) == ("freq must be a period such as 'D' (day), 'W' (week), 'M' (month), "
                                  "'Q' (quarter) or 'Y' (year), got 'fortnight'")


def test_by_segment_counts_shares_and_tests_like_scipy(frame):
    df, result = frame
    table = result.by_segment(df["channel"], top=2)
    assert list(table["segment"].unique()) == ["email", "phone"]  # largest first
    assert table.groupby("segment")["rank"].apply(list).to_dict() == {"email": [1, 2], "phone": [1, 2]}
    labels = result.labels
    for row in table.itertuples():
        inside = (df["channel"] == row.segment).to_numpy()
        k = int((labels[inside] == row.problem_id).sum())
        k_out = int((labels[~inside] == row.problem_id).sum())
        assert row.count == k and row.complaints == inside.sum()
        assert row.share == pytest.approx(k / inside.sum())
        assert row.share_elsewhere == pytest.approx(k_out / (~inside).sum())
        assert row.share_low < row.share < row.share_high
        expected = chi2_contingency([[k, inside.sum() - k], [k_out, (~inside).sum() - k_out]], correction=False).pvalue
        assert row.p_value == pytest.approx(expected, rel=1e-9)
    # The rank-1 problem of a segment is its most frequent one.
    email = labels[(df["channel"] == "email").to_numpy()]
    assert table.iloc[0]["count"] == Counter(email[email >= 0]).most_common(1)[0][1]


def test_by_segment_finds_a_problem_concentrated_in_one_segment():
    texts, truth = synthetic()
    # Every complaint of one topic comes through the app; the rest by email.
    topic = truth[0]
    channel = ["app" if t == topic else "email" for t in truth]
    result = pp.analyze(texts, **QUIET)
    table = result.by_segment(channel, top=1)
    app = table[table["segment"] == "app"].iloc[0]
    assert app["share"] > 0.9 and app["share_elsewhere"] < 0.1 and app["p_value"] < 1e-6


def test_by_segment_missing_values_are_a_segment(frame):
    df, result = frame
    seg = df["channel"].where(df.index % 10 != 0, None)
    table = result.by_segment(seg)
    assert "(missing)" in set(table["segment"])
    assert table.groupby("segment")["complaints"].first().sum() == len(df)
    with pytest.raises(pp.ParameterError, match="top"):
        result.by_segment(seg, top=0)


def test_by_segment_keeps_segment_values_and_segments_without_a_problem():
    texts, _ = synthetic()
    # Words no other complaint uses: these fit no problem.
    odd = ["qwxz vrrp", "plokm zzyx", "ujnb gtrf"]
    result = pp.analyze(texts + odd, **QUIET)
    assert (result.labels[-3:] == -1).all() and (result.labels[:-3] >= 0).all()
    # The int 1 and the string "1" are two segments, as a groupby has them.
    seg = [1 if i % 2 else "1" for i in range(len(texts))] + ["odd"] * 3
    table = result.by_segment(seg, top=2)
    firsts = table.groupby("rank").get_group(1)
    assert sorted(map(repr, firsts["segment"])) == ["'1'", "'odd'", "1"]
    assert firsts["complaints"].sum() == len(texts) + 3
    none = table[table["segment"] == "odd"]
    assert len(none) == 1
    row = none.iloc[0]
    assert (row["problem_id"], row["problem_label"], row["count"], row["share"]) == (-1, "(no problem)", 3, 1.0)
    assert row["share_elsewhere"] == 0.0 and row["p_value"] < 0.01


def test_trend_puts_a_problem_that_grew_first_and_tests_it():
    texts, truth = synthetic()
    topic = truth[0]
    # The first topic only in March; the others spread over January to March.
    dates = [f"2024-03-{1 + i % 28:02d}" if t == topic else f"2024-0{1 + (i // 3) % 3}-10"
             for i, t in enumerate(truth)]
    result = pp.analyze(texts, **QUIET)
    table = result.trend(dates, "M")
    assert str(table.attrs["since"].date()) == "2024-03-01"
    grown = table.iloc[0]
    members = result.labels == grown["problem_id"]
    assert {truth[i] for i in np.flatnonzero(members)} == {topic}
    march = np.array([d.startswith("2024-03") for d in dates])
    assert grown["recent"] == int((members & march).sum())
    assert grown["recent_share"] == pytest.approx((members & march).sum() / march.sum())
    assert grown["earlier_share"] == 0.0 and grown["p_value"] < 1e-6
    assert list(table["change"]) == sorted(table["change"], reverse=True)
    with pytest.raises(pp.ParameterError, match="span 1 period"):
        result.trend(dates, "Y")


@pytest.mark.parametrize("k1, n1, k2, n2", [(2, 22, 1, 110), (0, 10, 5, 50), (3, 8, 1, 9), (2, 22, 14, 1510)])
def test_small_counts_are_tested_exactly_like_scipy(k1, n1, k2, n2):
    from scipy.stats import fisher_exact

    from painpoints._result import _two_proportion_p

    expected = fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
    assert _two_proportion_p(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9)


def test_dates_are_read_with_one_format_for_the_whole_column(frame):
    df, result = frame
    n = len(df)
    # Day first: "13/01/2024" only reads day first, so the column is read so.
    dayfirst = [f"{1 + i % 28:02d}/01/2024" for i in range(n)]
    assert list(result.over_time(dayfirst, "M").sum(axis=1)) == [n]
    # When the first date already says so ("24/09/..."), pandas' advice to
    # pass dayfirst is not repeated to the caller (warnings fail this suite).
    assert list(result.over_time([f"{13 + i % 15}/01/2024" for i in range(n)], "M").sum(axis=1)) == [n]
    assert list(result.over_time([f"0{1 + i % 9}/02/2024" for i in range(n)], "M", dayfirst=True).sum(axis=1)) == [n]
    # Offsets across a change of summer time: one month, every row counted.
    shifted = [f"2024-03-{1 + i % 28:02d}T10:00{'+01:00' if i % 2 else '+02:00'}" for i in range(n)]
    assert list(result.over_time(shifted, "M").sum(axis=1)) == [n]
    # The format most dates read by, not the first one's: an odd date at
    # the top is the only row left out, not every other.
    slashed = [f"2024/1/{1 + i % 28}" for i in range(n)]
    slashed[0] = "2023-12-31"
    with pytest.warns(UserWarning, match="^1 complaint has no readable date"):
        assert list(result.over_time(slashed, "M").sum(axis=1)) == [n - 1]
    # Multiples of a period would overlap.
    with pytest.raises(pp.ParameterError, match="multiple"):
        result.over_time(dayfirst, "2D")


def test_blank_rows_are_known_after_pickling_and_do_not_shrink_min_size():
    import pickle

    texts, _ = synthetic()
    dates = ["2024-01-10"] * len(texts)
    alone = pp.analyze(texts[:30], progress=False)
    padded = pp.analyze(texts[:30] + [""] * 3000 + [None] * 10, progress=False)
    np.testing.assert_array_equal(padded.labels[:30], alone.labels)
    assert padded.n_empty == 3010
    back = pickle.loads(pickle.dumps(padded))
    assert back.n_empty == 3010
    table = back.over_time(dates[:30] + ["2024-01-10"] * 3010, "M")
    assert int(table.to_numpy().sum()) == 30
    assert int(back.by_segment(["a"] * 3040)["complaints"].iloc[0]) == 30
    # Both sides read blank rows by the core's rule: white space, a lone
    # control character, a non-answer; a masked amount says something.
    odd = pp.analyze(texts + ["\x1f", " \u3000 ", "N/A", "$20?"], progress=False)
    assert odd.n_empty == 3
    assert odd.by_segment(["a"] * len(odd.labels))["complaints"].iloc[0] == len(texts) + 1


# ---------------------------------------------------------------- impact()


def _scores_by_topic(truth, low_topic, rng):
    """A 1-5 rating per complaint: the complaints of ``low_topic`` rate about
    two stars lower than the rest."""
    return [int(np.clip(round(rng.normal(2.0 if t == low_topic else 4.0, 0.8)), 1, 5)) for t in truth]


def test_impact_tests_each_problem_like_scipy_welch(frame):
    from scipy.stats import ttest_ind

    df, result = frame
    rng = np.random.default_rng(1)
    scores = np.array(_scores_by_topic(df["truth"], df["truth"][0], rng), dtype=float)
    table = result.impact(scores)
    assert sorted(table["problem_id"]) == sorted(p.id for p in result.problems)
    labels = result.labels
    for row in table.itertuples():
        a, b = scores[labels == row.problem_id], scores[labels != row.problem_id]
        assert row.rated == len(a)
        assert row.mean == pytest.approx(a.mean()) and row.mean_elsewhere == pytest.approx(b.mean())
        test = ttest_ind(a, b, equal_var=False)
        assert row.p_value == pytest.approx(test.pvalue, rel=1e-6, abs=1e-300)
        ci = test.confidence_interval(0.95)
        assert (row.low, row.high) == (pytest.approx(ci.low, rel=1e-6), pytest.approx(ci.high, rel=1e-6))
        assert row.impact == pytest.approx(len(a) / len(scores) * (a.mean() - b.mean()))
    assert table.attrs["overall"] == pytest.approx(scores.mean())
    # Sorted by impact: the problem that pulls the mean down most comes first.
    assert list(table["impact"]) == sorted(table["impact"])


def test_impact_finds_the_problem_that_rates_low_and_not_the_others(frame):
    df, result = frame
    rng = np.random.default_rng(2)
    low_topic = df["truth"][0]
    first = result.impact(_scores_by_topic(df["truth"], low_topic, rng)).iloc[0]
    members = df["truth"][result.labels == first["problem_id"]]
    assert (members == low_topic).mean() > 0.9
    assert first["difference"] < -1.5 and first["high"] < 0 and first["q_value"] < 1e-6
    # Scores that do not depend on the problem: no problem stands out.
    noise = result.impact(rng.integers(1, 6, len(df)).tolist())
    assert (noise["q_value"] > 0.05).all()


def test_impact_nps_scores_promoters_and_detractors():
    texts, truth = synthetic()
    result = pp.analyze(texts, **QUIET)
    answers = [10 if t == truth[0] else (8 if i % 2 else 3) for i, t in enumerate(truth)]
    table = result.impact(answers, nps=True)
    by_id = table.set_index("problem_id")
    for p in result.problems:
        topic = Counter(np.asarray(truth)[result.labels == p.id]).most_common(1)[0][0]
        if topic == truth[0]:
            assert by_id.loc[p.id, "mean"] == 100.0
        else:
            assert by_id.loc[p.id, "mean"] == pytest.approx(-50.0, abs=5)
    promoters = sum(a >= 9 for a in answers) / len(answers)
    detractors = sum(a <= 6 for a in answers) / len(answers)
    assert table.attrs["overall"] == pytest.approx(100 * (promoters - detractors))
    with pytest.raises(pp.ParameterError, match="0 to 10"):
        result.impact([a * 10 for a in answers], nps=True)


@pytest.mark.filterwarnings("default")
def test_impact_leaves_out_rows_without_a_score_or_a_complaint():
    texts, truth = synthetic()
    texts = texts + ["", "n/a"]
    result = pp.analyze(texts, **QUIET)
    scores: list = [4.0] * len(texts)
    scores[0], scores[1], scores[2], scores[3] = None, "five", "2", " 4 "
    scores[4], scores[5] = "N/A", " - "  # how exports write no score
    scores[-2:] = [1.0, 1.0]  # the blank rows' scores count nowhere
    with pytest.warns(UserWarning) as caught:
        table = result.impact(pd.Series(scores, dtype=object))
    messages = [str(w.message) for w in caught]
    assert any("1 score is not a number ('five') and is left out" in m for m in messages)
    assert any("3 complaints have no score and are left out" in m for m in messages)
    assert int(table["rated"].sum()) <= len(truth) - 4
    assert table.attrs["overall"] == pytest.approx((4.0 * (len(truth) - 5) + 2.0) / (len(truth) - 4))


def test_impact_goes_into_the_report_of_its_own_analysis_only(frame):
    df, result = frame
    rng = np.random.default_rng(3)
    nps = [2 if t == df["truth"][0] else int(rng.integers(7, 11)) for t in df["truth"]]
    table = result.impact(nps, nps=True)
    page = result.to_html(impact=table)
    first = table.iloc[0]
    assert (f"NPS: {first['mean']:.2f} for its {first['rated']:,} scored complaints against "
            f"{first['mean_elsewhere']:.2f} for the others") in page
    assert page.count("impact on the overall") == min(result._top, len(result.problems))
    assert "impact on the overall" not in result.to_html()
    other = table.copy()
    other.loc[0, "problem_label"] = "a problem of another analysis"
    with pytest.raises(pp.ParameterError, match="this analysis' own impact"):
        result.to_html(impact=other)
    # The same problems found again in fewer complaints: the ids and labels
    # match, the counts do not.
    fewer = pp.analyze(list(df["comment"])[:-3], previous=result.model, **QUIET)
    assert [(p.id, p.label) for p in fewer.problems] == [(p.id, p.label) for p in result.problems]
    with pytest.raises(pp.ParameterError, match="computed on another analysis"):
        fewer.to_html(impact=table)
    # A problem without a score elsewhere to compare with reads n/a, not nan.
    with pytest.warns(UserWarning, match="complaints have no score"):
        alone = result.impact([1.0 if label == first["problem_id"] else None for label in result.labels])
    assert "against n/a for the others" in result.to_html(impact=alone)
    with pytest.raises(pp.ParameterError, match="impact= takes the table"):
        result.to_html(impact=[1, 2, 3])


@pytest.mark.parametrize("sizes", [(3, 4), (12, 40), (60_000, 90_000)])
def test_welch_matches_scipy_from_tiny_to_large_groups(sizes):
    from scipy.stats import ttest_ind

    from painpoints._result import _welch

    rng = np.random.default_rng(sizes[0])
    a, b = rng.normal(3.0, 1.0, sizes[0]), rng.normal(3.02 if sizes[0] > 100 else 4.0, 2.0, sizes[1])
    diff, p_value, low, high = _welch(a, b)
    assert diff == pytest.approx(a.mean() - b.mean())
    test = ttest_ind(a, b, equal_var=False)
    ci = test.confidence_interval(0.95)
    assert p_value == pytest.approx(test.pvalue, rel=1e-4)
    assert (low, high) == (pytest.approx(ci.low, rel=1e-5), pytest.approx(ci.high, rel=1e-5))


def test_impact_reads_true_false_as_a_rate(frame):
    df, result = frame
    churned = pd.Series(df["truth"] == df["truth"][0]).where(df.index % 2 == 0, False)  # half of one topic
    table = result.impact(churned)
    first = table.iloc[-1]  # churn is a score where lower is better: the last row raises it most
    members = df["truth"][result.labels == first["problem_id"]]
    assert (members == df["truth"][0]).mean() > 0.9
    assert first["mean"] == pytest.approx(churned[result.labels == first["problem_id"]].mean())
    assert 0.4 < first["mean"] < 0.6 and first["mean_elsewhere"] < 0.05
    assert table.attrs["overall"] == pytest.approx(churned.mean())


def test_impact_reads_survey_labels_flags_and_constant_decimals(frame):
    df, result = frame
    n = len(df)
    labelled = ["10 - Extremely likely" if i % 3 else "0 - Not at all likely" for i in range(n)]
    table = result.impact(labelled, nps=True)
    assert table.attrs["overall"] == pytest.approx(100 * (2 * sum(1 for i in range(n) if i % 3) / n - 1))
    flags = result.impact(["True" if i % 4 == 0 else "false" for i in range(n)])
    assert flags.attrs["overall"] == pytest.approx(sum(1 for i in range(n) if i % 4 == 0) / n)
    # The same decimal everywhere: no problem differs (the means differ only by rounding).
    same = result.impact([4.1] * n)
    assert (same["p_value"] == 1.0).all() and (same["difference"] == 0.0).all()


def test_impact_refuses_scores_it_cannot_read(frame):
    df, result = frame
    with pytest.raises(pp.ParameterError, match="no value of scores is a number") as caught:
        result.impact(df["comment"])
    assert "decimals" not in str(caught.value)
    with pytest.raises(pp.ParameterError, match=r"write decimals with a point \('4.5', not '4,5'\)"):
        result.impact(["4,5"] * len(df))
    with pytest.raises(pp.ParameterError, match="one value per complaint"):
        result.impact([1, 2, 3])
    with pytest.raises(pp.ParameterError, match="nps must be True or False"):
        result.impact([1] * len(df), nps="yes")
    with pytest.raises(pp.ParameterError, match="no complaint has a score"):
        result.impact([None] * len(df))
    for wrong in ({i: 4 for i in range(len(df))}, set(range(len(df))), 4, np.ones((len(df), 1)), df[["truth"]]):
        with pytest.raises(pp.ParameterError, match="one column with one value per complaint"):
            result.impact(wrong)
    with pytest.raises(pp.ParameterError, match="dates or durations"):
        result.impact(list(pd.date_range("2024-01-01", periods=len(df))))
    for answers in ([True] * len(df), [6.5] * len(df), [11] * len(df)):
        with pytest.raises(pp.ParameterError, match="NPS answers are whole numbers from 0 to 10"):
            result.impact(answers, nps=True)


_SCORE_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 15),
                          st.booleans(), st.sampled_from(["", " 4 ", "n/a", "7 - Likely", "true", "4,5", "x"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_impact_on_any_scores_counts_each_scored_complaint_once(frame, data):
    from painpoints._result import _score_value

    df, result = frame
    scores = data.draw(st.lists(_SCORE_VALUES, min_size=len(df), max_size=len(df)))
    numbers = np.array([_score_value(v) for v in scores])
    if not np.isfinite(numbers).any():
        with pytest.raises(pp.ParameterError):
            result.impact(scores)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = result.impact(scores)
    scored = np.isfinite(numbers)
    assert sorted(table["problem_id"]) == sorted(p.id for p in result.problems)
    assert table.attrs["overall"] == pytest.approx(numbers[scored].mean())
    for row in table.itertuples():
        mine = scored & (result.labels == row.problem_id)
        assert row.rated == mine.sum()
        if mine.any() and (scored & ~mine).any():
            assert row.impact == pytest.approx(mine.sum() / scored.sum() * (numbers[mine].mean()
                                                                             - numbers[scored & ~mine].mean()))


def test_a_series_of_dates_in_another_order_than_list_complaints_is_warned_about(frame):
    # The complaints came as a list, so a Series' index cannot line its
    # values up: they are taken in their order, which a shuffle broke.
    df, _ = frame
    result = pp.analyze(list(df["comment"]), **QUIET)
    result.over_time(df["date"], "W")  # (index 0..n-1: no warning; warnings are errors here)
    with pytest.warns(UserWarning, match="dates is a pandas Series with an index of its own, but the complaints"):
        result.over_time(df["date"].sample(frac=1, random_state=0), "W")
    with pytest.raises(pp.ParameterError, match="segments must hold one value per complaint, not lists"):
        result.by_segment([[c] for c in df["channel"]])


def test_over_time_reads_a_pandas_offset_as_freq(frame):
    df, result = frame
    by_offset = result.over_time(df["date"], pd.offsets.MonthEnd())
    pd.testing.assert_frame_equal(by_offset, result.over_time(df["date"], "M"))
