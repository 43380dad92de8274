"""Cross-tabulations with a test of association that says which test it used.

The Pearson chi-square is used when the expected-count rule holds (no more than 20% of
expected counts under 5 and none under 1, Cochran 1954); otherwise Fisher's exact test
for a 2x2 table, or a Monte Carlo exact test for a larger one: ``n_resamples`` tables
with the observed margins are drawn (Patefield's algorithm, as R's ``r2dtable``, via
:data:`scipy.stats.random_table`) and the p-value is ``(1 + #{X2_sim >= X2_obs}) /
(n_resamples + 1)``, as R's ``chisq.test(simulate.p.value = TRUE)``.

Weighted tables (``weights`` a column, values or an :class:`analysis.survey.SurveyDesign`):
the test is Rao and Scott's second-order correction of Pearson's X2 (``svychisq``'s
default ``"F"``): design-based, with the weights' strata, clusters and calibration. The
result names the design in ``weighting``; ``n_eff`` is then the respondents divided by the
mean generalised design effect.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": list("xxxxyyyy") * 5, "b": list("uuuvuvvv") * 5})
>>> r = crosstab(df, "a", "b", min_cell=0)
>>> r.test[["method", "dof", "n"]].to_dict("records")
[{'method': 'Pearson chi-square', 'dof': 1, 'n': 40}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.codebook import Codebook
from analysis.disclosure.describe import expand, stamp, year_of
from analysis.stats._common import apply_merges, categories, get_codebook, resolve
from analysis.stats._design import design_view
from analysis.stats.disclosure import (
    FLAG_BASE,
    MIN_BASE_PCT,
    MIN_CELL,
    PRIMARY,
    SECONDARY,
    audit_suppression,
    disclosure_info,
    format_count,
    suppress_cells,
    widen_partners,
)
from analysis.stats.likert import _codes_of

__all__ = ["CrosstabResult", "crosstab", "association_test", "monte_carlo_chi2", "p_band"]

_ALMOST_ONE = 1 - 64 * np.finfo(float).eps


@dataclass(frozen=True)
class CrosstabResult:
    """Result of :func:`crosstab`.

    Attributes
    ----------
    table : DataFrame
        One row per cell: ``row``, ``row_label``, ``col``, ``col_label``, ``n``
        (unweighted), ``count`` (weighted), ``row_pct``, ``col_pct``, ``suppressed``,
        ``n_display``, ``row_pct_display``, ``col_pct_display``.
    test : DataFrame
        One row: ``method``, ``statistic`` (Pearson X2), ``dof``, ``pvalue`` (of the
        method used), ``chi2_pvalue`` (asymptotic), ``cramers_v``, ``expected_min``,
        ``expected_lt5_pct``, ``rule_ok``, ``n``, ``n_eff``, ``weighted``, ``weighting``,
        ``n_resamples``, ``seed``.
    display : DataFrame
        The protected wide table (strings) with row and column totals.
    """

    table: pd.DataFrame
    test: pd.DataFrame
    display: pd.DataFrame

    @property
    def disclosure(self) -> dict:
        return dict(self.table.attrs.get("disclosure", {}))


def _pearson(obs: np.ndarray) -> np.ndarray:
    """Pearson X2 of one table (2-D) or a stack of tables (3-D) with the same margins."""
    obs = np.asarray(obs, dtype=float)
    r = obs.sum(axis=-1, keepdims=True)
    c = obs.sum(axis=-2, keepdims=True)
    n = obs.sum(axis=(-2, -1), keepdims=True)
    exp = r * c / n
    return ((obs - exp) ** 2 / exp).sum(axis=(-2, -1))


def monte_carlo_chi2(table: np.ndarray, n_resamples: int = 10_000, seed: int | None = 0) -> float:
    """Monte Carlo exact p-value of the Pearson chi-square given both margins.

    Parameters
    ----------
    table : ndarray of int
        Observed table without empty rows or columns.
    n_resamples : int
        Tables drawn with the observed margins.
    seed : int, optional

    Examples
    --------
    >>> round(monte_carlo_chi2(np.array([[3, 0, 1], [0, 4, 1]]), 2000, seed=1), 2)
    0.03
    """
    table = np.asarray(np.round(table), dtype=int)
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    obs = _pearson(table)
    rng = np.random.default_rng(seed)
    sims = stats.random_table(rows, cols, seed=rng).rvs(size=n_resamples)
    x2 = _pearson(sims)
    return float((1 + np.sum(x2 >= obs * _ALMOST_ONE)) / (n_resamples + 1))


def p_band(p: float) -> str:
    """The coarse band of a p-value published for a table with hidden cells.

    Examples
    --------
    >>> [p_band(p) for p in (0.0004, 0.004, 0.04, 0.4)]
    ['<0.001', '<0.01', '<0.05', '>=0.05']
    """
    if p is None or not np.isfinite(p):
        return ""
    for edge in (0.001, 0.01, 0.05):
        if p < edge:
            return f"<{edge:g}"
    return ">=0.05"


def protect_crosstab(counts: np.ndarray, min_cell: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Suppression pattern of a cross-tab whose margins are one-way tables published elsewhere.

    A row total of the cross-tab is (up to respondents missing the other variable) the count of
    that answer in the question's one-way table: it is protected like that table (primary and
    secondary suppression of the margin, :func:`~analysis.disclosure.suppression.suppress_cells`),
    and hidden where the margin is hidden. The cells are then protected with the published sums
    only: shown row totals, shown column totals and the grand total.

    Returns
    -------
    status, row_shown, col_shown : ndarray
    """
    n = np.asarray(counts, dtype=float)
    r, c = n.shape
    if not (min_cell and min_cell > 1):
        return suppress_cells(n, min_cell), np.ones(r, bool), np.ones(c, bool)
    row_shown = suppress_cells(n.sum(axis=1)[None, :], min_cell)[0] == ""
    col_shown = suppress_cells(n.sum(axis=0)[None, :], min_cell)[0] == ""
    idx = np.arange(r * c).reshape(r, c)
    cons = [idx[i, :] for i in range(r) if row_shown[i] and c > 1]
    cons += [idx[:, j] for j in range(c) if col_shown[j] and r > 1]
    if not (row_shown.all() and col_shown.all()):
        cons.append(idx.ravel())  # the grand total (the test's n) is published
    status = suppress_cells(n, min_cell, cons)
    # a line whose total is hidden shows none of its cells (they would add up to the total)
    for i in np.flatnonzero(~row_shown):
        status[i, (status[i] == "") & (n[i] > 0)] = SECONDARY
    for j in np.flatnonzero(~col_shown):
        status[(status[:, j] == "") & (n[:, j] > 0), j] = SECONDARY
    status = suppress_cells_fixed(n, status, min_cell, cons)
    status = widen_partners(n, status, min_cell, cons)
    return status, row_shown, col_shown


