"""Results of the fixed-effects cumulative-link model: tables, predictions, marginal effects.

:class:`OrdinalResults` (a statsmodels ``OrderedResults``) adds tidy tables (:attr:`coef`,
:attr:`thresholds`, :attr:`nominal_effects`) with intervals at the confidence level
``1 - alpha``, predicted probabilities and average marginal effects with delta-method SEs, and
the tests of proportional odds (computed in :mod:`analysis.ordinal.tests`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.base.model import LikelihoodModelResults
from statsmodels.iolib.summary2 import Summary
from statsmodels.miscmodels.ordinal_model import OrderedResults

try:  # statsmodels >= 0.15 keeps its caching decorator private
    from statsmodels.tools._decorators import cache_readonly
except ImportError:  # pragma: no cover - older statsmodels
    from statsmodels.tools.decorators import cache_readonly

from analysis.ordinal.design import _build_new
from analysis.ordinal.errors import OrdinalModelError, OrdinalWarning

__all__ = ["OrdinalResults"]


def _check_alpha(alpha: float) -> float:
    """``alpha`` in (0, 1): the intervals' confidence level is ``1 - alpha``."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise OrdinalModelError(f"alpha must be a number in (0, 1), not {alpha!r}") from None
    if not 0.0 < a < 1.0:
        raise OrdinalModelError(f"alpha must be in (0, 1) (confidence level 1 - alpha), not {alpha!r}")
    return a


