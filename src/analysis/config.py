"""Paths and defaults: the one place that knows where data and reports live.

Everything here is cheap to import (no pandas): the command line and the build read it
before deciding whether anything needs to run.

- where the project's folders are (``PROJECT_ROOT`` can be moved with ``SOFTSKILLS_ROOT``,
  the processed-data cache with ``SOFTSKILLS_PROCESSED_DIR``);
- the package-wide defaults of a report (year, language, link, significance level, disclosure
  threshold) and the values a parameter may take (``LANGS``, ``LINKS``);
- the rule from a year to its raw export (:func:`raw_path_for_year`) and the list of years
  that have one (:func:`available_years`).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "2021.csv").write_text("a\\n"); _ = (d / "2022.xlsx").write_bytes(b"")
>>> available_years(d)
[2021, 2022]
>>> raw_path_for_year(2022, d).name
'2022.xlsx'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from analysis.errors import SurveyUsageError

__all__ = [
    "PROJECT_ROOT",
    "DATA_DIR",
    "RAW_DIR",
    "PROCESSED_DIR",
    "CODEBOOK_DIR",
    "CODEBOOK_PATH",
    "MARGINS_DIR",
    "REPORTS_DIR",
    "NOTEBOOKS_DIR",
    "SOURCE_DIR",
    "DEFAULT_YEAR",
    "DEFAULT_LANG",
    "DEFAULT_LINK",
    "DEFAULT_ALPHA",
    "DEFAULT_MIN_CELL",
    "DEFAULT_SEED",
    "LANGS",
    "LINKS",
    "RAW_SUFFIXES",
    "RawExportNotFoundError",
    "available_years",
    "raw_path_for_year",
    "relative_to_project",
]

#: Root of the project checkout (overridable with ``SOFTSKILLS_ROOT``).
PROJECT_ROOT: Path = Path(os.environ.get("SOFTSKILLS_ROOT", Path(__file__).resolve().parents[2]))
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
#: Prepared years, cached by content hash (overridable with ``SOFTSKILLS_PROCESSED_DIR``).
PROCESSED_DIR: Path = Path(os.environ.get("SOFTSKILLS_PROCESSED_DIR", DATA_DIR / "processed"))
CODEBOOK_DIR: Path = DATA_DIR / "codebook"
CODEBOOK_PATH: Path = CODEBOOK_DIR / "softskills.yaml"
MARGINS_DIR: Path = DATA_DIR / "margins"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
#: The package's own source (hashed by incremental builds).
SOURCE_DIR: Path = Path(__file__).resolve().parent

DEFAULT_YEAR: int = 2020
#: Language of everything a reader sees unless asked otherwise (reports, tables, figures).
DEFAULT_LANG: str = "it"
DEFAULT_LINK: str = "logit"
DEFAULT_ALPHA: float = 0.05
DEFAULT_MIN_CELL: int = 5
DEFAULT_SEED: int = 20200312

#: Languages the reports are written in.
LANGS: tuple[str, ...] = ("it", "en")
#: Link functions of the cumulative-link models (names; :mod:`analysis.ordinal` implements them).
LINKS: tuple[str, ...] = ("logit", "probit", "cloglog", "loglog", "cauchit")
#: Formats of a raw export, in the order they are looked for.
RAW_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".sav")

_YEAR_FILE = re.compile(r"^(\d{4})\.(csv|xlsx|sav)$", re.IGNORECASE)


class RawExportNotFoundError(SurveyUsageError, FileNotFoundError):
    """No raw export of a year (a usage mistake; also a :class:`FileNotFoundError`)."""


def available_years(raw_dir: str | Path | None = None) -> list[int]:
    """Years that have a raw export ``YEAR.csv|xlsx|sav`` in ``raw_dir`` (default ``data/raw``), sorted.

    A missing folder has no years.
    """
    folder = Path(raw_dir) if raw_dir is not None else RAW_DIR
    if not folder.is_dir():
        return []
    return sorted({int(m.group(1)) for p in folder.iterdir()
                   if p.is_file() and (m := _YEAR_FILE.match(p.name))})


def raw_path_for_year(year: int, raw_dir: str | Path | None = None) -> Path:
    """Return the raw export of ``year`` (``YEAR.csv``, ``.xlsx`` or ``.sav``, first found).

    Parameters
    ----------
    year : int
        Survey year.
    raw_dir : str or Path, optional
        Folder to look in; defaults to :data:`RAW_DIR`.

    Returns
    -------
    Path

    Raises
    ------
    RawExportNotFoundError
        No export of that year; the message lists the years that have one.
    """
    folder = Path(raw_dir) if raw_dir is not None else RAW_DIR
    for suffix in RAW_SUFFIXES:
        candidate = folder / f"{year}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(map(str, available_years(folder))) or "none"
    raise RawExportNotFoundError(
        f"no raw export for year {year} in {folder} (looked for {year}.csv, {year}.xlsx, "
        f"{year}.sav; years available: {known})"
    )


def relative_to_project(path: str | Path, root: str | Path | None = None) -> str:
    """``path`` relative to the project root when it lies inside it, else its absolute POSIX form.

    Used wherever a path is recorded (provenance, build records), so that a report built in
    another checkout says the same thing.

    Examples
    --------
    >>> relative_to_project(PROJECT_ROOT / "data" / "raw" / "2020.csv")
    'data/raw/2020.csv'
    """
    base = Path(root) if root is not None else PROJECT_ROOT
    p = Path(path).expanduser()
    p = p if p.is_absolute() else (Path.cwd() / p)
    p = Path(os.path.normpath(p))
    try:
        return p.relative_to(Path(os.path.normpath(base.resolve()))).as_posix()
    except ValueError:
        try:
            return p.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