def suppress_cells_fixed(n: np.ndarray, status: np.ndarray, min_cell: int, cons: list) -> np.ndarray:
    """Complete a given pattern until no hidden cell is pinned by ``cons`` (more secondaries)."""
    from analysis.disclosure.suppression import _next_smallest

    st = status.ravel().copy()
    flat = n.ravel()
    for _ in range(200):
        audit = audit_suppression(n, st.reshape(n.shape), min_cell, cons)
        bad = audit[audit["recoverable"]] if len(audit) else audit
        if bad.empty:
            break
        pick = None
        for r_, c_ in zip(bad["row"], bad["col"], strict=True):
            k = int(np.ravel_multi_index((int(r_), int(c_)), n.shape))
            near = [int(j) for con in cons if k in con for j in con]
            pick = _next_smallest(flat, st, near)
            if pick is not None:
                break
        if pick is None:
            pick = _next_smallest(flat, st, range(flat.size))
        if pick is None:
            break
        st[pick] = SECONDARY
    return st.reshape(n.shape)


def band_is_safe(counts: np.ndarray, status: np.ndarray, min_cell: int, band: str,
                 limit: int = 50_000) -> bool:
    """True when every table compatible with what the protected table shows has this p band.

    The candidates are the integer tables with the shown cells, the published row and column
    totals, hidden ``<m`` cells in 1..m-1 and hidden ``x`` cells >= 0 (enumerated; more than
    ``limit`` candidates counts as unsafe). The band is that of the chi-square approximation
    (the one an attacker can compute), so a published band then says nothing about the hidden
    cells.
    """
    from analysis.disclosure.auditor import _enumerate

    if not band:
        return False
    n = np.asarray(counts, dtype=float)
    st = np.asarray(status, dtype=object)
    rows, cols = n.sum(axis=1), n.sum(axis=0)
    lo = np.where(st == "", n, np.where(st == PRIMARY, 1.0, 0.0))
    cap = np.minimum.outer(rows, cols)
    hi = np.where(st == "", n, np.where(st == PRIMARY, np.minimum(min_cell - 1, cap), cap))
    tables, _ = _enumerate(lo, hi, rows, rows, cols, cols, limit)
    if tables is None:
        return False
    for t in tables:
        t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
        if t.shape[0] < 2 or t.shape[1] < 2:
            return False
        dof = (t.shape[0] - 1) * (t.shape[1] - 1)
        if p_band(float(stats.chi2.sf(float(_pearson(t)), dof))) != band:
            return False
    return True


