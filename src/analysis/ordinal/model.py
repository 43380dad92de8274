"""The fixed-effects cumulative-link model (R's ``ordinal::clm``) and :func:`fit_ordinal`.

:class:`OrdinalModel` subclasses statsmodels' ``OrderedModel`` with analytic score and
Hessian, a Newton solver, nominal (threshold-specific) effects, weights and cluster-robust
SEs; :meth:`OrdinalModel.from_formula` builds it from a formula through
:func:`analysis.ordinal.design.build_design`, and :func:`fit_ordinal` is the one-call front
end.  Results are :class:`analysis.ordinal.results.OrdinalResults`.

Parameterisation
----------------
For an outcome with ordered levels ``1 < 2 < ... < J``, predictors ``x`` (no intercept) and,
optionally, *nominal* predictors ``z``::

    link P(Y <= j | x, z) = theta_j + z'gamma_j - x'beta      j = 1, ..., J-1

the sign convention of R's ``ordinal::clm``, ``MASS::polr`` and statsmodels' ``OrderedModel``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import patsy
import scipy.linalg as sla
import scipy.sparse as sp
from statsmodels.miscmodels.ordinal_model import OrderedModel, OrderedResultsWrapper

from analysis.ordinal.design import build_design
from analysis.ordinal.errors import (
    OrdinalConvergenceWarning,
    OrdinalModelError,
    SeparationWarning,
)
from analysis.ordinal.links import LINKS
from analysis.ordinal.results import OrdinalResults, _check_alpha, _cum_etas

__all__ = ["OrdinalModel", "fit_ordinal"]


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
        scale: pd.DataFrame | None = None,
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
        if scale is not None and scale.shape[1] > 0:
            self.scale_names = [str(c) for c in scale.columns]
            self._S: np.ndarray | None = np.asarray(scale, dtype=float)
            sc_names = [f"scale.{c}" for c in self.scale_names]
            if self.exog is not None:
                self.exog_names.extend(sc_names)
            else:
                self.data.xnames = list(self.data.xnames) + sc_names
        else:
            self.scale_names = []
            self._S = None
        self.k_scale = len(self.scale_names)
        self.k_params += self.k_scale
        self.k_extra = (J - 1) * self.k_thr_cols + self.k_scale
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
        self.n_dropped = 0
        self.dropped_levels: list[Any] = []
        self.spec: dict[str, Any] = {}
        self._iu = np.minimum(self.endog, J - 2)
        self._il = np.maximum(self.endog - 1, 0)

    @classmethod
    def from_formula(  # type: ignore[override]
        cls,
        formula: str,
        data: pd.DataFrame,
        subset: Any = None,
        drop_cols: Any = None,
        *args: Any,
        link: str = "logit",
        weights: Any = None,
        weight_kind: str = "survey",
        nominal: str | None = None,
        cluster: Any = None,
        scale: str | None = None,
        _env: Any = None,
        _stacklevel: int = 3,
        _drop_aliased: bool = False,
        **kwargs: Any,
    ) -> OrdinalModel:
        """Build the model from ``"outcome ~ terms"`` (see :func:`fit_ordinal` for the arguments).

        Missing values are dropped listwise (warned), unused outcome levels dropped (warned),
        collinear predictors refused; the fitted results keep what predictions on new data
        and the refits of :meth:`~OrdinalResults.nominal_test` need.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3)
        >>> d = pd.DataFrame({"x": rng.normal(size=300)})
        >>> d["y"] = np.digitize(d["x"] + rng.logistic(size=300), [-1, 1])
        >>> OrdinalModel.from_formula("y ~ x", d).fit().coef.index.tolist()
        ['x']
        """
        if subset is not None or drop_cols is not None:
            raise OrdinalModelError("subset= and drop_cols= are not supported: filter the data first")
        env = _env if _env is not None else patsy.EvalEnvironment.capture(1)
        d = build_design(
            formula, data, nominal=nominal, scale=scale, weights=weights, cluster=cluster,
            env=env, stacklevel=_stacklevel, drop_aliased=_drop_aliased,
        )
        model = cls(
            d.y, d.X, link=link, nominal=d.Z, weights=d.weights, weight_kind=weight_kind,
            cluster=d.cluster, scale=d.S,
        )
        model.n_dropped = d.n_dropped
        model.dropped_levels = d.dropped_levels
        model.spec = d.spec
        model.formula = formula
        return model


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
        nt = self.k_thr_cols * (self.k_levels - 1)
        theta = params[self.k_loc : self.k_loc + nt].reshape(self.k_thr_cols, self.k_levels - 1).T
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
        if self._S is not None:
            zeta = np.asarray(params, dtype=float)[self.k_params - self.k_scale :]
            inv_sd = np.exp(-(self._S[sl] @ zeta))
            eu = eu * inv_sd
            el = el * inv_sd
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
        if self._S is not None:
            return self._evaluate_scale(params, order)
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

    def _scale_block(self, params: np.ndarray, sl: slice):
        """Per-row log P, score and the pieces of the Hessian of a location-scale model.

        ``eta = (theta_j + z'gamma_j - x'beta) / exp(s'zeta)``; ``Du``/``Dl`` are d eta / d params
        at the upper and lower bound (``n x k``); the second derivatives of eta are all
        ``-D s'`` in the (any, zeta) blocks, which :meth:`_evaluate_scale` adds from the score.
        """
        P, fu, fl, du, dl = self._pieces(params, sl)
        eu, el = self._etas(params, sl)
        y = self.endog[sl]
        nb = y.shape[0]
        k, p, Jm, m = self.k_params, self.k_loc, self.k_levels - 1, self.k_thr_cols
        top = y == Jm
        bot = y == 0
        eu[top] = 0.0
        el[bot] = 0.0
        zeta = params[k - self.k_scale :]
        S = self._S[sl]
        inv_sd = np.exp(-(S @ zeta))
        Du = np.zeros((nb, k))
        Dl = np.zeros((nb, k))
        if p:
            Du[:, :p] = -self._X[sl] * inv_sd[:, None]
            Dl[:, :p] = Du[:, :p]
        rows = np.arange(nb)
        Zt = np.ones((nb, 1)) if self._Zt is None else self._Zt[sl]
        hu = ~top
        hl = ~bot
        for a in range(m):
            za = Zt[:, a] * inv_sd
            Du[rows[hu], p + a * Jm + y[hu]] = za[hu]
            Dl[rows[hl], p + a * Jm + y[hl] - 1] = za[hl]
        Du[:, k - self.k_scale :] = -eu[:, None] * S
        Dl[:, k - self.k_scale :] = -el[:, None] * S
        return P, fu, fl, du, dl, Du, Dl, S

    def _evaluate_scale(self, params: np.ndarray, order: int = 2):
        """Log-likelihood, score and Hessian of a location-scale model (dense per row, blocked)."""
        n = self.endog.shape[0]
        k, ks = self.k_params, self.k_scale
        ll = 0.0
        g = np.zeros(k)
        H = np.zeros((k, k))
        C = np.zeros((k, ks))
        for s0 in range(0, n, self._BLOCK):
            sl = slice(s0, min(n, s0 + self._BLOCK))
            P, fu, fl, du, dl, Du, Dl, S = self._scale_block(params, sl)
            w = self._w[sl]
            if not np.all(P > 0.0):
                return -np.inf if order == 0 else (-np.inf, None, None)
            ll += float(np.dot(w, np.log(P)))
            if order == 0:
                continue
            gi = (fu[:, None] * Du - fl[:, None] * Dl) / P[:, None]
            g += w @ gi
            if order == 1:
                continue
            H += (Du * (w * du / P)[:, None]).T @ Du - (Dl * (w * dl / P)[:, None]).T @ Dl
            H -= (gi * w[:, None]).T @ gi
            C -= (gi * w[:, None]).T @ S
        if order == 0:
            return ll
        if order == 1:
            return ll, g
        H[:, k - ks :] += C
        H[k - ks :, : k - ks] += C[: k - ks].T
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
        if self._S is not None:
            P, fu, fl, _, _, Du, Dl, _ = self._scale_block(np.asarray(params, float), slice(None))
            return self._w[:, None] * (fu[:, None] * Du - fl[:, None] * Dl) / P[:, None]
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

    def predict(self, params, exog=None, offset=None, which="prob", nominal=None, scale=None):
        """Predicted probabilities (``which="prob"``), cumulative (``"cum"``) or ``"linpred"``."""
        S = self._S
        if exog is not None or nominal is not None or scale is not None:
            if self._S is not None:
                if scale is None:
                    raise OrdinalModelError("this model has scale terms: pass `scale=`")
                S = np.asarray(scale, dtype=float)
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
        eta = _cum_etas(self, params, X, Zt, S)
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
    res.n_dropped = model.n_dropped
    res.dropped_levels = model.dropped_levels
    res._spec = model.spec
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
    if model._S is not None:
        sds.extend(np.std(model._S, axis=0))
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
    alpha: float = 0.05,
    scale: str | None = None,
    _env: Any = None,
    _drop_aliased: bool = False,
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
    alpha : float
        The intervals of the results' tables are at the confidence level ``1 - alpha``
        (``res.alpha``; methods taking ``alpha=`` override it).
    scale : str, optional
        ``"~ terms"``: log-scale effects (a location-scale model, as ``clm(scale = ~ terms)``):
        ``link P(Y <= j) = (theta_j - x'beta) / exp(s'zeta)``; ``res.scale_effects``.

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
    if link not in LINKS:
        raise OrdinalModelError(f"unknown link {link!r}; use one of {sorted(LINKS)}")
    if weight_kind not in ("survey", "frequency"):
        raise OrdinalModelError(f"weight_kind must be 'survey' or 'frequency', not {weight_kind!r}")
    alpha = _check_alpha(alpha)
    model = OrdinalModel.from_formula(
        formula, data, link=link, weights=weights, weight_kind=weight_kind, nominal=nominal,
        cluster=cluster, scale=scale, _env=env, _stacklevel=4, _drop_aliased=_drop_aliased,
    )
    res = model.fit(maxiter=maxiter, grad_tol=grad_tol)
    res._results.alpha = alpha
    return res
