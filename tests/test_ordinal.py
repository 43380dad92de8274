"""Tests of analysis.ordinal against R (ordinal::clm, MASS::polr, survey::svyolr) and closed forms.

Reference numbers: tests/data/clm_reference.json, copied from R 4.2 output (see its README in
the shared reference folder); data: tests/data/clm_reference_survey.csv.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.numdiff import approx_fprime

from analysis.ordinal import (
    OrdinalModelError,
    fit_ordinal,
)

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "clm_reference.json").read_text())
FORMULA = "relevance ~ service + role + experience"


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    d = pd.read_csv(DATA / "clm_reference_survey.csv")
    d["relevance"] = pd.Categorical(d["relevance"], categories=[1, 2, 3, 4, 5], ordered=True)
    d["service"] = pd.Categorical(d["service"], categories=["in_house", "outsourcing"])
    d["role"] = pd.Categorical(
        d["role"], categories=["operator", "team_leader", "manager", "director"]
    )
    return d


def r_name(name: str) -> str:
    """Map R's coefficient names to patsy's: 'serviceoutsourcing' -> 'service[T.outsourcing]'."""
    for var in ("service", "role"):
        name = re.sub(rf"(^|\.){var}(?!\[)(\w+)$", rf"\1{var}[T.\2]", name)
    return name.replace(".(Intercept)", "")


def all_params(res) -> tuple[pd.Series, pd.Series]:
    est = pd.concat(
        [res.thresholds["estimate"], res.nominal_effects["estimate"], res.coef["estimate"]]
    )
    se = pd.concat([res.thresholds["se"], res.nominal_effects["se"], res.coef["se"]])
    return est, se


@pytest.fixture(scope="module")
def fit_logit(survey):
    return fit_ordinal(FORMULA, data=survey, link="logit")


# ----------------------------------------------------------------------------- R accuracy
@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_clm_estimates_ses_loglik(survey, link):
    res = fit_ordinal(FORMULA, data=survey, link=link)
    ref = REF[f"clm_{link}"]
    names = [r_name(n) for n in ref["names"]]
    est, se = all_params(res)
    np.testing.assert_allclose(est[names].to_numpy(), ref["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(se[names].to_numpy(), ref["se"], rtol=0, atol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-6)
    assert res.bic == pytest.approx(ref["bic"], abs=1e-6)
    assert res.nobs == ref["nobs"]
    assert res.converged and res.max_grad < 1e-8
    assert res.cond_hessian == pytest.approx(ref["cond_H"], rel=1e-6)


def test_names_and_odds_ratios(fit_logit):
    assert list(fit_logit.thresholds.index) == ["1|2", "2|3", "3|4", "4|5"]
    assert list(fit_logit.coef.index) == [
        "service[T.outsourcing]",
        "role[T.team_leader]",
        "role[T.manager]",
        "role[T.director]",
        "experience",
    ]
    c = fit_logit.coef
    np.testing.assert_allclose(c["odds_ratio"], np.exp(c["estimate"]))
    np.testing.assert_allclose(c["or_low"], np.exp(c["estimate"] - 1.959963984540054 * c["se"]))
    # the statsmodels view: params / bse carry the same numbers
    assert fit_logit.params["experience"] == c.loc["experience", "estimate"]
    assert fit_logit.bse["1|2"] == fit_logit.thresholds.loc["1|2", "se"]


def test_polr_cross_check(fit_logit):
    ref = REF["polr_logit"]
    est, se = all_params(fit_logit)
    names = [r_name(n) for n in ref["names"]]
    # polr is fitted by BFGS with a numerical Hessian: agreement to its precision
    np.testing.assert_allclose(est[names].to_numpy(), ref["estimate"], atol=2e-4)
    np.testing.assert_allclose(se[names].to_numpy(), ref["se"], atol=2e-5)
    assert fit_logit.loglik == pytest.approx(ref["loglik"], abs=1e-6)


def test_predicted_probabilities_match_r(fit_logit):
    g = REF["predict_grid"]
    grid = pd.DataFrame({k: g[k] for k in ("service", "role", "experience")})
    pr = fit_logit.predict_proba(grid)
    np.testing.assert_allclose(pr.to_numpy(), np.array(g["prob"]), rtol=0, atol=1e-7)
    np.testing.assert_allclose(pr.sum(axis=1), 1.0, atol=1e-14)
    assert list(pr.columns) == [1, 2, 3, 4, 5]


def test_null_model_and_lr_test(survey, fit_logit):
    null = fit_ordinal("relevance ~ 1", data=survey)
    assert null.loglik == pytest.approx(REF["null_loglik"], abs=1e-6)
    lr = fit_logit.lr_test(null)
    assert lr.loc[0, "lr"] == pytest.approx(REF["lr_test_vs_null"]["lr"], abs=1e-5)
    assert lr.loc[0, "df"] == REF["lr_test_vs_null"]["df"]


def test_nominal_test_matches_r(fit_logit):
    nt = fit_logit.nominal_test()
    ref = REF["nominal_test"]
    body = nt[nt["term"] != "<none>"]
    assert body["term"].tolist() == ref["term"]
    assert body["df"].tolist() == ref["df"]
    np.testing.assert_allclose(body["lrt"], ref["lrt"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(body["loglik"], ref["loglik"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(body["p"], ref["p"], rtol=0, atol=1e-6)


def test_partial_proportional_odds_matches_r(survey, fit_logit):
    res = fit_ordinal("relevance ~ role + experience", data=survey, nominal="~ service")
    ref = REF["clm_partial_service"]
    names = [r_name(n) for n in ref["names"]]
    est, se = all_params(res)
    assert sorted(est.index) == sorted(names)
    np.testing.assert_allclose(est[names].to_numpy(), ref["estimate"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(se[names].to_numpy(), ref["se"], rtol=0, atol=1e-5)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-5)
    lr = res.lr_test(fit_logit)
    assert lr.loc[0, "lr"] == pytest.approx(REF["lr_partial_vs_po"]["lr"], abs=1e-5)
    assert lr.loc[0, "df"] == REF["lr_partial_vs_po"]["df"]
    # a nominal term listed in the formula too is dropped from the location part (as clm)
    both = fit_ordinal(FORMULA, data=survey, nominal="~ service")
    assert both.loglik == pytest.approx(res.loglik, abs=1e-9)
    # predictions of the partial model sum to one and use the nominal design
    pr = res.predict_proba(survey.head(7))
    np.testing.assert_allclose(pr.sum(axis=1), 1.0, atol=1e-14)
    np.testing.assert_allclose(pr.to_numpy(), res.predict_proba().head(7).to_numpy(), atol=1e-14)


# ----------------------------------------------------------------------------- weights, clusters
def test_frequency_weights_match_clm(survey):
    res = fit_ordinal(FORMULA, data=survey, weights="weight", weight_kind="frequency")
    ref = REF["clm_logit_weighted"]
    names = [r_name(n) for n in ref["names"]]
    est, se = all_params(res)
    np.testing.assert_allclose(est[names].to_numpy(), ref["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(se[names].to_numpy(), ref["se"], rtol=0, atol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)
    assert res.nobs == pytest.approx(ref["nobs"], abs=1e-9)
    assert res.bic == pytest.approx(ref["bic"], abs=1e-5)


def test_integer_frequency_weights_equal_expanded_data(survey):
    d = survey.iloc[:200].copy()
    d["w"] = np.arange(200) % 3 + 1
    res = fit_ordinal(FORMULA, data=d, weights="w", weight_kind="frequency")
    big = d.loc[d.index.repeat(d["w"])].reset_index(drop=True)
    ref = fit_ordinal(FORMULA, data=big)
    np.testing.assert_allclose(res.params, ref.params, atol=1e-9)
    np.testing.assert_allclose(res.bse, ref.bse, atol=1e-9)
    assert res.loglik == pytest.approx(ref.loglik, abs=1e-8)
    assert res.nobs == len(big)


def test_survey_weights_point_estimates_and_svyolr_ses(survey):
    res = fit_ordinal(FORMULA, data=survey, weights="weight")  # weight_kind="survey"
    est, se = all_params(res)
    ref_w = REF["clm_logit_weighted"]
    names_w = [r_name(n) for n in ref_w["names"]]
    np.testing.assert_allclose(est[names_w].to_numpy(), ref_w["estimate"], rtol=0, atol=1e-6)
    ref = REF["svyolr_logit"]
    names = [r_name(n) for n in ref["names"]]
    got = se[names].to_numpy()
    want = np.asarray(ref["se"])
    # svyolr's optimum (BFGS) and Hessian (finite differences) are looser than ours; all
    # slopes and thresholds agree within 1e-4 except the rarest cut-point 1|2, where
    # svyolr's own estimate is 0.003 off the exact weighted MLE (clm agrees with us).
    thr12 = names.index("1|2")
    mask = np.arange(len(names)) != thr12
    np.testing.assert_allclose(got[mask], want[mask], rtol=0, atol=1e-4)
    assert abs(got[thr12] - want[thr12]) < 1e-3
    assert res.cov_type.startswith("survey")
    # the sandwich with svyolr's n/(n-1) correction at svyolr's own estimates: within 3e-4
    m = res.model
    x = np.empty(m.k_params)
    x[[list(m.exog_names).index(n) for n in names]] = ref["estimate"]
    bread = np.linalg.inv(-m.hessian(x))
    u = m.score_obs(x)
    u = u - u.mean(axis=0)
    n = u.shape[0]
    v = bread @ (u.T @ u * n / (n - 1)) @ bread
    at_r = np.sqrt(np.diag(v))[[list(m.exog_names).index(nm) for nm in names]]
    np.testing.assert_allclose(at_r, want, rtol=0, atol=2.5e-4)


def test_survey_ses_equal_numerical_sandwich(survey):
    """Design-based SEs = H^-1 (n/(n-1) sum u u') H^-1 with u by numerical differentiation."""
    res = fit_ordinal(FORMULA, data=survey, weights="weight")
    m = res.model
    x = np.asarray(res.params)
    u = approx_fprime(x, m.loglikeobs, centered=True)
    np.testing.assert_allclose(u, m.score_obs(x), atol=1e-6)
    h = approx_fprime(x, m.score, centered=True)
    bread = np.linalg.inv(-(h + h.T) / 2)
    n = u.shape[0]
    v = bread @ (u.T @ u * n / (n - 1)) @ bread
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(v)), atol=1e-6)


