"""Figures render to PNG with the expected bars and labels."""

from __future__ import annotations

import matplotlib
import pytest
from _prepared_factory import make_prepared
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.plots import cooccurrence_heatmap, likert_diverging, ranking, wrap
from analysis.stats import multiple_response

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
    assert len(_bars(main)) == 2 * 6
    assert len(_bars(dk)) == 2
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


def test_wrap():
    assert wrap("Pubblica amministrazione e sanità", 15) == "Pubblica\namministrazione\ne sanità"
