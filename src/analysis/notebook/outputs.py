"""Tables and figures written by the notebooks, byte for byte reproducible.

Part of the notebook kit (:mod:`analysis.notebook`): ``save_table`` protects what leaves the
package (cells hidden by disclosure control are blanked) and ``save_figure`` writes PNG / SVG
without dates or software versions, so two builds give the same bytes.

Examples
--------
>>> import tempfile, pandas as pd
>>> out = tempfile.mkdtemp()
>>> save_table(pd.DataFrame({"a": [1.0, 2.5]}), "demo", out).name
'demo.csv'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["TABLES_SUBDIR", "FIGURES_SUBDIR", "FLOAT_FORMAT", "save_table", "save_figure"]

#: Sub-folders of ``output_dir`` that receive the tables and the figures.
TABLES_SUBDIR = "tables"
FIGURES_SUBDIR = "figures"
#: Float format of the CSV tables (fixed so that two builds give the same bytes).
FLOAT_FORMAT = "%.6g"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_name(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    if not _NAME.match(name):
        raise ValueError(
            f"output name {name!r} must start with a letter or digit and contain only "
            "letters, digits, '_', '-' and '.'"
        )
    return name


def save_table(
    df: pd.DataFrame,
    name: str,
    output_dir: str | Path,
    *,
    index: bool = False,
    float_format: str = FLOAT_FORMAT,
    protect: bool = True,
) -> Path:
    """Write ``df`` to ``output_dir/tables/NAME.csv`` deterministically.

    UTF-8, ``\\n`` line ends, fixed float format, no index unless asked.

    Parameters
    ----------
    df : DataFrame
    name : str
        File stem (``.csv`` is added).
    output_dir : str or Path
        Output folder of the report (the notebook's ``output_dir`` parameter).
    index : bool, default False
        Write the index as the first column(s).
    float_format : str, default ``"%.6g"``
    protect : bool, default True
        Blank the exact figures of cells hidden by disclosure control
        (:func:`analysis.stats.protect_table`); False only for internal use.

    Returns
    -------
    Path
        The CSV file written.
    """
    stem = _check_name(name, (".csv",))
    folder = Path(output_dir) / TABLES_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.csv"
    if protect:  # a table that leaves the package carries only what disclosure control shows
        from analysis.stats.views import protect_table

        df = protect_table(df)
    text = df.to_csv(index=index, float_format=float_format, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))
    return path


def save_figure(
    fig: Figure,
    name: str,
    output_dir: str | Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
    dpi: int = 150,
) -> list[Path]:
    """Write ``fig`` to ``output_dir/figures/NAME.png`` and ``.svg`` with fixed metadata.

    No date or software version is stored and SVG element ids are seeded from ``name``,
    so two builds of the same figure give identical files. The figure stays open
    (the notebook shows it).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File stem.
    output_dir : str or Path
        Output folder of the report.
    formats : tuple of {"png", "svg", "pdf"}
    dpi : int, default 150
        Resolution of the PNG.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    import matplotlib

    stem = _check_name(name, tuple(f".{f}" for f in formats))
    folder = Path(output_dir) / FIGURES_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        if fmt == "png":
            metadata = {"Software": None}
        elif fmt == "svg":
            metadata = {"Date": None, "Creator": None}
        elif fmt == "pdf":
            metadata = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
        else:
            raise ValueError(f"figure format must be png, svg or pdf, got {fmt!r}")
        with matplotlib.rc_context({"svg.hashsalt": stem, "svg.fonttype": "path"}):
            fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight")
        written.append(path)
    return written
