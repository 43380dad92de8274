"""Frequencies and scale summaries of single-valued questions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from analysis.errors import SurveyUsageError
from analysis.stats import disclosure_note, frequencies, scale_summary
from analysis.stats.intervals import effective_n


@pytest.fixture(scope="module")
def df():
    return make_prepared(2022, n=300, seed=4)


def test_counts_pct_and_dk_apart(df):
    t = frequencies(df, "q2_relevance", min_cell=0, lang="en")
    scale = t[~t["is_dk"]]
    answered = df["q2_relevance"].notna()
    assert scale["n"].sum() == answered.sum()
    assert (scale["base_n"] == answered.sum()).all()
    expected = df["q2_relevance"].value_counts(sort=False).reindex([1, 2, 3, 4, 5]).to_numpy()
    np.testing.assert_array_equal(scale["n"].to_numpy(), expected)
    np.testing.assert_allclose(scale["pct"], 100 * expected / expected.sum())
    lo, hi = proportion_confint(expected, expected.sum(), method="wilson")
    np.testing.assert_allclose(scale["ci_low"], 100 * lo, atol=1e-10)
    np.testing.assert_allclose(scale["ci_high"], 100 * hi, atol=1e-10)
    dk = t[t["is_dk"]].iloc[0]
    assert dk["n"] == df["q2_relevance_dk"].sum()
    assert dk["base_n"] == answered.sum() + df["q2_relevance_dk"].sum()
    assert dk["label"] == "Don't know"
    assert list(scale["label"]) == ["Not at all", "Slightly", "Moderately", "Very", "Extremely"]


def test_by_group_sums_to_total(df):
    t = frequencies(df, "q3_soft_vs_hard", by="service", min_cell=0)
    # respondents without a service type are left out of the by-group table
    tot = frequencies(df[df["service"].notna()], "q3_soft_vs_hard", min_cell=0)
    by_code = t.groupby("code", observed=True)["n"].sum()
    np.testing.assert_array_equal(by_code.reindex(tot["code"]).to_numpy(), tot["n"].to_numpy())
    assert set(t["service"]) == {"in_house", "outsourcing"}
    assert t.columns[0] == "service"


def test_disclosure_on_by_default():
    d = make_prepared(2022, n=60, seed=9)
    t = frequencies(d, "q5_assessment", by="role")
    info = t.attrs["disclosure"]
    assert info["applied"] and info["min_cell"] == 5
    small = (t["n"] > 0) & (t["n"] < 5)
    assert small.any()
    assert (t.loc[small, "n_display"].isin(["<5", "x"])).all()
    assert (t.loc[small, "pct_display"] == "").all()
    assert (t.loc[t["suppressed"] == "secondary", "n_display"] == "x").all()
    # no percentage on a base under 10, bases under 30 flagged
    assert (t.loc[t["base_n"] < 10, "pct_display"] == "").all()
    assert (t["low_base"] == (t["base_n"] < 30)).all()
    assert '"<5"' in disclosure_note(t, "en")
    off = frequencies(d, "q5_assessment", by="role", min_cell=0)
    assert (off["suppressed"] == "").all() and not off.attrs["disclosure"]["applied"]


def test_other_counted_free_text_never_read(df):
    d = df.copy()
    d["q5_assessment_other"] = "Mario Rossi, via Roma 1"
    t = frequencies(d, "q5_assessment", min_cell=0)
    assert "other" in list(t["code"])
    assert t.loc[t["code"] == "other", "n"].iloc[0] == (d["q5_assessment"] == "other").sum()
    assert not t.astype(str).apply(lambda c: c.str.contains("Rossi")).any().any()
    with pytest.raises(SurveyUsageError, match="free text"):
        frequencies(d, "q5_assessment_other")


def test_weighted_shares_and_effective_n(df):
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 2.0, len(df))
    t = frequencies(df, "q4_policies", weights=w, min_cell=0)
    ok = df["q4_policies"].notna().to_numpy()
    yes = (df["q4_policies"] == "yes").to_numpy()
    p = w[ok & yes].sum() / w[ok].sum()
    row = t[t["code"] == "yes"].iloc[0]
    assert row["pct"] == pytest.approx(100 * p)
    neff = effective_n(w[ok])
    assert row["n_eff"] == pytest.approx(neff)
    lo, hi = proportion_confint(p * neff, neff, method="wilson")
    assert row["ci_low"] == pytest.approx(100 * lo)
    assert row["ci_high"] == pytest.approx(100 * hi)
    assert t["weighted"].all()


def test_scale_summary_against_numpy(df):
    s = scale_summary(df, "q6_valued", by="service", min_cell=0)
    for _, row in s.iterrows():
        x = df.loc[df["service"] == row["service"], "q6_valued"].dropna().astype(float).to_numpy()
        assert row["n"] == len(x)
        assert row["mean"] == pytest.approx(x.mean())
        assert row["sd"] == pytest.approx(x.std(ddof=1))
        assert row["median"] == pytest.approx(np.median(x))
        ci = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert row["mean_ci_low"] == pytest.approx(ci[0])
        assert row["mean_ci_high"] == pytest.approx(ci[1])
        k = int((x >= 4).sum())
        assert row["top2_pct"] == pytest.approx(100 * k / len(x))
        lo, hi = proportion_confint(k, len(x), method="wilson")
        assert row["top2_ci_low"] == pytest.approx(100 * lo)
        assert row["top2_ci_high"] == pytest.approx(100 * hi)
        assert row["bottom2_pct"] == pytest.approx(100 * (x <= 2).mean())


def test_median_even_split():
    d = pd.DataFrame(
        {
            "q3_soft_vs_hard": pd.Categorical(
                [2, 2, 4, 4] * 5, categories=[1, 2, 3, 4, 5], ordered=True
            )
        }
    )
    s = scale_summary(d, "q3_soft_vs_hard", min_cell=0)
    assert s["median"].iloc[0] == 3.0


def test_small_base_hides_statistics():
    d = make_prepared(2022, n=8, seed=2)
    s = scale_summary(d, "q3_soft_vs_hard")
    assert s["mean"].isna().all() and s["low_base"].all()
    assert s.attrs["disclosure"]["hidden_pct_bases"] == 1


def test_battery_gives_one_block_per_item(df):
    t = frequencies(df, "q7_skill_relevance", min_cell=0)
    assert t["item"].nunique() == 12
    s = scale_summary(df, "q7_skill_relevance", min_cell=0)
    assert len(s) == 12 and "item" in s.columns
    x = df["q7_skill_relevance__empathy"].astype(float)
    assert s.loc[s["item"] == "empathy", "mean"].iloc[0] == pytest.approx(x.mean())


def test_unordered_question_rejected_for_scale_summary(df):
    with pytest.raises(ValueError, match="not an ordered scale"):
        scale_summary(df, "q5_assessment")
    with pytest.raises(SurveyUsageError, match="not in the data"):
        frequencies(df, "q9_missing")
