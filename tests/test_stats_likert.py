"""Frequencies and scale summaries of single-valued questions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from scipy.optimize import linprog
from statsmodels.stats.proportion import proportion_confint

from analysis.errors import SurveyUsageError
from analysis.stats import disclosure_note, frequencies, scale_summary
from analysis.stats.intervals import effective_n
from analysis.survey import SurveyDesign


@pytest.fixture(scope="module")
def df():
    return make_prepared(2022, n=300, seed=4)


def test_counts_pct_and_dk_apart(df):
    t = frequencies(df, "q2_relevance", min_cell=0, lang="en")
    scale = t[~t["is_dk"]]
    answered = df["q2_relevance"].notna()
    assert scale["n"].sum() == answered.sum()
    assert (scale["base_n"] == answered.sum()).all()
    expected = df["q2_relevance"].value_counts(sort=False).reindex([1, 2, 3, 4, 5]).to_numpy()
    np.testing.assert_array_equal(scale["n"].to_numpy(), expected)
    np.testing.assert_allclose(scale["pct"], 100 * expected / expected.sum())
    lo, hi = proportion_confint(expected, expected.sum(), method="wilson")
    np.testing.assert_allclose(scale["ci_low"], 100 * lo, atol=1e-10)
    np.testing.assert_allclose(scale["ci_high"], 100 * hi, atol=1e-10)
    dk = t[t["is_dk"]].iloc[0]
    assert dk["n"] == df["q2_relevance_dk"].sum()
    assert dk["base_n"] == answered.sum() + df["q2_relevance_dk"].sum()
    assert dk["label"] == "Don't know"
    assert list(scale["label"]) == ["Not at all", "Slightly", "Moderately", "Very", "Extremely"]


def test_by_group_sums_to_total(df):
    t = frequencies(df, "q3_soft_vs_hard", by="service", min_cell=0)
    # respondents without a service type are left out of the by-group table
    tot = frequencies(df[df["service"].notna()], "q3_soft_vs_hard", min_cell=0)
    by_code = t.groupby("code", observed=True)["n"].sum()
    np.testing.assert_array_equal(by_code.reindex(tot["code"]).to_numpy(), tot["n"].to_numpy())
    assert set(t["service"]) == {"in_house", "outsourcing"}
    assert t.columns[0] == "service"


def test_disclosure_on_by_default():
    d = make_prepared(2022, n=60, seed=9)
    t = frequencies(d, "q5_assessment", by="role")
    info = t.attrs["disclosure"]
    assert info["applied"] and info["min_cell"] == 5
    small = (t["n"] > 0) & (t["n"] < 5)
    assert small.any()
    assert (t.loc[small, "n_display"].isin(["<5", "x"])).all()
    assert (t.loc[small, "pct_display"] == "").all()
    assert (t.loc[t["suppressed"] == "secondary", "n_display"] == "x").all()
    # no percentage on a base under 10, bases under 30 flagged
    assert (t.loc[t["base_n"] < 10, "pct_display"] == "").all()
    assert (t["low_base"] == (t["base_n"] < 30)).all()
    assert '"<5"' in disclosure_note(t, "en")
    off = frequencies(d, "q5_assessment", by="role", min_cell=0)
    assert (off["suppressed"] == "").all() and not off.attrs["disclosure"]["applied"]


def test_other_counted_free_text_never_read(df):
    d = df.copy()
    d["q5_assessment_other"] = "Mario Rossi, via Roma 1"
    t = frequencies(d, "q5_assessment", min_cell=0)
    assert "other" in list(t["code"])
    assert t.loc[t["code"] == "other", "n"].iloc[0] == (d["q5_assessment"] == "other").sum()
    assert not t.astype(str).apply(lambda c: c.str.contains("Rossi")).any().any()
    with pytest.raises(SurveyUsageError, match="free text"):
        frequencies(d, "q5_assessment_other")


def test_weighted_shares_and_effective_n(df):
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 2.0, len(df))
    t = frequencies(df, "q4_policies", weights=w, min_cell=0)
    ok = df["q4_policies"].notna().to_numpy()
    yes = (df["q4_policies"] == "yes").to_numpy()
    p = w[ok & yes].sum() / w[ok].sum()
    row = t[t["code"] == "yes"].iloc[0]
    assert row["pct"] == pytest.approx(100 * p)
    neff = effective_n(w[ok])
    assert row["n_eff"] == pytest.approx(neff)  # Kish's, descriptive only
    # intervals are design-based (svyciprop's logit), not Wilson on the Kish n
    ref = SurveyDesign(df, weights=w).proportion("q4_policies", "yes", ci="logit").iloc[0]
    assert row["ci_low"] == pytest.approx(100 * ref["ci_low"], rel=1e-10)
    assert row["ci_high"] == pytest.approx(100 * ref["ci_high"], rel=1e-10)
    assert t["weighted"].all()


def test_scale_summary_against_numpy(df):
    s = scale_summary(df, "q6_valued", by="service", min_cell=0)
    for _, row in s.iterrows():
        x = df.loc[df["service"] == row["service"], "q6_valued"].dropna().astype(float).to_numpy()
        assert row["n"] == len(x)
        assert row["mean"] == pytest.approx(x.mean())
        assert row["sd"] == pytest.approx(x.std(ddof=1))
        assert row["median"] == pytest.approx(np.median(x))
        ci = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert row["mean_ci_low"] == pytest.approx(ci[0])
        assert row["mean_ci_high"] == pytest.approx(ci[1])
        k = int((x >= 4).sum())
        assert row["top2_pct"] == pytest.approx(100 * k / len(x))
        lo, hi = proportion_confint(k, len(x), method="wilson")
        assert row["top2_ci_low"] == pytest.approx(100 * lo)
        assert row["top2_ci_high"] == pytest.approx(100 * hi)
        assert row["bottom2_pct"] == pytest.approx(100 * (x <= 2).mean())


def test_median_even_split():
    d = pd.DataFrame(
        {
            "q3_soft_vs_hard": pd.Categorical(
                [2, 2, 4, 4] * 5, categories=[1, 2, 3, 4, 5], ordered=True
            )
        }
    )
    s = scale_summary(d, "q3_soft_vs_hard", min_cell=0)
    assert s["median"].iloc[0] == 3.0


def test_small_base_hides_statistics():
    d = make_prepared(2022, n=8, seed=2)
    s = scale_summary(d, "q3_soft_vs_hard")
    assert s["mean"].isna().all() and s["low_base"].all()
    assert s.attrs["disclosure"]["hidden_pct_bases"] == 1


def test_battery_gives_one_block_per_item(df):
    t = frequencies(df, "q7_skill_relevance", min_cell=0)
    assert t["item"].nunique() == 12
    s = scale_summary(df, "q7_skill_relevance", min_cell=0)
    assert len(s) == 12 and "item" in s.columns
    x = df["q7_skill_relevance__empathy"].astype(float)
    assert s.loc[s["item"] == "empathy", "mean"].iloc[0] == pytest.approx(x.mean())


def test_unordered_question_rejected_for_scale_summary(df):
    with pytest.raises(ValueError, match="not an ordered scale"):
        scale_summary(df, "q5_assessment")
    with pytest.raises(SurveyUsageError, match="not in the data"):
        frequencies(df, "q9_missing")


# --- disclosure control of the don't-know row and the two bases ---------------------------

CODES = [1, 2, 3, 4, 5]


def table_frame(counts) -> pd.DataFrame:
    """Respondents whose q2_relevance answers give ``counts`` (groups x 5 codes + don't know).

    Every group also gets one respondent who skipped the question (neither a code nor
    don't know), so the don't-know-inclusive base is not the group size.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=int))
    grp, ans, dk = [], [], []
    for g, row in enumerate(counts):
        for code, k in zip(CODES, row[:5], strict=True):
            grp += [f"g{g}"] * k
            ans += [code] * k
            dk += [False] * k
        grp += [f"g{g}"] * (row[5] + 1)
        ans += [None] * (row[5] + 1)
        dk += [True] * row[5] + [False]
    return pd.DataFrame(
        {
            "grp": grp,
            "q2_relevance": pd.Categorical(ans, categories=CODES, ordered=True),
            "q2_relevance_dk": dk,
        }
    )


