"""The survey's model workflow (analysis.models) and its figures, on generator data with known truth."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import models as M
from analysis.plots.models import odds_ratio_forest, predicted_probability_bars
from analysis.prepare import prepare
from analysis.simulate import simulate_export

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def big_year(tmp_path_factory):
    """A large synthetic 2022 year (battery included) and its true parameters."""
    out = tmp_path_factory.mktemp("sim") / "2022.csv"
    path = simulate_export(2022, 4000, 7, out=out)
    truth = yaml.safe_load(path.with_name("2022.truth.yaml").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = prepare(path, 2022).data
    return data, truth


def test_model_formula() -> None:
    assert M.model_formula("y", ["a", "b"]) == "y ~ a + b"


def test_question_models_recover_the_generator_truth(big_year) -> None:
    df, truth = big_year
    predictors = ["role", "service", "experience"]
    fits = M.fit_question_models(df, predictors=predictors)
    table = M.coefficient_table(fits)
    for outcome in M.MODEL_OUTCOMES:
        true = truth["models"][outcome]["coefficients"]
        rows = table[table["outcome"] == outcome].set_index("term")
        assert set(true) <= set(rows.index)
        for term, value in true.items():
            z = (rows.loc[term, "estimate"] - value) / rows.loc[term, "se"]
            assert abs(z) < 4.5, (outcome, term, rows.loc[term, "estimate"], value)
    stats = M.fit_statistics(fits)
    assert stats["converged"].all() and (stats["max_grad"] < 1e-6).all()


def test_proportional_odds_holds_in_generator_data(big_year) -> None:
    df, _ = big_year
    fits = M.fit_question_models(df, outcomes=["q2_relevance"], predictors=["role", "service"])
    po = M.proportional_odds_table(fits)
    assert set(po["test"]) == {"LR", "Brant"}
    assert {"role", "service"} <= set(po["term"])
    # The generator is a proportional-odds model: no term should fail badly.
    assert (po["p"] > 1e-4).all()
    assert M.failing_terms(po, "q2_relevance", alpha=1e-4) == []


def test_partial_model_nests_the_po_model(big_year) -> None:
    df, _ = big_year
    po = M.fit_question_models(df, outcomes=["q2_relevance"], predictors=["role", "service"])
    partial = M.fit_partial_model(df, "q2_relevance", ["service"], predictors=["role", "service"])
    assert partial.loglik >= po["q2_relevance"].loglik - 1e-8
    lr = partial.lr_test(po["q2_relevance"]).iloc[0]
    # closed form: LR = 2 (l_large - l_small), df = J - 2 = 3 extra threshold-specific effects
    from scipy import stats as sps

    expected = 2 * (partial.loglik - po["q2_relevance"].loglik)
    assert lr["lr"] == pytest.approx(expected, abs=1e-9)
    assert lr["df"] == 3
    assert lr["p"] == pytest.approx(sps.chi2.sf(expected, 3), rel=1e-9)


def test_compare_links_sorted_by_aic(big_year) -> None:
    df, _ = big_year
    out = M.compare_links(df, "q2_relevance", predictors=["role", "service"], links=["logit", "probit"])
    assert list(out["link"]) != [] and out["aic"].is_monotonic_increasing
    assert out["delta_aic"].iloc[0] == 0


def test_predicted_probabilities_sum_to_one(big_year) -> None:
    df, _ = big_year
    predictors = ["role", "service", "experience"]
    fits = M.fit_question_models(df, outcomes=["q2_relevance"], predictors=predictors)
    pred = M.predicted_probabilities(fits["q2_relevance"], df, by=["role", "service"], predictors=predictors)
    sums = pred.groupby(["role", "service"], observed=True)["probability"].sum()
    assert len(sums) == 4 * 2
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert ((pred["ci_low"] <= pred["probability"]) & (pred["probability"] <= pred["ci_high"])).all()
    # directors value soft skills more than operators in the generator: P(top level) higher
    top = pred[pred["level"] == pred["level"].iloc[-1]].set_index(["role", "service"])["probability"]
    assert top[("director", "in_house")] > top[("operator", "in_house")]
    fig = predicted_probability_bars(pred, x="role", facet="service")
    bars = [p for ax in fig.axes for p in ax.patches]
    assert len(bars) == 4 * 2 * 5


def test_battery_long_and_clustered_model(big_year) -> None:
    df, _ = big_year
    long = M.battery_long(df)
    n_items = len([c for c in df.columns if c.startswith("q7_skill_relevance__")])
    assert n_items == 12
    assert len(long) == int(df[[c for c in df.columns if c.startswith("q7_skill_relevance__")]].notna().sum().sum())
    assert isinstance(long["rating"].dtype, pd.CategoricalDtype) and long["rating"].cat.ordered
    res = M.fit_battery_model(long)
    assert res.converged
    # a respondent answers 12 correlated items: clustered SEs of profile terms exceed naive ones
    from analysis.ordinal import fit_ordinal

    data = M.model_frame(long, ["rating", "skill", "role", "service", "experience"])
    plain = fit_ordinal("rating ~ skill + role + service + experience", data=data)
    assert res.coef.loc["role[T.director]", "se"] > plain.coef.loc["role[T.director]", "se"]
    np.testing.assert_allclose(res.coef["estimate"], plain.coef["estimate"], rtol=1e-8, atol=1e-10)


def test_battery_missing_before_2022() -> None:
    df = pd.DataFrame({"respondent_id": ["a"], "role": ["operator"], "service": ["in_house"],
                       "sector": ["other"], "experience": ["lt2"]})
    with pytest.raises(KeyError, match="from 2022"):
        M.battery_long(df)


def test_trend_model_recovers_rising_relevance(tmp_path) -> None:
    frames = []
    for year in (2020, 2021, 2022, 2023):
        path = simulate_export(year, 1500, 100 + year, out=tmp_path / f"{year}.csv")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frames.append(prepare(path, year).data)
    truth = yaml.safe_load((tmp_path / "2023.truth.yaml").read_text(encoding="utf-8"))
    pooled = pd.concat(frames, ignore_index=True)
    res = M.fit_trend_model(pooled, "q2_relevance")
    slope = res.coef.loc["year_c"]
    true_slope = truth["trend"]["per_year"]
    assert slope["estimate"] > 0 and slope["p"] < 0.01
    assert abs(slope["estimate"] - true_slope) < 4 * slope["se"]


def test_forest_plot_draws_one_interval_per_term() -> None:
    coef = pd.DataFrame(
        {
            "outcome": ["a", "a", "b", "b"],
            "term": ["x", "z", "x", "z"],
            "odds_ratio": [1.5, 0.8, 2.0, 1.1],
            "or_low": [1.1, 0.5, 1.2, 0.9],
            "or_high": [2.0, 1.2, 3.0, 1.4],
        }
    )
    fig = odds_ratio_forest(coef, term_labels={"x": "Term X"})
    assert len(fig.axes) == 2
    ticks = fig.axes[0].get_yticks()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert dict(zip(labels, ticks, strict=True)) == {"Term X": 1, "z": 0}  # first term on top
    assert sum(len(ax.lines) >= 1 for ax in fig.axes) == 2


def test_nominal_test_reports_a_term_with_a_diverging_effect() -> None:
    """A level that never answers below the third level: its threshold-specific effects at the
    first thresholds diverge; nominal_test reports the LR at the supremum (as R's nominal_test)
    and names the diverging effects, and still tests the rest."""
    from analysis.ordinal import fit_ordinal

    rng = np.random.default_rng(5)
    n = 400
    group = rng.choice(["a", "b", "c"], size=n, p=[0.47, 0.47, 0.06])
    x = rng.normal(size=n)
    latent = 0.8 * x + rng.logistic(size=n)
    y = np.digitize(latent, [-1.5, 0.0, 1.5]) + 1
    y[group == "c"] = rng.choice([3, 4], size=int((group == "c").sum()))
    data = pd.DataFrame({"y": pd.Categorical(y, ordered=True), "group": group, "x": x})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_ordinal("y ~ group + x", data=data)
        table = res.nominal_test()
    rows = table.set_index("term")
    assert np.isfinite(rows.loc["group", "lrt"]) and rows.loc["group", "df"] == 4
    assert "group[T.c]" in rows.loc["group", "note"] and "supremum" in rows.loc["group", "note"]
    assert np.isfinite(rows.loc["x", "lrt"]) and rows.loc["x", "df"] == 2
    po = M.proportional_odds_table({"y": res})
    assert "note" in po.columns and po["note"].str.contains("diverging").any()


def test_battery_mixed_model_tables(big_year) -> None:
    df, truth = big_year
    long = M.battery_long(df.head(800))  # 800 respondents x 12 skills keep the test quick
    bm = M.battery_mixed_model(long, alpha=0.10)
    res = bm.result
    assert res.converged and bool(bm.fit["converged"].iloc[0])
    # the generator gives each respondent a shared component: a clear respondent effect
    rnd = bm.random.set_index("group").loc["respondent_id"]
    assert rnd["sd"] > 0.5 and not rnd["boundary"]
    assert rnd["icc"] == pytest.approx(rnd["variance"] / (rnd["variance"] + np.pi**2 / 3))
    assert bm.fit["p"].iloc[0] < 1e-10 and bm.fit["n_respondents"].iloc[0] == long["respondent_id"].nunique()
    # skill effects net of leniency = sum-to-zero contrasts: refit with patsy's Sum coding
    from analysis.ordinal import fit_ordinal_mixed

    data = M.model_frame(long, ["rating", "skill", "role", "service", "experience", "respondent_id"])
    alt = fit_ordinal_mixed(
        "rating ~ C(skill, Sum) + role + service + experience + (1 | respondent_id)", data=data
    )
    sk = bm.skills.set_index("skill")
    levels = list(long["skill"].cat.categories)
    for lev in levels[:-1]:
        row = alt.coef.loc[f"C(skill, Sum)[S.{lev}]"]
        assert sk.loc[lev, "effect"] == pytest.approx(row["estimate"], abs=1e-5)
        assert sk.loc[lev, "se"] == pytest.approx(row["se"], abs=1e-5)
    assert sk["effect"].sum() == pytest.approx(0.0, abs=1e-10)
    assert sk["rank"].tolist() == sorted(sk["rank"].tolist())
    z = 1.6448536269514722
    np.testing.assert_allclose(sk["ci_high"], sk["effect"] + z * sk["se"])
    # sensitivity: the cluster-robust fixed-effects fit, unchanged
    robust = M.fit_battery_model(long)
    sens = bm.sensitivity.set_index("term")
    np.testing.assert_allclose(sens["estimate"], robust.coef["estimate"], rtol=1e-10)
    np.testing.assert_allclose(sens["se"], robust.coef["se"], rtol=1e-10)
    assert bm.fixed.attrs["conf_level"] == pytest.approx(0.90)
