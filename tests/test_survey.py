"""analysis.survey.SurveyDesign against R's survey 4.1.1 (tests/data/survey/, made by make_ref.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import SurveyUsageError
from analysis.survey import SurveyDesign, proportion_ci

DATA = Path(__file__).parent / "data" / "survey"
REF = json.loads((DATA / "survey_reference.json").read_text())
DESIGNS = {
    "cluster": {"ids": "psu", "strata": "stratum"},
    "weights_only": {},
    "cluster_fpc": {"ids": "psu", "strata": "stratum", "fpc": "fpc"},
}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(DATA / "survey_sample.csv")
    d["likert_f"] = pd.Categorical(d["likert"], categories=[1, 2, 3, 4, 5])
    d["answer"] = pd.Categorical(d["answer"], categories=["yes", "no", "dk"])
    d["service"] = pd.Categorical(d["service"], categories=["in_house", "outsourcing"])
    d["role"] = pd.Categorical(
        d["role"], categories=["operator", "team_leader", "manager", "director"]
    )
    return d


def design(sample, key) -> SurveyDesign:
    return SurveyDesign(sample, weights="w", **DESIGNS[key])


@pytest.mark.parametrize("key", list(DESIGNS))
def test_degf_and_table(sample, key):
    d = design(sample, key)
    ref = REF[key]
    assert d.degf == ref["degf"] and d.n == ref["n"]
    t = d.table("likert_f", "service")
    np.testing.assert_allclose(
        t.to_numpy(), ref["svytable_likert_service"]["counts"], rtol=0, atol=1e-8
    )


@pytest.mark.parametrize("key", list(DESIGNS))
@pytest.mark.parametrize(
    "what,col", [("mean_score", "score"), ("mean_likert", "likert_f"), ("mean_answer", "answer")]
)
def test_svymean(sample, key, what, col):
    d = design(sample, key)
    ref = REF[key][what]
    r = d.mean(col, df=np.inf)
    np.testing.assert_allclose(r["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(r["se"], ref["se"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(r["deff"], ref["deff"], rtol=1e-8)
    np.testing.assert_allclose(r["ci_low"], ref["ci_low"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(r["ci_high"], ref["ci_high"], rtol=0, atol=1e-6)
    t = d.mean(col)  # default: t on the design's degrees of freedom
    np.testing.assert_allclose(t["ci_low"], ref["ci_low_t"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t["ci_high"], ref["ci_high_t"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("key", list(DESIGNS))
@pytest.mark.parametrize("level", ["yes", "dk"])
@pytest.mark.parametrize("method", ["logit", "likelihood", "beta", "mean"])
def test_svyciprop(sample, key, level, method):
    ref = REF[key][f"ciprop_answer_{level}"][method]
    r = design(sample, key).proportion("answer", level, ci=method).iloc[0]
    assert r["estimate"] == pytest.approx(ref["estimate"], abs=1e-8)
    assert r["se"] == pytest.approx(ref["se"], abs=1e-8)
    lo, hi = (
        (ref["exact_root_ci_low"], ref["exact_root_ci_high"])
        if method == "likelihood"
        else (ref["ci_low"], ref["ci_high"])
    )
    # likelihood: R's glm.fit path is replicated, so the exact roots agree to ~1e-12
    tol = 1e-9 if method == "likelihood" else 1e-6
    assert r["ci_low"] == pytest.approx(lo, abs=tol)
    assert r["ci_high"] == pytest.approx(hi, abs=tol)
    if method == "likelihood":  # R's own grid interpolation, looser
        assert r["ci_low"] == pytest.approx(ref["ci_low"], abs=1e-5)
        assert r["ci_high"] == pytest.approx(ref["ci_high"], abs=1e-5)


@pytest.mark.parametrize("key", list(DESIGNS))
@pytest.mark.parametrize("stat", ["F", "Chisq", "adjWald"])
def test_svychisq_likert_service(sample, key, stat):
    ref = REF[key]["chisq_likert_service"][stat]
    r = design(sample, key).chisq("likert_f", "service", statistic=stat).iloc[0]
    assert r["statistic"] == pytest.approx(ref["statistic"], abs=1e-6)
    assert r["p"] == pytest.approx(ref["p"], abs=1e-6)
    par = ref["parameter"]
    if stat == "Chisq":
        assert r["ndf"] == par["df"]
    else:
        assert r["ndf"] == pytest.approx(par["ndf"], abs=1e-6)
        assert r["ddf"] == pytest.approx(par["ddf"], abs=1e-6)


@pytest.mark.parametrize("key", list(DESIGNS))
def test_svychisq_answer_role(sample, key):
    ref = REF[key]["chisq_answer_role_F"]
    r = design(sample, key).chisq("answer", "role").iloc[0]
    assert r["statistic"] == pytest.approx(ref["statistic"], abs=1e-6)
    assert r["ndf"] == pytest.approx(ref["parameter"]["ndf"], abs=1e-6)
    assert r["ddf"] == pytest.approx(ref["parameter"]["ddf"], abs=1e-6)
    assert r["p"] == pytest.approx(ref["p"], abs=1e-6)


def test_subset_is_a_domain(sample):
    """A domain mean equals the ratio estimator on the full design (svyby's domain)."""
    d = design(sample, "cluster")
    dom = (sample["service"] == "outsourcing").to_numpy()
    r = d.subset(dom).mean("score").iloc[0]
    y = sample["score"].to_numpy()
    w = sample["w"].to_numpy()
    z = np.where(dom, w * (y - r["estimate"]), 0) / w[dom].sum()
    assert r["se"] == pytest.approx(np.sqrt(d.variance(z)[0, 0]), rel=1e-12)
    assert r["estimate"] == pytest.approx(np.average(y[dom], weights=w[dom]), rel=1e-12)


def test_lonely_psu(sample):
    one = sample[(sample["stratum"] != "centro") | (sample["psu"] == "CE_01")]
    with pytest.raises(SurveyUsageError, match="only one PSU"):
        SurveyDesign(one, weights="w", ids="psu", strata="stratum").mean("score")
    rem = SurveyDesign(one, weights="w", ids="psu", strata="stratum", lonely_psu="remove")
    avg = SurveyDesign(one, weights="w", ids="psu", strata="stratum", lonely_psu="average")
    v_rem = rem.mean("score")["se"].iloc[0] ** 2
    assert avg.mean("score")["se"].iloc[0] ** 2 == pytest.approx(v_rem * 4 / 3, rel=1e-12)


def test_bad_input_is_a_usage_error(sample):
    with pytest.raises(SurveyUsageError, match="'nope'"):
        SurveyDesign(sample, weights="nope")
    bad = sample.assign(w=sample["w"].where(sample.index != 3))
    with pytest.raises(SurveyUsageError, match="row 3"):
        SurveyDesign(bad, weights="w")


def test_proportion_ci_degenerate():
    lo, hi = proportion_ci(0.0, 0.0, 30, method="logit", n=20)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)


