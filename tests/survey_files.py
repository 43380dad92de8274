"""Small writers of raw survey exports for the tests (independent of analysis.simulate).

Answers are drawn from the codebook with a fixed seed; each writer renders them in one
export format exactly as the survey tool would (Google Forms CSV, Microsoft Forms XLSX,
SPSS .sav with value labels and user-missing codes).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from analysis.codebook import load_codebook

CB = load_codebook()
TS_HEADER = "Informazioni cronologiche"
EMAIL_HEADER = "Indirizzo email"


def respondents(year: int, n: int, seed: int = 0, start: dt.datetime | None = None) -> list[dict[str, Any]]:
    """``n`` answer dicts: variable (or battery column) -> label, list of labels, or None.

    Submissions every three hours from ``start`` (default 2 March of ``year``, 9:00).
    """
    rng = np.random.default_rng(seed)
    start = start or dt.datetime(year, 3, 2, 9, 0, 0)
    out = []
    for i in range(n):
        rec: dict[str, Any] = {
            "_ts": start + dt.timedelta(hours=3 * i, minutes=int(rng.integers(0, 59)), seconds=int(rng.integers(0, 59))),
            "_email": f"persona{i + 1}@esempio.it",
            "_name": f"Persona {i + 1}",
        }
        for var in CB.variables_for(year):
            if var.type == "multiple_choice":
                k = int(rng.integers(1, 4))
                picks = sorted(rng.choice(len(var.options), size=k, replace=False))
                rec[var.name] = [var.options[j].it for j in picks]
            elif var.type == "battery":
                for item in var.items:
                    rec[var.column_for(item.code)] = var.options[int(rng.integers(0, 5))].it
            else:
                rec[var.name] = var.options[int(rng.integers(0, len(var.options)))].it
        out.append(rec)
    return out


def gforms_header(year: int) -> list[str]:
    header = [TS_HEADER, EMAIL_HEADER]
    for var in CB.variables_for(year):
        if var.type == "battery":
            header += [f"{var.text_it} [{item.it}]" for item in var.items]
        else:
            header.append(var.text_it)
    return header


def gforms_rows(year: int, recs: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for rec in recs:
        ts = rec["_ts"]
        row = [ts.strftime("%d/%m/%Y ") + f"{ts.hour}.{ts.minute:02d}.{ts.second:02d}", rec["_email"] or ""]
        for var in CB.variables_for(year):
            if var.type == "battery":
                row += [rec.get(var.column_for(i.code)) or "" for i in var.items]
            elif var.type == "multiple_choice":
                val = rec.get(var.name)
                row.append(", ".join(val) if isinstance(val, list) else (val or ""))
            else:
                row.append(rec.get(var.name) or "")
        rows.append(row)
    return rows


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    path = Path(path)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def write_gforms_csv(path: Path, year: int = 2020, n: int = 20, seed: int = 0, **kw: Any) -> Path:
    recs = respondents(year, n, seed)
    return write_csv(path, gforms_header(year), gforms_rows(year, recs), **kw)


def write_msforms_xlsx(path: Path, year: int, recs: list[dict[str, Any]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    header = ["ID", "Start time", "Completion time", "Email", "Name"] + gforms_header(year)[2:]
    ws.append(header)
    for i, rec in enumerate(recs, start=1):
        ts = rec["_ts"]
        row: list[Any] = [i, ts - dt.timedelta(minutes=4), ts, rec["_email"], rec["_name"]]
        for var in CB.variables_for(year):
            if var.type == "battery":
                row += [int(v) if (v := rec.get(var.column_for(it.code))) else None for it in var.items]
            elif var.type == "multiple_choice":
                val = rec.get(var.name)
                row.append("".join(f"{v};" for v in val) if val else None)
            else:
                row.append(rec.get(var.name))
        ws.append(row)
    wb.save(path)
    return Path(path)


def write_sav(path: Path, year: int, recs: list[dict[str, Any]], *, dk_code: int = 9) -> Path:
    """SPSS file: codebook variable names, numeric codes, value labels, user-missing don't-know.

    Value codes run 1..k in codebook order for every labelled variable (profile codes are
    strings in the codebook, so the file's own numbering is used, as a real SPSS file would).
    """
    import pandas as pd
    import pyreadstat

    cols: dict[str, list[Any]] = {"ID": [], "submitted_at": []}
    labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[int]] = {}
    for var in CB.variables_for(year):
        if var.type == "multiple_choice":
            for o in var.options:
                cols[var.column_for(o.code)] = []
        elif var.type == "battery":
            for it in var.items:
                cols[var.column_for(it.code)] = []
        else:
            cols[var.name] = []
            labels[var.name] = {float(k): o.it for k, o in enumerate(var.options, start=1)}
            if var.dont_know:
                labels[var.name][float(dk_code)] = var.dont_know[0].it
                missing[var.name] = [dk_code]
    for i, rec in enumerate(recs, start=1):
        cols["ID"].append(float(i))
        cols["submitted_at"].append(rec["_ts"])
        for var in CB.variables_for(year):
            if var.type == "multiple_choice":
                val = rec.get(var.name)
                for o in var.options:
                    cols[var.column_for(o.code)].append(np.nan if val is None else float(o.it in val))
            elif var.type == "battery":
                for it in var.items:
                    v = rec.get(var.column_for(it.code))
                    cols[var.column_for(it.code)].append(float(v) if v else np.nan)
            else:
                v = rec.get(var.name)
                rev = {lab: k for k, lab in labels[var.name].items()}
                cols[var.name].append(np.nan if v is None else rev[v])
    df = pd.DataFrame(cols)
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels, missing_ranges=missing)
    return Path(path)


# ---- timestamps as other tools and locales write them ----------------------------------

def ts_google_en(ts: dt.datetime, offset: int = 1) -> str:
    """English-interface Google Forms CSV: ``2020/03/16 8:00:12 AM GMT+1``."""
    h = ts.hour % 12 or 12
    return f"{ts:%Y/%m/%d} {h}:{ts:%M:%S} {'AM' if ts.hour < 12 else 'PM'} GMT{offset:+d}"


def ts_us(ts: dt.datetime) -> str:
    """US-locale Google Sheets CSV: ``3/16/2020 8:00:12``."""
    return f"{ts.month}/{ts.day}/{ts.year} {ts.hour}:{ts:%M:%S}"


def ts_uk(ts: dt.datetime) -> str:
    """UK-locale Google Sheets CSV: ``16/03/2020 08:00:12``."""
    return f"{ts:%d/%m/%Y %H:%M:%S}"


def ts_iso(ts: dt.datetime) -> str:
    """ISO 8601 with an offset: ``2020-03-16T08:00:12+01:00``."""
    return f"{ts:%Y-%m-%dT%H:%M:%S}+01:00"


def ts_excel_serial(ts: dt.datetime) -> str:
    """Excel serial day number as a sheet saved without a date format shows it."""
    days = (ts - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    return f"{days:.10f}"


def with_timestamps(rows: list[list[str]], recs: list[dict[str, Any]], fmt) -> list[list[str]]:
    """Copy of Google Forms ``rows`` with the first column rewritten by ``fmt(datetime)``."""
    return [[fmt(rec["_ts"]), *row[1:]] for row, rec in zip(rows, recs, strict=True)]
