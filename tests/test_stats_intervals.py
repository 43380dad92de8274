"""Wilson intervals, Kish effective n and Holm against statsmodels / closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis.stats.intervals import effective_n, holm, wilson_ci


@pytest.mark.parametrize("alpha", [0.05, 0.10, 0.01])
def test_wilson_matches_statsmodels(alpha):
    rng = np.random.default_rng(1)
    nobs = rng.integers(1, 400, size=200)
    count = rng.integers(0, nobs + 1)
    lo, hi = wilson_ci(count, nobs, alpha)
    slo, shi = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    np.testing.assert_allclose(lo, slo, atol=1e-12)
    np.testing.assert_allclose(hi, shi, atol=1e-12)


def test_wilson_edges_and_zero_base():
    lo, hi = wilson_ci([0, 7, 3], [7, 7, 0])
    assert lo[0] == 0 and hi[1] == 1
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_effective_n_closed_form():
    # n w^2 ... two weight values a (n1 times), b (n2 times)
    a, b, n1, n2 = 0.5, 2.0, 30, 10
    w = np.r_[np.full(n1, a), np.full(n2, b)]
    expected = (n1 * a + n2 * b) ** 2 / (n1 * a**2 + n2 * b**2)
    assert effective_n(w) == pytest.approx(expected, rel=1e-12)
    assert effective_n(np.full(17, 3.3)) == pytest.approx(17)


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, size=15)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], atol=1e-15)
    with_nan = np.r_[p[:3], np.nan]
    out = holm(with_nan)
    assert np.isnan(out[3])
    np.testing.assert_allclose(out[:3], multipletests(p[:3], method="holm")[1])