@pytest.mark.parametrize("key", ["cluster", "weights_only"])
def test_svyolr_on_the_design(sample, key):
    from analysis.survey import svyolr

    ref = REF[key]["svyolr_likert"]
    d = sample.assign(
        likert_o=pd.Categorical(sample["likert"], categories=[1, 2, 3, 4, 5], ordered=True)
    )
    des = SurveyDesign(d, weights="w", **DESIGNS[key])
    res = svyolr("likert_o ~ service + role", des)
    est = np.r_[res.coef["estimate"].to_numpy(), res.thresholds["estimate"].to_numpy()]
    se = np.r_[res.coef["se"].to_numpy(), res.thresholds["se"].to_numpy()]
    # svyolr stops BFGS early (README: up to 5.5e-6 from the Newton optimum, clm's)
    np.testing.assert_allclose(est, ref["clm_weighted_estimate"], atol=1e-9)
    np.testing.assert_allclose(est, ref["estimate"], atol=1e-5)
    np.testing.assert_allclose(se, ref["se"], rtol=1e-5)
    assert res.cov_type == des.method
    np.testing.assert_allclose(np.asarray(res.bse), se, rtol=1e-12)


def test_question_models_on_a_design():
    """fit_question_models(weights=design): design-based SEs, rows with missing answers left out."""
    import warnings

    from _prepared_factory import make_prepared

    from analysis.models import fit_question_models
    from analysis.survey import svyolr

    df = make_prepared(2022, n=300, seed=5)
    df["centre"] = np.arange(len(df)) // 10
    df["w"] = np.random.default_rng(1).uniform(0.5, 2, len(df))
    des = SurveyDesign(df, weights="w", ids="centre")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = fit_question_models(df, ["q2_relevance"], ["service"], weights=des)
        plain = fit_question_models(df, ["q2_relevance"], ["service"], weights="w")
    res = fits["q2_relevance"]
    assert res.cov_type == des.method and res.design_degf == 29
    np.testing.assert_allclose(res.params, plain["q2_relevance"].params, rtol=1e-10)
    assert not np.allclose(res.bse, plain["q2_relevance"].bse, rtol=1e-3)
    ok = df[["q2_relevance", "service"]].notna().all(axis=1).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = svyolr("q2_relevance ~ service", des.subset(ok))
    np.testing.assert_allclose(res.bse, direct.bse, rtol=1e-10)


LONELY = json.loads(
    (Path(__file__).parent / "data" / "survey_raked" / "lonely_reference.json").read_text()
)


@pytest.mark.parametrize("option", ["remove", "certainty", "adjust", "average"])
def test_lonely_psu_as_r(option):
    d = pd.read_csv(DATA / "survey_sample.csv")
    d = d[(d["stratum"] != "centro") | (d["psu"] == "CE_01")]
    ref = LONELY[option]
    des = SurveyDesign(d, weights="w", ids="psu", strata="stratum", lonely_psu=option)
    assert des.degf == ref["degf"]
    assert des.mean("score")["se"].iloc[0] == pytest.approx(ref["mean_se"], abs=1e-8)
    t = des.total("score").iloc[0]
    assert t["estimate"] == pytest.approx(ref["total"], rel=1e-12)
    assert t["se"] == pytest.approx(ref["total_se"], rel=1e-10)
    assert t["deff"] == pytest.approx(ref["total_deff"], rel=1e-10)


def test_svytotal_with_fpc_as_r():
    d = pd.read_csv(DATA / "survey_sample.csv")  # answer as text: levels dk, no, yes as in R
    ref = LONELY["fpc_total_answer"]
    t = SurveyDesign(d, weights="w", ids="psu", strata="stratum", fpc="fpc").total("answer")
    assert t["level"].tolist() == ["dk", "no", "yes"]
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(t["deff"], ref["deff"], rtol=1e-10)
