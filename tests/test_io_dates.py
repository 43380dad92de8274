"""Submission times from every tool and locale: parsed right or reported, never silently misread."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest
import survey_files as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.codebook import load_codebook
from analysis.errors import SurveyDataError, SurveyUsageError
from analysis.ingest.dates import parse_dates
from analysis.prepare import prepare
from analysis.validate import validate_export

CB = load_codebook()


def _export(tmp_path, fmt, *, year=2020, start=None, header="Timestamp", n=12, name="x.csv"):
    recs = sf.respondents(year, n, seed=2, start=start)
    head = sf.gforms_header(year)
    rows = sf.gforms_rows(year, recs)
    ref = sf.write_csv(tmp_path / "ref.csv", head, rows)
    variant = sf.write_csv(tmp_path / name, [header, *head[1:]], sf.with_timestamps(rows, recs, fmt))
    return ref, variant


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "fmt",
    [sf.ts_google_en, sf.ts_us, sf.ts_uk, sf.ts_iso, sf.ts_excel_serial],
    ids=["google-english", "us", "uk", "iso", "excel-serial"],
)
def test_every_timestamp_form_prepares_to_the_same_data(tmp_path, fmt):
    # days 16..18 March: a day above 12 settles the order of the a/b/yyyy forms
    ref, variant = _export(tmp_path, fmt, start=dt.datetime(2020, 3, 16, 8, 0, 12))
    before = _sha(variant)
    expected = prepare(ref, 2020).data
    got = prepare(variant, 2020).data
    pd.testing.assert_frame_equal(got, expected)
    assert _sha(variant) == before


def test_us_dates_never_read_day_first(tmp_path):
    # 3/30 and 4/1: the first says month-first, so 4/1 is 1 April, not 4 January
    s = pd.Series(["3/30/2020 8:00:12", "4/1/2020 9:00:00"])
    r = parse_dates(s, column="Timestamp")
    assert r.order == "mdy"
    assert r.values.tolist() == [pd.Timestamp("2020-03-30 08:00:12"), pd.Timestamp("2020-04-01 09:00:00")]


def test_google_english_am_pm_and_offsets():
    s = pd.Series(["2020/03/16 12:05:00 AM GMT+1", "2020/03/16 12:05:00 PM GMT-5", "2020/03/16 8:00:00 PM GMT+5:30"])
    assert parse_dates(s).values.tolist() == [
        pd.Timestamp("2020-03-16 00:05"), pd.Timestamp("2020-03-16 12:05"), pd.Timestamp("2020-03-16 20:00"),
    ]


def test_a_column_mixing_orders_is_an_error_naming_both_rows():
    s = pd.Series(["16/03/2020 8:00", "3/17/2020 8:00"], index=[2, 3])
    r = parse_dates(s, column="Timestamp")
    assert r.values.isna().all()
    (sev, msg), = r.problems
    assert sev == "error" and "row 2" in msg and "row 3" in msg and "one order" in msg


def test_ambiguous_column_is_an_error_asking_for_date_order(tmp_path):
    # 2..4 March written month-first: 3/2/2020 could be 3 February; the 2020 fieldwork
    # (16 March - 10 April) contains neither reading, so only the user can say
    ref, variant = _export(tmp_path, sf.ts_us)
    before = _sha(variant)
    problems = validate_export(variant, 2020)
    errs = [p for p in problems if p.is_error]
    assert len(errs) == 1, errs
    (p,) = errs
    assert p.row is None and p.column == "Timestamp"
    assert "--date-order dmy" in p.message and "--date-order mdy" in p.message
    assert "3/2/2020 = 3 February 2020" in p.message and "2 March 2020" in p.message
    with pytest.raises(SurveyDataError):
        prepare(variant, 2020)
    pd.testing.assert_frame_equal(prepare(variant, 2020, date_order="mdy").data, prepare(ref, 2020).data)
    assert _sha(variant) == before


def test_ambiguous_column_resolved_by_the_codebook_fieldwork(tmp_path):
    # 1..3 April month-first: day-first would be January, outside the 2020 fieldwork
    ref, variant = _export(tmp_path, sf.ts_us, start=dt.datetime(2020, 4, 1, 9, 0, 0), n=10)
    assert validate_export(variant, 2020) == []
    pd.testing.assert_frame_equal(prepare(variant, 2020).data, prepare(ref, 2020).data)


def test_date_order_contradicted_by_the_file_names_each_row(tmp_path):
    _, variant = _export(tmp_path, sf.ts_us, start=dt.datetime(2020, 3, 16, 8, 0, 12), n=3)
    problems = validate_export(variant, 2020, date_order="dmy")
    assert [p.row for p in problems if p.is_error] == [2, 3, 4]
    assert all("read day/month/year" in p.message for p in problems if p.is_error)


def test_italian_dot_times_settle_day_first():
    r = parse_dates(pd.Series(["2/3/2020 9.00.00", "3/3/2020 9.00.00"]))
    assert r.order == "dmy" and r.values[0] == pd.Timestamp("2020-03-02 09:00")


def test_cli_ambiguous_dates_exit_1_and_date_order_fixes_it(tmp_path, capsys):
    _, variant = _export(tmp_path, sf.ts_us)
    assert main(["validate", str(variant), "--year", "2020"]) == 1
    out = capsys.readouterr()
    assert "--date-order" in out.out and "Traceback" not in out.err
    assert main(["validate", str(variant), "--year", "2020", "--date-order", "mdy"]) == 0
    assert main(["validate", str(variant), "--year", "2020", "--date-order", "ymd"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_dates_outside_any_plausible_range_are_not_dates():
    r = parse_dates(pd.Series([dt.datetime(1582, 10, 14), "0001-01-01 00:00", dt.datetime(2020, 3, 1)], dtype=object))
    assert r.values.isna().tolist() == [True, True, False]
    assert r.unreadable.tolist() == [True, True, False]


def test_english_interface_google_forms_end_to_end(tmp_path):
    """English question texts, English answer labels, `Timestamp` with AM/PM and GMT offset."""
    recs = sf.respondents(2022, 12, seed=4, start=dt.datetime(2022, 3, 16, 8, 0, 12))
    head = sf.gforms_header(2022)
    rows = sf.gforms_rows(2022, recs)
    ref = sf.write_csv(tmp_path / "it.csv", head, rows)
    to_en = {}
    header_en = ["Timestamp", "Email address"]
    for var in CB.variables_for(2022):
        for o in list(var.options) + list(var.dont_know) + ([var.other] if var.other else []):
            to_en[o.it] = o.en
        if var.type == "battery":
            header_en += [f"{var.text_en} [{i.en}]" for i in var.items]
        else:
            header_en.append(var.text_en)
    rows_en = []
    for row, rec in zip(rows, recs, strict=True):
        cells = [sf.ts_google_en(rec["_ts"]), row[1]]
        for cell, var_cell in zip(row[2:], head[2:], strict=True):
            if var_cell == CB["q1_skills"].text_it and cell:
                cell = ", ".join(to_en[label] for label in rec["q1_skills"])
            cells.append(to_en.get(cell, cell))
        rows_en.append(cells)
    path = sf.write_csv(tmp_path / "en.csv", header_en, rows_en)
    assert validate_export(path, 2022) == []
    pd.testing.assert_frame_equal(prepare(path, 2022).data, prepare(ref, 2022).data)


# ---- property: a date is read right or the column is reported, never read wrong -------------

_FORMATS = [sf.ts_google_en, sf.ts_us, sf.ts_uk, sf.ts_iso, sf.ts_excel_serial,
            lambda t: t.strftime("%d/%m/%Y ") + f"{t.hour}.{t:%M.%S}"]  # Italian Google Forms


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(
        st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2020, 12, 31, 23, 59, 59)),
        min_size=1, max_size=12,
    ),
    fmt=st.sampled_from(range(len(_FORMATS))),
    fieldwork=st.booleans(),
)
def test_never_a_wrong_date(times, fmt, fieldwork):
    times = [t.replace(microsecond=0) for t in times]
    cells = pd.Series([_FORMATS[fmt](t) for t in times])
    span = (min(times).date(), max(times).date()) if fieldwork else None
    r = parse_dates(cells, column="T", fieldwork=span)
    if r.problems:  # ambiguous column: reported, nothing read
        assert r.values.isna().all() and "--date-order" in r.problems[0][1]
    else:
        assert r.values.tolist() == [pd.Timestamp(t) for t in times]


def test_bad_date_order_is_a_usage_error(tmp_path):
    _, variant = _export(tmp_path, sf.ts_us, n=2)
    with pytest.raises(SurveyUsageError, match="'dmy' .* or 'mdy'"):
        prepare(variant, 2020, date_order="ymd")
