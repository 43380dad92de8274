"""Tests of proportional odds and of nested models for cumulative-link fits.

- :func:`nominal_test`: likelihood-ratio test of each term's threshold-specific effects
  (R's ``ordinal::nominal_test``);
- :func:`brant_test`: Brant's (1990) Wald test on the J-1 binary logits;
- the likelihood-ratio test of two nested fits is :meth:`OrdinalResults.lr_test`.

References
----------
Brant, R. (1990). Assessing proportionality in the proportional odds model for ordinal
logistic regression. *Biometrics* 46, 1171-1178.
Christensen, R. H. B. (2019). ordinal: Regression models for ordinal data. R package.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.ordinal.errors import (
    BinarySplitSeparationError,
    OrdinalModelError,
    OrdinalWarning,
)

__all__ = ["brant_test", "nominal_test", "scale_test"]


def scale_test(res: Any) -> pd.DataFrame:
    """Likelihood-ratio test of a scale effect for each location term (R's ``scale_test``).

    Each location term in turn is added to the scale part (``scale = ~ term``, with the
    model's own scale terms) and the model refitted; a small p-value says the spread of the
    latent variable differs across the term's levels.

    Returns
    -------
    DataFrame
        ``term, df, loglik, aic, lrt, p``; the first row, ``<none>``, is this fit.

    References
    ----------
    Christensen, R. H. B. (2019). ordinal: Regression models for ordinal data. R package
    (``scale_test``).
    """
    spec = res._spec
    if not spec:
        raise OrdinalModelError("scale_test needs a fit made by fit_ordinal()")
    rows = [{"term": "<none>", "df": np.nan, "loglik": res.llf, "aic": res.aic,
             "lrt": np.nan, "p": np.nan}]
    current = spec.get("scale_terms", [])
    for term in spec["loc_terms"]:
        if term in current:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OrdinalWarning)
            try:
                r = _refit(res, nominal=spec.get("nominal"), scale="~ " + " + ".join([*current, term]))
            except (OrdinalModelError, np.linalg.LinAlgError) as exc:
                r = None
                why = str(exc)
        if r is None or not r.converged:
            rows.append({"term": term, "df": np.nan, "loglik": np.nan, "aic": np.nan,
                         "lrt": np.nan, "p": np.nan,
                         "note": why if r is None else "refit did not converge"})
            continue
        df = r.k_params - res.k_params
        lrt = 2.0 * (r.llf - res.llf)
        rows.append({"term": term, "df": df, "loglik": r.llf, "aic": r.aic, "lrt": lrt,
                     "p": stats.chi2.sf(lrt, df) if df > 0 else np.nan})
    return pd.DataFrame(rows)


def nominal_test(res: Any) -> pd.DataFrame:
    """Likelihood-ratio tests of proportional odds, one term at a time; see
    :meth:`OrdinalResults.nominal_test`."""
    spec = res._spec
    if not spec:
        raise OrdinalModelError("nominal_test needs a fit made by fit_ordinal()")
    rows = [
        {
            "term": "<none>",
            "df": np.nan,
            "loglik": res.llf,
            "aic": res.aic,
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
                r = _refit(res, nominal="~ " + " + ".join(nom))  # keeps the scale terms
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
        df = r.k_params - res.k_params
        lrt = 2.0 * (r.llf - res.llf)
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


def brant_test(res: Any) -> pd.DataFrame:
    """Brant's Wald test of proportional odds; see :meth:`OrdinalResults.brant_test`."""
    m = res.model
    if m.link.name != "logit":
        raise OrdinalModelError("brant_test is defined for the logit link; use nominal_test()")
    if m._Zt is not None:
        raise OrdinalModelError(
            "brant_test applies to proportional-odds fits (without nominal=)"
        )
    if m.k_loc == 0:
        raise OrdinalModelError("brant_test needs at least one predictor")
    return _brant(res)


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


def _brant(res: Any) -> pd.DataFrame:
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


def _refit(res: Any, nominal: str | None, scale: str | None | bool = False):
    """Refit ``res`` on the same rows with other nominal / scale terms (``False``: keep)."""
    s = res._spec
    from analysis.ordinal.model import fit_ordinal

    if scale is False:
        scale = s.get("scale")

    r = fit_ordinal(
        s["formula"],
        data=s["data"],
        link=res.model.link.name,
        weights=None if res.model.weight_kind is None else res.model._w,
        weight_kind=res.model.weight_kind or "survey",
        nominal=nominal,
        cluster=res.model.cluster,
        scale=scale,
        _env=s["env"],
    )
    return r._results