def _pct_value(text: str) -> float | None:
    return float(text.rstrip("%")) if text else None


def attack_frequencies(t: pd.DataFrame, counts: np.ndarray, min_cell: int, *, integer: bool):
    """Independent attack on everything a frequencies(by="grp") table shows.

    Unknowns: every cell (groups x 5 codes + don't know). Known: the shown counts; "<m"
    cells lie in 1..m-1, "x" cells are >= 0; every shown base (``base_display``) is the
    sum of its cells (scale cells, or scale cells + don't know on the don't-know row);
    every shown percentage, rounded to a whole percent, bounds its cell relative to its
    base; with groups, the column totals (the one-way table) are assumed known too.
    Returns {(group, column): (min, max)} of every hidden cell (integer programming
    when ``integer``, else its linear relaxation).
    """
    g, c = counts.shape
    nv = g * c
    bounds, a_eq, b_eq, a_ub, b_ub = [], [], [], [], []
    groups = list(t["grp"].unique()) if "grp" in t.columns else [None]
    assert groups == ([None] if g == 1 and "grp" not in t.columns else [f"g{i}" for i in range(g)])
    for gi, name in enumerate(groups):
        rows = (t if name is None else t[t["grp"] == name]).reset_index(drop=True)
        assert len(rows) == c
        for j, r in rows.iterrows():
            disp = r["n_display"]
            if disp == "x":
                bounds.append((0, None))
            elif disp.startswith("<"):
                bounds.append((1, int(disp[1:]) - 1))
            else:
                bounds.append((float(disp), float(disp)))
            members = np.zeros(nv)
            members[gi * c : gi * c + (c if r["is_dk"] else c - 1)] = 1
            if r["base_display"] != "":
                a_eq.append(members)
                b_eq.append(float(r["base_display"]))
            p = _pct_value(r["pct_display"])
            if p is not None:
                cell = np.zeros(nv)
                cell[gi * c + j] = 100
                a_ub.append(cell - (p + 0.5) * members)
                b_ub.append(0.0)
                a_ub.append((p - 0.5) * members - cell)
                b_ub.append(0.0)
    if g > 1:
        for j in range(c):
            col = np.zeros(nv)
            col[j::c] = 1
            a_eq.append(col)
            b_eq.append(float(counts[:, j].sum()))
    kw = {}
    if a_eq:
        kw.update(A_eq=np.array(a_eq), b_eq=np.array(b_eq))
    if a_ub:
        kw.update(A_ub=np.array(a_ub), b_ub=np.array(b_ub))
    if integer:
        kw["integrality"] = np.ones(nv)
    out = {}
    hidden = [k for k, disp in enumerate(t["n_display"]) if not disp.isdigit()]
    for k in hidden:
        e = np.zeros(nv)
        e[k] = 1
        lo = linprog(e, bounds=bounds, method="highs", **kw)
        hi = linprog(-e, bounds=bounds, method="highs", **kw)
        assert lo.status == 0, lo.message  # what is shown is consistent with the data
        # a feasible problem whose maximum does not exist: the cell is unbounded above
        # (e.g. a hidden don't-know count whose base is withheld), i.e. fully protected
        out[divmod(k, c)] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def test_dk_under_min_cell_does_not_hide_the_scale():
    # regression: 2022 q2_relevance, scale 5, 10, 47, 82, 59 (base 203) and don't know 3.
    # Both bases together (206 - 203) gave the don't know away; the escalation then hid
    # every cell of the table.
    counts = np.array([[5, 10, 47, 82, 59, 3]])
    t = frequencies(table_frame(counts), "q2_relevance", lang="en", merge=False)
    scale, dk = t[~t["is_dk"]], t[t["is_dk"]].iloc[0]
    assert scale["n_display"].tolist() == ["5", "10", "47", "82", "59"]
    assert (scale["suppressed"] == "").all()
    assert scale["pct_display"].tolist() == ["2%", "5%", "23%", "40%", "29%"]
    assert (scale["base_display"] == "203").all() and scale["base_shown"].all()
    assert dk["n_display"] == "<5" and dk["suppressed"] == "primary"
    assert dk["pct_display"] == "" and dk["base_display"] == "" and not dk["base_shown"]
    # the exact figures stay in the tidy columns for researchers
    assert dk["n"] == 3 and dk["base_n"] == 206
    info = t.attrs["disclosure"]
    assert (info["primary"], info["secondary"], info["withheld_bases"]) == (1, 0, 1)
    assert "don't know" in disclosure_note(t, "en") and "non so" in disclosure_note(t, "it")
    ((lo, hi),) = attack_frequencies(t, counts, 5, integer=True).values()
    assert (lo, hi) == (1, 4)