def _untested(seed: int | None) -> dict:
    """The fields of a test result before (or without) a test: the same keys for every method."""
    return {
        "method": "",
        "statistic": np.nan,
        "dof": 0,
        "pvalue": np.nan,
        "chi2_pvalue": np.nan,
        "cramers_v": np.nan,
        "expected_min": np.nan,
        "expected_lt5_pct": np.nan,
        "rule_ok": False,
        "n_resamples": 0,
        "seed": seed,
    }


def association_test(
    table: np.ndarray,
    *,
    n_resamples: int = 10_000,
    seed: int | None = 0,
) -> dict:
    """Chi-square / Fisher / Monte Carlo test of a table of counts (empty lines dropped).

    For respondents' counts; weighted tables use :func:`design_test`.
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    out = _untested(seed)
    if t.shape[0] < 2 or t.shape[1] < 2:
        out["method"] = "no test (fewer than two non-empty rows or columns)"
        return out
    n = t.sum()
    exp = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    x2 = float(_pearson(t))
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    lt5 = float(np.mean(exp < 5))
    rule_ok = bool(lt5 <= 0.2 and exp.min() >= 1)
    out.update(
        statistic=x2,
        dof=dof,
        chi2_pvalue=float(stats.chi2.sf(x2, dof)),
        cramers_v=float(np.sqrt(x2 / (n * (min(t.shape) - 1)))),
        expected_min=float(exp.min()),
        expected_lt5_pct=100 * lt5,
        rule_ok=rule_ok,
    )
    if rule_ok:
        out.update(method="Pearson chi-square", pvalue=out["chi2_pvalue"])
    elif t.shape == (2, 2):
        res = stats.fisher_exact(np.round(t).astype(int))
        out.update(method="Fisher exact test (two-sided)", pvalue=float(res.pvalue))
    else:
        p = monte_carlo_chi2(t, n_resamples, seed)
        out.update(
            method=f"Monte Carlo exact chi-square test ({n_resamples} tables with fixed margins)",
            pvalue=p,
            n_resamples=n_resamples,
        )
    return out


def design_test(view, rc: np.ndarray, cc: np.ndarray, nr: int, nc: int) -> dict:
    """Rao--Scott (second-order, F) test of two code arrays under a survey design.

    Fields as :func:`association_test`: ``statistic`` is the F statistic, ``pvalue`` its
    p-value on ``ndf``, ``ddf`` degrees of freedom, ``chi2_pvalue`` the first-order
    Rao--Scott p-value; ``cramers_v`` and the expected counts are those of the weighted
    table scaled to the respondents.

    References
    ----------
    Rao J.N.K., Scott A.J. (1984). Annals of Statistics 12:46-60.
    """
    f = view.chisq(rc, cc, nr, nc, statistic="F")
    first = view.chisq(rc, cc, nr, nc, statistic="Chisq")
    ok = (rc >= 0) & (cc >= 0)
    t = np.zeros((nr, nc))
    np.add.at(t, (rc[ok], cc[ok]), view.weights[ok])
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    out = _untested(None) | {"ndf": np.nan, "ddf": np.nan, "pearson": np.nan}
    if t.shape[0] < 2 or t.shape[1] < 2:
        out["method"] = "no test (fewer than two non-empty rows or columns)"
        return out
    n = int(ok.sum())
    t = t * n / t.sum()
    exp = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    lt5 = float(np.mean(exp < 5))
    out.update(
        method="Rao-Scott second-order corrected chi-square (F), design-based",
        statistic=float(f["statistic"]),
        dof=(t.shape[0] - 1) * (t.shape[1] - 1),
        pvalue=float(f["p"]),
        chi2_pvalue=float(first["p"]),
        cramers_v=float(np.sqrt(f["pearson"] / (n * (min(t.shape) - 1)))),
        expected_min=float(exp.min()),
        expected_lt5_pct=100 * lt5,
        rule_ok=bool(lt5 <= 0.2 and exp.min() >= 1),
        ndf=float(f["ndf"]),
        ddf=float(f["ddf"]),
        pearson=float(f["pearson"]),
        deff_mean=float(f["deff_mean"]),
    )
    return out


def crosstab(
    df: pd.DataFrame,
    row: str,
    col: str,
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    *,
    lang: str = "it",
    n_resamples: int = 10_000,
    seed: int | None = 0,
    codebook: Codebook | None = None,
    merge: bool | None = None,
) -> CrosstabResult:
    """Counts, row / column percentages and a test of association of two questions.

    Parameters
    ----------
    df : DataFrame
        Prepared data.
    row, col : str
        Single-valued columns (profile items, questions, battery items, one option of
        a multiple-choice question, ``year``).
    weights : str, array, Series or SurveyDesign, optional
        Unweighted by default (see the module docstring for the weighted test).
    min_cell : int
        Disclosure threshold; 0 turns it off.
    n_resamples, seed : int
        Monte Carlo exact test, used when the expected-count rule fails on a table
        larger than 2x2.
    merge : bool, optional
        Publish the categories the codebook merges for disclosure control as one (default:
        whenever disclosure control is on), see :func:`~analysis.stats.frequencies`.

    Notes
    -----
    With disclosure control on, the test of a table that still has hidden cells is published
    coarsened: the X2 statistic, Cramér's V, the expected counts and the exact p-values are
    withheld (``withheld`` True) and only the band of the p-value is given (``p_band``:
    ``"<0.001"``, ``"<0.01"``, ``"<0.05"``, ``">=0.05"``), and only when every table compatible
    with the shown cells and totals falls in the same band (:func:`band_is_safe`); otherwise
    ``p_band`` is empty too. An exact statistic of such a table can be inverted: few tables with
    the published margins share its value.

    Returns
    -------
    CrosstabResult
    """
    cb = get_codebook(codebook)
    if (bool(min_cell and min_cell > 1) if merge is None else merge):
        df = apply_merges(df, [row, col], cb)
    rres, cres = resolve(df, row, cb), resolve(df, col, cb)
    view = design_view(df, weights)
    w = None if view is None else view.weights
    rc, cc = _codes_of(df, rres), _codes_of(df, cres)
    ok = (rc >= 0) & (cc >= 0)
    ww = np.ones(len(df)) if w is None else w
    r, c = len(rres.codes), len(cres.codes)
    n = np.zeros((r, c))
    est = np.zeros((r, c))
    np.add.at(n, (rc[ok], cc[ok]), 1)
    np.add.at(est, (rc[ok], cc[ok]), ww[ok])
    n_eff = float(ok.sum())
    applied = bool(min_cell and min_cell > 1)
    status, row_shown, col_shown = protect_crosstab(n, min_cell)

    rlab, clab = rres.labels(lang), cres.labels(lang)
    rtot, ctot = est.sum(axis=1), est.sum(axis=0)
    rtot_n, ctot_n = n.sum(axis=1), n.sum(axis=0)
    rows = []
    for i in range(r):
        for j in range(c):
            rows.append(
                {
                    "row": rres.codes[i],
                    "row_label": rlab[i],
                    "col": cres.codes[j],
                    "col_label": clab[j],
                    "n": int(n[i, j]),
                    "count": est[i, j],
                    "row_pct": 100 * est[i, j] / rtot[i] if rtot[i] > 0 else np.nan,
                    "col_pct": 100 * est[i, j] / ctot[j] if ctot[j] > 0 else np.nan,
                    "row_base_n": int(rtot_n[i]),
                    "col_base_n": int(ctot_n[j]),
                    "row_base_shown": bool(row_shown[i]),
                    "col_base_shown": bool(col_shown[j]),
                    "suppressed": status[i, j],
                }
            )
    table = pd.DataFrame(rows)
    weighted = w is not None
    table["n_display"] = [
        format_count(cnt if weighted else nn, s, min_cell)
        for cnt, nn, s in zip(table["count"], table["n"], table["suppressed"], strict=True)
    ]
    for pct, base in (("row_pct", "row_base_n"), ("col_pct", "col_base_n")):
        hide = ((table["suppressed"] != "") | (applied & (table[base] < MIN_BASE_PCT))
                | ~table[base.replace("_n", "_shown")])
        table[f"{pct}_display"] = [
            "" if h or np.isnan(v) else f"{v:.0f}%" for v, h in zip(table[pct], hide, strict=True)
        ]
    table["low_base"] = (table["row_base_n"] < FLAG_BASE) | (table["col_base_n"] < FLAG_BASE)
    bases = np.r_[rtot_n, ctot_n]
    info = disclosure_info(
        status,
        min_cell=min_cell,
        low_bases=int((bases < FLAG_BASE).sum()),
        hidden_pct_bases=int((applied & (bases < MIN_BASE_PCT)).sum()),
        scope=f"{row} x {col}",
    )
    info["merged"] = [lab for code, lab in [*zip(rres.codes, rlab, strict=True), *zip(cres.codes, clab, strict=True)]
                      if isinstance(code, str) and "+" in code]
    table.attrs["disclosure"] = info
    year = year_of(df)
    rcats, ccats = categories(df, row, cb), categories(df, col, cb)
    stamp(table, "crosstab", year=year, row=row, col=col, variables={row: rcats, col: ccats},
          weighted=w is not None)

    if weighted:
        res = design_test(view, rc, cc, r, c)
        deff = res.pop("deff_mean", np.nan)
        n_eff = n_eff / deff if np.isfinite(deff) and deff > 0 else np.nan
    else:
        res = association_test(n, n_resamples=n_resamples, seed=seed)
    res.update(
        row=row,
        col=col,
        n=int(n.sum()),
        n_eff=n_eff,
        weighted=weighted,
        weighting=view.method if weighted else "unweighted",
    )
    res["p_band"] = p_band(res["pvalue"])
    res["withheld"] = bool(applied and (status != "").any())
    if res["withheld"] and not band_is_safe(n, status, min_cell, res["p_band"]):
        res["p_band"] = ""  # even the band would tell which table lies behind the hidden cells
    if res["withheld"]:
        for key in ("statistic", "pvalue", "chi2_pvalue", "cramers_v", "expected_min",
                    "expected_lt5_pct"):
            res[key] = np.nan
    test = pd.DataFrame([res])
    test = test[["row", "col"] + [k for k in test.columns if k not in ("row", "col")]]
    test.attrs["disclosure"] = info
    stamp(test, "crosstab_test", year=year, variables={row: rcats, col: ccats},
          tables={f"{row} x {col}": {"row_cats": [expand(c, as_list=True) for c in rres.codes],
                                     "col_cats": [expand(c, as_list=True) for c in cres.codes]}})

    total = "Totale" if lang == "it" else "Total"
    disp = pd.DataFrame(
        [
            [
                format_count(est[i, j] if weighted else n[i, j], status[i, j], min_cell)
                for j in range(c)
            ]
            for i in range(r)
        ],
        index=pd.Index(rlab, name=rres.title(lang) if rres.variable else row),
        columns=clab,
    )
    disp[total] = [format_count(v, "" if s else SECONDARY)
                   for v, s in zip(rtot if weighted else rtot_n, row_shown, strict=True)]
    disp.loc[total] = [format_count(v, "" if s else SECONDARY)
                       for v, s in zip(ctot if weighted else ctot_n, col_shown, strict=True)] + [
        format_count(est.sum() if weighted else n.sum(), "")
    ]
    disp.attrs["disclosure"] = info
    return CrosstabResult(table=table, test=test, display=disp)
