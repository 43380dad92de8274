"""The report-wide protection rules applied by the statistics, and the sidecars save_table writes.

- declared merges (codebook ``disclosure_merge``) publish merged categories when min_cell > 1;
- tests of tables with hidden cells are coarsened (X2, V withheld; a p band only when every
  compatible table has that band);
- scale summaries withhold mean / SD / box shares of groups whose distribution has hidden cells;
- the data-quality table protects small don't-know counts with their no-answer count;
- the tables of the bundled 2020 report, attacked jointly, give no hidden cell away exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _bundle import publish
from _prepared_factory import make_prepared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import stats
from analysis.codebook import CodebookError, parse_codebook
from analysis.datasets import load_year
from analysis.disclosure.auditor import audit
from analysis.disclosure.describe import describe
from analysis.reporting.outputs import save_table
from analysis.stats.crosstab import band_is_safe, p_band
from analysis.stats.views import protect_quality


def test_codebook_declares_the_merges():
    from analysis.codebook import load_codebook

    cb = load_codebook()
    assert cb["q2_relevance"].merges == ((1, 2),)
    assert cb["role"].merges == (("operator", "team_leader"), ("manager", "director"))
    assert cb["service"].merges == ()


@pytest.mark.parametrize("merge, message", [
    ([[1]], "needs at least two codes"),
    ([[1, 9]], r"code\(s\) \[9\] are not options"),
    ([[1, 2], [2, 3]], "overlap"),
    ("1,2", "must be a list of lists"),
])
def test_bad_merges_are_named(merge, message):
    raw = {"versions": [{"name": "v", "years": [2020, None], "variables": ["q"]}],
           "variables": [{"name": "q", "type": "likert", "text": {"it": "q", "en": "q"},
                          "options": [{"code": c, "it": str(c), "en": str(c)} for c in (1, 2, 3)],
                          "disclosure_merge": merge}]}
    with pytest.raises(CodebookError, match=message):
        parse_codebook(raw)


@pytest.fixture(scope="module")
def year2020():
    return load_year(2020)


def test_frequencies_publish_the_merged_category(year2020):
    df = year2020.data
    t = stats.frequencies(df, "q2_relevance", lang="en")
    raw = df["q2_relevance"].astype("object")
    assert t["code"].tolist() == ["1+2", 3, 4, 5, "dk"]
    assert t["label"].iloc[0] == "Not at all / Slightly"
    assert t["n"].iloc[0] == int(raw.isin([1, 2]).sum())
    # off for internal use, or on request
    assert stats.frequencies(df, "q2_relevance", min_cell=0)["code"].tolist()[:2] == [1, 2]
    assert stats.frequencies(df, "q2_relevance", merge=False)["code"].tolist()[:2] == [1, 2]
    by_role = stats.frequencies(df, "q4_policies", by="role", lang="en")
    assert list(pd.unique(by_role["role"])) == ["operator+team_leader", "manager+director"]


def test_crosstab_merges_both_variables_and_coarsens_its_test(year2020):
    ct = stats.crosstab(year2020.data, "q6_valued", "role", lang="en", n_resamples=200)
    assert sorted(pd.unique(ct.table["col"])) == ["manager+director", "operator+team_leader"]
    assert (ct.table["suppressed"] != "").any()
    test = ct.test.iloc[0]
    assert bool(test["withheld"])
    assert np.isnan([test["statistic"], test["cramers_v"], test["pvalue"], test["chi2_pvalue"]]).all()
    # a table without hidden cells keeps its exact test
    full = stats.crosstab(year2020.data, "q4_policies", "service", n_resamples=200).test.iloc[0]
    assert not full["withheld"] and np.isfinite(full["statistic"])


def test_p_band_only_when_every_compatible_table_agrees():
    assert [p_band(p) for p in (0.0004, 0.004, 0.04, 0.4, np.nan)] == ["<0.001", "<0.01", "<0.05", ">=0.05", ""]
    # a 2x2 with all cells hidden: the candidates (1, 5 | 5, 1) ... (4, 2 | 2, 4) span bands
    counts = np.array([[1, 5], [5, 1]])
    status = stats.suppress_cells(counts)
    assert (status != "").all()
    assert not band_is_safe(counts, status, 5, "<0.05")
    # a strong association whatever the hidden cells are: the band says nothing about them
    counts = np.array([[3, 30], [40, 2]])
    status = np.array([["primary", "secondary"], ["secondary", "primary"]], dtype=object)
    assert band_is_safe(counts, status, 5, "<0.001")
    assert not band_is_safe(counts, status, 5, "<0.01")


def test_scale_summary_withholds_statistics_of_groups_with_hidden_cells(year2020):
    df = year2020.data
    s = stats.scale_summary(df, "q3_soft_vs_hard", by="service")
    f = stats.frequencies(df, "q3_soft_vs_hard", by="service")
    hidden = f[~f["is_dk"]].groupby("service", sort=False)["suppressed"].apply(lambda x: (x != "").any())
    assert s["stats_withheld"].tolist() == hidden.tolist()
    assert s.loc[s["stats_withheld"], ["mean", "sd", "median", "top2_pct", "bottom2_pct"]].isna().all().all()
    assert s.loc[~s["stats_withheld"], "mean"].notna().all()
    # overall: no hidden scale cell once the bottom answers are merged
    overall = stats.scale_summary(df, "q2_relevance").iloc[0]
    assert not overall["stats_withheld"] and np.isfinite(overall["mean"])
    raw = df["q2_relevance"].astype("float")
    assert overall["mean"] == pytest.approx(raw.mean())


def test_data_quality_hides_small_dont_know_with_its_no_answer(year2020):
    q = protect_quality(year2020.summary)
    q2 = q[q["variable"] == "q2_relevance"].set_index("measure")
    assert q2.loc["dont_know", "n_display"] == "<5" and q2.loc["nonresponse", "n_display"] == "x"
    # a no-answer count alone is not hidden: every table gives it (respondents - base)
    q5 = q[q["variable"] == "q5_assessment"].set_index("measure")
    assert q5.loc["nonresponse", "suppressed"] == ""
    written = stats.protect_table(year2020.summary)
    assert written.loc[written["suppressed"] != "", ["n", "pct"]].isna().all().all()


def test_save_table_writes_a_sidecar_that_maps_every_row(tmp_path, year2020):
    t = stats.frequencies(year2020.data, "q2_relevance")
    path = save_table(t, "q2", tmp_path)
    side = json.loads(path.with_name("q2.cells.json").read_text())
    assert side["mapped"] and side["year"] == 2020 and side["min_cell"] == 5
    assert side["variables"]["q2_relevance"] == ["1", "2", "3", "4", "5", "dk", "na"]
    first = side["facts"][0]
    assert first["cells"] == {"year": 2020, "where": {"q2_relevance": ["1", "2"]}}
    assert first["ref"] == {"row": 0, "column": "n"}
    # a table the package does not know is written unmapped (and listed by the audit)
    save_table(pd.DataFrame({"a": [1]}), "other", tmp_path)
    assert describe(pd.DataFrame({"a": [1]}))["mapped"] is False


def test_the_2020_tables_attacked_jointly_give_no_cell_away(tmp_path, year2020):
    folder = publish(year2020.data, tmp_path, summary=year2020.summary)
    res = audit(folder, raise_on_failure=False)
    assert len(res.cells) > 20
    width = res.cells["upper"] - res.cells["lower"]
    assert (width >= 1).all(), res.message()
    # every `<5` cell keeps at least two candidate values; record how many fall short of the
    # strict width rule (see docs/disclosure.md, "what remains")
    assert res.notes == []


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason=(
    "known gap (issue 9 open): on some random years a hidden don't-know count by service is "
    "pinned by the service margin minus the cross-tab's base (found: seed=65, n=150); the "
    "build's audit gate refuses such a report, but the plan does not yet avoid it"))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(150, 260))
def test_random_years_protected_outputs_resist_the_joint_attack(tmp_path_factory, seed, n):
    """Property: a random survey year's protected tables give no hidden cell away exactly."""
    df = make_prepared(2022, n=n, seed=seed)
    folder = publish(df, tmp_path_factory.mktemp("year"))
    res = audit(folder, raise_on_failure=False)
    width = res.cells["upper"] - res.cells["lower"]
    assert (width >= 1).all(), res.message()


