"""Per-table disclosure control: primary and secondary suppression of the cells of one table.

Rules (on by default, ``min_cell=5``; ``min_cell=0`` turns them off):

1. *Primary suppression*: a count of 1 to ``min_cell - 1`` respondents is shown as
   ``"<5"`` (generally ``"<{min_cell}"``). Zero counts are shown. When the bound
   ``1..min_cell-1`` itself would pin a value (e.g. two cells ``4, 4`` with total 8), those
   cells are shown as ``"x"`` instead.
2. *Secondary suppression*: every published sum (row and column totals, the base of a
   percentage) is a linear constraint an attacker can use. A hidden cell alone in a row
   or column is recoverable, so the next-smallest cell there is hidden too (shown as
   ``"x"``). A linear-programming audit then computes, for every hidden cell, the
   smallest and largest value compatible with what is shown (hidden primary cells known
   to lie in ``1..min_cell-1``, secondary cells ``>= 0``); while some hidden cell has a
   single feasible value, one more cell next to it is hidden.
3. No percentage on an (unweighted) base under ``min_base_pct`` (10), nor for a hidden cell.
4. Bases under ``flag_base`` (30) are flagged.
5. A base that is the sum of a published base and a hidden cell (the base including
   "don't know" next to the base of the scale answers) is withheld: it would give the
   hidden cell away. It is shown only where that cell is shown.

Every protected table carries ``DataFrame.attrs["disclosure"]`` (a plain dict) and
:func:`disclosure_note` turns it into the sentence a report prints.

Examples
--------
>>> import numpy as np
>>> status = suppress_cells(np.array([[3, 20, 40], [12, 25, 30]]))
>>> status.tolist()
[['primary', 'secondary', ''], ['secondary', 'secondary', '']]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import linprog

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "MIN_CELL",
    "MIN_BASE_PCT",
    "FLAG_BASE",
    "table_constraints",
    "suppress_cells",
    "audit_suppression",
    "required_width",
    "widen_partners",
    "format_count",
    "disclosure_info",
    "merge_disclosure",
    "disclosure_note",
]

PRIMARY = "primary"
SECONDARY = "secondary"
#: Default smallest count shown.
MIN_CELL = 5
#: No percentage on an unweighted base under this.
MIN_BASE_PCT = 10
#: Bases under this are flagged.
FLAG_BASE = 30


def table_constraints(shape: tuple[int, int]) -> list[np.ndarray]:
    """The published sums of an ``r x c`` table shown with row and column totals.

    Each constraint is an array of flat cell indices whose sum is shown. A one-row
    table has no separate column totals (they would be the cells themselves).
    """
    r, c = shape
    idx = np.arange(r * c).reshape(r, c)
    cons: list[np.ndarray] = []
    if c > 1:
        cons += [idx[i, :] for i in range(r)]
    if r > 1:
        cons += [idx[:, j] for j in range(c)]
    return cons


def _bounds(
    flat: np.ndarray, status: np.ndarray, min_cell: int
) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    for k in np.flatnonzero(status != ""):
        if status[k] == PRIMARY:
            out.append((1.0, float(min_cell - 1)))
        else:
            out.append((0.0, None))
    return out


def audit_suppression(
    counts: ArrayLike,
    status: ArrayLike,
    min_cell: int = MIN_CELL,
    constraints: Sequence[np.ndarray] | None = None,
    min_width: int | None = None,
) -> pd.DataFrame:
    """Feasible range of every hidden cell given what is shown (linear programming).

    Parameters
    ----------
    counts : array_like
        The true counts (2-D).
    status : array_like of str
        ``""`` (shown), ``"primary"`` or ``"secondary"`` per cell.
    min_cell : int
        Threshold of primary suppression (hidden primary cells lie in ``1..min_cell-1``).
    constraints : sequence of arrays of flat indices, optional
        Published sums; defaults to :func:`table_constraints`.
    min_width : int, optional
        Width the interval of a hidden cell must keep (:func:`required_width`, the rule of the
        report-wide audit); by default a cell is recoverable only when pinned.

    Returns
    -------
    DataFrame
        One row per hidden cell: ``row``, ``col``, ``value``, ``lower``, ``upper``,
        ``recoverable`` (``upper - lower`` under the required width, or pinned).
    """
    counts = np.asarray(counts, dtype=float)
    status = np.asarray(status, dtype=object)
    shape = counts.shape
    flat = counts.ravel()
    st = status.ravel()
    cons = list(constraints) if constraints is not None else table_constraints(shape)
    hidden = np.flatnonzero(st != "")
    rows = []
    if hidden.size == 0:
        return pd.DataFrame(columns=["row", "col", "value", "lower", "upper", "recoverable"])
    pos = {int(k): i for i, k in enumerate(hidden)}
    a_eq, b_eq = [], []
    for con in cons:
        members = [int(k) for k in con if st[k] != ""]
        if not members:
            continue
        row = np.zeros(hidden.size)
        for k in members:
            row[pos[k]] = 1.0
        a_eq.append(row)
        b_eq.append(float(sum(flat[k] for k in members)))
    bounds = _bounds(flat, st, min_cell)
    for i, k in enumerate(hidden):
        cvec = np.zeros(hidden.size)
        cvec[i] = 1.0
        kw = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
        lo = linprog(cvec, bounds=bounds, method="highs", **kw)
        hi = linprog(-cvec, bounds=bounds, method="highs", **kw)
        lower = float(lo.fun) if lo.status == 0 else np.nan
        upper = float(-hi.fun) if hi.status == 0 else np.inf
        r_, c_ = np.unravel_index(k, shape)
        need = 0.5
        if min_width:
            need = max(need, required_width(st[k], min_width, min_cell))
            lower, upper = np.ceil(lower - 1e-6), np.floor(upper + 1e-6)
        rows.append(
            {
                "row": int(r_),
                "col": int(c_),
                "value": float(flat[k]),
                "lower": lower,
                "upper": upper,
                "recoverable": bool(upper - lower < need - 1e-9),
            }
        )
    return pd.DataFrame(rows)


def required_width(status: str, min_width: int, min_cell: int = MIN_CELL) -> float:
    """Width the interval of a hidden cell must keep (the rule of the report-wide audit).

    ``min_width`` for a cell shown as ``x``; for a cell shown as ``<m`` no more than the symbol
    allows (``m - 2``: its own range 1..m-1), so that an attacker learns nothing it does not say.

    Examples
    --------
    >>> required_width("primary", 5), required_width("secondary", 5)
    (3, 5)
    """
    if status == PRIMARY:
        return min(min_width, min_cell - 2)
    return min_width


def _secondary_pass(flat: np.ndarray, st: np.ndarray, cons: Sequence[np.ndarray]) -> None:
    changed = True
    while changed:
        changed = False
        for con in cons:
            hidden = [k for k in con if st[k] != ""]
            if len(hidden) != 1:
                continue
            pick = _next_smallest(flat, st, con)
            if pick is not None:
                st[pick] = SECONDARY
                changed = True


def _next_smallest(flat: np.ndarray, st: np.ndarray, candidates: Iterable[int]) -> int | None:
    cand = [int(k) for k in candidates if st[k] == ""]
    if not cand:
        return None
    # smallest non-zero cell first (a hidden zero protects less), then zeros
    cand.sort(key=lambda k: (flat[k] == 0, flat[k], k))
    return cand[0]


def suppress_cells(
    counts: ArrayLike,
    min_cell: int = MIN_CELL,
    constraints: Sequence[np.ndarray] | None = None,
    *,
    max_rounds: int = 200,
    min_width: int | None = None,
) -> np.ndarray:
    """Primary and secondary suppression pattern of a table of (unweighted) counts.

    Parameters
    ----------
    counts : array_like
        2-D counts (a one-way table is one row).
    min_cell : int
        Counts from 1 to ``min_cell - 1`` are hidden; ``0`` disables suppression.
    constraints : sequence of arrays of flat indices, optional
        Published sums (default: row and column totals, :func:`table_constraints`).
    min_width : int, optional
        Hide further cells until every hidden cell keeps an interval this wide
        (:func:`required_width`); by default until no hidden cell is pinned.

    Returns
    -------
    ndarray of str, same shape
        ``""`` (shown), ``"primary"`` or ``"secondary"``.

    Examples
    --------
    >>> suppress_cells([[2, 50, 60]]).tolist()
    [['primary', 'secondary', '']]
    >>> suppress_cells([[2, 50, 60]], min_cell=0).tolist()
    [['', '', '']]
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    shape = counts.shape
    flat = counts.ravel()
    st = np.full(flat.size, "", dtype=object)
    if not min_cell or min_cell <= 1:
        return st.reshape(shape)
    cons = list(constraints) if constraints is not None else table_constraints(shape)
    st[(flat > 0) & (flat < min_cell)] = PRIMARY
    if not (st != "").any():
        return st.reshape(shape)
    for _ in range(max_rounds):
        _secondary_pass(flat, st, cons)
        audit = audit_suppression(counts, st.reshape(shape), min_cell, cons, min_width)
        bad = audit[audit["recoverable"]]
        if bad.empty:
            break
        pick = None
        for r_, c_ in zip(bad["row"], bad["col"], strict=True):
            k = int(np.ravel_multi_index((int(r_), int(c_)), shape))
            near = [int(j) for con in cons if k in con for j in con]
            pick = _next_smallest(flat, st, near)
            if pick is not None:
                break
        if pick is None:
            # nothing left to hide next to a recoverable cell: stop telling the attacker
            # that small cells lie in 1..min_cell-1 (show them as "x" instead of "<m")
            if (st == PRIMARY).any():
                st[st == PRIMARY] = SECONDARY
                continue
            pick = _next_smallest(flat, st, range(flat.size))
        if pick is None:
            break  # everything hidden: only the totals remain
        st[pick] = SECONDARY
    return st.reshape(shape)