def test_cluster_robust_ses(survey):
    d = survey.copy()
    d["cluster"] = np.arange(len(d)) // 4  # 150 clusters of 4 rows
    res = fit_ordinal(FORMULA, data=d, cluster="cluster")
    m = res.model
    x = np.asarray(res.params)
    u = approx_fprime(x, m.loglikeobs, centered=True)
    uc = pd.DataFrame(u).groupby(d["cluster"].to_numpy()).sum().to_numpy()
    g = uc.shape[0]
    h = approx_fprime(x, m.score, centered=True)
    bread = np.linalg.inv(-(h + h.T) / 2)
    v = bread @ (uc.T @ uc * g / (g - 1)) @ bread
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(v)), atol=1e-6)
    assert res.cov_type == "cluster" and res.n_clusters == 150
    # point estimates are those of the unclustered fit
    np.testing.assert_allclose(res.params, fit_ordinal(FORMULA, data=d).params, atol=1e-10)
    # one row per cluster with survey weights = svyolr-type linearisation
    a = fit_ordinal(FORMULA, data=d, weights="weight", cluster=np.arange(len(d)))
    b = fit_ordinal(FORMULA, data=d, weights="weight")
    np.testing.assert_allclose(a.bse, b.bse, atol=1e-12)


# ----------------------------------------------------------------------------- analytic derivatives
@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
@pytest.mark.parametrize("nominal", [None, "~ service"])
def test_analytic_score_and_hessian(survey, link, nominal):
    res = fit_ordinal(FORMULA, data=survey, link=link, nominal=nominal, weights="weight")
    m = res.model
    x = np.asarray(res.params) + 0.05  # away from the optimum
    g_num = approx_fprime(x, m.loglike, centered=True)
    np.testing.assert_allclose(m.score(x), g_num, rtol=1e-6, atol=1e-5)
    h_num = approx_fprime(x, m.score, centered=True)
    np.testing.assert_allclose(m.hessian(x), h_num, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(m.score_obs(x).sum(axis=0), m.score(x), atol=1e-9)
    assert res.converged


def test_loglog_is_reversed_cloglog(survey):
    d = survey.copy()
    d["rev"] = pd.Categorical(
        6 - d["relevance"].astype(int), categories=[1, 2, 3, 4, 5], ordered=True
    )
    a = fit_ordinal(FORMULA, data=d, link="loglog")
    b = fit_ordinal(FORMULA.replace("relevance", "rev"), data=d, link="cloglog")
    np.testing.assert_allclose(a.coef["estimate"], -b.coef["estimate"], atol=1e-8)
    np.testing.assert_allclose(
        a.thresholds["estimate"], -b.thresholds["estimate"].to_numpy()[::-1], atol=1e-8
    )
    np.testing.assert_allclose(a.coef["se"], b.coef["se"], atol=1e-8)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)


