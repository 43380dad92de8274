"""The weighted path of analysis.stats is design-based: tables against SurveyDesign and R.

R values: tests/data/survey/ (survey 4.1.1 on a stratified cluster sample) and
tests/data/survey_raked/ (the same sample raked with ``rake()``; script and output there).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared

from analysis.stats import crosstab, frequencies, multiple_response, scale_summary, trend
from analysis.stats._design import DesignView
from analysis.stats.trends import design_linear_trend
from analysis.survey import SurveyDesign
from analysis.weighting import rake

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "survey" / "survey_reference.json").read_text())
RAKED = json.loads((DATA / "survey_raked" / "raked_reference.json").read_text())


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(DATA / "survey" / "survey_sample.csv")
    d["likert_f"] = pd.Categorical(d["likert"], categories=[1, 2, 3, 4, 5], ordered=True)
    d["answer"] = pd.Categorical(d["answer"], categories=["yes", "no", "dk"])
    d["service"] = pd.Categorical(d["service"], categories=["in_house", "outsourcing"])
    d["role"] = pd.Categorical(
        d["role"], categories=["operator", "team_leader", "manager", "director"]
    )
    return d


@pytest.fixture(scope="module")
def cluster(sample) -> SurveyDesign:
    return SurveyDesign(sample, weights="w", ids="psu", strata="stratum")


@pytest.fixture(scope="module")
def raked(sample) -> dict[str, SurveyDesign]:
    r = rake(sample, RAKED["margins"], weight_col="w", tol=1e-13)
    return {
        "cluster": r.design(sample, ids="psu", strata="stratum"),
        "weights_only": r.design(sample),
    }


def test_crosstab_is_rao_scott_as_r(sample, cluster):
    t = crosstab(sample, "likert_f", "service", weights=cluster, min_cell=0).test.iloc[0]
    ref = REF["cluster"]["chisq_likert_service"]["F"]
    assert t["statistic"] == pytest.approx(ref["statistic"], abs=1e-6)
    assert t["ndf"] == pytest.approx(ref["parameter"]["ndf"], abs=1e-6)
    assert t["ddf"] == pytest.approx(ref["parameter"]["ddf"], abs=1e-6)
    assert t["pvalue"] == pytest.approx(ref["p"], abs=1e-6)
    assert t["chi2_pvalue"] == pytest.approx(
        REF["cluster"]["chisq_likert_service"]["Chisq"]["p"], abs=1e-6
    )
    assert "Rao-Scott" in t["method"] and "40 clusters" in t["weighting"]
    assert t["n_resamples"] == 0


def test_frequencies_by_group_are_domain_estimates(sample, cluster):
    t = frequencies(sample, "likert_f", by="service", weights=cluster, min_cell=0)
    assert t["weighting"].str.startswith("design-based").all()
    for lv in ("in_house", "outsourcing"):
        dom = cluster.subset((sample["service"] == lv).to_numpy())
        for code in (1, 3, 5):
            row = t[(t["service"] == lv) & (t["code"] == code)].iloc[0]
            ref = dom.proportion("likert_f", code, ci="logit").iloc[0]
            assert row["pct"] == pytest.approx(100 * ref["estimate"], rel=1e-12)
            assert row["se"] == pytest.approx(100 * ref["se"], rel=1e-10)
            assert row["ci_low"] == pytest.approx(100 * ref["ci_low"], rel=1e-10)
            assert row["ci_high"] == pytest.approx(100 * ref["ci_high"], rel=1e-10)


@pytest.mark.parametrize("key", ["cluster", "weights_only"])
def test_raked_design_against_r_rake(sample, raked, key):
    d, ref = raked[key], RAKED[key]
    w = d.weights / d.weights.mean() * np.mean(ref["weights"])
    np.testing.assert_allclose(w, ref["weights"], rtol=1e-9)
    m = d.mean("likert_f")
    np.testing.assert_allclose(m["estimate"], ref["mean_likert"]["estimate"], atol=1e-8)
    np.testing.assert_allclose(m["se"], ref["mean_likert"]["se"], atol=1e-8)
    s = d.mean("score").iloc[0]
    assert s["se"] == pytest.approx(float(np.ravel(ref["mean_score"]["se"])[0]), abs=1e-8)
    p = d.proportion("answer", "yes").iloc[0]
    assert p["se"] == pytest.approx(ref["ciprop_yes_logit"]["se"], abs=1e-8)
    ci = np.ravel(ref["ciprop_yes_logit"]["ci"])
    assert [p["ci_low"], p["ci_high"]] == pytest.approx(list(ci), abs=1e-6)
    for lv in ("in_house", "outsourcing"):
        r = ref[f"mean_likert_service_{lv}"]
        dm = d.subset((sample["service"] == lv).to_numpy()).mean("likert_f")
        np.testing.assert_allclose(dm["se"], r["se"], atol=1e-8)
    for name, (a, b) in {
        "chisq_likert_service_F": ("likert_f", "service"),
        "chisq_answer_role_F": ("answer", "role"),
    }.items():
        c = d.chisq(a, b).iloc[0]
        for k in ("statistic", "ndf", "ddf", "p"):
            assert c[k] == pytest.approx(float(np.ravel(ref[name][k])[0]), abs=1e-6), (name, k)
    # the raked tables: stats goes through the same design
    t = frequencies(sample, "likert_f", by="service", weights=d, min_cell=0)
    for lv in ("in_house", "outsourcing"):
        got = t.loc[t["service"] == lv, "se"].to_numpy() / 100
        np.testing.assert_allclose(got, ref[f"mean_likert_service_{lv}"]["se"], atol=1e-8)
    assert "raked on service, role" in t["weighting"].iloc[0]


def test_raking_lowers_se_of_a_margin(sample, raked):
    """A raked margin is (nearly) fixed: its SE collapses only when calibration is kept."""
    d = raked["weights_only"]
    fixed = SurveyDesign(sample, weights=d.weights)
    se_cal = d.proportion("service", "outsourcing").iloc[0]["se"]
    se_fix = fixed.proportion("service", "outsourcing").iloc[0]["se"]
    assert se_cal < 1e-8 < se_fix


@pytest.mark.parametrize("key,ref", [("cluster", "cluster_unraked_slope"), ("raked", "cluster")])
def test_design_linear_trend_slope_as_svyglm(sample, cluster, raked, key, ref):
    d = cluster if key == "cluster" else raked["cluster"]
    r = RAKED[ref] if key == "cluster" else RAKED["cluster"]["slope_likert_on_role"]
    view = DesignView(sample, d)
    x = sample["role"].cat.codes.to_numpy() + 1.0
    out = design_linear_trend(view, x, sample["likert"].to_numpy(float), np.ones(len(sample), bool))
    assert out["slope"] == pytest.approx(r["estimate"], abs=1e-8)
    assert out["slope_se"] == pytest.approx(r["se"], abs=1e-8)
    assert out["ddf"] == 36


def test_scale_summary_mean_is_svymean(sample, cluster):
    s = scale_summary(sample, "likert_f", weights=cluster, min_cell=0).iloc[0]
    m = cluster.mean("likert").iloc[0]
    assert s["mean"] == pytest.approx(m["estimate"], rel=1e-12)
    assert s["mean_se"] == pytest.approx(m["se"], rel=1e-10)
    assert [s["mean_ci_low"], s["mean_ci_high"]] == pytest.approx(
        [m["ci_low"], m["ci_high"]], rel=1e-10
    )
    top = (
        cluster.proportion("likert", 4).iloc[0]["estimate"]
        + cluster.proportion("likert", 5).iloc[0]["estimate"]
    )
    assert s["top2_pct"] == pytest.approx(100 * top, rel=1e-12)


def test_weight_column_is_a_weights_only_design():
    df = make_prepared(2022, n=300, seed=6)
    w = np.random.default_rng(2).uniform(0.3, 3.0, len(df))
    t = frequencies(df, "q4_policies", weights=w, min_cell=0)
    d = SurveyDesign(df, weights=w)
    row = t[t["code"] == "yes"].iloc[0]
    ref = d.proportion("q4_policies", "yes", ci="logit").iloc[0]
    assert row["pct"] == pytest.approx(100 * ref["estimate"], rel=1e-12)
    assert row["ci_low"] == pytest.approx(100 * ref["ci_low"], rel=1e-10)
    assert row["ci_high"] == pytest.approx(100 * ref["ci_high"], rel=1e-10)
    assert t["weighting"].iloc[0] == d.method + "; logit intervals, Rao-Scott tests"
    ct = crosstab(df, "service", "q4_policies", weights=w, min_cell=0).test.iloc[0]
    assert ct["pvalue"] == pytest.approx(d.chisq("service", "q4_policies").iloc[0]["p"], rel=1e-10)


def test_weighted_mcnemar_and_cochran_closed_form():
    """Equal weights, no clusters: the design-based McNemar is (b-c)^2 / (b+c - (b-c)^2/n) (n-1)/n."""
    df = make_prepared(2022, n=250, seed=9)
    cols = [c for c in df.columns if c.startswith("q1_skills__")]
    df = df[df[cols].notna().any(axis=1)].reset_index(drop=True)  # the domain is everyone
    r = multiple_response(df, "q1_skills", weights=np.full(len(df), 2.0), min_cell=0)
    u = multiple_response(df, "q1_skills", min_cell=0)
    np.testing.assert_allclose(r.table["pct_respondents"], u.table["pct_respondents"], rtol=1e-12)
    pr = r.pairwise.iloc[0]
    n = int(u.picks["respondents"].iloc[0])
    b, c = u.pairwise.iloc[0][["b", "c"]]
    f = (b - c) ** 2 / (b + c - (b - c) ** 2 / n) * (n - 1) / n
    assert pr["statistic"] == pytest.approx(f, rel=1e-10)
    assert pr["b"] == pytest.approx(2 * b)
    from scipy import stats

    assert pr["pvalue"] == pytest.approx(stats.f.sf(f, 1, n - 1), rel=1e-10)
    q = r.cochran.iloc[0]
    assert q["ndf"] == len([o for o in r.table["n"] if o > 0]) - 1
    assert 0 <= q["pvalue"] <= 1 and "Wald" in q["method"]


def test_trend_weighted_is_design_based():
    a = make_prepared(2021, n=150, seed=3)
    b = make_prepared(2022, n=180, seed=4)
    both = pd.concat([a, b], ignore_index=True)
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(both))
    tr = trend(both, "q2_relevance", weights=w, min_cell=0)
    t = tr.test.set_index("test")
    assert "Rao-Scott" in t.loc["year x answer", "method"]
    d = SurveyDesign(both, weights=w, strata="year")  # each year its own sample
    ref = d.chisq("year", "q2_relevance").iloc[0]
    assert "2 strata" in t.loc["year x answer", "weighting"]
    assert t.loc["year x answer", "pvalue"] == pytest.approx(ref["p"], rel=1e-10)
    assert "slope" in t.loc["linear trend", "method"]
    assert tr.table["weighting"].str.startswith("design-based").all()


def test_sample_summary_takes_a_design(sample, cluster):
    from analysis.stats import sample_summary

    s = sample_summary(sample.assign(year=2022), weights=cluster)
    assert s["n_eff"].iloc[0] == pytest.approx(sample["w"].sum() ** 2 / (sample["w"] ** 2).sum())


@pytest.mark.parametrize("key", ["cluster", "weights_only"])
def test_svyolr_on_a_raked_design_as_r(sample, raked, key):
    from analysis.survey import svyolr

    ref = RAKED[key]["svyolr_likert"]
    d = raked[key]
    d.data["likert_o"] = pd.Categorical(sample["likert"], categories=[1, 2, 3, 4, 5], ordered=True)
    res = svyolr("likert_o ~ service + role", d)
    est = np.r_[res.coef["estimate"].to_numpy(), res.thresholds["estimate"].to_numpy()]
    se = np.r_[res.coef["se"].to_numpy(), res.thresholds["se"].to_numpy()]
    # svyolr's BFGS stops up to ~5e-5 from the optimum here; clm (Newton) is the optimum
    np.testing.assert_allclose(est, ref["clm_weighted_estimate"], atol=1e-8)
    np.testing.assert_allclose(est, ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(se, ref["se"], rtol=1e-4)
