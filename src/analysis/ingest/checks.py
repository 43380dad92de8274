"""Step *checks*: problems of the cells that are not about coding, each with its location.

Timestamps (parsed by :mod:`analysis.ingest.dates`: empty, not a date, outside the survey
year, an ambiguous or mixed column), respondent IDs (empty, used twice) and test submissions
(a warning: prepare removes them).
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import Problem
from analysis.ingest.dates import EXAMPLE, fieldwork_for, parse_dates

__all__ = ["check_timestamps", "check_ids", "test_warnings"]


def check_timestamps(raw, problems: list[Problem], date_order: str | None = None) -> pd.Series:
    """Parse the submission times; report every one that is missing, unreadable or in another year."""
    if "timestamp" not in raw.table:
        return pd.Series(pd.NaT, index=raw.table.index, dtype="datetime64[ns]")
    values = raw.table["timestamp"]
    header = raw.headers["timestamp"]
    result = parse_dates(
        values, column=header, date_order=date_order, fieldwork=fieldwork_for(raw.codebook.metadata, raw.year)
    )
    parsed = result.values
    if result.order and result.reason and not result.reason.startswith("row "):
        way = "day/month/year" if result.order == "dmy" else "month/day/year"
        raw.notes.append(f'dates in column "{header}" read {way}: {result.reason}')
    for severity, message in result.problems:
        problems.append(Problem(severity, raw.file, None, header, None, "one date order for the whole column", message))
    empty = values.isna()
    for row in values.index[empty]:
        problems.append(
            Problem(
                "error", raw.file, int(row), header, "", f"a date and time such as {EXAMPLE}",
                f"empty timestamp: expected a date and time such as {EXAMPLE}"
                + (
                    " (an incomplete response: export completed responses only, LimeSurvey's "
                    "Export ▸ Completion state ▸ Completed responses only)"
                    if raw.tool == "LimeSurvey"
                    else ""
                ),
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
    years = sorted(parsed[outside].dt.year.unique().tolist())
    if len(outside) > 1 and outside.all() and len(years) == 1:
        problems.append(
            Problem(
                "error", raw.file, None, header, None, f"dates in {raw.year}",
                f"every timestamp is in {years[0]}, none in the survey year {raw.year}: "
                f"wrong file, or --year {years[0]}?",
            )
        )
        return parsed
    for row in values.index[outside]:
        v = values[row]
        problems.append(
            Problem(
                "error", raw.file, int(row), header, str(v), f"a date in {raw.year}",
                f'"{v}" is outside the survey year {raw.year} (wrong file or wrong --year?)',
            )
        )
    return parsed


def check_ids(raw, problems: list[Problem]) -> None:
    """Every respondent ID present and used once."""
    if "respondent_id" not in raw.table:
        return
    ids = raw.table["respondent_id"]
    header = raw.headers["respondent_id"]
    keys = ids.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    keys = keys.where(ids.notna())
    for row in ids.index[ids.isna()]:
        problems.append(Problem("error", raw.file, int(row), header, "", "a respondent ID", "empty respondent ID"))
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


def test_warnings(raw, problems: list[Problem]) -> None:
    """One warning per test submission (removed by prepare)."""
    for row in raw.is_test.index[raw.is_test.to_numpy()]:
        problems.append(
            Problem(
                "warning", raw.file, int(row), None, None, None,
                "test submission (a test marker in the email, name or free text): prepare removes it",
            )
        )
