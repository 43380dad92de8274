"""Cross-tabs: chi-square, Cramér's V, Fisher and the Monte Carlo exact test against independent values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared
from scipy import stats

from analysis.stats.crosstab import association_test, crosstab, monte_carlo_chi2
from analysis.survey import SurveyDesign


def _frame(table, rname="r", cname="c"):
    rows = []
    for i, line in enumerate(table):
        for j, k in enumerate(line):
            rows += [(f"r{i}", f"c{j}")] * int(k)
    return pd.DataFrame(rows, columns=[rname, cname])


def test_chi_square_and_cramers_v_match_scipy():
    df = make_prepared(2022, n=500, seed=5)
    r = crosstab(df, "role", "q3_soft_vs_hard", min_cell=0)
    t = r.test.iloc[0]
    n = r.table.pivot(index="row", columns="col", values="n").to_numpy()
    n = n[n.sum(axis=1) > 0][:, n.sum(axis=0) > 0]
    chi2, p, dof, exp = stats.chi2_contingency(n, correction=False)
    assert t["statistic"] == pytest.approx(chi2)
    assert t["chi2_pvalue"] == pytest.approx(p)
    assert t["dof"] == dof
    assert t["cramers_v"] == pytest.approx(stats.contingency.association(n, method="cramer"))
    assert t["expected_min"] == pytest.approx(exp.min())
    assert t["method"] == "Pearson chi-square" and t["rule_ok"]
    assert t["weighted"] == False  # noqa: E712
    # row percentages sum to 100 within each row
    sums = r.table.groupby("row", observed=True)["row_pct"].sum()
    np.testing.assert_allclose(sums.dropna(), 100)


def test_fisher_for_sparse_two_by_two():
    table = [[8, 2], [1, 5]]
    r = crosstab(_frame(table), "r", "c", min_cell=0)
    t = r.test.iloc[0]
    assert not t["rule_ok"]
    assert t["method"].startswith("Fisher")
    assert t["pvalue"] == pytest.approx(stats.fisher_exact(table).pvalue)


def _exact_pearson_p(table):
    """Exact conditional p-value of Pearson X2 by enumerating every table with the margins."""
    table = np.asarray(table)
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n = table.sum()

    def x2(t):
        e = np.outer(rows, cols) / n
        return ((t - e) ** 2 / e).sum()

    obs = x2(table)
    const = (
        sum(math.lgamma(v + 1) for v in rows)
        + sum(math.lgamma(v + 1) for v in cols)
        - math.lgamma(n + 1)
    )
    p = 0.0
    r, c = table.shape
    free = [range(min(rows[i], cols[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for vals in itertools.product(*free):
        t = np.zeros((r, c), dtype=int)
        t[: r - 1, : c - 1] = np.array(vals).reshape(r - 1, c - 1)
        t[: r - 1, c - 1] = rows[: r - 1] - t[: r - 1, : c - 1].sum(axis=1)
        t[r - 1, :] = cols - t[: r - 1, :].sum(axis=0)
        if (t < 0).any() or t[r - 1].sum() != rows[r - 1]:
            continue
        if x2(t) >= obs - 1e-9:
            p += math.exp(const - sum(math.lgamma(v + 1) for v in t.ravel()))
    return p


def test_monte_carlo_against_exact_enumeration():
    table = np.array([[3, 1, 0], [1, 2, 6]])
    exact = _exact_pearson_p(table)
    b = 20_000
    mc = monte_carlo_chi2(table, b, seed=7)
    se = math.sqrt(exact * (1 - exact) / b)
    assert abs(mc - exact) < 4 * se + 1 / b
    r = crosstab(_frame(table), "r", "c", min_cell=0, n_resamples=b, seed=7)
    t = r.test.iloc[0]
    assert t["method"].startswith("Monte Carlo") and t["n_resamples"] == b
    assert t["pvalue"] == pytest.approx(mc)
    # seeded: the same seed gives the same p-value
    assert (
        crosstab(_frame(table), "r", "c", min_cell=0, n_resamples=b, seed=7).test["pvalue"].iloc[0]
        == t["pvalue"]
    )


def test_weighted_test_is_rao_scott():
    df = make_prepared(2022, n=400, seed=6)
    rng = np.random.default_rng(2)
    w = rng.uniform(0.3, 3.0, len(df))
    r = crosstab(df, "service", "q4_policies", weights=w, min_cell=0)
    t = r.test.iloc[0]
    ref = SurveyDesign(df, weights=w).chisq("service", "q4_policies").iloc[0]
    assert t["statistic"] == pytest.approx(ref["statistic"], rel=1e-12)
    assert t["pvalue"] == pytest.approx(ref["p"], rel=1e-12)
    assert t["method"].startswith("Rao-Scott") and t["weighting"].startswith("design-based")
    # Pearson's X2 of the weighted table scaled to the respondents (Cramer's V rests on it)
    ok = (df["service"].notna() & df["q4_policies"].notna()).to_numpy()
    est = pd.crosstab(
        df["service"][ok], df["q4_policies"][ok], values=w[ok], aggfunc="sum"
    ).to_numpy()
    chi2, *_ = stats.chi2_contingency(est * ok.sum() / est.sum(), correction=False)
    assert t["pearson"] == pytest.approx(chi2, rel=1e-10)


def test_display_is_protected():
    table = [[2, 30, 40], [25, 3, 35], [30, 40, 50]]
    r = crosstab(_frame(table), "r", "c")
    d = r.display
    # the small cells are hidden; shown as "x" where "<5" would narrow a hidden partner below 5
    assert d.iloc[0, 0] in ("<5", "x") and d.iloc[1, 1] in ("<5", "x")
    assert d.loc["Totale", "Totale"] == "255"
    flat = d.iloc[:3, :3].to_numpy().ravel()
    # every row and column holding a hidden cell holds at least two
    hidden = np.isin(flat, ["<5", "x"]).reshape(3, 3)
    assert all(h.sum() != 1 for h in hidden) and all(h.sum() != 1 for h in hidden.T)
    assert r.disclosure["primary"] + r.disclosure["secondary"] >= 4
    assert (r.table.loc[r.table["suppressed"] != "", "row_pct_display"] == "").all()


def test_no_test_for_single_line():
    assert association_test(np.array([[3, 4, 5]]))["method"].startswith("no test")
