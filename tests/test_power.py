"""analysis.power against R's Hmisc 4.8.0 (tests/data/power/) and against its own simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import SurveyUsageError
from analysis.ordinal import fit_ordinal
from analysis.power import (
    detectable_odds_ratio,
    detectable_odds_ratio_table,
    ordinal_power,
    ordinal_sample_size,
    simulate_power,
)

DATA = Path(__file__).parent / "data" / "power"
REF = json.loads((DATA / "power_reference.json").read_text())
EXTRA = dict(
    (line.split()[0], float(line.split()[1]))
    for line in (DATA / "extra_ref.txt").read_text().splitlines()
    if line and not line.startswith("Hmisc")
)
P = [0.05, 0.15, 0.3, 0.35, 0.15]


def test_popower_reference():
    r = ordinal_power(P, 1.5, n=200)
    assert r.power == pytest.approx(REF["popower"]["power"], abs=1e-6)
    assert r.eff == pytest.approx(REF["popower"]["eff"], abs=1e-6)
    assert r.approx_se == pytest.approx(REF["popower"]["approx_se"], abs=1e-6)


def test_posamsize_reference():
    r = ordinal_sample_size(P, 1.5, power=0.8)
    assert r.n == pytest.approx(REF["posamsize"]["n"], abs=1e-6)
    assert r.eff == pytest.approx(REF["posamsize"]["eff"], abs=1e-6)
    # the README's note: the two formulas are not exact inverses
    assert ordinal_power(P, 1.5, n=620.529781264).power == pytest.approx(0.798735661305, abs=1e-9)
    assert ordinal_power(P, 1.5, n=621).power == pytest.approx(0.799034250027, abs=1e-9)


def test_extra_hmisc_values():
    assert ordinal_power(P, 1.5, n1=80, n2=120).power == pytest.approx(
        EXTRA["popower_n1_80_n2_120"], abs=1e-9
    )
    assert ordinal_power(P, 1 / 1.5, n=200).power == pytest.approx(
        EXTRA["popower_or_inverse"], abs=1e-9
    )
    # a design effect of 1.7 is the information of n / 1.7 respondents
    assert ordinal_power(P, 1.5, n=200, deff=1.7).power == pytest.approx(
        EXTRA["popower_n_200_deff_1.7"], abs=1e-9
    )
    r = ordinal_sample_size([0.2, 0.3, 0.5], 2, power=0.9, fraction=0.3, alpha=0.01)
    assert r.n == pytest.approx(EXTRA["posamsize_f03_a01_p09"], abs=1e-6)
    assert ordinal_sample_size([0.2, 0.3, 0.5], 2, deff=1.5).n == pytest.approx(
        1.5 * EXTRA["posamsize_3levels"], abs=1e-6
    )


@pytest.mark.parametrize("n,frac,deff", [(163, 0.5, 1.0), (400, 0.35, 1.4)])
def test_detectable_odds_ratio_inverts_popower(n, frac, deff):
    orr = detectable_odds_ratio(P, n, fraction=frac, deff=deff)
    r = ordinal_power(P, orr, n1=frac * n, n2=(1 - frac) * n, deff=deff)
    assert r.power == pytest.approx(0.8, abs=1e-12)
    assert ordinal_power(
        P, 1 / orr, n1=frac * n, n2=(1 - frac) * n, deff=deff
    ).power == pytest.approx(0.8, abs=1e-12)


def test_detectable_table_current_and_larger():
    rng = np.random.default_rng(1)
    d = pd.DataFrame(
        {
            "q": pd.Categorical(
                rng.choice([1, 2, 3, 4, 5], 160, p=P), categories=[1, 2, 3, 4, 5], ordered=True
            ),
            "service": pd.Categorical(
                rng.choice(["in_house", "outsourcing"], 160), categories=["in_house", "outsourcing"]
            ),
        }
    )
    d.loc[:4, "q"] = None  # don't know: left out
    t = detectable_odds_ratio_table(d, "q", ns=[400])
    assert t["n"].tolist() == [155, 400] and t["is_current"].tolist() == [True, False]
    probs = d["q"].value_counts(normalize=True).sort_index().to_numpy()
    frac = float((d["service"][d["q"].notna()] == "in_house").mean())
    assert t["odds_ratio"].iloc[1] == pytest.approx(
        detectable_odds_ratio(probs, 400, fraction=frac), rel=1e-12
    )
    assert t["odds_ratio"].iloc[0] > t["odds_ratio"].iloc[1] > 1


def test_bad_input():
    with pytest.raises(SurveyUsageError, match="sum to 1"):
        ordinal_power([0.5, 0.6], 1.5, n=100)
    with pytest.raises(SurveyUsageError, match="odds ratio"):
        ordinal_power(P, -1, n=100)
    with pytest.raises(SurveyUsageError, match="n1 and n2"):
        ordinal_power(P, 1.5)


@pytest.mark.slow
def test_simulation_agrees_with_whitehead_within_mc_error():
    """Simulated power of a wave of 300 at OR 1.8 vs the formula, within 3 MC standard errors."""
    rng = np.random.default_rng(7)
    n = 400
    service = rng.choice(["in_house", "outsourcing"], n)
    eta = 0.3 * (service == "outsourcing")
    y = np.digitize(eta + rng.logistic(size=n), [-2.5, -1.2, 0.3, 1.9])
    d = pd.DataFrame(
        {
            "q": pd.Categorical.from_codes(y, [1, 2, 3, 4, 5], ordered=True),
            "service": pd.Categorical(service, categories=["in_house", "outsourcing"]),
        }
    )
    res = fit_ordinal("q ~ service", data=d)
    sim = simulate_power(
        res,
        d,
        group="service",
        level="outsourcing",
        odds_ratio=1.8,
        n=300,
        n_sims=400,
        seed=11,
        formula="q ~ service",
    )
    # Whitehead's formula with the marginal distribution the simulated waves have
    probs = res.predict_proba(d).to_numpy()
    shift = np.log(1.8) - float(res.coef.loc["service[T.outsourcing]", "estimate"])
    from scipy.special import expit, logit

    cum = np.cumsum(probs, axis=1)[:, :-1]
    cum = expit(logit(cum) - shift * (service == "outsourcing")[:, None])
    marg = np.diff(np.column_stack([np.zeros(n), cum, np.ones(n)]), axis=1).mean(axis=0)
    frac = float(np.mean(service == "in_house"))
    theory = ordinal_power(marg, 1.8, n1=frac * 300, n2=(1 - frac) * 300).power
    assert sim.n_failed == 0
    assert abs(sim.power - theory) < 3 * sim.mc_se, (sim, theory)
    again = simulate_power(
        res,
        d,
        group="service",
        level="outsourcing",
        odds_ratio=1.8,
        n=300,
        n_sims=400,
        seed=11,
        formula="q ~ service",
    )
    assert again == sim


def test_contrast_deff_of_a_cluster_design():
    """The design effect of a group contrast: 1 under equal weights, >1 with clustering (R's ratio)."""
    from analysis.survey import SurveyDesign

    d = pd.read_csv(Path(__file__).parent / "data" / "survey" / "survey_sample.csv")
    from analysis.power import contrast_deff

    eq = contrast_deff(d, "likert", "service", np.ones(len(d)))
    n = len(d)
    assert eq == pytest.approx(1.0, abs=0.01)
    cl = contrast_deff(
        d, "likert", "service", SurveyDesign(d, weights="w", ids="psu", strata="stratum")
    )
    assert cl > 1.2
    t = detectable_odds_ratio_table(
        d, "likert", weights=SurveyDesign(d, weights="w", ids="psu", strata="stratum")
    )
    assert t["deff"].iloc[0] == pytest.approx(cl)
    assert t["odds_ratio"].iloc[0] == pytest.approx(
        detectable_odds_ratio(
            np.bincount(d["likert"])[1:] / n,
            n,
            fraction=float((d["service"] == "in_house").mean()),
            deff=cl,
        )
    )
