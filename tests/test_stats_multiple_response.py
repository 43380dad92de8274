"""Multiple response: shares on two bases, Cochran's Q, McNemar + Holm, co-occurrence."""

from __future__ import annotations

import numpy as np
import pytest
from _prepared_factory import make_prepared
from statsmodels.stats.contingency_tables import cochrans_q, mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis.codebook import load_codebook
from analysis.errors import SurveyUsageError
from analysis.stats import multiple_response
from analysis.stats.multiple_response import mcnemar_pairs

COLS = load_codebook()["q1_skills"].columns


@pytest.fixture(scope="module")
def df():
    return make_prepared(2022, n=300, seed=8)


def test_shares_on_both_bases(df):
    r = multiple_response(df, "q1_skills", min_cell=0, lang="en")
    t = r.table
    answered = df[COLS].notna().any(axis=1)
    x = df.loc[answered, COLS].astype(bool).to_numpy()
    n = answered.sum()
    np.testing.assert_array_equal(t["n"], x.sum(axis=0))
    np.testing.assert_allclose(t["pct_respondents"], 100 * x.sum(axis=0) / n)
    np.testing.assert_allclose(t["pct_responses"], 100 * x.sum(axis=0) / x.sum())
    assert t["pct_responses"].sum() == pytest.approx(100)
    assert t["pct_respondents"].sum() > 100
    lo, hi = proportion_confint(x.sum(axis=0), n, method="wilson")
    np.testing.assert_allclose(t["ci_low"], 100 * lo, atol=1e-10)
    np.testing.assert_allclose(t["ci_high"], 100 * hi, atol=1e-10)
    assert (t["base_respondents_n"] == n).all() and (t["base_responses_n"] == x.sum()).all()
    assert t["pct_respondents_base"].iloc[0].startswith("respondents")
    assert r.picks["mean_picks"].iloc[0] == pytest.approx(x.sum(axis=1).mean())
    assert t["label"].iloc[0] == "Empathy"


def test_cochran_q_matches_statsmodels(df):
    r = multiple_response(df, "q1_skills", min_cell=0)
    answered = df[COLS].notna().any(axis=1)
    x = df.loc[answered, COLS].astype(bool).to_numpy().astype(int)
    ref = cochrans_q(x)
    c = r.cochran.iloc[0]
    assert c["q"] == pytest.approx(ref.statistic)
    assert c["pvalue"] == pytest.approx(ref.pvalue)
    assert c["dof"] == ref.df


def test_mcnemar_pairs_match_statsmodels():
    rng = np.random.default_rng(1)
    x = rng.random((80, 4)) < [0.6, 0.5, 0.2, 0.55]
    x[:40, 3] = x[:40, 0]  # few discordant pairs for (0, 3): exact branch
    pr = mcnemar_pairs(x, ["a", "b", "c", "d"])
    for _, row in pr.iterrows():
        i, j = "abcd".index(row["option_a"]), "abcd".index(row["option_b"])
        tab = np.array(
            [
                [np.sum(x[:, i] & x[:, j]), np.sum(x[:, i] & ~x[:, j])],
                [np.sum(~x[:, i] & x[:, j]), np.sum(~x[:, i] & ~x[:, j])],
            ]
        )
        exact = tab[0, 1] + tab[1, 0] < 25
        ref = mcnemar(tab, exact=exact, correction=True)
        assert row["pvalue"] == pytest.approx(ref.pvalue), row
        assert row["method"].startswith("McNemar exact" if exact else "McNemar chi-square")
    assert (
        pr["method"].str.contains("exact").any() and pr["method"].str.contains("chi-square").any()
    )
    np.testing.assert_allclose(pr["p_holm"], multipletests(pr["pvalue"], method="holm")[1])


def test_cooccurrence_matrix(df):
    r = multiple_response(df, "q1_skills", min_cell=0)
    co = r.cooccurrence
    answered = df[COLS].notna().any(axis=1)
    x = df.loc[answered, COLS].astype(bool).to_numpy().astype(int)
    m = co.pivot(index="option_a", columns="option_b", values="n")
    codes = [c.split("__")[1] for c in COLS]
    np.testing.assert_array_equal(m.loc[codes, codes].to_numpy(), x.T @ x)
    diag = co[co["option_a"] == co["option_b"]].set_index("option_a")["n"]
    np.testing.assert_array_equal(diag.loc[codes].to_numpy(), x.sum(axis=0))


def test_by_group_and_disclosure():
    d = make_prepared(2022, n=80, seed=3)
    r = multiple_response(d, "q1_skills", by="role")
    t = r.table
    assert set(t["role"]) <= {"operator", "team_leader", "manager", "director"}
    small = (t["n"] > 0) & (t["n"] < 5)
    assert small.any() and t.loc[small, "n_display"].isin(["<5", "x"]).all()
    assert (t.loc[t["suppressed"] != "", "pct_display"] == "").all()
    assert r.disclosure["applied"]
    co = r.cooccurrence
    assert co.loc[(co["n"] > 0) & (co["n"] < 5), "n_display"].eq("<5").all()
    assert len(r.cochran) == t["role"].nunique()


def test_weighted_equal_weights_same_shares(df):
    a = multiple_response(df, "q1_skills", min_cell=0)
    b = multiple_response(df, "q1_skills", weights=np.full(len(df), 3.0), min_cell=0)
    np.testing.assert_allclose(a.table["pct_respondents"], b.table["pct_respondents"])
    assert "Wald" in b.cochran["method"].iloc[0] and b.table["weighting"].notna().all()
    assert b.table["weighted"].all()


def test_not_multiple_choice(df):
    with pytest.raises(SurveyUsageError, match="not a multiple-choice"):
        multiple_response(df, "q2_relevance")
