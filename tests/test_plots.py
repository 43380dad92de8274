"""Figures render to PNG with the expected bars and labels."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _prepared_factory import make_prepared
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.plots import cooccurrence_heatmap, likert_diverging, ranking, wrap
from analysis.stats import frequencies, multiple_response

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def df():
    return make_prepared(2022, n=300, seed=1)


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def _png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.stat().st_size > 5_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_battery_diverging_bars(df, tmp_path):
    fig = likert_diverging(df, "q7_skill_relevance", lang="en")
    assert isinstance(fig, Figure)
    _png(fig, tmp_path, "battery")
    main = fig.axes[0]
    # 12 items x (2 negative + neutral split in two halves + 2 positive) = 72 bars
    assert len(_bars(main)) == 12 * 6
    labels = [t.get_text() for t in main.get_yticklabels()]
    assert len(labels) == 12 and all("(n=" in lbl for lbl in labels)
    assert main.get_xlim() == (-100, 100)
    # sorted by positive share: the top item has the largest share of 4 + 5
    codes = [c for c in df.columns if c.startswith("q7_skill_relevance__")]
    pos = {c: (df[c].astype(float) >= 4).mean() for c in codes}
    best = max(pos, key=pos.get)
    from analysis.codebook import load_codebook

    best_label = {i.code: i.en for i in load_codebook()["q7_skill_relevance"].items}[
        best.split("__")[1]
    ]
    assert labels[-1].replace("\n", " ").startswith(best_label)
    # neutral split at zero: two bars of equal width start at 0
    at_zero = [p for p in _bars(main) if p.get_x() == 0]
    assert len(at_zero) == 12 * 2


def test_dk_beside_bars_and_facets(df, tmp_path):
    fig = likert_diverging(df, ["q2_relevance", "q6_valued"], by="service", lang="it")
    _png(fig, tmp_path, "facets")
    # per group: a diverging panel and a don't-know panel
    assert len(fig.axes) == 4
    main, dk = fig.axes[0], fig.axes[1]
    # per item 2 negative + neutral in two halves + 2 positive, less the cells whose
    # percentage disclosure control hides (this group has some: they are not drawn)
    drawn, dk_drawn = 0, 0
    for col in ("q2_relevance", "q6_valued"):
        f = frequencies(df, col, by="service", merge=False)
        f = f[f["service"] == "in_house"]
        sc = f[~f["is_dk"]]
        drawn += int((~sc["pct_hidden"]).sum()) + int(not sc["pct_hidden"].iloc[2])
        dk_drawn += int((~f.loc[f["is_dk"], "pct_hidden"]).sum())
    assert drawn < 2 * 6
    assert len(_bars(main)) == drawn
    assert len(_bars(dk)) == dk_drawn
    assert dk.get_title() == "Non so"
    assert fig.axes[0].get_title() == "Internamente (in-house)"
    texts = [t.get_text() for t in main.texts]
    assert any(t.startswith("n=") for t in texts)
    # bar-end totals carry a percent sign; inside labels are integers
    assert any(t.endswith("%") for t in texts)
    inner = [t for t in texts if t.isdigit()]
    assert inner and all(int(t) >= 5 for t in inner)


def test_labels_hidden_under_threshold(df):
    fig = likert_diverging(df, "q7_skill_relevance", label_threshold=101)
    inner = [t.get_text() for t in fig.axes[0].texts if t.get_text().isdigit()]
    assert inner == []


def test_small_base_not_drawn():
    d = make_prepared(2022, n=8, seed=2)
    fig = likert_diverging(d, "q3_soft_vs_hard")
    assert len(_bars(fig.axes[0])) == 0
    assert "(n<10)" in fig.axes[0].get_yticklabels()[0].get_text()


def test_ranking_with_whiskers(df, tmp_path):
    fig = ranking(df, lang="it")
    _png(fig, tmp_path, "ranking")
    ax = fig.axes[0]
    assert len(_bars(ax)) == 12
    widths = [p.get_width() for p in _bars(ax)]
    assert widths == sorted(widths)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Flessibilità, capacità di\nadattamento" in labels
    assert len(ax.collections) >= 1  # the error bars
    assert "Wilson" in ax.get_xlabel()


def test_cooccurrence_heatmap(df, tmp_path):
    fig = cooccurrence_heatmap(df, lang="en")
    _png(fig, tmp_path, "heatmap")
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == 12 and len(ax.get_yticklabels()) == 12
    annotated = [t for t in ax.texts if t.get_text()]
    # lower triangle with the diagonal, less the cells hidden by disclosure control
    co = multiple_response(df, "q1_skills").cooccurrence
    codes = list(co["option_a"].unique())
    lower = co[
        [
            codes.index(a) >= codes.index(b)
            for a, b in zip(co["option_a"], co["option_b"], strict=True)
        ]
    ]
    hidden = int((lower["suppressed"] != "").sum())
    assert hidden > 0
    assert len(annotated) == 12 * 13 // 2 - hidden


# --- disclosure control: a hidden cell must not be readable off a figure -------------


def _likert_frame() -> pd.DataFrame:
    """q2_relevance with counts 1: 3 (primary), 2: 20, 3: 12, 4: 15, 5: 10, don't know: 2.

    Suppression hides code 1 (primary), code 5 (secondary, the next smallest in the row)
    and don't know (primary): 5 %, 16.7 % and 3.2 % are not to be seen.
    """
    d = make_prepared(2022, n=62, seed=4)
    vals = [1] * 3 + [2] * 20 + [3] * 12 + [4] * 15 + [5] * 10 + [None] * 2
    d["q2_relevance"] = pd.Categorical(vals, categories=[1, 2, 3, 4, 5], ordered=True)
    d["q2_relevance_dk"] = [False] * 60 + [True] * 2
    return d


def _widths(ax):
    return [abs(p.get_width()) for p in _bars(ax)]


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_likert_hidden_cells_not_drawn():
    d = _likert_frame()
    f = frequencies(d, "q2_relevance", merge=False)
    hidden = f.loc[f["pct_hidden"], "pct"].to_numpy()
    np.testing.assert_allclose(np.sort(hidden), [100 * 2 / 62, 100 * 3 / 60, 100 * 10 / 60])
    fig = likert_diverging(d, "q2_relevance", lang="en")
    main, dk = fig.axes[0], fig.axes[1]
    widths = _widths(main) + _widths(dk)
    texts = _texts(fig)
    for p in hidden:
        assert not np.isclose(widths, p).any()
        assert f"{p:.0f}" not in texts and f"{p:.0f}%" not in texts
    # shown cells keep their length; they are stacked from zero without the hidden ones:
    # 2 (33.3 %) left of the neutral half, 4 (25 %) right of it
    bars = sorted(((p.get_x(), p.get_width()) for p in _bars(main)), key=lambda b: b[0])
    np.testing.assert_allclose(bars, [(-10, -100 / 3), (0, -10), (0, 10), (10, 25)], atol=1e-9)
    assert len(_bars(dk)) == 0
    # each side holds a hidden cell: no side total (it would give the hidden one away)
    assert not [t for t in texts if t.endswith("%")]
    assert sorted(t for t in texts if t.isdigit()) == ["20", "25", "33"]
    legend = fig.legends[0].get_title().get_text()
    assert legend == "Segments under 5 respondents (or hidden to protect them) are not shown"


def test_likert_min_cell_zero_draws_everything():
    d = _likert_frame()
    fig = likert_diverging(d, "q2_relevance", lang="en", min_cell=0)
    main, dk = fig.axes[0], fig.axes[1]
    assert len(_bars(main)) == 6
    for p in (100 * 3 / 60, 100 * 10 / 60):
        assert np.isclose(_widths(main), p).any()
    np.testing.assert_allclose(_widths(dk), [100 * 2 / 62])
    texts = _texts(fig)
    # totals: 5 + 33.3 and 25 + 16.7; labels from 5 %; don't know 3 %
    assert {"38%", "42%", "17", "5", "3%"} <= set(texts)
    assert fig.legends[0].get_title().get_text() == ""


def test_likert_hidden_cell_not_ranked():
    # items are sorted by the positive share of shown cells only: q2 has 25 % shown
    # (code 4) + 16.7 % hidden (code 5), q6 33.3 % shown; the hidden cell must not lift q2
    from analysis.codebook import load_codebook

    d = _likert_frame()
    d["q6_valued"] = pd.Categorical(
        [4] * 20 + [2] * 40 + [None] * 2, categories=[1, 2, 3, 4, 5], ordered=True
    )
    d["q6_valued_dk"] = False
    cb = load_codebook()

    def top(min_cell):
        fig = likert_diverging(d, ["q2_relevance", "q6_valued"], lang="en", min_cell=min_cell)
        return fig.axes[0].get_yticklabels()[-1].get_text()

    assert top(5).startswith(f"Q{cb['q6_valued'].number}.")
    assert top(0).startswith(f"Q{cb['q2_relevance'].number}.")


def _mr_frame() -> pd.DataFrame:
    """q1_skills with 'empathy' ticked by 3 of 60 respondents (primary suppression)."""
    d = make_prepared(2022, n=60, seed=5)
    cols = [c for c in d.columns if c.startswith("q1_skills__")]
    for c in cols:
        d[c] = d[c].fillna(False)
    d["q1_skills__communication"] = True  # nobody skips: every respondent answered
    d["q1_skills__empathy"] = pd.array([True] * 3 + [False] * 57, dtype="boolean")
    return d


def test_ranking_hidden_bars_not_drawn():
    d = _mr_frame()
    t = multiple_response(d, "q1_skills", lang="en").table
    hid = t[t["pct_display"] == ""]
    assert "empathy" in set(hid["option"]) and len(hid) >= 2  # primary + secondary
    fig = ranking(d, lang="en")
    ax = fig.axes[0]
    widths = _widths(ax)
    assert len(widths) == 12 - len(hid)
    ends = np.concatenate([seg.ravel() for seg in ax.collections[0].get_segments()])
    texts = [t.get_text() for t in ax.texts]
    for _, row in hid.iterrows():
        p = row["pct_respondents"]
        assert not np.isclose(widths, p).any()
        assert not np.isclose(ends, row["ci_low"]).any()
        assert not np.isclose(ends, row["ci_high"]).any()
        assert f"{p:.0f}%" not in texts
    # hidden options sit at the bottom, unranked, marked "not shown"
    labels = [lbl.get_text().replace("\n", " ") for lbl in ax.get_yticklabels()]
    assert set(labels[: len(hid)]) == set(hid["label"])
    assert texts.count("not shown") == len(hid)
    assert "not shown" in ax.get_xlabel()
    # shown bars stay sorted
    assert widths == sorted(widths)
    # min_cell=0: every bar, the small one at its length
    fig0 = ranking(d, lang="en", min_cell=0)
    w0 = _widths(fig0.axes[0])
    assert len(w0) == 12 and np.isclose(w0, 100 * 3 / 60).any()
    assert "not shown" not in fig0.axes[0].get_xlabel()


def _cell_texts(ax):
    return {
        (round(t.get_position()[0] - 0.5), round(t.get_position()[1] - 0.5)): t.get_text()
        for t in ax.texts
        if t.get_text()
    }


def test_heatmap_hidden_option_blank():
    d = _mr_frame()
    r = multiple_response(d, "q1_skills", lang="en")
    hid = set(r.table.loc[r.table["pct_display"] == "", "option"])
    fig = cooccurrence_heatmap(d, lang="en")
    ax = fig.axes[0]
    labels = [lbl.get_text().replace("\n", " ") for lbl in ax.get_yticklabels()]
    lab = dict(zip(r.table["option"], r.table["label"], strict=True))
    idx = [labels.index(lab[o]) for o in hid]
    assert sorted(idx) == list(range(12 - len(hid), 12))  # hidden options come last
    cells = _cell_texts(ax)
    for i in idx:  # nothing in their row or column, the diagonal included
        assert not [c for c in cells if i in c]
    mesh = ax.collections[0].get_array()
    mat = np.ma.getmaskarray(mesh).reshape(12, 12)
    assert mat[idx, :].all() and mat[:, idx].all()
    assert "not shown" in ax.get_xlabel()
    # min_cell=0: the diagonal of empathy shows its percentage
    fig0 = cooccurrence_heatmap(d, lang="en", min_cell=0)
    ax0 = fig0.axes[0]
    labels0 = [lbl.get_text().replace("\n", " ") for lbl in ax0.get_yticklabels()]
    e = labels0.index(lab["empathy"])
    assert _cell_texts(ax0)[(e, e)] == "5"
    assert ax0.get_xlabel() == ""


def test_wrap():
    assert wrap("Pubblica amministrazione e sanità", 15) == "Pubblica\namministrazione\ne sanità"
