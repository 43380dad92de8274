"""The reader tables the report notebooks publish, written with save_table (tests only).

Mirrors the ``save_table`` calls of notebooks 01 (data quality, profile) and 02 (descriptives),
so that a test can attack a year's published tables jointly without running the notebooks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import stats
from analysis.reporting.outputs import save_table

PROFILE = ["role", "service", "sector", "company_size", "experience"]
SCALES = ["q2_relevance", "q3_soft_vs_hard", "q6_valued"]
CROSSTABS = [(r, c) for r in ["q2_relevance", "q3_soft_vs_hard", "q4_policies", "q6_valued"]
             for c in ["service", "role"]]


def publish(df: pd.DataFrame, out: Path, *, summary: pd.DataFrame | None = None,
            min_cell: int = 5) -> Path:
    """Write the tables of one year's reader bundle to ``out/tables``; return that folder."""
    year = int(df["year"].iloc[0])
    if summary is not None:
        save_table(summary, "data_quality", out, year=year)
    for name in PROFILE:
        save_table(stats.frequencies(df, name, min_cell=min_cell), f"profile_{name}", out)
    mr = stats.multiple_response(df, "q1_skills", min_cell=min_cell)
    save_table(mr.table, "q1_skills", out)
    save_table(mr.pairwise, "q1_skills_pairwise", out)
    for name in SCALES:
        save_table(stats.frequencies(df, name, min_cell=min_cell), name, out)
        save_table(stats.scale_summary(df, name, by="service", min_cell=min_cell),
                   f"{name}_by_service", out)
    tests = []
    for row, col in CROSSTABS:
        ct = stats.crosstab(df, row, col, min_cell=min_cell, n_resamples=200)
        tests.append(ct.test)
        save_table(ct.table, f"crosstab_{row}_{col}", out)
    save_table(pd.concat(tests, ignore_index=True), "crosstab_tests", out, year=year)
    for name in ["q4_policies", "q5_assessment"]:
        save_table(stats.frequencies(df, name, min_cell=min_cell), name, out)
    return Path(out) / "tables"
