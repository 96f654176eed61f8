"""Scoring inputs larger than memory: in batches and from files, rows in order."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import painpoints as pp
from conftest import synthetic


@pytest.fixture(scope="module")
def model():
    return pp.ProblemModel(min_size=5).fit(synthetic()[0])


def _rows(n):
    base = synthetic()[0] + ["", "my cat likes tuna"]
    return [base[i % len(base)] if i % 17 else None for i in range(n)]


def test_batches_give_the_same_answers(model):
    rows = _rows(1000)
    whole_ids, whole_sims = model.score(rows)
    batches = [rows[i : i + 77] for i in range(0, len(rows), 77)]
    got = list(model.score_batches(iter(batches)))
    assert len(got) == len(batches)
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]), whole_ids)
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), whole_sims)


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl", "parquet"])
def test_score_file_in_chunks(model, tmp_path, ext):
    rows = _rows(2500)
    df = pd.DataFrame({"ticket": [f"T{i}" for i in range(len(rows))], "comment": rows})
    src = tmp_path / f"in.{ext}"
    if ext == "csv":
        df.to_csv(src, index=False)
    elif ext == "tsv":
        df.to_csv(src, index=False, sep="\t")
    elif ext == "jsonl":
        df.to_json(src, orient="records", lines=True)
    else:
        df.to_parquet(src)
    out = tmp_path / "scored.csv"
    n = model.score_file(src, out, text="comment", chunk_rows=300)
    assert n == len(rows)
    scored = pd.read_csv(out, dtype={"ticket": str}, keep_default_na=False)
    assert list(scored["ticket"]) == list(df["ticket"])
    np.testing.assert_array_equal(scored["problem_id"].to_numpy(), model.predict(rows))
    names = {p.id: p.label for p in model.problems_}
    assert [names.get(i, "") for i in scored["problem_id"]] == list(scored["problem_label"])


def test_score_file_needs_a_column(model, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": ["late delivery"]}).to_csv(src, index=False)
    with pytest.raises(pp.ParameterError, match="text="):
        model.score_file(src, tmp_path / "o.csv")
    with pytest.raises(pp.InputError, match="commnet"):
        model.score_file(src, tmp_path / "o.csv", text="commnet")


def test_score_file_never_overwrites_its_input(model, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": _rows(50)}).to_csv(src, index=False)
    before = src.read_bytes()
    with pytest.raises(pp.ParameterError, match="is the input file"):
        model.score_file(src, src, text="comment")
    with pytest.raises(pp.ParameterError, match="is the input file"):
        model.score_file(src, tmp_path / "." / "in.csv", text="comment")
    assert src.read_bytes() == before


@pytest.mark.parametrize("name", ["scored.parquet", "scored.xlsx", "scored.csv.zip"])
def test_score_file_refuses_formats_it_cannot_stream(model, tmp_path, name):
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": _rows(50)}).to_csv(src, index=False)
    with pytest.raises(pp.ParameterError, match="CSV, TSV or JSON Lines"):
        model.score_file(src, tmp_path / name, text="comment")
    assert not (tmp_path / name).exists()


def test_score_file_writes_json_lines_compressed_and_no_partial_file(model, tmp_path):
    rows = _rows(700)
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": rows}).to_csv(src, index=False)
    out = tmp_path / "scored.jsonl.gz"
    assert model.score_file(src, out, text="comment", chunk_rows=300) == len(rows)
    scored = pd.read_json(out, lines=True)
    np.testing.assert_array_equal(scored["problem_id"].to_numpy(), model.predict(rows))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "scored.jsonl.gz"]
    # A failure part-way leaves neither the output nor a temporary file.
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"other": ["x"]}).to_csv(bad, index=False)
    with pytest.raises(pp.InputError):
        model.score_file(bad, tmp_path / "never.csv", text="comment")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "in.csv", "scored.jsonl.gz"]


def test_a_model_fitted_on_a_named_column_scores_files_without_text(tmp_path):
    rows = synthetic()[0]
    model = pp.ProblemModel(min_size=5).fit(pd.Series(rows, name="comment"))
    assert model.text_column_ == "comment"
    assert pp.ProblemModel(min_size=5).fit(rows).text_column_ is None
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(rows)), "comment": rows}).to_csv(src, index=False)
    assert model.score_file(src, tmp_path / "out.csv") == len(rows)
    back = pp.ProblemModel.load(model.save(tmp_path / "m.json") or tmp_path / "m.json")
    assert back.text_column_ == "comment"


def test_score_file_reads_semicolon_csv_and_keeps_the_header_of_an_empty_one(model, tmp_path):
    rows = _rows(40)
    src = tmp_path / "semi.csv"
    pd.DataFrame({"id": range(len(rows)), "comment": rows}).to_csv(src, index=False, sep=";")
    out = tmp_path / "out.csv"
    assert model.score_file(src, out, text="comment") == len(rows)
    np.testing.assert_array_equal(pd.read_csv(out)["problem_id"].to_numpy(), model.predict(rows))
    empty = tmp_path / "empty.csv"
    empty.write_text("id,comment\n", encoding="utf-8")
    assert model.score_file(empty, out, text="comment") == 0
    assert out.read_text(encoding="utf-8").splitlines() == ["id,comment,problem_id,problem_label,similarity"]


def test_score_file_keeps_json_lines_fields_in_their_columns(model, tmp_path):
    src = tmp_path / "in.jsonl"
    # Fields in another order, and one missing from the first records.
    src.write_text('{"text": "refund not received", "channel": "app"}\n'
                   '{"channel": "chat", "text": "app crashes at login", "vip": true}\n'
                   '{"ticket": 1234567890123456789, "text": "card declined"}\n'
                   '{"ticket": null, "text": "late delivery", "channel": "mail"}\n', encoding="utf-8")
    rows = ["refund not received", "app crashes at login", "card declined", "late delivery"]
    for out in (tmp_path / "o.csv", tmp_path / "o.jsonl"):
        assert model.score_file(src, out, text="text", chunk_rows=1) == 4
        if out.suffix == ".csv":
            scored = pd.read_csv(out, dtype=str, keep_default_na=False)
        else:  # read as JSON is, not as pandas infers it
            scored = pd.DataFrame([json.loads(line) for line in out.read_text().splitlines()], dtype=object)
        assert list(scored.columns[:4]) == ["text", "channel", "vip", "ticket"]
        assert list(scored["text"]) == rows
        assert [str(c) if c is not None else "" for c in scored["channel"].fillna("").tolist()] == \
            ["app", "chat", "", "mail"]
        assert str(scored["ticket"].tolist()[2]) == "1234567890123456789"
        np.testing.assert_array_equal(scored["problem_id"].astype(int).to_numpy(), model.predict(rows))


def test_score_file_reads_a_windows_encoded_csv(model, tmp_path):
    src = tmp_path / "win.csv"
    src.write_bytes("comment\nCaf\xe9 refund not received\nlate delivery\n".encode("cp1252"))
    out = tmp_path / "o.csv"
    assert model.score_file(src, out, text="comment") == 2
    assert pd.read_csv(out)["comment"].tolist() == ["Café refund not received", "late delivery"]


def test_score_batches_takes_one_column_frames(model, tmp_path):
    rows = [r or "" for r in _rows(500)]
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(rows)), "comment": rows}).to_csv(src, index=False)
    with pd.read_csv(src, usecols=["comment"], chunksize=120, keep_default_na=False) as chunks:
        got = np.concatenate([ids for ids, _ in model.score_batches(chunks)])
    np.testing.assert_array_equal(got, model.predict(rows))
    with pytest.raises(pp.InputError, match="DataFrame of 2 columns.*usecols"):
        next(model.score_batches([pd.DataFrame({"a": ["x"], "b": ["y"]})]))


def test_score_batches_given_one_column_says_to_use_score(model):
    # A column of complaints is an iterable of strings, not of batches.
    for flat in (pd.Series(["refund not received", "app crashes"]), ["refund not received"], "refund", None, 5):
        with pytest.raises(pp.InputError, match=r"model.score\(texts\)|an iterable of batches"):
            next(model.score_batches(flat))


def test_a_parquet_files_saved_index_is_kept_as_a_column(model, tmp_path):
    # df.set_index("ticket").to_parquet(...): the ticket ids come back as a
    # column of the scores, so they join back to the export.
    texts = synthetic()[0][:40]
    frame = pd.DataFrame({"ticket": [f"T{i}" for i in range(40)], "comment": texts}).set_index("ticket")
    frame.to_parquet(tmp_path / "x.parquet")
    assert model.score_file(tmp_path / "x.parquet", tmp_path / "o.csv", text="comment") == 40
    out = pd.read_csv(tmp_path / "o.csv")
    assert out["ticket"].tolist() == [f"T{i}" for i in range(40)] and out["comment"].tolist() == texts
    assert pp.io.read_table(tmp_path / "x.parquet")["ticket"].tolist() == out["ticket"].tolist()
    # A plain row-number index adds no column.
    frame.reset_index()[["comment"]].to_parquet(tmp_path / "y.parquet")
    model.score_file(tmp_path / "y.parquet", tmp_path / "o2.csv", text="comment")
    assert list(pd.read_csv(tmp_path / "o2.csv").columns) == ["comment", "problem_id", "problem_label", "similarity"]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_a_surveys_header_rows_are_found_whatever_the_chunk_size(model, tmp_path, chunk_rows):
    # Qualtrics' three header rows, cut apart by chunks of one or two rows,
    # were scored as complaints.
    texts = synthetic()[0][:10]
    head = 'Q1,Q2\nWhat went wrong?,Your id\n{"ImportId":"QID1_TEXT"},{"ImportId":"QID2"}\n'
    body = "".join(f'"{t}",{i}\n' for i, t in enumerate(texts))
    (tmp_path / "q.csv").write_text(head + body, encoding="utf-8")
    assert model.score_file(tmp_path / "q.csv", tmp_path / "o.csv", text="Q1", chunk_rows=chunk_rows) == 10
    out = pd.read_csv(tmp_path / "o.csv")
    assert out["Q1"].tolist() == texts and out["Q2"].tolist() == list(range(10))


def test_score_batches_refuses_one_table_and_reads_arrow_batches(model):
    # Iterating a polars DataFrame gives its columns: each was scored as a
    # batch, silently. A table is one batch; pyarrow batches of one column read.
    import polars as pl
    import pyarrow as pa

    texts = synthetic()[0][:6]
    for table in (pl.DataFrame({"a": texts, "b": texts}), pd.DataFrame({"comment": texts}), pa.table({"c": texts})):
        with pytest.raises(pp.InputError, match=f"a {type(table).__name__} is one batch: score it with model.score"):
            next(model.score_batches(table))
    batches = [pa.table({"c": texts[:3]}), pa.record_batch([pa.array(texts[3:])], names=["c"])]
    got = np.concatenate([ids for ids, _ in model.score_batches(batches)])
    np.testing.assert_array_equal(got, model.predict(texts))
