"""Step *read*: a file's bytes -> a :class:`Table` of cells as written, one reader per format.

:func:`read_table` dispatches on the kind :mod:`analysis.ingest.sniff` found:
:mod:`~analysis.ingest.read_csv` (encoding, delimiter, exact spreadsheet rows),
:mod:`~analysis.ingest.read_xlsx` (the sheet whose headers match, or ``sheet=``) and
:mod:`~analysis.ingest.read_sav` (variable and value labels, user-missing codes kept).
Cells stay as written; what the columns mean is the next step's business
(:mod:`analysis.ingest.tools`, then :mod:`analysis.ingest.mapping`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import Problem

__all__ = ["Table", "read_table"]


@dataclass
class Table:
    """The cells of an export as written.

    Attributes
    ----------
    header : list of str
        Header row (for a tool with several header rows, the one the tool step settles on).
    frame : DataFrame
        Columns ``0 .. len(header)-1``; index ``row`` = row number a spreadsheet shows.
    format : str
        ``csv``, ``xlsx`` or ``sav``.
    encoding, delimiter, sheet : str or None
        How a CSV was decoded / which sheet of a workbook was read.
    labels : list of str or None
        SPSS variable labels (one per column; None elsewhere).
    value_labels, missing : dict
        SPSS value labels and user-missing ranges by column position.
    alternatives : dict
        Column position -> other texts that may name the column (a tool's codes or question text).
    tool : str or None
        The survey tool recognised by its signature (:mod:`analysis.ingest.tools`).
    problems : list of Problem
    notes : list of str
        What the reader decided (sheet read, zip opened, tool recognised).
    """

    header: list[str]
    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    labels: list[str | None] | None = None
    value_labels: dict[int, dict[Any, str]] = field(default_factory=dict)
    missing: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    alternatives: dict[int, list[str]] = field(default_factory=dict)
    tool: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_table(path: Path, kind: str, data: bytes, score: Callable[[list[str]], int], sheet: str | None = None) -> Table:
    """Read ``data`` (the bytes of ``path``, of ``kind``) into a :class:`Table`.

    ``score(header)`` counts the headers known to the codebook: it picks a CSV's delimiter and
    a workbook's sheet.
    """
    if kind == "csv":
        from analysis.ingest.read_csv import read_csv

        return read_csv(path, data, score)
    if kind == "xlsx":
        from analysis.ingest.read_xlsx import read_xlsx

        return read_xlsx(path, data, score, sheet)
    from analysis.ingest.read_sav import read_sav

    return read_sav(path)
