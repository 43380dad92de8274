"""Raking: worked example, post-stratification closed form, trimming, Kish deff, YAML margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared

from analysis.errors import SurveyUsageError
from analysis.weighting import effective_sample_size, kish_deff, load_margins, rake

MARGINS = {
    "service": {"in_house": 0.55, "outsourcing": 0.45},
    "role": {"operator": 0.70, "team_leader": 0.18, "manager": 0.09, "director": 0.03},
}


@pytest.fixture(scope="module")
def df():
    d = make_prepared(2022, n=400, seed=11)
    return d.dropna(subset=["service", "role"]).reset_index(drop=True)


def test_one_margin_is_post_stratification(df):
    r = rake(df, {"service": MARGINS["service"]})
    share = df["service"].value_counts(normalize=True)
    expected = df["service"].map(lambda s: MARGINS["service"][s] / share[s]).astype(float)
    np.testing.assert_allclose(r.weights.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert r.converged and r.iterations == 1


def test_worked_example_hits_margins(df):
    r = rake(df, MARGINS, tol=1e-12)
    assert r.converged
    w = r.weights
    for var, shares in MARGINS.items():
        got = w.groupby(df[var].astype(str)).sum() / w.sum()
        for code, target in shares.items():
            assert abs(got[code] - target) < 1e-8
    assert w.mean() == pytest.approx(1.0)
    assert r.margins["weighted"].sub(r.margins["target"]).abs().max() < 1e-8


def test_raking_solution_is_multiplicative(df):
    # the IPF fixed point is w = a[service] * b[role] (log-linear model without interaction):
    # log-weights are additive, which is checked by an exact least-squares fit
    r = rake(df, MARGINS)
    x = pd.get_dummies(df[["service", "role"]].astype(str), drop_first=True, dtype=float)
    x.insert(0, "const", 1.0)
    beta, *_ = np.linalg.lstsq(x.to_numpy(), np.log(r.weights.to_numpy()), rcond=None)
    resid = np.log(r.weights.to_numpy()) - x.to_numpy() @ beta
    assert np.abs(resid).max() < 1e-9


def test_classic_two_by_two():
    # sample cells: (a,x)=40 (a,y)=10 (b,x)=20 (b,y)=30; targets A: a .6 b .4, B: x .5 y .5
    rows = [("a", "x")] * 40 + [("a", "y")] * 10 + [("b", "x")] * 20 + [("b", "y")] * 30
    d = pd.DataFrame(rows, columns=["A", "B"])
    r = rake(d, {"A": {"a": 0.6, "b": 0.4}, "B": {"x": 0.5, "y": 0.5}}, tol=1e-14)
    cell = r.weights.groupby([d["A"], d["B"]]).sum() / len(d)
    # closed form for the 2x2 raking: keep the sample odds ratio 40*30/(10*20)=6
    # p_ax = t solves t(t - .6 - .5 + 1) / ((.6 - t)(.5 - t)) = 6 → quadratic
    a, b, c = 1 - 6, -0.1 + 6 * 1.1, -6 * 0.3
    t = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    if not 0 < t < 0.5:
        t = (-b - np.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert cell[("a", "x")] == pytest.approx(t, abs=1e-10)
    assert cell[("a", "y")] == pytest.approx(0.6 - t, abs=1e-10)
    assert cell[("b", "x")] == pytest.approx(0.5 - t, abs=1e-10)


def _two_by_two():
    rows = [("a", "x")] * 40 + [("a", "y")] * 10 + [("b", "x")] * 20 + [("b", "y")] * 30
    return pd.DataFrame(rows, columns=["A", "B"])


def test_trimming_respects_bounds_and_margins():
    d = _two_by_two()
    m = {"A": {"a": 0.6, "b": 0.4}, "B": {"x": 0.4, "y": 0.6}}
    free = rake(d, m)
    assert free.weights.max() > 2.6
    r = rake(d, m, trim=(0.2, 2.5))
    assert r.converged and r.trim_bounds_met and r.max_error < 1e-8
    # by hand: w_ay at the bound 2.5, then 40 w_ax + 10 * 2.5 = 60, 40 w_ax + 20 w_bx = 40,
    # 10 * 2.5 + 30 w_by = 60
    cell = r.weights.groupby([d["A"], d["B"]]).first()
    assert cell[("a", "y")] == pytest.approx(2.5)
    assert cell[("a", "x")] == pytest.approx(35 / 40)
    assert cell[("b", "x")] == pytest.approx(5 / 20)
    assert cell[("b", "y")] == pytest.approx(35 / 30)
    assert r.trimmed == 10
    assert r.deff < free.deff


def test_infeasible_trimming_is_reported():
    d = _two_by_two()
    m = {"A": {"a": 0.6, "b": 0.4}, "B": {"x": 0.4, "y": 0.6}}
    r = rake(d, m, trim=(0.3, 2.5), max_iter=50, max_trim_rounds=2)
    assert not r.converged and r.trim_bounds_met
    assert r.max_error > 1e-3


def test_kish_closed_form():
    w = np.r_[np.full(30, 0.5), np.full(10, 2.5)]
    cv2 = w.var() / w.mean() ** 2
    assert kish_deff(w) == pytest.approx(1 + cv2)
    assert effective_sample_size(w) == pytest.approx(len(w) / (1 + cv2))
    r = rake(pd.DataFrame({"g": ["a"] * 30 + ["b"] * 10}), {"g": {"a": 0.3, "b": 0.7}})
    assert r.deff == pytest.approx(kish_deff(r.weights))
    assert r.n_eff == pytest.approx(40 / r.deff)
    s = r.summary()
    assert list(s.columns[:6]) == ["n", "converged", "iterations", "max_error", "deff", "n_eff"]


def test_load_margins_yaml(tmp_path, df):
    p = tmp_path / "m.yaml"
    p.write_text(
        "source: test census\nmargins:\n  service: {in_house: 55, outsourcing: 45}\n"
        "  role: {operator: 70, team_leader: 18, manager: 9, director: 3}\n",
        encoding="utf-8",
    )
    m = load_margins(p)
    assert m["margins"]["service"]["in_house"] == pytest.approx(0.55)
    r = rake(df, p)
    assert r.source == "test census"
    ref = rake(df, MARGINS)
    np.testing.assert_allclose(r.weights, ref.weights)


def test_bad_input_messages(tmp_path, df):
    with pytest.raises(SurveyUsageError, match="not a column"):
        rake(df, {"nope": {"a": 1}})
    with pytest.raises(SurveyUsageError, match="without a population share"):
        rake(df, {"service": {"in_house": 1.0}})
    with pytest.raises(SurveyUsageError, match="no respondent"):
        rake(df, {"service": {"in_house": 0.5, "outsourcing": 0.4, "mars": 0.1}})
    d = df.copy()
    d.loc[3, "service"] = None
    with pytest.raises(SurveyUsageError, match="missing for 1 respondent"):
        rake(d, {"service": MARGINS["service"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text("margins:\n  service: {in_house: lots}\n", encoding="utf-8")
    with pytest.raises(SurveyUsageError, match="bad.yaml.*not a number"):
        load_margins(bad)
    with pytest.raises(SurveyUsageError, match="not found"):
        load_margins(tmp_path / "missing.yaml")
