"""Paths and defaults: the one place that knows where data and reports live."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "DATA_DIR",
    "RAW_DIR",
    "PROCESSED_DIR",
    "CODEBOOK_DIR",
    "CODEBOOK_PATH",
    "REPORTS_DIR",
    "NOTEBOOKS_DIR",
    "DEFAULT_YEAR",
    "DEFAULT_SEED",
    "raw_path_for_year",
]

#: Root of the project checkout (overridable with ``SOFTSKILLS_ROOT``).
PROJECT_ROOT: Path = Path(os.environ.get("SOFTSKILLS_ROOT", Path(__file__).resolve().parents[2]))
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
PROCESSED_DIR: Path = DATA_DIR / "processed"
CODEBOOK_DIR: Path = DATA_DIR / "codebook"
CODEBOOK_PATH: Path = CODEBOOK_DIR / "softskills.yaml"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"

DEFAULT_YEAR: int = 2020
DEFAULT_SEED: int = 20200312

_RAW_SUFFIXES = (".csv", ".xlsx", ".sav")


def raw_path_for_year(year: int, raw_dir: Path | None = None) -> Path:
    """Return the bundled raw export of ``year`` (``data/raw/YEAR.csv``, ``.xlsx`` or ``.sav``).

    Parameters
    ----------
    year : int
        Survey year.
    raw_dir : Path, optional
        Folder to look in; defaults to :data:`RAW_DIR`.

    Returns
    -------
    Path
        The first existing file among ``YEAR.csv``, ``YEAR.xlsx``, ``YEAR.sav``.

    Raises
    ------
    FileNotFoundError
        If no raw export of that year exists.
    """
    folder = raw_dir if raw_dir is not None else RAW_DIR
    for suffix in _RAW_SUFFIXES:
        candidate = folder / f"{year}{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"no raw export for year {year} in {folder} (looked for {year}.csv, {year}.xlsx, {year}.sav)"
    )
