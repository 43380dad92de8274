"""Figures of the ordinal models: odds-ratio forest plots and predicted probabilities.

Both take the tidy tables of :mod:`analysis.models` and return a matplotlib Figure.

Example
-------
>>> from analysis.models import coefficient_table, fit_question_models   # doctest: +SKIP
>>> fig = odds_ratio_forest(coefficient_table(fit_question_models(df)))   # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["odds_ratio_forest", "predicted_probability_bars"]

_OR_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")  # Okabe-Ito, colour-blind safe


def odds_ratio_forest(
    coef: pd.DataFrame,
    *,
    term_labels: Mapping[str, str] | None = None,
    outcome_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Forest plot of odds ratios with their 95% intervals, one panel per outcome.

    Parameters
    ----------
    coef : DataFrame
        :func:`analysis.models.coefficient_table` output: ``outcome, term, odds_ratio,
        or_low, or_high``.
    term_labels, outcome_labels : mapping, optional
        Readable names for the terms (e.g. ``"role[T.manager]" -> "Role: manager"``) and outcomes.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        One point and one horizontal interval per term and outcome, log-scaled x axis,
        a reference line at an odds ratio of 1.
    """
    needed = {"outcome", "term", "odds_ratio", "or_low", "or_high"}
    if not needed <= set(coef.columns):
        raise KeyError(f"coef needs columns {sorted(needed)}")
    outcomes = list(dict.fromkeys(coef["outcome"]))
    terms = list(dict.fromkeys(coef["term"]))
    term_labels = dict(term_labels or {})
    outcome_labels = dict(outcome_labels or {})
    height = 0.9 + 0.32 * len(terms)
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(3.2 * len(outcomes) + 2.2, height), sharey=True, squeeze=False
    )
    y = np.arange(len(terms))[::-1]
    for i, (ax, outcome) in enumerate(zip(axes[0], outcomes, strict=True)):
        sub = coef[coef["outcome"] == outcome].set_index("term").reindex(terms)
        colour = _OR_COLOURS[i % len(_OR_COLOURS)]
        ok = sub["odds_ratio"].notna().to_numpy()
        ax.errorbar(
            sub["odds_ratio"][ok],
            y[ok],
            xerr=[
                (sub["odds_ratio"] - sub["or_low"])[ok],
                (sub["or_high"] - sub["odds_ratio"])[ok],
            ],
            fmt="o",
            color=colour,
            ecolor=colour,
            capsize=2,
            markersize=4,
        )
        ax.axvline(1.0, color="0.4", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.set_title(textwrap.fill(outcome_labels.get(outcome, outcome), 28), fontsize=9)
        ax.set_xlabel("odds ratio (95% CI)", fontsize=8)
        ax.grid(axis="x", color="0.9")
    axes[0][0].set_yticks(y)
    axes[0][0].set_yticklabels([textwrap.fill(term_labels.get(t, t), 34) for t in terms], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def predicted_probability_bars(
    pred: pd.DataFrame,
    *,
    x: str,
    facet: str | None = None,
    level_labels: Mapping[object, str] | None = None,
    x_labels: Mapping[object, str] | None = None,
    facet_labels: Mapping[object, str] | None = None,
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
    level_labels, x_labels, facet_labels : mapping, optional
        Readable labels.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        Each bar sums to 1; segments ordered from the lowest to the highest level, coloured
        on a sequential colour-blind-safe palette.
    """
    level_labels = dict(level_labels or {})
    x_labels = dict(x_labels or {})
    facet_labels = dict(facet_labels or {})
    levels = list(dict.fromkeys(pred["level"]))
    facets = list(dict.fromkeys(pred[facet])) if facet else [None]
    colours = plt.get_cmap("viridis")(np.linspace(0.1, 0.9, len(levels)))
    fig, axes = plt.subplots(
        1, len(facets), figsize=(2.8 * len(facets) + 1.8, 3.4), sharey=True, squeeze=False
    )
    for ax, value in zip(axes[0], facets, strict=True):
        sub = pred if value is None else pred[pred[facet] == value]
        table = sub.pivot_table(index=x, columns="level", values="probability", observed=True)
        table = table.reindex(columns=levels)
        xs = np.arange(len(table))
        bottom = np.zeros(len(table))
        for colour, level in zip(colours, levels, strict=True):
            vals = table[level].to_numpy(dtype=float)
            ax.bar(xs, vals, bottom=bottom, color=colour, width=0.7,
                   label=str(level_labels.get(level, level)))
            bottom += vals
        ax.set_xticks(xs)
        ax.set_xticklabels(
            [textwrap.fill(str(x_labels.get(v, v)), 12) for v in table.index], fontsize=8
        )
        ax.set_ylim(0, 1)
        if value is not None:
            ax.set_title(str(facet_labels.get(value, value)), fontsize=9)
    axes[0][0].set_ylabel("predicted probability")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="center right", fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    return fig
