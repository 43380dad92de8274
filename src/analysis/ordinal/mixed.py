"""Cumulative-link mixed models with random intercepts (R's ``ordinal::clmm``).

``fit_ordinal_mixed("rating ~ item + service + (1 | respondent_id)", data=long)`` fits::

    link P(Y_i <= j | b) = theta_j - x_i'beta - sum_r b_{r, g_r(i)},   b_r ~ N(0, sigma_r^2)

by maximising the Laplace approximation of the marginal likelihood (``n_agq = 1``; one or
more grouping factors, crossed or nested) or adaptive Gauss–Hermite quadrature
(``n_agq > 1``; one grouping factor), with the exact gradient
(:mod:`analysis.ordinal.mixed_core`), a bounded quasi-Newton search (``sigma >= 0``) and
Newton polishing on a Hessian differenced from the exact gradient, which also gives the SEs.
A random-effect SD whose estimate is zero is reported as on the boundary (the model reduces
to the one without that factor), not as an error.

Data flow: DataFrame + formula -> :func:`analysis.ordinal.design.build_design` ->
:class:`OrdinalMixedModel` -> :class:`OrdinalMixedResults` (tidy tables).

References
----------
Christensen, R. H. B. (2019). Cumulative link models for ordinal regression with the R
package ordinal. CRAN vignette.
Hedeker, D. & Gibbons, R. D. (1994). A random-effects ordinal regression model for
multilevel analysis. *Biometrics* 50, 933-944.
Agresti, A. (2010). *Analysis of Ordinal Categorical Data*, 2nd ed., ch. 10. Wiley.
Self, S. G. & Liang, K.-Y. (1987). Asymptotic properties of maximum likelihood estimators and
likelihood ratio tests under nonstandard conditions. *JASA* 82, 605-610.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import patsy
from scipy import optimize, stats
from statsmodels.base.model import LikelihoodModel, LikelihoodModelResults

from analysis.ordinal.design import _build_new, build_design
from analysis.ordinal.errors import OrdinalConvergenceWarning, OrdinalModelError, OrdinalWarning
from analysis.ordinal.links import LATENT_VARIANCE, LINKS
from analysis.ordinal.mixed_core import _Core, gauss_hermite
from analysis.ordinal.results import _check_alpha, wald_table

try:  # statsmodels >= 0.15 keeps its caching decorator private
    from statsmodels.tools._decorators import cache_readonly
except ImportError:  # pragma: no cover - older statsmodels
    from statsmodels.tools.decorators import cache_readonly

__all__ = ["OrdinalMixedModel", "OrdinalMixedResults", "fit_ordinal_mixed", "parse_mixed_formula"]

_RE_TERM = re.compile(r"\(([^()]*)\|([^()]*)\)")

#: A random-effect SD below this (relative to 1 on the latent scale) is on the boundary.
BOUNDARY_SD = 1e-4


def parse_mixed_formula(formula: str) -> tuple[str, list[str]]:
    """Split ``"y ~ x + (1 | g) + (1 | a:b)"`` into the fixed formula and the grouping factors.

    Examples
    --------
    >>> parse_mixed_formula("y ~ x + (1 | g) + (1 | a:b)")
    ('y ~ x', ['g', 'a:b'])
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise OrdinalModelError(f"formula must look like 'outcome ~ terms + (1 | group)', got {formula!r}")
    groups: list[str] = []
    for lhs, rhs in _RE_TERM.findall(formula):
        if lhs.strip() != "1":
            raise OrdinalModelError(
                f"random-effect term '({lhs.strip()} | {rhs.strip()})': only random intercepts "
                "'(1 | group)' are supported (no random slopes)"
            )
        g = ":".join(p.strip() for p in rhs.split(":"))
        if not g or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", p) for p in g.split(":")):
            raise OrdinalModelError(
                f"grouping factor {rhs.strip()!r} in a random-effect term must be a column name "
                "or 'a:b' (nested)"
            )
        if g in groups:
            raise OrdinalModelError(f"random-effect term '(1 | {g})' appears twice")
        groups.append(g)
    fixed = _RE_TERM.sub("", formula)
    if "|" in fixed:
        raise OrdinalModelError(f"cannot read the random-effect terms of {formula!r}: write them as '(1 | group)'")
    lhs, rhs = fixed.split("~")
    parts = [t.strip() for t in rhs.split("+")]
    parts = [t for t in parts if t]
    if not groups:
        raise OrdinalModelError(
            f"formula {formula!r} has no random-effect term '(1 | group)'; use fit_ordinal() "
            "for a model without random effects"
        )
    return f"{lhs.strip()} ~ {' + '.join(parts) if parts else '1'}", groups


