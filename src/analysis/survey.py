"""Design-based inference for weighted and sampled surveys (Taylor linearisation).

Where it sits: between the prepared data and :mod:`analysis.stats` /
:mod:`analysis.ordinal`. A :class:`SurveyDesign` holds what a sample design says about
each respondent -- sampling (or calibrated) weight, first-stage cluster (PSU), stratum,
finite-population correction, and the raking variables the weights were calibrated
on -- and gives design-based estimates, standard errors, intervals and Rao--Scott tests,
as R's ``survey`` package does (``svydesign``, ``svymean``, ``svytotal``, ``svyciprop``,
``svychisq``, ``rake``). See ``docs/survey-inference.md``.

The variance of an estimator is that of its linearised scores (influence values times
weights) between first-stage units within strata, with replacement at the first stage
or with the finite-population correction ``1 - n_h / N_h``:
``V = sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)^2``, ``z_hi`` the PSU totals.
Weights raked to known margins carry their calibration into the variance: before the
sum above the scores are residualised on the raking variables, as ``survey`` does after
``rake()`` (ten sweeps of ``z <- z - w * ave(z / w, margin)`` over the margins).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "w": [1.0, 2, 1, 2, 1, 2],
...                    "psu": [1, 1, 2, 2, 3, 3]})
>>> d = SurveyDesign(df, weights="w", ids="psu")
>>> r = d.mean("y")
>>> round(float(r["estimate"].iloc[0]), 4), round(float(r["se"].iloc[0]), 4), d.degf
(3.6667, 1.1547, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special
from scipy import stats as sps

from analysis.errors import SurveyUsageError

__all__ = ["SurveyDesign", "proportion_ci", "svyolr", "LONELY_PSU", "CI_METHODS"]

#: How a stratum with a single PSU is treated (R's ``options(survey.lonely.psu=)``).
LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")
#: Interval methods of :meth:`SurveyDesign.proportion` (as ``svyciprop``).
CI_METHODS = ("logit", "likelihood", "beta", "mean")


@dataclass(frozen=True)
class _Calibration:
    """One raking margin: category code per row and the weights after its step."""

    codes: np.ndarray
    weights: np.ndarray


def _column(data: pd.DataFrame, spec, what: str) -> np.ndarray | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in data.columns:
            raise SurveyUsageError(
                f"survey design: {what} column {spec!r} not in the data "
                f"(columns are: {', '.join(map(str, data.columns[:12]))}"
                f"{'…' if data.shape[1] > 12 else ''})"
            )
        return data[spec].to_numpy()
    if isinstance(spec, pd.Series):
        v = spec.reindex(data.index).to_numpy()
    else:
        v = np.asarray(spec)
    if v.shape != (len(data),):
        raise SurveyUsageError(f"survey design: {what} has {v.size} values for {len(data)} rows")
    return v


def _codes(values: np.ndarray, what: str, data: pd.DataFrame) -> np.ndarray:
    s = pd.Series(values, index=data.index)
    if s.isna().any():
        first = s.index[s.isna().to_numpy()][0]
        raise SurveyUsageError(
            f"survey design: {what} is missing for {int(s.isna().sum())} row(s), first at row {first!r}"
        )
    return pd.factorize(s, sort=True)[0]


def _irls_intercept(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Logit of a weighted share by R's ``glm.fit`` IRLS (binomial, intercept only).

    Returns the final coefficient and the fitted mean of the previous iteration (whose
    working weights R keeps). Converged when ``|D - D_old| / (|D| + 0.1) < 1e-8``.
    """
    mu = (w * y + 0.5) / (w + 1)  # binomial()$initialize

    def dev(m):
        return float(-2 * np.sum(w * (y * np.log(m) + (1 - y) * np.log1p(-m))))

    eta = special.logit(mu)
    d_old = dev(special.expit(eta))
    mu_prev = special.expit(eta)
    b = 0.0
    for _ in range(25):
        mu_prev = special.expit(eta)
        ww = w * mu_prev * (1 - mu_prev)
        z = eta + (y - mu_prev) / (mu_prev * (1 - mu_prev))
        b = float(np.sum(ww * z) / np.sum(ww))
        eta = np.full_like(y, b, dtype=float)
        d = dev(special.expit(eta))
        if abs(d - d_old) / (abs(d) + 0.1) < 1e-8:
            break
        d_old = d
    return b, mu_prev


