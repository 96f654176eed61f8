"""Tests for painpoints.io: reading/writing tables and survey-export headers."""

from __future__ import annotations

import json

import pytest

import pandas as pd

import painpoints  # noqa: E402
from painpoints.io import detect_format, read_table, resolve_column, write_table  # noqa: E402


def _frame():
    return pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "comment": [
                "Parcel arrived two weeks late",
                "NA",
                None,
                'Refund "still" pending, order #12, café',
            ],
            "score": ["5", None, "3", "1"],
        }
    )


def _assert_same_text(read, original):
    assert list(read.columns) == list(original.columns)
    assert len(read) == len(original)
    for col in original.columns:
        for got, want in zip(read[col].tolist(), original[col].tolist()):
            if want is None or pd.isna(want):
                assert got is None or pd.isna(got)
            else:
                assert str(got) == want


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".csv.gz", ".txt"])
def test_round_trip_text_formats(tmp_path, suffix):
    df = _frame()
    path = tmp_path / f"data{suffix}"
    write_table(df, path)
    _assert_same_text(read_table(path), df)


def test_round_trip_parquet(tmp_path):
    import pyarrow  # noqa: F401  (a test dependency: missing means failing, not skipping)
    df = _frame()
    path = tmp_path / "data.parquet"
    write_table(df, path)
    _assert_same_text(read_table(path), df)


def test_round_trip_excel(tmp_path):
    import openpyxl  # noqa: F401  (a test dependency: missing means failing, not skipping)
    df = _frame()
    path = tmp_path / "data.xlsx"
    write_table(df, path)
    _assert_same_text(read_table(path), df)


def test_excel_numbers_and_dates_keep_their_type_and_text_stays_text(tmp_path):
    import openpyxl  # a test dependency: missing means failing, not skipping
    df = pd.DataFrame({
        "id": [1, 2, 3], "score": [1.5, None, 3.0],
        "when": pd.to_datetime(["2024-06-02", "2024-06-03", None]),
        "comment": ["late", 42, "broken"], "zip": ["01234", "02345", "03456"],
        "order": [1234567890124, None, 7], 2024: [5, None, 7],
    })
    path = tmp_path / "typed.xlsx"
    df.to_excel(path, index=False)
    got = read_table(path)
    assert pd.api.types.is_integer_dtype(got["id"]) and got["id"].tolist() == [1, 2, 3]
    assert got["score"].iloc[0] == 1.5 and pd.isna(got["score"].iloc[1])
    assert pd.api.types.is_datetime64_any_dtype(got["when"]) and got["when"].iloc[0] == pd.Timestamp("2024-06-02")
    # Whole numbers with empty cells stay whole (not 1234567890124.0), and a
    # number heading a column is its name as written.
    assert got["order"].iloc[0] == 1234567890124 and pd.isna(got["order"].iloc[1])
    assert list(got.columns)[5:] == ["order", "2024"]
    assert got.to_csv(index=False).splitlines()[1].split(",")[5:7] == ["1234567890124", "5"]
    # A column of text with a number in it, and numbers written as text, stay text.
    assert got["comment"].tolist() == ["late", "42", "broken"]
    assert got["zip"].tolist() == ["01234", "02345", "03456"]
    # So a scored workbook written back keeps the analyst's numbers and dates.
    out = tmp_path / "out.xlsx"
    write_table(got.assign(problem_id=[0, 1, -1]), out)
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    first = {name: c.value for name, c in zip(header, sheet[2])}
    assert first["id"] == 1 and first["score"] == 1.5 and first["when"].year == 2024
    assert first["zip"] == "01234" and first["comment"] == "late" and first["problem_id"] == 0


def test_excel_sheet_selection(tmp_path):
    import openpyxl  # noqa: F401  (a test dependency: missing means failing, not skipping)
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": ["x"]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"comment": ["late", "broken"]}).to_excel(writer, sheet_name="Responses", index=False)
    assert list(read_table(path).columns) == ["a"]
    assert read_table(path, sheet="Responses")["comment"].tolist() == ["late", "broken"]
    assert read_table(path, sheet=1)["comment"].tolist() == ["late", "broken"]
    with pytest.raises(painpoints.InputError, match="Responses"):
        read_table(path, sheet="nope")


