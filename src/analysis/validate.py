"""Every problem of a raw export, each with file, spreadsheet row, column, value and expectation.

:func:`validate_export` runs the ingest pipeline (:mod:`analysis.ingest`) and returns the list
of :class:`~analysis.errors.Problem` found — all of them, not just the first. Errors make the
export invalid (``softskills validate`` exits 1); warnings are reported and the data still used.

Checks
------
errors
    empty file, header only, binary or non-tabular file (an HTML page, a PDF, a zip without one
    CSV), truncated file (a row with too few fields or a quoted field cut by the end of the file),
    required column missing (with a nearly matching header shown), the same question in two
    columns, unknown answer label, unknown option in a multiple-choice cell, a timestamp that
    does not parse, lies outside the survey year, or whose column is ambiguous (day/month) or
    mixes two date orders, the same respondent ID twice.
warnings
    unknown extra column (left out), a question of another questionnaire version (left
    out), codes given instead of labels (one per column), a test submission, a duplicate
    submission (the same answers sent again within ``duplicate_minutes``;
    :func:`analysis.prepare.prepare` removes it), the same email address on two rows with
    different answers (both kept; not for an anonymous form).

Every check is vectorised (distinct values per column, sorting for duplicates): Python
loops run only over the cells that are wrong.

Examples
--------
>>> from analysis.validate import validate_export
>>> problems = validate_export("data/raw/2020.csv", 2020)  # doctest: +SKIP
>>> [str(p) for p in problems if p.is_error]  # doctest: +SKIP
[]
"""

from __future__ import annotations

from pathlib import Path

from analysis.codebook import Codebook
from analysis.errors import Problem, SurveyDataError
from analysis.ingest.mapping import ColumnMapping
from analysis.ingest.pipeline import Checked, IngestOptions, RawExport, check, ingest

__all__ = ["Checked", "check_export", "validate_export", "validate_report", "DEFAULT_DUPLICATE_MINUTES"]

#: Two identical submissions this close in time are one respondent pressing "send" twice.
DEFAULT_DUPLICATE_MINUTES: float = 10.0


def check_export(
    raw: RawExport, *, duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES, date_order: str | None = None
) -> Checked:
    """Code a :class:`~analysis.ingest.RawExport` and run every check on it.

    Parameters
    ----------
    raw : RawExport
    duplicate_minutes : float, default 10
        Window within which identical answers are one duplicated submission.
    date_order : {"dmy", "mdy"}, optional
        Order of ``a/b/yyyy`` timestamps when the column does not settle it
        (see :mod:`analysis.ingest.dates`).

    Returns
    -------
    Checked
    """
    return check(raw, IngestOptions(date_order=date_order, duplicate_minutes=duplicate_minutes))


def validate_report(
    path: str | Path,
    year: int,
    *,
    codebook: Codebook | None = None,
    duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES,
    date_order: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    sheet: str | None = None,
) -> tuple[list[Problem], list[str]]:
    """Like :func:`validate_export`, also returning the reader's notes (tool, sheet, zip)."""
    options = IngestOptions(
        mapping=mapping, sheet=sheet, date_order=date_order, duplicate_minutes=duplicate_minutes
    )
    try:
        checked = ingest(path, year, options, codebook=codebook)
    except SurveyDataError as exc:
        return exc.problems, []
    return checked.problems, checked.raw.notes


def validate_export(
    path: str | Path,
    year: int,
    *,
    codebook: Codebook | None = None,
    duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES,
    date_order: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    sheet: str | None = None,
) -> list[Problem]:
    """Return every problem of the export at ``path`` for survey ``year``.

    Parameters
    ----------
    path : str or Path
    year : int
    codebook : Codebook, optional
    duplicate_minutes : float, default 10
    date_order : {"dmy", "mdy"}, optional
        See :func:`check_export`.
    mapping : str, Path or ColumnMapping, optional
        Mapping file from the file's columns to codebook variables (:mod:`analysis.ingest.mapping`).
    sheet : str, optional
        Workbook sheet to read (default: the one whose headers match the codebook).

    Returns
    -------
    list of Problem
        Empty when the export is clean; errors make it invalid, warnings do not.

    Raises
    ------
    SurveyUsageError
        Missing file, a year no questionnaire version covers, a bad mapping file or sheet
        (a usage mistake, not a data problem).

    Examples
    --------
    >>> for p in validate_export("data/raw/2020.csv", 2020):  # doctest: +SKIP
    ...     print(p.severity, p)
    """
    return validate_report(
        path, year, codebook=codebook, duplicate_minutes=duplicate_minutes, date_order=date_order,
        mapping=mapping, sheet=sheet,
    )[0]
