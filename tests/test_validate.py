"""Validation: every bad-input case is reported with file, row, column, value and expectation."""

from __future__ import annotations

import datetime as dt

import pytest
import survey_files as sf

from analysis.codebook import load_codebook
from analysis.errors import Problem, SurveyUsageError, shorten_header
from analysis.validate import validate_export

CB = load_codebook()
Q2 = CB["q2_relevance"].text_it
Q1 = CB["q1_skills"].text_it
TS = "Informazioni cronologiche"


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def write(tmp_path, header, rows, name="2020.csv", **kw):
    return sf.write_csv(tmp_path / name, header, rows, **kw)


def test_valid_file_has_no_problems(gforms_csv):
    assert validate_export(gforms_csv, 2020) == []


def test_problem_str_matches_the_documented_form():
    p = Problem(
        "error", "2020.csv", 17, "Quanto ritieni…", "Moltissimo!", "Per niente, Poco, Abbastanza, Molto, Moltissimo",
        '"Moltissimo!" is not one of: Per niente, Poco, Abbastanza, Molto, Moltissimo',
    )
    assert str(p) == (
        '2020.csv, row 17, column "Quanto ritieni…": "Moltissimo!" is not one of: '
        "Per niente, Poco, Abbastanza, Molto, Moltissimo"
    )
    assert shorten_header("x" * 100 + " [Empatia]", 40).endswith("… [Empatia]")


