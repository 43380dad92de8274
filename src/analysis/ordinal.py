"""Cumulative-link (ordinal regression) models on statsmodels.

A fast, exact engine for the proportional-odds family, built on
:class:`statsmodels.miscmodels.ordinal_model.OrderedModel`, with what R's
``ordinal::clm`` offers: five links, analytic score and Hessian with a Newton
solver, partial proportional odds (``nominal=``), survey / frequency weights,
cluster-robust standard errors, the likelihood-ratio test of proportional odds
(``nominal_test``), Brant's Wald test, average marginal effects and predicted
probabilities with delta-method standard errors.

Parameterisation
----------------
For an outcome with ordered levels ``1 < 2 < ... < J``, predictors ``x`` (no
intercept) and, optionally, *nominal* predictors ``z``::

    link P(Y <= j | x, z) = theta_j + z'gamma_j - x'beta      j = 1, ..., J-1

The sign convention is that of R's ``ordinal::clm`` and ``MASS::polr`` and of
statsmodels' ``OrderedModel``: a positive ``beta`` moves probability towards the
*higher* levels.  The thresholds ``theta_j`` ("cut-points", indexed ``"1|2"``,
``"2|3"``, ...) are reported as they are, not as statsmodels' first threshold
plus log-increments.  ``gamma_j`` are threshold-specific shifts for nominal
terms (partial proportional odds), as ``clm(..., nominal = ~ z)``.

Links: ``logit`` (proportional odds), ``probit``, ``cloglog`` (proportional
hazards, F(e) = 1 - exp(-exp(e))), ``loglog`` (F(e) = exp(-exp(-e))) and
``cauchit``.  See ``docs/ordinal.md`` for how to read odds ratios and thresholds
and what to do when proportional odds fails.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"x": rng.normal(size=500)})
>>> latent = 0.8 * df["x"] + rng.logistic(size=500)
>>> df["y"] = pd.Categorical(np.digitize(latent, [-1, 0, 1]) + 1, ordered=True)
>>> res = fit_ordinal("y ~ x", data=df)
>>> bool(res.converged), round(float(res.coef.loc["x", "estimate"]), 1)
(True, 0.8)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy
import scipy.linalg as sla
import scipy.sparse as sp
from pandas.api.types import CategoricalDtype
from scipy import special, stats
from statsmodels.base.model import LikelihoodModelResults
from statsmodels.iolib.summary2 import Summary
from statsmodels.miscmodels.ordinal_model import (
    OrderedModel,
    OrderedResults,
    OrderedResultsWrapper,
)

__all__ = [
    "LINKS",
    "BinarySplitSeparationError",
    "OrdinalConvergenceWarning",
    "OrdinalModel",
    "OrdinalModelError",
    "OrdinalResults",
    "OrdinalWarning",
    "SeparationWarning",
    "fit_ordinal",
]


# --------------------------------------------------------------------------- errors
class OrdinalModelError(ValueError):
    """A user's mistake in specifying or fitting an ordinal model (clear message, no bug)."""


class OrdinalWarning(UserWarning):
    """Something the analyst should know about an ordinal fit (dropped rows or levels, ...)."""


class OrdinalConvergenceWarning(OrdinalWarning):
    """The Newton solver did not reach the gradient tolerance."""


class SeparationWarning(OrdinalConvergenceWarning):
    """Complete or quasi-complete separation: some estimate diverges."""


# --------------------------------------------------------------------------- links
_SQRT2PI = np.sqrt(2.0 * np.pi)


def _logit(e: np.ndarray) -> tuple[np.ndarray, ...]:
    t = np.exp(-np.clip(e, -700.0, 700.0))  # np.exp is vectorised; scipy's expit is slower
    F = 1.0 / (1.0 + t)
    S = t * F
    f = F * S
    return F, S, f, f * (S - F)


def _probit(e: np.ndarray) -> tuple[np.ndarray, ...]:
    F = special.ndtr(e)
    S = special.ndtr(-e)
    f = np.exp(-0.5 * e * e) / _SQRT2PI
    return F, S, f, -e * f


def _cloglog(e: np.ndarray) -> tuple[np.ndarray, ...]:
    ee = np.exp(np.clip(e, -700.0, 700.0))
    S = np.exp(-ee)
    F = -np.expm1(-ee)
    f = ee * S
    return F, S, f, f * (1.0 - ee)


def _loglog(e: np.ndarray) -> tuple[np.ndarray, ...]:
    ee = np.exp(-np.clip(e, -700.0, 700.0))
    F = np.exp(-ee)
    S = -np.expm1(-ee)
    f = ee * F
    return F, S, f, f * (ee - 1.0)


def _cauchit(e: np.ndarray) -> tuple[np.ndarray, ...]:
    F = np.arctan2(1.0, -e) / np.pi
    S = np.arctan2(1.0, e) / np.pi
    q = 1.0 + e * e
    f = 1.0 / (np.pi * q)
    return F, S, f, -2.0 * e * f / q


@dataclass(frozen=True)
class _Link:
    name: str
    evaluate: Callable[[np.ndarray], tuple[np.ndarray, ...]]  # -> cdf, sf, pdf, pdf'
    distr: Any  # the scipy distribution statsmodels' OrderedModel uses for cdf / pdf / ppf


LINKS: dict[str, _Link] = {
    "logit": _Link("logit", _logit, stats.logistic),
    "probit": _Link("probit", _probit, stats.norm),
    "cloglog": _Link("cloglog", _cloglog, stats.gumbel_l),
    "loglog": _Link("loglog", _loglog, stats.gumbel_r),
    "cauchit": _Link("cauchit", _cauchit, stats.cauchy),
}
"""The supported links: name -> (cdf, sf, pdf, pdf') and the matching scipy distribution."""


