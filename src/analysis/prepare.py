"""From a raw export to the prepared table: coded answers, no personal data, no duplicates.

:func:`prepare` reads and validates an export (any error raises
:class:`~analysis.errors.SurveyDataError` listing every problem), codes the answers per the
conventions of :mod:`analysis.codebook`, removes test submissions and duplicate submissions,
and returns a :class:`PreparedData` with the table and a data-quality summary.
:func:`write_prepared` writes ``data/processed/YEAR.parquet`` (and ``YEAR.quality.csv``)
atomically; :func:`read_prepared` reads it back with the codebook's dtypes restored
(Parquet keeps string categories but turns integer-coded Categoricals into numbers).

Prepared columns, in order: ``respondent_id`` (``"YEAR-0001"``: the export's ID when it has
one, else the record's position in the file — the spreadsheet row minus one, so it does not
change when other rows are removed), ``year``, ``submitted_at``, ``source_row`` (spreadsheet
row in the raw file, to trace a value back), then the variables of the year's questionnaire
version in codebook order (a ``<name>_dk`` flag right after a variable that offers "don't know").

Test submissions: a row is a test when its email / name or a free-text answer contains one of
the codebook's ``metadata.test_markers`` (``test``, ``prova``) as a whole word; the reader decides
this before it drops the personal data, so only the flag reaches this module.
Duplicate submissions: identical coded answers sent again within ``duplicate_minutes``
(default 10) by the same person (or when the email is unknown); the later one is removed.

Examples
--------
>>> from analysis.prepare import prepare, write_prepared
>>> prepared = prepare("data/raw/2020.csv", 2020)  # doctest: +SKIP
>>> print(format_summary(prepared))  # doctest: +SKIP
>>> write_prepared(prepared)  # doctest: +SKIP
PosixPath('.../data/processed/2020.parquet')
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Codebook, load_codebook
from analysis.config import PROCESSED_DIR, raw_path_for_year
from analysis.errors import Problem, SurveyDataError, SurveyUsageError
from analysis.ingest.mapping import ColumnMapping
from analysis.ingest.pipeline import Checked, IngestOptions, ingest
from analysis.validate import DEFAULT_DUPLICATE_MINUTES

__all__ = [
    "PreparedData",
    "prepare",
    "write_prepared",
    "read_prepared",
    "format_summary",
    "apply_codebook_dtypes",
    "SUMMARY_COLUMNS",
]

#: Columns of the data-quality summary (one row per measure, tidy).
SUMMARY_COLUMNS = ["year", "measure", "variable", "question", "n", "base", "percent"]


@dataclass
class PreparedData:
    """The prepared table of one survey year and how it was obtained.

    Attributes
    ----------
    year : int
    data : DataFrame
        One row per kept respondent (see the module docstring for the columns).
    summary : DataFrame
        Data-quality summary with columns :data:`SUMMARY_COLUMNS`: measures ``rows_read``,
        ``test_removed``, ``duplicates_removed``, ``rows_kept`` (``variable`` missing), then for
        every prepared answer column ``nonresponse`` (skipped, don't-know excluded) and, for
        questions offering it, ``dont_know``; ``base`` is the number of kept rows.
    problems : list of Problem
        Warnings found (errors would have raised).
    source : dict
        File name, format, encoding, delimiter and SHA-256 of the raw export.
    """

    year: int
    data: pd.DataFrame
    summary: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _respondent_ids(checked: Checked) -> pd.Series:
    raw = checked.raw
    idx = raw.table.index
    width = max(4, len(str(int(idx.max()) - 1))) if len(idx) else 4
    if "respondent_id" in raw.table:
        ids = raw.table["respondent_id"]

        def fmt(v: Any) -> str:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            text = str(v).strip()
            return f"{raw.year}-{int(text):0{width}d}" if text.isdigit() else f"{raw.year}-{text}"

        return pd.Series([fmt(v) for v in ids], index=idx)  # default string dtype
    return pd.Series([f"{raw.year}-{int(r) - 1:0{width}d}" for r in idx], index=idx)


def apply_codebook_dtypes(data: pd.DataFrame, year: int, codebook: Codebook | None = None) -> pd.DataFrame:
    """Give every prepared column its codebook dtype (after a round trip through Parquet).

    Examples
    --------
    >>> df = pd.DataFrame({"q2_relevance": [4.0, None]})
    >>> apply_codebook_dtypes(df, 2020)["q2_relevance"].dtype
    CategoricalDtype(categories=[1, 2, 3, 4, 5], ordered=True, categories_dtype=int64)
    """
    cb = codebook if codebook is not None else load_codebook()
    out = data.copy()
    for var in cb.variables_for(year, include_personal=True):
        if var.type == "free_text":
            continue
        if var.type == "multiple_choice":
            for col in var.columns:
                if col in out:
                    out[col] = out[col].astype("boolean")
            continue
        for col in var.columns:
            if col not in out:
                continue
            dtype = var.dtype()
            values = out[col].astype(object)
            if all(isinstance(c, int) for c in dtype.categories):
                values = values.map(lambda v: int(v) if pd.notna(v) else None)
            out[col] = pd.Categorical(values.where(values.notna(), None), dtype=dtype)
        if var.dont_know_column and var.dont_know_column in out:
            out[var.dont_know_column] = out[var.dont_know_column].astype("boolean")
    if "year" in out:
        out["year"] = out["year"].astype("int64")
    if "source_row" in out:
        out["source_row"] = out["source_row"].astype("Int64")
    return out


def _summary(year: int, counts: dict[str, int], data: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    read = counts["rows_read"]
    for measure in ("rows_read", "test_removed", "duplicates_removed", "rows_kept"):
        n = counts[measure]
        rows.append(
            {"year": year, "measure": measure, "variable": None, "question": None, "n": n, "base": read,
             "percent": 100.0 * n / read if read else np.nan}
        )
    base = len(data)
    for var in cb.variables_for(year):
        question = f"Q{var.number}" if var.number is not None else "profile"
        if var.type == "multiple_choice":
            targets = [(var.name, var.columns[0])]
        else:
            targets = [(c, c) for c in var.columns]
        for name, col in targets:
            missing = int(data[col].isna().sum())
            dk = 0
            if var.dont_know_column:
                dk = int(data[var.dont_know_column].fillna(False).sum())
                missing -= dk
            rows.append(
                {"year": year, "measure": "nonresponse", "variable": name, "question": question, "n": missing,
                 "base": base, "percent": 100.0 * missing / base if base else np.nan}
            )
            if var.dont_know_column:
                rows.append(
                    {"year": year, "measure": "dont_know", "variable": name, "question": question, "n": dk,
                     "base": base, "percent": 100.0 * dk / base if base else np.nan}
                )
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out["n"] = out["n"].astype("int64")
    out["base"] = out["base"].astype("int64")
    return out


def prepare(
    path: str | Path | None,
    year: int,
    *,
    codebook: Codebook | None = None,
    duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES,
    keep_free_text: bool = False,
    date_order: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    sheet: str | None = None,
) -> PreparedData:
    """Read, validate and code the export of ``year``; drop tests and duplicate submissions.

    Parameters
    ----------
    path : str, Path or None
        The raw export; None means the bundled file of ``year`` (``data/raw/YEAR.*``).
    year : int
    codebook : Codebook, optional
    duplicate_minutes : float, default 10
        Identical answers sent again within this many minutes are one submission.
    keep_free_text : bool, default False
        Keep the free text of "other" answers (personal data; never written by default).
    date_order : {"dmy", "mdy"}, optional
        Order of ``a/b/yyyy`` timestamps when neither the column nor the codebook's fieldwork
        dates settle it (see :mod:`analysis.ingest.dates`).
    mapping : str, Path or ColumnMapping, optional
        Mapping file from the file's columns to codebook variables (``--map``; see
        :mod:`analysis.ingest.mapping`); a build passes it as a parameter.
    sheet : str, optional
        Workbook sheet to read (default: the one whose headers match the codebook).

    Returns
    -------
    PreparedData

    Raises
    ------
    SurveyUsageError
        Missing file or unknown year.
    SurveyDataError
        The export has errors; ``problems`` lists all of them.

    Examples
    --------
    >>> prepared = prepare(None, 2020)  # doctest: +SKIP
    >>> prepared.summary.query("measure == 'rows_kept'")["n"].item()  # doctest: +SKIP
    163
    """
    cb = codebook if codebook is not None else load_codebook()
    if path is None:
        try:
            path = raw_path_for_year(year)
        except FileNotFoundError as exc:
            raise SurveyUsageError(str(exc)) from None
    path = Path(path)
    options = IngestOptions(
        mapping=mapping, sheet=sheet, date_order=date_order, keep_free_text=keep_free_text,
        duplicate_minutes=duplicate_minutes,
    )
    checked = ingest(path, year, options, codebook=cb)
    raw = checked.raw
    if checked.errors:
        raise SurveyDataError(
            checked.problems, f"{path.name}: {len(checked.errors)} error(s); nothing was prepared"
        )
    idx = raw.table.index
    data = pd.DataFrame(index=idx)
    data["respondent_id"] = _respondent_ids(checked)
    data["year"] = np.int64(year)
    data["submitted_at"] = checked.submitted_at
    data["source_row"] = pd.array(idx.to_numpy(), dtype="Int64")
    data = pd.concat([data, checked.coded.data], axis=1)
    keep = checked.keep
    is_test = raw.is_test.to_numpy()
    is_dup = ~is_test & ~keep
    data = data.loc[keep].reset_index(drop=True)
    counts = {
        "rows_read": len(idx),
        "test_removed": int(is_test.sum()),
        "duplicates_removed": int(is_dup.sum()),
        "rows_kept": int(keep.sum()),
    }
    source = {
        "file": path.name,
        "format": raw.format,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sheet": raw.sheet,
        "tool": raw.tool,
        "notes": list(raw.notes),
        "sha256": _sha256(path),
    }
    return PreparedData(
        year=year,
        data=data,
        summary=_summary(year, counts, data, cb),
        problems=[p for p in checked.problems if not p.is_error],
        source=source,
    )


def _atomic_write(target: Path, write) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_prepared(
    prepared: PreparedData, year: int | None = None, *, processed_dir: str | Path | None = None
) -> Path:
    """Write ``YEAR.parquet`` and ``YEAR.quality.csv`` atomically (temporary file, then rename).

    Parameters
    ----------
    prepared : PreparedData
    year : int, optional
        Defaults to ``prepared.year``.
    processed_dir : str or Path, optional
        Defaults to ``data/processed``.

    Returns
    -------
    Path
        The Parquet file.
    """
    year = prepared.year if year is None else year
    folder = Path(processed_dir) if processed_dir is not None else PROCESSED_DIR
    target = folder / f"{year}.parquet"
    _atomic_write(target, lambda p: prepared.data.to_parquet(p, index=False))
    _atomic_write(folder / f"{year}.quality.csv", lambda p: prepared.summary.to_csv(p, index=False))
    return target


def read_prepared(
    year: int, *, processed_dir: str | Path | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Read ``data/processed/YEAR.parquet`` with the codebook's dtypes restored.

    Raises
    ------
    SurveyUsageError
        When the year has not been prepared yet.
    """
    folder = Path(processed_dir) if processed_dir is not None else PROCESSED_DIR
    path = folder / f"{year}.parquet"
    if not path.exists():
        raise SurveyUsageError(f"{path} not found: run `softskills prepare --year {year}` first")
    return apply_codebook_dtypes(pd.read_parquet(path), year, codebook)


