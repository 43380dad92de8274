"""Link functions of the cumulative-link models: the latent error distribution F.

``link P(Y <= j) = eta_j``; each link returns, vectorised, the cdf F, the survival function
1 - F (computed directly, for accuracy in the upper tail), the density f and its derivative f',
which is all the Newton solvers (fixed and mixed) need.

Links: ``logit`` (proportional odds), ``probit``, ``cloglog`` (proportional hazards,
F(e) = 1 - exp(-exp(e))), ``loglog`` (F(e) = exp(-exp(-e))) and ``cauchit``, as R's
``ordinal::clm``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

__all__ = ["LINKS", "LATENT_VARIANCE"]

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


def _logit_dd(e: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    return f * ((1.0 - 2.0 * F) ** 2 - 2.0 * f)


def _probit_dd(e: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    return (e * e - 1.0) * f


def _cloglog_dd(e: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    ee = np.exp(np.clip(e, -700.0, 700.0))
    return f * ((1.0 - ee) ** 2 - ee)


def _loglog_dd(e: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    ee = np.exp(-np.clip(e, -700.0, 700.0))
    return f * ((ee - 1.0) ** 2 - ee)


def _cauchit_dd(e: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    q = 1.0 + e * e
    return 2.0 * (3.0 * e * e - 1.0) / (np.pi * q**3)


@dataclass(frozen=True)
class _Link:
    name: str
    evaluate: Callable[[np.ndarray], tuple[np.ndarray, ...]]  # -> cdf, sf, pdf, pdf'
    distr: Any  # the scipy distribution statsmodels' OrderedModel uses for cdf / pdf / ppf
    pdf_dd: Callable[..., np.ndarray] = _logit_dd  # f''(e), given e, F(e), f(e)


LINKS: dict[str, _Link] = {
    "logit": _Link("logit", _logit, stats.logistic, _logit_dd),
    "probit": _Link("probit", _probit, stats.norm, _probit_dd),
    "cloglog": _Link("cloglog", _cloglog, stats.gumbel_l, _cloglog_dd),
    "loglog": _Link("loglog", _loglog, stats.gumbel_r, _loglog_dd),
    "cauchit": _Link("cauchit", _cauchit, stats.cauchy, _cauchit_dd),
}
"""The supported links: name -> (cdf, sf, pdf, pdf') and the matching scipy distribution."""


LATENT_VARIANCE: dict[str, float] = {
    "logit": float(np.pi**2 / 3.0),
    "probit": 1.0,
    "cloglog": float(np.pi**2 / 6.0),
    "loglog": float(np.pi**2 / 6.0),
}
"""Variance of the latent error per link (for intraclass correlations); the Cauchy has none."""
