"""prepare: coding conventions, test / duplicate removal, summary, atomic writing, no personal data."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest
import survey_files as sf

from analysis.codebook import load_codebook
from analysis.errors import SurveyDataError, SurveyUsageError
from analysis.prepare import SUMMARY_COLUMNS, prepare, read_prepared, write_prepared

CB = load_codebook()


def stamp(t: dt.datetime) -> str:
    return t.strftime("%d/%m/%Y ") + f"{t.hour}.{t.minute:02d}.{t.second:02d}"


def col(header, var):
    return header.index(CB[var].text_it)


def test_columns_follow_the_codebook_conventions(tmp_path, gforms_table):
    header, rows, recs = gforms_table(year=2022, n=12)
    rows[0][col(header, "q2_relevance")] = "Non so"
    rows[1][col(header, "q2_relevance")] = ""
    rows[2][col(header, "q1_skills")] = ""
    path = sf.write_csv(tmp_path / "2022.csv", header, rows)
    data = prepare(path, 2022).data

    assert list(data.columns[:4]) == ["respondent_id", "year", "submitted_at", "source_row"]
    assert data["respondent_id"].tolist()[:3] == ["2022-0001", "2022-0002", "2022-0003"]
    assert (data["year"] == 2022).all()
    assert data["submitted_at"].iloc[0] == recs[0]["_ts"]
    q2 = data["q2_relevance"]
    assert q2.dtype == pd.CategoricalDtype([1, 2, 3, 4, 5], ordered=True)
    assert pd.isna(q2[0]) and bool(data.loc[0, "q2_relevance_dk"])
    assert pd.isna(q2[1]) and not data.loc[1, "q2_relevance_dk"]
    assert data["role"].dtype == pd.CategoricalDtype(CB["role"].codes, ordered=False)
    assert data["company_size"].dtype == pd.CategoricalDtype(CB["company_size"].codes, ordered=True)
    assert data["q4_policies"].cat.categories.tolist() == ["yes", "no"]
    assert data["q5_assessment"].cat.categories.tolist()[-1] == "other"
    q1 = CB["q1_skills"].columns
    assert all(str(data[c].dtype) == "boolean" for c in q1)
    assert data.loc[2, q1].isna().all() and data.loc[3, q1].notna().all()
    battery = CB["q7_skill_relevance"].columns
    assert len(battery) == 12 and all(data[c].dtype == CB["q7_skill_relevance"].dtype() for c in battery)
    assert data[battery[0]].tolist() == [int(r[battery[0]]) for r in recs]
    assert "q5_assessment_other" not in data


def test_ids_from_the_export_and_stable_positions(tmp_path, gforms_table):
    _, _, recs = gforms_table(n=5)
    recs[0]["_email"] = "test@esempio.it"
    data = prepare(sf.write_msforms_xlsx(tmp_path / "2020.xlsx", 2020, recs), 2020).data
    assert data["respondent_id"].tolist() == ["2020-0002", "2020-0003", "2020-0004", "2020-0005"]
    header, rows, _ = gforms_table(n=5)
    rows[1][1] = "prova@esempio.it"
    data = prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020).data
    assert data["respondent_id"].tolist() == ["2020-0001", "2020-0003", "2020-0004", "2020-0005"]
    assert data["source_row"].tolist() == [2, 4, 5, 6]


def test_test_and_duplicate_submissions_removed(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=20)
    q5 = col(header, "q5_assessment")
    rows[0][1] = "test@esempio.it"  # test by email
    rows[1][q5] = "Prova del questionario"  # test by free text
    dup = list(rows[5])
    dup[0] = stamp(dt.datetime.strptime(rows[5][0], "%d/%m/%Y %H.%M.%S") + dt.timedelta(minutes=3))
    late = list(rows[8])
    late[0] = stamp(dt.datetime.strptime(rows[8][0], "%d/%m/%Y %H.%M.%S") + dt.timedelta(minutes=45))
    rows += [dup, late]  # rows 22 and 23
    prepared = prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020)
    s = prepared.summary.set_index("measure")
    assert s.loc["rows_read", "n"] == 22
    assert s.loc["test_removed", "n"] == 2
    assert s.loc["duplicates_removed", "n"] == 1
    assert s.loc["rows_kept", "n"] == 19 == len(prepared.data)
    assert 22 not in prepared.data["source_row"].tolist()
    assert 23 in prepared.data["source_row"].tolist()  # 45 minutes later: kept
    wide = prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020, duplicate_minutes=60)
    assert 23 not in wide.data["source_row"].tolist()


def test_nonresponse_summary_against_a_direct_count(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=20)
    for i in (0, 3, 4):
        rows[i][col(header, "q6_valued")] = ""
    for i in (5, 6):
        rows[i][col(header, "q6_valued")] = "Non so"
    rows[7][col(header, "q1_skills")] = ""
    prepared = prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020)
    s = prepared.summary
    assert list(s.columns) == SUMMARY_COLUMNS
    q6 = s[s["variable"] == "q6_valued"].set_index("measure")
    assert q6.loc["nonresponse", ["n", "base"]].tolist() == [3, 20]
    assert q6.loc["nonresponse", "percent"] == pytest.approx(15.0)
    assert q6.loc["dont_know", "n"] == 2
    q1 = s[(s["variable"] == "q1_skills") & (s["measure"] == "nonresponse")]
    assert q1["n"].item() == 1 and q1["question"].item() == "Q1"


def test_invalid_export_raises_with_every_problem(tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[0][col(header, "q2_relevance")] = "Tantissimo"
    rows[3][0] = "ieri"
    with pytest.raises(SurveyDataError) as err:
        prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020)
    assert [(p.row, p.value) for p in err.value.problems] == [(2, "Tantissimo"), (5, "ieri")]
    assert "row 2" in str(err.value) and "nothing was prepared" in str(err.value)


def test_write_is_atomic_and_raw_untouched(tmp_path, gforms_csv):
    before = hashlib.sha256(gforms_csv.read_bytes()).hexdigest()
    stat = gforms_csv.stat()
    prepared = prepare(gforms_csv, 2020)
    out = write_prepared(prepared, processed_dir=tmp_path / "processed")
    assert out == tmp_path / "processed" / "2020.parquet" and out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["2020.parquet", "2020.quality.csv"]
    assert hashlib.sha256(gforms_csv.read_bytes()).hexdigest() == before
    assert gforms_csv.stat().st_mtime_ns == stat.st_mtime_ns
    assert prepared.source["sha256"] == before
    back = read_prepared(2020, processed_dir=out.parent)
    pd.testing.assert_frame_equal(back, prepared.data)


def test_read_prepared_missing_year(tmp_path):
    with pytest.raises(SurveyUsageError, match="softskills prepare --year 2031"):
        read_prepared(2031, processed_dir=tmp_path)


def test_personal_data_absent_from_every_output(tmp_path, gforms_table):
    header, rows, _ = gforms_table(n=10)
    header = header + ["Nome e cognome", "Indirizzo IP"]
    secrets = []
    for i, row in enumerate(rows):
        row[1] = f"giulia.bianchi{i}@riservato.it"
        row += [f"Giulia Bianchi{i}", f"192.168.77.{i}"]
        secrets += [row[1], row[-2], row[-1]]
    rows[4][col(header, "q5_assessment")] = "Chiedo un parere al mio responsabile Zanardelli"
    secrets += ["Zanardelli", "riservato", "Bianchi", "192.168.77"]
    raw = sf.write_csv(tmp_path / "2020.csv", header, rows)
    prepared = prepare(raw, 2020)
    assert prepared.data.loc[4, "q5_assessment"] == "other"
    out = write_prepared(prepared, processed_dir=tmp_path / "out")
    blobs = [p.read_bytes() for p in out.parent.iterdir()]
    blobs.append(prepared.data.to_csv().encode())
    blobs.append(prepared.summary.to_csv().encode())
    blobs.append(repr(prepared.source).encode())
    blobs.append("\n".join(map(str, prepared.problems)).encode())
    for blob in blobs:
        for secret in secrets:
            assert secret.encode() not in blob, secret
    kept = prepare(raw, 2020, keep_free_text=True)
    assert "Zanardelli" in kept.data.loc[4, "q5_assessment_other"]


def test_unknown_year_and_missing_default_input(monkeypatch, tmp_path):
    with pytest.raises(SurveyUsageError):
        prepare(None, 1999)
    monkeypatch.setattr("analysis.prepare.raw_path_for_year", lambda y: (_ for _ in ()).throw(FileNotFoundError("no raw export for year 2030")))
    with pytest.raises(SurveyUsageError, match="no raw export"):
        prepare(None, 2030)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_same_answers_same_prepared_data_in_every_format(tmp_path, gforms_table, fmt):
    header, rows, recs = gforms_table(year=2022, n=15, seed=3)
    reference = prepare(sf.write_csv(tmp_path / "ref.csv", header, rows), 2022).data
    if fmt == "csv":
        path = sf.write_csv(tmp_path / "x.csv", header, rows, encoding="cp1252", delimiter=";")
    elif fmt == "xlsx":
        path = sf.write_msforms_xlsx(tmp_path / "x.xlsx", 2022, recs)
    else:
        path = sf.write_sav(tmp_path / "x.sav", 2022, recs)
    data = prepare(path, 2022).data
    answers = [c for c in reference.columns if c not in ("respondent_id", "submitted_at", "source_row")]
    pd.testing.assert_frame_equal(data[answers], reference[answers])
    assert data["respondent_id"].tolist() == reference["respondent_id"].tolist()


def test_bundled_year_prepares(tmp_path):
    from analysis.config import RAW_DIR

    if not (RAW_DIR / "2020.csv").exists():
        pytest.skip("no bundled 2020 export")
    prepared = prepare(None, 2020)
    s = prepared.summary.set_index("measure")
    assert s.loc["rows_read", "n"] - s.loc["test_removed", "n"] - s.loc["duplicates_removed", "n"] == len(
        prepared.data
    )
    assert prepared.data["respondent_id"].is_unique
    assert not [p for p in prepared.problems if p.is_error]


def test_statistics_refuse_codes_the_codebook_does_not_know(tmp_path, gforms_table):
    """240 rows with sector codes 1..7 (an unprepared file): a clear error, not 33 valid rows and a NaN test."""
    from analysis.stats.crosstab import crosstab

    header, rows, _ = gforms_table(n=40)
    data = prepare(sf.write_csv(tmp_path / "2020.csv", header, rows), 2020).data
    assert crosstab(data, "sector", "q4_policies", min_cell=0).table is not None  # prepared data: fine
    raw_codes = data.copy()
    raw_codes["sector"] = np.resize(np.arange(1, 8), len(data))
    with pytest.raises(SurveyUsageError) as exc:
        crosstab(raw_codes, "sector", "q4_policies", min_cell=0)
    msg = str(exc.value)
    assert "column 'sector'" in msg and "does not know" in msg and "1, 2, 3" in msg and "'telecom'" in msg