def test_dk_shown_keeps_both_bases():
    counts = np.array([[5, 10, 47, 82, 59, 12]])
    t = frequencies(table_frame(counts), "q2_relevance", lang="en")
    assert (t["suppressed"] == "").all() and t["base_shown"].all()
    dk = t[t["is_dk"]].iloc[0]
    assert dk["base_display"] == "215" and dk["pct_display"] == "6%"
    assert t.attrs["disclosure"]["withheld_bases"] == 0
    assert "don't know" not in disclosure_note(t, "en")


def test_by_groups_dk_protected_without_escalation():
    # 2022 q2_relevance by service: in_house 1, 4, 29, 49, 31 | dk 2; outsourcing
    # 4, 6, 18, 33, 28 | dk 1 (both don't-know counts small, their column total 3)
    counts = np.array([[1, 4, 29, 49, 31, 2], [4, 6, 18, 33, 28, 1]])
    t = frequencies(table_frame(counts), "q2_relevance", by="grp", lang="en", merge=False)
    shown = t["n_display"].to_numpy().reshape(2, 6)
    assert shown.tolist() == [
        ["<5", "<5", "29", "49", "31", "<5"],
        ["<5", "x", "18", "33", "28", "<5"],
    ]
    assert t.loc[~t["is_dk"], "base_display"].tolist() == ["114"] * 5 + ["89"] * 5
    assert t.loc[t["is_dk"], "base_display"].tolist() == ["", ""]
    for lo, hi in attack_frequencies(t, counts, 5, integer=True).values():
        assert hi - lo >= 1


