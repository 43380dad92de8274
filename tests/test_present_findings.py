"""Key findings: rules, ties, hidden cells, intervals, selection; numbers taken from the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.present import findings as F
from analysis.stats.intervals import newcombe_diff, wilson_ci


def _summary(group: str, values: dict) -> pd.DataFrame:
    rows = []
    for g, (k, n) in values.items():
        lo, hi = wilson_ci(k, n)
        rows.append({group: g, "n": n, "top2_pct": 100 * k / n, "top2_ci_low": 100 * float(lo),
                     "top2_ci_high": 100 * float(hi)})
    return pd.DataFrame(rows)


def test_newcombe_interval_matches_the_paper_second_example() -> None:
    # Newcombe (1998), Table II, example (b) 9/10 - 3/10: method 10 gives 0.1705 to 0.8090
    l1, u1 = wilson_ci(9, 10)
    l2, u2 = wilson_ci(3, 10)
    d, lo, hi = newcombe_diff(0.9, l1, u1, 0.3, l2, u2)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.1705, 0.8090)


def test_top_skills_names_ties_and_skips_hidden_options() -> None:
    mr = pd.DataFrame({"option": ["a", "b", "c", "d"], "label": ["A", "B", "C", "D"],
                       "pct_respondents": [40.0, 51.2, 50.8, 90.0], "ci_low": [33, 43, 43, 80],
                       "ci_high": [48, 59, 58, 95], "pct_display": ["40%", "51%", "51%", ""]})
    f = F.top_skills(mr, lang="en", table="q1_skills")
    assert f.text.startswith("The skills named most often as essential are B and C, tied: 51%")
    assert f.row == {"option": "b"} and f.value == 51.2
    one = F.top_skills(mr.iloc[[0, 1]], lang="it", table="q1_skills")
    assert "è B: il 51% dei rispondenti (IC 95%: 43–59%)" in one.text


def test_scale_and_policies_findings_carry_their_base() -> None:
    row = {"n": 150, "top2_pct": 80.4, "top2_ci_low": 73.3, "top2_ci_high": 86.0}
    f = F.scale_finding(row, name="q2_relevance", top_labels=["Molto", "Moltissimo"], lang="it",
                        table="q2_relevance_overall")
    assert f.text == ("D2. Rilevanza delle soft skill nella relazione con il cliente: l'80% sceglie le due "
                      "risposte più alte («Molto» e «Moltissimo»; IC 95%: 73–86%; base 150).")
    assert F.scale_finding({**row, "top2_pct": np.nan}, name="q2_relevance", top_labels=["a", "b"],
                           lang="it", table="x") is None
    q4 = pd.DataFrame({"code": ["yes", "no", "9"], "is_dk": [False, False, True],
                       "pct": [75.0, 25.0, 8.0], "ci_low": [67.0, 19.0, 4.0], "ci_high": [81.0, 33.0, 14.0],
                       "base_n": [147, 147, 160], "pct_hidden": [False, False, False],
                       "n_display": ["110", "37", "<5"]})
    f = F.policies_finding(q4, lang="en", table="q4_policies")
    assert "75% of those with an opinion are in favour" in f.text and 'leaving out <5 "don\'t know"' in f.text
    assert "base 147" in f.text


def test_differences_need_an_interval_excluding_zero() -> None:
    s_big = _summary("service", {"in_house": (70, 87), "outsourcing": (35, 69)})
    s_small = _summary("service", {"in_house": (61, 87), "outsourcing": (44, 69)})
    labels = {"in_house": "In-house", "outsourcing": "Outsourced"}
    found = F.difference_findings({"q2_relevance": s_big, "q6_valued": s_small}, group="service",
                                  group_labels=labels, lang="en")
    assert len(found) == 1 and found[0].table == "q2_relevance_by_service"
    d, lo, hi = newcombe_diff(*s_big.iloc[0][["top2_pct", "top2_ci_low", "top2_ci_high"]],
                              *s_big.iloc[1][["top2_pct", "top2_ci_low", "top2_ci_high"]])
    assert f"difference +{d:.0f} points" in found[0].text and lo > 0
    none = F.difference_findings({"q6_valued": s_small}, group="service", group_labels=labels, lang="it")
    assert none[0].text.startswith("Tra «In-house» e «Outsourced» nessuna differenza") and np.isnan(none[0].value)


def test_model_findings_respect_the_proportional_odds_check_and_the_link() -> None:
    coef = pd.DataFrame({
        "outcome": ["q2_relevance"] * 3 + ["q6_valued"],
        "term": ["role[T.manager]", "service[T.outsourcing]", "sector[T.other]", "role[T.manager]"],
        "estimate": [0.9, -1.2, 2.0, 0.7], "p": [0.01, 0.001, 0.2, 0.03],
        "ci_low": [0.2, -1.8, -1.0, 0.1], "ci_high": [1.6, -0.6, 5.0, 1.3],
    })
    coef["odds_ratio"], coef["or_low"], coef["or_high"] = (np.exp(coef[c]) for c in
                                                           ("estimate", "ci_low", "ci_high"))
    po = pd.DataFrame({"outcome": ["q2_relevance"] * 3 + ["q6_valued"], "test": "LR",
                       "term": ["role", "service", "sector", "role"], "p": [0.5, 0.01, 0.9, np.nan]})
    refs = {"role": "Operator", "service": "In-house"}
    found = F.model_findings(coef, po, link="logit", alpha=0.05, lang="en",
                             term_labels={"role[T.manager]": "Role: Manager"}, references=refs)
    # service fails the PO test, q6's role is not testable: only q2's role remains
    assert [(f.row["outcome"], f.row["term"]) for f in found] == [("q2_relevance", "role[T.manager]")]
    assert '"Manager" (role) compared with "Operator", odds ratio 2.46 (95% CI: 1.22–4.95)' in found[0].text
    probit = F.model_findings(coef, po, link="probit", alpha=0.05, lang="it",
                              term_labels={}, references=refs)
    assert "coefficienti (probit) +0,90" in probit[0].text and "odds" not in probit[0].text


def test_changes_since_the_previous_comparable_year() -> None:
    s = _summary("year", {2020: (60, 150), 2021: (62, 140), 2022: (140, 200)})
    found = F.change_findings({"q2_relevance": s}, year=2022, lang="it")
    assert found[0].table == "trend_top2_q2_relevance" and found[0].row == {"year": 2022}
    assert "passa dal 44% del 2021 al 70% del 2022" in found[0].text
    flat = _summary("year", {2021: (62, 140), 2022: (92, 200)})
    assert F.change_findings({"q6_valued": flat}, year=2022, lang="en")[0].text.startswith(
        "Compared with 2021, no change")
    assert F.change_findings({"q6_valued": flat.iloc[[1]]}, year=2022, lang="en") == []


def test_select_keeps_the_base_and_takes_turns_up_to_eight() -> None:
    base = [F.Finding("scale", str(i)) for i in range(5)] + [None]
    extras = [[F.Finding("difference", f"d{i}") for i in range(3)],
              [F.Finding("model", "m0")], [F.Finding("change", f"c{i}") for i in range(2)]]
    picked = [f.text for f in F.select(base, extras)]
    assert picked == ["0", "1", "2", "3", "4", "d0", "m0", "c0"]
    md = F.as_markdown(F.select(base, extras), "it")
    assert md.splitlines()[-1].startswith("*Campione non probabilistico")


@pytest.mark.parametrize("lang", ["it", "en"])
def test_key_findings_on_a_synthetic_year_equal_the_tables(lang, tmp_path) -> None:
    from analysis import stats
    from analysis.prepare import prepare
    from analysis.simulate import simulate_export

    path = simulate_export(2022, 260, 11, out=tmp_path / "2022.csv")
    df = prepare(path, 2022).data
    found = F.key_findings(df, year=2022, lang=lang)
    assert 5 <= len(found) <= 8
    rules = [f.rule for f in found]
    assert rules[:5] == ["top_skills", "scale", "scale", "scale", "policies"]
    mr = stats.multiple_response(df, "q1_skills", lang=lang).table
    top = mr.set_index("option").loc[found[0].row["option"], "pct_respondents"]
    assert found[0].value == top
    s = stats.scale_summary(df, "q6_valued").iloc[0]
    assert found[3].value == s["top2_pct"]
    assert F.fmt_pct(s["top2_pct"], 0, lang) in found[3].text


def test_key_findings_fit_the_models_at_the_report_level(tmp_path, monkeypatch) -> None:
    """The model findings quote intervals at 1 - alpha: the fits must be made at that alpha."""
    from analysis import models as M
    from analysis.prepare import prepare
    from analysis.simulate import simulate_export

    path = simulate_export(2022, 120, 5, out=tmp_path / "2022.csv")
    df = prepare(path, 2022).data
    real, seen = M.fit_question_models, []

    def spy(*args, **kwargs):
        fits = real(*args, **kwargs)
        seen.append(fits)
        return fits

    monkeypatch.setattr(M, "fit_question_models", spy)
    F.key_findings(df, year=2022, lang="en", alpha=0.1)
    coef = M.coefficient_table(seen[-1]).dropna(subset=["se", "ci_low", "ci_high"])
    assert len(coef) > 10
    z90 = 1.6448536269514722
    np.testing.assert_allclose(coef["ci_high"] - coef["ci_low"], 2 * z90 * coef["se"], rtol=1e-6)
