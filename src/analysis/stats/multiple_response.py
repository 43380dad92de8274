"""Multiple-response questions (question 1): shares, tests between options, co-occurrence.

Two bases, both stated in the output: *% of respondents* (respondents who answered the
question, i.e. did not skip it; shares add up to more than 100) and *% of responses*
(all ticks; shares add up to 100).

Cochran's Q tests whether all options are picked equally often; pairwise McNemar
tests (exact binomial when the discordant pairs are fewer than 25, chi-square with
continuity correction otherwise) are Holm-corrected. Weighted (``weights`` a column,
values or a :class:`analysis.survey.SurveyDesign`): shares have design-based SEs and
logit intervals; Cochran's Q becomes the design-based Wald test that all options'
shares are equal (F-corrected, :func:`cochran_q_design`), McNemar the design-based Wald
test of the difference of two options' shares (:func:`mcnemar_design`).

Examples
--------
>>> import pandas as pd
>>> from analysis.codebook import load_codebook
>>> df = pd.DataFrame({c: [False] * 20 for c in load_codebook()["q1_skills"].columns})
>>> df["q1_skills__empathy"] = [True, True, False, True] * 5
>>> df["q1_skills__patience"] = [True, False, False, False] * 5
>>> r = multiple_response(df, "q1_skills", min_cell=0, lang="en")
>>> print(r.table.loc[r.table["n"] > 0, ["label", "n", "pct_respondents", "pct_responses"]].to_string(index=False))
   label  n  pct_respondents  pct_responses
 Empathy 15             75.0           75.0
Patience  5             25.0           25.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.codebook import Codebook
from analysis.disclosure.describe import cat, stamp, year_of
from analysis.errors import SurveyUsageError
from analysis.stats._common import as_list, categories, get_codebook, group_frame
from analysis.stats._design import DesignView, design_view, wald_f
from analysis.stats.disclosure import (
    FLAG_BASE,
    MIN_BASE_PCT,
    MIN_CELL,
    PRIMARY,
    disclosure_info,
    format_count,
    merge_disclosure,
    suppress_cells,
)
from analysis.stats.intervals import effective_n, holm, wilson_ci
from analysis.survey import SurveyDesign

__all__ = [
    "MultipleResponseResult",
    "multiple_response",
    "cochran_q",
    "mcnemar_pairs",
    "cooccurrence",
    "cochran_q_design",
    "mcnemar_design",
]


@dataclass(frozen=True)
class MultipleResponseResult:
    """Result of :func:`multiple_response` (every frame tidy, one row per thing).

    Attributes
    ----------
    table : DataFrame
        Per group x option: ``option``, ``label``, ``n``, ``count``, ``pct_respondents``
        (+ Wilson ``ci_low``, ``ci_high``), ``pct_responses``, ``base_respondents_n``,
        ``base_responses_n``, display columns.
    picks : DataFrame
        Per group: ``respondents``, ``responses``, ``mean_picks``.
    cochran : DataFrame
        Per group: ``q``, ``dof``, ``pvalue``, ``n``, ``method``.
    pairwise : DataFrame
        Per group x option pair: ``b`` (only A), ``c`` (only B), ``statistic``, ``pvalue``,
        ``p_holm``, ``method``.
    cooccurrence : DataFrame
        Per group x option pair (both orders, diagonal = option count): ``n``, ``count``,
        ``pct_respondents``, ``suppressed``, ``n_display``.
    """

    table: pd.DataFrame
    picks: pd.DataFrame
    cochran: pd.DataFrame
    pairwise: pd.DataFrame
    cooccurrence: pd.DataFrame

    @property
    def disclosure(self) -> dict:
        return merge_disclosure(
            [self.table.attrs.get("disclosure", {}), self.cooccurrence.attrs.get("disclosure", {})]
        )


def _matrix(
    df: pd.DataFrame, question: str, cb: Codebook
) -> tuple[np.ndarray, np.ndarray, list, list[str]]:
    if question not in cb or cb[question].type != "multiple_choice":
        raise SurveyUsageError(f"{question!r} is not a multiple-choice question of the codebook")
    var = cb[question]
    cols = var.columns
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SurveyUsageError(f"multiple_response: column(s) {', '.join(missing)} not in the data")
    block = df[cols].astype("boolean")
    answered = block.notna().any(axis=1).to_numpy()
    x = block.fillna(False).to_numpy(dtype=bool)
    return x, answered, [o.code for o in var.options], cols


def cochran_q_design(est: np.ndarray, cov: np.ndarray, df: float) -> dict:
    """Design-based analogue of Cochran's Q: Wald test that all options' shares are equal.

    ``est`` are the options' weighted shares among the respondents, ``cov`` their design
    covariance, ``df`` the design's degrees of freedom. Contrasts ``p_j - p_k``; the Wald
    statistic is F-corrected (:func:`analysis.stats._design.wald_f`). Options nobody
    picked are left out (their share has no variance).

    References
    ----------
    Cochran W.G. (1950). The comparison of percentages in matched samples. Biometrika 37:256-266.
    Korn E.L., Graubard B.I. (1990). American Statistician 44:270-276.
    """
    use = np.flatnonzero(np.diag(cov) > 0)
    k = len(use)
    if k < 2:
        return {"q": np.nan, "dof": max(k - 1, 0), "pvalue": np.nan, "f": np.nan,
                "ndf": np.nan, "ddf": np.nan}
    C = np.column_stack([np.eye(k - 1), -np.ones(k - 1)])
    r = wald_f(est[use], cov[np.ix_(use, use)], C, df)
    return {"q": r["wald"], "dof": int(r["ndf"]), "pvalue": r["pvalue"], "f": r["f"],
            "ndf": r["ndf"], "ddf": r["ddf"]}


def mcnemar_design(
    est: np.ndarray, cov: np.ndarray, df: float, options: Sequence, b: np.ndarray, c: np.ndarray
) -> pd.DataFrame:
    """Design-based McNemar: Wald test of ``p_i - p_j`` on F(1, df), Holm-corrected.

    ``b[i, j]``, ``c[i, j]``: weighted respondents who picked only ``i`` / only ``j``
    (reported, not used: the difference of the shares is ``(b - c) / sum w``).

    References
    ----------
    McNemar Q. (1947). Psychometrika 12:153-157. Lumley T. (2010). Complex Surveys, 5.2.
    """
    rows = []
    for i in range(len(options)):
        for j in range(i + 1, len(options)):
            d = est[i] - est[j]
            v = cov[i, i] + cov[j, j] - 2 * cov[i, j]
            if b[i, j] + c[i, j] == 0 or not v > 0:
                stat, p, method = np.nan, 1.0, "no discordant pairs"
            else:
                stat = float(d**2 / v)
                p = float(stats.f.sf(stat, 1, df)) if df > 0 else np.nan
                method = "design-based Wald test of the difference of shares, F(1, df)"
            rows.append(
                {
                    "option_a": options[i],
                    "option_b": options[j],
                    "b": float(b[i, j]),
                    "c": float(c[i, j]),
                    "statistic": stat,
                    "pvalue": p,
                    "method": method,
                }
            )
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["pvalue"].to_numpy()) if len(out) else []
    return out


def cochran_q(x: np.ndarray, w: np.ndarray | None = None) -> dict:
    """Cochran's Q of a respondents x options 0/1 matrix (weighted: :func:`cochran_q_design`).

    Examples
    --------
    >>> x = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 1, 0]])
    >>> round(cochran_q(x)["q"], 4)
    3.5
    """
    x = np.asarray(x, dtype=float)
    if w is not None:
        return _weighted_cochran(x, np.asarray(w, dtype=float))
    w = np.ones(len(x))
    k = x.shape[1]
    col = (w[:, None] * x).sum(axis=0)
    row = x.sum(axis=1)
    total = col.sum()
    denom = k * total - np.sum(w * row**2)
    q = (k - 1) * (k * np.sum(col**2) - total**2) / denom if denom > 0 else np.nan
    q *= len(w) / w.sum()
    return {
        "q": float(q),
        "dof": k - 1,
        "pvalue": float(stats.chi2.sf(q, k - 1)) if np.isfinite(q) else np.nan,
    }


def _weighted_cochran(x: np.ndarray, w: np.ndarray) -> dict:
    """Cochran's Q under weights alone (each respondent its own PSU)."""
    d = SurveyDesign(pd.DataFrame(index=range(len(x))), weights=w)
    est, cov = d.means(x)
    return cochran_q_design(est, cov, d.degf)


