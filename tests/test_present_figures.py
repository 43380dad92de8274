"""Reader tables and figures: labels by language, no index, footnotes, alt text, print size."""

from __future__ import annotations

import doctest
import importlib
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.plots import alt
from analysis.plots.models import effect_forest, predicted_probability_bars
from analysis.plots.trends import top2_trend
from analysis.present.figures import MIN_PRINT_PT, min_print_font, reader_figure, write_alt
from analysis.present.tables import reader_table

matplotlib.use("Agg")


@pytest.fixture
def coef() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    terms = [f"role[T.r{i}]" for i in range(6)]
    rows = []
    for o in ("q2", "q3", "q6"):
        for i, term in enumerate(terms):
            est = rng.normal(0, 0.6)
            rows.append({"outcome": o, "term": term, "estimate": est, "ci_low": est - 0.5 + 0.1 * i,
                         "ci_high": est + 0.5, "odds_ratio": np.exp(est),
                         "or_low": np.exp(est - 0.5 + 0.1 * i), "or_high": np.exp(est + 0.5)})
    return pd.DataFrame(rows)


def test_reader_table_has_labels_caption_no_index_and_locale_numbers() -> None:
    df = pd.DataFrame({"label": ["Molto", "Poco"], "n_display": ["120", "x"], "pct": [80.4, np.nan],
                       "ci_low": [72.1, np.nan], "ci_high": [86.0, np.nan], "p": [1.4e-25, 0.0312]})
    df.attrs["disclosure"] = {"applied": True, "min_cell": 5, "hidden_pct_bases": 0,
                              "merged": {"Poco": ["Per niente", "Poco"]}}
    tab = reader_table(df, {"label": "col.answer", "n_display": "col.n", "pct": "col.pct",
                            "ci": "col.ci", "p": "col.p"},
                       kinds={"pct": "pct", "ci": "pct", "p": "p"}, ci={"ci": ("ci_low", "ci_high")},
                       lang="it", caption="Rilevanza", number="2.1", name="q2")
    assert list(tab.frame.columns) == ["Risposta", "N", "%", "IC 95%", "p"]
    assert tab.frame.iloc[0].tolist() == ["Molto", "120", "80%", "72–86%", "< 0,001"]
    assert tab.frame.iloc[1].tolist() == ["Poco", "x", "", "", "0,03"]
    assert tab.caption == "Tabella 2.1. Rilevanza"
    assert '<caption id="tab-q2-caption">Tabella 2.1. Rilevanza</caption>' in tab.html
    assert 'scope="col"' in tab.html
    notes = " ".join(tab.notes)
    assert "«x»" in notes and "accorpate: Poco = Per niente + Poco" in notes and "<5" not in notes
    # no pandas index, no NaN
    assert "nan" not in tab.html.lower().replace("nanoplot", "")
    assert ">0<" not in tab.html
    # same inputs, same bytes
    again = reader_table(df, {"label": "col.answer", "n_display": "col.n", "pct": "col.pct",
                              "ci": "col.ci", "p": "col.p"},
                         kinds={"pct": "pct", "ci": "pct", "p": "p"}, ci={"ci": ("ci_low", "ci_high")},
                         lang="it", caption="Rilevanza", number="2.1", name="q2")
    assert again.html == tab.html


def test_reader_table_english_and_missing_column_error() -> None:
    df = pd.DataFrame({"x": [0.5]})
    tab = reader_table(df, {"x": "col.estimate"}, kinds={"x": "num2"}, lang="en", caption="C", name="c")
    assert tab.frame.to_dict("list") == {"Coefficient": ["0.50"]}
    with pytest.raises(KeyError, match="column\\(s\\) y not in the table"):
        reader_table(df, {"y": "col.n"}, lang="en", caption="C", name="c")


@pytest.mark.parametrize("lang", ["it", "en"])
def test_forest_plot_is_labelled_by_link_and_legible_at_print_size(coef, lang) -> None:
    fig = effect_forest(coef, link="logit", lang=lang, term_labels={t: t[8:-1] for t in coef.term})
    assert ("Odds ratio" in fig.get_supxlabel()) or ("Odds ratio" in fig.axes[0].get_xlabel())
    assert min_print_font(fig) >= MIN_PRINT_PT
    fig = effect_forest(coef, link="probit", lang=lang)
    label = fig.get_supxlabel()
    assert "probit" in label and "Odds" not in label
    text = alt.alt_forest(coef, link="probit", lang=lang)
    assert "probit" in text and "odds" not in text.lower()


def test_predicted_and_trend_figures_fit_the_page_and_have_alt_text() -> None:
    grid = pd.MultiIndex.from_product([["op", "mg"], ["in", "out"], [1, 2, 3, 4, 5]],
                                      names=["role", "service", "level"]).to_frame(index=False)
    grid["probability"] = np.tile([0.1, 0.1, 0.2, 0.3, 0.3], 4)
    grid.loc[grid["role"] == "mg", "probability"] = np.tile([0.05, 0.05, 0.1, 0.3, 0.5], 2)
    fig = predicted_probability_bars(grid, x="role", facet="service", lang="it")
    assert min_print_font(fig) >= MIN_PRINT_PT
    text = alt.alt_predicted(grid, x="role", facet="service", lang="it", top_levels=[4, 5],
                             x_name="ruolo", facet_name="servizio", x_labels={"mg": "Manager"})
    assert "Manager, in; Manager, out (80%)" in text
    s = pd.DataFrame({"year": [2020, 2021, 2022], "top2_pct": [60.0, np.nan, 70.4],
                      "top2_ci_low": [50.0, np.nan, 61.0], "top2_ci_high": [69.0, np.nan, 78.0]})
    fig = top2_trend({"D2": s}, lang="it")
    assert min_print_font(fig) >= MIN_PRINT_PT
    assert alt.alt_trend({"D2": s}, lang="it").endswith("D2: 2020 60%, 2021 —, 2022 70%.")


def test_alt_text_of_likert_bars_says_what_is_hidden() -> None:
    f = pd.DataFrame({"code": [1, 2, 3, 4, 5, 9], "is_dk": [False] * 5 + [True],
                      "pct": [2.0, 6.0, 20.0, 40.0, 32.0, 3.0],
                      "pct_hidden": [True, False, False, False, False, True]})
    text = alt.alt_likert({"D2": f}, lang="it")
    assert "D2: — risposte negative, 72% positive" in text
    assert "riservatezza" in text


def test_reader_figure_and_alt_file(tmp_path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3))  # wider than the page: printed smaller
    fig.add_subplot().set_title("x", fontsize=8)
    assert min_print_font(fig) == pytest.approx(8 * 7 / 9)
    with pytest.raises(ValueError, match="no alt text"):
        reader_figure(fig, name="f", caption="c", alt=" ", lang="en")
    out = reader_figure(fig, name="f", caption="Shares", alt="Bars: a 5%.", number=3, lang="en")
    assert out.caption == "Figure 3. Shares"
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="Bars: a 5%." style="width:7.00in">',
                     out.html)
    path = write_alt(out.alt, "f", tmp_path)
    assert path.read_text(encoding="utf-8") == "Bars: a 5%.\n" and path.name == "f.alt.txt"


@pytest.mark.parametrize("module", ["analysis.present.tables", "analysis.present.figures",
                                    "analysis.plots.alt", "analysis.plots.models",
                                    "analysis.plots.trends"])
def test_docstring_examples(module: str) -> None:
    assert doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS).failed == 0
