"""Trends across comparable years, and the sample note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared
from scipy import stats

from analysis.stats import sample_note, sample_summary, trend


@pytest.fixture(scope="module")
def years():
    return pd.concat(
        [make_prepared(y, n=150, seed=y) for y in (2020, 2021, 2022, 2023)], ignore_index=True
    )


def test_only_comparable_years(years):
    r = trend(years, "q7_skill_relevance__empathy", min_cell=0)
    assert r.years == [2022, 2023] and r.excluded_years == [2020, 2021]
    assert set(r.table["year"]) == {2022, 2023}
    r2 = trend(years, "q2_relevance", min_cell=0)
    assert r2.years == [2020, 2021, 2022, 2023] and r2.excluded_years == []


def test_year_by_answer_chi_square_matches_scipy(years):
    r = trend(years, "q2_relevance", min_cell=0)
    t = r.test.set_index("test")
    ok = years["q2_relevance"].notna()
    tab = pd.crosstab(years.loc[ok, "year"], years.loc[ok, "q2_relevance"]).to_numpy()
    chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    assert t.loc["year x answer", "statistic"] == pytest.approx(chi2)
    assert t.loc["year x answer", "dof"] == dof
    if t.loc["year x answer", "method"] == "Pearson chi-square":
        assert t.loc["year x answer", "pvalue"] == pytest.approx(p)
    # linear-by-linear: (n - 1) r^2 on the scores
    x = years.loc[ok, "year"].astype(float)
    y = years.loc[ok, "q2_relevance"].astype(float)
    rr = stats.pearsonr(x, y).statistic
    assert t.loc["linear trend", "statistic"] == pytest.approx((ok.sum() - 1) * rr**2)
    assert t.loc["linear trend", "pvalue"] == pytest.approx(
        stats.chi2.sf((ok.sum() - 1) * rr**2, 1)
    )


def test_detects_a_real_shift():
    rng = np.random.default_rng(0)
    a = rng.choice([1, 2, 3, 4, 5], 300, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    b = rng.choice([1, 2, 3, 4, 5], 300, p=[0.1, 0.1, 0.2, 0.3, 0.3])
    df = pd.DataFrame(
        {
            "year": [2020] * 300 + [2021] * 300,
            "q3_soft_vs_hard": pd.Categorical(
                np.r_[a, b], categories=[1, 2, 3, 4, 5], ordered=True
            ),
        }
    )
    r = trend(df, "q3_soft_vs_hard", min_cell=0)
    assert (r.test["pvalue"] < 1e-6).all()


def test_single_year_has_no_test():
    r = trend(make_prepared(2022, n=50, seed=1), "q4_policies", min_cell=0)
    assert r.test["method"].iloc[0].startswith("no test")


def test_sample_note_both_languages(years):
    one = years[years["year"] == 2022]
    s = sample_summary(one)
    assert s["n"].iloc[0] == 150
    assert s["first"].iloc[0] == one["submitted_at"].min()
    it = sample_note(one, "it")
    en = sample_note(one, "en")
    first = one["submitted_at"].min()
    assert "150 rispondenti (2022)" in it and f"{first.day} marzo 2022" in it
    assert "auto-selezionato" in it and "non sono margini di errore" in it and "AAPOR" in it
    assert "150 respondents (2022)" in en and "not margins of error" in en and "self-selected" in en
    assert '"<5"' in en
    w = np.r_[np.full(75, 0.5), np.full(75, 1.5)]
    en_w = sample_note(one, "en", weights=w)
    assert "Kish design effect 1.25" in en_w and "effective sample size 120 of 150" in en_w
    assert "Kish 1,25" in sample_note(one, "it", weights=w)
    assert "min_cell=0" in sample_note(one, "en", min_cell=0)
