"""Report helpers of the Q7 mixed model and of the power sentence (analysis.present.report).

A small synthetic 2022 year (60 respondents x 12 skills) is fitted once; the helpers must show
the model's own numbers, formatted by locale, in both languages.
"""

from __future__ import annotations

import warnings

import pytest

from analysis import models as M
from analysis.codebook import load_codebook
from analysis.power import detectable_odds_ratio_table
from analysis.prepare import prepare
from analysis.present import Chapter
from analysis.present import report as R
from analysis.present.numbers import fmt_ci, fmt_int, fmt_number, fmt_p, fmt_pct, fmt_ratio
from analysis.simulate import simulate_export


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "2022.csv"
    path = simulate_export(2022, 60, 3, out=out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = prepare(path, 2022).data
        bm = M.battery_mixed_model(M.battery_long(df), alpha=0.10)
    return df, bm


def _chapter(lang: str) -> tuple[Chapter, list]:
    shown: list = []
    return Chapter(3, lang=lang, output_dir=None, level=90, display=shown.append), shown


@pytest.mark.parametrize("lang", ["it", "en"])
def test_battery_paragraph_and_skills_table_show_the_model(year, lang: str) -> None:
    _, bm = year
    cb = load_codebook()
    ch, shown = _chapter(lang)
    R.battery_mixed_paragraph(ch, bm, fig="battery_effects")
    text = shown[-1].data
    fit, rnd = bm.fit.iloc[0], bm.random.iloc[0]
    for piece in (fmt_int(fit["n_respondents"], lang), fmt_int(fit["nobs"], lang), fmt_number(rnd["sd"], 2, lang),
                  fmt_pct(100 * rnd["icc"], 0, lang), fmt_number(fit["lr"], 1, lang), fmt_p(fit["p"], lang)):
        assert piece in text, piece
    labels = R.skill_labels(cb, lang)
    assert len(labels) == 12 and all(labels.values())
    R.battery_skills_table(ch, bm, labels)
    frame = ch.shown_tables[-1].frame
    assert len(frame) == 12
    assert list(frame.iloc[:, 0]) == [fmt_number(r, 0, lang) for r in bm.skills["rank"]]
    assert list(frame.iloc[:, 1]) == [labels[s] for s in bm.skills["skill"]]
    assert list(frame.iloc[:, 3]) == [fmt_ci(lo, hi, 2, lang) for lo, hi in zip(bm.skills["ci_low"],
                                                                               bm.skills["ci_high"], strict=True)]
    assert "90" in frame.columns[3]
    # the forest frame keeps the rank order and the model's intervals
    forest = R.battery_skills_frame(bm)
    assert list(forest["term"]) == [str(s) for s in bm.skills["skill"]]
    assert forest["ci_high"].tolist() == bm.skills["ci_high"].tolist()


def test_sensitivity_table_puts_both_fits_side_by_side(year) -> None:
    _, bm = year
    ch, shown = _chapter("it")
    ch.appendix()
    labels = {x: x for x in bm.sensitivity["term"]}
    R.battery_sensitivity_table(ch, bm, labels, reference="Empatia")
    assert "«Empatia»" in shown[0].data
    tab = ch.shown_tables[-1]
    assert tab.caption.startswith("Tabella A3.1")
    assert list(tab.frame.iloc[:, 1]) == [fmt_number(x, 2, "it") for x in bm.sensitivity["estimate_mixed"]]
    assert list(tab.frame.iloc[:, 2]) == [fmt_number(x, 2, "it") for x in bm.sensitivity["estimate"]]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_detectable_odds_ratio_sentence(year, lang: str) -> None:
    df, _ = year
    mde = detectable_odds_ratio_table(df, "q2_relevance", group="service", ns=[2 * len(df)], power=0.8,
                                      alpha=0.05)
    ch, shown = _chapter(lang)
    R.detectable_or_paragraph(ch, mde)
    text = shown[-1].data
    cur, big = mde[mde["is_current"]].iloc[0], mde[~mde["is_current"]].iloc[0]
    assert big["odds_ratio"] < cur["odds_ratio"]
    for piece in (fmt_int(cur["n"], lang), fmt_ratio(cur["odds_ratio"], lang), fmt_int(2 * len(df), lang),
                  fmt_ratio(big["odds_ratio"], lang), "Whitehead", "1993", fmt_pct(80, 0, lang)):
        assert piece in text, piece
    # a design effect other than 1 is said
    weighted = mde.assign(deff=1.3)
    R.detectable_or_paragraph(ch, weighted)
    assert fmt_number(1.3, 2, lang) in shown[-1].data
