"""Unweighted tables are unchanged by the design-based weighted path (issue 13).

The CSV files in ``tests/data/unweighted_snapshot/`` were written by this module
(``python tests/test_stats_unweighted_snapshot.py``) *before* the weighted path moved
onto :class:`analysis.survey.SurveyDesign`; every unweighted table must still give the
same bytes.

Regenerated once on main after merging issue 9's report-wide disclosure plan (declared merges of
sparse categories, withheld statistics, provenance stamps in ``attrs``), which changes protected
unweighted tables by design; the weighted-path change alone had been checked against the earlier
snapshot on its branch. From here on the snapshot guards unweighted tables against any change.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pytest
from _prepared_factory import make_prepared

from analysis import stats

SNAP = Path(__file__).parent / "data" / "unweighted_snapshot"


def _frame(df: pd.DataFrame) -> str:
    return df.to_csv(index=True) + "\n#attrs " + json.dumps(df.attrs, sort_keys=True, default=str)


@functools.cache
def _tables() -> dict[str, str]:
    a = make_prepared(2021, n=150, seed=3)
    b = make_prepared(2022, n=180, seed=4)
    both = pd.concat([a, b], ignore_index=True)
    out: dict[str, pd.DataFrame] = {}
    out["freq_q2"] = stats.frequencies(b, "q2_relevance")
    out["freq_q2_by_service"] = stats.frequencies(b, "q2_relevance", by="service", lang="en")
    out["freq_q4_by_role"] = stats.frequencies(b, "q4_policies", by=["role"], min_cell=0)
    out["freq_q7"] = stats.frequencies(b, "q7_skill_relevance", by="service")
    out["scale_q2_by_role"] = stats.scale_summary(b, "q2_relevance", by="role")
    out["scale_q7"] = stats.scale_summary(b, "q7_skill_relevance")
    mr = stats.multiple_response(b, "q1_skills", by="service")
    for f in ("table", "picks", "cochran", "pairwise", "cooccurrence"):
        out[f"mr_{f}"] = getattr(mr, f)
    for name, (r, c) in {
        "ct_q2_service": ("q2_relevance", "service"),
        "ct_q4_role": ("q4_policies", "role"),
        "ct_q5_size": ("q5_assessment", "company_size"),
    }.items():
        ct = stats.crosstab(b, r, c, n_resamples=2000)
        out[f"{name}_table"], out[f"{name}_test"], out[f"{name}_display"] = (
            ct.table,
            ct.test,
            ct.display,
        )
    for v in ("q2_relevance", "q4_policies"):
        tr = stats.trend(both, v, n_resamples=2000)
        out[f"trend_{v}_table"], out[f"trend_{v}_test"] = tr.table, tr.test
    return {k: _frame(v) for k, v in out.items()}


@pytest.mark.parametrize("name", sorted(p.stem for p in SNAP.glob("*.csv")))
def test_unweighted_table_is_byte_identical(name):
    assert _tables()[name] == (SNAP / f"{name}.csv").read_text(encoding="utf-8")


def test_snapshot_is_complete():
    assert sorted(_tables()) == sorted(p.stem for p in SNAP.glob("*.csv"))


if __name__ == "__main__":  # pragma: no cover - regenerate the snapshot
    SNAP.mkdir(parents=True, exist_ok=True)
    for k, v in _tables().items():
        (SNAP / f"{k}.csv").write_text(v, encoding="utf-8")