@pytest.mark.slow
@pytest.mark.parametrize("year", [2020, 2021, 2022, 2023, 2024])
def test_every_bundled_year_gives_no_cell_away(tmp_path, year):
    """The tables the notebooks publish for each bundled year pass the build's audit gate."""
    from analysis.reporting.tasks import BUILD_AUDIT_THRESHOLD

    prepared = load_year(year)
    folder = publish(prepared.data, tmp_path, summary=prepared.summary)
    res = audit(folder, threshold=BUILD_AUDIT_THRESHOLD, raise_on_failure=False)
    assert res.ok, res.message()


def test_weighted_tables_map_only_their_counts(tmp_path, year2020):
    """Weighted shares, means, tests and McNemar b/c are not functions of the counts: the
    sidecars of a weighted table map its unweighted counts and bases only, and the published
    figures stay consistent for the audit."""
    df = year2020.data.assign(w=np.random.default_rng(1).uniform(0.5, 2, len(year2020.data)))
    t = stats.frequencies(df, "q2_relevance", weights="w")
    assert {f["kind"] for f in describe(t)["facts"]} == {"count"}
    mr = stats.multiple_response(df, "q1_skills", weights="w")
    assert describe(mr.pairwise)["facts"] == []
    save_table(t, "q2", tmp_path)
    save_table(stats.scale_summary(df, "q2_relevance", by="service", weights="w"), "q2_s", tmp_path)
    ct = stats.crosstab(df, "q2_relevance", "service", weights="w", n_resamples=50)
    save_table(ct.table, "ct", tmp_path)
    save_table(ct.test, "ct_test", tmp_path)
    save_table(mr.table, "q1", tmp_path)
    save_table(mr.pairwise, "q1_pairwise", tmp_path)
    assert audit(tmp_path / "tables", threshold=1, raise_on_failure=False).ok