def widen_partners(
    counts: ArrayLike,
    status: ArrayLike,
    min_cell: int = MIN_CELL,
    constraints: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Show as ``x`` the ``<m`` cells that narrow a hidden partner below ``min_cell``.

    In a line of two hidden cells, ``<5`` next to ``x`` bounds the ``x`` cell to a range of width
    3. Dropping the ``1..m-1`` bound of the small cells on that line (showing them as ``x``) only
    widens every interval, so it never makes a cell recoverable; it is applied where an ``x``
    cell would otherwise keep less than ``min_cell`` of width (the audit's rule).

    Examples
    --------
    >>> widen_partners([[3, 9, 40], [20, 20, 40]], [["primary", "secondary", ""], ["", "", ""]],
    ...                constraints=[np.array([0, 1, 2])]).tolist()
    [['secondary', 'secondary', ''], ['', '', '']]
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    st = np.asarray(status, dtype=object).copy().reshape(counts.shape)
    if not (min_cell and min_cell > 1) or not (st == PRIMARY).any():
        return st
    cons = list(constraints) if constraints is not None else table_constraints(counts.shape)
    for _ in range(counts.size):
        audit = audit_suppression(counts, st, min_cell, cons)
        flat = st.ravel()
        narrow = [int(np.ravel_multi_index((int(r), int(c)), counts.shape))
                  for r, c, lo, hi in zip(audit["row"], audit["col"], audit["lower"], audit["upper"],
                                          strict=True)
                  if flat[int(np.ravel_multi_index((int(r), int(c)), counts.shape))] == SECONDARY
                  and np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < min_cell]
        changed = False
        for k in narrow:
            for con in cons:
                if k in con:
                    for j in con:
                        if flat[j] == PRIMARY:
                            flat[j] = SECONDARY
                            changed = True
        st = flat.reshape(counts.shape)
        if not changed:
            break
    return st


def format_count(value: float, status: str, min_cell: int = MIN_CELL, decimals: int = 0) -> str:
    """Text of one count cell: ``"<5"`` (primary), ``"x"`` (secondary) or the number.

    Examples
    --------
    >>> format_count(3, "primary"), format_count(12, "secondary"), format_count(12.4, "")
    ('<5', 'x', '12')
    """
    if status == PRIMARY:
        return f"<{min_cell}"
    if status == SECONDARY:
        return "x"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:.{decimals}f}"


def disclosure_info(
    status: ArrayLike | None = None,
    *,
    min_cell: int = MIN_CELL,
    min_base_pct: int = MIN_BASE_PCT,
    flag_base: int = FLAG_BASE,
    low_bases: int = 0,
    hidden_pct_bases: int = 0,
    unprotected: int = 0,
    withheld_bases: int = 0,
    scope: str = "cells",
) -> dict[str, Any]:
    """The dict stored in ``DataFrame.attrs["disclosure"]``."""
    st = np.asarray(status if status is not None else [], dtype=object).ravel()
    applied = bool(min_cell and min_cell > 1)
    return {
        "applied": applied,
        "min_cell": int(min_cell or 0),
        "min_base_pct": int(min_base_pct) if applied else 0,
        "flag_base": int(flag_base),
        "primary": int((st == PRIMARY).sum()),
        "secondary": int((st == SECONDARY).sum()),
        "low_bases": int(low_bases),
        "hidden_pct_bases": int(hidden_pct_bases),
        "unprotected": int(unprotected),
        "withheld_bases": int(withheld_bases),
        "scope": scope,
    }


def merge_disclosure(infos: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Combine the disclosure dicts of several tables (counts add up)."""
    infos = [dict(i) for i in infos if i]
    if not infos:
        return disclosure_info(min_cell=0)
    out = dict(infos[0])
    for extra in infos[1:]:
        for key in (
            "primary",
            "secondary",
            "low_bases",
            "hidden_pct_bases",
            "unprotected",
            "withheld_bases",
        ):
            out[key] = out.get(key, 0) + extra.get(key, 0)
        out["applied"] = out["applied"] or extra.get("applied", False)
        merged = list(out.get("merged", []))
        out["merged"] = merged + [m for m in extra.get("merged", []) if m not in merged]
        out["min_cell"] = max(out["min_cell"], extra.get("min_cell", 0))
    return out


def _info_of(obj: Any) -> dict[str, Any]:
    if isinstance(obj, pd.DataFrame):
        return dict(obj.attrs.get("disclosure", {}))
    if isinstance(obj, Mapping):
        return dict(obj)
    info = getattr(obj, "disclosure", None)
    if isinstance(info, Mapping):
        return dict(info)
    if isinstance(obj, Iterable):
        return merge_disclosure(_info_of(o) for o in obj)
    raise TypeError(f"no disclosure information in {type(obj).__name__}")


def disclosure_note(obj: Any, lang: str = "it") -> str:
    """The sentence a report prints about the disclosure rule applied to a table.

    Parameters
    ----------
    obj : DataFrame, dict, result object or list of them
        Anything carrying ``attrs["disclosure"]`` (or the dict itself).
    lang : {"it", "en"}

    Examples
    --------
    >>> print(disclosure_note(disclosure_info(["primary", "secondary", ""]), lang="en"))
    Disclosure control: counts under 5 are shown as "<5" (1 cell) and 1 further cell is hidden ("x") so that it cannot be recovered from the totals; no percentage is shown on a base under 10 respondents; bases under 30 are flagged.
    """
    info = _info_of(obj)
    if not info or not info.get("applied"):
        return (
            "Controllo della divulgazione disattivato (min_cell=0): tabella per uso interno, non pubblicabile."
            if lang == "it"
            else "Disclosure control off (min_cell=0): table for internal use, not for publication."
        )
    m, p, s = info["min_cell"], info["primary"], info["secondary"]
    b, f = info["min_base_pct"], info["flag_base"]
    if lang == "it":
        txt = (
            f'Controllo della divulgazione: i conteggi inferiori a {m} sono indicati come "<{m}" '
            f"({p} {'cella' if p == 1 else 'celle'})"
        )
        if s:
            txt += (
                f' e altre {s} {"cella è nascosta" if s == 1 else "celle sono nascoste"} ("x") '
                "perché non siano ricavabili dai totali"
            )
        txt += (
            f"; nessuna percentuale è mostrata su una base inferiore a {b} rispondenti; "
            f"le basi inferiori a {f} sono segnalate."
        )
        if info.get("withheld_bases"):
            txt += (
                ' La base comprensiva dei "non so" non è indicata dove renderebbe ricavabile '
                "un conteggio nascosto."
            )
        if info.get("merged"):
            txt += (" Risposte pubblicate insieme perché non si creino conteggi piccoli: "
                    + "; ".join(f'"{m}"' for m in info["merged"]) + ".")
        if info.get("unprotected"):
            txt += f" Attenzione: {info['unprotected']} celle restano ricavabili dai totali pubblicati."
        return txt
    txt = f'Disclosure control: counts under {m} are shown as "<{m}" ({p} {"cell" if p == 1 else "cells"})'
    if s:
        txt += (
            f' and {s} further {"cell is" if s == 1 else "cells are"} hidden ("x") '
            f"so that {'it cannot' if p == 1 else 'they cannot'} be recovered from the totals"
        )
    txt += f"; no percentage is shown on a base under {b} respondents; bases under {f} are flagged."
    if info.get("withheld_bases"):
        txt += (
            ' The base including "don\'t know" is not shown where it would give a hidden '
            "count away."
        )
    if info.get("merged"):
        txt += (" Answers published together so that no small count is created: "
                + "; ".join(f'"{m}"' for m in info["merged"]) + ".")
    if info.get("unprotected"):
        txt += (
            f" Warning: {info['unprotected']} cells remain recoverable from the published totals."
        )
    return txt
