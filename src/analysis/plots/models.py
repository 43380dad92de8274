"""Figures of the ordinal models: effects with their intervals (forest plot), predicted probabilities.

Both take the tidy tables of :mod:`analysis.models`, use the house style
(:mod:`analysis.plots.style`), print at A4 width (no text under 7 pt) and label their axes in the
report's language (:mod:`analysis.present.messages`). The forest plot is labelled by the link:
odds ratios on a log scale under the logit, coefficients around 0 under any other link.

Example
-------
>>> import pandas as pd
>>> coef = pd.DataFrame({"outcome": ["q2"] * 2, "term": ["a", "b"], "estimate": [0.4, -0.1],
...                      "ci_low": [0.1, -0.5], "ci_high": [0.7, 0.3]})
>>> fig = effect_forest(coef, link="probit", lang="it")
>>> fig.axes[0].get_xlabel()
'Coefficiente (probit) e IC 95%'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.config import DEFAULT_LANG
from analysis.plots.style import ACCENT, SEQUENTIAL, house_style, wrap
from analysis.present.messages import t

__all__ = ["effect_forest", "predicted_probability_bars", "odds_ratio_forest"]

#: Width of a figure that fills the printed A4 text width, in inches.
FULL_WIDTH = 7.0


def _effect_columns(coef: pd.DataFrame, link: str) -> tuple[str, str, str, float, bool]:
    """Columns of the point and the interval, the null value and whether the scale is a ratio."""
    if link == "logit" and {"odds_ratio", "or_low", "or_high"} <= set(coef.columns):
        return "odds_ratio", "or_low", "or_high", 1.0, True
    needed = {"estimate", "ci_low", "ci_high"}
    if not needed <= set(coef.columns):
        raise KeyError(f"coef needs columns {sorted(needed)} (or odds_ratio, or_low, or_high)")
    return "estimate", "ci_low", "ci_high", 0.0, False


def effect_forest(
    coef: pd.DataFrame,
    *,
    link: str = "logit",
    lang: str = DEFAULT_LANG,
    level: int = 95,
    term_labels: Mapping[str, str] | None = None,
    outcome_labels: Mapping[str, str] | None = None,
    width: float = FULL_WIDTH,
) -> Figure:
    """Forest plot of the model effects with their intervals, one panel per outcome.

    Parameters
    ----------
    coef : DataFrame
        :func:`analysis.models.coefficient_table` output: ``outcome, term`` and
        ``odds_ratio, or_low, or_high`` (logit) or ``estimate, ci_low, ci_high``.
    link : str
        The models' link: the logit gives odds ratios on a log scale (null 1), any other
        link its coefficients (null 0).
    lang : {"it", "en"}
    level : int
        Confidence level of the intervals, for the axis label.
    term_labels, outcome_labels : mapping, optional
        Readable names of the terms and outcomes.
    width : float
        Figure width in inches (at most the A4 text width).

    Returns
    -------
    Figure
        Intervals that exclude the null value in the accent colour, the others in grey.
    """
    point, lo, hi, null, ratio = _effect_columns(coef, link)
    outcomes = list(dict.fromkeys(coef["outcome"]))
    terms = list(dict.fromkeys(coef["term"]))
    term_labels = dict(term_labels or {})
    outcome_labels = dict(outcome_labels or {})
    y = np.arange(len(terms))[::-1]
    with house_style():
        fig = Figure(figsize=(width, 1.1 + 0.26 * len(terms)), layout="constrained")
        gs = fig.add_gridspec(1, len(outcomes))
        first = None
        for i, outcome in enumerate(outcomes):
            ax = fig.add_subplot(gs[0, i], sharey=first)
            first = first or ax
            sub = coef[coef["outcome"] == outcome].set_index("term").reindex(terms)
            ok = sub[point].notna().to_numpy()
            excl = ok & ((sub[lo] > null) | (sub[hi] < null)).to_numpy()
            for mask, colour in ((ok & ~excl, "#8c8c8c"), (excl, ACCENT)):
                if not mask.any():
                    continue
                ax.errorbar(sub[point][mask], y[mask],
                            xerr=[(sub[point] - sub[lo])[mask], (sub[hi] - sub[point])[mask]],
                            fmt="o", color=colour, ecolor=colour, capsize=2, markersize=3.5,
                            elinewidth=1)
            ax.axvline(null, color="0.3", linewidth=0.8, linestyle="--")
            if ratio:
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(_ratio_formatter(lang))
                ax.xaxis.set_minor_formatter(_blank_formatter())
            ax.set_title(wrap(outcome_labels.get(outcome, outcome), 24), fontsize=8)
            ax.grid(axis="x", color="0.9")
            ax.tick_params(axis="x", labelsize=7)
            if i == 0:
                ax.set_yticks(y)
                ax.set_yticklabels([wrap(term_labels.get(tm, tm), 34) for tm in terms], fontsize=7)
            else:
                ax.tick_params(axis="y", labelleft=False)
        if ratio:
            for ax in fig.axes:
                _ratio_ticks(ax)
        label = (t("fig.axis.odds_ratio", lang, level=level) if ratio
                 else t("fig.axis.coefficient", lang, level=level, link=t(f"link.{link}", lang)))
        fig.supxlabel(label, fontsize=8)
        if len(outcomes) == 1:
            first.set_xlabel(label, fontsize=8)
            fig.supxlabel("")
    return fig


def _ratio_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    from analysis.present.numbers import fmt_ratio

    return FuncFormatter(lambda v, _pos: fmt_ratio(v, lang) if v > 0 else "")


def _ratio_ticks(ax) -> None:
    """Readable ticks on a log axis of ratios: 1-2-5 steps, or powers of ten when they crowd."""
    from matplotlib.ticker import FixedLocator

    lo, hi = ax.get_xlim()
    steps = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)]
    ticks = [v for v in steps if lo <= v <= hi]
    if len(ticks) > 5:
        ticks = [v for v in ticks if abs(np.log10(v) - round(np.log10(v))) < 1e-9]
    if len(ticks) < 2:
        ticks = sorted({*ticks, 1.0})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xlim(lo, hi)


def _blank_formatter():
    from matplotlib.ticker import NullFormatter

    return NullFormatter()


def odds_ratio_forest(
    coef: pd.DataFrame,
    *,
    term_labels: Mapping[str, str] | None = None,
    outcome_labels: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANG,
    level: int = 95,
) -> Figure:
    """:func:`effect_forest` of a logit model (odds ratios, log scale)."""
    return effect_forest(coef, link="logit", lang=lang, level=level, term_labels=term_labels,
                         outcome_labels=outcome_labels)


def predicted_probability_bars(
    pred: pd.DataFrame,
    *,
    x: str,
    facet: str | None = None,
    lang: str = DEFAULT_LANG,
    level_labels: Mapping[object, str] | None = None,
    x_labels: Mapping[object, str] | None = None,
    facet_labels: Mapping[object, str] | None = None,
    width: float = FULL_WIDTH,
    title: str | None = None,
) -> Figure:
    """Stacked bars of predicted outcome probabilities, one bar per value of ``x``.

    Parameters
    ----------
    pred : DataFrame
        :func:`analysis.models.predicted_probabilities` output (``level``, ``probability``
        and the grid columns).
    x : str
        Grid column on the x axis.
    facet : str, optional
        Grid column giving one panel per value.
    lang : {"it", "en"}
    level_labels, x_labels, facet_labels : mapping, optional
        Readable labels.
    width : float
        Figure width in inches.
    title : str, optional
        A title inside the figure (reports put it in the caption instead).

    Returns
    -------
    Figure
        Each bar sums to 1 (shown as %); segments from the lowest to the highest level on a
        sequential colour-blind-safe palette; the share of each segment of at least 8% is
        printed inside it.
    """
    level_labels = dict(level_labels or {})
    x_labels = dict(x_labels or {})
    facet_labels = dict(facet_labels or {})
    levels = list(dict.fromkeys(pred["level"]))
    facets = list(dict.fromkeys(pred[facet])) if facet else [None]
    import seaborn as sns

    colours = sns.color_palette(SEQUENTIAL, len(levels))
    with house_style():
        fig = Figure(figsize=(width, 3.3), layout="constrained")
        gs = fig.add_gridspec(1, len(facets))
        first = None
        for i, value in enumerate(facets):
            ax = fig.add_subplot(gs[0, i], sharey=first)
            first = first or ax
            sub = pred if value is None else pred[pred[facet] == value]
            table = sub.pivot_table(index=x, columns="level", values="probability", observed=True)
            table = table.reindex(columns=levels)
            xs = np.arange(len(table))
            bottom = np.zeros(len(table))
            for j, (colour, level) in enumerate(zip(colours, levels, strict=True)):
                vals = 100 * table[level].to_numpy(dtype=float)
                ax.bar(xs, vals, bottom=bottom, color=colour, width=0.7,
                       label=str(level_labels.get(level, level)), edgecolor="white", linewidth=0.5)
                for xi, (v, b) in enumerate(zip(vals, bottom, strict=True)):
                    if v >= 8:
                        ax.text(xi, b + v / 2, f"{v:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if j >= len(levels) // 2 else "black")
                bottom += vals
            ax.set_xticks(xs)
            ax.set_xticklabels([wrap(str(x_labels.get(v, v)), 12) for v in table.index], fontsize=7)
            ax.set_ylim(0, 100)
            if value is not None:
                ax.set_title(wrap(str(facet_labels.get(value, value)), 30), fontsize=8)
            if i:
                ax.tick_params(axis="y", labelleft=False)
        first.set_ylabel(t("fig.axis.probability", lang) + " (%)", fontsize=8)
        handles, labels = first.get_legend_handles_labels()
        fig.legend(handles[::-1], labels[::-1], loc="outside right center", fontsize=7)
        if title:
            fig.suptitle(wrap(title, 90), fontsize=9)
    return fig