def test_unknown_answer_label(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    col = header.index(Q2)
    rows[15][col] = "Moltissimo!"  # spreadsheet row 17
    problems = validate_export(write(tmp_path, header, rows), 2020)
    assert len(problems) == 1
    p = problems[0]
    assert (p.severity, p.file, p.row, p.column, p.value) == ("error", "2020.csv", 17, Q2, "Moltissimo!")
    assert str(p) == (
        f'2020.csv, row 17, column "{shorten_header(Q2)}": "Moltissimo!" is not one of: '
        "Per niente, Poco, Abbastanza, Molto, Moltissimo, Non so"
    )


def test_every_problem_is_reported_not_just_the_first(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[0][header.index(Q2)] = "Tanto"
    rows[4][header.index(Q2)] = "Tanto"
    rows[9][header.index(CB["role"].text_it)] = "Stagista"
    rows[12][0] = "ieri"
    problems = validate_export(write(tmp_path, header, rows), 2020)
    got = [(p.row, p.column, p.value) for p in errors(problems)]
    assert got == [(2, Q2, "Tanto"), (6, Q2, "Tanto"), (11, CB["role"].text_it, "Stagista"), (14, TS, "ieri")]


def test_empty_file(tmp_path):
    path = tmp_path / "2020.csv"
    path.write_bytes(b"")
    (p,) = validate_export(path, 2020)
    assert p.is_error and p.file == "2020.csv" and "empty file" in str(p)


def test_blank_file(tmp_path):
    path = tmp_path / "2020.csv"
    path.write_text("\n\n  \n", encoding="utf-8")
    (p,) = validate_export(path, 2020)
    assert "empty file" in str(p)


def test_header_only(tmp_path, gforms_table):
    header, _, _ = gforms_table()
    problems = validate_export(write(tmp_path, header, []), 2020)
    assert [p.message for p in errors(problems)] == ["header only: the file has no answers"]


def test_required_column_missing(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    col = header.index(Q2)
    header.pop(col)
    for r in rows:
        r.pop(col)
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.is_error and p.row == 1 and p.column == Q2
    assert "required column missing" in str(p) and "q2_relevance" in str(p)


def test_unknown_extra_column_is_a_warning_and_left_out(tmp_path, gforms_table):
    from analysis.io import read_export

    header, rows, _ = gforms_table()
    header.append("Commenti liberi")
    for r in rows:
        r.append("ottimo questionario")
    path = write(tmp_path, header, rows)
    (p,) = validate_export(path, 2020)
    assert p.severity == "warning" and p.column == "Commenti liberi" and p.row == 1
    assert "left out" in str(p)
    raw = read_export(path, 2020)
    assert "ottimo questionario" not in raw.table.astype(str).to_numpy()


def test_question_of_another_version_is_a_warning(tmp_path, gforms_table):
    header, rows, _ = gforms_table(year=2022)
    for r in rows:
        r[0] = r[0].replace("/2022 ", "/2021 ")
    problems = validate_export(write(tmp_path, header, rows), 2021)  # 2021 has no battery
    assert len(problems) == 12 and all(p.severity == "warning" for p in problems)
    assert all("not part of questionnaire version 2020" in p.message for p in problems)


def test_battery_required_in_2022(tmp_path, gforms_table):
    header, rows, _ = gforms_table(year=2022)
    keep = [i for i, h in enumerate(header) if not h.endswith("]")]
    header = [header[i] for i in keep]
    rows = [[r[i] for i in keep] for r in rows]
    problems = validate_export(write(tmp_path, header, rows), 2022)
    assert len(errors(problems)) == 12
    assert errors(problems)[0].column.endswith("[Empatia]")


def test_multiple_choice_unknown_option(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    col = header.index(Q1)
    rows[7][col] = "Empatia, Telepatia, Flessibilità, capacità di adattamento"  # row 9
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.is_error and p.row == 9 and p.column == Q1
    assert p.value == "Empatia, Telepatia, Flessibilità, capacità di adattamento"
    assert '"Telepatia" is not an option' in p.message and "Ascolto attivo" in p.message
    assert "row 9" in str(p) and "Quali sono, secondo te" in str(p)


def test_duplicated_respondent_id(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    header = ["ID", *header]
    for i, r in enumerate(rows, start=1):
        r.insert(0, str(i))
    rows[10][0] = "3"  # row 12 reuses the ID of row 4
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.is_error and p.row == 12 and p.column == "ID" and p.value == "3"
    assert "duplicated respondent" in p.message and "row 4" in p.message


def test_unparseable_timestamp(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[3][0] = "31/02/2020 10.00.00"  # no 31 February
    rows[5][0] = "marzo"
    problems = validate_export(write(tmp_path, header, rows), 2020)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (5, TS, "31/02/2020 10.00.00"),
        (7, TS, "marzo"),
    ]
    assert "is not a date and time" in problems[0].message and "16/03/2020 8.00.12" in problems[0].expected


def test_missing_timestamp(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[2][0] = ""
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.row == 4 and p.column == TS and "empty timestamp" in p.message


def test_timestamp_outside_survey_year(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[0][0] = "12/03/2019 10.22.31"
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.is_error and p.row == 2 and p.column == TS and p.value == "12/03/2019 10.22.31"
    assert "outside the survey year 2020" in str(p)


def test_whole_file_in_the_wrong_year(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    problems = validate_export(write(tmp_path, header, rows), 2021)
    assert len(problems) == 20 and all("outside the survey year 2021" in p.message for p in problems)


def test_binary_file(tmp_path):
    path = tmp_path / "2020.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (p,) = validate_export(path, 2020)
    assert p.is_error and p.file == "2020.csv" and "binary file" in p.message


def test_non_tabular_text_file(tmp_path):
    path = tmp_path / "2020.csv"
    path.write_text("Caro collega,\nti mando le risposte del questionario.\nA presto!\n", encoding="utf-8")
    problems = validate_export(path, 2020)
    assert errors(problems)
    assert "not a survey export" in errors(problems)[-1].message


def test_truncated_last_line(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    path = write(tmp_path, header, rows)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 2 - len(",".join(rows[-1][-4:]))])  # cut the last record
    problems = validate_export(path, 2020)
    (p,) = [p for p in errors(problems) if "fields" in p.message]
    assert p.row == 21 and "truncated" in p.message and f"{len(header)} fields" in p.expected


def test_truncated_inside_a_quoted_field(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[-1][header.index(Q1)] = "Empatia, Pazienza"  # quoted in the file
    path = write(tmp_path, header, rows)
    text = path.read_text(encoding="utf-8")
    cut = text.rindex('"Empatia, Paz') + len('"Empatia, Paz')
    path.write_text(text[:cut], encoding="utf-8")
    problems = validate_export(path, 2020)
    (p,) = [p for p in errors(problems) if "quoted field" in p.message]
    assert p.row == 21 and "truncated" in p.message


def test_duplicate_submission_is_a_warning(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    again = list(rows[4])
    t = dt.datetime.strptime(again[0], "%d/%m/%Y %H.%M.%S") + dt.timedelta(minutes=4)
    again[0] = t.strftime("%d/%m/%Y ") + f"{t.hour}.{t.minute:02d}.{t.second:02d}"
    rows.insert(5, again)
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.severity == "warning" and p.row == 7 and "same answers as row 6" in p.message


def test_test_submission_is_a_warning(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[0][1] = "prova@esempio.it"
    (p,) = validate_export(write(tmp_path, header, rows), 2020)
    assert p.severity == "warning" and p.row == 2 and "test submission" in p.message
    assert "prova@" not in str(p)


def test_usage_errors_raise(tmp_path, gforms_csv):
    with pytest.raises(SurveyUsageError):
        validate_export(tmp_path / "missing.csv", 2020)
    with pytest.raises(SurveyUsageError):
        validate_export(gforms_csv, 1990)


def test_xlsx_problems_name_the_row(tmp_path, gforms_table):
    _, _, recs = gforms_table(n=6)
    recs[2]["q6_valued"] = "Abbastanza bene"
    path = sf.write_msforms_xlsx(tmp_path / "2020.xlsx", 2020, recs)
    (p,) = validate_export(path, 2020)
    assert p.row == 4 and p.column == CB["q6_valued"].text_it and p.value == "Abbastanza bene"


def test_sav_problems_name_the_variable(tmp_path, gforms_table):
    import numpy as np
    import pandas as pd
    import pyreadstat

    _, _, recs = gforms_table(n=5)
    df = pd.DataFrame({"submitted_at": [r["_ts"] for r in recs], "q2_relevance": [1.0, 2, 7, np.nan, 5]})
    path = tmp_path / "2020.sav"
    labels = {float(k): o.it for k, o in enumerate(CB["q2_relevance"].options, start=1)}
    pyreadstat.write_sav(df, str(path), variable_value_labels={"q2_relevance": labels})
    problems = validate_export(path, 2020)
    bad = [p for p in errors(problems) if p.row is not None and p.row > 1]
    assert [(p.row, p.column, p.value) for p in bad] == [(4, "q2_relevance", "7")]


def test_100k_rows(tmp_path, gforms_table):
    """A large file is validated (vectorised); its few bad cells are all found."""
    header, base, _ = gforms_table(n=500, seed=7)
    start = dt.datetime(2020, 1, 1, 0, 0, 0)
    rows = []
    for i in range(100_000):
        r = list(base[i % 500])
        t = start + dt.timedelta(minutes=5 * i)
        r[0] = t.strftime("%d/%m/%Y ") + f"{t.hour}.{t.minute:02d}.{t.second:02d}"
        r[1] = f"p{i}@esempio.it"
        rows.append(r)
    rows[54_321][header.index(Q2)] = "Boh"
    rows[99_998][header.index(Q1)] = "Empatia, Simpatia"
    path = write(tmp_path, header, rows)
    problems = validate_export(path, 2020)
    assert [(p.row, p.column) for p in problems] == [(54_323, Q2), (100_000, Q1)]