def _discordant(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xf = x.astype(float)
    only_a = (xf * w[:, None]).T @ (1 - xf)
    return only_a, only_a.T


def mcnemar_pairs(x: np.ndarray, options: Sequence, w: np.ndarray | None = None) -> pd.DataFrame:
    """Pairwise McNemar tests between options (Holm-corrected; weighted: :func:`mcnemar_design`)."""
    x = np.asarray(x, dtype=bool)
    if w is not None:
        w = np.asarray(w, dtype=float)
        d = SurveyDesign(pd.DataFrame(index=range(len(x))), weights=w)
        est, cov = d.means(x.astype(float))
        b, c = _discordant(x, w)
        return mcnemar_design(est, cov, d.degf, options, b, c)
    weighted = False
    ww = np.ones(len(x))
    scale = len(ww) / ww.sum()
    rows = []
    for i in range(len(options)):
        for j in range(i + 1, len(options)):
            only_a = x[:, i] & ~x[:, j]
            only_b = ~x[:, i] & x[:, j]
            b, c = ww[only_a].sum() * scale, ww[only_b].sum() * scale
            if b + c == 0:
                stat, p, method = np.nan, 1.0, "no discordant pairs"
            elif not weighted and b + c < 25:
                stat = float(min(b, c))
                p = float(stats.binomtest(int(min(b, c)), int(b + c), 0.5).pvalue)
                method = "McNemar exact (binomial)"
            else:
                stat = float((abs(b - c) - 1) ** 2 / (b + c))
                p = float(stats.chi2.sf(stat, 1))
                method = "McNemar chi-square, continuity-corrected" + (
                    " (weighted, effective n)" if weighted else ""
                )
            rows.append(
                {
                    "option_a": options[i],
                    "option_b": options[j],
                    "b": b,
                    "c": c,
                    "statistic": stat,
                    "pvalue": p,
                    "method": method,
                }
            )
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["pvalue"].to_numpy()) if len(out) else []
    return out


