"""End-to-end tests for the ``painpoints`` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pandas as pd

import painpoints  # noqa: E402
from painpoints.cli import main  # noqa: E402

_DELIVERY = [
    "My parcel arrived {n} days late",
    "Delivery was late again, waited {n} days for my order",
    "The courier never showed up and the package is {n} days overdue",
    "Order still not delivered after {n} days, shipping is so slow",
    "Package delivery delayed by {n} days without any notice",
]
_REFUND = [
    "I returned the item {n} weeks ago and still have not received my refund",
    "Refund not received yet, it has been {n} weeks",
    "Where is my money back? Refund pending for {n} weeks",
    "You promised a refund {n} weeks ago but nothing arrived on my card",
    "Still waiting for the refund for my returned order after {n} weeks",
]
_CRASH = [
    "The app crashes every time I open it on my phone (version {n})",
    "App keeps crashing when I try to log in, version {n}",
    "Mobile app crashed {n} times today while checking out",
    "Since update {n} the app freezes and crashes on startup",
    "The application crashes whenever I open my account page, tried {n} times",
]


def _complaints():
    rows = []
    topics = [("delivery", _DELIVERY), ("refund", _REFUND), ("crash", _CRASH)]
    for i in range(90):
        topic, templates = topics[i % 3]
        text = templates[(i // 3) % len(templates)].format(n=2 + (i * 7) % 11)
        rows.append({"ticket": f"T{i:03d}", "channel": ["email", "chat", "phone"][i % 3], "comment": text, "truth": topic})
    return rows


@pytest.fixture()
def export_csv(tmp_path):
    df = pd.DataFrame(_complaints())
    df.loc[len(df)] = {"ticket": "T900", "channel": "email", "comment": None, "truth": "none"}
    path = tmp_path / "complaints.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture()
def model_path(tmp_path, export_csv, capsys):
    path = tmp_path / "problems.json"
    assert main(["fit", str(export_csv), "--text", "comment", "-o", str(path)]) == 0
    capsys.readouterr()
    return path


def test_analyze_prints_summary_and_writes_html(tmp_path, export_csv, capsys):
    html = tmp_path / "report.html"
    rc = main(["analyze", str(export_csv), "--text", "comment", "--top", "3", "--html", str(html), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.strip()
    lowered = captured.out.lower()
    assert any(word in lowered for word in ("deliver", "refund", "crash", "late", "app"))
    assert html.exists()
    content = html.read_text(encoding="utf-8").lower()
    assert "<html" in content or "<!doctype" in content


def test_analyze_writes_every_row_with_its_problem(tmp_path, export_csv, capsys):
    rows_path = tmp_path / "labelled.csv"
    rc = main(["analyze", str(export_csv), "--text", "comment", "--rows", str(rows_path), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert f"Wrote 91 rows with their problem to {rows_path}" in captured.out
    written = pd.read_csv(rows_path)
    source = pd.read_csv(export_csv)
    # Every row, in file order, with its own columns and its problem, as
    # analyze() labels the same complaints.
    assert list(written.columns) == list(source.columns) + ["problem_id", "problem_label", "similarity"]
    assert list(written["ticket"]) == list(source["ticket"])
    result = painpoints.analyze(source["comment"], progress=False)
    assert list(written["problem_id"]) == list(result.labels)
    names = {p.id: p.label for p in result.problems}
    assert [names.get(i) for i in written["problem_id"]] == [None if pd.isna(x) else x for x in written["problem_label"]]
    assert written["problem_id"].iloc[-1] == -1  # the blank comment
    assert set(written.loc[written["problem_id"] >= 0, "problem_label"]) == set(names.values())
    # A path that cannot be written fails before the fit.
    assert main(["analyze", str(export_csv), "--text", "comment", "--rows", str(tmp_path / "no" / "x.csv")]) != 0
    captured = capsys.readouterr()
    assert "does not exist" in captured.err and not captured.out
    # So does a format that cannot be written (no summary printed: no fit ran).
    assert main(["analyze", str(export_csv), "--text", "comment", "--rows", str(tmp_path / "x.xls")]) != 0
    captured = capsys.readouterr()
    assert ".xlsx" in captured.err and not captured.out
    # In JSON Lines a complaint without a problem has an empty label, as score writes it.
    jsonl = tmp_path / "labelled.jsonl"
    assert main(["analyze", str(export_csv), "--text", "comment", "--rows", str(jsonl), "--no-progress"]) == 0
    capsys.readouterr()
    last = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[-1])
    assert last["problem_id"] == -1 and last["problem_label"] == ""


def test_analyze_column_name_is_forgiving_and_json_written(tmp_path, export_csv, capsys):
    out_json = tmp_path / "result.json"
    rc = main(["analyze", str(export_csv), "--text", " COMMENT ", "--json", str(out_json), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.strip()
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    # Every problem is in exactly one theme.
    in_themes = sorted(i for t in doc["themes"] for i in t["problem_ids"])
    assert in_themes == sorted(p["problem_id"] for p in doc["problems"])
    assert sum(t["size"] for t in doc["themes"]) == sum(p["size"] for p in doc["problems"])


def test_analyze_can_show_how_stable_the_top_problems_are(tmp_path, export_csv, capsys):
    out_json, out_html = tmp_path / "result.json", tmp_path / "report.html"
    rc = main(["analyze", str(export_csv), "--text", "comment", "--stability", "2", "--json", str(out_json),
               "--html", str(out_html), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    section = captured.out.split("stability over 2 refits", 1)[1].strip().splitlines()[1:]
    ranks = [line.split()[0] for line in section]
    assert ranks[:3] == ["#1", "#2", "#3"]
    assert all(line.endswith("/2") and "found again" in line for line in section)
    # The JSON result carries the same checks, one per problem.
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert [c["id"] for c in doc["stability"]] == [p["problem_id"] for p in doc["problems"]]
    assert all(0.0 <= c["agreement"] <= 1.0 and c["top_rate"] in (0.0, 0.5, 1.0) for c in doc["stability"])
    # And the HTML report shows them with each problem it shows.
    page = out_html.read_text(encoding="utf-8")
    shown = doc["stability"][:3]
    assert page.count("stability: found again") == len(shown)
    for c in shown:
        assert f"found again {c['agreement']:.2f}" in page


def test_analyze_stability_runs_are_bounded(export_csv, capsys):
    assert main(["analyze", str(export_csv), "--text", "comment", "--stability", "101", "--no-progress"]) != 0
    assert "runs" in capsys.readouterr().err


def test_fit_writes_json_model(tmp_path, export_csv, capsys):
    path = tmp_path / "model.json"
    rc = main(["fit", str(export_csv), "--text", "comment", "-o", str(path), "--seed", "1"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert path.exists()
    json.loads(path.read_text(encoding="utf-8"))
    assert "problem" in captured.out.lower()
    model = painpoints.ProblemModel.load(str(path))
    assert len(model.problems_) >= 1
    assert model.text_column_ == "comment"


def test_analyze_and_fit_keep_last_months_ids_and_edits(tmp_path, export_csv, model_path, capsys):
    model = painpoints.ProblemModel.load(str(model_path))
    refund = next(p.id for p in model.problems_ if "refund" in p.label)
    model.rename(refund, "money back")
    model.save(str(model_path))
    rc = main(["analyze", str(export_csv), "--text", "comment", "--previous", str(model_path), "--no-progress",
               "--json", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "money back" in captured.out
    found = {p["problem_id"]: p["label"] for p in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["problems"]}
    assert found[refund] == "money back"
    assert sorted(found) == sorted(p.id for p in model.problems_)
    # What changed since last month: every problem found again, none new.
    lineage = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["lineage"]
    assert sorted(lineage["kept"]) == sorted(found) and lineage["new"] == [] and lineage["vanished"] == []
    assert {f["problem_id"]: f["share"] for f in lineage["found_again"]} == {i: 1.0 for i in found}
    assert f"since the previous model: {len(found)} problems found again" in captured.out
    again = tmp_path / "next.json"
    assert main(["fit", str(export_csv), "--text", "comment", "--previous", str(model_path), "-o", str(again)]) == 0
    capsys.readouterr()
    assert painpoints.ProblemModel.load(str(again)).problem_label(refund) == "money back"
    assert main(["analyze", str(export_csv), "--text", "comment", "--previous", str(tmp_path / "none.json")]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_a_date_column_without_dates_exits_2_with_message(export_csv, capsys, tmp_path):
    html = tmp_path / "report.html"
    rc = main(["analyze", str(export_csv), "--text", "comment", "--date", "channel", "--html", str(html),
               "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert "reads as a date" in err and "--date 'channel'" in err and "Traceback" not in err
    # Said before the fit: nothing was analysed, so nothing half-done was printed.
    assert out == "" and not html.exists()


def _check_scored(scored, original):
    assert len(scored) == len(original)
    assert list(scored.columns) == list(original.columns) + ["problem_id", "problem_label", "similarity"]
    assert scored["ticket"].tolist() == original["ticket"].tolist()
    assert scored["channel"].tolist() == original["channel"].tolist()
    ids = [int(i) for i in scored["problem_id"].tolist()]
    assert all(i >= -1 for i in ids)
    for pid, label in zip(ids, scored["problem_label"].tolist()):
        has_label = isinstance(label, str) and label != ""
        assert has_label == (pid >= 0)
    sims = [float(s) for s in scored["similarity"].tolist()]
    assert all(not (s != s) for s in sims)  # no NaN
    return ids


def test_score_writes_every_row_in_order(tmp_path, export_csv, model_path, capsys):
    out = tmp_path / "scored.csv"
    rc = main(["score", str(model_path), str(export_csv), "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    original = pd.read_csv(export_csv, dtype=str, keep_default_na=False, na_values=[""])
    scored = pd.read_csv(out, dtype=str, keep_default_na=False, na_values=[""])
    ids = _check_scored(scored, original)
    # The clear-cut synthetic complaints should mostly land on a known problem.
    assert sum(i >= 0 for i in ids[:90]) >= 60


@pytest.mark.filterwarnings("default")  # shown, as a user sees it, rather than raised
def test_scoring_last_months_scores_again_warns_that_they_are_replaced(tmp_path, export_csv, model_path, capsys):
    first = tmp_path / "scored.csv"
    again = tmp_path / "again.csv"
    assert main(["score", str(model_path), str(export_csv), "-o", str(first)]) == 0
    assert "already has" not in capsys.readouterr().err
    assert main(["score", str(model_path), str(first), "-o", str(again)]) == 0
    err = capsys.readouterr().err
    assert "painpoints: warning: the input already has column(s) problem_id, problem_label, similarity" in err
    scored = pd.read_csv(again)
    assert list(scored.columns).count("problem_id") == 1
    pd.testing.assert_frame_equal(scored, pd.read_csv(first))
    # score_file says the same.
    model = painpoints.ProblemModel.load(model_path)
    with pytest.warns(UserWarning, match="already has column"):
        model.score_file(first, tmp_path / "again2.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again2.csv"), pd.read_csv(first))


def test_score_with_explicit_text_column_and_jsonl_output(tmp_path, export_csv, model_path, capsys):
    renamed = tmp_path / "new.tsv"
    df = pd.read_csv(export_csv, dtype=str, keep_default_na=False, na_values=[""])
    df = df.rename(columns={"comment": "feedback"}).iloc[::-1].reset_index(drop=True)
    df.to_csv(renamed, sep="\t", index=False)
    out = tmp_path / "scored.jsonl"
    rc = main(["score", str(model_path), str(renamed), "--text", "feedback", "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    scored = pd.read_json(out, lines=True, dtype=False)
    scored["ticket"] = scored["ticket"].astype(str)
    _check_scored(scored, df)

    # Without --text the model's stored column ('comment') is missing here.
    rc = main(["score", str(model_path), str(renamed), "-o", str(tmp_path / "x.csv")])
    captured = capsys.readouterr()
    assert rc == 2
    assert "comment" in captured.err
    assert "--text" in captured.err


def test_missing_column_exits_2_with_message(export_csv, capsys):
    rc = main(["analyze", str(export_csv), "--text", "commnet", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.err.startswith("painpoints: error:")
    assert "commnet" in captured.err
    assert "did you mean 'comment'" in captured.err
    assert "Traceback" not in captured.err


def test_a_number_column_is_refused_like_in_python(tmp_path, capsys):
    path = tmp_path / "ids.csv"
    pd.DataFrame({"id": [101, 102, None, 104], "rating": ["4.5", "1,000", "3", " 2 "],
                  "comment": ["card declined", "refund not received", None, "app crashes"]}).to_csv(path, index=False)
    for column in ("id", "rating"):
        rc = main(["analyze", str(path), "--text", column, "--no-progress"])
        captured = capsys.readouterr()
        assert rc == 2
        assert f"column '{column}' holds numbers" in captured.err and "--text COLUMN" in captured.err
        assert "Traceback" not in captured.err
    # Dates (read as text, or as dates from a spreadsheet) are no complaints either.
    dates = tmp_path / "dates.csv"
    pd.DataFrame({"created": ["2026-01-10", "2026-01-11 09:30", None],
                  "comment": ["card declined", "refund not received", None]}).to_csv(dates, index=False)
    xlsx = tmp_path / "dates.xlsx"
    pd.DataFrame({"created": pd.to_datetime(["2026-01-10", "2026-01-11"]),
                  "comment": ["card declined", "refund not received"]}).to_excel(xlsx, index=False)
    for export in (dates, xlsx):
        rc = main(["analyze", str(export), "--text", "created", "--no-progress"])
        captured = capsys.readouterr()
        assert rc == 2
        assert "column 'created' holds no words (values such as '2026-01-10" in captured.err
        assert "--text COLUMN" in captured.err and "Traceback" not in captured.err
    # A text column with some numbers in it is still text.
    mixed = tmp_path / "mixed.csv"
    pd.DataFrame({"comment": ["42", "refund not received", "7"]}).to_csv(mixed, index=False)
    assert main(["analyze", str(mixed), "--no-progress"]) == 0


def test_too_few_complaints_say_why_there_is_no_problem(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    pd.DataFrame({"comment": ["my card was declined", "refund not received", "app crashes"]}).to_csv(path, index=False)
    assert main(["analyze", str(path), "--no-progress"]) == 0
    assert "No problem found" in capsys.readouterr().out
    assert main(["fit", str(path), "-o", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "Found 0 problems" in out and "--min-size" in out


def test_a_file_without_rows_says_so_and_blank_rows_are_not_counted_as_complaints(tmp_path, capsys):
    header = tmp_path / "header.csv"
    header.write_text("comment,created,channel\n", encoding="utf-8")
    for command in (["analyze", str(header), "--text", "comment", "--date", "created", "--segment", "channel", "--no-progress"],
                    ["fit", str(header), "--text", "comment", "-o", str(tmp_path / "m.json")]):
        assert main(command) == 0  # a scheduled job's empty day still gets its report and model
        captured = capsys.readouterr()
        assert "has no rows under its header" in captured.err and "Traceback" not in captured.err
        assert "Empty DataFrame" not in captured.out
    blank = tmp_path / "blank.csv"
    pd.DataFrame({"id": [1, 2, 3, 4], "comment": ["", "n/a", "  ", "my card was declined"]}).to_csv(blank, index=False)
    assert main(["fit", str(blank), "--text", "comment", "-o", str(tmp_path / "m.json")]) == 0
    assert "in 1 complaint (+3 rows without a complaint)" in capsys.readouterr().out


def test_text_column_may_be_left_out_when_the_file_has_one(tmp_path, capsys):
    only = tmp_path / "only.csv"
    pd.DataFrame({"What went wrong?": [r["comment"] for r in _complaints()]}).to_csv(only, index=False)
    out_json = tmp_path / "r.json"
    rc = main(["analyze", str(only), "--json", str(out_json), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    # The one column was read as the complaints: all 90, in three problems.
    assert doc["n_rows"] == 90
    assert doc["n_problems"] == 3


def test_text_column_is_required_when_the_file_has_several(export_csv, tmp_path, capsys):
    rc = main(["fit", str(export_csv), "-o", str(tmp_path / "m.json")])
    captured = capsys.readouterr()
    assert rc == 2
    assert "4 columns" in captured.err and "'comment'" in captured.err and "--text COLUMN" in captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "m.json").exists()


def test_missing_input_file_exits_2(tmp_path, capsys):
    rc = main(["fit", str(tmp_path / "nope.csv"), "--text", "comment", "-o", str(tmp_path / "m.json")])
    captured = capsys.readouterr()
    assert rc == 2
    assert "nope.csv" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("content", ["this is not json", '{"format": "something-else", "problems": 3}', "[]"])
def test_bad_model_file_exits_2(tmp_path, export_csv, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    rc = main(["score", str(bad), str(export_csv), "--text", "comment", "-o", str(tmp_path / "s.csv")])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.err.startswith("painpoints: error:")
    assert "Traceback" not in captured.err
    assert not (tmp_path / "s.csv").exists()


def test_missing_model_file_exits_2(tmp_path, export_csv, capsys):
    rc = main(["score", str(tmp_path / "none.json"), str(export_csv), "-o", str(tmp_path / "s.csv")])
    assert rc == 2
    assert "none.json" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["analyze"], ["fit"], ["score"], ["demo"]])
def test_help_shows_examples(command, capsys):
    assert main(command + ["--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples" in out
    assert "painpoints" in out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert painpoints.__version__ in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    assert main(["analyze"]) == 2  # missing EXPORT
    assert main(["analyze", "x.csv", "--text", "c", "--top", "0"]) == 2
    assert main(["frobnicate"]) == 2
    assert main([]) == 2
    capsys.readouterr()


def test_demo_prints_top_problems(capsys):
    rc = main(["demo"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.strip()


def test_python_dash_m_help():
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.run(
        [sys.executable, "-m", "painpoints", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Examples" in proc.stdout
    assert "analyze" in proc.stdout


def test_unwritable_output_fails_before_analysis(tmp_path, export_csv, capsys):
    html = tmp_path / "missing-dir" / "report.html"
    rc = main(["analyze", str(export_csv), "--text", "comment", "--html", str(html), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 2
    assert "missing-dir" in captured.err
    assert captured.out == ""


def test_qualtrics_export_end_to_end(tmp_path, capsys):
    rows = _complaints()[:60]
    header = [
        "ResponseId,Q1,Q2_TEXT",
        'Response ID,How was it?,"What went wrong?"',
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"',
    ]
    body = [f"R_{i},Bad,\"{r['comment']}\"" for i, r in enumerate(rows)]
    export = tmp_path / "qualtrics.csv"
    export.write_text("\n".join(header + body) + "\n", encoding="utf-8-sig")
    model = tmp_path / "m.json"
    capsys.readouterr()
    # By its question's beginning: the column read is named on stderr.
    assert main(["fit", str(export), "--text", "what went", "-o", str(model)]) == 0
    assert "reading column 'Q2_TEXT' ('What went wrong?')" in capsys.readouterr().err
    # By its exact name: nothing to say.
    assert main(["fit", str(export), "--text", "Q2_TEXT", "-o", str(model)]) == 0
    assert "reading column" not in capsys.readouterr().err
    out = tmp_path / "scored.parquet"
    import pyarrow  # noqa: F401  (a test dependency: missing means failing, not skipping)
    assert main(["score", str(model), str(export), "-o", str(out)]) == 0
    capsys.readouterr()
    scored = pd.read_parquet(out)
    assert len(scored) == 60
    assert scored["ResponseId"].tolist() == [f"R_{i}" for i in range(60)]
    assert list(scored.columns) == ["ResponseId", "Q1", "Q2_TEXT", "problem_id", "problem_label", "similarity"]


def test_embeddings_file_for_fit_and_score(tmp_path, export_csv, capsys):
    import numpy as np

    rows = len(pd.read_csv(export_csv))
    emb = np.random.default_rng(0).standard_normal((rows, 6)).astype(np.float32)
    npy = tmp_path / "emb.npy"
    np.save(npy, emb)
    model = tmp_path / "model.json"
    assert main(["fit", str(export_csv), "--text", "comment", "-o", str(model), "--embeddings", str(npy)]) == 0
    assert painpoints.ProblemModel.load(model).embedding_dim_ == 6
    out = tmp_path / "scored.csv"
    capsys.readouterr()
    # Scoring a model fitted with embeddings needs them again, and says so.
    assert main(["score", str(model), str(export_csv), "-o", str(out)]) == 2
    assert "pass --embeddings NPY" in capsys.readouterr().err
    assert main(["score", str(model), str(export_csv), "-o", str(out), "--embeddings", str(npy)]) == 0
    assert len(pd.read_csv(out)) == rows
    # ... and one fitted without them says to leave the flag out.
    plain = tmp_path / "plain.json"
    assert main(["fit", str(export_csv), "--text", "comment", "-o", str(plain)]) == 0
    capsys.readouterr()
    assert main(["score", str(plain), str(export_csv), "-o", str(out), "--embeddings", str(npy)]) == 2
    assert "leave out --embeddings" in capsys.readouterr().err
    # An .npz archive of one array is read; of several, the error names them.
    np.savez(tmp_path / "one.npz", emb)
    assert main(["score", str(model), str(export_csv), "-o", str(out), "--embeddings", str(tmp_path / "one.npz")]) == 0
    np.savez(tmp_path / "two.npz", a=emb, b=emb)
    capsys.readouterr()
    assert main(["score", str(model), str(export_csv), "-o", str(out), "--embeddings", str(tmp_path / "two.npz")]) == 2
    assert "2 arrays (a, b)" in capsys.readouterr().err
    rc = main(["analyze", str(export_csv), "--text", "comment", "--no-progress", "--embeddings", str(npy)])
    assert rc == 0
    # A missing or wrong-shaped file is a clear error, not a traceback.
    capsys.readouterr()
    assert main(["analyze", str(export_csv), "--text", "comment", "--embeddings", str(tmp_path / "nope.npy")]) == 2
    assert "not found" in capsys.readouterr().err
    np.save(npy, emb[:5])
    assert main(["analyze", str(export_csv), "--text", "comment", "--embeddings", str(npy)]) == 2
    assert "rows" in capsys.readouterr().err


def test_a_workbook_with_several_sheets_names_the_one_read(tmp_path, capsys):
    book = tmp_path / "survey.xlsx"
    answers = pd.DataFrame({"comment": [r["comment"] for r in _complaints()]})
    with pd.ExcelWriter(book) as w:
        pd.DataFrame({"comment": ["notes"] * 3}).to_excel(w, sheet_name="Other", index=False)
        answers.to_excel(w, sheet_name="Responses", index=False)
    out_json = tmp_path / "r.json"
    assert main(["analyze", str(book), "--text", "comment", "--json", str(out_json), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "'Other'" in err and "'Responses'" in err and "--sheet" in err
    assert json.loads(out_json.read_text(encoding="utf-8"))["n_rows"] == 3
    assert main(["analyze", str(book), "--sheet", "Responses", "--text", "comment", "--json", str(out_json),
                 "--no-progress"]) == 0
    assert "--sheet" not in capsys.readouterr().err
    assert json.loads(out_json.read_text(encoding="utf-8"))["n_rows"] == len(answers)


def test_analyze_counts_problems_per_period_and_segment(tmp_path, capsys):
    rows = _complaints()
    df = pd.DataFrame(rows)
    # Deliveries all in March, the rest spread over January to March.
    df["created"] = [f"2024-03-{1 + i % 28:02d}" if r["truth"] == "delivery" else f"2024-0{1 + (i // 3) % 3}-15"
                     for i, r in enumerate(rows)]
    path = tmp_path / "dated.csv"
    df.to_csv(path, index=False)
    out_json = tmp_path / "r.json"
    out_html = tmp_path / "r.html"
    rc = main(["analyze", str(path), "--text", "comment", "--date", "created", "--freq", "M",
               "--segment", "channel", "--json", str(out_json), "--html", str(out_html), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "complaints per month" in captured.out and "top problems per segment" in captured.out
    # The report carries both tables too, one row per month and per channel's problem.
    page = out_html.read_text(encoding="utf-8")
    assert "<h3>Complaints per period</h3>" in page and "<h3>Top problems per segment</h3>" in page
    assert all(f"<td>2024-0{m}-01</td>" in page for m in (1, 2, 3))
    assert all(f"<td>{c} (30 complaints)</td>" in page for c in ("email", "chat", "phone"))
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    ot = doc["over_time"]
    assert ot["freq"] == "M" and ot["periods"] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    counts = pd.DataFrame(ot["counts"], columns=ot["columns"])
    assert counts.to_numpy().sum() == len(df)
    delivery = next(c for c in ot["columns"] if "deliver" in c or "late" in c)
    assert list(counts[delivery]) == [0, 0, 30]
    # Each channel carries one topic here, so each segment's #1 holds all of it.
    seg = pd.DataFrame(doc["by_segment"])
    assert set(seg["segment"]) == {"email", "chat", "phone"}
    firsts = seg[seg["rank"] == 1]
    assert (firsts["share"] == 1.0).all() and (firsts["p_value"] < 1e-6).all()
    # A date or segment column that does not exist is a clear error.
    assert main(["analyze", str(path), "--text", "comment", "--date", "when", "--no-progress"]) == 2
    assert "when" in capsys.readouterr().err


def test_a_header_only_export_gives_a_model_that_loads_and_scores(tmp_path, capsys):
    import pickle

    import painpoints as pp

    empty = tmp_path / "today.csv"
    empty.write_text("text\n", encoding="utf-8")
    model_path = tmp_path / "m.json"
    assert main(["fit", str(empty), "-o", str(model_path), "--no-progress"]) == 0
    out = tmp_path / "scored.csv"
    assert main(["score", str(model_path), str(empty), "-o", str(out)]) == 0, capsys.readouterr().err
    assert out.exists()
    # The same in Python: a model of one complaint (no term is in two) pickles and loads.
    model = pp.ProblemModel().fit(["refund not received"])
    back = pickle.loads(pickle.dumps(model))
    assert list(back.predict(["refund not received"])) == list(model.predict(["refund not received"]))


@pytest.mark.filterwarnings("default")  # shown, as a user sees it, rather than raised
def test_a_damaged_byte_is_a_one_line_warning_and_the_rest_reads(tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    rows = ["refund of 50€ not received", "naïve café refund", "late delivery again", "parcel late"] * 10
    path.write_bytes(("comment\n" + "\n".join(rows) + "\n").encode("utf-8") + b"Caf\xe9 refund\n")
    out = tmp_path / "scored.csv"
    model_path = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(model_path), "--no-progress"]) == 0
    assert main(["score", str(model_path), str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "painpoints: warning: mixed.csv: 1 byte not valid UTF-8" in err and ".py:" not in err
    assert pd.read_csv(out)["comment"].tolist()[:2] == rows[:2]


def test_analyze_shows_which_problems_pull_a_rating_down(tmp_path, capsys):
    rows = _complaints()
    df = pd.DataFrame(rows)
    # Deliveries answer 2 on the NPS scale (detractors), the rest 9 or 10.
    df["nps"] = [2 if r["truth"] == "delivery" else 9 + i % 2 for i, r in enumerate(rows)]
    path = tmp_path / "survey.csv"
    df.to_csv(path, index=False)
    out_json = tmp_path / "r.json"
    out_html = tmp_path / "r.html"
    rc = main(["analyze", str(path), "--text", "comment", "--rating", "nps", "--nps", "--json", str(out_json),
               "--html", str(out_html), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "problems by their pull on 'nps'" in captured.out
    impact = json.loads(out_json.read_text(encoding="utf-8"))["impact"]
    assert impact["nps"] is True
    first = impact["problems"][0]
    assert first["mean"] == -100.0 and first["mean_elsewhere"] == 100.0 and first["p_value"] < 1e-6
    assert impact["overall"] == pytest.approx(100 * (1 - 2 * (df["nps"] == 2).mean()))
    assert "NPS: -100.00 for its" in out_html.read_text(encoding="utf-8")
    # --nps without --rating, or a rating column that is not there, is a clear error.
    assert main(["analyze", str(path), "--text", "comment", "--nps", "--no-progress"]) == 2
    assert "--rating" in capsys.readouterr().err
    assert main(["analyze", str(path), "--text", "comment", "--rating", "stars", "--no-progress"]) == 2
    assert "stars" in capsys.readouterr().err
    # A rating column that cannot be read is refused before the fit, not after it.
    assert main(["analyze", str(path), "--text", "comment", "--rating", "channel", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "no value of --rating 'channel' is a number" in captured.err and "painpoints:" not in captured.out


@pytest.mark.filterwarnings("default")  # shown, as a user sees it, rather than raised
def test_complaints_not_in_english_are_a_one_line_warning(tmp_path, capsys):
    path = tmp_path / "encuesta.csv"
    rows = ["No he recibido mi reembolso todavía", "El paquete llegó roto y nadie responde",
            "La aplicación se cierra cuando intento pagar", "Me cobraron dos veces por el mismo pedido"] * 10
    pd.DataFrame({"comentario": rows}).to_csv(path, index=False)
    assert main(["analyze", str(path), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "painpoints: warning: 100% of the complaints checked are not in English" in err and ".py:" not in err


def test_no_command_writes_over_one_of_its_inputs(tmp_path, export_csv, model_path, capsys):
    before, model_before = export_csv.read_bytes(), model_path.read_bytes()
    same = str(tmp_path / "." / export_csv.name)  # the export, spelled another way
    for argv in (["fit", str(export_csv), "--text", "comment", "-o", same],
                 ["analyze", str(export_csv), "--text", "comment", "--html", str(export_csv)],
                 ["analyze", str(export_csv), "--text", "comment", "--rows", same],
                 ["analyze", str(export_csv), "--text", "comment", "--previous", str(model_path),
                  "--json", str(model_path)],
                 ["score", str(model_path), str(export_csv), "-o", same],
                 ["score", str(model_path), str(export_csv), "-o", str(model_path)]):
        assert main(argv + ["--no-progress"] * (argv[0] != "score")) == 2, argv
        assert "is an input of this command" in capsys.readouterr().err
    assert export_csv.read_bytes() == before and model_path.read_bytes() == model_before
    # Updating the model in place is what a monthly job does: allowed.
    assert main(["fit", str(export_csv), "--text", "comment", "--previous", str(model_path), "-o", str(model_path),
                 "--no-progress"]) == 0
    assert painpoints.ProblemModel.load(model_path).problems_
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([export_csv.name, model_path.name])


@pytest.mark.filterwarnings("default")
def test_score_takes_no_progress_and_sheet_on_a_text_file_says_it_is_ignored(tmp_path, export_csv, model_path,
                                                                            capsys):
    out = tmp_path / "scored.csv"
    assert main(["score", str(model_path), str(export_csv), "-o", str(out), "--no-progress", "--sheet", "2"]) == 0
    assert "--sheet applies to workbooks (.xlsx, .xls); " in capsys.readouterr().err
    assert len(pd.read_csv(out)) == len(pd.read_csv(export_csv))


def test_embeddings_that_are_no_array_say_how_to_save_one(tmp_path, export_csv, capsys):
    bad = tmp_path / "emb.npy"
    bad.write_text("not an array")
    assert main(["analyze", str(export_csv), "--text", "comment", "--embeddings", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "is not a .npy array of embeddings: save one with numpy.save(path.npy, array)" in err
    assert "pickle" not in err