@pytest.mark.parametrize("link", ["probit", "cauchit"])
def test_statsmodels_ordered_model_agrees(survey, link):
    from scipy import stats
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    res = fit_ordinal(FORMULA, data=survey, link=link)
    distr = "probit" if link == "probit" else stats.cauchy
    sm = OrderedModel.from_formula(FORMULA, survey, distr=distr).fit(
        method="bfgs", disp=False, maxiter=5000, gtol=1e-9
    )
    cut = sm.model.transform_threshold_params(np.asarray(sm.params))[1:-1]
    np.testing.assert_allclose(res.thresholds["estimate"], cut, atol=1e-4)
    np.testing.assert_allclose(res.coef["estimate"], sm.params.iloc[:5], atol=1e-4)
    assert res.loglik >= sm.llf - 1e-9


# ----------------------------------------------------------------------------- predictions, effects
def test_prediction_ses_delta_method(fit_logit, survey):
    new = survey.head(5)
    long = fit_logit.predict_proba(new, se=True)
    m = fit_logit.model
    x0 = np.asarray(fit_logit.params)
    X = np.asarray(fit_logit._results._designs(new)[0])

    def probs(par):
        return m.predict(par, exog=X).ravel()

    jac = approx_fprime(x0, probs, centered=True)
    v = np.asarray(fit_logit.cov_params())
    se = np.sqrt(np.einsum("ik,kl,il->i", jac, v, jac))
    np.testing.assert_allclose(long["se"].to_numpy(), se, atol=1e-7)
    np.testing.assert_allclose(long["prob"].to_numpy(), probs(x0), atol=1e-14)
    assert set(long.columns) >= {"row", "level", "prob", "se", "ci_low", "ci_high"}


