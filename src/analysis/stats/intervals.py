"""Confidence intervals for proportions and effective sample sizes.

Examples
--------
>>> from analysis.stats.intervals import wilson_ci
>>> lo, hi = wilson_ci(12, 40)
>>> round(float(lo), 4), round(float(hi), 4)
(0.1807, 0.4543)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["wilson_ci", "effective_n", "holm", "newcombe_diff"]


def wilson_ci(
    count: ArrayLike, nobs: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``count / nobs``.

    ``count`` and ``nobs`` may be non-integer (weighted share times the Kish effective
    sample size). Where ``nobs`` is 0 the bounds are NaN.

    Parameters
    ----------
    count, nobs : array_like
        Successes and trials (broadcast together).
    alpha : float
        1 - confidence level.

    Returns
    -------
    (low, high) : tuple of ndarray

    Examples
    --------
    >>> lo, hi = wilson_ci([0, 5], [10, 5])
    >>> [round(float(x), 4) for x in lo], [round(float(x), 4) for x in hi]
    ([0.0, 0.5655], [0.2775, 1.0])
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    z = stats.norm.isf(alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / nobs
        denom = 1 + z**2 / nobs
        centre = (p + z**2 / (2 * nobs)) / denom
        half = z * np.sqrt(p * (1 - p) / nobs + z**2 / (4 * nobs**2)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
        lo = np.where(count <= 0, 0.0, lo)
        hi = np.where(count >= nobs, 1.0, hi)
    bad = ~(nobs > 0)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    return lo, hi


def effective_n(weights: ArrayLike) -> float:
    """Kish effective sample size ``(sum w)^2 / sum w^2`` (``n`` for equal weights).

    Examples
    --------
    >>> effective_n([1, 1, 1, 1])
    4.0
    >>> round(effective_n([1, 3]), 4)
    1.6
    """
    w = np.asarray(weights, dtype=float)
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN entries left out and kept as NaN).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def newcombe_diff(
    p1: ArrayLike, low1: ArrayLike, high1: ArrayLike, p2: ArrayLike, low2: ArrayLike, high2: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of two independent proportions with Newcombe's hybrid score interval.

    Method 10 of Newcombe (1998): from the Wilson interval ``(l_i, u_i)`` of each proportion,
    ``d = p1 - p2``, ``L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)``,
    ``U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``. Works on any scale (proportions or %) and
    with weighted Wilson intervals (computed on the Kish effective n).

    Returns
    -------
    (diff, low, high) : tuple of ndarray

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine*, 17, 873-890.

    Examples
    --------
    Newcombe's example 56/70 against 48/80 (Table II, method 10: 0.0524 to 0.3339):

    >>> l1, u1 = wilson_ci(56, 70); l2, u2 = wilson_ci(48, 80)
    >>> d, lo, hi = newcombe_diff(0.8, l1, u1, 0.6, l2, u2)
    >>> round(float(d), 4), round(float(lo), 4), round(float(hi), 4)
    (0.2, 0.0524, 0.3339)
    """
    p1, l1, u1, p2, l2, u2 = (np.asarray(x, dtype=float) for x in (p1, low1, high1, p2, low2, high2))
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi
