"""Change across survey years, only between years the codebook marks as comparable.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"year": [2021] * 40 + [2022] * 40,
...                    "q4_policies": pd.Categorical(["yes", "no"] * 20 + ["yes"] * 30 + ["no"] * 10,
...                                                  categories=["yes", "no"])})
>>> r = trend(df, "q4_policies", min_cell=0)
>>> r.test[["test", "method", "dof"]].to_dict("records")
[{'test': 'year x answer', 'method': 'Pearson chi-square', 'dof': 1}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.codebook import Codebook
from analysis.stats._common import get_codebook, resolve, weights_array
from analysis.stats.crosstab import WEIGHTING_NOTE, association_test
from analysis.stats.disclosure import MIN_CELL
from analysis.stats.intervals import effective_n
from analysis.stats.likert import _codes_of, frequencies

__all__ = ["TrendResult", "trend", "linear_by_linear"]


@dataclass(frozen=True)
class TrendResult:
    """Result of :func:`trend`.

    Attributes
    ----------
    table : DataFrame
        :func:`~analysis.stats.frequencies` by year (comparable years only).
    test : DataFrame
        One row per test: ``test`` ("year x answer"; for ordered scales also
        "linear trend"), ``method``, ``statistic``, ``dof``, ``pvalue``, ``n``, ...
    years : list of int
        Years compared.
    excluded_years : list of int
        Years in the data left out as not comparable.
    """

    table: pd.DataFrame
    test: pd.DataFrame
    years: list[int]
    excluded_years: list[int]

    @property
    def disclosure(self) -> dict:
        return dict(self.table.attrs.get("disclosure", {}))


def linear_by_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
    """Mantel's linear-by-linear association test ``M2 = (n - 1) r^2`` (1 df).

    ``x``, ``y`` are scores (year, answer code); weighted: ``n`` is the Kish effective n.
    """
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    n = effective_n(w)
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    r = cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((y - my) ** 2, weights=w))
    m2 = (n - 1) * r**2
    return {"statistic": float(m2), "dof": 1, "pvalue": float(stats.chi2.sf(m2, 1)), "r": float(r)}


def trend(
    df: pd.DataFrame,
    variable: str,
    *,
    year_col: str = "year",
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    lang: str = "it",
    alpha: float = 0.05,
    n_resamples: int = 10_000,
    seed: int | None = 0,
    codebook: Codebook | None = None,
) -> TrendResult:
    """A question's distribution per year with intervals and a test of change.

    Only years the codebook marks as comparable for the question
    (:meth:`Codebook.comparable_years`) are compared. The test of change is the
    year x answer test of :func:`~analysis.stats.crosstab` (chi-square, or Fisher /
    Monte Carlo exact when expected counts are small); for an ordered scale the
    linear-by-linear (Mantel) trend test on year and answer codes is added.

    Returns
    -------
    TrendResult
    """
    cb = get_codebook(codebook)
    years_all = sorted(int(y) for y in pd.unique(df[year_col].dropna()))
    name = variable.partition("__")[0]
    years = cb.comparable_years(name, years_all) if name in cb else years_all
    excluded = [y for y in years_all if y not in years]
    sub = df[df[year_col].isin(years)]
    w_all = weights_array(df, weights)
    w = None if w_all is None else w_all[df[year_col].isin(years).to_numpy()]
    table = frequencies(
        sub,
        variable,
        by=year_col,
        weights=w,
        min_cell=min_cell,
        lang=lang,
        alpha=alpha,
        codebook=cb,
    )
    res = resolve(sub, variable, cb)
    codes = _codes_of(sub, res)
    yrs = sub[year_col].to_numpy()
    ok = codes >= 0
    if len(years) < 2:
        tests = [
            {
                "test": "year x answer",
                "method": "no test (fewer than two comparable years)",
                "n": int(ok.sum()),
            }
        ]
    else:
        ycode = np.searchsorted(np.array(years), yrs)
        ww = np.ones(len(sub)) if w is None else w
        tab = np.zeros((len(years), len(res.codes)))
        np.add.at(tab, (ycode[ok], codes[ok]), ww[ok])
        n_eff = effective_n(ww[ok]) if w is not None else None
        t = association_test(tab, n_eff=n_eff, n_resamples=n_resamples, seed=seed)
        t.update(test="year x answer", n=int(ok.sum()))
        tests = [t]
        if res.ordered:
            try:
                scores = np.array([float(c) for c in res.codes])
            except (TypeError, ValueError):
                scores = np.arange(1, len(res.codes) + 1, dtype=float)
            lbl = linear_by_linear(
                yrs[ok].astype(float), scores[codes[ok]], None if w is None else w[ok]
            )
            lbl.update(
                test="linear trend",
                method="linear-by-linear association (Mantel), year and answer codes as scores",
                n=int(ok.sum()),
            )
            tests.append(lbl)
    test = pd.DataFrame(tests)
    test.insert(0, "column", variable)
    test["weighted"] = w is not None
    test["weighting"] = WEIGHTING_NOTE if w is not None else "unweighted"
    test["years"] = ", ".join(map(str, years))
    return TrendResult(table=table, test=test, years=years, excluded_years=excluded)
