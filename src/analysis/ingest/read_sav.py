"""Reader of SPSS ``.sav`` files: values, variable labels, value labels, user-missing codes.

A real ``.sav`` names its variables in many ways — the project's own names, the researcher's
(``D1``, ``Q1_1``), or SPSS's ``V1 … Vn`` after importing a CSV, with the question text as the
variable *label*. The reader keeps both: the name as the column's header and the label as an
alternative the map step tries (:mod:`analysis.ingest.mapping`). Value labels and user-missing
ranges are applied after mapping (:func:`apply_value_labels`), when the question — and so its
don't-know label — is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Variable
from analysis.errors import Problem
from analysis.ingest.read import Table
from analysis.ingest.sniff import fatal

__all__ = ["read_sav", "apply_value_labels"]


def read_sav(path: Path) -> Table:
    """Read a ``.sav`` file: codes as stored, with every label kept for the later steps."""
    import pyreadstat

    try:
        data, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise fatal(path, f"cannot be read as an SPSS .sav file ({exc})") from None
    labels_of = meta.variable_value_labels or {}
    missing_of = meta.missing_ranges or {}
    col_labels = meta.column_names_to_labels or {}
    n = len(data)
    rownums = pd.Index(np.arange(2, n + 2), name="row", dtype="int64")
    header = [str(c) for c in data.columns]
    frame = pd.DataFrame(
        {i: pd.Series(data[c].to_numpy(dtype=object), index=rownums) for i, c in enumerate(data.columns)},
        index=rownums,
    )
    table = Table(header, frame, "sav")
    table.labels = [col_labels.get(c) or None for c in data.columns]
    table.value_labels = {i: labels_of[c] for i, c in enumerate(data.columns) if labels_of.get(c)}
    table.missing = {i: missing_of[c] for i, c in enumerate(data.columns) if missing_of.get(c)}
    table.alternatives = {i: [lab] for i, lab in enumerate(table.labels) if lab}
    return table


def _missing_test(ranges: list[dict[str, Any]]):
    spans = [(r.get("lo"), r.get("hi")) for r in ranges]

    def is_missing(v: Any) -> bool:
        if not isinstance(v, (int, float)):
            return False
        return any(lo is not None and hi is not None and lo <= v <= hi for lo, hi in spans)

    return is_missing


def apply_value_labels(
    col: pd.Series, vlabels: dict[Any, str], missing: list[dict[str, Any]], var: Variable | None, file: str,
    header: str, problems: list[Problem],
) -> pd.Series:
    """Replace the codes of an SPSS column by their value labels; user-missing -> don't know.

    A user-missing code becomes the question's don't-know label (missing when it offers none).
    When the value labels order a scale's answers differently from the codebook a warning says
    that the codebook's order is used.
    """
    from analysis.ingest.code import labels_of
    from analysis.ingest.text import map_unique, normalize_text

    user_missing = _missing_test(missing)
    dk_label = var.dont_know[0].it if var is not None and var.dont_know else None
    if var is not None and var.is_scale and vlabels:
        lab = labels_of(var)
        order = list(var.codes)
        positions = []
        for code in sorted(k for k in vlabels if not user_missing(k)):
            mapped = lab.codes.get(normalize_text(vlabels[code]))
            if mapped is not None:
                positions.append(order.index(mapped))
        if positions != sorted(positions):
            problems.append(
                Problem(
                    "warning", file, None, header, None, ", ".join(var.labels()),
                    "the value labels order the answers differently from the codebook; the codebook's order is used",
                )
            )

    def relabel(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if user_missing(v):
            return dk_label if dk_label is not None else np.nan
        if v in vlabels:
            return vlabels[v]
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return v

    return map_unique(col, relabel)
