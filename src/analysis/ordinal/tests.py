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
    :meth:`OrdinalResults.nominal_test`.

    As R's ``nominal_test``: each location term in turn gets threshold-specific effects and
    the model is refitted on the same rows.  Two irregular refits are handled as ``clm`` does:

    - **aliased columns** (e.g. the cell dummies of an interaction span its main effects):
      the nominal and then location columns that are linear combinations of earlier ones are
      dropped, the df counts the parameters left, and ``note`` names what was dropped;
    - **a diverging threshold-specific effect** (a level of the term with no answers on one
      side of a threshold: separation): the log-likelihood is taken at its supremum (the
      Newton iterations drive the effect to minus or plus infinity and the log-likelihood
      converges), the df counts all parameters as R's ``edf`` does, and ``note`` names the
      diverging effects and gives the p-value with them left out of the df.

    A refit that fails otherwise is reported with NaN and the reason in ``note``.
    """
    spec = res._spec
    if not spec:
        raise OrdinalModelError("nominal_test needs a fit made by fit_ordinal()")
    rows = [
        {"term": "<none>", "df": np.nan, "loglik": res.llf, "aic": res.aic,
         "lrt": np.nan, "p": np.nan, "note": ""}
    ]
    untestable = []
    for term in spec["loc_terms"]:
        nom = spec["nominal_terms"] + [term]
        r = None
        why = ""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OrdinalWarning)
            try:
                r = _refit(res, nominal="~ " + " + ".join(nom))  # keeps the scale terms
            except (OrdinalModelError, np.linalg.LinAlgError) as exc:
                why = str(exc)
        sep = list(getattr(r, "separation", []) or []) if r is not None else []
        usable = r is not None and (r.converged or (sep and r.max_grad <= 1e-6))
        if not usable:
            if r is not None:
                why = (f"refit did not converge (max|gradient| {r.max_grad:.2g})" if not sep
                       else f"diverging {', '.join(sep)} and max|gradient| {r.max_grad:.2g}")
            untestable.append(term)
            rows.append({"term": term, "df": np.nan, "loglik": np.nan, "aic": np.nan,
                         "lrt": np.nan, "p": np.nan, "note": f"not testable: {why}"})
            continue
        df = r.k_params - res.k_params
        lrt = max(0.0, 2.0 * (r.llf - res.llf))
        notes = []
        aliased = r._spec.get("aliased", [])
        if aliased:
            notes.append("aliased, dropped: " + ", ".join(aliased))
        if sep:
            df_id = df - len(sep)
            p_id = stats.chi2.sf(lrt, df_id) if df_id > 0 else np.nan
            notes.append(
                f"diverging (no answers on one side of a threshold): {', '.join(sep)}; "
                f"log-likelihood at its supremum; without them df = {df_id}, p = {p_id:.4g}"
            )
        rows.append({"term": term, "df": df, "loglik": r.llf, "aic": r.aic, "lrt": lrt,
                     "p": stats.chi2.sf(lrt, df) if df > 0 else np.nan, "note": "; ".join(notes)})
    if untestable:
        warnings.warn(
            "nominal_test: no likelihood-ratio test for "
            + ", ".join(repr(t) for t in untestable)
            + " (see the 'note' column for why); reported as NaN",
            OrdinalWarning,
            stacklevel=3,
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


def _separated_dummies(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> list[int]:
    """0/1 columns of ``X`` (no intercept) whose rows with value 1 all lie on one side of ``y``."""
    out = []
    for c in range(X.shape[1]):
        col = X[:, c]
        if not np.all((col == 0.0) | (col == 1.0)):
            continue
        on = (col == 1.0) & (w > 0)
        if on.any() and (np.all(y[on] == 1.0) or np.all(y[on] == 0.0)):
            out.append(c)
    return out


def _brant(res: Any) -> pd.DataFrame:
    """Brant's test; a dummy separated at a split (its rows all on one side of ``Y > j``) is
    left out of that split's logit together with its rows (they are fitted exactly: the
    conditional MLE of the rest as its effect diverges), and its contrasts involving that
    split are dropped: fewer df, named in ``note``."""
    m = res.model
    Xp = m._X
    n = m.endog.shape[0]
    p = m.k_loc
    Jm = m.k_levels - 1
    w = m._w
    names = list(m.exog_names[:p])
    if Jm < 2:
        raise OrdinalModelError("brant_test needs at least three outcome levels")
    fits = []  # per split: kept columns, mask of rows, coefficients, probabilities, inverse info
    for j in range(Jm):
        yj = (m.endog > j).astype(float)
        sep = _separated_dummies(Xp, yj, w)
        mask = np.ones(n, dtype=bool)
        for c in sep:
            mask &= Xp[:, c] != 1.0
        cols = [c for c in range(p) if c not in sep]
        Xj = np.column_stack([np.ones(n), Xp[:, cols]])
        wj = np.where(mask, w, 0.0)
        split = f"Y > {m.labels[j]!s}"
        if np.all(yj[mask] == yj[mask][0]):
            raise BinarySplitSeparationError(
                f"Brant test: after leaving out separated categories, the binary split {split} "
                "has answers on one side only; not testable, use nominal_test() instead"
            )
        b, pi = _irls_logit(Xj, yj, wj, split=split)
        invI = np.linalg.inv(Xj.T @ ((wj * pi * (1 - pi))[:, None] * Xj))
        fits.append({"cols": cols, "sep": sep, "mask": mask, "b": b, "pi": pi, "X": Xj,
                     "invI": invI})
    # stacked slopes and their covariance (Brant 1990, eq. 2.3), rows in both fits only
    index: dict[tuple[int, int], int] = {}
    for j, f in enumerate(fits):
        for c in f["cols"]:
            index[(j, c)] = len(index)
    bstar = np.array([fits[j]["b"][1 + fits[j]["cols"].index(c)] for (j, c) in index])
    V = np.zeros((len(index), len(index)))
    for j in range(Jm):
        for ll in range(j, Jm):
            fj, fl = fits[j], fits[ll]
            if ll == j:
                Vjl = fj["invI"]
            else:
                both = fj["mask"] & fl["mask"]
                Wjl = np.where(both, w * (fl["pi"] - fj["pi"] * fl["pi"]), 0.0)
                Vjl = fj["invI"] @ (fj["X"].T @ (Wjl[:, None] * fl["X"])) @ fl["invI"]
            for a, ca in enumerate(fj["cols"]):
                for bb, cb in enumerate(fl["cols"]):
                    V[index[(j, ca)], index[(ll, cb)]] = Vjl[1 + a, 1 + bb]
                    V[index[(ll, cb)], index[(j, ca)]] = Vjl[1 + a, 1 + bb]
    contrasts: list[tuple[int, np.ndarray]] = []  # (column, row of D)
    dropped: dict[int, list[str]] = {}
    for c in range(p):
        splits = [j for j in range(Jm) if (j, c) in index]
        for j in range(Jm):
            if (j, c) not in index:
                dropped.setdefault(c, []).append(f"Y > {m.labels[j]!s}")
        for j in splits[1:]:
            row = np.zeros(len(index))
            row[index[(splits[0], c)]] = 1.0
            row[index[(j, c)]] = -1.0
            contrasts.append((c, row))

    def wald(cols: list[int]) -> tuple[float, int, str]:
        rows_ = [r for c, r in contrasts if c in cols]
        note = "; ".join(
            f"{names[c]} separated at {', '.join(dropped[c])} (left out there)"
            for c in cols if c in dropped
        )
        if not rows_:
            return np.nan, 0, (note + "; " if note else "") + "no estimable contrast: not testable"
        Ds = np.array(rows_)
        d = Ds @ bstar
        stat = float(d @ np.linalg.solve(Ds @ V @ Ds.T, d))
        return stat, len(rows_), note

    rows = []
    stat, df, note = wald(list(range(p)))
    rows.append({"term": "Omnibus", "chi2": stat, "df": df,
                 "p": stats.chi2.sf(stat, df) if df else np.nan, "note": note})
    groups = res._spec.get("term_columns") if res._spec else None
    if not groups:
        groups = {nm: [i] for i, nm in enumerate(names)}
    for term, cols in groups.items():
        stat, df, note = wald(cols)
        rows.append({"term": term, "chi2": stat, "df": df,
                     "p": stats.chi2.sf(stat, df) if df else np.nan, "note": note})
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
        _drop_aliased=True,
    )
    return r._results


