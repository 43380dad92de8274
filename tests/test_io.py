"""Readers: every format, encoding and delimiter; header / answer normalisation; personal data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import survey_files as sf

from analysis.codebook import load_codebook
from analysis.errors import SurveyDataError, SurveyUsageError
from analysis.io import code_answers, detect_format, normalize_text, read_export, split_multiple

CB = load_codebook()
Q1 = CB["q1_skills"]


def coded(path, year=2020, **kw):
    raw = read_export(path, year, **kw)
    out = code_answers(raw)
    assert out.problems == [], [str(p) for p in out.problems]
    return raw, out.data


def expected_codes(recs, var):
    lab = {o.it: o.code for o in var.options}
    lab.update({o.it: o.code for o in ([var.other] if var.other else [])})
    return [lab.get(r[var.name]) for r in recs]


# ---- CSV: encodings and delimiters ----------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings(tmp_path, gforms_table, encoding):
    header, rows, recs = gforms_table()
    path = sf.write_csv(tmp_path / "x.csv", header, rows, encoding=encoding)
    raw, data = coded(path)
    assert raw.encoding == encoding and raw.delimiter == "," and raw.format == "csv"
    assert list(raw.table.index) == list(range(2, 22))
    for name in ("role", "sector", "q3_soft_vs_hard", "q5_assessment"):
        assert data[name].tolist() == expected_codes(recs, CB[name]), name
    # accented labels decoded exactly ("Più importanti", "Sì", "Pubblica amministrazione e sanità")
    for name in ("q3_soft_vs_hard", "q4_policies", "sector"):
        assert raw.table[name].tolist() == [r[name] for r in recs]


def test_csv_semicolon_and_decimal_comma(tmp_path, gforms_table):
    header, rows, recs = gforms_table(year=2022)
    battery = [i for i, h in enumerate(header) if h.endswith("]")]
    assert len(battery) == 12
    for row in rows:
        for i in battery:
            row[i] = f"{row[i]},0"  # Excel re-save: decimal comma
    path = sf.write_csv(tmp_path / "x.csv", header, rows, delimiter=";")
    raw, data = coded(path, 2022)
    assert raw.delimiter == ";"
    col = CB["q7_skill_relevance"].column_for("empathy")
    assert data[col].tolist() == [int(r[col]) for r in recs]
    assert data[col].dtype == CB["q7_skill_relevance"].dtype()
    # the multiple-choice cells (", " joined) still split in a ';' file
    truth = [("Flessibilità, capacità di adattamento" in r["q1_skills"]) for r in recs]
    assert data["q1_skills__flexibility"].tolist() == truth


def test_csv_tab_delimited(tmp_path, gforms_table):
    header, rows, recs = gforms_table()
    path = sf.write_csv(tmp_path / "x.tsv", header, rows, delimiter="\t")
    raw, data = coded(path)
    assert raw.delimiter == "\t"
    assert data["role"].tolist() == expected_codes(recs, CB["role"])


def test_headers_and_answers_normalised(tmp_path, gforms_table):
    header, rows, recs = gforms_table()
    # curly apostrophe, upper case, non-breaking spaces, surrounding blanks
    header = [
        ("  " + h.upper().replace(" ", "\u00a0") + " ").replace("'", "\u2019") for h in header
    ]
    for row in rows:
        row[2] = f"  {row[2].upper()}\u00a0"  # role
        row[4] = row[4].replace("'", "\u2019")
    path = sf.write_csv(tmp_path / "x.csv", header, rows)
    raw, data = coded(path)
    assert not raw.problems
    assert data["role"].tolist() == expected_codes(recs, CB["role"])


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=3)
    rows.insert(1, [""] * len(header))
    path = sf.write_csv(tmp_path / "x.csv", header, rows)
    raw = read_export(path, 2020)
    assert list(raw.table.index) == [2, 4, 5]


def test_multiline_cell_counts_as_one_row(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=3)
    rows[0][6] = "Da 2 a 5\nanni"  # experience, a line break inside a quoted cell
    path = sf.write_csv(tmp_path / "x.csv", header, rows)
    raw, data = coded(path)
    assert list(raw.table.index) == [2, 3, 4]
    assert data.loc[2, "experience"] == "2_5"


# ---- multiple choice ------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "Empatia, Flessibilità, capacità di adattamento, Pazienza",
        "Empatia;Flessibilità, capacità di adattamento;Pazienza;",
        "Flessibilità, capacità di adattamento ; Pazienza ;Empatia",
        "  empatia,FLESSIBILITÀ, CAPACITÀ DI ADATTAMENTO,pazienza  ",
    ],
)
def test_split_multiple_longest_label_first(cell):
    codes, unknown = split_multiple(cell, Q1)
    assert codes == ["empathy", "patience", "flexibility"]  # codebook order
    assert unknown == []


def test_split_multiple_label_alone_and_unknowns():
    assert split_multiple("Flessibilità, capacità di adattamento", Q1) == (["flexibility"], [])
    assert split_multiple("Flessibilità", Q1) == ([], ["Flessibilità"])
    assert split_multiple("Empatia, Telepatia, Pazienza", Q1) == (["empathy", "patience"], ["Telepatia"])
    # English labels are accepted too
    assert split_multiple("Empathy; Teamwork", Q1) == (["empathy", "teamwork"], [])


def test_normalize_text():
    assert normalize_text("\u201cMolto\u201d\u00a0") == '"molto"'
    assert normalize_text("L\u2019azienda") == normalize_text("l'AZIENDA")
    assert normalize_text("4,0") == "4" and normalize_text(4.0) == "4" and normalize_text("4.50") == "4.50"
    assert normalize_text("Qual e\u0300") == normalize_text("Qual è")  # NFD vs NFC


# ---- XLSX (Microsoft Forms) -----------------------------------------------------------


def test_xlsx_microsoft_forms(tmp_path, gforms_table):
    _, _, recs = gforms_table(year=2022)
    recs[3]["q1_skills"] = ["Flessibilità, capacità di adattamento", "Negoziazione"]
    path = sf.write_msforms_xlsx(tmp_path / "x.xlsx", 2022, recs)
    raw, data = coded(path, 2022)
    assert raw.format == "xlsx"
    assert "Email" not in raw.table and "personal" not in raw.table
    assert set(raw.table.columns) >= {"respondent_id", "start_time", "timestamp"}
    assert list(raw.table.index) == list(range(2, 22))
    assert data["q5_assessment"].tolist() == expected_codes(recs, CB["q5_assessment"])
    assert data.loc[5, "q1_skills__flexibility"] and data.loc[5, "q1_skills__negotiation"]
    assert data.loc[5, ["q1_skills__empathy", "q1_skills__patience"]].tolist() == [False, False]
    col = CB["q7_skill_relevance"].column_for("teamwork")
    assert data[col].tolist() == [int(r[col]) for r in recs]


def test_format_detected_by_content_not_extension(tmp_path, gforms_table):
    _, _, recs = gforms_table(n=5)
    xlsx = sf.write_msforms_xlsx(tmp_path / "export.dat", 2020, recs)
    assert detect_format(xlsx) == "xlsx"
    header, rows, _ = gforms_table(n=5)
    csv_txt = sf.write_csv(tmp_path / "export.txt", header, rows)
    assert detect_format(csv_txt) == "csv"
    assert read_export(xlsx, 2020).n_rows == 5


# ---- SPSS ----------------------------------------------------------------------------


def test_sav_value_labels_and_user_missing(tmp_path, gforms_table):
    _, _, recs = gforms_table(year=2022)
    recs[0]["q2_relevance"] = "Non so"  # written as user-missing code 9
    recs[1]["q4_policies"] = None
    recs[2]["q1_skills"] = None
    path = sf.write_sav(tmp_path / "x.sav", 2022, recs)
    raw, data = coded(path, 2022)
    assert raw.format == "sav"
    assert pd.isna(data.loc[2, "q2_relevance"]) and bool(data.loc[2, "q2_relevance_dk"])
    assert not data["q2_relevance_dk"].iloc[1:].any()
    assert pd.isna(data.loc[3, "q4_policies"]) and not data.loc[3, "q4_policies_dk"]
    assert data.loc[4, Q1.columns].isna().all()
    expect = [None if r["q1_skills"] is None else ("Empatia" in r["q1_skills"]) for r in recs]
    assert [None if pd.isna(v) else bool(v) for v in data["q1_skills__empathy"]] == expect
    # answer order from the codebook (never alphabetical)
    assert list(data["q3_soft_vs_hard"].cat.categories) == [1, 2, 3, 4, 5]
    assert list(data["experience"].cat.categories) == ["lt2", "2_5", "6_10", "gt10"]
    assert data["experience"].cat.ordered
    assert data["q5_assessment"].tolist()[3:] == expected_codes(recs, CB["q5_assessment"])[3:]


def test_sav_value_labels_in_another_order(tmp_path, gforms_table):
    """Codes numbered in reverse: the labels decide, and a warning says the order differs."""
    import pyreadstat

    _, _, recs = gforms_table(n=6)
    var = CB["q3_soft_vs_hard"]
    labels = {float(6 - k): o.it for k, o in enumerate(var.options, start=1)}  # 5 = "Molto meno"
    rev = {lab: k for k, lab in labels.items()}
    df = pd.DataFrame(
        {
            "submitted_at": [r["_ts"] for r in recs],
            "q3_soft_vs_hard": [rev[r["q3_soft_vs_hard"]] for r in recs],
        }
    )
    path = tmp_path / "rev.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"q3_soft_vs_hard": labels})
    raw = read_export(path, 2020)
    data = code_answers(raw).data
    assert data["q3_soft_vs_hard"].tolist() == expected_codes(recs, var)
    assert any("order the answers differently" in p.message for p in raw.problems)


# ---- personal data ---------------------------------------------------------------------


def test_personal_data_dropped_in_reader(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=4)
    header = header + ["Nome e cognome", "Indirizzo IP"]
    q5 = header.index(CB["q5_assessment"].text_it)
    for i, row in enumerate(rows):
        row += [f"Mario Rossi{i}", f"10.0.0.{i}"]
    rows[1][q5] = "Chiedo ai clienti cosa pensano"
    rows[2][1] = "test@esempio.it"
    rows[3][q5] = "una prova"
    path = sf.write_csv(tmp_path / "x.csv", header, rows)
    raw = read_export(path, 2020)
    flat = raw.table.astype(str).to_numpy().ravel().tolist()
    assert not any("@" in v or "Rossi" in v or "10.0.0" in v or "Chiedo" in v for v in flat)
    assert raw.table.loc[3, "q5_assessment"] == "Altro"
    assert raw.is_test.tolist() == [False, False, True, True]
    assert raw.person.notna().all() and raw.person.nunique() == 4
    kept = read_export(path, 2020, keep_free_text=True)
    assert kept.table.loc[3, "q5_assessment_other"] == "Chiedo ai clienti cosa pensano"
    assert pd.isna(kept.table.loc[2, "q5_assessment_other"])


@pytest.mark.parametrize(
    ("email", "is_test"),
    [
        ("test@example.it", True),
        ("TEST1@example.it", True),
        ("prova.rossi@example.it", True),
        ("mario.testa@example.it", False),
        ("protesta@example.it", False),
        ("attestato@example.it", False),
    ],
)
def test_test_markers_are_whole_words(tmp_path, gforms_table, email, is_test):
    header, rows, _ = gforms_table(n=2)
    rows[0][1] = email
    path = sf.write_csv(tmp_path / "x.csv", header, rows)
    assert read_export(path, 2020).is_test.tolist() == [is_test, False]


# ---- usage errors -----------------------------------------------------------------------


def test_missing_file_and_unknown_year(tmp_path, gforms_csv):
    with pytest.raises(SurveyUsageError, match="not found"):
        read_export(tmp_path / "nope.csv", 2020)
    with pytest.raises(SurveyUsageError, match="1999"):
        read_export(gforms_csv, 1999)


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("Informazioni cronologiche,Qual è il tuo ruolo?\n", encoding="utf-8")
    with pytest.raises(SurveyDataError, match="not an XLSX workbook"):
        read_export(bad, 2020)


def test_corrupt_zip_named_xlsx(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"PK\x03\x04" + bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)))
    with pytest.raises(SurveyDataError, match="cannot be read as an XLSX"):
        read_export(bad, 2020)


def test_ingest_docstring_examples():
    """The examples in the ingest modules' docstrings run as written."""
    import doctest
    import importlib

    for name in ("text", "fields", "sniff", "dates", "mapping", "scrub", "code", "tools"):
        mod = importlib.import_module(f"analysis.ingest.{name}")
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name


def test_pipeline_map_in_the_docstring_names_real_modules_in_code_order():
    """The map in analysis.ingest's docstring lists modules that exist, in the order the pipeline runs them."""
    import importlib
    import inspect
    import re

    import analysis.ingest as ingest
    from analysis.ingest import pipeline

    steps = re.findall(r"^\s+(?:file )?─▶ (\w+)", ingest.__doc__, re.M)
    assert steps[:8] == ["sniff", "read", "tools", "map", "scrub", "code", "checks", "duplicates"]
    for mod in re.findall(r"\(\.(\w+)", ingest.__doc__) + re.findall(r", \.(\w+)", ingest.__doc__):
        importlib.import_module(f"analysis.ingest.{mod}")
    first = inspect.getsource(pipeline.read_table_of)
    order = [first.index(s) for s in ("sniff(path)", "read_table(path", "apply_tool(")]
    assert order == sorted(order)
    then = inspect.getsource(pipeline.read_export)
    order = [then.index(s) for s in ("read_table_of(path", "map_columns(", "scrub(")]
    assert order == sorted(order)
    check = inspect.getsource(pipeline.check)
    order = [check.index(s) for s in ("code_answers(", "check_timestamps(", "find_duplicates(")]
    assert order == sorted(order)
