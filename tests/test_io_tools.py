"""Exports of every survey tool and shape drop in: the prepared data equal the Google Forms original.

Each test writes the same answers as a Google Forms CSV (the reference) and as another tool or
format would, prepares both and asserts frame equality (``source_row`` — where the row sits in
the raw file — and the tool's own pseudonymous ``respondent_id`` aside). Raw files are hashed
before and after: never modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pandas as pd
import pytest
import survey_files as sf
import yaml

from analysis.cli import main
from analysis.codebook import load_codebook
from analysis.errors import SurveyDataError, SurveyUsageError
from analysis.ingest import read_export
from analysis.prepare import prepare
from analysis.validate import validate_export, validate_report

CB = load_codebook()
START = dt.datetime(2022, 3, 16, 8, 0, 12)  # a day above 12: US dates unambiguous
SKIP_COLS = ("respondent_id", "source_row")


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def recs():
    return sf.respondents(2022, 12, seed=5, start=START)


@pytest.fixture
def reference(tmp_path, recs):
    path = sf.write_csv(tmp_path / "google.csv", sf.gforms_header(2022), sf.gforms_rows(2022, recs))
    return prepare(path, 2022).data


def assert_same(path, reference, *, ids=True, **kw):
    before = _sha(path)
    got = prepare(path, 2022, **kw).data
    cols = [c for c in reference.columns if c not in SKIP_COLS]
    pd.testing.assert_frame_equal(got[cols], reference[cols])
    if ids:
        assert got["respondent_id"].tolist() == reference["respondent_id"].tolist()
    assert _sha(path) == before
    return got


def errors(problems):
    return [p for p in problems if p.is_error]


# ---- SPSS -------------------------------------------------------------------------------


def test_sav_imported_from_csv_matched_by_variable_labels(tmp_path, recs, reference):
    path = sf.write_sav_from_csv_import(tmp_path / "import.sav", 2022, recs)
    assert errors(validate_export(path, 2022)) == []
    assert_same(path, reference)


def test_sav_with_own_names_matched_by_labels(tmp_path, recs, reference):
    recs[0]["q2_relevance"] = "Non so"  # user-missing 99
    path = sf.write_sav_own_names(tmp_path / "own.sav", 2022, recs)
    ref = sf.write_csv(tmp_path / "ref.csv", sf.gforms_header(2022), sf.gforms_rows(2022, recs))
    assert errors(validate_export(path, 2022)) == []
    assert_same(path, prepare(ref, 2022).data)


# ---- Qualtrics --------------------------------------------------------------------------


def test_qualtrics_three_header_rows(tmp_path, recs, reference):
    path = sf.write_qualtrics_csv(tmp_path / "qualtrics.csv", 2022, recs)
    problems, notes = validate_report(path, 2022)
    assert errors(problems) == [], [str(p) for p in problems]
    assert any("Qualtrics export with three header rows" in n for n in notes)
    got = assert_same(path, reference, ids=False)
    assert got["respondent_id"].iloc[0] == "2022-R_0001abcdEFGH"  # ResponseId: pseudonymous, kept
    raw = read_export(path, 2022)
    flat = " ".join(map(str, raw.table.to_numpy().ravel()))
    assert "10.1.2." not in flat and "Rossi" not in flat and "@" not in flat and "45.46" not in flat


def test_qualtrics_survey_preview_is_a_test_row(tmp_path, recs, reference):
    headers, rows = sf.qualtrics_table(2022, recs + [recs[0]])
    rows[-1][2] = "Survey Preview"
    path = sf.write_csv(tmp_path / "q.csv", headers[0], headers[1:] + rows, encoding="utf-8-sig")
    assert read_export(path, 2022).is_test.tolist() == [False] * len(recs) + [True]
    assert_same(path, reference, ids=False)


def test_qualtrics_with_a_mapping_by_import_id(tmp_path, recs, reference):
    # the question texts were edited in Qualtrics: the ImportIds still say which question is which
    def text_of(var):
        return f"{var.text_it} (rev. 2)" if var.name in ("q2_relevance", "role") else var.text_it

    path = sf.write_qualtrics_csv(tmp_path / "q.csv", 2022, recs, text_of=text_of)
    missing = errors(validate_export(path, 2022))
    assert {p.column for p in missing} == {CB["q2_relevance"].text_it, CB["role"].text_it}
    assert all("nearly matches" in p.message for p in missing)
    mapping = tmp_path / "map.yaml"
    q_role = 1 + [v.name for v in CB.variables_for(2022)].index("role")
    q_rel = 1 + [v.name for v in CB.variables_for(2022)].index("q2_relevance")
    mapping.write_text(yaml.safe_dump({"columns": {f"QID{q_role}": "role", f"QID{q_rel}": "q2_relevance"}}))
    assert errors(validate_export(path, 2022, mapping=mapping)) == []
    assert_same(path, reference, ids=False, mapping=mapping)


# ---- SurveyMonkey ------------------------------------------------------------------------


def test_surveymonkey_two_header_rows(tmp_path, recs, reference):
    path = sf.write_surveymonkey_csv(tmp_path / "monkey.csv", 2022, recs)
    problems, notes = validate_report(path, 2022)
    assert errors(problems) == [], [str(p) for p in problems]
    assert any("SurveyMonkey export with two header rows" in n for n in notes)
    got = assert_same(path, reference, ids=False)
    assert got["respondent_id"].iloc[0] == "2022-11000000000"


# ---- LimeSurvey -------------------------------------------------------------------------


def test_limesurvey_full_texts_without_mapping(tmp_path, recs, reference):
    path = sf.write_limesurvey_csv(tmp_path / "lime.csv", 2022, recs, full_text=True)
    problems, notes = validate_report(path, 2022)
    assert errors(problems) == [], [str(p) for p in problems]
    assert any("LimeSurvey" in n for n in notes)
    assert_same(path, reference)


def test_limesurvey_incomplete_response_says_what_to_export(tmp_path, recs):
    path = sf.write_limesurvey_csv(tmp_path / "lime.csv", 2022, recs, full_text=True)
    text = path.read_text(encoding="utf-8").splitlines()
    cells = text[3].split(",")
    cells[1] = ""  # no submitdate: the respondent stopped half-way
    text[3] = ",".join(cells)
    path.write_text("\r\n".join(text) + "\r\n", encoding="utf-8")
    (p,) = errors(validate_export(path, 2022))
    assert p.row == 4 and "incomplete response" in p.message and "Completed responses only" in p.message


def test_limesurvey_codes_need_a_mapping_and_map_round_trip(tmp_path, recs, reference, capsys):
    path = sf.write_limesurvey_csv(tmp_path / "lime.csv", 2022, recs)
    with pytest.raises(SurveyDataError, match="a LimeSurvey export, but no column.*softskills map"):
        read_export(path, 2022)
    # softskills map writes the starting mapping: bookkeeping filled, every question code listed
    assert main(["map", str(path), "--year", "2022"]) == 0
    out = capsys.readouterr().out
    draft = tmp_path / "lime.mapping.yaml"
    assert f"wrote {draft}" in out and "unmatched: G1Q01" in out
    spec = yaml.safe_load(draft.read_text(encoding="utf-8"))
    assert spec["columns"]["submitdate"] == "timestamp" and spec["columns"]["ipaddr"] == "personal"
    assert spec["columns"]["id"] == "respondent_id"
    todo = [k for k, v in spec["columns"].items() if v is None]
    assert todo == spec["unmatched"] == list(sf.limesurvey_codes(2022))
    # the researcher's one edit: fill in the nulls
    spec["columns"].update(sf.limesurvey_mapping(2022))
    draft.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(path), "--year", "2022", "--map", str(draft)]) == 0
    assert_same(path, reference, mapping=draft)
    source = prepare(path, 2022).source  # the mapping next to the export is an input, hashed like it
    assert source["mapping"] == "lime.mapping.yaml" and source["mapping_sha256"] == _sha(draft)
    # the mapping next to the export is used without --map (a build preparing data/raw/YEAR.csv)
    problems, notes = validate_report(path, 2022)
    assert errors(problems) == [] and any("lime.mapping.yaml found next to the export" in n for n in notes)
    # a second `map` does not overwrite the edited file
    assert main(["map", str(path), "--year", "2022"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_mapping_entry_matching_no_column_is_a_warning(tmp_path, gforms_csv):
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  Qual è il tuo ruolo??: role\n", encoding="utf-8")
    (w,) = validate_export(gforms_csv, 2020, mapping=m)
    assert w.severity == "warning" and "'Qual è il tuo ruolo??' matches no column" in w.message


def test_bad_mapping_file_is_a_usage_error_naming_the_entry(tmp_path, gforms_csv, capsys):
    bad = tmp_path / "m.yaml"
    bad.write_text("columns:\n  Q9: q99_unknown\n", encoding="utf-8")
    with pytest.raises(SurveyUsageError, match=r"m.yaml, column 'Q9': 'q99_unknown' is no variable"):
        validate_export(gforms_csv, 2020, mapping=bad)
    bad.write_text("columns:\n  Q2: {variable: q2_relevance, values: {A1: 7}}\n", encoding="utf-8")
    assert main(["validate", str(gforms_csv), "--year", "2020", "--map", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "7 is no code of 'q2_relevance'" in err and "Traceback" not in err


# ---- Microsoft Forms ----------------------------------------------------------------------


def test_msforms_italian_interface(tmp_path, recs, reference):
    path = sf.write_msforms_variant(tmp_path / "it.xlsx", 2022, recs, italian=True)
    problems = validate_export(path, 2022)
    assert problems == [], [str(p) for p in problems]
    raw = read_export(path, 2022)
    assert {"timestamp", "start_time", "respondent_id"} <= set(raw.table.columns)
    assert raw.person.notna().all()
    assert_same(path, reference)


def test_msforms_anonymous_has_no_same_email_warnings(tmp_path, recs, reference):
    twice = recs + [dict(recs[0], _ts=recs[0]["_ts"] + dt.timedelta(hours=1))]
    path = sf.write_msforms_variant(tmp_path / "anon.xlsx", 2022, twice, anonymous=True)
    problems, notes = validate_report(path, 2022)
    assert not [p for p in problems if "same email" in p.message]
    assert any("anonymous form" in n for n in notes)
    assert read_export(path, 2022).person.isna().all()


def test_answers_on_a_later_sheet(tmp_path, recs, reference, capsys):
    path = sf.write_msforms_variant(tmp_path / "sheets.xlsx", 2022, recs, sheets_before=2)
    problems, notes = validate_report(path, 2022)
    assert problems == []
    assert any("read sheet 'Form1'" in n and "--sheet" in n for n in notes)
    assert_same(path, reference)
    assert main(["validate", str(path), "--year", "2022", "--sheet", "Nope"]) == 2
    err = capsys.readouterr().err
    assert "no sheet 'Nope'" in err and "'Form1'" in err


# ---- whole-file messages -------------------------------------------------------------------


def test_html_page_saved_as_csv(tmp_path, capsys):
    path = tmp_path / "2020.csv"
    path.write_text("<!DOCTYPE html>\n<html lang=en><head><title>Google Forms - sign in</title></head><body>", "utf-8")
    (p,) = validate_export(path, 2020)
    assert "HTML web page" in p.message and "Google Forms - sign in" in p.message and "empty" not in p.message
    assert main(["validate", str(path), "--year", "2020"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_pdf_named_csv(tmp_path):
    path = tmp_path / "2020.csv"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (p,) = validate_export(path, 2020)
    assert "PDF document" in p.message


def test_google_download_zip_reads_the_csv_inside(tmp_path, recs, reference):
    google = sf.write_csv(tmp_path / "g.csv", sf.gforms_header(2022), sf.gforms_rows(2022, recs))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(google, "Le soft skill nel customer service.csv")
    path = tmp_path / "responses.csv"  # renamed zip
    path.write_bytes(buf.getvalue())
    problems, notes = validate_report(path, 2022)
    assert problems == []
    assert any("zip archive" in n and "Le soft skill" in n for n in notes)
    assert_same(path, reference)


def test_zip_with_two_csvs_says_which(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", "x\n1\n")
        z.writestr("b.csv", "y\n2\n")
    path = tmp_path / "x.zip"
    path.write_bytes(buf.getvalue())
    (p,) = validate_export(path, 2020)
    assert "2 CSV files" in p.message and "'a.csv'" in p.message


def test_near_twin_header_shown_in_full_with_the_difference(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    q2 = CB["q2_relevance"].text_it
    twin = q2.replace("soft skill", "soft skills")
    header[header.index(q2)] = twin
    problems = validate_export(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020)
    (err,) = errors(problems)
    assert err.column == q2 and twin in err.message and q2 in err.message
    assert "«s»" in err.message  # the differing part
    (warn,) = [p for p in problems if p.column == twin]
    assert "nearly the question 'q2_relevance'" in warn.message


# ---- codes among labels -----------------------------------------------------------------------


def test_codes_among_labels_accepted_with_one_warning_per_column(tmp_path, gforms_table):
    header, rows, recs = gforms_table(n=20)
    col = header.index(CB["q2_relevance"].text_it)
    for i in (2, 5, 9):
        rows[i][col] = "4"
    path = sf.write_csv(tmp_path / "2020.csv", header, rows)
    problems = validate_export(path, 2020)
    (w,) = problems
    assert w.severity == "warning" and w.row is None and w.column == CB["q2_relevance"].text_it
    assert "3 cell(s) given as codes" in w.message and "4 = Molto" in w.message
    data = prepare(path, 2020).data
    assert data.loc[[2, 5, 9], "q2_relevance"].tolist() == [4, 4, 4]


# ---- no traceback for any of these, raw files untouched ------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"<html><body>Sign in</body></html>", b"%PDF-1.4", b"PK\x03\x04garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xx",
     b"", b"just some words\nand more\n"],
    ids=["html", "pdf", "broken-zip", "xls", "empty", "text"],
)
def test_cli_whole_file_mistakes_exit_1_without_traceback(tmp_path, capsys, content):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    before = _sha(path)
    for cmd in (["validate", str(path)], ["prepare", "--input", str(path), "--output-dir", str(tmp_path / "o")],
                ["map", str(path), "--out", str(tmp_path / "m.yaml")]):
        code = main([*cmd, "--year", "2022"])
        err = capsys.readouterr().err
        # `map` lists the columns of any text table, even one that is no survey: nothing to refuse
        assert code == (0 if cmd[0] == "map" and content.startswith(b"just") else 1), (cmd, err)
        assert "Traceback" not in err
    assert _sha(path) == before
    assert not (tmp_path / "o").exists()


def test_damaged_exports_never_end_in_a_traceback(tmp_path, recs, capsys):
    """Cut, overwritten or re-delimited copies of real exports: exit 0/1/2 with a message, never an exception."""
    import random

    rng = random.Random(11)
    originals = [
        sf.write_csv(tmp_path / "g.csv", sf.gforms_header(2022), sf.gforms_rows(2022, recs[:6])).read_bytes(),
        sf.write_qualtrics_csv(tmp_path / "q.csv", 2022, recs[:6]).read_bytes(),
        sf.write_msforms_variant(tmp_path / "m.xlsx", 2022, recs[:6]).read_bytes(),
        sf.write_sav_own_names(tmp_path / "s.sav", 2022, recs[:6]).read_bytes(),
    ]
    for i in range(24):
        b = bytearray(originals[i % 4])
        op = rng.randrange(3)
        if op == 0:
            b = b[: rng.randrange(len(b))]
        elif op == 1:
            for _ in range(rng.randrange(1, 20)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        else:
            pos = rng.randrange(len(b))
            b[pos:pos] = rng.choice([b",", b";", b"\n", b'"', b"\x00"]) * rng.randrange(1, 4)
        path = tmp_path / f"f{i}{rng.choice(['.csv', '.xlsx', '.sav'])}"
        path.write_bytes(bytes(b))
        assert main(["validate", str(path), "--year", "2022"]) in (0, 1, 2)
        assert "Traceback" not in capsys.readouterr().err


def test_build_cache_follows_the_mapping_next_to_the_export(tmp_path, gforms_csv):
    """The build caches the prepared year by its inputs: the mapping file prepare reads is one of them."""
    from analysis.processed import cache_dir

    bare = cache_dir(gforms_csv, 2020)
    mapping = gforms_csv.with_name("2020.mapping.yaml")
    mapping.write_text("columns:\n  Indirizzo email: personal\n", encoding="utf-8")
    first = cache_dir(gforms_csv, 2020)
    mapping.write_text("columns:\n  Indirizzo email: ignore\n", encoding="utf-8")
    assert len({bare, first, cache_dir(gforms_csv, 2020)}) == 3


def test_cli_prepare_a_surveymonkey_export(tmp_path, recs, capsys):
    path = sf.write_surveymonkey_csv(tmp_path / "monkey.csv", 2022, recs)
    before = _sha(path)
    assert main(["prepare", "--year", "2022", "--input", str(path), "--output-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert "note: this looks like a SurveyMonkey export" in out.out and out.err == ""
    assert (tmp_path / "out" / "2022.parquet").exists() and _sha(path) == before