def format_summary(prepared: PreparedData) -> str:
    """The data-quality summary as plain text, for the terminal.

    Examples
    --------
    >>> print(format_summary(prepare(None, 2020)))  # doctest: +SKIP
    """
    s = prepared.summary
    get = dict(zip(s["measure"][s["variable"].isna()], s["n"][s["variable"].isna()], strict=False))
    src = prepared.source
    lines = [
        f"Data quality, {prepared.year} ({src.get('file', '?')}, {src.get('format', '?')}"
        + (f", {src['encoding']}, delimiter {src['delimiter']!r}" if src.get("encoding") else "")
        + ")",
        f"  rows read                   {get['rows_read']:>6}",
        f"  test submissions removed    {get['test_removed']:>6}",
        f"  duplicate submissions removed {get['duplicates_removed']:>4}",
        f"  rows kept                   {get['rows_kept']:>6}",
        "  item non-response (of rows kept):",
    ]
    per = s[s["variable"].notna()]
    nonresp = per[per["measure"] == "nonresponse"].set_index("variable")
    dk = per[per["measure"] == "dont_know"].set_index("variable")
    for name, r in nonresp.iterrows():
        extra = ""
        if name in dk.index:
            extra = f"   don't know {int(dk.at[name, 'n']):>4} ({dk.at[name, 'percent']:4.1f}%)"
        lines.append(f"    {r['question']:<8} {name:<42} {int(r['n']):>4} ({r['percent']:4.1f}%){extra}")
    warnings = [p for p in prepared.problems if not p.is_error]
    if warnings:
        lines.append(f"  {len(warnings)} warning(s):")
        lines += [f"    {p}" for p in warnings]
    return "\n".join(lines)