def test_scale_summary_dk_protected_like_frequencies():
    counts = np.array([[1, 4, 29, 49, 31, 2], [4, 6, 18, 33, 28, 12]])
    d = table_frame(counts)
    s = scale_summary(d, "q2_relevance", by="grp")
    f = frequencies(d, "q2_relevance", by="grp")
    assert s["dk_n"].tolist() == [2, 12]
    assert s["dk_display"].tolist() == f.loc[f["is_dk"], "n_display"].tolist()
    # 2 is under min_cell, and 12 alone in the don't-know column would give it away
    assert s["dk_display"].tolist() == ["<5", "x"]
    assert s.attrs["disclosure"]["primary"] == 1 and s.attrs["disclosure"]["secondary"] == 1
    one = scale_summary(table_frame([[5, 10, 47, 82, 59, 3]]), "q2_relevance")
    assert one["dk_display"].tolist() == ["<5"] and one["n"].tolist() == [203]
    off = scale_summary(d, "q2_relevance", by="grp", min_cell=0)
    assert off["dk_display"].tolist() == ["2", "12"]


def full_tables():
    cell = st.one_of(st.integers(0, 6), st.integers(0, 40))
    return st.integers(1, 3).flatmap(
        lambda g: st.lists(st.lists(cell, min_size=6, max_size=6), min_size=g, max_size=g)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=full_tables(), min_cell=st.sampled_from([3, 5]))
# found by hypothesis: column totals of 0 pin the empty cells of those columns to 0, which
# reveals no respondent; the non-zero hidden cells stay protected
@example(table=[[4, 0, 0, 0, 1, 0], [4, 0, 0, 0, 4, 0]], min_cell=5)
# found by hypothesis: a hidden don't-know count with its base withheld has no upper bound
@example(table=[[0, 0, 1, 1, 1, 1]], min_cell=3)
def test_nothing_hidden_is_recoverable_from_the_table(table, min_cell):
    counts = np.array(table, dtype=int)
    t = frequencies(table_frame(counts), "q2_relevance", by="grp", min_cell=min_cell,
                    merge=False)
    shown = t["n_display"].to_numpy().reshape(counts.shape)
    # every small non-zero count is hidden
    small = (counts > 0) & (counts < min_cell)
    assert np.isin(shown[small], [f"<{min_cell}", "x"]).all()
    # the don't-know-inclusive base is shown exactly where the don't-know count is
    dk_rows = t[t["is_dk"]]
    assert (dk_rows["base_shown"] == (dk_rows["suppressed"] == "")).all()
    # protection is guaranteed when every published sum is itself at least min_cell
    # (a scale base or column total of 1..min_cell-1 is a small count in its own right)
    sums = list(counts[:, :5].sum(axis=1))
    if counts.shape[0] > 1:
        sums += list(counts.sum(axis=0))
    if any(0 < s < min_cell for s in sums):
        return
    # a hidden count of respondents must not be recoverable; an empty cell inferred from a
    # published total of 0 discloses nobody
    for (gi, j), (lo, hi) in attack_frequencies(t, counts, min_cell, integer=True).items():
        if counts[gi, j] > 0:
            assert hi - lo >= 1, (counts, shown)
