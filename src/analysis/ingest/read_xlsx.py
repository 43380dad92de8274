"""Reader of XLSX workbooks (Microsoft Forms, Qualtrics / SurveyMonkey XLSX, a researcher's sheet).

The sheet read is the one whose first non-empty row has the most headers known to the
codebook (or the one named by ``sheet=`` / ``--sheet``); when the workbook has several sheets a
note says which one was read. Rows keep the numbers the spreadsheet shows; empty rows are
skipped; date cells arrive as ``datetime`` objects.
"""

from __future__ import annotations

import io as _io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import SurveyUsageError
from analysis.ingest.read import Table
from analysis.ingest.sniff import fatal

__all__ = ["read_xlsx"]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _first_row(ws) -> list[str]:
    for values in ws.iter_rows(values_only=True, max_row=50):
        if values is not None and not all(_blank(v) for v in values):
            return ["" if v is None else str(v) for v in values]
    return []


def read_xlsx(path: Path, data: bytes, score: Callable[[list[str]], int], sheet: str | None = None) -> Table:
    """Read the answers sheet of a workbook (see the module docstring)."""
    import openpyxl

    try:
        # a file object: openpyxl would otherwise judge the file by its extension
        wb = openpyxl.load_workbook(_io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise fatal(path, f"cannot be read as an XLSX workbook ({exc})") from None
    except Exception as exc:  # openpyxl raises assorted errors on corrupt files
        raise fatal(path, f"cannot be read as an XLSX workbook ({type(exc).__name__}: {exc})") from None
    notes: list[str] = []
    try:
        names = list(wb.sheetnames)
        if sheet is not None:
            if sheet not in names:
                raise SurveyUsageError(
                    f"{path.name} has no sheet {sheet!r}; its sheets are: " + ", ".join(repr(n) for n in names)
                )
            ws = wb[sheet]
        else:
            scores = [(score(_first_row(wb[n])), -i, n) for i, n in enumerate(names)]
            best = max(scores)
            ws = wb[best[2]]
            if len(names) > 1:
                others = [n for n in names if n != best[2]]
                notes.append(
                    f"read sheet {best[2]!r} of {path.name} (its headers match the codebook"
                    + (f"; other sheets: {', '.join(repr(n) for n in others)}" if others else "")
                    + "; choose another with --sheet NAME)"
                )
        header: list[str] | None = None
        rows: list[list[Any]] = []
        numbers: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if header is None:
                if values is None or all(_blank(v) for v in values):
                    continue
                header = ["" if v is None else str(v) for v in values]
                continue
            if values is None or all(_blank(v) for v in values):
                continue
            vals = list(values)[: len(header)]
            vals += [None] * (len(header) - len(vals))
            rows.append(vals)
            numbers.append(number)
        title = ws.title
    finally:
        wb.close()
    if header is None:
        if len(names) > 1:
            raise fatal(path, f"every sheet of the workbook is empty ({', '.join(repr(n) for n in names)})")
        raise fatal(path, f"empty workbook: sheet {title!r} has no header and no answers")
    width = len(header)
    frame = (
        pd.DataFrame(rows, columns=range(width), dtype=object)
        if rows
        else pd.DataFrame(columns=range(width), dtype=object)
    )
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    frame = frame.map(lambda v: np.nan if _blank(v) else v)
    return Table(header, frame, "xlsx", sheet=title, notes=notes)