# --------------------------------------------------------------------------- model
class OrdinalModel(OrderedModel):
    """Cumulative-link model with analytic derivatives, nominal effects and weights.

    Usually built by :func:`fit_ordinal`; it can be used directly with arrays.

    Parameters
    ----------
    endog : pandas.Series
        Ordered categorical outcome whose levels are all observed.
    exog : pandas.DataFrame or None
        Location design (no intercept), ``n x p``.
    link : str
        One of :data:`LINKS`.
    nominal : pandas.DataFrame or None
        Nominal design (no intercept), ``n x q``: threshold-specific effects.
    weights : array_like or None
        Positive case weights.
    weight_kind : {"survey", "frequency"}
        ``"survey"``: sampling weights, design-based (linearisation) SEs as
        ``survey::svyolr``.  ``"frequency"``: replication counts, model-based SEs as
        ``clm(..., weights=)``.
    cluster : array_like or None
        Cluster identifiers for cluster-robust (sandwich) SEs.

    Notes
    -----
    Parameters are ordered ``[beta (p), theta (J-1), gamma_1 (J-1), ..., gamma_q (J-1)]``
    (location first, as statsmodels' ``OrderedModel``), and the thresholds are the
    cut-points themselves.
    """

    def __init__(
        self,
        endog: pd.Series,
        exog: pd.DataFrame | None,
        link: str = "logit",
        nominal: pd.DataFrame | None = None,
        weights: Any = None,
        weight_kind: str = "survey",
        cluster: Any = None,
        **kwds: Any,
    ) -> None:
        if link not in LINKS:
            raise OrdinalModelError(f"unknown link {link!r}; use one of {sorted(LINKS)}")
        self.link = LINKS[link]
        super().__init__(endog, exog, distr=self.link.distr, hasconst=False, **kwds)
        self.endog = np.asarray(self.endog, dtype=np.intp)
        n = self.endog.shape[0]
        self._X = None if self.exog is None else np.asarray(self.exog, dtype=float)
        self.k_loc = 0 if self._X is None else self._X.shape[1]
        J = self.k_levels
        if nominal is not None and nominal.shape[1] > 0:
            self.nominal_names = [str(c) for c in nominal.columns]
            zt = np.empty((n, 1 + nominal.shape[1]))
            zt[:, 0] = 1.0
            zt[:, 1:] = np.asarray(nominal, dtype=float)
            self._Zt: np.ndarray | None = zt
        else:
            self.nominal_names = []
            self._Zt = None
        self.k_thr_cols = 1 + len(self.nominal_names)
        self.k_params = self.k_loc + (J - 1) * self.k_thr_cols
        thr_names = list(self.exog_names[self.k_loc :])
        nom_names = [f"{t}.{z}" for z in self.nominal_names for t in thr_names]
        if nom_names:
            if self.exog is not None:
                self.exog_names.extend(nom_names)
            else:
                self.data.xnames = list(self.data.xnames) + nom_names
        self.threshold_names = thr_names
        self.k_extra = (J - 1) * self.k_thr_cols
        self.df_model = self.k_loc
        if weights is None:
            self._w = np.ones(n)
            self.weight_kind = None
        else:
            self._w = np.asarray(weights, dtype=float)
            if weight_kind not in ("survey", "frequency"):
                raise OrdinalModelError(
                    f"weight_kind must be 'survey' or 'frequency', not {weight_kind!r}"
                )
            self.weight_kind = weight_kind
        self.sum_w = float(self._w.sum())
        self.nobs_eff = self.sum_w if self.weight_kind == "frequency" else float(n)
        self.df_resid = self.nobs_eff - self.k_params
        self.cluster = None if cluster is None else np.asarray(cluster)
        self._iu = np.minimum(self.endog, J - 2)
        self._il = np.maximum(self.endog - 1, 0)

    def _initialize_labels(self, labels, k_levels=None):
        """Level labels and threshold names ``"a|b"`` (as R), not statsmodels' ``"a/b"``."""
        self.labels = labels
        self.k_levels = len(labels) if k_levels is None else k_levels
        if self.exog is not None:
            self.nobs, self.k_vars = self.exog.shape
        else:
            self.nobs, self.k_vars = self.endog.shape[0], 0
        names = [f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:], strict=True)]
        if self.exog is not None:
            self.exog_names.extend(names)
        else:
            self.data.xnames = names

    # ---- parameter handling
    def _unpack(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = np.asarray(params, dtype=float)
        beta = params[: self.k_loc]
        theta = params[self.k_loc :].reshape(self.k_thr_cols, self.k_levels - 1).T
        return beta, theta  # theta: (J-1) x m, column 0 = cut-points

    def transform_threshold_params(self, params: np.ndarray) -> np.ndarray:
        """Cut-points with -inf / +inf appended (thresholds are direct parameters here)."""
        th = np.asarray(params, dtype=float)[self.k_loc : self.k_loc + self.k_levels - 1]
        return np.concatenate(([-np.inf], th, [np.inf]))

    def transform_reverse_threshold_params(self, params: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`transform_threshold_params` (drops the last, infinite value)."""
        return np.asarray(params, dtype=float)[:-1]

    @property
    def start_params(self) -> np.ndarray:
        """Null-model thresholds (weighted cumulative frequencies), zero slopes."""
        freq = np.bincount(self.endog, weights=self._w, minlength=self.k_levels)
        cum = np.cumsum(freq)[:-1] / freq.sum()
        th = self.link.distr.ppf(cum)
        out = np.zeros(self.k_params)
        out[self.k_loc : self.k_loc + self.k_levels - 1] = th
        return out

    def _linpred(self, params, exog=None, offset=None):
        beta = np.asarray(params, dtype=float)[: self.k_loc]
        if exog is None:
            X = self._X
            n = self.endog.shape[0]
        else:
            X = np.asarray(exog, dtype=float)
            n = X.shape[0]
        out = np.zeros(n) if X is None or self.k_loc == 0 else X @ beta
        if offset is not None:
            out = out + np.asarray(offset)
        return out

    # ---- core evaluation
    def _etas(self, params: np.ndarray, sl: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        beta, theta = self._unpack(params)
        X = None if self._X is None else self._X[sl]
        xb = X @ beta if (X is not None and self.k_loc) else 0.0
        iu, il = self._iu[sl], self._il[sl]
        if self._Zt is None:
            th = theta[:, 0]
            eu = th[iu] - xb
            el = th[il] - xb
        else:
            Zt = self._Zt[sl]
            eu = np.einsum("ij,ij->i", Zt, theta[iu]) - xb
            el = np.einsum("ij,ij->i", Zt, theta[il]) - xb
        return eu, el

    def _pieces(self, params: np.ndarray, sl: slice = slice(None)):
        """P(observed level), pdf and pdf' at both bounds, for the rows in ``sl``."""
        eu, el = self._etas(params, sl)
        y = self.endog[sl]
        top = y == self.k_levels - 1
        bot = y == 0
        eu[top] = 0.0
        el[bot] = 0.0
        Fu, Su, fu, du = self.link.evaluate(eu)
        Fl, Sl, fl, dl = self.link.evaluate(el)
        Fu[top], Su[top], fu[top], du[top] = 1.0, 0.0, 0.0, 0.0
        Fl[bot], Sl[bot], fl[bot], dl[bot] = 0.0, 1.0, 0.0, 0.0
        P = Fu - Fl
        tail = el > 0.0
        if tail.any():  # both bounds in the upper tail: use survival functions
            P[tail] = Sl[tail] - Su[tail]
        return P, fu, fl, du, dl

    _BLOCK = 8192

    def _evaluate(self, params: np.ndarray, order: int = 2):
        """Log-likelihood (order 0), with score (1) and Hessian (2).

        Accumulated over blocks of rows (cache-sized temporaries, no ``n x k`` arrays):
        the Hessian is assembled from per-level sums and ``X' diag(h) X`` products.
        """
        params = np.asarray(params, dtype=float)
        n = self.endog.shape[0]
        k, p, J, m = self.k_params, self.k_loc, self.k_levels, self.k_thr_cols
        Jm = J - 1
        X, Zt, w_all, y_all = self._X, self._Zt, self._w, self.endog
        ll = 0.0
        if order >= 1:
            gb = np.zeros(p)
            cu = np.zeros((J, m))
            cl = np.zeros((J, m))
        if order >= 2:
            Hbb = np.zeros((p, p))
            auu = np.zeros((J, m, m))
            all_ = np.zeros((J, m, m))
            aul = np.zeros((J, m, m))
            bu = np.zeros((J, m, p))
            bl = np.zeros((J, m, p))
        for s0 in range(0, n, self._BLOCK):
            sl = slice(s0, min(n, s0 + self._BLOCK))
            P, fu, fl, du, dl = self._pieces(params, sl)
            w = w_all[sl]
            if not np.all(P > 0.0):
                return -np.inf if order == 0 else (-np.inf, None, None)
            ll += float(np.dot(w, np.log(P)))
            if order == 0:
                continue
            y = y_all[sl]
            nb = y.shape[0]
            oh = np.zeros((nb, J))  # one-hot of the levels: per-level sums by a small matmul
            oh[np.arange(nb), y] = 1.0
            ru = fu / P
            rl = fl / P
            su = w * ru
            sl_ = w * rl
            Xb = X[sl] if p else None
            Zb = Zt[sl] if Zt is not None else None
            if p:
                gb -= Xb.T @ (su - sl_)
            if Zb is None:
                S1 = np.column_stack([su, sl_])
            else:
                S1 = np.column_stack([su[:, None] * Zb, sl_[:, None] * Zb])
            T1 = oh.T @ S1
            cu += T1[:, :m]
            cl += T1[:, m:]
            if order == 1:
                continue
            huu = w * (du / P - ru * ru)
            hll = w * (-dl / P - rl * rl)
            hul = w * ru * rl
            if p:
                hbb = huu + hll + 2.0 * hul
                Hbb += Xb.T @ (hbb[:, None] * Xb)
                vu = huu + hul
                vl = hll + hul
            if Zb is None:
                T2 = oh.T @ np.column_stack([huu, hll, hul])
                auu[:, 0, 0] += T2[:, 0]
                all_[:, 0, 0] += T2[:, 1]
                aul[:, 0, 0] += T2[:, 2]
                if p:
                    T3 = oh.T @ np.hstack([vu[:, None] * Xb, vl[:, None] * Xb])
                    bu[:, 0, :] += T3[:, :p]
                    bl[:, 0, :] += T3[:, p:]
            else:
                for a in range(m):
                    za = Zb[:, a]
                    for b in range(a, m):
                        zz = (za * Zb[:, b])[:, None]
                        T2 = oh.T @ (np.column_stack([huu, hll, hul]) * zz)
                        auu[:, a, b] += T2[:, 0]
                        all_[:, a, b] += T2[:, 1]
                        aul[:, a, b] += T2[:, 2]
                    if p:
                        T3 = oh.T @ np.hstack([(vu * za)[:, None] * Xb, (vl * za)[:, None] * Xb])
                        bu[:, a, :] += T3[:, :p]
                        bl[:, a, :] += T3[:, p:]
        if order == 0:
            return ll
        g = np.empty(k)
        g[:p] = gb
        g[p:] = (cu[:-1] - cl[1:]).T.ravel()
        if order == 1:
            return ll, g
        H = np.zeros((k, k))
        H[:p, :p] = Hbb
        for a in range(m):
            for b in range(a, m):
                for j in range(Jm):
                    r = p + a * Jm + j
                    c = p + b * Jm + j
                    H[r, c] = H[c, r] = auu[j, a, b] + all_[j + 1, a, b]
                    if j >= 1:
                        c1 = p + b * Jm + j - 1
                        r1 = p + a * Jm + j - 1
                        H[r, c1] = H[c1, r] = aul[j, a, b]
                        H[r1, c] = H[c, r1] = aul[j, a, b]
            if p:
                blk = -(bu[:-1, a, :] + bl[1:, a, :])
                H[p + a * Jm : p + (a + 1) * Jm, :p] = blk
                H[:p, p + a * Jm : p + (a + 1) * Jm] = blk.T
        return ll, g, H

    # ---- statsmodels likelihood interface (analytic)
    def loglike(self, params: np.ndarray) -> float:
        """Weighted log-likelihood."""
        return self._evaluate(params, 0)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        """Weighted log-likelihood of each observation."""
        P = self._pieces(params)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._w * np.log(P)

    def score(self, params: np.ndarray) -> np.ndarray:
        """Analytic gradient of :meth:`loglike`."""
        return self._evaluate(params, 1)[1]

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Analytic (observed) Hessian of :meth:`loglike`."""
        return self._evaluate(params, 2)[2]

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        """Weighted score of each observation, ``n x k``."""
        P, fu, fl, _, _ = self._pieces(params)
        su = self._w * fu / P
        sl = self._w * fl / P
        n, p, J, m = self.endog.shape[0], self.k_loc, self.k_levels, self.k_thr_cols
        out = np.zeros((n, self.k_params))
        if p:
            out[:, :p] = -(su - sl)[:, None] * self._X
        rows = np.arange(n)
        hu = np.flatnonzero(self.endog != J - 1)
        hl = np.flatnonzero(self.endog != 0)
        Jm = J - 1
        for a in range(m):
            vu = su if self._Zt is None else su * self._Zt[:, a]
            vl = sl if self._Zt is None else sl * self._Zt[:, a]
            out[rows[hu], p + a * Jm + self.endog[hu]] += vu[hu]
            out[rows[hl], p + a * Jm + self.endog[hl] - 1] -= vl[hl]
        return out

    def predict(self, params, exog=None, offset=None, which="prob", nominal=None):
        """Predicted probabilities (``which="prob"``), cumulative (``"cum"``) or ``"linpred"``."""
        if exog is None and nominal is None:
            X, Zt = self._X, self._Zt
        else:
            X = None if exog is None else np.asarray(exog, dtype=float)
            Zt = None
            if self._Zt is not None:
                if nominal is None:
                    raise OrdinalModelError("this model has nominal terms: pass `nominal=`")
                Zn = np.asarray(nominal, dtype=float)
                Zt = np.column_stack([np.ones(Zn.shape[0]), Zn])
        eta = _cum_etas(self, params, X, Zt)
        if which == "linpred":
            beta = np.asarray(params)[: self.k_loc]
            return np.zeros(eta.shape[0]) if X is None else X @ beta
        F = self.link.evaluate(eta)[0]
        cum = np.column_stack([F, np.ones(F.shape[0])])
        if which in ("cum", "cumprob"):
            return cum
        return np.diff(cum, axis=1, prepend=0.0)

    # ---- fitting
    def fit(
        self,
        start_params: np.ndarray | None = None,
        method: str = "newton",
        maxiter: int = 100,
        grad_tol: float = 1e-6,
        disp: bool = False,
        **kwargs: Any,
    ):
        """Maximum likelihood by Newton-Raphson with step halving on the analytic Hessian.

        Iterates until ``max|gradient| <= 1e-10 * max(1, sum(w) / 1000)`` (or no further
        progress is possible), then declares convergence if ``max|gradient| <= grad_tol``
        (clm's default 1e-6), the Hessian is negative definite and no estimate diverges.
        ``method`` other than ``"newton"`` falls back to statsmodels' generic optimisers.
        """
        if method != "newton":
            return super().fit(
                start_params=start_params, method=method, maxiter=maxiter, disp=disp, **kwargs
            )
        x = self.start_params if start_params is None else np.asarray(start_params, float)
        ll, g, H = self._evaluate(x, 2)
        if not np.isfinite(ll):
            raise OrdinalModelError("start values give a zero probability; check the data")
        stop = 1e-10 * max(1.0, self.sum_w / 1000.0)
        it = 0
        stalled = False
        while it < maxiter:
            it += 1
            if np.max(np.abs(g), initial=0.0) <= stop:
                break
            step = _newton_step(H, g)
            t = 1.0
            while True:  # the trial's full evaluation is kept when it is accepted
                xn = x + t * step
                lln, gn, Hn = self._evaluate(xn, 2)
                if gn is not None and lln >= ll - 1e-13 * abs(ll):
                    break
                t *= 0.5
                if t < 1e-12:
                    stalled = True
                    break
            if stalled:
                break
            x, ll, g, H = xn, lln, gn, Hn
            if np.max(np.abs(t * step)) < 1e-15 * (1.0 + np.max(np.abs(x))):
                break
        info = {"iterations": it, "stalled": stalled}
        return _make_results(self, x, ll, g, H, grad_tol, info)


def _cum_etas(model: OrdinalModel, params, X, Zt) -> np.ndarray:
    """``n x (J-1)`` matrix of theta_j + z'gamma_j - x'beta."""
    beta, theta = model._unpack(params)
    n = X.shape[0] if X is not None else (Zt.shape[0] if Zt is not None else 1)
    xb = X @ beta if (X is not None and model.k_loc) else np.zeros(n)
    th = np.broadcast_to(theta[:, 0], (n, model.k_levels - 1)) if Zt is None else Zt @ theta.T
    return th - xb[:, None]


def _newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        c = sla.cho_factor(-H)
        return sla.cho_solve(c, g)
    except (np.linalg.LinAlgError, ValueError):
        ev, V = np.linalg.eigh(-H)
        scale = np.max(np.abs(ev), initial=1.0)
        ev = np.maximum(np.abs(ev), 1e-8 * scale)
        return V @ ((V.T @ g) / ev)


def _make_results(model: OrdinalModel, x, ll, g, H, grad_tol, info):
    k = model.k_params
    neg = -H
    try:
        ev = np.linalg.eigvalsh(neg)
    except np.linalg.LinAlgError:
        ev = np.full(k, np.nan)
    posdef = bool(np.all(ev > 0))
    cond = float(ev.max() / ev.min()) if posdef else np.inf
    cov_model = None
    if posdef:
        try:
            cov_model = np.linalg.inv(neg)
            cov_model = (cov_model + cov_model.T) / 2
        except np.linalg.LinAlgError:  # numerically singular although no eigenvalue is <= 0
            posdef = False
            cond = np.inf
    if cov_model is None:
        cov_model = np.linalg.pinv(neg)
    # robust / design-based covariance
    if model.cluster is not None or model.weight_kind == "survey":
        S = model.score_obs(x)
        if model.cluster is not None:
            codes, uniq = pd.factorize(pd.Series(model.cluster), sort=False)
            G = len(uniq)
            C = sp.csr_matrix(
                (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(G, len(codes))
            )
            U = C @ S
            cov_type = "cluster"
        else:
            U = S
            G = S.shape[0]
            cov_type = "survey (linearisation)"
        U = U - U.mean(axis=0)
        meat = (U.T @ U) * (G / (G - 1.0))
        cov = cov_model @ meat @ cov_model
        cov = (cov + cov.T) / 2
        n_clusters = G
    else:
        cov = cov_model
        cov_type = "model (inverse Hessian)"
        n_clusters = None
    res = OrdinalResults(model, x, cov_model, cov, cov_type)
    res.max_grad = float(np.max(np.abs(g), initial=0.0))
    res.cond_hessian = cond
    res.n_iter = info["iterations"]
    res.n_clusters = n_clusters
    res._llf = ll
    converged = res.max_grad <= grad_tol and posdef
    sep = _separation_terms(model, x, np.sqrt(np.clip(np.diag(cov_model), 0, None)))
    res.separation = sep
    if sep:
        warnings.warn(
            "complete or quasi-complete separation: the estimate of "
            + ", ".join(repr(s) for s in sep)
            + " diverges (huge estimate and standard error); the maximum-likelihood "
            "estimate does not exist, so the fit is reported as not converged. Merge "
            "sparse categories or drop the term.",
            SeparationWarning,
            stacklevel=3,
        )
        converged = False
    elif not converged:
        why = (
            f"max|gradient| = {res.max_grad:.3g} > {grad_tol:g}"
            if res.max_grad > grad_tol
            else "the Hessian is not negative definite (parameters not identified)"
        )
        warnings.warn(
            f"ordinal model did NOT converge after {info['iterations']} Newton iterations: "
            f"{why}; estimates and SEs are unreliable (converged=False)",
            OrdinalConvergenceWarning,
            stacklevel=3,
        )
    res.converged = bool(converged)
    return OrderedResultsWrapper(res)


def _separation_terms(model: OrdinalModel, x: np.ndarray, se: np.ndarray) -> list[str]:
    """Terms whose standardised estimate and SE both explode (separation heuristic)."""
    names = list(model.exog_names)
    out = []
    p = model.k_loc
    sds = []
    if p:
        sds.extend(np.std(model._X, axis=0))
    Jm = model.k_levels - 1
    sds.extend([1.0] * Jm)
    if model._Zt is not None:
        for a in range(1, model.k_thr_cols):
            sds.extend([float(np.std(model._Zt[:, a]))] * Jm)
    sds = np.asarray(sds)
    for i, name in enumerate(names):
        if p <= i < p + Jm:
            continue
        s = max(sds[i], 1e-12)
        if abs(x[i]) * s > 3.0 and se[i] * s > 10.0:
            out.append(name)
    if not out:
        se_th = se[p : p + Jm]
        out.extend(nm for nm, s in zip(names[p : p + Jm], se_th, strict=True) if s > 1e3)
    return out


# --------------------------------------------------------------------------- results
class OrdinalResults(OrderedResults):
    """Results of :func:`fit_ordinal` / :meth:`OrdinalModel.fit`.

    Adds to statsmodels' results tidy tables (:attr:`coef`, :attr:`thresholds`,
    :attr:`nominal_effects`), predictions with SEs, marginal effects and tests of
    proportional odds.  ``params`` / ``bse`` / ``cov_params()`` are statsmodels'
    (location first, then thresholds, then nominal effects); ``bse`` uses the
    covariance chosen by the weights / cluster (``cov_type``).
    """

    def __init__(self, model: OrdinalModel, params, cov_model, cov, cov_type: str) -> None:
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
    def _table(self, idx: np.ndarray, names: list[str], odds: bool) -> pd.DataFrame:
        est = np.asarray(self.params)[idx]
        se = np.sqrt(np.diag(self.cov_params_default))[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        q = stats.norm.ppf(0.975)
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
        if odds and self.link == "logit":
            df["odds_ratio"] = np.exp(df["estimate"])
            df["or_low"] = np.exp(df["ci_low"])
            df["or_high"] = np.exp(df["ci_high"])
        return df

    @property
    def coef(self) -> pd.DataFrame:
        """Location effects beta: estimate, se, z, p, 95% CI (and odds ratios for logit)."""
        p = self.model.k_loc
        return self._table(np.arange(p), list(self.model.exog_names[:p]), odds=True)

    @property
    def thresholds(self) -> pd.DataFrame:
        """Cut-points theta_j (``"1|2"``, ...): estimate, se, z, p, 95% CI."""
        p, Jm = self.model.k_loc, self.model.k_levels - 1
        df = self._table(np.arange(p, p + Jm), list(self.model.threshold_names), odds=False)
        df.index.name = "threshold"
        return df

    @property
    def nominal_effects(self) -> pd.DataFrame:
        """Threshold-specific effects gamma_j of nominal terms (``"1|2.term"``); empty if none."""
        m = self.model
        start = m.k_loc + m.k_levels - 1
        idx = np.arange(start, m.k_params)
        df = self._table(idx, list(m.exog_names[start:]), odds=False)
        Jm = m.k_levels - 1
        df.insert(0, "threshold", [m.threshold_names[i % Jm] for i in range(len(idx))])
        df.insert(1, "variable", [m.nominal_names[i // Jm] for i in range(len(idx))])
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
        if not keep.all():
            X = None if X is None else X[keep]
            Zt = None if Zt is None else Zt[keep]
        return X, Zt, keep

    def predict_proba(self, newdata: pd.DataFrame | None = None, se: bool = False) -> pd.DataFrame:
        """Predicted probability of each outcome level.

        Parameters
        ----------
        newdata : DataFrame, optional
            Values of the predictors (the estimation sample if omitted).  Rows with a
            missing predictor get NaN.
        se : bool
            If True, return a long table with delta-method standard errors and 95% CI.

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
        params = np.asarray(self.params)
        eta = _cum_etas(m, params, X, Zt)
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
        q = stats.norm.ppf(0.975)
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
        return long

    # ---- marginal effects
    def marginal_effects(self) -> pd.DataFrame:
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
        m = self.model
        spec = self._spec
        names = list(m.exog_names[: m.k_loc]) + list(m.nominal_names)
        discrete = spec.get("discrete", {}) if spec else {}
        params = np.asarray(self.params, dtype=float)
        V = np.asarray(self.cov_params_default)
        w = m._w / m._w.sum()
        rows = []
        q = stats.norm.ppf(0.975)
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
        spec = self._spec
        if not spec:
            raise OrdinalModelError("nominal_test needs a fit made by fit_ordinal()")
        rows = [
            {
                "term": "<none>",
                "df": np.nan,
                "loglik": self.llf,
                "aic": self.aic,
                "lrt": np.nan,
                "p": np.nan,
            }
        ]
        not_estimable = []
        for term in spec["loc_terms"]:
            nom = spec["nominal_terms"] + [term]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OrdinalWarning)
                try:
                    r = _refit(self, nominal="~ " + " + ".join(nom))
                except (OrdinalModelError, np.linalg.LinAlgError):
                    r = None
            if r is None or not r.converged:
                # Threshold-specific effects of a sparse term (a level with no answers on one
                # side of a threshold) are not identifiable: no likelihood-ratio test for it.
                not_estimable.append(term)
                rows.append(
                    {"term": term, "df": np.nan, "loglik": np.nan, "aic": np.nan,
                     "lrt": np.nan, "p": np.nan}
                )
                continue
            df = r.k_params - self.k_params
            lrt = 2.0 * (r.llf - self.llf)
            rows.append(
                {
                    "term": term,
                    "df": df,
                    "loglik": r.llf,
                    "aic": r.aic,
                    "lrt": lrt,
                    "p": stats.chi2.sf(lrt, df) if df > 0 else np.nan,
                }
            )
        if not_estimable:
            warnings.warn(
                "nominal_test: the model with threshold-specific effects of "
                + ", ".join(repr(t) for t in not_estimable)
                + " did not converge (too few answers in some level of the term at some "
                "threshold); their test is reported as NaN",
                OrdinalWarning,
                stacklevel=2,
            )
        return pd.DataFrame(rows)

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
        m = self.model
        if m.link.name != "logit":
            raise OrdinalModelError("brant_test is defined for the logit link; use nominal_test()")
        if m._Zt is not None:
            raise OrdinalModelError(
                "brant_test applies to proportional-odds fits (without nominal=)"
            )
        if m.k_loc == 0:
            raise OrdinalModelError("brant_test needs at least one predictor")
        return _brant(self)

    # ---- summary
    def summary(self, alpha: float = 0.05) -> Summary:  # type: ignore[override]
        """Readable summary (statsmodels ``Summary``: ``print()`` it or show it in a notebook)."""
        m = self.model
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
        }
        smry.add_title(f"Cumulative-link model: {m.link.name} P(Y <= j) = theta_j - x'beta")
        smry.add_dict(info, ncols=2)
        fmt = "%.4f"
        if m.k_loc:
            smry.add_df(self.coef, float_format=fmt)
        smry.add_df(self.thresholds, float_format=fmt)
        if m._Zt is not None:
            smry.add_df(
                self.nominal_effects.drop(columns=["threshold", "variable"]), float_format=fmt
            )
        return smry


