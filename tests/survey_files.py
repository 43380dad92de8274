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


# ---- other tools ------------------------------------------------------------------------


def _answer_cells(year: int, rec: dict[str, Any]):
    """(kind, variable, code/None, value) per question column, codebook order."""
    for var in CB.variables_for(year):
        if var.type == "battery":
            for it in var.items:
                yield "item", var, it, rec.get(var.column_for(it.code))
        elif var.type == "multiple_choice":
            yield "multi", var, None, rec.get(var.name)
        else:
            yield "single", var, None, rec.get(var.name)


def write_sav_from_csv_import(path: Path, year: int, recs: list[dict[str, Any]]) -> Path:
    """SPSS's import of the Google Forms CSV: variables V1..Vn, strings, question texts as labels."""
    import pandas as pd
    import pyreadstat

    header = gforms_header(year)
    rows = gforms_rows(year, recs)
    names = [f"V{i + 1}" for i in range(len(header))]
    df = pd.DataFrame([[c if c != "" else None for c in r] for r in rows], columns=names, dtype=object)
    for c in df.columns:
        df[c] = df[c].astype(object).where(df[c].notna(), "")
    pyreadstat.write_sav(df, str(path), column_labels=header)
    return Path(path)


def write_sav_own_names(path: Path, year: int, recs: list[dict[str, Any]], *, dk_code: int = 99) -> Path:
    """A researcher's SPSS file: own names (ID, DATA, D1.., Q1_1.., Q2..), variable and value labels."""
    import pandas as pd
    import pyreadstat

    cols: dict[str, list[Any]] = {"ID": [float(i) for i in range(1, len(recs) + 1)], "DATA": [r["_ts"] for r in recs]}
    labels = {"ID": "ID", "DATA": TS_HEADER}
    vlabels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[int]] = {}
    d = q = 0
    for var in CB.variables_for(year):
        if var.type == "profile":
            d += 1
            base = f"D{d}"
        else:
            q += 1
            base = f"Q{q}"
        if var.type == "multiple_choice":
            for k, o in enumerate(var.options, start=1):
                name = f"{base}_{k}"
                labels[name] = f"{var.text_it} [{o.it}]"
                cols[name] = [np.nan if r.get(var.name) is None else float(o.it in r[var.name]) for r in recs]
        elif var.type == "battery":
            for k, it in enumerate(var.items, start=1):
                name = f"{base}_{k}"
                labels[name] = f"{var.text_it} [{it.it}]"
                cols[name] = [float(v) if (v := r.get(var.column_for(it.code))) else np.nan for r in recs]
        else:
            labels[base] = var.text_it
            vl = {float(k): o.it for k, o in enumerate(var.options, start=1)}
            if var.dont_know:
                vl[float(dk_code)] = var.dont_know[0].it
                missing[base] = [dk_code]
            vlabels[base] = vl
            rev = {lab: k for k, lab in vl.items()}
            cols[base] = [np.nan if r.get(var.name) is None else rev[r[var.name]] for r in recs]
    df = pd.DataFrame(cols)
    pyreadstat.write_sav(
        df, str(path), column_labels=[labels[c] for c in df.columns], variable_value_labels=vlabels,
        missing_ranges=missing,
    )
    return Path(path)