def test_predict_missing_rows_are_nan(fit_logit, survey):
    new = survey.head(3).copy()
    new["experience"] = [1.0, np.nan, 3.0]
    pr = fit_logit.predict_proba(new)
    assert pr.iloc[1].isna().all()
    np.testing.assert_allclose(pr.iloc[[0, 2]].sum(axis=1), 1.0)


def test_marginal_effects(fit_logit, survey):
    me = fit_logit.marginal_effects()
    # AMEs of a term sum to zero over the levels
    np.testing.assert_allclose(me.groupby("term")["ame"].sum(), 0.0, atol=1e-12)
    # continuous: average derivative = finite difference of the mean predicted probability
    h = 1e-5
    up, dn = survey.copy(), survey.copy()
    up["experience"] += h
    dn["experience"] -= h
    fd = (fit_logit.predict_proba(up).mean() - fit_logit.predict_proba(dn).mean()) / (2 * h)
    got = me[me["term"] == "experience"].set_index("level")["ame"]
    np.testing.assert_allclose(got.to_numpy(), fd.to_numpy(), atol=1e-8)
    # dummy: average discrete change from the reference level
    a, b = survey.copy(), survey.copy()
    a["role"] = pd.Categorical(["manager"] * len(a), categories=survey["role"].cat.categories)
    b["role"] = pd.Categorical(["operator"] * len(b), categories=survey["role"].cat.categories)
    dc = fit_logit.predict_proba(a).mean() - fit_logit.predict_proba(b).mean()
    got = me[me["term"] == "role[T.manager]"].set_index("level")["ame"]
    np.testing.assert_allclose(got.to_numpy(), dc.to_numpy(), atol=1e-12)
    # delta-method SEs agree with simulation from the sampling distribution
    rng = np.random.default_rng(7)
    draws = rng.multivariate_normal(
        np.asarray(fit_logit.params), np.asarray(fit_logit.cov_params()), 4000
    )
    m = fit_logit.model
    X = m._X
    sims = []
    for par in draws:
        p = m.predict(par, exog=X)
        beta = par[: m.k_loc]
        cum = np.cumsum(p, axis=1)[:, :-1]
        dens = cum * (1 - cum)  # logistic pdf at the cut-points
        d = -beta[4] * np.diff(np.column_stack([np.zeros(len(p)), dens, np.zeros(len(p))]), axis=1)
        sims.append(d.mean(axis=0))
    sim_se = np.std(np.array(sims), axis=0, ddof=1)
    got_se = me[me["term"] == "experience"]["se"].to_numpy()
    np.testing.assert_allclose(got_se, sim_se, rtol=0.06)


def test_brant_test(fit_logit, survey):
    import statsmodels.api as sm

    bt = fit_logit.brant_test()
    assert bt["term"].tolist() == ["Omnibus", "service", "role", "experience"]
    assert bt["df"].tolist() == [15, 3, 9, 3]
    # independent computation: statsmodels Logit fits + Brant's (1990) covariance
    X = np.column_stack([np.ones(len(survey)), fit_logit.model._X])
    y = fit_logit.model.endog
    fits = [sm.Logit((y > j).astype(float), X).fit(disp=False, tol=1e-12) for j in range(4)]
    pis = [f.predict() for f in fits]
    inv = [np.asarray(f.cov_params()) for f in fits]
    p = X.shape[1] - 1
    V = np.zeros((4 * p, 4 * p))
    for j in range(4):
        for k in range(4):
            lo, hi = min(j, k), max(j, k)
            wjk = pis[hi] - pis[lo] * pis[hi]
            blk = inv[j] @ (X.T * wjk) @ X @ inv[k]
            V[j * p : (j + 1) * p, k * p : (k + 1) * p] = blk[1:, 1:]
    b = np.concatenate([np.asarray(f.params)[1:] for f in fits])
    D = np.hstack([np.tile(np.eye(p), (3, 1)), -np.kron(np.eye(3), np.eye(p))])
    d = D @ b
    omnibus = d @ np.linalg.solve(D @ V @ D.T, d)
    assert bt.loc[0, "chi2"] == pytest.approx(omnibus, rel=1e-7)
    # on this data (generated with a non-proportional service effect on 1|2) Brant and the
    # LR test agree in direction
    assert bt.set_index("term").loc["service", "chi2"] == pytest.approx(4.0, abs=1.5)


