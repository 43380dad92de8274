"""Disclosure control: primary / secondary suppression, the audit, the report sentence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis.stats.disclosure import (
    PRIMARY,
    SECONDARY,
    audit_suppression,
    disclosure_info,
    disclosure_note,
    format_count,
    suppress_cells,
)


def attacker_range(
    counts: np.ndarray, status: np.ndarray, min_cell: int
) -> list[tuple[float, float]]:
    """Independent attack: every cell a variable, shown cells fixed, row/column totals known.

    Hidden primary cells are known to lie in 1..min_cell-1 (shown as "<m"), hidden
    secondary cells are >= 0. Returns (min, max) of each hidden cell, in flat order.
    """
    r, c = counts.shape
    n = r * c
    a_eq, b_eq = [], []
    if c > 1:
        for i in range(r):
            row = np.zeros(n)
            row[i * c : (i + 1) * c] = 1
            a_eq.append(row)
            b_eq.append(counts[i].sum())
    if r > 1:
        for j in range(c):
            col = np.zeros(n)
            col[j::c] = 1
            a_eq.append(col)
            b_eq.append(counts[:, j].sum())
    bounds = []
    for v, s in zip(counts.ravel(), status.ravel(), strict=True):
        if s == "":
            bounds.append((v, v))
        elif s == PRIMARY:
            bounds.append((1, min_cell - 1))
        else:
            bounds.append((0, None))
    out = []
    for k in np.flatnonzero(status.ravel() != ""):
        e = np.zeros(n)
        e[k] = 1
        kw = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
        lo = linprog(e, bounds=bounds, **kw)
        hi = linprog(-e, bounds=bounds, **kw)
        assert lo.status == 0 and hi.status == 0  # the true table is always feasible
        out.append((lo.fun, -hi.fun))
    return out


def test_primary_rule_and_display():
    st_ = suppress_cells([[0, 3, 4, 60]])
    assert st_.tolist() == [["", PRIMARY, PRIMARY, ""]]
    assert format_count(3, PRIMARY, 5) == "<5"
    assert format_count(3, PRIMARY, 3) == "<3"
    assert format_count(40, SECONDARY) == "x"
    assert format_count(0, "") == "0"


def test_lone_hidden_cell_forces_next_smallest():
    st_ = suppress_cells([[2, 50, 9, 60]])
    # 2 alone would be total - shown: the next-smallest (9) goes too
    assert st_.tolist() == [[PRIMARY, "", SECONDARY, ""]]


def test_min_cell_zero_turns_it_off():
    assert (suppress_cells([[1, 2], [3, 4]], min_cell=0) == "").all()
    info = disclosure_info(suppress_cells([[1, 2]], min_cell=0), min_cell=0)
    assert info["applied"] is False
    assert "min_cell=0" in disclosure_note(info, "en")


def test_bridge_between_cycles_is_protected():
    # two 2x2 blocks of small cells joined only by one small cell: a pattern where every
    # row/column holds two hidden cells can still leave the joining cell recoverable
    counts = np.array(
        [
            [2, 3, 40, 40, 40],
            [3, 2, 4, 40, 40],
            [40, 40, 2, 3, 40],
            [40, 40, 3, 2, 40],
        ]
    )
    status = suppress_cells(counts)
    for lo, hi in attacker_range(counts, status, 5):
        assert hi - lo >= 0.999


def test_audit_flags_a_recoverable_cell():
    counts = np.array([[2, 50], [30, 40]])
    status = np.array([[PRIMARY, ""], ["", ""]], dtype=object)
    audit = audit_suppression(counts, status)
    assert audit["recoverable"].tolist() == [True]


def test_note_languages():
    info = disclosure_info(np.array([PRIMARY, PRIMARY, SECONDARY]))
    it = disclosure_note(info, "it")
    en = disclosure_note(info, "en")
    assert '"<5"' in it and "2 celle" in it and "1 cella" in it and "10 rispondenti" in it
    assert '"<5"' in en and "2 cells" in en and "30 are flagged" in en


def small_tables():
    cell = st.one_of(st.integers(0, 6), st.integers(0, 60))
    return st.integers(1, 4).flatmap(
        lambda r: st.integers(2, 5).flatmap(
            lambda c: st.lists(st.lists(cell, min_size=c, max_size=c), min_size=r, max_size=r)
        )
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=small_tables(), min_cell=st.sampled_from([3, 5]))
def test_no_suppressed_cell_can_be_recomputed(table, min_cell):
    counts = np.array(table, dtype=float)
    status = suppress_cells(counts, min_cell=min_cell)
    # every small non-zero count is hidden; zeros and large cells shown unless secondary
    small = (counts > 0) & (counts < min_cell)
    assert (status[small] != "").all()
    assert not (status[~small] == PRIMARY).any()
    # tables whose every published total is itself at least min_cell can always be
    # protected; check no hidden cell has a single feasible value
    totals_ok = (counts.shape[1] == 1 or (counts.sum(axis=1) >= min_cell).all()) and (
        counts.shape[0] == 1 or (counts.sum(axis=0) >= min_cell).all()
    )
    ranges = attacker_range(counts, status, min_cell)
    recoverable = [hi - lo < 0.5 for lo, hi in ranges]
    if totals_ok:
        assert not any(recoverable), (counts, status, ranges)
    # the module's own audit agrees with the independent one
    audit = audit_suppression(counts, status, min_cell)
    assert audit["recoverable"].tolist() == recoverable


@pytest.mark.parametrize("min_cell", [3, 5, 10])
def test_threshold_is_parameter(min_cell):
    counts = np.array([[min_cell - 1, min_cell, 100]])
    status = suppress_cells(counts, min_cell=min_cell)
    assert status[0, 0] == PRIMARY and status[0, 1] == SECONDARY


def test_withheld_base_counted_and_explained():
    from analysis.stats.disclosure import merge_disclosure

    info = disclosure_info(np.array([PRIMARY]), withheld_bases=1)
    assert info["withheld_bases"] == 1
    assert merge_disclosure([info, info])["withheld_bases"] == 2
    assert 'including "don\'t know" is not shown' in disclosure_note(info, "en")
    assert '"non so" non è indicata' in disclosure_note(info, "it")
    plain = disclosure_info(np.array([PRIMARY]))
    assert "don't know" not in disclosure_note(plain, "en")
