"""Cumulative-link (ordinal regression) models on statsmodels: fixed, nominal, mixed; tests.

A fast, exact engine for the proportional-odds family with what R's ``ordinal`` package
offers: five links, analytic score and Hessian with a Newton solver, partial proportional
odds (``nominal=``), survey / frequency weights, cluster-robust standard errors, the
likelihood-ratio test of proportional odds (``nominal_test``), Brant's Wald test, average
marginal effects and predicted probabilities with delta-method standard errors.

Modules (data flow: a DataFrame and a formula in, tidy DataFrames out):

- :mod:`~analysis.ordinal.links` — the latent distributions (cdf, sf, pdf, pdf');
- :mod:`~analysis.ordinal.design` — formula, outcome, missing values, weights, collinearity;
- :mod:`~analysis.ordinal.model` — :class:`OrdinalModel` and :func:`fit_ordinal` (``clm``);
- :mod:`~analysis.ordinal.results` — :class:`OrdinalResults` (tables, predictions, effects);
- :mod:`~analysis.ordinal.tests` — nominal (LR) and Brant tests of proportional odds;
- :mod:`~analysis.ordinal.mixed` — :func:`fit_ordinal_mixed` (``clmm``: random intercepts,
  Laplace / adaptive Gauss–Hermite), numerics in :mod:`~analysis.ordinal.mixed_core`;
- :mod:`~analysis.ordinal.errors` — errors and warnings.

Sign convention everywhere: ``link P(Y <= j) = theta_j - x'beta`` (a positive ``beta``
moves probability towards the higher levels), as ``clm``, ``polr`` and ``OrderedModel``.
See ``docs/ordinal.md``.

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

from analysis.ordinal.errors import (
    BinarySplitSeparationError,
    OrdinalConvergenceWarning,
    OrdinalModelError,
    OrdinalWarning,
    SeparationWarning,
)
from analysis.ordinal.links import LATENT_VARIANCE, LINKS
from analysis.ordinal.mixed import OrdinalMixedModel, OrdinalMixedResults, fit_ordinal_mixed
from analysis.ordinal.model import OrdinalModel, fit_ordinal
from analysis.ordinal.results import OrdinalResults

__all__ = [
    "LATENT_VARIANCE",
    "LINKS",
    "BinarySplitSeparationError",
    "OrdinalConvergenceWarning",
    "OrdinalMixedModel",
    "OrdinalMixedResults",
    "OrdinalModel",
    "OrdinalModelError",
    "OrdinalResults",
    "OrdinalWarning",
    "SeparationWarning",
    "fit_ordinal",
    "fit_ordinal_mixed",
]
