"""Prepared survey years for analysis: one year, or several pooled for trends.

Both read the processed-data cache (:mod:`analysis.processed`): a year is prepared from its
raw export once, then read back. The rule from a year to its raw export and the list of
years live in :mod:`analysis.config` (re-exported here for convenience).

Example
-------
>>> from analysis.datasets import available_years, load_years
>>> years = available_years()
>>> pooled = load_years(years[:2])                       # doctest: +SKIP
>>> sorted(pooled["year"].unique())                      # doctest: +SKIP
[2020, 2021]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.config import available_years, raw_path_for_year
from analysis.processed import load_prepared

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.prepare import PreparedData

__all__ = ["available_years", "raw_path_for_year", "load_year", "load_years"]


def load_year(year: int, input_path: str | Path | None = None, *,
              raw_dir: str | Path | None = None) -> PreparedData:
    """Prepared table of one survey year (its export in ``raw_dir`` unless ``input_path`` is given).

    Warnings about the export (test rows and duplicates removed, unknown columns) are kept in
    ``PreparedData.problems`` and the data-quality summary rather than printed.
    """
    return load_prepared(year, input_path, raw_dir=raw_dir)


def load_years(
    years: Iterable[int], *, raw_dir: str | Path | None = None, current: PreparedData | None = None
) -> pd.DataFrame:
    """Pool prepared years into one table (``year`` column; Categoricals kept).

    Parameters
    ----------
    years : iterable of int
        Years to pool; each is read from its export in ``raw_dir``.
    raw_dir : str or Path, optional
        Folder of the exports (default ``data/raw``).
    current : PreparedData, optional
        An already prepared year (e.g. the report's own input) used instead of re-reading it.

    Returns
    -------
    DataFrame
        The union of the years' columns; a question not asked in a year is missing there.
    """
    import pandas as pd

    frames = []
    for year in sorted(set(years)):
        if current is not None and current.year == year:
            frames.append(current.data)
            continue
        frames.append(load_prepared(year, raw_dir=raw_dir).data)
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