# --------------------------------------------------------------------------- helpers for results
def _dcum_dparams(m: OrdinalModel, f: np.ndarray, X, Zt) -> np.ndarray:
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


def _ame(m: OrdinalModel, par, col, is_nom, group, name, w) -> np.ndarray:
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


def _probs(m: OrdinalModel, par, X, Zt) -> np.ndarray:
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


class BinarySplitSeparationError(OrdinalModelError, np.linalg.LinAlgError):
    """A binary split ``Y > j`` of Brant's test is separated: its logit has no finite MLE."""


def _irls_logit(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, split: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    b = np.zeros(X.shape[1])
    ybar = np.dot(w, y) / w.sum()
    b[0] = np.log(ybar / (1 - ybar))
    for _ in range(100):
        pi = special.expit(X @ b)
        g = X.T @ (w * (y - pi))
        Hn = X.T @ ((w * pi * (1 - pi))[:, None] * X)
        try:
            step = np.linalg.solve(Hn, g)
        except np.linalg.LinAlgError:
            break
        b = b + step
        if np.max(np.abs(step)) < 1e-11:
            if np.max(np.abs(b[1:] * np.std(X[:, 1:], axis=0)), initial=0.0) > 15.0:
                break
            return b, special.expit(X @ b)
    raise BinarySplitSeparationError(
        f"Brant test: the binary logit of {split} does not converge (a category has no "
        "answers on one side of the split: separation); use nominal_test() instead"
    )


def _brant(res: OrdinalResults) -> pd.DataFrame:
    m = res.model
    X = np.column_stack([np.ones(m.endog.shape[0]), m._X])
    p = m.k_loc
    Jm = m.k_levels - 1
    w = m._w
    betas, pis, invI = [], [], []
    for j in range(Jm):
        yj = (m.endog > j).astype(float)
        b, pi = _irls_logit(X, yj, w, split=f"Y > {m.labels[j]!s}")
        betas.append(b)
        pis.append(pi)
        invI.append(np.linalg.inv(X.T @ ((w * pi * (1 - pi))[:, None] * X)))
    k1 = p + 1
    V = np.zeros((Jm * p, Jm * p))
    for j in range(Jm):
        for ll in range(j, Jm):
            if ll == j:
                Vjl = invI[j]
            else:
                Wjl = w * (pis[ll] - pis[j] * pis[ll])
                Vjl = invI[j] @ (X.T @ (Wjl[:, None] * X)) @ invI[ll]
            blk = Vjl[1:k1, 1:k1]
            V[j * p : (j + 1) * p, ll * p : (ll + 1) * p] = blk
            V[ll * p : (ll + 1) * p, j * p : (j + 1) * p] = blk.T
    bstar = np.concatenate([b[1:] for b in betas])
    D = np.zeros(((Jm - 1) * p, Jm * p))
    for j in range(1, Jm):
        D[(j - 1) * p : j * p, :p] = np.eye(p)
        D[(j - 1) * p : j * p, j * p : (j + 1) * p] = -np.eye(p)
    rows = []
    names = list(m.exog_names[:p])

    def wald(cols: list[int]) -> tuple[float, int]:
        sel = [r * p + c for r in range(Jm - 1) for c in cols]
        Ds = D[sel]
        d = Ds @ bstar
        stat = float(d @ np.linalg.solve(Ds @ V @ Ds.T, d))
        return stat, len(sel)

    if Jm < 2:
        raise OrdinalModelError("brant_test needs at least three outcome levels")
    stat, df = wald(list(range(p)))
    rows.append({"term": "Omnibus", "chi2": stat, "df": df, "p": stats.chi2.sf(stat, df)})
    groups = res._spec.get("term_columns") if res._spec else None
    if not groups:
        groups = {n: [i] for i, n in enumerate(names)}
    for term, cols in groups.items():
        stat, df = wald(cols)
        rows.append({"term": term, "chi2": stat, "df": df, "p": stats.chi2.sf(stat, df)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- formula front end
def _build_new(info, newdata: pd.DataFrame, cols: list[str]):
    if info is None:
        return None, np.ones(len(newdata), dtype=bool)
    try:
        (dm,) = patsy.build_design_matrices(
            [info], newdata, NA_action="drop", return_type="dataframe"
        )
    except patsy.PatsyError as exc:
        raise OrdinalModelError(f"cannot build the predictors from newdata: {exc}") from None
    keep = np.zeros(len(newdata), dtype=bool)
    keep[dm.index.to_numpy(dtype=np.intp)] = True
    X = dm[cols].to_numpy(dtype=float) if cols else None
    if X is not None and not keep.all():
        full = np.full((len(newdata), X.shape[1]), np.nan)
        full[keep] = X
        X = full
    return X, keep


def _design(rhs: str, data: pd.DataFrame, env, what: str):
    try:
        dm = patsy.dmatrix(
            "~ " + rhs, data, NA_action="drop", return_type="dataframe", eval_env=env
        )
    except patsy.PatsyError as exc:
        raise OrdinalModelError(f"cannot build the {what} from the formula: {exc}") from None
    return dm


def _refit(res: OrdinalResults, nominal: str | None):
    s = res._spec
    r = fit_ordinal(
        s["formula"],
        data=s["data"],
        link=res.model.link.name,
        weights=None if res.model.weight_kind is None else res.model._w,
        weight_kind=res.model.weight_kind or "survey",
        nominal=nominal,
        cluster=res.model.cluster,
        _env=s["env"],
    )
    return r._results


def _prep_outcome(y: pd.Series, name: str) -> tuple[pd.Series, list[Any]]:
    """Ordered categorical outcome with unused levels dropped (returned separately)."""
    if isinstance(y.dtype, CategoricalDtype):
        if not y.dtype.ordered:
            raise OrdinalModelError(
                f"outcome {name!r} is an unordered category: make it ordered, e.g. "
                f"df[{name!r}] = df[{name!r}].cat.as_ordered() (check the order of its levels)"
            )
        cat = y
    elif pd.api.types.is_bool_dtype(y.dtype):
        raise OrdinalModelError(
            f"outcome {name!r} is boolean: an ordinal model needs 3+ ordered levels (use a binary model)"
        )
    elif pd.api.types.is_numeric_dtype(y.dtype):
        vals = y.to_numpy(dtype=float)
        if not np.all(np.isfinite(vals)) or not np.all(vals == np.round(vals)):
            raise OrdinalModelError(
                f"outcome {name!r} has non-integer values; use integers or an ordered pandas Categorical"
            )
        levels = np.unique(vals).astype(np.int64)
        cat = pd.Series(
            pd.Categorical(vals.astype(np.int64), categories=levels, ordered=True),
            index=y.index,
            name=name,
        )
    else:
        raise OrdinalModelError(
            f"outcome {name!r} is text ({y.dtype}): an ordinal model needs an ordered category, e.g. "
            f"df[{name!r}] = pd.Categorical(df[{name!r}], categories=[...in order...], ordered=True)"
        )
    counts = cat.value_counts(sort=False)
    unused = [lev for lev, c in counts.items() if c == 0]
    if unused:
        cat = cat.cat.remove_unused_categories()
    return cat, unused


def _collinearity(M: np.ndarray, names: list[str]) -> None:
    """Raise naming the terms if [1, M] is rank deficient."""
    if M.shape[1] == 0:
        return
    Mc = M - M.mean(axis=0)
    G = Mc.T @ Mc
    d = np.diag(G).copy()
    ss = np.einsum("ij,ij->j", M, M)
    const = [names[i] for i in range(len(names)) if d[i] <= 1e-14 * ss[i] or ss[i] == 0.0]
    if const:
        raise OrdinalModelError(
            "collinear predictors: "
            + ", ".join(repr(c) for c in const)
            + " constant in the estimation sample (aliased with the thresholds); drop it"
        )
    s = 1.0 / np.sqrt(d)
    C = G * s[:, None] * s[None, :]
    k = C.shape[0]
    basis: list[int] = []
    for i in range(k):  # sequential (Gram-Schmidt on the correlation matrix)
        if basis:
            Cb = C[np.ix_(basis, basis)]
            cb = C[basis, i]
            coef = np.linalg.solve(Cb, cb)
            resid = C[i, i] - cb @ coef
        else:
            coef = np.array([])
            resid = C[i, i]
        if resid < 1e-9:
            partners = [names[basis[t]] for t in range(len(basis)) if abs(coef[t]) > 1e-6]
            raise OrdinalModelError(
                f"collinear predictors: {names[i]!r} is a linear combination of "
                + (", ".join(repr(x) for x in partners) if partners else "other terms")
                + " (and the thresholds); remove one of them"
            )
        basis.append(i)


def _term_columns(info) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for term, sl in info.term_name_slices.items():
        if term == "Intercept":
            continue
        out[term] = list(range(sl.start, sl.stop))
    return out


def fit_ordinal(
    formula: str,
    data: pd.DataFrame,
    link: str = "logit",
    weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
    weight_kind: str = "survey",
    nominal: str | None = None,
    cluster: str | Sequence[Any] | np.ndarray | pd.Series | None = None,
    maxiter: int = 100,
    grad_tol: float = 1e-6,
    _env: Any = None,
):
    """Fit a cumulative-link model from a formula (R's ``ordinal::clm``).

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"`` in patsy syntax (``"relevance ~ service + role + experience"``).
        The outcome is an ordered pandas Categorical or integers; no intercept is
        estimated (the thresholds take its place).
    data : DataFrame
        The data; rows with a missing value in any variable used are dropped
        (listwise, with a warning giving the count).
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}
    weights : str or array_like, optional
        Column name or values of positive case weights.
    weight_kind : {"survey", "frequency"}
        ``"survey"`` (default): sampling weights; point estimates as ``clm(weights=)``,
        SEs by linearisation as ``survey::svyolr`` (``svydesign(ids=~1, weights=)``).
        ``"frequency"``: each row stands for ``weight`` identical rows; SEs, log-likelihood,
        AIC, BIC and nobs as ``clm(weights=)``.
    nominal : str, optional
        ``"~ terms"``: threshold-specific effects (partial proportional odds), as
        ``clm(nominal = ~ terms)``.  A term listed here is dropped from the location part.
    cluster : str or array_like, optional
        Column name or values of cluster ids (e.g. respondent in a long-format battery):
        cluster-robust sandwich SEs with the G/(G-1) correction.
    maxiter, grad_tol : int, float
        Newton iterations and the gradient tolerance that defines ``converged``.

    Returns
    -------
    OrdinalResults
        (in statsmodels' results wrapper) with ``coef``, ``thresholds``, ``loglik``,
        ``aic``, ``bic``, ``nobs``, ``converged``, ``max_grad``, ``cond_hessian``,
        ``predict_proba``, ``marginal_effects``, ``nominal_test``, ``brant_test``,
        ``lr_test``, ``summary``.

    Raises
    ------
    OrdinalModelError
        Text outcome, fewer than two observed levels, collinear predictors, fewer
        observations than parameters, bad weights, unknown columns.

    Warns
    -----
    OrdinalWarning
        Rows dropped for missing values; outcome levels nobody chose (dropped).
    OrdinalConvergenceWarning, SeparationWarning
        No convergence; a diverging estimate (``converged`` is then False).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 1000
    >>> df = pd.DataFrame({"g": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    >>> eta = 0.5 * (df["g"] == "b") + 1.0 * df["x"]
    >>> y = np.digitize(eta + rng.logistic(size=n), [-1.5, 0.0, 1.5])
    >>> df["y"] = pd.Categorical.from_codes(y, ["low", "mid", "high", "top"], ordered=True)
    >>> res = fit_ordinal("y ~ g + x", data=df)
    >>> list(res.coef.index), list(res.thresholds.index)
    (['g[T.b]', 'x'], ['low|mid', 'mid|high', 'high|top'])
    >>> bool(abs(res.coef.loc["x", "estimate"] - 1.0) < 0.2)
    True
    """
    env = _env if _env is not None else patsy.EvalEnvironment.capture(1)
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise OrdinalModelError(f"formula must look like 'outcome ~ terms', got {formula!r}")
    if not isinstance(data, pd.DataFrame):
        raise OrdinalModelError("data must be a pandas DataFrame")
    if link not in LINKS:
        raise OrdinalModelError(f"unknown link {link!r}; use one of {sorted(LINKS)}")
    if weight_kind not in ("survey", "frequency"):
        raise OrdinalModelError(f"weight_kind must be 'survey' or 'frequency', not {weight_kind!r}")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if lhs not in data.columns:
        raise OrdinalModelError(
            f"outcome column {lhs!r} not found in data (columns: {list(data.columns)})"
        )
    if not rhs:
        rhs = "1"
    n_all = len(data)
    df = (
        data.reset_index(drop=True)
        if not isinstance(data.index, pd.RangeIndex)
        or data.index.start != 0
        or data.index.step != 1
        else data
    )

    def _vec(arg, what):
        if arg is None:
            return None
        if isinstance(arg, str):
            if arg not in df.columns:
                raise OrdinalModelError(f"{what} column {arg!r} not found in data")
            return df[arg].to_numpy()
        v = np.asarray(arg)
        if v.shape[0] != n_all:
            raise OrdinalModelError(f"{what} has {v.shape[0]} values but data has {n_all} rows")
        return v

    wv = _vec(weights, "weights")
    cv = _vec(cluster, "cluster")
    if wv is not None:
        try:
            wv = wv.astype(float)
        except (TypeError, ValueError):
            raise OrdinalModelError("weights must be numeric") from None

    loc = _design(rhs, df, env, "predictors")
    loc_info = loc.design_info
    nom = None
    nom_terms: list[str] = []
    if nominal is not None:
        nrhs = nominal.strip()
        if nrhs.startswith("~"):
            nrhs = nrhs[1:].strip()
        nom = _design(nrhs, df, env, "nominal terms")
        nom_terms = [t for t in nom.design_info.term_names if t != "Intercept"]

    # listwise deletion
    keep = np.zeros(n_all, dtype=bool)
    keep[loc.index.to_numpy()] = True
    reasons: dict[str, int] = {}
    y_raw = df[lhs]
    ymiss = y_raw.isna().to_numpy()
    if ymiss.any():
        reasons[f"outcome {lhs!r}"] = int(ymiss.sum())
    keep &= ~ymiss
    if nom is not None:
        k2 = np.zeros(n_all, dtype=bool)
        k2[nom.index.to_numpy()] = True
        keep &= k2
    if wv is not None:
        wm = ~np.isfinite(wv)
        if wm.any():
            reasons["weights"] = int(wm.sum())
        keep &= ~wm
    if cv is not None:
        cm = pd.isna(cv)
        if np.any(cm):
            reasons["cluster"] = int(np.sum(cm))
        keep &= ~cm
    n_dropped = int(n_all - keep.sum())
    if n_dropped:
        for info in [loc_info] + ([nom.design_info] if nom is not None else []):
            for fac in info.factor_infos:
                nm = fac.name()
                if nm in df.columns and nm != lhs:
                    c = int(df[nm].isna().sum())
                    if c:
                        reasons[f"{nm!r}"] = c
        warnings.warn(
            f"dropped {n_dropped} of {n_all} rows with missing values (listwise): "
            + ", ".join(f"{k}: {v}" for k, v in reasons.items()),
            OrdinalWarning,
            stacklevel=2,
        )
    if keep.sum() == 0:
        raise OrdinalModelError("no complete rows left after dropping missing values")
    all_kept = bool(keep.all())
    kidx = np.flatnonzero(keep)

    def sub(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == len(kidx) and all_kept:
            return frame
        return frame.loc[kidx]

    loc = sub(loc)
    y = y_raw if all_kept else y_raw.iloc[kidx]
    y, unused = _prep_outcome(y, lhs)
    if unused:
        warnings.warn(
            f"outcome {lhs!r}: level(s) {', '.join(repr(u) for u in unused)} chosen by nobody "
            "in the estimation sample; dropped (no threshold can be estimated for them)",
            OrdinalWarning,
            stacklevel=2,
        )
    n_levels = len(y.cat.categories)
    if n_levels < 2:
        raise OrdinalModelError(
            f"outcome {lhs!r} has fewer than two observed levels "
            f"({list(y.cat.categories)}): nothing to model"
        )
    loc_cols = [c for c in loc.columns if c != "Intercept"]
    nom_cols: list[str] = []
    if nom is not None:
        nom = sub(nom)
        nom_cols = [c for c in nom.columns if c != "Intercept"]
        # a term in both parts: the location column is aliased (clm drops it)
        loc_cols = [c for c in loc_cols if c not in nom_cols]
    X = loc[loc_cols] if loc_cols else None
    Z = nom[nom_cols] if nom_cols else None
    Xa = X.to_numpy(dtype=float) if X is not None else np.empty((len(y), 0))
    Za = Z.to_numpy(dtype=float) if Z is not None else np.empty((len(y), 0))
    if not np.all(np.isfinite(Xa)) or not np.all(np.isfinite(Za)):
        raise OrdinalModelError("a predictor has infinite values")
    k = len(loc_cols) + (n_levels - 1) * (1 + len(nom_cols))
    if len(y) <= k:
        raise OrdinalModelError(
            f"too few observations: {len(y)} rows for {k} parameters (need more rows than "
            "parameters); simplify the model or get more data"
        )
    _collinearity(np.hstack([Xa, Za]) if Za.shape[1] else Xa, loc_cols + nom_cols)
    del Xa, Za
    w = None
    if wv is not None:
        w = wv if all_kept else wv[kidx]
        bad = np.flatnonzero(~(w > 0))
        if bad.size:
            row = data.index[kidx[bad[0]]]
            raise OrdinalModelError(
                f"weights must be positive: row {row!r} has weight {float(w[bad[0]])!r} ({bad.size} such rows)"
            )
    c = None if cv is None else (cv if all_kept else cv[kidx])
    if c is not None and len(pd.unique(c)) < 2:
        raise OrdinalModelError("cluster needs at least two distinct clusters")
    y = y.rename(lhs)
    model = OrdinalModel(y, X, link=link, nominal=Z, weights=w, weight_kind=weight_kind, cluster=c)
    res = model.fit(maxiter=maxiter, grad_tol=grad_tol)
    r = res._results
    r.n_dropped = n_dropped
    r.dropped_levels = unused
    term_cols = _term_columns(loc_info)
    col_idx = {c: i for i, c in enumerate(loc_cols)}
    term_columns = {
        t: [col_idx[loc_info.column_names[i]] for i in cols if loc_info.column_names[i] in col_idx]
        for t, cols in term_cols.items()
    }
    term_columns = {t: v for t, v in term_columns.items() if v}
    discrete: dict[str, list[int]] = {}
    for info, cols, offset in (
        (loc_info, loc_cols, 0),
        (nom.design_info if nom is not None else None, nom_cols, 0),
    ):
        if info is None:
            continue
        cidx = {cname: i for i, cname in enumerate(cols)}
        for term in info.terms:
            if not term.factors:
                continue
            if all(info.factor_infos[f].type == "categorical" for f in term.factors):
                sl = info.slice(term)
                names_t = [info.column_names[i] for i in range(sl.start, sl.stop)]
                ids = [cidx[nm] + offset for nm in names_t if nm in cidx]
                for nm in names_t:
                    if nm in cidx:
                        discrete[nm] = ids
    r._spec = {
        "formula": formula,
        "data": data if all_kept else data.iloc[kidx],
        "env": env,
        "loc_info": loc_info,
        "loc_cols": loc_cols,
        "nom_info": nom.design_info if nom is not None else None,
        "nom_cols": nom_cols,
        "loc_terms": [t for t in term_columns if not any(t == nt for nt in nom_terms)],
        "nominal_terms": nom_terms,
        "term_columns": term_columns,
        "discrete": discrete,
    }
    return res