class OrdinalMixedModel(LikelihoodModel):
    """Cumulative-link mixed model with random intercepts (Laplace or adaptive quadrature).

    Usually built by :func:`fit_ordinal_mixed` / :meth:`from_formula`.  Parameters are
    ordered ``[thresholds (J-1, or threshold.1 and spacing), beta (p), sigma (one per
    grouping factor)]`` as in R's ``clmm`` (which reports the SDs separately).
    """

    def __init__(
        self,
        endog: pd.Series,
        exog: pd.DataFrame | None,
        groups: dict[str, np.ndarray],
        link: str = "logit",
        threshold: str = "flexible",
        n_agq: int = 1,
        weights: np.ndarray | None = None,
    ) -> None:
        if link not in LINKS:
            raise OrdinalModelError(f"unknown link {link!r}; use one of {sorted(LINKS)}")
        if threshold not in ("flexible", "equidistant"):
            raise OrdinalModelError(f"threshold must be 'flexible' or 'equidistant', not {threshold!r}")
        if not isinstance(n_agq, int | np.integer) or n_agq < 1:
            raise OrdinalModelError(f"n_agq must be a positive integer, not {n_agq!r}")
        if n_agq > 1 and len(groups) != 1:
            raise OrdinalModelError(
                f"adaptive Gauss-Hermite quadrature (n_agq={n_agq}) is available for a single "
                f"scalar random effect only; this model has {len(groups)} grouping factors "
                f"({', '.join(groups)}): use n_agq=1 (Laplace)"
            )
        self.link = LINKS[link]
        self.threshold = threshold
        self.n_agq = int(n_agq)
        self.labels = list(endog.cat.categories)
        J = len(self.labels)
        if threshold == "equidistant" and J < 3:
            raise OrdinalModelError("equidistant thresholds need at least three outcome levels")
        y = endog.cat.codes.to_numpy().astype(np.intp)
        X = np.empty((len(y), 0)) if exog is None else exog.to_numpy(dtype=float)
        super().__init__(endog=y.astype(float), exog=X if X.shape[1] else None)
        self.exog_names_fixed = [] if exog is None else [str(c) for c in exog.columns]
        self.group_names = list(groups)
        self.group_levels: list[pd.Index] = []
        codes = []
        for g, v in groups.items():
            c, lev = pd.factorize(pd.Series(v), sort=True)
            if len(lev) < 2:
                raise OrdinalModelError(f"grouping factor {g!r} has fewer than two levels")
            codes.append(c.astype(np.intp))
            self.group_levels.append(pd.Index(lev, name=g))
        self.core = _Core(y, X, codes, [len(v) for v in self.group_levels], J, self.link,
                          threshold, weights)
        self.threshold_names = (
            [f"{a}|{b}" for a, b in zip(self.labels[:-1], self.labels[1:], strict=True)]
            if threshold == "flexible"
            else ["threshold.1", "spacing"]
        )
        self.endog_name = str(endog.name)
        self.weights = weights
        self.nobs = float(len(y)) if weights is None else float(np.sum(weights))
        self.n_rows = len(y)
        self.k_params = self.core.k
        self.param_names = self.threshold_names + self.exog_names_fixed + [f"sd({g})" for g in groups]
        self.n_dropped = 0
        self.dropped_levels: list[Any] = []
        self.spec: dict[str, Any] = {}

    @classmethod
    def from_formula(  # type: ignore[override]
        cls,
        formula: str,
        data: pd.DataFrame,
        subset: Any = None,
        drop_cols: Any = None,
        *args: Any,
        link: str = "logit",
        threshold: str = "flexible",
        n_agq: int = 1,
        weights: Any = None,
        _env: Any = None,
        _stacklevel: int = 3,
        **kwargs: Any,
    ) -> OrdinalMixedModel:
        """Build the model from ``"outcome ~ terms + (1 | group)"``; see :func:`fit_ordinal_mixed`."""
        if subset is not None or drop_cols is not None:
            raise OrdinalModelError("subset= and drop_cols= are not supported: filter the data first")
        fixed, groups = parse_mixed_formula(formula)
        env = _env if _env is not None else patsy.EvalEnvironment.capture(1)
        d = build_design(fixed, data, weights=weights, groups=groups, env=env, stacklevel=_stacklevel)
        model = cls(d.y, d.X, d.groups, link=link, threshold=threshold, n_agq=n_agq, weights=d.weights)
        model.n_dropped = d.n_dropped
        model.dropped_levels = d.dropped_levels
        model.spec = d.spec
        model.formula = formula
        model.fixed_formula = fixed
        return model

    # ---- likelihood interface
    def loglike(self, params: np.ndarray) -> float:
        """Laplace (``n_agq = 1``) or adaptive Gauss–Hermite log-likelihood at ``params``."""
        return float(self.core.loglik(np.asarray(params, float), self.n_agq, grad=False, keep=False))

    def score(self, params: np.ndarray) -> np.ndarray:
        """Exact gradient of :meth:`loglike`."""
        return self.core.loglik(np.asarray(params, float), self.n_agq, grad=True, keep=False)[1]

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Hessian by central differences of the exact gradient (symmetrised)."""
        return _fd_hessian(self.core, np.asarray(params, float), self.n_agq, np.arange(self.k_params))

    def start_params_from(self) -> np.ndarray:
        """Thresholds and slopes of the model without random effects; SDs 1."""
        from analysis.ordinal.model import OrdinalModel

        c = self.core
        y = pd.Series(pd.Categorical.from_codes(c.y, self.labels, ordered=True), name="y")
        X = pd.DataFrame(c.X, columns=self.exog_names_fixed) if c.p else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OrdinalWarning)
            r = OrdinalModel(y, X, link=self.link.name, weights=self.weights,
                             weight_kind="frequency").fit()
        par = np.asarray(r.params)
        th = par[c.p : c.p + c.J - 1]
        if self.threshold == "equidistant":
            sp = float(np.mean(np.diff(th))) if len(th) > 1 else 1.0
            thp = np.array([th[0], sp])
        else:
            thp = th
        self._fixed_fit = r
        return np.concatenate([thp, par[: c.p], np.ones(c.R)])

    def fit(  # type: ignore[override]
        self,
        start_params: np.ndarray | None = None,
        maxiter: int = 500,
        grad_tol: float = 1e-6,
        alpha: float = 0.05,
        **kwargs: Any,
    ) -> OrdinalMixedResults:
        """Maximise the approximate likelihood; see :func:`fit_ordinal_mixed`."""
        c = self.core
        alpha = _check_alpha(alpha)
        x0 = self.start_params_from() if start_params is None else np.asarray(start_params, float)
        k = c.k
        nsig = c.R
        bounds = [(None, None)] * (k - nsig) + [(0.0, None)] * nsig
        scale = max(1.0, self.nobs / 1000.0)

        def f(x):
            ll, g = c.loglik(x, self.n_agq, grad=True, keep=True)
            if not np.isfinite(ll):
                return 1e300, np.zeros(k)
            return -ll / scale, -g / scale

        opt = optimize.minimize(
            f, x0, jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-15, "maxcor": 20},
        )
        x = np.asarray(opt.x, float)
        sig_idx = np.arange(k - nsig, k)
        boundary = x[sig_idx] < BOUNDARY_SD
        x[sig_idx[boundary]] = 0.0
        free = np.array([i for i in range(k) if i not in set(sig_idx[boundary])], dtype=int)
        ll, g = c.loglik(x, self.n_agq, grad=True, keep=True)
        Hf = None
        it = 0
        last_step = np.inf
        stop = 1e-9 * scale
        while it < 8:  # Newton polishing on the free parameters
            if np.max(np.abs(g[free]), initial=0.0) <= stop and Hf is not None:
                break
            it += 1
            Hf = _fd_hessian(c, x, self.n_agq, free)
            try:
                step = np.linalg.solve(-Hf, g[free])
            except np.linalg.LinAlgError:
                break
            t = 1.0
            accepted = False
            while t > 1e-6:
                xn = x.copy()
                xn[free] += t * step
                if np.any(xn[sig_idx] < 0):
                    t *= 0.5
                    continue
                lln, gn = c.loglik(xn, self.n_agq, grad=True, keep=True)
                if np.isfinite(lln) and lln >= ll - 1e-10 * abs(ll):
                    accepted = True
                    break
                t *= 0.5
            if not accepted:
                break
            x, ll, g = xn, lln, gn
            last_step = float(np.max(np.abs(t * step)))
            if last_step < 1e-7:
                break
        if Hf is None or last_step > 1e-6:  # SEs from a Hessian at the final estimate
            Hf = _fd_hessian(c, x, self.n_agq, free)
        negH = -Hf
        try:
            ev = np.linalg.eigvalsh(negH)
            posdef = bool(np.all(ev > 0))
        except np.linalg.LinAlgError:
            posdef = False
        cov = np.full((k, k), np.nan)
        if posdef:
            cf = np.linalg.inv(negH)
            cov[np.ix_(free, free)] = (cf + cf.T) / 2.0
        max_grad = float(np.max(np.abs(g[free]), initial=0.0))
        converged = posdef and max_grad <= grad_tol * scale
        names_b = [self.group_names[i] for i in np.flatnonzero(boundary)]
        if names_b:
            warnings.warn(
                "random-effect SD of " + ", ".join(repr(n) for n in names_b) + " estimated at "
                "zero (on the boundary of the parameter space): that factor adds no variation "
                "and the model reduces to the one without it; its SE is not defined",
                OrdinalWarning,
                stacklevel=3,
            )
        if not converged:
            why = (
                f"max|gradient| = {max_grad:.3g} > {grad_tol * scale:g}"
                if max_grad > grad_tol * scale
                else "the Hessian is not negative definite (parameters not identified)"
            )
            warnings.warn(
                f"ordinal mixed model did NOT converge: {why}; estimates and SEs are unreliable "
                "(converged=False)",
                OrdinalConvergenceWarning,
                stacklevel=3,
            )
        res = OrdinalMixedResults(self, x, cov)
        res.loglik = float(ll)
        res.max_grad = max_grad
        res.converged = bool(converged)
        res.boundary = dict(zip(self.group_names, boundary.tolist(), strict=True))
        res.alpha = alpha
        res.optimizer = {"lbfgs_iterations": int(opt.nit), "lbfgs_message": str(opt.message),
                         "newton_iterations": it}
        u, cv = c.modes(x)
        res._modes = u
        res._condvar = cv
        return res


def _fd_hessian(core: _Core, x: np.ndarray, n_agq: int, free: np.ndarray) -> np.ndarray:
    """Forward differences of the exact gradient over the ``free`` parameters (symmetrised).

    The gradient is exact (inner modes to 1e-10), so a step of 1e-6 keeps both the truncation
    and the rounding error of the Hessian near 1e-7 relative: SEs to about 1e-7.
    """
    m = len(free)
    Hm = np.empty((m, m))
    u_save = [v.copy() for v in core.u]
    g0 = core.loglik(x, n_agq, grad=True, keep=False)[1]
    for a, i in enumerate(free):
        h = 1e-6 * max(1.0, abs(x[i]))
        xp = x.copy()
        xp[i] += h
        gp = core.loglik(xp, n_agq, grad=True, keep=False)[1]
        Hm[:, a] = (gp[free] - g0[free]) / h
        core.u = [v.copy() for v in u_save]
    return (Hm + Hm.T) / 2.0


class OrdinalMixedResults(LikelihoodModelResults):
    """Results of :func:`fit_ordinal_mixed`: tidy tables, conditional modes, predictions, tests."""

    def __init__(self, model: OrdinalMixedModel, params: np.ndarray, cov: np.ndarray) -> None:
        self.model = model
        self.params = np.asarray(params, float)
        self._cov = cov
        self.normalized_cov_params = cov
        self.scale = 1.0
        self.k_constant = 0
        self._cache: dict[str, Any] = {}
        self.nobs = model.nobs
        self.alpha = 0.05

    # ---- basics
    def cov_params(self, *args: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        """Covariance of all parameters (NaN rows for an SD on the boundary)."""
        return self._cov

    @cache_readonly
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self._cov))

    @property
    def llf(self) -> float:  # type: ignore[override]
        return self.loglik

    @property
    def link(self) -> str:
        return self.model.link.name

    @property
    def n_agq(self) -> int:
        return self.model.n_agq

    @property
    def df_model(self) -> int:  # type: ignore[override]
        return self.model.k_params

    @property
    def aic(self) -> float:  # type: ignore[override]
        return -2.0 * self.loglik + 2.0 * self.model.k_params

    @property
    def bic(self) -> float:  # type: ignore[override]
        return -2.0 * self.loglik + np.log(self.nobs) * self.model.k_params

    @property
    def levels(self) -> list[Any]:
        return list(self.model.labels)

    def _alpha(self, alpha: float | None) -> float:
        return _check_alpha(self.alpha if alpha is None else alpha)

    # ---- tables
    def conf_table(self, alpha: float | None = None, part: str = "coef") -> pd.DataFrame:
        """:attr:`coef` (``part="coef"``) or :attr:`thresholds` at the level ``1 - alpha``."""
        m = self.model
        nth, p = m.core.n_thr, m.core.p
        if part == "coef":
            idx = np.arange(nth, nth + p)
            return wald_table(self.params[idx], self.bse[idx], m.exog_names_fixed,
                              self._alpha(alpha), self.link == "logit")
        if part == "thresholds":
            idx = np.arange(nth)
            df = wald_table(self.params[idx], self.bse[idx], m.threshold_names,
                            self._alpha(alpha), False)
            df.index.name = "threshold"
            return df
        raise OrdinalModelError(f"part must be 'coef' or 'thresholds', not {part!r}")

    @cache_readonly
    def coef(self) -> pd.DataFrame:
        """Fixed effects beta: estimate, se, z, p, interval at ``1 - alpha`` (odds ratios for logit)."""
        return self.conf_table(None, "coef")

    @cache_readonly
    def thresholds(self) -> pd.DataFrame:
        """Thresholds (``"1|2"``, ... or ``"threshold.1"``, ``"spacing"``) with SEs and intervals."""
        return self.conf_table(None, "thresholds")

    @cache_readonly
    def random_effects(self) -> pd.DataFrame:
        """Per grouping factor: variance, sd, se of the sd, levels, whether on the boundary."""
        m = self.model
        k0 = m.core.n_thr + m.core.p
        sd = self.params[k0:]
        se = self.bse[k0:]
        return pd.DataFrame(
            {
                "variance": sd**2,
                "sd": sd,
                "sd_se": se,
                "n_levels": [len(v) for v in m.group_levels],
                "boundary": [self.boundary[g] for g in m.group_names],
            },
            index=pd.Index(m.group_names, name="group"),
        )

    def icc(self) -> pd.DataFrame:
        """Intraclass correlation on the latent scale, per grouping factor.

        ``sigma_r^2 / (sum_s sigma_s^2 + v)`` with ``v`` the variance of the link's latent
        error (pi^2/3 for logit, 1 for probit, pi^2/6 for cloglog/loglog); not defined for
        cauchit.  With one factor it is the correlation of two answers of the same group.

        References
        ----------
        Snijders, T. A. B. & Bosker, R. J. (2012). *Multilevel Analysis*, 2nd ed., sec. 17.3.
        """
        v = LATENT_VARIANCE.get(self.link)
        if v is None:
            raise OrdinalModelError("the cauchit link has no latent variance: no intraclass correlation")
        re_ = self.random_effects
        tot = float(np.sum(re_["variance"])) + v
        return pd.DataFrame(
            {"variance": re_["variance"], "latent_error_variance": v, "icc": re_["variance"] / tot},
            index=re_.index,
        )

    def ranef(self, alpha: float | None = None) -> pd.DataFrame:
        """Conditional modes of the random intercepts with their conditional SEs.

        ``mode`` is on the latent scale (``sigma * u_hat``, as R's ``ranef(clmm)``), ``se`` the
        square root of R's ``condVar``; ``ci_low``/``ci_high`` at ``1 - alpha``.

        Returns
        -------
        DataFrame
            ``group, level, mode, se, ci_low, ci_high`` (one row per level of each factor).
        """
        a = self._alpha(alpha)
        q = stats.norm.ppf(1 - a / 2)
        m = self.model
        k0 = m.core.n_thr + m.core.p
        frames = []
        for r, g in enumerate(m.group_names):
            s = self.params[k0 + r]
            mode = s * self._modes[r]
            se = s * np.sqrt(self._condvar[r])
            frames.append(pd.DataFrame({
                "group": g, "level": m.group_levels[r].to_numpy(), "mode": mode, "se": se,
                "ci_low": mode - q * se, "ci_high": mode + q * se,
            }))
        out = pd.concat(frames, ignore_index=True)
        out.attrs["conf_level"] = 1 - a
        return out

    # ---- prediction
    def predict_proba(self, newdata: pd.DataFrame | None = None, conditional: bool = False,
                      n_nodes: int = 40) -> pd.DataFrame:
        """Probability of each outcome level.

        ``conditional=False`` (default): the marginal (population-averaged) probability,
        integrated over the random intercepts (Gauss–Hermite, ``n_nodes``; their SDs add in
        quadrature).  ``conditional=True``: given the groups' conditional modes (``newdata``
        must hold the grouping columns; a level not seen in the fit gets a zero effect).

        Returns
        -------
        DataFrame
            One column per level, rows summing to one, index of ``newdata``; rows with a
            missing predictor are NaN.
        """
        m = self.model
        spec = m.spec
        nd = spec["data"] if newdata is None else newdata
        if not isinstance(nd, pd.DataFrame):
            raise OrdinalModelError("newdata must be a pandas DataFrame")
        index = nd.index
        nd = nd.reset_index(drop=True)
        X, keep = _build_new(spec["loc_info"], nd, spec["loc_cols"])
        n = len(nd)
        c = m.core
        theta, beta, sig = c.unpack(self.params)
        xb = np.zeros(n) if X is None else np.where(keep[:, None], X, 0.0) @ beta
        F = m.link.evaluate
        if conditional:
            shift = np.zeros(n)
            k0 = c.n_thr + c.p
            for r, g in enumerate(m.group_names):
                cols = g.split(":")
                miss = [cc for cc in cols if cc not in nd.columns]
                if miss:
                    raise OrdinalModelError(
                        f"conditional predictions need the grouping column(s) {miss} in newdata"
                    )
                lab = nd[cols[0]].astype(object) if len(cols) == 1 else nd[cols].astype(str).agg(":".join, axis=1)
                pos = m.group_levels[r].get_indexer(lab.to_numpy(dtype=object))
                eff = np.where(pos >= 0, self.params[k0 + r] * self._modes[r][np.maximum(pos, 0)], 0.0)
                shift += eff
            cum = F(theta[None, :] - (xb + shift)[:, None])[0]
        else:
            stot = float(np.sqrt(np.sum(sig**2)))
            xk, wk = gauss_hermite(n_nodes)
            z = np.sqrt(2.0) * xk
            cum = np.zeros((n, c.J - 1))
            for zk, wgt in zip(z, wk / np.sqrt(np.pi), strict=True):
                cum += wgt * F(theta[None, :] - (xb + stot * zk)[:, None])[0]
        full = np.column_stack([np.zeros(n), cum, np.ones(n)])
        prob = np.diff(full, axis=1)
        prob[~keep] = np.nan
        return pd.DataFrame(prob, index=index, columns=pd.Index(m.labels, name="level"))

    # ---- tests
    def lr_test(self, fixed_fit: Any) -> pd.DataFrame:
        """Likelihood-ratio test against the model without random effects (``fit_ordinal``).

        The variances are tested on the boundary of their space (``sigma^2 = 0``), so the
        null distribution of the statistic is not chi-square(df) but a mixture (Self & Liang
        1987): for one variance ``0.5 chi2_0 + 0.5 chi2_1``, i.e. the naive p-value halved.
        With several variances the chi-bar-square mixture with binomial(df, 1/2) weights is
        used (exact for independent components, an approximation otherwise).  ``p_naive`` is
        what R's ``anova(clm, clmm)`` prints.

        Returns
        -------
        DataFrame
            ``loglik_fixed, loglik_mixed, df, lr, p, p_naive, reference``.
        """
        o = getattr(fixed_fit, "_results", fixed_fit)
        if not hasattr(o, "llf") or not hasattr(o, "k_params"):
            raise OrdinalModelError("lr_test needs the fit of fit_ordinal() without random effects")
        if int(getattr(o, "n_rows", -1)) != self.model.n_rows:
            raise OrdinalModelError(
                f"the two fits use different data ({self.model.n_rows} vs {getattr(o, 'n_rows', '?')} "
                "rows): an LR test needs the same observations"
            )
        df = self.model.k_params - int(o.k_params)
        if df != self.model.core.R:
            raise OrdinalModelError(
                f"the fixed fit has {o.k_params} parameters, the mixed {self.model.k_params}: "
                "not the same model without its random effects"
            )
        lr = max(0.0, 2.0 * (self.loglik - float(o.llf)))
        p_naive = float(stats.chi2.sf(lr, df))
        wts = stats.binom.pmf(np.arange(df + 1), df, 0.5)
        p = float(sum(wts[k] * (stats.chi2.sf(lr, k) if k else float(lr <= 0)) for k in range(df + 1)))
        ref = ("0.5*chi2(0) + 0.5*chi2(1): naive p-value halved (boundary)" if df == 1
               else f"chi-bar-square, binomial({df}, 1/2) mixture of chi2(0..{df}) (boundary)")
        return pd.DataFrame({"loglik_fixed": [float(o.llf)], "loglik_mixed": [self.loglik],
                             "df": [df], "lr": [lr], "p": [p], "p_naive": [p_naive],
                             "reference": [ref]})

    def summary(self, alpha: float | None = None) -> str:
        """Plain-text summary (model, fit, random effects, fixed effects, thresholds)."""
        a = self._alpha(alpha)
        m = self.model
        head = [
            f"Cumulative-link mixed model: {m.link.name} P(Y <= j | b) = theta_j - x'beta - b",
            f"Outcome: {m.endog_name}   levels: {' < '.join(str(v) for v in m.labels)}",
            f"Approximation: {'Laplace' if m.n_agq == 1 else f'adaptive Gauss-Hermite, {m.n_agq} nodes'}"
            f"   thresholds: {m.threshold}",
            f"Observations: {m.n_rows}   log-likelihood: {self.loglik:.4f}   AIC: {self.aic:.3f}"
            f"   BIC: {self.bic:.3f}",
            f"Converged: {self.converged} (max|grad| {self.max_grad:.2e})   confidence level: {1 - a:.4g}",
        ]
        parts = ["\n".join(head), "Random effects:", self.random_effects.to_string(),
                 "Fixed effects:", self.conf_table(a, "coef").to_string(),
                 "Thresholds:", self.conf_table(a, "thresholds").to_string()]
        return "\n\n".join(parts)


def fit_ordinal_mixed(
    formula: str,
    data: pd.DataFrame,
    link: str = "logit",
    n_agq: int = 1,
    threshold: str = "flexible",
    weights: str | np.ndarray | pd.Series | None = None,
    grad_tol: float = 1e-6,
    alpha: float = 0.05,
    maxiter: int = 500,
) -> OrdinalMixedResults:
    """Fit a cumulative-link mixed model with random intercepts (R's ``ordinal::clmm``).

    Parameters
    ----------
    formula : str
        ``"outcome ~ fixed terms + (1 | g)"``; several ``(1 | g)`` terms for crossed factors,
        ``(1 | a) + (1 | a:b)`` for nested ones.  Only random intercepts.
    data : DataFrame
        Long format; rows with a missing value in a variable used (grouping columns included)
        are dropped with a warning.
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}
    n_agq : int
        1: Laplace approximation (any number of grouping factors).  > 1: adaptive
        Gauss–Hermite quadrature with that many nodes (one grouping factor only).
    threshold : {"flexible", "equidistant"}
        Free cut-points, or ``theta_j = threshold.1 + (j - 1) * spacing``.
    weights : str or array_like, optional
        Frequency weights of the rows (as ``clmm(weights=)``).
    grad_tol : float
        ``converged`` requires max|gradient| <= grad_tol * max(1, nobs / 1000) and a negative
        definite Hessian.
    alpha : float
        Intervals at the confidence level ``1 - alpha``.

    Returns
    -------
    OrdinalMixedResults
        ``coef``, ``thresholds``, ``random_effects``, ``loglik``, ``aic``, ``bic``, ``nobs``,
        ``converged``, ``max_grad``, ``ranef()``, ``icc()``, ``predict_proba()``,
        ``lr_test()``, ``summary()``.

    Raises
    ------
    OrdinalModelError
        No random-effect term, random slopes, unknown columns, ``n_agq > 1`` with several
        grouping factors, a grouping factor with one level, and the errors of
        :func:`~analysis.ordinal.fit_ordinal`.

    Notes
    -----
    ``link P(Y_i <= j | b) = theta_j - x_i'beta - sum_r b_{r,g_r(i)}``, ``b_r ~ N(0, sigma_r^2)``.
    The Laplace approximation replaces each integral over the random effects by the
    Gaussian integral around the conditional mode; quadrature adds nodes around that mode
    scaled by its curvature.  See ``docs/ordinal.md``.

    References
    ----------
    Christensen, R. H. B. (2019). ordinal: Regression models for ordinal data. R package.
    Hedeker, D. & Gibbons, R. D. (1994). A random-effects ordinal regression model for
    multilevel analysis. *Biometrics* 50, 933-944.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> n, k = 200, 6
    >>> b = np.repeat(rng.normal(0, 1.0, n), k)
    >>> d = pd.DataFrame({"g": np.repeat(np.arange(n), k), "x": rng.normal(size=n * k)})
    >>> d["y"] = np.digitize(0.5 * d["x"] + b + rng.logistic(size=n * k), [-1, 0.5, 2])
    >>> res = fit_ordinal_mixed("y ~ x + (1 | g)", data=d)
    >>> bool(res.converged), list(res.random_effects.index)
    (True, ['g'])
    """
    if link not in LINKS:
        raise OrdinalModelError(f"unknown link {link!r}; use one of {sorted(LINKS)}")
    env = patsy.EvalEnvironment.capture(1)
    model = OrdinalMixedModel.from_formula(
        formula, data, link=link, threshold=threshold, n_agq=n_agq, weights=weights,
        _env=env, _stacklevel=4,
    )
    return model.fit(grad_tol=grad_tol, alpha=alpha, maxiter=maxiter)
