"""Location-scale cumulative-link models (``fit_ordinal(..., scale=)``) against R's ``clm``.

Reference: tests/data/scale/scale_reference.json (R 4.2.2, ordinal 2022.11-16; made by
tests/data/scale/make_ref.R on scale_survey.csv; see the README beside them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.numdiff import approx_fprime, approx_hess

from analysis.ordinal import OrdinalModel, OrdinalModelError, fit_ordinal

DATA = Path(__file__).parent / "data" / "scale"
REF = json.loads((DATA / "scale_reference.json").read_text())
CASES = {
    "scale_service_logit": ("relevance ~ role + service", {"scale": "~ service"}),
    "scale_service_probit": ("relevance ~ role + service", {"scale": "~ service", "link": "probit"}),
    "scale_role_logit": ("relevance ~ role + service", {"scale": "~ role"}),
    "nominal_service_scale_role_logit": (
        "relevance ~ role", {"scale": "~ role", "nominal": "~ service"}
    ),
}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    d = pd.read_csv(DATA / "scale_survey.csv")
    d["relevance"] = pd.Categorical(d["relevance"], categories=[1, 2, 3, 4, 5], ordered=True)
    d["service"] = pd.Categorical(d["service"], categories=["in_house", "outsourcing"])
    d["role"] = pd.Categorical(d["role"], categories=["operator", "team_leader", "manager", "director"])
    return d


@pytest.mark.parametrize("case", list(CASES))
def test_scale_models_match_clm(survey, case):
    formula, kw = CASES[case]
    res = fit_ordinal(formula, data=survey, **kw)
    ref = REF[case]
    th = res.thresholds
    if "nominal" in kw:
        th = pd.concat([th, res.nominal_effects.drop(columns=["threshold", "variable"])])
    np.testing.assert_allclose(th["estimate"], ref["thresholds"]["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(th["se"], ref["thresholds"]["se"], rtol=0, atol=1e-6)
    assert list(res.coef.index) == ref["location"]["patsy_names"]
    np.testing.assert_allclose(res.coef["estimate"], ref["location"]["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.coef["se"], ref["location"]["se"], rtol=0, atol=1e-6)
    sc = res.scale_effects
    assert list(sc.index) == ref["scale"]["patsy_names"]
    np.testing.assert_allclose(sc["estimate"], ref["scale"]["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(sc["se"], ref["scale"]["se"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(sc["exp_estimate"], ref["scale"]["exp_estimate"], rtol=1e-6)
    # z and p of the scale rows of coef(summary(m))
    n_sc = len(ref["scale"]["estimate"])
    np.testing.assert_allclose(sc["z"], ref["all"]["z"][-n_sc:], rtol=1e-6)
    np.testing.assert_allclose(sc["p"], ref["all"]["p"][-n_sc:], rtol=1e-5, atol=1e-12)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-6)
    assert res.bic == pytest.approx(ref["bic"], abs=1e-6)
    assert res.k_params == ref["df"] and res.nobs == ref["nobs"]
    assert res.converged and res.max_grad < 1e-6
    assert res.cond_hessian == pytest.approx(ref["cond_H"], rel=1e-5)


def test_lr_test_of_the_scale_effect(survey):
    ref = REF["lr_scale_service_vs_none"]
    base = fit_ordinal("relevance ~ role + service", data=survey)
    sc = fit_ordinal("relevance ~ role + service", data=survey, scale="~ service")
    assert base.loglik == pytest.approx(ref["loglik_without_scale"], abs=1e-6)
    t = sc.lr_test(base).iloc[0]
    assert t["lr"] == pytest.approx(ref["lr"], abs=1e-6)
    assert t["df"] == ref["df"]
    assert t["p"] == pytest.approx(ref["p"], rel=1e-5)


def test_scale_test_matches_r(survey):
    ref = REF["scale_test_logit"]
    t = fit_ordinal("relevance ~ role + service", data=survey).scale_test().set_index("term")
    assert list(t.index[1:]) == ref["term"]
    np.testing.assert_allclose(t.loc[ref["term"], "df"], ref["df"])
    np.testing.assert_allclose(t.loc[ref["term"], "loglik"], ref["loglik"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.loc[ref["term"], "lrt"], ref["lrt"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.loc[ref["term"], "p"], ref["p"], rtol=1e-5)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
def test_analytic_score_and_hessian_with_scale(survey, link):
    model = OrdinalModel.from_formula(
        "relevance ~ role + experience", survey, scale="~ service + experience",
        nominal="~ service", link=link,
    )
    rng = np.random.default_rng(3)
    x = np.asarray(model.start_params) + rng.normal(0, 0.05, model.k_params)
    x[-2:] = [0.2, -0.01]
    np.testing.assert_allclose(model.score(x), approx_fprime(x, model.loglike, centered=True),
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(model.hessian(x), approx_hess(x, model.loglike), rtol=1e-4, atol=1e-2)
    so = model.score_obs(x)
    np.testing.assert_allclose(so.sum(axis=0), model.score(x), rtol=1e-10, atol=1e-8)


def test_scale_predictions_and_limits(survey):
    res = fit_ordinal("relevance ~ role + service", data=survey, scale="~ service")
    new = survey.head(3)
    p = res.predict_proba(new)
    th = res.thresholds["estimate"].to_numpy()
    row = new.iloc[0]
    xb = sum(res.coef.loc[f"{v}[T.{row[v]}]", "estimate"] for v in ("role", "service")
             if f"{v}[T.{row[v]}]" in res.coef.index)
    sd = np.exp(res.scale_effects["estimate"].iloc[0] * (row["service"] == "outsourcing"))
    cum1 = 1 / (1 + np.exp(-(th[0] - xb) / sd))
    assert p.iloc[0, 0] == pytest.approx(cum1, abs=1e-12)
    np.testing.assert_allclose(p.to_numpy(), res.predict_proba().loc[new.index].to_numpy(), atol=1e-12)
    with pytest.raises(OrdinalModelError, match="not available for a model with scale"):
        res.marginal_effects()
    with pytest.raises(OrdinalModelError, match="not available for a model with scale"):
        res.predict_proba(new, se=True)
    with pytest.raises(OrdinalModelError, match="scale terms"):
        fit_ordinal("relevance ~ role", data=survey, scale="~ nope")
    # the survey-weighted and clustered SEs use the scale model's scores
    w = fit_ordinal("relevance ~ role + service", data=survey, scale="~ service",
                    cluster="respondent_id")
    assert w.cov_type == "cluster" and np.all(np.isfinite(w.bse))
