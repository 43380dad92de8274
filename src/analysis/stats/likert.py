"""Distributions of single-valued questions and summaries of ordinal scales.

:func:`frequencies` is the table of one question (Likert, ordinal, single choice,
yes / no / don't know, a profile item, a battery item or one option of a multiple-choice
question): counts and percentages per answer with the base, Wilson intervals, the
don't-know answers apart from the scale, by group if asked. Weighted tables are
design-based (:mod:`analysis.survey`): linearised SEs and logit intervals. :func:`scale_summary` gives
the mean and median of the codes and the top-2-box share of an ordered scale.

A battery name (``"q7_skill_relevance"``) gives one block per item, with an ``item``
column.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"q2_relevance": pd.Categorical([5, 4, 4, 3, None] * 8, categories=[1, 2, 3, 4, 5], ordered=True),
...                    "q2_relevance_dk": [False, False, False, False, True] * 8})
>>> t = frequencies(df, "q2_relevance", lang="en")
>>> print(t[["label", "n", "pct", "n_display"]].to_string(index=False))
     label  n  pct n_display
Not at all  0  0.0         0
  Slightly  0  0.0         0
Moderately  8 25.0         8
      Very 16 50.0        16
 Extremely  8 25.0         8
Don't know  8 20.0         8
>>> s = scale_summary(df, "q2_relevance")
>>> float(s["mean"].iloc[0]), float(s["median"].iloc[0]), float(s["top2_pct"].iloc[0])
(4.0, 4.0, 75.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.codebook import Codebook
from analysis.disclosure.describe import stamp, year_of
from analysis.stats._common import (
    Resolved,
    apply_merges,
    as_list,
    categories,
    get_codebook,
    group_frame,
    label_of,
    resolve,
)
from analysis.stats._design import DesignView, design_view
from analysis.stats.disclosure import (
    FLAG_BASE,
    MIN_BASE_PCT,
    MIN_CELL,
    disclosure_info,
    format_count,
    merge_disclosure,
    suppress_cells,
)
from analysis.stats.intervals import effective_n, wilson_ci

__all__ = ["frequencies", "scale_summary", "expand_columns", "tabulate_codes"]


def expand_columns(df: pd.DataFrame, variable: str, codebook: Codebook | None = None) -> list[str]:
    """The single-valued columns behind ``variable`` (a battery's items, or itself)."""
    cb = get_codebook(codebook)
    if "__" not in variable and variable in cb and cb[variable].type == "battery":
        return [c for c in cb[variable].columns if c in df.columns]
    return [variable]


def _codes_of(df: pd.DataFrame, res: Resolved) -> np.ndarray:
    s = df[res.column]
    if res.codes == [False, True]:
        vals = s.astype("object")
        out = np.full(len(s), -1)
        notna = vals.notna().to_numpy()
        out[notna] = vals[notna].astype(bool).to_numpy().astype(int)
        return out
    cat = pd.Categorical(s.astype("object"), categories=res.codes)
    return np.asarray(cat.codes)


def _dk_of(df: pd.DataFrame, res: Resolved) -> np.ndarray | None:
    if res.dk_column is None:
        return None
    return df[res.dk_column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def tabulate_codes(
    df: pd.DataFrame,
    column: str,
    by: list[str],
    w: np.ndarray | None,
    codebook: Codebook,
) -> dict:
    """Unweighted and weighted counts per group x code (and don't know); internal building block."""
    res = resolve(df, column, codebook)
    codes = _codes_of(df, res)
    dk = _dk_of(df, res)
    keys, groups = group_frame(df, by)
    ww = np.ones(len(df)) if w is None else w
    k = len(res.codes)
    g = len(groups)
    n = np.zeros((g, k))
    est = np.zeros((g, k))
    dk_n = np.zeros(g)
    dk_w = np.zeros(g)
    neff = np.zeros(g)
    neff_all = np.zeros(g)
    keyarr = keys.to_numpy(dtype=object)
    for i, grp in enumerate(groups):
        mask = np.array([kk == grp for kk in keyarr], dtype=bool) if by else np.ones(len(df), bool)
        valid = mask & (codes >= 0)
        n[i] = np.bincount(codes[valid], minlength=k)
        est[i] = np.bincount(codes[valid], weights=ww[valid], minlength=k)
        neff[i] = effective_n(ww[valid])
        if dk is not None:
            dmask = mask & dk
            dk_n[i] = dmask.sum()
            dk_w[i] = ww[dmask].sum()
            neff_all[i] = effective_n(ww[valid | dmask])
    return {
        "res": res,
        "groups": groups,
        "n": n,
        "est": est,
        "dk_n": dk_n if dk is not None else None,
        "dk_w": dk_w if dk is not None else None,
        "neff": neff,
        "neff_all": neff_all,
        "codes": codes,
        "dk": dk,
        "keys": keyarr,
    }


def _suppress_with_dk(
    n: np.ndarray, dk_n: np.ndarray | None, min_cell: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Suppression pattern of a ``groups x (scale codes + don't know)`` table.

    Published sums: the base of every group (answers on the scale: it is the base of
    the percentages, and the sum of the scale cells anyway) and, with groups, the
    column totals (the one-way table of the same question), don't know included.

    The base *including* don't know is not an independent sum: it equals the scale
    base plus the don't-know count, so next to the scale base it would give that count
    away. It is published (third value, per group) only where the don't-know cell is
    shown, where it adds nothing an attacker does not already know.
    """
    g, k = n.shape
    if dk_n is None:
        return suppress_cells(n, min_cell), None, np.ones(g, dtype=bool)
    table = np.column_stack([n, dk_n])
    # the don't-know column: hidden cells only need not be pinned (a width rule here would hide
    # whole tables: the column total is the one-way table's don't-know count)
    st = suppress_cells(table, min_cell, _dk_constraints(g, k))
    return st[:, :k], st[:, k], st[:, k] == ""


def _dk_constraints(groups: int, codes: int) -> list[np.ndarray]:
    """Published sums of a ``groups x (codes + 1)`` table whose last column is don't know.

    One constraint per group (its scale cells: the base of the percentages) and, with
    more than one group, one per column (scale codes and don't know), as flat indices.
    """
    idx = np.arange(groups * (codes + 1)).reshape(groups, codes + 1)
    cons = [idx[i, :codes] for i in range(groups)]
    if groups > 1:
        cons += [idx[:, j] for j in range(codes + 1)]
    return cons


def _design_shares(
    view: DesignView, y: np.ndarray, rows: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Design-based SEs and intervals of the shares of ``y``'s columns among ``rows``."""
    est, cov = view.means(y, rows)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    lo, hi = view.share_ci(est, se, view.degf(rows), int(rows.sum()), alpha)
    return se, lo, hi


def _frequencies_one(
    df: pd.DataFrame,
    column: str,
    by: list[str],
    view: DesignView | None,
    min_cell: int,
    lang: str,
    alpha: float,
    cb: Codebook,
) -> pd.DataFrame:
    w = None if view is None else view.weights
    t = tabulate_codes(df, column, by, w, cb)
    res: Resolved = t["res"]
    n, est, groups = t["n"], t["est"], t["groups"]
    st, st_dk, incl_shown = _suppress_with_dk(n, t["dk_n"], min_cell)
    labels = res.labels(lang)
    dk_label = (
        res.variable.dont_know[0].label(lang)
        if res.variable is not None and res.variable.dont_know
        else "dk"
    )
    rows = []
    for i, grp in enumerate(groups):
        base_n = n[i].sum()
        base = est[i].sum()
        neff = t["neff"][i]
        p = est[i] / base if base > 0 else np.full(n.shape[1], np.nan)
        if view is None:
            lo, hi = wilson_ci(p * neff, np.full_like(p, neff), alpha)
        else:
            in_group = _group_mask(t, i, by)
            valid = in_group & (t["codes"] >= 0)
            onehot = np.zeros((len(valid), n.shape[1]))
            onehot[np.flatnonzero(valid), t["codes"][valid]] = 1
            se, lo, hi = _design_shares(view, onehot, valid, alpha)
        for j, code in enumerate(res.codes):
            rows.append(
                {
                    **dict(zip(by, grp, strict=True)),
                    "column": column,
                    "code": code,
                    "label": labels[j],
                    "is_dk": False,
                    "n": int(n[i, j]),
                    "count": est[i, j],
                    "pct": 100 * p[j],
                    "ci_low": 100 * lo[j],
                    "ci_high": 100 * hi[j],
                    "base_n": int(base_n),
                    "base": base,
                    "n_eff": neff,
                    "pct_base": "answers on the scale (don't know excluded)",
                    "suppressed": st[i, j],
                    "base_shown": True,
                    **({} if view is None else {"se": 100 * se[j]}),
                }
            )
        if t["dk_n"] is not None:
            dk_n, dk_w = t["dk_n"][i], t["dk_w"][i]
            tot_n, tot = base_n + dk_n, base + dk_w
            neff_all = t["neff_all"][i]
            pd_ = dk_w / tot if tot > 0 else np.nan
            if view is None:
                lo, hi = wilson_ci(pd_ * neff_all, neff_all, alpha)
            else:
                in_group = _group_mask(t, i, by)
                dkm = in_group & t["dk"]
                allm = dkm | (in_group & (t["codes"] >= 0))
                se_dk, lo, hi = _design_shares(view, dkm.astype(float), allm, alpha)
                lo, hi = lo[0], hi[0]
            rows.append(
                {
                    **dict(zip(by, grp, strict=True)),
                    "column": column,
                    "code": "dk",
                    "label": dk_label,
                    "is_dk": True,
                    "n": int(dk_n),
                    "count": dk_w,
                    "pct": 100 * pd_,
                    "ci_low": 100 * float(lo),
                    "ci_high": 100 * float(hi),
                    "base_n": int(tot_n),
                    "base": tot,
                    "n_eff": neff_all,
                    "pct_base": "all answers (don't know included)",
                    "suppressed": st_dk[i],
                    "base_shown": bool(incl_shown[i]),
                    **({} if view is None else {"se": 100 * float(se_dk[0])}),
                }
            )
    out = pd.DataFrame(rows)
    out = _finish(out, min_cell, weighted=w is not None, scope=column, keys=by)
    if view is not None:
        out["weighting"] = view.method
    return out


def _group_mask(t: dict, i: int, by: list[str]) -> np.ndarray:
    """Rows of group ``i`` of a :func:`tabulate_codes` result."""
    if not by:
        return np.ones(len(t["codes"]), dtype=bool)
    grp = t["groups"][i]
    return np.array([kk == grp for kk in t["keys"]], dtype=bool)


def _finish(
    out: pd.DataFrame, min_cell: int, *, weighted: bool, scope: str, keys: Sequence[str] = ()
) -> pd.DataFrame:
    """Display columns and the disclosure attrs of a tidy count table."""
    applied = bool(min_cell and min_cell > 1)
    if "base_shown" not in out.columns:
        out["base_shown"] = True
    out["base_shown"] = out["base_shown"].astype(bool)
    hide_pct = (
        (out["suppressed"] != "") | ~out["base_shown"] | (applied & (out["base_n"] < MIN_BASE_PCT))
    )
    out["low_base"] = out["base_n"] < FLAG_BASE
    out["pct_hidden"] = hide_pct
    dec = 0
    out["n_display"] = [
        format_count(c if weighted else n, s, min_cell, dec)
        for c, n, s in zip(out["count"], out["n"], out["suppressed"], strict=True)
    ]
    out["pct_display"] = [
        "" if h or np.isnan(p) else f"{p:.0f}%" for p, h in zip(out["pct"], hide_pct, strict=True)
    ]
    out["base_display"] = [
        str(int(b)) if shown else ""
        for b, shown in zip(out["base_n"], out["base_shown"], strict=True)
    ]
    out["weighted"] = weighted
    bases = out.drop_duplicates(
        subset=[*keys, *(c for c in out.columns if c in ("column", "base_n")), "pct_base"]
    )
    out.attrs["disclosure"] = disclosure_info(
        out["suppressed"].to_numpy(),
        min_cell=min_cell,
        low_bases=int((bases["base_n"] < FLAG_BASE).sum()),
        hidden_pct_bases=int((applied & (bases["base_n"] < MIN_BASE_PCT)).sum()),
        withheld_bases=int((~out["base_shown"]).sum()),
        scope=scope,
    )
    return out


def frequencies(
    df: pd.DataFrame,
    variable: str,
    by: str | Sequence[str] | None = None,
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    lang: str = "it",
    alpha: float = 0.05,
    codebook: Codebook | None = None,
    merge: bool | None = None,
) -> pd.DataFrame:
    """Counts and percentages per answer, with Wilson intervals, by group.

    Parameters
    ----------
    df : DataFrame
        Prepared data (one row per respondent).
    variable : str
        A single-valued question, profile item, battery item (``name__item``), one
        option of a multiple-choice question, or a battery name (all its items).
    by : str or list of str, optional
        Grouping column(s) (service type, role, sector, year, ...).
    weights : str, array, Series or SurveyDesign, optional
        Unweighted by default. A weight column or values is a design with those weights
        (each respondent its own PSU); an :class:`analysis.survey.SurveyDesign` brings
        strata, clusters, fpc and raking. Weighted percentages have design-based
        (linearised) standard errors ``se`` and logit intervals on the design's degrees of
        freedom (``svyciprop``); groups are domains of the design. ``weighting`` names
        the design.
    min_cell : int
        Disclosure threshold (see :mod:`analysis.stats.disclosure`); 0 turns it off.
    lang : {"it", "en"}
        Language of the answer labels.
    alpha : float
        1 - confidence level of the intervals.
    codebook : Codebook, optional
    merge : bool, optional
        Publish the answers the codebook merges for disclosure control (``disclosure_merge``)
        as one category (code ``"1+2"``, label ``"Not at all / Slightly"``); default: whenever
        disclosure control is on (``min_cell > 1``), for the variable and the groups.

    Returns
    -------
    DataFrame
        One row per group x answer (don't know last, ``is_dk=True``): ``column``,
        ``code``, ``label``, ``n`` (unweighted), ``count`` (weighted), ``pct``,
        ``ci_low``, ``ci_high`` (in %), ``base_n``, ``base``, ``n_eff``, ``pct_base``
        (which base the percentage is on), ``suppressed``, ``base_shown``, ``low_base``,
        ``pct_hidden``, ``n_display``, ``pct_display``, ``base_display``, ``weighted``
        (weighted: also ``se`` in percentage points and ``weighting``; ``n_eff`` is then
        Kish's effective size, descriptive only); ``attrs["disclosure"]`` says which rule
        was applied.

        The base of the scale answers is always shown. The base including don't know
        (on the don't-know row) is shown only where the don't-know count is shown:
        next to the scale base it would give a hidden count away (``base_shown`` is
        False and ``base_display`` empty there; ``base_n`` keeps the exact figure).
    """
    cb = get_codebook(codebook)
    byl = as_list(by)
    if _merging(merge, min_cell):
        df = apply_merges(df, [*expand_columns(df, variable, cb), *byl], cb)
    view = design_view(df, weights)
    parts = []
    for col in expand_columns(df, variable, cb):
        part = _frequencies_one(df, col, byl, view, min_cell, lang, alpha, cb)
        if col != variable:
            part.insert(len(byl), "item", col.partition("__")[2])
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    out.attrs["disclosure"] = merge_disclosure(p.attrs["disclosure"] for p in parts)
    out.attrs["disclosure"]["scope"] = variable
    merged = [str(lab) for code, lab in zip(out["code"], out["label"], strict=True)
              if isinstance(code, str) and "+" in code]
    for b in byl:
        if b in out.columns:
            merged += [label_of(cb, b, v, lang) for v in pd.unique(out[b]) if isinstance(v, str) and "+" in v]
    out.attrs["disclosure"]["merged"] = list(dict.fromkeys(merged))
    cols = expand_columns(df, variable, cb)
    stamp(out, "frequencies", year=year_of(df), by=byl,
          variables={c: categories(df, c, cb) for c in [*cols, *(b for b in byl if b != "year")]})
    return out


def _merging(merge: bool | None, min_cell: int) -> bool:
    """Declared merges apply when asked, by default whenever disclosure control is on."""
    return bool(min_cell and min_cell > 1) if merge is None else bool(merge)


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x, kind="mergesort")
    x, w = x[order], w[order]
    cum = np.cumsum(w) / w.sum()
    i = int(np.searchsorted(cum, 0.5 - 1e-12))
    if abs(cum[i] - 0.5) < 1e-12 and i + 1 < len(x):
        return float((x[i] + x[i + 1]) / 2)
    return float(x[i])


def _summary_one(
    df: pd.DataFrame,
    column: str,
    by: list[str],
    view: DesignView | None,
    min_cell: int,
    alpha: float,
    top: int,
    cb: Codebook,
    merge: bool = False,
) -> pd.DataFrame:
    w = None if view is None else view.weights
    t = tabulate_codes(df, column, by, w, cb)
    # the cells as published (declared merges applied) decide what is hidden
    t_pub = tabulate_codes(apply_merges(df, [column], cb), column, by, w, cb) if merge else t
    res: Resolved = t["res"]
    if not res.ordered:
        raise ValueError(
            f"{column!r} is not an ordered scale: scale_summary needs likert, ordinal or battery items"
        )
    codes = t["codes"]
    try:
        values = np.array([float(c) for c in res.codes])
    except (TypeError, ValueError):
        values = np.arange(1, len(res.codes) + 1, dtype=float)
    ww = np.ones(len(df)) if w is None else w
    applied = bool(min_cell and min_cell > 1)
    # the don't-know count is protected exactly as in frequencies() of the same groups
    st_scale, st_dk, _ = _suppress_with_dk(t_pub["n"], t_pub["dk_n"], min_cell)
    rows = []
    for i, grp in enumerate(t["groups"]):
        mask = (
            np.array([kk == grp for kk in t["keys"]], dtype=bool) if by else np.ones(len(df), bool)
        )
        valid = mask & (codes >= 0)
        x = values[codes[valid]]
        wv = ww[valid]
        nb = int(valid.sum())
        neff = effective_n(wv) if nb else 0.0
        row = {**dict(zip(by, grp, strict=True)), "column": column, "n": nb, "n_eff": neff}
        if t["dk_n"] is not None:
            row["dk_n"] = int(t["dk_n"][i])
            row["dk_display"] = format_count(t["dk_n"][i], st_dk[i], min_cell)
        if nb:
            m = float(np.average(x, weights=wv))
            var = float(np.average((x - m) ** 2, weights=wv))
            hi_codes = values[-top:]
            lo_codes = values[:top]
            top_w = wv[np.isin(x, hi_codes)].sum() / wv.sum()
            bot_w = wv[np.isin(x, lo_codes)].sum() / wv.sum()
            top_n = int(np.isin(x, hi_codes).sum())
            bot_n = int(np.isin(x, lo_codes).sum())
            if view is None:
                sd = np.sqrt(var * neff / (neff - 1)) if neff > 1 else np.nan
                se = sd / np.sqrt(neff)
                tq = stats.t.isf(alpha / 2, neff - 1) if neff > 1 else np.nan
                tlo, thi = wilson_ci(top_w * neff, neff, alpha)
                blo, bhi = wilson_ci(bot_w * neff, neff, alpha)
            else:
                # design-based: linearised SEs, t on the design's degrees of freedom
                sd = np.sqrt(var * nb / (nb - 1)) if nb > 1 else np.nan
                xs = np.where(valid, values[np.clip(codes, 0, None)], 0.0)
                box = np.column_stack([xs, np.isin(xs, hi_codes), np.isin(xs, lo_codes)])
                est, cov = view.means(box, valid)
                ses = np.sqrt(np.clip(np.diag(cov), 0, None))
                dfd = view.degf(valid)
                se = float(ses[0])
                tq = stats.t.isf(alpha / 2, dfd) if dfd > 0 else np.nan
                (tlo, blo), (thi, bhi) = view.share_ci(est[1:], ses[1:], dfd, nb, alpha)
                row.update(mean_se=se, top2_se=100 * ses[1], bottom2_se=100 * ses[2], df=dfd)
            row.update(
                mean=m,
                sd=sd,
                mean_ci_low=m - tq * se,
                mean_ci_high=m + tq * se,
                median=_weighted_median(x, wv),
                top_n=top_n,
                top2_pct=100 * top_w,
                top2_ci_low=100 * float(tlo),
                top2_ci_high=100 * float(thi),
                bottom_n=bot_n,
                bottom2_pct=100 * bot_w,
                bottom2_ci_low=100 * float(blo),
                bottom2_ci_high=100 * float(bhi),
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    stat_cols = ["mean", "sd", "mean_ci_low", "mean_ci_high", "median"]
    top_cols = ["top2_pct", "top2_ci_low", "top2_ci_high"]
    bot_cols = ["bottom2_pct", "bottom2_ci_low", "bottom2_ci_high"]
    if view is not None:  # design-based SEs are hidden with the statistics they belong to
        stat_cols += ["mean_se", "df"]
        top_cols += ["top2_se"]
        bot_cols += ["bottom2_se"]
    for c in stat_cols + top_cols + bot_cols + ["top_n", "bottom_n"]:
        if c not in out.columns:
            out[c] = np.nan
    out["low_base"] = out["n"] < FLAG_BASE
    hidden = 0
    out["stats_withheld"] = False
    if applied:
        small = out["n"] < MIN_BASE_PCT
        hidden = int(small.sum())
        out.loc[small, stat_cols + top_cols + bot_cols] = np.nan
        # a share resting on 1..min_cell-1 respondents is hidden like the count itself
        for cnt, cols in (("top_n", top_cols), ("bottom_n", bot_cols)):
            tiny = (out[cnt] > 0) & (out[cnt] < min_cell)
            out.loc[tiny, cols] = np.nan
        # a group whose published distribution still has a hidden cell gets no mean, SD,
        # median or box share: with the shown cells and the base they would give it away
        with_hidden = (np.asarray(st_scale) != "").any(axis=1)
        out.loc[with_hidden, stat_cols + top_cols + bot_cols] = np.nan
        out["stats_withheld"] = with_hidden
    out = out.drop(columns=["top_n", "bottom_n"])
    out["weighted"] = w is not None
    if view is not None:
        out["weighting"] = view.method
    out.attrs["disclosure"] = disclosure_info(
        st_dk,
        min_cell=min_cell,
        low_bases=int(out["low_base"].sum()),
        hidden_pct_bases=hidden,
        scope=column,
    )
    return out


def scale_summary(
    df: pd.DataFrame,
    variable: str,
    by: str | Sequence[str] | None = None,
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    alpha: float = 0.05,
    top: int = 2,
    codebook: Codebook | None = None,
    merge: bool | None = None,
) -> pd.DataFrame:
    """Mean, median and top-/bottom-2-box share of an ordered scale, by group.

    Don't-know answers are left out of the scale (their count is ``dk_n``). The mean
    interval is a t interval and the box shares have Wilson intervals; weighted
    (``weights`` as in :func:`frequencies`), the mean and the box shares have
    design-based SEs (``mean_se``, ``top2_se``, ``bottom2_se``), the mean a t interval
    on the design's degrees of freedom (``df``), the shares logit intervals, and ``sd``
    is the weighted SD with ``n / (n - 1)`` (``svyvar``). With disclosure control on, statistics on a base under 10 are not
    shown, nor a box share resting on 1..min_cell-1 respondents, and the don't-know
    count is shown in ``dk_display`` protected as in :func:`frequencies` (``"<5"`` or
    ``"x"``); ``dk_n`` keeps the exact count for researchers. A group whose distribution as
    published (declared merges applied, see :func:`frequencies`) still has a hidden cell gets
    no mean, SD, median or box share (``stats_withheld``): next to the shown cells and the
    base, the sum of codes would pin the hidden ones.

    Returns
    -------
    DataFrame
        One row per group (and battery item): ``column``, ``n``, ``n_eff``, ``dk_n``,
        ``dk_display`` (questions with don't know), ``mean``, ``sd``, ``mean_ci_low``, ``mean_ci_high``, ``median``, ``top2_pct``,
        ``top2_ci_low``, ``top2_ci_high``, ``bottom2_pct`` (+ CI), ``low_base``, ``weighted``.
    """
    cb = get_codebook(codebook)
    byl = as_list(by)
    merging = _merging(merge, min_cell)
    if merging:
        df = apply_merges(df, byl, cb)
    view = design_view(df, weights)
    parts = []
    for col in expand_columns(df, variable, cb):
        part = _summary_one(df, col, byl, view, min_cell, alpha, top, cb, merging)
        if col != variable:
            part.insert(len(byl), "item", col.partition("__")[2])
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    out.attrs["disclosure"] = merge_disclosure(p.attrs["disclosure"] for p in parts)
    cols = expand_columns(df, variable, cb)
    scores = {}
    for c in cols:
        codes = resolve(df, c, cb).codes
        try:
            scores[c] = {str(k): float(k) for k in codes}
        except (TypeError, ValueError):
            scores[c] = {str(k): float(i + 1) for i, k in enumerate(codes)}
    stamp(out, "scale_summary", year=year_of(df), by=byl, top=top, scores=scores,
          variables={c: categories(df, c, cb) for c in [*cols, *(b for b in byl if b != "year")]})
    return out