def test_brant_detects_non_proportional_odds():
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    u = rng.logistic(size=n)
    # slope differs across thresholds: strong violation
    cuts = np.column_stack([-1.0 - 0.2 * x, 0.0 - 1.0 * x, 1.0 - 1.8 * x])
    y = (u[:, None] > cuts).sum(axis=1)
    d = pd.DataFrame({"x": x, "y": y})
    r = fit_ordinal("y ~ x", data=d)
    assert r.brant_test().loc[0, "p"] < 1e-6
    assert r.nominal_test().set_index("term").loc["x", "p"] < 1e-6
    # data that satisfy proportional odds: no rejection
    y2 = (u[:, None] > np.column_stack([-1.0, 0.0, 1.0]) - x[:, None]).sum(axis=1)
    r2 = fit_ordinal("y ~ x", data=pd.DataFrame({"x": x, "y": y2}))
    assert r2.brant_test().loc[0, "p"] > 1e-3


def test_summary_is_readable(fit_logit):
    text = str(fit_logit.summary())
    for part in ("logit", "service[T.outsourcing]", "1|2", "Converged", "-792.3253"):
        assert part in text


# ----------------------------------------------------------------------------- recovery
@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_parameter_recovery(seed, link):
    from analysis.ordinal import LINKS

    rng = np.random.default_rng(seed)
    n = 4000
    g = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n)
    beta = {"g[T.b]": 0.5, "g[T.c]": -0.4, "x": 0.8}
    theta = np.array([-1.2, 0.1, 1.3])
    eta = beta["g[T.b]"] * (g == "b") + beta["g[T.c]"] * (g == "c") + beta["x"] * x
    latent = eta + LINKS[link].distr.rvs(size=n, random_state=rng)
    y = np.searchsorted(theta, latent)  # P(y <= j) = F(theta_j - eta)
    d = pd.DataFrame(
        {"g": g, "x": x, "y": pd.Categorical(y, categories=[0, 1, 2, 3], ordered=True)}
    )
    res = fit_ordinal("y ~ g + x", data=d, link=link)
    z_b = (res.coef["estimate"] - pd.Series(beta)) / res.coef["se"]
    z_t = (res.thresholds["estimate"].to_numpy() - theta) / res.thresholds["se"].to_numpy()
    assert np.all(np.abs(z_b) < 4.0) and np.all(np.abs(z_t) < 4.0)


# ----------------------------------------------------------------------------- edge cases
def test_unused_top_and_bottom_levels_dropped_with_warning(survey):
    d = survey[survey["relevance"].astype(int) < 5].copy()  # top level 5 unused, still a category
    with pytest.warns(UserWarning, match=r"level\(s\) 5 chosen by nobody"):
        res = fit_ordinal(FORMULA, data=d)
    assert list(res.thresholds.index) == ["1|2", "2|3", "3|4"]
    assert res.dropped_levels == [5] and res.converged
    assert np.isfinite(res.loglik)
    d2 = survey[survey["relevance"].astype(int) > 1].copy()
    with pytest.warns(UserWarning, match=r"level\(s\) 1 chosen by nobody"):
        res2 = fit_ordinal(FORMULA, data=d2)
    assert list(res2.thresholds.index) == ["2|3", "3|4", "4|5"]
    assert np.isfinite(res2.loglik) and res2.converged


def test_fewer_than_two_levels(survey):
    d = survey.copy()
    d["relevance"] = pd.Categorical([3] * len(d), categories=[1, 2, 3, 4, 5], ordered=True)
    with pytest.raises(OrdinalModelError, match="fewer than two observed levels"):
        with pytest.warns(UserWarning):
            fit_ordinal(FORMULA, data=d)


def test_separation_warns_and_is_not_converged():
    rng = np.random.default_rng(5)
    n = 300
    g = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    y = rng.integers(0, 3, n)
    y[g == "b"] = 3  # group b always answers the top level: quasi-complete separation
    d = pd.DataFrame({"g": g, "x": x, "y": y})
    with pytest.warns(UserWarning, match=r"separation.*'g\[T\.b\]'"):
        res = fit_ordinal("y ~ g + x", data=d)
    assert res.converged is False
    assert res.separation == ["g[T.b]"]
    with pytest.warns(UserWarning, match=r"separation.*'g\[T\.b\]'"):
        res_p = fit_ordinal("y ~ g + x", data=d, link="probit")
    assert res_p.converged is False