def test_csv_reads_everything_as_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,comment,flag\n007,NA,true\n8,null,\n9,,N/A\n", encoding="utf-8")
    df = read_table(path)
    assert df["id"].tolist() == ["007", "8", "9"]
    assert df["comment"].tolist()[:2] == ["NA", "null"]
    assert pd.isna(df["comment"].iloc[2])
    assert df["flag"].iloc[0] == "true"
    assert pd.isna(df["flag"].iloc[1])
    assert df["flag"].iloc[2] == "N/A"


@pytest.mark.parametrize("sep", [";", "|"])
def test_csv_with_another_delimiter_is_recognised_by_its_header(tmp_path, sep):
    import gzip

    text = f"id{sep}comment{sep}score\n1{sep}\"my card was declined, twice\"{sep}3\n2{sep}refund not received{sep}1\n"
    plain = tmp_path / "semi.csv"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "semi.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    for path in (plain, packed):
        df = read_table(path)
        assert list(df.columns) == ["id", "comment", "score"]
        assert df["comment"].tolist() == ["my card was declined, twice", "refund not received"]
    # One text column whose answers hold semicolons stays one column, even
    # when its header holds one too.
    single = tmp_path / "single.csv"
    single.write_text("comment\nlate; again\nfine\n", encoding="utf-8")
    assert read_table(single)["comment"].tolist() == ["late; again", "fine"]
    single.write_text("Comments; suggestions\nlate; again\nfine\nok\n", encoding="utf-8")
    assert read_table(single)["Comments; suggestions"].tolist() == ["late; again", "fine", "ok"]
    # A ";" file whose quoted header holds a comma is still a ";" file.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(f'id{sep}"Was it good, or bad?"{sep}score\n1{sep}fine{sep}3\n2{sep}late{sep}1\n', encoding="utf-8")
    assert list(read_table(quoted).columns) == ["id", "Was it good, or bad?", "score"]


