"""`softskills power`: Whitehead's formula from the command line (values: tests/data/power/)."""

from __future__ import annotations

import types

import pytest
from _prepared_factory import make_prepared

from analysis import datasets
from analysis.cli import main
from analysis.power import detectable_odds_ratio_table


def test_power_of_a_design(capsys):
    assert (
        main(["power", "--probs", "0.05,0.15,0.3,0.35,0.15", "--odds-ratio", "1.5", "--n", "200"])
        == 0
    )
    out = capsys.readouterr().out
    assert "power 0.3530" in out and "SE of log OR 0.2562" in out  # Hmisc: 0.352952, 0.256202


def test_sample_size(capsys):
    assert main(["power", "--probs", "0.05,0.15,0.3,0.35,0.15", "--odds-ratio", "1.5"]) == 0
    assert "n = 620.5 in total (round up: 621)" in capsys.readouterr().out  # Hmisc: 620.53


def test_detectable_odds_ratio_of_a_year(capsys, monkeypatch):
    df = make_prepared(2022, n=240, seed=2)
    monkeypatch.setattr(
        datasets, "load_year", lambda year, input_path=None: types.SimpleNamespace(data=df)
    )
    assert (
        main(
            ["power", "--year", "2022", "--question", "q2_relevance", "--n", "500", "--deff", "1.3"]
        )
        == 0
    )
    out = capsys.readouterr().out
    t = detectable_odds_ratio_table(df, "q2_relevance", ns=[500], deff=1.3)
    for r in t.itertuples():
        assert f"odds ratio >= {r.odds_ratio:.3f}" in out
    assert "(this year)" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["power", "--probs", "0.5,0.6", "--odds-ratio", "1.5", "--n", "100"], "sum to 1"),
        (["power", "--probs", "a,b", "--odds-ratio", "1.5"], "numbers separated by commas"),
        (["power", "--odds-ratio", "1.5"], "--probs"),
        (["power", "--year", "2022"], "--question"),
    ],
)
def test_power_usage_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_detectable_odds_ratio_with_raked_weights(capsys, monkeypatch, tmp_path):
    from analysis.power import contrast_deff
    from analysis.weighting import rake

    df = make_prepared(2022, n=240, seed=2).dropna(subset=["service", "role"])
    monkeypatch.setattr(datasets, "load_year", lambda year, input_path=None: types.SimpleNamespace(data=df))
    margins = tmp_path / "m.yaml"
    margins.write_text("margins:\n  role: {operator: 0.7, team_leader: 0.18, manager: 0.09, director: 0.03}\n")
    assert main(["power", "--year", "2022", "--question", "q2_relevance", "--weights", str(margins)]) == 0
    out = capsys.readouterr().out
    deff = contrast_deff(df, "q2_relevance", "service", rake(df, margins).design(df))
    assert f"under the raked weights: {deff:.3f}" in out
    t = detectable_odds_ratio_table(df, "q2_relevance", deff=deff)
    assert f"odds ratio >= {t['odds_ratio'].iloc[0]:.3f}" in out
