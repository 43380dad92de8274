"""Prepared survey years for analysis: one year from its raw export, or several pooled.

Notebooks start here: :func:`load_year` prepares the export a report is about (never
touching ``data/raw/``), :func:`load_years` pools the bundled years for trends.

Example
-------
>>> from analysis.datasets import available_years, load_years
>>> years = available_years()
>>> pooled = load_years(years[:2])                       # doctest: +SKIP
>>> sorted(pooled["year"].unique())                      # doctest: +SKIP
[2020, 2021]
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.config import RAW_DIR, raw_path_for_year
from analysis.prepare import PreparedData, prepare

__all__ = ["available_years", "load_year", "load_years"]

_YEAR_FILE = re.compile(r"^(\d{4})\.(csv|xlsx|sav)$")


def available_years(raw_dir: str | Path | None = None) -> list[int]:
    """Years with a raw export in ``data/raw`` (``YEAR.csv``, ``.xlsx`` or ``.sav``), sorted."""
    folder = Path(raw_dir) if raw_dir is not None else RAW_DIR
    years = {int(m.group(1)) for p in folder.iterdir() if (m := _YEAR_FILE.match(p.name))}
    return sorted(years)


def load_year(year: int, input_path: str | Path | None = None) -> PreparedData:
    """Prepare one survey year (its bundled export unless ``input_path`` is given).

    Warnings about the export (test rows and duplicates removed, unknown columns) are kept
    in ``PreparedData.problems`` and the data-quality summary rather than printed.
    """
    path = Path(input_path) if input_path else raw_path_for_year(year)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prepare(path, year)


def load_years(
    years: Iterable[int], *, raw_dir: str | Path | None = None, current: PreparedData | None = None
) -> pd.DataFrame:
    """Pool prepared years into one table (``year`` column; Categoricals kept).

    Parameters
    ----------
    years : iterable of int
        Years to pool; each is read from its bundled export in ``raw_dir``.
    raw_dir : str or Path, optional
        Folder of the exports (default ``data/raw``).
    current : PreparedData, optional
        An already prepared year (e.g. the report's own input) used instead of re-reading it.

    Returns
    -------
    DataFrame
        The union of the years' columns; a question not asked in a year is missing there.
    """
    frames = []
    for year in sorted(set(years)):
        if current is not None and current.year == year:
            frames.append(current.data)
            continue
        path = raw_path_for_year(year, Path(raw_dir) if raw_dir is not None else None)
        frames.append(load_year(year, path).data)
    if not frames:
        raise ValueError("load_years needs at least one year")
    pooled = pd.concat(frames, ignore_index=True)
    # concat keeps a Categorical only when every frame has the same categories; restore them
    for col in frames[0].columns:
        dtypes = [f[col].dtype for f in frames if col in f.columns]
        if dtypes and all(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            if not isinstance(pooled[col].dtype, pd.CategoricalDtype):
                pooled[col] = pd.Categorical(pooled[col], dtype=dtypes[0])
    return pooled