QUALTRICS_META = [
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"Europe/Rome"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"Europe/Rome"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"Europe/Rome"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("RecipientLastName", "Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    ("RecipientFirstName", "Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    ("RecipientEmail", "Recipient Email", '{"ImportId":"recipientEmail"}'),
    ("LocationLatitude", "Location Latitude", '{"ImportId":"locationLatitude"}'),
    ("LocationLongitude", "Location Longitude", '{"ImportId":"locationLongitude"}'),
    ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
]


def qualtrics_table(year: int, recs: list[dict[str, Any]], *, text_of=None) -> tuple[list[list[str]], list[list[str]]]:
    """(three header rows, data rows) of a Qualtrics CSV with choice texts; ``text_of(var)`` overrides texts."""
    names = [m[0] for m in QUALTRICS_META]
    texts = [m[1] for m in QUALTRICS_META]
    ids = [m[2] for m in QUALTRICS_META]
    q = 0
    for var in CB.variables_for(year):
        q += 1
        text = text_of(var) if text_of else var.text_it
        if var.type == "battery":
            for k, it in enumerate(var.items, start=1):
                names.append(f"Q{q}_{k}")
                texts.append(f"{text} - {it.it}")
                ids.append(f'{{"ImportId":"QID{q}_{k}"}}')
        elif var.type == "multiple_choice":
            names.append(f"Q{q}")
            texts.append(f"{text} - Selected Choice")
            ids.append(f'{{"ImportId":"QID{q}"}}')
        else:
            names.append(f"Q{q}")
            texts.append(text)
            ids.append(f'{{"ImportId":"QID{q}"}}')
    rows = []
    for i, rec in enumerate(recs):
        ts = rec["_ts"]
        row = [
            f"{ts - dt.timedelta(minutes=4):%Y-%m-%d %H:%M:%S}", f"{ts:%Y-%m-%d %H:%M:%S}", "IP Address",
            f"10.1.2.{i}", "100", "240", "True", f"{ts:%Y-%m-%d %H:%M:%S}", f"R_{i + 1:04d}abcdEFGH",
            "Rossi", "Mario", rec["_email"], "45.46", "9.19", "anonymous", "IT",
        ]
        for kind, _var, _it, value in _answer_cells(year, rec):
            if kind == "multi":
                row.append(",".join(value) if value else "")
            else:
                row.append(value or "")
        rows.append(row)
    return [names, texts, ids], rows


def write_qualtrics_csv(path: Path, year: int, recs: list[dict[str, Any]], **kw: Any) -> Path:
    headers, rows = qualtrics_table(year, recs, **kw)
    path = Path(path)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerows(headers)
        w.writerows(rows)
    return path


def write_surveymonkey_csv(path: Path, year: int, recs: list[dict[str, Any]]) -> Path:
    """SurveyMonkey CSV: question over its first column, a second row with Response / option / item."""
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
    row1, row2 = list(meta), [""] * len(meta)
    for var in CB.variables_for(year):
        if var.type in ("battery", "multiple_choice"):
            parts = [it.it for it in var.items] if var.type == "battery" else [o.it for o in var.options]
            for k, part in enumerate(parts):
                row1.append(var.text_it if k == 0 else "")
                row2.append(part)
        else:
            row1.append(var.text_it)
            row2.append("Response")
    rows = []
    for i, rec in enumerate(recs):
        ts = rec["_ts"]
        start = ts - dt.timedelta(minutes=4)
        row = [str(11_000_000_000 + i), "404040404", start.strftime("%m/%d/%Y %I:%M:%S %p"),
               ts.strftime("%m/%d/%Y %I:%M:%S %p"), f"10.9.8.{i}", rec["_email"], "Mario", "Rossi", ""]
        for kind, var, _it, value in _answer_cells(year, rec):
            if kind == "multi":
                row += [o.it if value and o.it in value else "" for o in var.options]
            else:
                row.append(value or "")
        rows.append(row)
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(row1)
        w.writerow(row2)
        w.writerows(rows)
    return path


LIME_META = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr"]


def limesurvey_codes(year: int) -> dict[str, Any]:
    """The LimeSurvey codes of each question: column -> (variable, option/item code or None, answer codes)."""
    out: dict[str, Any] = {}
    q = 0
    for var in CB.variables_for(year):
        q += 1
        if var.type == "multiple_choice":
            for k, o in enumerate(var.options, start=1):
                out[f"G1Q{q:02d}[SQ{k:03d}]"] = (var, ("option", o.code), None)
        elif var.type == "battery":
            for k, it in enumerate(var.items, start=1):
                out[f"G1Q{q:02d}[SQ{k:03d}]"] = (var, ("item", it.code), None)
        else:
            codes = {o.it: f"A{k}" for k, o in enumerate(var.options, start=1)}
            for o in var.dont_know:
                codes[o.it] = "A99"
            out[f"G1Q{q:02d}"] = (var, None, codes)
    return out


def write_limesurvey_csv(path: Path, year: int, recs: list[dict[str, Any]], *, full_text: bool = False) -> Path:
    """LimeSurvey CSV: question codes and answer codes (Y / blank), or full question texts and answers."""
    codes = limesurvey_codes(year)
    if full_text:
        header = list(LIME_META)
        for _col, (var, sub, _c) in codes.items():
            if sub is None:
                header.append(var.text_it)
            elif sub[0] == "option":
                header.append(f"{var.text_it} [{next(o.it for o in var.options if o.code == sub[1])}]")
            else:
                header.append(f"{var.text_it} [{next(i.it for i in var.items if i.code == sub[1])}]")
    else:
        header = LIME_META + list(codes)
    rows = []
    for i, rec in enumerate(recs):
        ts = rec["_ts"]
        row = [str(i + 1), f"{ts:%Y-%m-%d %H:%M:%S}", "4", "it", str(1000 + i),
               f"{ts - dt.timedelta(minutes=4):%Y-%m-%d %H:%M:%S}", f"{ts:%Y-%m-%d %H:%M:%S}", f"10.7.7.{i}"]
        for _col, (var, sub, answer_codes) in codes.items():
            if sub is None:
                v = rec.get(var.name)
                row.append("" if v is None else (v if full_text else answer_codes[v]))
            elif sub[0] == "option":
                label = next(o.it for o in var.options if o.code == sub[1])
                chosen = rec.get(var.name) or []
                row.append(("Sì" if full_text else "Y") if label in chosen else "")
            else:
                row.append(rec.get(var.column_for(sub[1])) or "")
        rows.append(row)
    return write_csv(path, header, rows)


def limesurvey_mapping(year: int) -> dict[str, Any]:
    """What a researcher fills in for the coded LimeSurvey export (the unmatched columns)."""
    out: dict[str, Any] = {}
    for col, (var, sub, answer_codes) in limesurvey_codes(year).items():
        if sub is None:
            by_label = {o.it: o.code for o in var.options}
            values = {code: ("dont_know" if label not in by_label else by_label[label])
                      for label, code in answer_codes.items()}
            out[col] = {"variable": var.name, "values": values}
        else:
            out[col] = {"variable": var.name, sub[0]: sub[1]}
    return out


def write_msforms_variant(path: Path, year: int, recs: list[dict[str, Any]], *, italian: bool = False,
                          anonymous: bool = False, sheets_before: int = 0) -> Path:
    """Microsoft Forms XLSX: Italian interface headers, an anonymous form, answers on a later sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    for k in range(sheets_before):
        ws = first if k == 0 else wb.create_sheet()
        ws.title = f"Riepilogo{k + 1}"
        ws.append(["Domanda", "Risposte"])
        ws.append(["Totale", len(recs)])
    ws = first if sheets_before == 0 else wb.create_sheet("Form1")
    meta = (["ID", "Ora di inizio", "Ora di completamento", "Posta elettronica", "Nome", "Ora ultima modifica"]
            if italian else ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"])
    ws.append(meta + gforms_header(year)[2:])
    for i, rec in enumerate(recs, start=1):
        ts = rec["_ts"]
        row: list[Any] = [i, ts - dt.timedelta(minutes=4), ts, "anonymous" if anonymous else rec["_email"],
                          None if anonymous else rec["_name"], None]
        for kind, _var, _it, value in _answer_cells(year, rec):
            if kind == "multi":
                row.append("".join(f"{v};" for v in value) if value else None)
            elif kind == "item":
                row.append(int(value) if value else None)
            else:
                row.append(value)
        ws.append(row)
    wb.save(path)
    return Path(path)
