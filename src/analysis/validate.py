"""Every problem of a raw export, each with file, spreadsheet row, column, value and expectation.

:func:`validate_export` reads a file with :func:`analysis.io.read_export` and returns the
list of :class:`~analysis.errors.Problem` found — all of them, not just the first.
Errors make the export invalid (``softskills validate`` exits 1); warnings are reported
and the data still used.

Checks
------
errors
    empty file, header only, binary or non-tabular file, truncated file (a row with too
    few fields or a quoted field cut by the end of the file), required column missing,
    the same question in two columns, unknown answer label, unknown option in a
    multiple-choice cell, a timestamp that does not parse or lies outside the survey
    year, the same respondent ID twice.
warnings
    unknown extra column (left out), a question of another questionnaire version (left
    out), a test submission, a duplicate submission (the same answers sent again within
    ``duplicate_minutes``; :func:`analysis.prepare.prepare` removes it), the same email
    address on two rows with different answers (both kept).

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

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.codebook import Codebook
from analysis.errors import Problem, SurveyDataError
from analysis.ingest.dates import EXAMPLE, fieldwork_for, parse_dates
from analysis.io import CodedAnswers, RawExport, code_answers, read_export

__all__ = ["Checked", "check_export", "validate_export", "DEFAULT_DUPLICATE_MINUTES"]

#: Two identical submissions this close in time are one respondent pressing "send" twice.
DEFAULT_DUPLICATE_MINUTES: float = 10.0


@dataclass
class Checked:
    """A raw export with its answers coded and every problem found.

    Attributes
    ----------
    raw : RawExport
    coded : CodedAnswers
    submitted_at : Series of datetime64
        Parsed submission times (``NaT`` when missing or unparseable).
    duplicate_of : Series of Int64
        For a duplicate submission, the row of the earlier identical one; else missing.
    problems : list of Problem
        Sorted: whole-file problems first, then by row and column.
    """

    raw: RawExport
    coded: CodedAnswers
    submitted_at: pd.Series
    duplicate_of: pd.Series
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.is_error]


def _check_timestamps(raw: RawExport, problems: list[Problem], date_order: str | None = None) -> pd.Series:
    if "timestamp" not in raw.table:
        return pd.Series(pd.NaT, index=raw.table.index, dtype="datetime64[ns]")
    values = raw.table["timestamp"]
    header = raw.headers["timestamp"]
    result = parse_dates(
        values, column=header, date_order=date_order, fieldwork=fieldwork_for(raw.codebook.metadata, raw.year)
    )
    parsed = result.values
    for severity, message in result.problems:
        problems.append(Problem(severity, raw.file, None, header, None, "one date order for the whole column", message))
    empty = values.isna()
    for row in values.index[empty]:
        problems.append(
            Problem(
                "error", raw.file, int(row), header, "", f"a date and time such as {EXAMPLE}",
                f"empty timestamp: expected a date and time such as {EXAMPLE}",
            )
        )
    order = {"dmy": ", read day/month/year", "mdy": ", read month/day/year"}.get(result.order or "", "")
    for row in values.index[result.unreadable.to_numpy()]:
        v = values[row]
        problems.append(
            Problem(
                "error", raw.file, int(row), header, str(v), f"a date and time such as {EXAMPLE}",
                f'"{v}" is not a date and time{order}; expected e.g. {EXAMPLE}',
            )
        )
    outside = parsed.notna() & (parsed.dt.year != raw.year)
    for row in values.index[outside]:
        v = values[row]
        problems.append(
            Problem(
                "error", raw.file, int(row), header, str(v), f"a date in {raw.year}",
                f'"{v}" is outside the survey year {raw.year} (wrong file or wrong --year?)',
            )
        )
    return parsed


def _check_ids(raw: RawExport, problems: list[Problem]) -> None:
    if "respondent_id" not in raw.table:
        return
    ids = raw.table["respondent_id"]
    header = raw.headers["respondent_id"]
    keys = ids.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    keys = keys.where(ids.notna())
    for row in ids.index[ids.isna()]:
        problems.append(
            Problem("error", raw.file, int(row), header, "", "a respondent ID", "empty respondent ID")
        )
    dup = keys.notna() & keys.duplicated(keep=False)
    if dup.any():
        first = keys[dup].groupby(keys[dup]).transform(lambda s: s.index.min())
        for row in keys.index[dup]:
            if first[row] == row:
                continue
            problems.append(
                Problem(
                    "error", raw.file, int(row), header, str(keys[row]), "a respondent ID used once",
                    f'duplicated respondent: ID "{keys[row]}" already used on row {int(first[row])}',
                )
            )


def _find_duplicates(
    raw: RawExport, coded: CodedAnswers, submitted_at: pd.Series, minutes: float, problems: list[Problem]
) -> pd.Series:
    idx = raw.table.index
    duplicate_of = pd.Series(pd.array([pd.NA] * len(idx), dtype="Int64"), index=idx)
    answers = coded.data
    if answers.shape[1] == 0 or len(idx) < 2:
        return duplicate_of
    key = pd.util.hash_pandas_object(answers, index=False).to_numpy()
    order = pd.DataFrame({"key": key, "ts": submitted_at.to_numpy(), "row": idx.to_numpy()})
    order["person"] = raw.person.to_numpy()
    order = order.sort_values(["key", "ts", "row"], kind="mergesort").reset_index(drop=True)
    same_key = order["key"].eq(order["key"].shift())
    gap = order["ts"] - order["ts"].shift()
    close = gap.notna() & (gap <= pd.Timedelta(minutes=minutes))
    prev_person = order["person"].shift()
    compatible = order["person"].isna() | prev_person.isna() | order["person"].eq(prev_person).fillna(False)
    is_dup = (same_key & close & compatible.astype(bool)).to_numpy()
    prev_row = order["row"].shift().to_numpy()
    header = raw.headers.get("timestamp")
    for i in np.flatnonzero(is_dup):
        row = int(order.at[i, "row"])
        earlier = int(prev_row[i])
        duplicate_of[row] = earlier
        mins = gap.iat[i].total_seconds() / 60
        problems.append(
            Problem(
                "warning", raw.file, row, header, None, None,
                f"duplicate submission: the same answers as row {earlier} sent {mins:.0f} minute(s) later "
                "(prepare removes it)",
            )
        )
    # the same email address with different answers: reported, both kept
    person = raw.person
    if person.notna().sum() > 1:
        seen = person.notna() & person.duplicated(keep="first") & duplicate_of.isna()
        if seen.any():
            first_row = person[person.notna()].groupby(person[person.notna()]).transform(lambda s: s.index.min())
            for row in person.index[seen]:
                problems.append(
                    Problem(
                        "warning", raw.file, int(row), None, None, None,
                        f"the same email address as row {int(first_row[row])} with different answers or "
                        "sent later: a second submission by the same person (both kept)",
                    )
                )
    return duplicate_of


def check_export(
    raw: RawExport, *, duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES, date_order: str | None = None
) -> Checked:
    """Code a :class:`~analysis.io.RawExport` and run every check on it.

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
    problems: list[Problem] = list(raw.problems)
    coded = code_answers(raw)
    problems += coded.problems
    submitted_at = _check_timestamps(raw, problems, date_order)
    _check_ids(raw, problems)
    for row in raw.is_test.index[raw.is_test.to_numpy()]:
        problems.append(
            Problem(
                "warning", raw.file, int(row), None, None, None,
                "test submission (a test marker in the email, name or free text): prepare removes it",
            )
        )
    duplicate_of = _find_duplicates(raw, coded, submitted_at, duplicate_minutes, problems)
    order = {h: i for i, h in enumerate(raw.headers.values())}
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, order.get(p.column, -1)))
    return Checked(raw, coded, submitted_at, duplicate_of, problems)


def validate_export(
    path: str | Path,
    year: int,
    *,
    codebook: Codebook | None = None,
    duplicate_minutes: float = DEFAULT_DUPLICATE_MINUTES,
    date_order: str | None = None,
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

    Returns
    -------
    list of Problem
        Empty when the export is clean; errors make it invalid, warnings do not.

    Raises
    ------
    SurveyUsageError
        Missing file or a year no questionnaire version covers (a usage mistake, not a data problem).

    Examples
    --------
    >>> for p in validate_export("data/raw/2020.csv", 2020):  # doctest: +SKIP
    ...     print(p.severity, p)
    """
    try:
        raw = read_export(path, year, codebook=codebook)
    except SurveyDataError as exc:
        return exc.problems
    return check_export(raw, duplicate_minutes=duplicate_minutes, date_order=date_order).problems
