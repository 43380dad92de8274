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
from analysis.errors import SurveyUsageError
from analysis.stats._common import get_codebook, resolve, weights_array
from analysis.stats._design import DesignView, design_view
from analysis.stats.crosstab import association_test, design_test
from analysis.stats.disclosure import MIN_CELL
from analysis.stats.intervals import effective_n
from analysis.stats.likert import _codes_of, frequencies
from analysis.survey import SurveyDesign

__all__ = ["TrendResult", "trend", "linear_by_linear", "design_linear_trend"]


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

    ``x``, ``y`` are scores (year, answer code) of respondents (unweighted; the weighted
    test is :func:`design_linear_trend`).
    """
    if w is not None:
        raise SurveyUsageError(
            "linear_by_linear is for respondents' counts; weighted data: design_linear_trend"
        )
    w = np.ones(len(x))
    n = effective_n(w)
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    r = cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((y - my) ** 2, weights=w))
    m2 = (n - 1) * r**2
    return {"statistic": float(m2), "dof": 1, "pvalue": float(stats.chi2.sf(m2, 1)), "r": float(r)}


def design_linear_trend(view: DesignView, x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> dict:
    """Design-based test of a linear trend: the weighted least-squares slope of ``y`` on ``x``.

    The slope ``b = S_xy / S_xx`` (weighted) has the linearised score
    ``w (x - mx) (y - my - b (x - mx)) / S_xx``; ``F = b^2 / var(b)`` on 1 and the
    design's degrees of freedom (``svyglm(y ~ x)``'s Wald test). ``r`` is the weighted
    correlation.

    References
    ----------
    Binder D.A. (1983). On the variances of asymptotically normal estimators from complex
    surveys. International Statistical Review 51:279-292.
    Lumley T. (2010). Complex Surveys. Wiley, ch. 5.
    """
    w = np.where(rows, view.weights, 0.0)
    sw = w.sum()
    xx, yy = np.where(rows, x, 0.0), np.where(rows, y, 0.0)
    mx, my = (w * xx).sum() / sw, (w * yy).sum() / sw
    sxx = (w * (xx - mx) ** 2).sum()
    syy = (w * (yy - my) ** 2).sum()
    b = (w * (xx - mx) * (yy - my)).sum() / sxx
    score = np.where(rows, w * (xx - mx) * (yy - my - b * (xx - mx)) / sxx, 0.0)
    var = float(view.design.variance(view.full(score))[0, 0])
    dfd = view.degf(rows)
    f = b**2 / var if var > 0 else np.nan
    return {
        "statistic": float(f),
        "dof": 1,
        "pvalue": float(stats.f.sf(f, 1, dfd)) if np.isfinite(f) and dfd > 0 else np.nan,
        "r": float(b * np.sqrt(sxx / syy)) if syy > 0 else np.nan,
        "slope": float(b),
        "slope_se": float(np.sqrt(var)),
        "ndf": 1.0,
        "ddf": float(dfd),
    }


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
    linear-by-linear (Mantel) trend test on year and answer codes is added. Weighted
    (``weights`` a column, values or a :class:`~analysis.survey.SurveyDesign`): the
    year x answer test is Rao--Scott's (F) and the linear trend the design-based Wald
    test of the weighted slope of the answer codes on the year
    (:func:`design_linear_trend`). A weight column is taken as independent samples by
    year (the year a stratum); a design given for pooled years should have the year
    among its strata.

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
    if weights is not None and not isinstance(weights, SurveyDesign):
        # each year is its own sample: the year is a stratum of the pooled design
        weights = SurveyDesign(
            df, weights=weights_array(df, weights), strata=df[year_col].fillna(-1).to_numpy()
        )
    view_all = design_view(df, weights)
    view = None if view_all is None else DesignView(sub, view_all.design)
    w = None if view is None else view.weights
    table = frequencies(
        sub,
        variable,
        by=year_col,
        weights=None if view is None else view.design,
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
        if view is None:
            t = association_test(tab, n_resamples=n_resamples, seed=seed)
        else:
            t = design_test(view, np.where(ok, ycode, -1), codes, len(years), len(res.codes))
        t.update(test="year x answer", n=int(ok.sum()))
        tests = [t]
        if res.ordered:
            try:
                scores = np.array([float(c) for c in res.codes])
            except (TypeError, ValueError):
                scores = np.arange(1, len(res.codes) + 1, dtype=float)
            if view is None:
                lbl = linear_by_linear(yrs[ok].astype(float), scores[codes[ok]], None)
                method = "linear-by-linear association (Mantel), year and answer codes as scores"
            else:
                lbl = design_linear_trend(
                    view, yrs.astype(float), scores[np.clip(codes, 0, None)], ok
                )
                method = "design-based Wald test of the slope of answer codes on year, F(1, df)"
            lbl.update(test="linear trend", method=method, n=int(ok.sum()))
            tests.append(lbl)
    test = pd.DataFrame(tests)
    test.insert(0, "column", variable)
    test["weighted"] = w is not None
    test["weighting"] = view.method if w is not None else "unweighted"
    test["years"] = ", ".join(map(str, years))
    return TrendResult(table=table, test=test, years=years, excluded_years=excluded)