def cooccurrence(x: np.ndarray, options: Sequence, w: np.ndarray | None = None) -> pd.DataFrame:
    """Co-occurrence counts of every pair of options (long form; diagonal = option count)."""
    x = np.asarray(x, dtype=float)
    ww = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    n = x.T @ x
    est = (x * ww[:, None]).T @ x
    rows = []
    for i, a in enumerate(options):
        for j, b in enumerate(options):
            rows.append({"option_a": a, "option_b": b, "n": int(n[i, j]), "count": est[i, j]})
    out = pd.DataFrame(rows)
    out["pct_respondents"] = 100 * out["count"] / ww.sum() if len(x) else np.nan
    return out


def _design_group(view: DesignView, x_all: np.ndarray, mask: np.ndarray, alpha: float, n: int) -> dict:
    """Options' shares in a group of respondents: estimates, design covariance, intervals."""
    est, cov = view.means(x_all.astype(float), mask)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    dfd = view.degf(mask)
    lo, hi = view.share_ci(est, se, dfd, n, alpha)
    return {"est": est, "cov": cov, "se": se, "lo": lo, "hi": hi, "df": dfd}


def multiple_response(
    df: pd.DataFrame,
    question: str,
    by: str | Sequence[str] | None = None,
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    lang: str = "it",
    alpha: float = 0.05,
    codebook: Codebook | None = None,
) -> MultipleResponseResult:
    """Shares, tests and co-occurrence of a multiple-choice question.

    Parameters
    ----------
    df : DataFrame
        Prepared data with the ``<question>__<option>`` boolean columns.
    question : str
        Multiple-choice variable of the codebook (``"q1_skills"``).
    by : str or list of str, optional
        Grouping column(s).
    weights, min_cell, lang, alpha, codebook
        As in :func:`analysis.stats.frequencies`.

    Returns
    -------
    MultipleResponseResult
    """
    cb = get_codebook(codebook)
    byl = as_list(by)
    x_all, answered, options, _ = _matrix(df, question, cb)
    view = design_view(df, weights)
    w_all = None if view is None else view.weights
    ww_all = np.ones(len(df)) if w_all is None else w_all
    labels = dict(zip(options, [o.label(lang) for o in cb[question].options], strict=True))
    keys, groups = group_frame(df, byl)
    keyarr = keys.to_numpy(dtype=object)
    applied = bool(min_cell and min_cell > 1)
    k = len(options)

    counts = np.zeros((len(groups), k))
    tables, picks, coch, pairs, cooc = [], [], [], [], []
    for gi, grp in enumerate(groups):
        mask = answered & (np.array([kk == grp for kk in keyarr], dtype=bool) if byl else True)
        x = x_all[mask]
        w = ww_all[mask]
        gcols = dict(zip(byl, grp, strict=True))
        n_resp = int(mask.sum())
        cnt = x.sum(axis=0)
        counts[gi] = cnt
        est = (x * w[:, None]).sum(axis=0)
        wsum = w.sum()
        neff = effective_n(w) if n_resp else 0.0
        p = est / wsum if wsum > 0 else np.full(k, np.nan)
        if view is None:
            lo, hi = wilson_ci(p * neff, np.full(k, neff), alpha)
        else:
            dsh = _design_group(view, x_all, mask, alpha, n_resp)
            lo, hi = dsh["lo"], dsh["hi"]
        tot_resp = est.sum()
        tables.append(
            pd.DataFrame(
                {
                    **{c: [v] * k for c, v in gcols.items()},
                    "option": options,
                    "label": [labels[o] for o in options],
                    "n": cnt.astype(int),
                    "count": est,
                    "pct_respondents": 100 * p,
                    "ci_low": 100 * lo,
                    "ci_high": 100 * hi,
                    "pct_responses": 100 * est / tot_resp if tot_resp > 0 else np.nan,
                    "base_respondents_n": n_resp,
                    "base_responses_n": int(cnt.sum()),
                    "n_eff": neff,
                    **({} if view is None else {"se": 100 * dsh["se"]}),
                }
            )
        )
        picks.append(
            {
                **gcols,
                "respondents": n_resp,
                "responses": int(cnt.sum()),
                "mean_picks": float(np.average(x.sum(axis=1), weights=w)) if n_resp else np.nan,
            }
        )
        wq = None if w_all is None else w
        if view is None:
            coch.append({**gcols, **cochran_q(x, wq), "n": n_resp, "method": "Cochran's Q"})
            pr = mcnemar_pairs(x, options, wq)
        else:
            coch.append(
                {
                    **gcols,
                    **cochran_q_design(dsh["est"], dsh["cov"], dsh["df"]),
                    "n": n_resp,
                    "method": "design-based Wald test of equal shares (Cochran's Q analogue), F",
                }
            )
            b, c = _discordant(x, w)
            pr = mcnemar_design(dsh["est"], dsh["cov"], dsh["df"], options, b, c)
        for c, v in reversed(gcols.items()):
            pr.insert(0, c, v)
        pairs.append(pr)
        co = cooccurrence(x, options, wq)
        for c, v in reversed(gcols.items()):
            co.insert(0, c, v)
        co["base_respondents_n"] = n_resp
        cooc.append(co)

    table = pd.concat(tables, ignore_index=True)
    # groups x options, published sums: responses per group, option totals over groups
    status = suppress_cells(counts, min_cell).ravel()
    table["suppressed"] = status
    weighted = w_all is not None
    table["n_display"] = [
        format_count(c if weighted else n, s, min_cell)
        for c, n, s in zip(table["count"], table["n"], status, strict=True)
    ]
    hide = (table["suppressed"] != "") | (applied & (table["base_respondents_n"] < MIN_BASE_PCT))
    table["pct_display"] = [
        "" if h else f"{v:.0f}%" for v, h in zip(table["pct_respondents"], hide, strict=True)
    ]
    table["low_base"] = table["base_respondents_n"] < FLAG_BASE
    table["pct_respondents_base"] = "respondents who answered the question"
    table["pct_responses_base"] = "all options ticked (responses)"
    table["weighted"] = weighted
    if view is not None:
        table["weighting"] = view.method
    bases = np.array([p["respondents"] for p in picks])
    table.attrs["disclosure"] = disclosure_info(
        status,
        min_cell=min_cell,
        low_bases=int((bases < FLAG_BASE).sum()),
        hidden_pct_bases=int((applied & (bases < MIN_BASE_PCT)).sum()),
        scope=question,
    )
    co = pd.concat(cooc, ignore_index=True)
    # co-occurrence counts are not sums of anything published: primary suppression only
    co_status = np.where(applied & (co["n"] > 0) & (co["n"] < max(min_cell, 1)), PRIMARY, "")
    co["suppressed"] = co_status
    co["n_display"] = [
        format_count(c if weighted else n, s, min_cell)
        for c, n, s in zip(co["count"], co["n"], co_status, strict=True)
    ]
    co.loc[co["suppressed"] != "", "pct_respondents"] = np.nan
    co.attrs["disclosure"] = disclosure_info(
        co_status, min_cell=min_cell, scope=f"{question} co-occurrence"
    )
    pairwise = pd.concat(pairs, ignore_index=True)
    variables = {f"{question}__{cat(o)}": ["1", "0", "na"] for o in options}
    variables.update({b: categories(df, b, cb) for b in byl if b != "year"})
    for frame, kind in ((table, "multiple_response"), (pairwise, "mcnemar")):
        stamp(frame, kind, year=year_of(df), by=byl, question=question,
              options=[cat(o) for o in options], variables=variables, weighted=weighted)
    return MultipleResponseResult(
        table=table,
        picks=pd.DataFrame(picks),
        cochran=pd.DataFrame(coch),
        pairwise=pairwise,
        cooccurrence=co,
    )