def test_collinear_predictors_named(survey):
    d = survey.copy()
    d["exp2"] = 2 * d["experience"] + 1
    with pytest.raises(OrdinalModelError, match=r"collinear predictors: 'exp2'.*'experience'"):
        fit_ordinal("relevance ~ service + experience + exp2", data=d)
    d["const"] = 1.0
    with pytest.raises(OrdinalModelError, match=r"'const' constant"):
        fit_ordinal("relevance ~ service + const", data=d)


def test_missing_values_dropped_listwise_with_count(survey):
    d = survey.copy()
    d.loc[[0, 5], "experience"] = np.nan
    d.loc[[9], "relevance"] = np.nan
    with pytest.warns(UserWarning, match=r"dropped 3 of 600 rows.*'experience': 2"):
        res = fit_ordinal(FORMULA, data=d)
    assert res.n_dropped == 3 and res.nobs == 597
    ref = fit_ordinal(FORMULA, data=survey.drop(index=[0, 5, 9]))
    np.testing.assert_allclose(res.params, ref.params, atol=1e-10)


def test_fewer_observations_than_parameters(survey):
    d = pd.DataFrame(
        {
            "y": [1, 2, 3, 1],
            "x1": [0.1, 0.5, 0.2, 0.9],
            "x2": [1.0, 0.0, 3.0, 2.0],
            "x3": [5.0, 1.0, 2.0, 2.5],
        }
    )
    with pytest.raises(OrdinalModelError, match=r"too few observations: 4 rows for 5 parameters"):
        fit_ordinal("y ~ x1 + x2 + x3", data=d)


def test_text_outcome_asks_for_ordered_category(survey):
    d = survey.copy()
    d["relevance"] = d["relevance"].astype(str)
    with pytest.raises(OrdinalModelError, match="ordered category"):
        fit_ordinal(FORMULA, data=d)
    d["relevance"] = pd.Categorical(d["relevance"])
    with pytest.raises(OrdinalModelError, match="unordered category"):
        fit_ordinal(FORMULA, data=d)


def test_integer_outcome_equals_categorical(survey, fit_logit):
    d = survey.copy()
    d["relevance"] = d["relevance"].astype(int)
    res = fit_ordinal(FORMULA, data=d)
    np.testing.assert_allclose(res.params, fit_logit.params, atol=1e-12)


def test_non_convergence_is_loud(survey):
    with pytest.warns(UserWarning, match="did NOT converge"):
        res = fit_ordinal(FORMULA, data=survey, maxiter=1)
    assert res.converged is False


def test_bad_inputs(survey):
    d = survey.copy()
    d["w"] = 1.0
    d.loc[7, "w"] = -1.0
    with pytest.raises(OrdinalModelError, match="row 7 has weight -1.0"):
        fit_ordinal(FORMULA, data=d, weights="w")
    with pytest.raises(OrdinalModelError, match="unknown link 'logistic'"):
        fit_ordinal(FORMULA, data=survey, link="logistic")
    with pytest.raises(OrdinalModelError, match="outcome column 'nope' not found"):
        fit_ordinal("nope ~ service", data=survey)
    with pytest.raises(OrdinalModelError, match="cannot build the predictors"):
        fit_ordinal("relevance ~ nothere", data=survey)
    with pytest.raises(OrdinalModelError, match="weight_kind"):
        fit_ordinal(FORMULA, data=survey, weights="weight", weight_kind="analytic")
    with pytest.raises(OrdinalModelError, match="brant_test is defined for the logit link"):
        fit_ordinal(FORMULA, data=survey, link="probit").brant_test()


def test_unused_middle_level_dropped_and_labels_kept(survey):
    d = survey[survey["relevance"].astype(int) != 3].copy()
    with pytest.warns(UserWarning, match=r"level\(s\) 3 chosen by nobody"):
        res = fit_ordinal(FORMULA, data=d)
    assert list(res.thresholds.index) == ["1|2", "2|4", "4|5"]
    assert list(res.predict_proba(d.head(2)).columns) == [1, 2, 4, 5]
    d["relevance"] = d["relevance"].cat.rename_categories(["none", "low", "mid", "high", "top"])
    with pytest.warns(UserWarning, match="'mid'"):
        res2 = fit_ordinal(FORMULA, data=d)
    assert list(res2.thresholds.index) == ["none|low", "low|high", "high|top"]
    np.testing.assert_allclose(res2.params, res.params, atol=1e-12)