def proportion_ci(
    p: float,
    se: float,
    df: float,
    *,
    method: str = "logit",
    n: int | None = None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Interval of a design-based proportion from its estimate and linearised SE.

    ``"logit"``: Wald on the logit scale, ``expit(logit(p) -/+ t se / (p (1 - p)))``
    (``svyciprop(method = "logit")``); ``"mean"``: ``p -/+ t se``; ``"beta"``: Korn and
    Graubard's Clopper--Pearson interval on the effective sample size
    ``p (1 - p) / se^2 * (t_{n-1} / t_df)^2``. ``t`` is the Student quantile on ``df``
    degrees of freedom (``numpy.inf``: normal). The likelihood interval needs the data:
    :meth:`SurveyDesign.proportion`.

    Where ``p`` is 0 or 1 (no variance), ``"logit"`` and ``"beta"`` give the exact
    Clopper--Pearson bound on the ``n`` respondents of the domain (``[0, 1 - (α/2)^(1/n)]``
    for 0), the limit Korn and Graubard recommend when the effective size is undefined.

    Parameters
    ----------
    p, se : float
        Estimate and its design-based standard error.
    df : float
        Design degrees of freedom (PSUs minus strata).
    method : {"logit", "beta", "mean"}
    n : int, optional
        Respondents behind the estimate (``"beta"``, and the 0/1 case).
    alpha : float
        1 - confidence level.

    References
    ----------
    Korn E.L., Graubard B.I. (1998). Confidence intervals for proportions with small
    expected number of positive counts estimated from survey data. Survey Methodology 24:193-201.
    Lumley T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley, section 2.3.

    Examples
    --------
    >>> [round(x, 4) for x in proportion_ci(0.3, 0.05, 30, method="mean")]
    [0.1979, 0.4021]
    """
    if not np.isfinite(p) or not np.isfinite(se):
        return (np.nan, np.nan)
    tq = float(sps.t.isf(alpha / 2, df)) if np.isfinite(df) else float(sps.norm.isf(alpha / 2))
    if method == "mean":
        return (p - tq * se, p + tq * se)
    if method not in ("logit", "beta"):
        raise SurveyUsageError(f"proportion_ci: method must be logit, beta or mean, not {method!r}")
    if p <= 0 or p >= 1 or se <= 0:
        if n is None or n <= 0:
            return (np.nan, np.nan)
        if p <= 0:
            return (0.0, float(sps.beta.ppf(1 - alpha / 2, 1, n)))
        if p >= 1:
            return (float(sps.beta.ppf(alpha / 2, n, 1)), 1.0)
        return (p, p)
    if method == "logit":
        b = special.logit(p)
        sb = se / (p * (1 - p))
        return (float(special.expit(b - tq * sb)), float(special.expit(b + tq * sb)))
    if n is None:
        raise SurveyUsageError("proportion_ci: method 'beta' needs n (respondents)")
    neff = p * (1 - p) / se**2
    if n > 1 and np.isfinite(df):
        neff *= (sps.t.ppf(alpha / 2, n - 1) / sps.t.ppf(alpha / 2, df)) ** 2
    lo = sps.beta.ppf(alpha / 2, neff * p, neff * (1 - p) + 1)
    hi = sps.beta.ppf(1 - alpha / 2, neff * p + 1, neff * (1 - p))
    return (float(lo), float(hi))


class SurveyDesign:
    """A survey design: weights, first-stage clusters, strata, fpc, calibration.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    weights : str or array_like, optional
        Sampling weights (column name or values); equal weights 1 by default. Raked or
        calibrated weights: give the raking variables in ``calibration`` too.
    ids : str or array_like, optional
        First-stage cluster (PSU) of each row; ``None``: each row its own PSU
        (``svydesign(ids = ~1)``).
    strata : str or array_like, optional
        Stratum of each row; ``None``: one stratum.
    fpc : str or array_like, optional
        Finite-population correction per row: the number of PSUs in the population of
        the row's stratum (``N_h``), or the sampling fraction (all values <= 1), as in
        ``svydesign(fpc=)``. ``None``: first-stage sampling with replacement.
    calibration : sequence of str, optional
        Raking variables (columns) the weights were raked on; their residuals carry the
        calibration into the variance (see :func:`analysis.weighting.rake`).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        A stratum with a single PSU, as ``options(survey.lonely.psu=)``: ``"fail"`` (R's
        default) raises; ``"remove"`` and ``"certainty"`` give it no variance;
        ``"adjust"`` takes its PSU total's deviation from zero (the grand mean of the
        scores of a mean or proportion); ``"average"`` drops it and scales the variance
        of the other strata up by ``strata / strata with several PSUs``.
    nest : bool
        PSU ids are only unique within strata (``svydesign(nest = TRUE)``); default True.

    Attributes
    ----------
    degf : int
        Design degrees of freedom: PSUs minus strata (of the rows in the domain).
    n : int
        Rows in the domain.
    weights : ndarray

    Notes
    -----
    A subset (:meth:`subset`) keeps every PSU and stratum of the full design, with zero
    scores outside the domain: domain estimates have the right variance (Lumley 2010,
    2.3.1). Missing values of an analysed variable are left out as ``na.rm = TRUE``.

    References
    ----------
    Lumley T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
    Lumley T. (2024). survey: analysis of complex survey samples. R package.
    Wolter K.M. (2007). Introduction to Variance Estimation, 2nd ed. Springer, ch. 6.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": ["x", "y", "y", "x"], "w": [1.0, 1, 2, 2]})
    >>> SurveyDesign(df, weights="w").mean("a")[["level", "estimate"]].to_dict("records")
    [{'level': 'x', 'estimate': 0.5}, {'level': 'y', 'estimate': 0.5}]
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | ArrayLike | pd.Series | None = None,
        ids: str | ArrayLike | pd.Series | None = None,
        strata: str | ArrayLike | pd.Series | None = None,
        fpc: str | ArrayLike | pd.Series | None = None,
        *,
        calibration: Sequence[str] | None = None,
        lonely_psu: str = "fail",
        nest: bool = True,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise SurveyUsageError("survey design: data must be a pandas DataFrame")
        if lonely_psu not in LONELY_PSU:
            raise SurveyUsageError(
                f"survey design: lonely_psu must be one of {', '.join(LONELY_PSU)}, not {lonely_psu!r}"
            )
        n = len(data)
        if n == 0:
            raise SurveyUsageError("survey design: the data have no rows")
        self.data = data
        self.lonely_psu = lonely_psu
        self._spec = {"weights": weights, "ids": ids, "strata": strata, "fpc": fpc}
        w = _column(data, weights, "weights")
        if w is None:
            w = np.ones(n)
        else:
            w = pd.to_numeric(pd.Series(w), errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(w) | (w < 0)
            if bad.any():
                first = data.index[np.flatnonzero(bad)[0]]
                raise SurveyUsageError(
                    f"survey design: {int(bad.sum())} missing, negative or infinite weight(s), "
                    f"first at row {first!r}"
                )
        self.weights = w
        st = _column(data, strata, "strata")
        self._strata = np.zeros(n, dtype=int) if st is None else _codes(st, "stratum", data)
        ps = _column(data, ids, "ids")
        if ps is None:
            self._psu = np.arange(n)
        else:
            ps = _codes(ps, "PSU id", data)
            key = ps if not nest else ps.astype(np.int64) * (self._strata.max() + 1) + self._strata
            self._psu = pd.factorize(key, sort=True)[0]
            if not nest:
                per = pd.Series(self._strata).groupby(self._psu).nunique()
                if (per > 1).any():
                    raise SurveyUsageError(
                        "survey design: a PSU id appears in several strata; use nest=True"
                    )
        n_h = np.bincount(
            self._strata,
            weights=None,
            minlength=self._strata.max() + 1 if n else 0,
        )
        psu_per_stratum = (
            pd.Series(self._psu).groupby(self._strata).nunique().reindex(range(len(n_h)))
        ).to_numpy(dtype=float)
        self._npsu = psu_per_stratum  # by stratum code
        fp = _column(data, fpc, "fpc")
        if fp is None:
            self._f = np.ones(len(n_h))
        else:
            fp = pd.to_numeric(pd.Series(fp), errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(fp)) or np.any(fp <= 0):
                raise SurveyUsageError("survey design: fpc must be positive numbers")
            by = pd.Series(fp).groupby(self._strata)
            if (by.nunique() > 1).any():
                raise SurveyUsageError("survey design: fpc differs within a stratum")
            fh = by.first().reindex(range(len(n_h))).to_numpy()
            pop = psu_per_stratum / fh if np.all(fp <= 1) else fh
            if np.any(pop < psu_per_stratum - 1e-9):
                raise SurveyUsageError(
                    "survey design: fpc gives fewer population PSUs than sampled in a stratum"
                )
            self._f = (pop - psu_per_stratum) / pop
        self._cal: list[_Calibration] = []
        self.calibration = list(calibration or [])
        for var in self.calibration:
            col = _column(data, var, "calibration variable")
            self._cal.append(_Calibration(_codes(col, f"calibration variable {var!r}", data), w))
        self._domain = np.ones(n, dtype=bool)

    # ------------------------------------------------------------------ structure
    def subset(self, mask: ArrayLike) -> SurveyDesign:
        """The design restricted to a domain (rows where ``mask``), keeping its PSUs and strata."""
        m = np.asarray(mask, dtype=bool)
        if m.shape != self._domain.shape:
            raise SurveyUsageError(f"subset: mask has {m.size} values for {self._domain.size} rows")
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._domain = self._domain & m
        return new

    @property
    def domain(self) -> np.ndarray:
        """Rows in the domain (a copy)."""
        return self._domain.copy()

    @property
    def n(self) -> int:
        return int(np.sum(self._domain & (self.weights > 0)))

    @property
    def degf(self) -> int:
        """PSUs minus strata among the rows in the domain (``degf()``)."""
        inset = self._domain & (self.weights > 0)
        return int(len(np.unique(self._psu[inset])) - len(np.unique(self._strata[inset])))

    @property
    def method(self) -> str:
        """A short statement of the design, for results' ``weighting`` columns."""
        parts = []
        if self._spec["strata"] is not None:
            parts.append(f"{len(self._npsu)} strata")
        if self._spec["ids"] is not None:
            parts.append(f"{len(np.unique(self._psu))} clusters")
        if self._spec["fpc"] is not None:
            parts.append("fpc")
        if self.calibration:
            parts.append("raked on " + ", ".join(self.calibration))
        if not parts:
            parts.append("weights only")
        return "design-based (Taylor linearisation; " + "; ".join(parts) + ")"

    def __repr__(self) -> str:
        return f"SurveyDesign(n={self.n}, degf={self.degf}, {self.method})"

    # ------------------------------------------------------------------ variance
    def variance(self, scores: ArrayLike) -> np.ndarray:
        """Design covariance of the totals of ``scores`` (``svyrecvar``).

        Parameters
        ----------
        scores : array_like, shape (n,) or (n, k)
            Weighted linearised scores per row (``w_i * u_i``); rows outside the domain
            must be zero.

        Returns
        -------
        ndarray, shape (k, k)
        """
        x = np.asarray(scores, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        x = np.where(self._domain[:, None], x, 0.0)
        for _ in range(10 if self._cal else 0):
            for cal in self._cal:
                psw = np.where(cal.weights > 0, cal.weights, 1.0)
                z = x / psw[:, None]
                cnt = np.bincount(cal.codes).astype(float)
                means = np.stack(
                    [np.bincount(cal.codes, weights=z[:, j]) / cnt for j in range(z.shape[1])],
                    axis=1,
                )
                x = x - psw[:, None] * means[cal.codes]
        k = x.shape[1]
        n_psu = int(self._psu.max()) + 1 if len(self._psu) else 0
        tot = np.zeros((n_psu, k))
        np.add.at(tot, self._psu, x)
        psu_stratum = np.zeros(n_psu, dtype=int)
        psu_stratum[self._psu] = self._strata
        v = np.zeros((k, k))
        nstrat, nok = len(self._npsu), 0
        for h in range(nstrat):
            zh = tot[psu_stratum == h]
            nh = zh.shape[0]
            f = self._f[h]
            if f < 1e-7:
                nok += 1
                continue
            if nh > 1:
                zc = zh - zh.mean(axis=0)
                v += f * nh / (nh - 1) * zc.T @ zc
                nok += 1
            elif self.lonely_psu == "fail":
                raise SurveyUsageError(
                    f"survey design: stratum {h + 1} has only one PSU "
                    "(choose lonely_psu='remove', 'certainty', 'adjust' or 'average')"
                )
            elif self.lonely_psu == "adjust":
                v += f * zh.T @ zh
                nok += 1
            elif self.lonely_psu in ("remove", "certainty"):
                nok += 1
        if self.lonely_psu == "average" and nok < nstrat and nok > 0:
            v *= nstrat / nok
        return v

    # ------------------------------------------------------------------ estimators
    def _y(
        self, column: str, categorical: bool = False
    ) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Numeric matrix of a column (indicators for a categorical), names, and non-missing rows.

        ``categorical``: indicators of the distinct values even of a numeric column.
        """
        if column not in self.data.columns:
            raise SurveyUsageError(f"survey design: column {column!r} not in the data")
        s = self.data[column]
        ok = s.notna().to_numpy()
        if (
            categorical
            or isinstance(s.dtype, pd.CategoricalDtype)
            or not pd.api.types.is_numeric_dtype(s)
        ):
            cats = (
                list(s.cat.categories)
                if isinstance(s.dtype, pd.CategoricalDtype)
                else sorted(pd.unique(s.dropna()).tolist(), key=str)
            )
            vals = s.astype("object").to_numpy()
            y = np.column_stack([(vals == c) & ok for c in cats]).astype(float)
            return y, [str(c) for c in cats], ok
        if pd.api.types.is_bool_dtype(s.dtype):
            y = s.astype(float).to_numpy()[:, None]
        else:
            y = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)[:, None]
        y = np.where(ok[:, None], y, 0.0)
        return y, [column], ok

    def means(self, y: ArrayLike, rows: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means of the columns of ``y`` over the domain and their covariance.

        ``rows`` restricts further (e.g. non-missing). Returns ``(estimate, cov)``.
        """
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        dom = self._domain if rows is None else self._domain & np.asarray(rows, dtype=bool)
        w = np.where(dom, self.weights, 0.0)
        sw = w.sum()
        if sw <= 0:
            k = y.shape[1]
            return np.full(k, np.nan), np.full((k, k), np.nan)
        yy = np.where(dom[:, None], y, 0.0)
        est = (w[:, None] * yy).sum(axis=0) / sw
        scores = w[:, None] * (yy - est) / sw
        return est, self.subset(dom).variance(scores)

    def _srs_var(self, y: np.ndarray, dom: np.ndarray) -> np.ndarray:
        """``svyvar`` of each column: weighted variance times ``n / (n - 1)``."""
        w = np.where(dom, self.weights, 0.0)
        n = int(np.sum(w > 0))
        m = (w[:, None] * y).sum(axis=0) / w.sum()
        return (w[:, None] * (y - m) ** 2).sum(axis=0) / w.sum() * n / max(n - 1, 1)

    def _deff(self, var: np.ndarray, y: np.ndarray, dom: np.ndarray, total: bool) -> np.ndarray:
        """Design effect against simple random sampling (without replacement when the
        weights are on the population scale, sum > n, as ``deff = TRUE``; otherwise with
        replacement, as ``deff = "replace"``)."""
        w = np.where(dom, self.weights, 0.0)
        psum, nobs = w.sum(), int(np.sum(w > 0))
        vsrs = self._srs_var(y, dom) / nobs
        if total:
            vsrs = vsrs * psum**2
        if psum > nobs:
            vsrs = vsrs * (psum - nobs) / psum
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.diag(var) / vsrs

    def _table(self, column, names, est, var, dom, y, total, df, alpha) -> pd.DataFrame:
        se = np.sqrt(np.diag(var))
        dfv = self.subset(dom).degf if df is None else df
        tq = sps.t.isf(alpha / 2, dfv) if np.isfinite(dfv) else sps.norm.isf(alpha / 2)
        return pd.DataFrame(
            {
                "variable": column,
                "level": names,
                "estimate": est,
                "se": se,
                "ci_low": est - tq * se,
                "ci_high": est + tq * se,
                "df": float(dfv),
                "deff": self._deff(var, y, dom, total),
                "n": int(np.sum(dom & (self.weights > 0))),
            }
        )

    def mean(self, column: str, *, df: float | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Design-based mean of a numeric column, or shares of a categorical one (``svymean``).

        Parameters
        ----------
        column : str
            Numeric (one row out) or categorical / text (one row per level).
        df : float, optional
            Degrees of freedom of the t interval; the design's ``degf`` by default
            (``numpy.inf``: normal interval, as R's ``confint`` default).
        alpha : float
            1 - confidence level.

        Returns
        -------
        DataFrame
            ``variable``, ``level``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``,
            ``deff``, ``n``.

        References
        ----------
        Lumley T. (2010). Complex Surveys. Wiley, ch. 2.
        """
        y, names, ok = self._y(column)
        dom = self._domain & ok
        est, var = self.means(y, ok)
        return self._table(column, names, est, var, dom, y, False, df, alpha)

    def total(self, column: str, *, df: float | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Design-based total (``svytotal``); columns as :meth:`mean`.

        References
        ----------
        Lumley T. (2010). Complex Surveys. Wiley, ch. 2.
        """
        y, names, ok = self._y(column)
        dom = self._domain & ok
        w = np.where(dom, self.weights, 0.0)
        yy = np.where(dom[:, None], y, 0.0)
        est = (w[:, None] * yy).sum(axis=0)
        var = self.subset(dom).variance(w[:, None] * yy)
        return self._table(column, names, est, var, dom, y, True, df, alpha)

    def proportion(
        self,
        column: str,
        level=True,
        *,
        ci: str = "logit",
        df: float | None = None,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Share of rows where ``column == level``, with an interval as ``svyciprop``.

        Parameters
        ----------
        column : str
        level : scalar
            The answer counted (``True`` for a boolean column).
        ci : {"logit", "likelihood", "beta", "mean"}
            ``"logit"``: Wald interval on the logit scale (svyciprop's default);
            ``"likelihood"``: Rao--Scott scaled profile likelihood of the quasi-binomial
            intercept model (the exact roots of R's criterion); ``"beta"``: Korn and
            Graubard; ``"mean"``: Wald on the proportion scale.
        df : float, optional
            Degrees of freedom (design ``degf`` by default, as ``svyciprop``).

        Returns
        -------
        DataFrame
            One row: ``variable``, ``level``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
            ``method``, ``df``, ``n``.

        References
        ----------
        Korn E.L., Graubard B.I. (1998). Survey Methodology 24:193-201.
        Rao J.N.K., Scott A.J. (1984). On chi-squared tests for multiway contingency
        tables with cell proportions estimated from survey data. Annals of Statistics 12:46-60.
        Lumley T. (2010). Complex Surveys. Wiley, 2.3.
        """
        if ci not in CI_METHODS:
            raise SurveyUsageError(
                f"proportion: ci must be one of {', '.join(CI_METHODS)}, not {ci!r}"
            )
        if column not in self.data.columns:
            raise SurveyUsageError(f"survey design: column {column!r} not in the data")
        s = self.data[column]
        ok = s.notna().to_numpy()
        y = np.asarray((s.astype("object") == level).to_numpy() & ok, dtype=float)
        dom = self._domain & ok
        est, var = self.means(y, ok)
        p, se = float(est[0]), float(np.sqrt(var[0, 0]))
        d = self.subset(dom)
        dfv = d.degf if df is None else df
        n = d.n
        if ci == "likelihood":
            lo, hi = self._likelihood_ci(y, dom, p, var[0, 0], dfv, alpha)
        else:
            lo, hi = proportion_ci(p, se, dfv, method=ci, n=n, alpha=alpha)
        return pd.DataFrame(
            [
                {
                    "variable": column,
                    "level": level,
                    "estimate": p,
                    "se": se,
                    "ci_low": lo,
                    "ci_high": hi,
                    "method": ci,
                    "df": float(dfv),
                    "n": n,
                }
            ]
        )

    def _likelihood_ci(self, y, dom, p, var_p, df, alpha) -> tuple[float, float]:
        """Roots of ``sign(b - b0) sqrt((D(b) - D0) / phi) = -/+ t sqrt(lambda)`` (svyglm profile)."""
        if not 0 < p < 1:
            return proportion_ci(
                p, np.sqrt(var_p), df, method="logit", n=int(dom.sum()), alpha=alpha
            )
        w = np.where(dom, self.weights, 0.0)
        wn = w / w[dom].mean()  # svyglm rescales the weights to mean 1
        yd, wd = y[dom], wn[dom]
        # the quasi-binomial intercept model as R's glm.fit reaches it (IRLS to a relative
        # deviance change under 1e-8): svyglm's lambda uses the working weights of its
        # last iteration
        b0, mu_w = _irls_intercept(yd, wd)
        mu = float(special.expit(b0))
        ainv = 1 / float(np.sum(wd * mu_w * (1 - mu_w)))
        u = np.zeros_like(w)
        u[dom] = (yd - mu) / (mu * (1 - mu)) * wd * mu_w * (1 - mu_w)
        var_u = float(self.subset(dom).variance(u)[0, 0])
        cov_b = ainv**2 * var_u
        lam = cov_b / ainv
        # dispersion: svyvar of the Pearson residuals (y - mu) / sqrt(mu (1 - mu))
        r = np.zeros_like(w)
        r[dom] = (yd - mu) / np.sqrt(mu * (1 - mu))
        phi = float(self._srs_var(r[:, None], dom)[0])

        def dev(b: float) -> float:
            mu = special.expit(b)
            return float(-2 * np.sum(wd * (yd * np.log(mu) + (1 - yd) * np.log1p(-mu))))

        d0 = dev(b0)
        tq = sps.t.ppf(alpha / 2, df) if np.isfinite(df) else sps.norm.ppf(alpha / 2)
        cut = float(tq * np.sqrt(lam))

        def z(b: float) -> float:
            return float(np.sign(b - b0) * np.sqrt(max(0.0, (dev(b) - d0) / phi)))

        se_b = np.sqrt(cov_b)
        lo = optimize.brentq(lambda b: z(b) - cut, b0 - 30 * se_b, b0, xtol=1e-14)
        hi = optimize.brentq(lambda b: z(b) + cut, b0, b0 + 30 * se_b, xtol=1e-14)
        return float(special.expit(lo)), float(special.expit(hi))

    # ------------------------------------------------------------------ tests
    def chisq(self, row: str, col: str, *, statistic: str = "F") -> pd.DataFrame:
        """Rao--Scott test of independence of two categorical columns (``svychisq``).

        Parameters
        ----------
        row, col : str
            Categorical columns (rows with either missing are left out).
        statistic : {"F", "Chisq", "adjWald", "Wald"}
            ``"F"`` (default, as ``svychisq``): second-order Rao--Scott, Pearson's X2
            divided by ``tr(Delta)`` against F on ``d0 = tr(Delta)^2 / tr(Delta^2)`` and
            ``d0 * degf`` df; ``"Chisq"``: first-order, ``X2 / mean(eigenvalues)`` against
            chi-square on ``(r-1)(c-1)`` df; ``"adjWald"`` / ``"Wald"``: design-based Wald
            test of the interaction (with / without the F correction).

        Returns
        -------
        DataFrame
            One row: ``statistic`` (F, or Pearson's X2 of the table scaled to the
            respondents for ``"Chisq"``), ``ndf``, ``ddf`` (``inf`` for Chisq), ``df``,
            ``p``, ``pearson`` (X2 of the scaled table), ``deff_mean`` (mean generalised
            design effect), ``method``, ``n``.

        References
        ----------
        Rao J.N.K., Scott A.J. (1981). The analysis of categorical data from complex sample
        surveys. JASA 76:221-230.
        Rao J.N.K., Scott A.J. (1984). Annals of Statistics 12:46-60.
        Lumley T. (2010). Complex Surveys. Wiley, 6.1.
        """
        if statistic not in ("F", "Chisq", "adjWald", "Wald"):
            raise SurveyUsageError(
                f"chisq: statistic must be F, Chisq, adjWald or Wald, not {statistic!r}"
            )
        ry, _, rok = self._y(row, categorical=True)
        cy, _, cok = self._y(col, categorical=True)
        ok = rok & cok
        return self.chisq_matrix(ry, cy, ok, statistic=statistic)

    def chisq_matrix(
        self, ry: ArrayLike, cy: ArrayLike, rows: ArrayLike | None = None, *, statistic: str = "F"
    ) -> pd.DataFrame:
        """Rao--Scott test from 0/1 indicator matrices of the row and column answers.

        ``ry`` (n x r) and ``cy`` (n x c) over all rows of the design; ``rows`` marks the
        rows that answered both. Empty rows / columns of the table are dropped. The
        result is as :meth:`chisq` (which calls this).
        """
        if statistic not in ("F", "Chisq", "adjWald", "Wald"):
            raise SurveyUsageError(
                f"chisq: statistic must be F, Chisq, adjWald or Wald, not {statistic!r}"
            )
        ry, cy = np.asarray(ry, dtype=float), np.asarray(cy, dtype=float)
        ok = np.ones(len(ry), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        dom = self._domain & ok & (self.weights > 0)
        ry = ry[:, ry[dom].sum(axis=0) > 0]
        cy = cy[:, cy[dom].sum(axis=0) > 0]
        nr, nc = ry.shape[1], cy.shape[1]
        nu = len(np.unique(self._psu[self._domain])) - len(np.unique(self._strata[self._domain]))
        N = int(dom.sum())
        return self._rao_scott(ry, cy, ok, nr, nc, nu, N, statistic)

    def _rao_scott(self, ry, cy, ok, nr, nc, nu, N, statistic) -> pd.DataFrame:
        out = {"statistic": np.nan, "ndf": np.nan, "ddf": np.nan, "df": (nr - 1) * (nc - 1)}
        if nr < 2 or nc < 2:
            return pd.DataFrame(
                [
                    {
                        **out,
                        "p": np.nan,
                        "pearson": np.nan,
                        "deff_mean": np.nan,
                        "method": "no test (fewer than two non-empty rows or columns)",
                        "n": N,
                    }
                ]
            )
        # cells in R's order: rows vary fastest
        cells = np.einsum("ni,nj->nji", ry, cy).reshape(len(ry), nr * nc)
        dom = self._domain & ok
        w = np.where(dom, self.weights, 0.0)
        table = (w[:, None] * cells).sum(axis=0).reshape(nc, nr).T
        scaled = table * N / table.sum()
        exp = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / N
        x2 = float(((scaled - exp) ** 2 / exp).sum())
        rows_i = np.tile(np.arange(nr), nc)
        cols_j = np.repeat(np.arange(nc), nr)
        if statistic in ("Wald", "adjWald"):
            mr = (w[:, None] * ry).sum(axis=0)
            mc = (w[:, None] * cy).sum(axis=0)
            tot = w.sum()
            y = table.T.ravel() - np.outer(mr, mc).T.ravel() / tot
            scores = np.column_stack([cells, ry, cy, np.ones(len(w))]) * w[:, None]
            V = self.subset(dom).variance(scores)
            J = np.column_stack(
                [
                    np.eye(nr * nc),
                    -(rows_i[:, None] == np.arange(nr)).astype(float) * (mc[cols_j] / tot)[:, None],
                    -(cols_j[:, None] == np.arange(nc)).astype(float) * (mr[rows_i] / tot)[:, None],
                    (mr[rows_i] * mc[cols_j] / tot**2)[:, None],
                ]
            )
            Vy = J @ V @ J.T
            use = (rows_i > 0) & (cols_j > 0)
            wald = float(y[use] @ np.linalg.solve(Vy[np.ix_(use, use)], y[use]))
            ndf = (nr - 1) * (nc - 1)
            if statistic == "Wald":
                stat, ddf = wald / ndf, nu
            else:
                ddf = nu - ndf + 1
                stat = wald * ddf / (ndf * nu)
            p = float(sps.f.sf(stat, ndf, ddf)) if ddf > 0 else np.nan
            return pd.DataFrame(
                [
                    {
                        "statistic": stat,
                        "ndf": float(ndf),
                        "ddf": float(ddf),
                        "df": ndf,
                        "p": p,
                        "pearson": x2,
                        "deff_mean": np.nan,
                        "method": "design-based Wald test of association"
                        + (" (adjusted F)" if statistic == "adjWald" else ""),
                        "n": N,
                    }
                ]
            )
        est, V = self.means(cells, ok)
        X1 = np.column_stack(
            [np.ones(nr * nc)]
            + [(rows_i == i).astype(float) for i in range(1, nr)]
            + [(cols_j == j).astype(float) for j in range(1, nc)]
        )
        X12 = np.column_stack(
            [(rows_i == i) & (cols_j == j) for j in range(1, nc) for i in range(1, nr)]
        ).astype(float)
        q, _ = np.linalg.qr(X1)
        C = X12 - q @ (q.T @ X12)
        iD = np.diag(np.where(est == 0, 0.0, 1 / np.where(est == 0, 1, est)))
        denom = C.T @ (iD / N) @ C
        numr = C.T @ iD @ V @ iD @ C
        delta = np.linalg.solve(denom, numr)
        tr = float(np.trace(delta))
        d0 = tr**2 / float(np.trace(delta @ delta))
        if statistic == "F":
            stat = x2 / tr
            ndf, ddf = d0, d0 * nu
            p = float(sps.f.sf(stat, ndf, ddf))
            method = "Rao-Scott second-order (F) adjustment of Pearson's X2"
        else:
            stat = x2
            ndf, ddf = float(delta.shape[0]), np.inf
            p = float(sps.chi2.sf(x2 / (tr / delta.shape[0]), delta.shape[0]))
            method = "Rao-Scott first-order adjustment of Pearson's X2"
        return pd.DataFrame(
            [
                {
                    "statistic": stat,
                    "ndf": ndf,
                    "ddf": ddf,
                    "df": (nr - 1) * (nc - 1),
                    "p": p,
                    "pearson": x2,
                    "deff_mean": tr / delta.shape[0],
                    "method": method,
                    "n": N,
                }
            ]
        )

    def table(self, row: str, col: str) -> pd.DataFrame:
        """Weighted counts of two categorical columns (``svytable``), rows x columns."""
        ry, rnames, rok = self._y(row, categorical=True)
        cy, cnames, cok = self._y(col, categorical=True)
        dom = self._domain & rok & cok
        w = np.where(dom, self.weights, 0.0)
        t = (w[:, None] * ry).T @ cy
        return pd.DataFrame(t, index=pd.Index(rnames, name=row), columns=pd.Index(cnames, name=col))


def svyolr(
    formula: str,
    design: SurveyDesign,
    *,
    link: str = "logit",
    nominal: str | None = None,
    data: pd.DataFrame | None = None,
    **kwargs,
):
    """Cumulative-link model on a survey design (R's ``svyolr``), with strata and clusters.

    Point estimates maximise the weighted pseudo-likelihood
    (:func:`analysis.ordinal.fit_ordinal` with the design's weights,
    ``weight_kind="survey"``); the covariance is the design-based sandwich
    ``H^-1 V(U) H^-1`` where ``V(U)`` is :meth:`SurveyDesign.variance` of the
    observations' score contributions, so strata, clusters, fpc and raking enter as in
    ``svyolr``'s linearisation. A subset design fits its domain and keeps the full
    design's PSUs in the variance. Rows with a missing value are left out (their scores
    are zero).

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"`` on the design's data.
    design : SurveyDesign
    link, nominal
        As :func:`analysis.ordinal.fit_ordinal`.
    data : DataFrame, optional
        The rows to fit (a model frame), indexed like the design's data (a subset of its
        rows, columns possibly recoded); the design's data by default.
    **kwargs
        Passed to :func:`analysis.ordinal.fit_ordinal` (``maxiter``, ``grad_tol``).

    Returns
    -------
    OrdinalResults
        ``cov_type`` names the design; ``coef``, ``thresholds``, ``bse`` and the Wald tests
        use the design-based covariance; ``design_degf`` is the design's degrees of freedom.

    References
    ----------
    Binder D.A. (1983). International Statistical Review 51:279-292.
    Lumley T. (2010). Complex Surveys. Wiley, 6.3 (``svyolr``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"g": rng.choice(["a", "b"], 400), "psu": np.repeat(np.arange(40), 10),
    ...                    "w": rng.uniform(1, 3, 400)})
    >>> df["y"] = pd.Categorical(np.digitize(0.5 * (df["g"] == "b") + rng.logistic(size=400), [-1, 1]),
    ...                          ordered=True)
    >>> res = svyolr("y ~ g", SurveyDesign(df, weights="w", ids="psu"))
    >>> res.cov_type.startswith("design-based"), res.design_degf
    (True, 39)
    """
    from analysis.ordinal import fit_ordinal

    use = design.domain & (design.weights > 0)
    if data is not None:
        pos_in = design.data.index.get_indexer(data.index)
        if (pos_in < 0).any() or not data.index.is_unique:
            raise SurveyUsageError("svyolr: data rows must be rows of the design's data")
        mask = np.zeros(len(use), dtype=bool)
        mask[pos_in] = True
        use &= mask
    rows = np.flatnonzero(use)
    data = design.data.iloc[rows] if data is None else data.loc[design.data.index[rows]]
    res = fit_ordinal(
        formula,
        data=data,
        link=link,
        weights=design.weights[rows],
        weight_kind="survey",
        nominal=nominal,
        **kwargs,
    )
    inner = getattr(res, "_results", res)
    model = inner.model
    labels = model.data.row_labels
    pos = np.arange(model.endog.shape[0]) if labels is None else np.asarray(labels, dtype=int)
    S = model.score_obs(np.asarray(inner.params))
    full = np.zeros((len(design.data), S.shape[1]))
    full[rows[pos]] = S
    meat = design.variance(full)
    H_inv = np.asarray(inner.cov_model)
    cov = H_inv @ meat @ H_inv
    inner.cov_params_default = (cov + cov.T) / 2
    inner.cov_type = design.method
    inner.design_degf = design.subset(np.isin(np.arange(len(design.data)), rows[pos])).degf
    inner._cache = {}
    return res