def test_utf8_bom_and_cp1252(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffcomment\ncafé late\n".encode("utf-8"))
    assert list(read_table(bom).columns) == ["comment"]
    win = tmp_path / "win.csv"
    win.write_bytes("comment\ncaf\xe9 \x93late\x94\n".encode("latin-1"))
    assert read_table(win)["comment"].tolist() == ["caf\u00e9 \u201clate\u201d"]


def test_quoted_newlines_preserved(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('id,comment\n1,"line one\nline two"\n2,ok\n', encoding="utf-8")
    df = read_table(path)
    assert df["comment"].tolist() == ["line one\nline two", "ok"]


QUALTRICS_CSV = (
    "StartDate,EndDate,ResponseId,Q1,Q2_TEXT\n"
    'Start Date,End Date,Response ID,How satisfied are you?,"What went wrong?\n(please describe)"\n'
    '"{""ImportId"":""startDate"",""timeZone"":""America/Denver""}",'
    '"{""ImportId"":""endDate"",""timeZone"":""America/Denver""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"\n'
    "2024-01-01 10:00:00,2024-01-01 10:05:00,R_abc,Very dissatisfied,My parcel was late\n"
    "2024-01-02 10:00:00,2024-01-02 10:05:00,R_def,Satisfied,\n"
    "2024-01-03 10:00:00,2024-01-03 10:05:00,R_ghi,Dissatisfied,NA\n"
)


def test_qualtrics_csv_three_header_rows(tmp_path):
    path = tmp_path / "qualtrics.csv"
    path.write_text(QUALTRICS_CSV, encoding="utf-8-sig")
    df = read_table(path)
    assert list(df.columns) == ["StartDate", "EndDate", "ResponseId", "Q1", "Q2_TEXT"]
    assert df["ResponseId"].tolist() == ["R_abc", "R_def", "R_ghi"]
    assert df["Q2_TEXT"].iloc[0] == "My parcel was late"
    assert pd.isna(df["Q2_TEXT"].iloc[1])
    assert df["Q2_TEXT"].iloc[2] == "NA"


def test_qualtrics_question_text_names_its_column(tmp_path):
    path = tmp_path / "qualtrics.csv"
    path.write_text(QUALTRICS_CSV, encoding="utf-8-sig")
    df = read_table(path)
    assert resolve_column(df, "Q2_TEXT") == "Q2_TEXT"
    assert resolve_column(df, "What went wrong? (please describe)") == "Q2_TEXT"
    assert resolve_column(df, "what went wrong?") == "Q2_TEXT"      # its beginning, any case
    assert resolve_column(df, "How satisfied are you?") == "Q1"
    with pytest.raises(painpoints.InputError) as err:
        resolve_column(df, "comments")
    # The error lists the questions beside the ids.
    assert "'Q2_TEXT' ('What went wrong? (please describe)')" in str(err.value)


def test_qualtrics_xlsx_three_header_rows(tmp_path):
    import openpyxl  # noqa: F401  (a test dependency: missing means failing, not skipping)
    rows = [
        ["ResponseId", "Q1"],
        ["Response ID", "Tell us what went wrong"],
        ['{"ImportId":"_recordId"}', '{"ImportId":"QID1_TEXT"}'],
        ["R_1", "App crashes on login"],
        ["R_2", "Refund never arrived"],
    ]
    path = tmp_path / "qualtrics.xlsx"
    pd.DataFrame(rows).to_excel(path, header=False, index=False)
    df = read_table(path)
    assert list(df.columns) == ["ResponseId", "Q1"]
    assert df["Q1"].tolist() == ["App crashes on login", "Refund never arrived"]


SURVEYMONKEY_CSV = (
    "Respondent ID,Collector ID,Start Date,What is the main problem?,,Which product?,\n"
    ",,,Open-Ended Response,Other (please specify),Response,Comments\n"
    "111,222,01/01/2024,Delivery was late,,Widget,ok\n"
    "112,222,01/02/2024,NA,my own words,Gadget,\n"
)


def test_surveymonkey_two_header_rows(tmp_path):
    path = tmp_path / "surveymonkey.csv"
    path.write_text(SURVEYMONKEY_CSV, encoding="utf-8")
    df = read_table(path)
    assert list(df.columns) == [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "What is the main problem?",
        "What is the main problem? - Other (please specify)",
        "Which product?",
        "Which product? - Comments",
    ]
    assert df["Respondent ID"].tolist() == ["111", "112"]
    assert df["What is the main problem?"].tolist() == ["Delivery was late", "NA"]
    assert df["What is the main problem? - Other (please specify)"].iloc[1] == "my own words"


def test_surveymonkey_xlsx(tmp_path):
    import openpyxl  # noqa: F401  (a test dependency: missing means failing, not skipping)
    rows = [
        ["Respondent ID", "Collector ID", "Any complaints?"],
        [None, None, "Open-Ended Response"],
        ["1", "9", "The app keeps crashing"],
    ]
    path = tmp_path / "sm.xlsx"
    pd.DataFrame(rows).to_excel(path, header=False, index=False)
    df = read_table(path)
    assert list(df.columns) == ["Respondent ID", "Collector ID", "Any complaints?"]
    assert df["Any complaints?"].tolist() == ["The app keeps crashing"]


def test_ordinary_csv_with_odd_rows_not_mangled(tmp_path):
    # Second/third rows look a bit like survey header rows, but this is data.
    path = tmp_path / "plain.csv"
    path.write_text(
        "Respondent ID,comment,kind\n"
        "1,Response,Response\n"
        '2,"{""ImportId"": ""looks odd""}",Open-Ended Response\n'
        "3,Refund missing,\n",
        encoding="utf-8",
    )
    df = read_table(path)
    assert list(df.columns) == ["Respondent ID", "comment", "kind"]
    assert df["Respondent ID"].tolist() == ["1", "2", "3"]
    assert df["comment"].iloc[0] == "Response"

    path2 = tmp_path / "plain2.csv"
    path2.write_text("comment\nResponse\n\nOpen-Ended Response\nlate again\n", encoding="utf-8")
    df2 = read_table(path2)
    assert df2["comment"].tolist() == ["Response", "Open-Ended Response", "late again"]


def test_header_only_and_duplicate_columns(tmp_path):
    path = tmp_path / "hdr.csv"
    path.write_text("a,b,a,\n", encoding="utf-8")
    df = read_table(path)
    assert len(df) == 0
    assert list(df.columns) == ["a", "b", "a.1", "Unnamed: 3"]


def test_missing_file_raises_input_error(tmp_path):
    with pytest.raises(painpoints.InputError, match="not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ValueError):  # InputError is also a ValueError
        read_table(tmp_path / "nope.csv")


def test_empty_and_unsupported_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(painpoints.InputError, match="empty"):
        read_table(empty)
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(painpoints.InputError, match="unsupported"):
        read_table(pdf)
    with pytest.raises(painpoints.InputError):
        read_table(tmp_path)  # a directory
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(painpoints.InputError, match="bad.jsonl"):
        read_table(bad_json)
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_bytes(b"this is not a zip file")
    with pytest.raises(painpoints.InputError):
        read_table(bad_xlsx)


def test_detect_format():
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.tsv.gz") == "tsv"
    assert detect_format("export.ndjson") == "jsonl"
    assert detect_format("x.parquet") == "parquet"
    assert detect_format("x.xlsx") == "excel"
    assert detect_format("noext") == "csv"
    assert detect_format("notes.log") == "csv"


def test_jsonl_keeps_na_text(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(
        "\n".join(json.dumps(r) for r in [{"comment": "NA"}, {"comment": None}, {"comment": "late"}]) + "\n",
        encoding="utf-8",
    )
    df = read_table(path)
    assert df["comment"].iloc[0] == "NA"
    assert df["comment"].iloc[1] is None or pd.isna(df["comment"].iloc[1])


def test_write_to_missing_directory(tmp_path):
    with pytest.raises(painpoints.PainpointsError, match="does not exist"):
        write_table(_frame(), tmp_path / "no" / "such" / "dir.csv")


def test_resolve_column():
    df = pd.DataFrame(columns=["id", "Comment ", "created at"])
    assert resolve_column(df, "id") == "id"
    assert resolve_column(df, "comment") == "Comment "
    assert resolve_column(df, "  COMMENT") == "Comment "
    assert resolve_column(df, "Created  At") == "created at"
    with pytest.raises(painpoints.InputError) as info:
        resolve_column(df, "commnet")
    message = str(info.value)
    assert "'commnet' not found" in message
    assert "available: 'id', 'Comment ', 'created at'" in message
    assert "did you mean 'Comment '?" in message
    with pytest.raises(painpoints.InputError) as info:
        resolve_column(df, "zzzz")
    assert "did you mean" not in str(info.value)


def test_resolve_column_ambiguous():
    df = pd.DataFrame(columns=["Text", "TEXT", "other"])
    assert resolve_column(df, "Text") == "Text"
    with pytest.raises(painpoints.InputError, match="ambiguous"):
        resolve_column(df, "text")


def test_a_few_bad_bytes_do_not_turn_a_utf8_file_into_cp1252(tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("id,text\n1,refund of 50€ not received\n2,naïve café refund\n".encode("utf-8")
                      + b"3,Caf\xe9 refund not received\n")
    with pytest.warns(UserWarning, match="1 byte not valid UTF-8"):
        texts = read_table(mixed)["text"].tolist()
    # The UTF-8 rows read as written; only the bad byte is lost.
    assert texts == ["refund of 50€ not received", "naïve café refund", "Caf\ufffd refund not received"]


def test_utf16_with_byte_order_mark(tmp_path):
    path = tmp_path / "excel-unicode.txt"
    path.write_bytes("id\tcomment\n1\tcafé late\n".encode("utf-16"))
    df = read_table(path)
    assert list(df.columns) == ["id", "comment"] and df["comment"].tolist() == ["café late"]


def test_a_long_first_complaint_reads(tmp_path):
    from painpoints.io import iter_table_chunks

    long = "refund not received " * 7000  # 140,000 characters: past csv's default field limit
    path = tmp_path / "long.csv"
    pd.DataFrame({"text": [long, "other complaint"]}).to_csv(path, index=False)
    assert read_table(path)["text"].tolist() == [long, "other complaint"]
    assert pd.concat(iter_table_chunks(path, chunk_rows=1))["text"].tolist() == [long, "other complaint"]


def test_json_values_come_back_as_written(tmp_path):
    lines = tmp_path / "ids.jsonl"
    lines.write_text('{"ticket_id": 1234567890123456789, "text": "my refund was not received", "score": 0.1234567891234}\n'
                     '{"ticket_id": 1234567890123456791, "text": "app crashes at login", "score": 1}\n'
                     '{"ticket_id": null, "text": "card declined", "score": null}\n', encoding="utf-8")
    df = read_table(lines)
    # One null does not turn 19-digit ids into floats that no longer tell them apart.
    assert df["ticket_id"].tolist()[:2] == [1234567890123456789, 1234567890123456791]
    array = tmp_path / "ids.json"
    array.write_text(json.dumps(json.loads("[" + ",".join(lines.read_text().splitlines()) + "]")), encoding="utf-8")
    assert read_table(array)["ticket_id"].tolist()[:2] == [1234567890123456789, 1234567890123456791]
    for out in (tmp_path / "out.jsonl", tmp_path / "out.json", tmp_path / "out.csv"):
        write_table(df, out)
        back = read_table(out)
        if out.suffix == ".csv":
            assert back["ticket_id"].tolist()[:2] == ["1234567890123456789", "1234567890123456791"]
            assert back["score"].tolist()[0] == "0.1234567891234"
        else:
            assert back["ticket_id"].tolist()[:2] == [1234567890123456789, 1234567890123456791]
            assert back["score"].tolist()[0] == 0.1234567891234
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(painpoints.InputError, match="line 2"):
        read_table(bad)


def test_json_reads_raw_tabs_and_carriage_returns_and_any_encoding(tmp_path):
    # A raw tab or carriage return inside a string (JSON wants them escaped;
    # exports write them anyway, and pandas read them): read as written.
    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(b'{"id":1,"comment":"refund\tnot received"}\n{"id":2,"comment":"line one\rline two"}\r\n')
    assert read_table(raw)["comment"].tolist() == ["refund\tnot received", "line one\rline two"]
    whole = tmp_path / "raw.json"
    whole.write_bytes(b'[{"id":1,"comment":"refund\tnot received"}]')
    assert read_table(whole)["comment"].tolist() == ["refund\tnot received"]
    # The encodings CSV files are read in: cp1252, UTF-16 with a BOM.
    for name, data in [("cp.jsonl", '{"comment":"café late"}\n'.encode("cp1252")),
                       ("cp.json", '[{"comment":"café late"}]'.encode("cp1252")),
                       ("u16.json", '[{"comment":"café late"}]'.encode("utf-16"))]:
        path = tmp_path / name
        path.write_bytes(data)
        assert read_table(path)["comment"].tolist() == ["café late"], name


def test_a_file_mixing_cp1252_and_utf8_says_so(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,comment\n1,caf\xc3\xa9\n2,caf\xe9 \x93quoted\x94 \x96 late\n")
    with pytest.warns(UserWarning, match="mixes encodings: read as Windows-1252.*1 character written as UTF-8"):
        texts = read_table(path)["comment"].tolist()
    assert texts[1] == "café “quoted” – late"


def test_a_complaint_that_starts_with_an_equals_sign_stays_text_in_a_workbook(tmp_path):
    # Written as a formula it would be a live link or a computed number.
    import openpyxl

    texts = ['=HYPERLINK("http://example.invalid","click")', "=1+2", "+44 20 7946 0000", "plain"]
    write_table(pd.DataFrame({"text": texts, "n": [1, 2, 3, 4]}), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert [c.value for c in sheet["A"]][1:] == texts
    assert all(c.data_type == "s" for c in sheet["A"])
    assert [c.value for c in sheet["B"]][1:] == [1, 2, 3, 4]  # numbers stay numbers


@pytest.mark.parametrize("name", ["out.csv", "out.parquet", "out.xlsx"])
def test_a_failed_write_leaves_the_file_that_was_there(tmp_path, name):
    import pyarrow  # noqa: F401  (a test dependency)

    path = tmp_path / name
    write_table(pd.DataFrame({"text": ["last month"]}), path)
    before = path.read_bytes()

    class Unwritable:
        def __str__(self) -> str:
            raise RuntimeError("cannot be written")

    with pytest.raises(painpoints.PainpointsError):
        write_table(pd.DataFrame({"text": ["this month", Unwritable()]}), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no half-written file beside it


def test_a_file_of_one_complaint_per_line_warns_that_its_first_line_is_a_header(tmp_path):
    path = tmp_path / "complaints.txt"
    path.write_text("my refund was not received after two weeks\ncard declined at the shop\nparcel late\n")
    with pytest.warns(UserWarning, match="its first line, 'my refund was not received after two weeks', is read as"):
        df = read_table(path)
    assert list(df.columns) == ["my refund was not received after two weeks"] and len(df) == 2
    path.write_text("comment\ncard declined at the shop\nparcel late\n")
    assert read_table(path)["comment"].tolist() == ["card declined at the shop", "parcel late"]  # (no warning)


def test_rows_joined_by_an_unclosed_quote_in_a_tsv_are_warned_about(tmp_path):
    # TSV has no quoting of its own, but is read with CSV's: a complaint that
    # opens with a quote it never closes takes the next rows along.
    path = tmp_path / "export.tsv"
    path.write_text('id\ttext\n1\t"Worst" service ever\n2\t"refund not received\n3\tlate delivery\n'
                    '4\tcard declined "twice"\n5\tanother one\n', encoding="utf-8")
    with pytest.warns(UserWarning, match=r"2 rows may have been read into the field of another, first in row 3"):
        df = read_table(path)
    assert len(df) == 3
    from painpoints.io import iter_table_chunks

    with pytest.warns(UserWarning, match="first in row 3"):
        assert sum(len(c) for c in iter_table_chunks(path, chunk_rows=1)) == 3
    # A complaint quoted over two lines, as spreadsheets save it, is one row, unwarned.
    pd.DataFrame({"id": [1, 2], "text": ["line one\nline two", "ok"]}).to_csv(path, sep="\t", index=False)
    assert read_table(path)["text"].tolist() == ["line one\nline two", "ok"]


def test_a_column_mixing_text_and_numbers_is_written_to_parquet_as_text(tmp_path):
    # Ids read from JSON as 1, "A-2", 3.5 failed the Parquet write, after the
    # whole analysis.
    import pyarrow  # noqa: F401  (a test dependency)

    df = pd.DataFrame({"id": [1, "A-2", 3.5, None], "text": ["a", "b", "c", "d"], "n": [1, 2, 3, 4]})
    write_table(df, tmp_path / "out.parquet")
    back = pd.read_parquet(tmp_path / "out.parquet")
    assert back["id"].tolist()[:3] == ["1", "A-2", "3.5"] and back["id"].isna().tolist()[3]
    assert back["n"].tolist() == [1, 2, 3, 4] and back["text"].tolist() == ["a", "b", "c", "d"]


def test_a_workbook_keeps_long_ids_exact_and_warns_of_cells_excel_cuts(tmp_path):
    import openpyxl

    df = pd.DataFrame({"id": [1234567890123456789, 7], "n": [1, 2], "text": ["x" * 40_000, "short"]})
    with pytest.warns(UserWarning, match="1 cell longer than the 32,767 characters an Excel cell holds, cut there"):
        write_table(df, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert [c.value for c in sheet["A"]][1:] == ["1234567890123456789", "7"]  # as text: Excel would round it
    assert [c.value for c in sheet["B"]][1:] == [1, 2]


def test_a_parquet_index_saved_as_a_column_too_reads_once(tmp_path):
    import pyarrow  # noqa: F401  (a test dependency)

    df = pd.DataFrame({"ticket": ["T1", "T2"], "text": ["a", "b"]})
    df.set_index("ticket", drop=False).to_parquet(tmp_path / "x.parquet")
    back = read_table(tmp_path / "x.parquet")
    assert list(back.columns) == ["ticket", "text"] and back["ticket"].tolist() == ["T1", "T2"]


def test_a_write_keeps_the_files_link_and_permissions_and_its_own_name(tmp_path):
    import gzip
    import os

    real = tmp_path / "models" / "2024-05.csv"
    real.parent.mkdir()
    write_table(pd.DataFrame({"text": ["old"]}), real)
    os.chmod(real, 0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    write_table(pd.DataFrame({"text": ["new"]}), link)
    assert link.is_symlink() and read_table(real)["text"].tolist() == ["new"]
    assert (real.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["2024-05.csv"]
    write_table(pd.DataFrame({"text": ["a"]}), tmp_path / "out.csv.gz")
    with gzip.open(tmp_path / "out.csv.gz") as f:
        assert f.read().decode() == "text\na\n"
    header = (tmp_path / "out.csv.gz").read_bytes()
    assert b"partial" not in header  # the name a gzip file records is its own


def test_a_survey_question_as_the_one_header_is_not_warned_about(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("What could we have done better today?\nfaster delivery\nrefund\n")
    assert read_table(path).columns.tolist() == ["What could we have done better today?"]  # (warnings are errors)