# ----------------------------------------------------------------------------- confidence level
Z90 = 1.6448536269514722  # standard normal 0.95 quantile (closed form, tables)


def test_alpha_sets_every_interval(survey):
    res = fit_ordinal(FORMULA, data=survey, alpha=0.10)
    assert res.alpha == 0.10
    for tab in (res.coef, res.thresholds):
        assert tab.attrs["conf_level"] == pytest.approx(0.90)
        np.testing.assert_allclose(tab["ci_low"], tab["estimate"] - Z90 * tab["se"], rtol=1e-12)
        np.testing.assert_allclose(tab["ci_high"], tab["estimate"] + Z90 * tab["se"], rtol=1e-12)
    np.testing.assert_allclose(res.coef["or_high"], np.exp(res.coef["ci_high"]), rtol=1e-12)
    new = survey.head(3)
    pp = res.predict_proba(new, se=True)
    inner = (pp["prob"] - Z90 * pp["se"] > 0) & (pp["prob"] + Z90 * pp["se"] < 1)
    np.testing.assert_allclose(
        pp.loc[inner, "ci_high"], (pp["prob"] + Z90 * pp["se"])[inner], rtol=1e-12
    )
    me = res.marginal_effects()
    np.testing.assert_allclose(me["ci_low"], me["ame"] - Z90 * me["se"], rtol=1e-12)
    assert "Confidence level:" in str(res.summary()) and "0.9" in str(res.summary())
    # a method's alpha overrides the fit's; the default fit stays at 95%
    t99 = res.conf_table(alpha=0.01)
    assert t99.attrs["conf_level"] == pytest.approx(0.99)
    q99 = 2.5758293035489004
    np.testing.assert_allclose(t99["ci_low"], t99["estimate"] - q99 * t99["se"], rtol=1e-12)
    me95 = res.marginal_effects(alpha=0.05)
    np.testing.assert_allclose(me95["ci_high"], me95["ame"] + 1.959963984540054 * me95["se"])
    assert fit_ordinal(FORMULA, data=survey).coef.attrs["conf_level"] == pytest.approx(0.95)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, "x"])
def test_bad_alpha_is_refused(survey, alpha):
    with pytest.raises(OrdinalModelError, match="alpha must"):
        fit_ordinal(FORMULA, data=survey, alpha=alpha)


# ----------------------------------------------------------------------------- irregular PO tests
NOMREF = json.loads((DATA / "nominal" / "nominal_reference.json").read_text())


@pytest.fixture(scope="module")
def nominal_survey() -> pd.DataFrame:
    d = pd.read_csv(DATA / "nominal" / "nominal_survey.csv")
    d["role"] = pd.Categorical(d["role"], categories=["operator", "team_leader", "manager", "director"])
    d["service"] = pd.Categorical(d["service"], categories=["in_house", "outsourcing"])
    d["region"] = pd.Categorical(d["region"], categories=["north", "centre", "south"])
    d["y"] = pd.Categorical(d["y"], categories=[1, 2, 3, 4, 5], ordered=True)
    return d


