"""Project exceptions and the :class:`Problem` record of a bad input.

A :class:`Problem` names the file, the row as a spreadsheet shows it (header = row 1,
first answer = row 2), the column header, the value and what was expected.
:class:`SurveyDataError` carries every problem found in an export (exit code 1 in the
CLI); :class:`SurveyUsageError` is a usage mistake such as a missing file or a year
without a questionnaire version (exit code 2). Every user-facing error derives from
:class:`SurveyError`, so the CLI never has to guess from a built-in exception (a programming
``KeyError`` is a bug and shows as one).

Examples
--------
>>> p = Problem("error", "2020.csv", 17, "Quanto ritieni rilevanti le soft skill?", "Moltissimo!",
...             "Per niente, Poco", '"Moltissimo!" is not one of: Per niente, Poco')
>>> str(p)
'2020.csv, row 17, column "Quanto ritieni rilevanti le soft skill?": "Moltissimo!" is not one of: Per niente, Poco'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Problem",
    "SurveyError",
    "SurveyDataError",
    "SurveyUsageError",
    "UnknownNameError",
    "errors_only",
    "shorten_header",
]

Severity = Literal["error", "warning"]

_BATTERY = re.compile(r"^(?P<text>.*\S)\s*(?P<item>\[[^\]]*\])$", re.S)


def shorten_header(header: str, width: int = 60) -> str:
    """Shorten a long column header for a message, keeping a battery's ``[item]``.

    Examples
    --------
    >>> shorten_header("Quanto è rilevante ciascuna di queste soft skill? [Empatia]", 30)
    'Quanto è rilevante… [Empatia]'
    """
    header = " ".join(str(header).split())
    if len(header) <= width:
        return header
    m = _BATTERY.match(header)
    if m:
        item = m.group("item")
        room = max(width - len(item) - 2, 10)
        return m.group("text")[:room].rstrip() + "… " + item
    return header[: width - 1].rstrip() + "…"


@dataclass(frozen=True)
class Problem:
    """One problem of a raw export.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors make the export invalid; warnings are reported and the data still used.
    file : str
        File name (not the full path).
    row : int or None
        Row as a spreadsheet shows it (header = 1); None for a problem of the whole file.
    column : str or None
        Column header as written in the file (or the expected header when it is missing).
    value : str or None
        The offending value.
    expected : str or None
        What was expected instead.
    message : str
        Human-readable description, without the location (``str()`` adds it).
    """

    severity: Severity
    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str | None
    message: str

    @property
    def is_error(self) -> bool:
        """True for an error (the export is invalid)."""
        return self.severity == "error"

    def location(self) -> str:
        """``file, row N, column "header"`` with the parts that are known."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f'column "{shorten_header(self.column)}"')
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of severity ``"error"``."""
    return [p for p in problems if p.is_error]


class SurveyError(Exception):
    """Base class of the project's user-facing errors (never shown as a traceback)."""


class SurveyUsageError(SurveyError):
    """A usage mistake: missing file, unknown year, unsupported format option."""


class UnknownNameError(SurveyUsageError, KeyError):
    """A year, variable or other name the codebook does not know (also a ``KeyError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SurveyDataError(SurveyError):
    """The export is invalid; ``problems`` lists every problem found (errors and warnings)."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        n_err = len(errors_only(self.problems))
        head = summary or f"{n_err} error(s) in the export"
        lines = [head] + [f"  {p.severity}: {p}" for p in self.problems]
        super().__init__("\n".join(lines))