def wald_table(
    est: np.ndarray, se: np.ndarray, names: list[str], alpha: float, odds: bool
) -> pd.DataFrame:
    """Estimate, se, z, two-sided p and the Wald interval at level ``1 - alpha``.

    With ``odds`` (logit link) also the odds ratio and its interval, ``exp`` of the ends.
    The level is stored in ``.attrs["conf_level"]``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    q = stats.norm.ppf(1.0 - alpha / 2.0)
    df = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "z": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
            "ci_low": est - q * se,
            "ci_high": est + q * se,
        },
        index=pd.Index(names, name="term"),
    )
    if odds:
        df["odds_ratio"] = np.exp(df["estimate"])
        df["or_low"] = np.exp(df["ci_low"])
        df["or_high"] = np.exp(df["ci_high"])
    df.attrs["conf_level"] = 1.0 - alpha
    return df


def _cum_etas(model: Any, params, X, Zt, S=None) -> np.ndarray:
    """``n x (J-1)`` matrix of (theta_j + z'gamma_j - x'beta) / exp(s'zeta)."""
    beta, theta = model._unpack(params)
    n = X.shape[0] if X is not None else (Zt.shape[0] if Zt is not None else 1)
    if X is None and Zt is None and S is not None:
        n = S.shape[0]
    xb = X @ beta if (X is not None and model.k_loc) else np.zeros(n)
    th = np.broadcast_to(theta[:, 0], (n, model.k_levels - 1)) if Zt is None else Zt @ theta.T
    eta = th - xb[:, None]
    if getattr(model, "_S", None) is not None and S is not None:
        zeta = np.asarray(params, dtype=float)[model.k_params - model.k_scale :]
        eta = eta * np.exp(-(S @ zeta))[:, None]
    return eta


class OrdinalResults(OrderedResults):
    """Results of :func:`fit_ordinal` / :meth:`OrdinalModel.fit`.

    Adds to statsmodels' results tidy tables (:attr:`coef`, :attr:`thresholds`,
    :attr:`nominal_effects`), predictions with SEs, marginal effects and tests of
    proportional odds.  ``params`` / ``bse`` / ``cov_params()`` are statsmodels'
    (location first, then thresholds, then nominal effects); ``bse`` uses the
    covariance chosen by the weights / cluster (``cov_type``).
    """

    def __init__(self, model: Any, params, cov_model, cov, cov_type: str) -> None:
        LikelihoodModelResults.__init__(self, model, params, normalized_cov_params=cov_model)
        self.cov_params_default = cov
        self.cov_type = cov_type
        self.cov_model = cov_model
        self.nobs = model.nobs_eff
        self.n_rows = int(model.endog.shape[0])
        self.df_model = model.k_loc
        self.df_resid = model.df_resid
        self.hasconst = 0
        self._cache = {}
        self.n_dropped = 0
        self.dropped_levels: list[Any] = []
        self._spec: dict[str, Any] = {}
        self.alpha = 0.05

    # ---- scalars
    @property
    def llf(self) -> float:  # type: ignore[override]
        return self._llf

    @property
    def loglik(self) -> float:
        """Log-likelihood (weighted; a pseudo-log-likelihood with survey weights)."""
        return self._llf

    @property
    def k_params(self) -> int:
        return self.model.k_params

    @property
    def aic(self) -> float:  # type: ignore[override]
        return -2.0 * self._llf + 2.0 * self.k_params

    @property
    def bic(self) -> float:  # type: ignore[override]
        return -2.0 * self._llf + np.log(self.nobs) * self.k_params

    @property
    def link(self) -> str:
        return self.model.link.name

    @property
    def levels(self) -> list[Any]:
        """Outcome levels that were fitted (unused levels dropped)."""
        return list(self.model.labels)

    # ---- tables
    def _alpha(self, alpha: float | None) -> float:
        return _check_alpha(self.alpha if alpha is None else alpha)

    def _table(
        self, idx: np.ndarray, names: list[str], odds: bool, alpha: float | None = None
    ) -> pd.DataFrame:
        est = np.asarray(self.params)[idx]
        se = np.sqrt(np.diag(self.cov_params_default))[idx]
        return wald_table(est, se, names, self._alpha(alpha), odds and self.link == "logit")

    @cache_readonly
    def coef(self) -> pd.DataFrame:
        """Location effects beta: estimate, se, z, p, CI at level ``1 - alpha`` (and odds ratios
        for logit).  The level is :attr:`alpha` (set by ``fit_ordinal(alpha=)``), also in
        ``.attrs["conf_level"]``; :meth:`conf_table` gives another level."""
        p = self.model.k_loc
        return self._table(np.arange(p), list(self.model.exog_names[:p]), odds=True)

    @cache_readonly
    def thresholds(self) -> pd.DataFrame:
        """Cut-points theta_j (``"1|2"``, ...): estimate, se, z, p, CI at level ``1 - alpha``."""
        p, Jm = self.model.k_loc, self.model.k_levels - 1
        df = self._table(np.arange(p, p + Jm), list(self.model.threshold_names), odds=False)
        df.index.name = "threshold"
        return df

    @cache_readonly
    def nominal_effects(self) -> pd.DataFrame:
        """Threshold-specific effects gamma_j of nominal terms (``"1|2.term"``); empty if none."""
        return self._nominal_table(None)

    def _nominal_table(self, alpha: float | None) -> pd.DataFrame:
        m = self.model
        start = m.k_loc + m.k_levels - 1
        stop = m.k_params - m.k_scale
        idx = np.arange(start, stop)
        df = self._table(idx, list(m.exog_names[start:stop]), odds=False, alpha=alpha)
        Jm = m.k_levels - 1
        df.insert(0, "threshold", [m.threshold_names[i % Jm] for i in range(len(idx))])
        df.insert(1, "variable", [m.nominal_names[i // Jm] for i in range(len(idx))])
        return df

    @cache_readonly
    def scale_effects(self) -> pd.DataFrame:
        """Log-scale effects zeta (clm's ``scale = ~ s``): estimate, se, z, p, interval.

        The latent spread of a row is multiplied by ``exp(s'zeta)`` (``exp_estimate``);
        empty without ``scale=``.
        """
        return self._scale_table(None)

    def _scale_table(self, alpha: float | None) -> pd.DataFrame:
        m = self.model
        idx = np.arange(m.k_params - m.k_scale, m.k_params)
        df = self._table(idx, list(m.scale_names), odds=False, alpha=alpha)
        df["exp_estimate"] = np.exp(df["estimate"])
        return df

    # ---- prediction
    def _designs(self, newdata: pd.DataFrame | None):
        m = self.model
        if newdata is None:
            return m._X, m._Zt, None
        if not isinstance(newdata, pd.DataFrame):
            raise OrdinalModelError("newdata must be a pandas DataFrame")
        spec = self._spec
        if not spec:
            raise OrdinalModelError("predictions on new data need a fit made by fit_ordinal()")
        newdata = newdata.reset_index(drop=True)
        X, keep = _build_new(spec["loc_info"], newdata, spec["loc_cols"])
        Zt = None
        if m._Zt is not None:
            Z, keep2 = _build_new(spec["nom_info"], newdata, spec["nom_cols"])
            keep = keep & keep2
            Zt = np.column_stack([np.ones(Z.shape[0]), Z])
        if m._S is not None:
            Sn, keep3 = _build_new(spec["sca_info"], newdata, spec["sca_cols"])
            keep = keep & keep3
        if not keep.all():
            X = None if X is None else X[keep]
            Zt = None if Zt is None else Zt[keep]
        if m._S is not None:
            self._new_scale = Sn[keep]
        return X, Zt, keep

    def _scale_rows(self, newdata: pd.DataFrame | None):
        m = self.model
        if m._S is None:
            return None
        return m._S if newdata is None else self._new_scale

    def _no_scale(self, what: str) -> None:
        if self.model._S is not None:
            raise OrdinalModelError(
                f"{what} is not available for a model with scale effects (scale=); "
                "use predict_proba() without se"
            )

    def conf_table(self, alpha: float | None = None, part: str = "coef") -> pd.DataFrame:
        """:attr:`coef` (``part="coef"``), :attr:`thresholds` or :attr:`nominal_effects` with
        intervals at the confidence level ``1 - alpha`` (default :attr:`alpha`).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from analysis.ordinal import fit_ordinal
        >>> rng = np.random.default_rng(4)
        >>> d = pd.DataFrame({"x": rng.normal(size=300)})
        >>> d["y"] = np.digitize(d["x"] + rng.logistic(size=300), [-1, 1])
        >>> t = fit_ordinal("y ~ x", data=d).conf_table(alpha=0.10)
        >>> t.attrs["conf_level"]
        0.9
        """
        m = self.model
        p, Jm = m.k_loc, m.k_levels - 1
        if part == "coef":
            return self._table(np.arange(p), list(m.exog_names[:p]), odds=True, alpha=alpha)
        if part == "thresholds":
            df = self._table(np.arange(p, p + Jm), list(m.threshold_names), odds=False, alpha=alpha)
            df.index.name = "threshold"
            return df
        if part == "nominal":
            return self._nominal_table(alpha)
        if part == "scale":
            return self._scale_table(alpha)
        raise OrdinalModelError(
            f"part must be 'coef', 'thresholds', 'nominal' or 'scale', not {part!r}"
        )

    def predict_proba(
        self, newdata: pd.DataFrame | None = None, se: bool = False, alpha: float | None = None
    ) -> pd.DataFrame:
        """Predicted probability of each outcome level.

        Parameters
        ----------
        newdata : DataFrame, optional
            Values of the predictors (the estimation sample if omitted).  Rows with a
            missing predictor get NaN.
        se : bool
            If True, return a long table with delta-method standard errors and intervals.
        alpha : float, optional
            The intervals' level is ``1 - alpha`` (default :attr:`alpha`).

        Returns
        -------
        DataFrame
            ``se=False``: one column per level, rows summing to one, index of ``newdata``.
            ``se=True``: columns ``row, level, prob, se, ci_low, ci_high``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(2)
        >>> d = pd.DataFrame({"x": rng.normal(size=300)})
        >>> d["y"] = np.digitize(d["x"] + rng.logistic(size=300), [-1, 1])
        >>> from analysis.ordinal import fit_ordinal
        >>> r = fit_ordinal("y ~ x", data=d)
        >>> r.predict_proba(pd.DataFrame({"x": [0.0, 1.0]})).sum(axis=1).round(12).tolist()
        [1.0, 1.0]
        """
        m = self.model
        X, Zt, keep = self._designs(newdata)
        index = (
            newdata.index
            if newdata is not None
            else (
                m.data.row_labels
                if m.data.row_labels is not None
                else pd.RangeIndex(m.endog.shape[0])
            )
        )
        if se:
            self._no_scale("predict_proba(se=True)")
        params = np.asarray(self.params)
        eta = _cum_etas(m, params, X, Zt, self._scale_rows(newdata))
        F, _, f, _ = m.link.evaluate(eta)
        n, J = eta.shape[0], m.k_levels
        cum = np.column_stack([np.zeros(n), F, np.ones(n)])
        prob = np.diff(cum, axis=1)
        labels = list(m.labels)
        full = np.full((len(index), J), np.nan)
        if keep is None:
            full[:] = prob
        else:
            full[keep] = prob
        wide = pd.DataFrame(full, index=index, columns=pd.Index(labels, name="level"))
        if not se:
            return wide
        V = np.asarray(self.cov_params_default)
        ses = np.empty((n, J))
        chunk = 20000
        for s0 in range(0, n, chunk):
            sl = slice(s0, min(n, s0 + chunk))
            D = _dcum_dparams(
                m, f[sl], X[sl] if X is not None else None, Zt[sl] if Zt is not None else None
            )
            # D: rows x (J-1) x k for cumulative; probabilities are differences
            zeros = np.zeros((D.shape[0], 1, D.shape[2]))
            Dp = np.diff(np.concatenate([zeros, D, zeros], axis=1), axis=1)
            ses[sl] = np.sqrt(np.einsum("rck,kl,rcl->rc", Dp, V, Dp))
        full_se = np.full((len(index), J), np.nan)
        if keep is None:
            full_se[:] = ses
        else:
            full_se[keep] = ses
        a = self._alpha(alpha)
        q = stats.norm.ppf(1.0 - a / 2.0)
        long = pd.DataFrame(
            {
                "row": np.repeat(np.asarray(index), J),
                "level": np.tile(np.asarray(labels, dtype=object), len(index)),
                "prob": full.ravel(),
                "se": full_se.ravel(),
            }
        )
        long["ci_low"] = (long["prob"] - q * long["se"]).clip(lower=0.0)
        long["ci_high"] = (long["prob"] + q * long["se"]).clip(upper=1.0)
        long.attrs["conf_level"] = 1.0 - a
        return long

    # ---- marginal effects
    def marginal_effects(self, alpha: float | None = None) -> pd.DataFrame:
        """Average marginal effect of each term on the probability of each level.

        Continuous columns: the sample average of dP(Y = level)/dx.  Dummy columns of a
        categorical term: the average discrete change from the reference level to that
        level.  Delta-method SEs (numerical Jacobian of the analytic AME in the
        parameters).  Weighted by the case weights.

        Returns
        -------
        DataFrame
            ``term, level, ame, se, z, p, ci_low, ci_high``; AMEs of one term sum to zero
            over the levels.
        """
        self._no_scale("marginal_effects()")
        m = self.model
        spec = self._spec
        names = list(m.exog_names[: m.k_loc]) + list(m.nominal_names)
        discrete = spec.get("discrete", {}) if spec else {}
        params = np.asarray(self.params, dtype=float)
        V = np.asarray(self.cov_params_default)
        w = m._w / m._w.sum()
        rows = []
        a = self._alpha(alpha)
        q = stats.norm.ppf(1.0 - a / 2.0)
        for col, name in enumerate(names):
            is_nom = col >= m.k_loc
            group = discrete.get(name)

            def ame(par, col=col, is_nom=is_nom, group=group, name=name):
                return _ame(m, par, col, is_nom, group, name, w)

            est = ame(params)
            jac = _num_jac(ame, params)
            se = np.sqrt(np.einsum("ck,kl,cl->c", jac, V, jac))
            for lev, e, s in zip(m.labels, est, se, strict=True):
                z = e / s if s > 0 else np.nan
                rows.append(
                    {
                        "term": name,
                        "level": lev,
                        "kind": "discrete" if group else "derivative",
                        "ame": e,
                        "se": s,
                        "z": z,
                        "p": 2 * stats.norm.sf(abs(z)),
                        "ci_low": e - q * s,
                        "ci_high": e + q * s,
                    }
                )
        return pd.DataFrame(rows)

    # ---- tests
    def lr_test(self, other: Any) -> pd.DataFrame:
        """Likelihood-ratio test between this fit and a nested one.

        Returns a one-row DataFrame: ``loglik_small, loglik_large, df, lr, p``.
        """
        o = getattr(other, "_results", other)
        if not isinstance(o, OrdinalResults):
            raise OrdinalModelError("lr_test needs another ordinal fit")
        if o.n_rows != self.n_rows or not np.isclose(o.model.sum_w, self.model.sum_w):
            raise OrdinalModelError(
                f"the two fits use different data ({self.n_rows} vs {o.n_rows} rows): "
                "an LR test needs the same observations"
            )
        if self.model.weight_kind == "survey":
            warnings.warn(
                "likelihood-ratio test on a survey-weighted pseudo-likelihood: its chi-square "
                "reference is not valid; prefer a Wald test",
                OrdinalWarning,
                stacklevel=2,
            )
        small, large = (self, o) if self.k_params <= o.k_params else (o, self)
        df = large.k_params - small.k_params
        if df == 0:
            raise OrdinalModelError("the two fits have the same number of parameters: not nested")
        lr = 2.0 * (large.llf - small.llf)
        return pd.DataFrame(
            {
                "loglik_small": [small.llf],
                "loglik_large": [large.llf],
                "df": [df],
                "lr": [lr],
                "p": [stats.chi2.sf(lr, df)],
            }
        )

    def nominal_test(self) -> pd.DataFrame:
        """Likelihood-ratio tests of proportional odds, one term at a time (as ``ordinal::nominal_test``).

        Each location term in turn is given threshold-specific effects (moved to
        ``nominal=``) and the model refitted.  A small p-value says the term's effect
        differs across thresholds.

        Returns
        -------
        DataFrame
            ``term, df, loglik, aic, lrt, p``; the first row, ``<none>``, is this fit.
        """
        from analysis.ordinal.tests import nominal_test

        return nominal_test(self)

    def scale_test(self) -> pd.DataFrame:
        """Likelihood-ratio test of a scale effect per location term (R's ``scale_test``);
        see :func:`analysis.ordinal.tests.scale_test`."""
        from analysis.ordinal.tests import scale_test

        return scale_test(self)

    def brant_test(self) -> pd.DataFrame:
        """Brant's (1990) Wald test of proportional odds: omnibus and per term.

        Fits the J-1 binary logits of ``Y > j`` and tests whether their slopes are
        equal, with Brant's covariance of the stacked estimates.  Logit link,
        proportional-odds fits only.

        Returns
        -------
        DataFrame
            ``term, chi2, df, p``; first row ``Omnibus``.
        """
        from analysis.ordinal.tests import brant_test

        return brant_test(self)

    # ---- summary
    def summary(self, alpha: float | None = None) -> Summary:  # type: ignore[override]
        """Readable summary (statsmodels ``Summary``: ``print()`` it or show it in a notebook).

        Intervals at the confidence level ``1 - alpha`` (default :attr:`alpha`), stated in
        the header.
        """
        m = self.model
        a = self._alpha(alpha)
        smry = Summary()
        info = {
            "Outcome:": str(m.endog_names),
            "Link:": m.link.name,
            "Levels:": " < ".join(str(v) for v in m.labels),
            "Observations:": f"{self.n_rows}"
            + (f" (sum of weights {m.sum_w:.6g})" if m.weight_kind else ""),
            "Weights:": m.weight_kind or "none",
            "SEs:": self.cov_type
            + (f", {self.n_clusters} clusters" if self.cov_type == "cluster" else ""),
            "Log-likelihood:": f"{self.llf:.4f}",
            "AIC:": f"{self.aic:.3f}",
            "BIC:": f"{self.bic:.3f}",
            "Converged:": f"{self.converged} (max|grad| {self.max_grad:.2e}, cond(H) {self.cond_hessian:.3g})",
            "Rows dropped (missing):": f"{self.n_dropped}",
            "Confidence level:": f"{1.0 - a:.4g}",
        }
        smry.add_title(f"Cumulative-link model: {m.link.name} P(Y <= j) = theta_j - x'beta")
        smry.add_dict(info, ncols=2)
        fmt = "%.4f"
        if m.k_loc:
            smry.add_df(self.conf_table(a, "coef"), float_format=fmt)
        smry.add_df(self.conf_table(a, "thresholds"), float_format=fmt)
        if m._Zt is not None:
            smry.add_df(
                self.conf_table(a, "nominal").drop(columns=["threshold", "variable"]),
                float_format=fmt,
            )
        if m._S is not None:
            smry.add_df(self.conf_table(a, "scale"), float_format=fmt)
        return smry


def _dcum_dparams(m: Any, f: np.ndarray, X, Zt) -> np.ndarray:
    """Derivative of F(eta_j), j < J, w.r.t. the parameters: rows x (J-1) x k."""
    r, Jm = f.shape
    D = np.zeros((r, Jm, m.k_params))
    p = m.k_loc
    if p:
        D[:, :, :p] = -f[:, :, None] * X[:, None, :]
    for a in range(m.k_thr_cols):
        za = np.ones(r) if Zt is None else Zt[:, a]
        for j in range(Jm):
            D[:, j, p + a * Jm + j] = f[:, j] * za
    return D


def _ame(m: Any, par, col, is_nom, group, name, w) -> np.ndarray:
    X = m._X
    Zt = m._Zt
    if group is not None:  # discrete change from reference for a dummy column
        cols = group
        if is_nom:
            Z0 = Zt.copy()
            Z0[:, [1 + c for c in cols]] = 0.0
            Z1 = Z0.copy()
            Z1[:, 1 + col - m.k_loc] = 1.0
            P0 = _probs(m, par, X, Z0)
            P1 = _probs(m, par, X, Z1)
        else:
            X0 = X.copy()
            X0[:, cols] = 0.0
            X1 = X0.copy()
            X1[:, col] = 1.0
            P0 = _probs(m, par, X0, Zt)
            P1 = _probs(m, par, X1, Zt)
        return w @ (P1 - P0)
    eta = _cum_etas(m, par, X, Zt)
    f = m.link.evaluate(eta)[2]
    beta, theta = m._unpack(par)
    if is_nom:
        slope = theta[:, 1 + col - m.k_loc][None, :]  # d eta_j / dz = gamma_j
    else:
        slope = -beta[col]
    dcum = f * slope  # n x (J-1)
    n = dcum.shape[0]
    dc = np.column_stack([np.zeros(n), dcum, np.zeros(n)])
    return w @ np.diff(dc, axis=1)


def _probs(m: Any, par, X, Zt) -> np.ndarray:
    eta = _cum_etas(m, par, X, Zt)
    F = m.link.evaluate(eta)[0]
    n = F.shape[0]
    return np.diff(np.column_stack([np.zeros(n), F, np.ones(n)]), axis=1)


def _num_jac(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    f0 = fun(x)
    jac = np.empty((f0.shape[0], x.shape[0]))
    for i in range(x.shape[0]):
        h = 1e-6 * max(1.0, abs(x[i]))
        xp = x.copy()
        xm = x.copy()
        xp[i] += h
        xm[i] -= h
        jac[:, i] = (fun(xp) - fun(xm)) / (2 * h)
    return jac