@pytest.mark.parametrize(
    ("key", "formula"),
    [("model_role", "y ~ role + service + x"), ("model_interaction", "y ~ service * region + x")],
)
def test_nominal_test_matches_r_with_diverging_and_aliased_effects(nominal_survey, key, formula):
    """R's nominal_test (tests/data/nominal/make_ref.R): a diverging threshold-specific effect
    (no manager answered 1; clm: code 1, LR at the supremum, full df) and aliased columns
    (the cell dummies of service:region span the location columns: clm drops them, fewer df)."""
    ref = NOMREF[key]
    res = fit_ordinal(formula, data=nominal_survey)
    t = res.nominal_test().set_index("term")
    assert t.loc["<none>", "loglik"] == pytest.approx(ref["loglik_none"], abs=1e-6)
    terms = ref["term"]
    np.testing.assert_allclose(t.loc[terms, "df"], ref["df"])
    np.testing.assert_allclose(t.loc[terms, "loglik"], ref["loglik"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.loc[terms, "lrt"], ref["lrt"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(t.loc[terms, "p"], ref["p"], rtol=1e-4)
    if key == "model_role":
        assert NOMREF["refit_role"]["convergence"] == 1  # R: parameters not uniquely determined
        note = t.loc["role", "note"]
        assert "1|2.role[T.manager]" in note and "supremum" in note and "df = 8" in note
    else:
        note = t.loc["service:region", "note"]
        assert note.startswith("aliased, dropped: ") and "service[T.outsourcing]" in note
        assert NOMREF["refit_interaction"]["edf"] == res.k_params + 15


def test_brant_leaves_out_a_separated_category(nominal_survey):
    res = fit_ordinal("y ~ role + service + x", data=nominal_survey)
    t = res.brant_test().set_index("term")
    # 3 thresholds compared pairwise: 3 contrasts per column; role[T.manager] is separated at
    # Y > 1 (no manager answered 1), so its contrasts use the other 3 splits: 2, not 3
    assert t.loc["role", "df"] == 3 * 3 - 1
    assert t.loc["service", "df"] == 3 and t.loc["x", "df"] == 3
    assert t.loc["Omnibus", "df"] == 5 * 3 - 1
    assert "role[T.manager] separated at Y > 1" in t.loc["role", "note"]
    assert t.loc["service", "note"] == ""
    assert np.all(np.isfinite(t["chi2"])) and np.all((t["p"] > 0) & (t["p"] < 1))
    # without the managers nothing is separated: the full 3 contrasts per role column
    no_mgr = nominal_survey[nominal_survey["role"] != "manager"].copy()
    no_mgr["role"] = no_mgr["role"].cat.remove_unused_categories()
    t2 = fit_ordinal("y ~ role + service + x", data=no_mgr).brant_test().set_index("term")
    assert t2.loc["role", "df"] == 2 * 3 and t2.loc["role", "note"] == ""


def test_brant_with_separation_equals_statsmodels_computation(nominal_survey):
    """Independent computation of the reduced Brant omnibus: statsmodels Logit per split, the
    split Y > 1 without the manager column and the managers' rows, Brant's covariance on the
    rows shared by two splits, contrasts of each column against its first estimable split."""
    import statsmodels.api as sm

    res = fit_ordinal("y ~ role + service + x", data=nominal_survey)
    X = np.column_stack([np.ones(res.model.endog.shape[0]), res.model._X])
    y = res.model.endog
    names = list(res.model.exog_names[: res.model.k_loc])
    mgr = names.index("role[T.manager]") + 1
    fits, cols, masks = [], [], []
    for j in range(4):
        keep_cols = [c for c in range(X.shape[1]) if not (j == 0 and c == mgr)]
        mask = np.ones(len(y), bool) if j else X[:, mgr] != 1
        f = sm.Logit((y[mask] > j).astype(float), X[mask][:, keep_cols]).fit(disp=False, tol=1e-12)
        pi = np.zeros(len(y))
        pi[mask] = f.predict()
        fits.append(f)
        cols.append(keep_cols)
        masks.append(mask)
    idx = {(j, c): k for k, (j, c) in enumerate((j, c) for j in range(4) for c in cols[j] if c)}
    b = np.array([np.asarray(fits[j].params)[cols[j].index(c)] for (j, c) in idx])
    V = np.zeros((len(idx), len(idx)))
    for j in range(4):
        for k in range(4):
            lo, hi = min(j, k), max(j, k)
            both = masks[j] & masks[k]
            Xj, Xk = X[both][:, cols[j]], X[both][:, cols[k]]
            pj = fits[j].predict(X[both][:, cols[j]])
            pk = fits[k].predict(X[both][:, cols[k]])
            phi, plo = (pk, pj) if k > j else (pj, pk)
            wjk = phi - plo * phi if lo != hi else pj * (1 - pj)
            Ij = np.linalg.inv(np.asarray(fits[j].cov_params()))
            Ik = np.linalg.inv(np.asarray(fits[k].cov_params()))
            blk = (np.linalg.inv(Ij) @ (Xj.T * wjk) @ Xk @ np.linalg.inv(Ik)) if j != k else np.asarray(fits[j].cov_params())
            for a, ca in enumerate(cols[j]):
                for bb, cb in enumerate(cols[k]):
                    if ca and cb:
                        V[idx[(j, ca)], idx[(k, cb)]] = blk[a, bb]
    D = []
    for c in range(1, X.shape[1]):
        splits = [j for j in range(4) if (j, c) in idx]
        for j in splits[1:]:
            row = np.zeros(len(idx))
            row[idx[(splits[0], c)]], row[idx[(j, c)]] = 1.0, -1.0
            D.append(row)
    D = np.array(D)
    d = D @ b
    omnibus = d @ np.linalg.solve(D @ V @ D.T, d)
    bt = res.brant_test().set_index("term")
    assert bt.loc["Omnibus", "df"] == len(D)
    assert bt.loc["Omnibus", "chi2"] == pytest.approx(omnibus, rel=1e-7)


def test_results_keep_only_the_columns_the_model_uses(survey):
    d = survey.assign(comment="free text a reader must never receive")
    res = fit_ordinal("relevance ~ service + role", data=d)
    kept = res._results._spec["data"]
    assert "comment" not in kept.columns and "experience" not in kept.columns
    assert {"relevance", "service", "role"} <= set(kept.columns)
    assert res.nominal_test()["lrt"].notna().sum() == 2  # refits still work
