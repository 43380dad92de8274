"""Question 1: ranking of the options with Wilson whiskers, and the co-occurrence heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from analysis.codebook import Codebook
from analysis.plots.likert import _hidden_note
from analysis.plots.style import ACCENT, house_style, wrap
from analysis.present.messages import t as msg
from analysis.stats._common import get_codebook
from analysis.stats.disclosure import MIN_BASE_PCT, MIN_CELL
from analysis.stats.multiple_response import multiple_response

__all__ = ["ranking", "cooccurrence_heatmap"]


def ranking(
    df: pd.DataFrame,
    question: str = "q1_skills",
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    lang: str = "it",
    min_cell: int = MIN_CELL,
    alpha: float = 0.05,
    wrap_width: int = 30,
    codebook: Codebook | None = None,
) -> Figure:
    """Horizontal bars of % of respondents per option, sorted, with Wilson interval whiskers.

    Options whose percentage disclosure control hides (1..min_cell-1 respondents, or hidden
    to protect such an option) get no bar and no whisker, only a "not shown" mark, and
    sit at the bottom in questionnaire order, so that neither a length nor the rank gives
    them away; a note under the axis says so. With a base under 10 no bar is drawn.
    ``min_cell=0`` draws everything.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cb = get_codebook(codebook)
    r = multiple_response(
        df, question, weights=weights, lang=lang, min_cell=min_cell, alpha=alpha, codebook=cb
    )
    t = _shown_first(r.table, min_cell, ascending=True)
    base = int(t["base_respondents_n"].iloc[0]) if len(t) else 0
    hidden = bool(min_cell and min_cell > 1 and base < MIN_BASE_PCT)
    opt_hidden = t["_hidden"].to_numpy()
    with house_style():
        fig = Figure(figsize=(7, 0.9 + 0.38 * len(t)), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        y = np.arange(len(t))
        if not hidden:
            show = ~opt_hidden
            pct = t["pct_respondents"].to_numpy()[show]
            err = np.vstack(
                [pct - t["ci_low"].to_numpy()[show], t["ci_high"].to_numpy()[show] - pct]
            )
            ax.barh(y[show], pct, color=ACCENT, height=0.65)
            ax.errorbar(
                pct, y[show], xerr=err, fmt="none", ecolor="black", elinewidth=0.8, capsize=2
            )
            for yi in y:
                if opt_hidden[yi]:
                    ax.text(
                        1,
                        yi,
                        "non mostrato" if lang == "it" else "not shown",
                        va="center",
                        fontsize=7,
                        style="italic",
                        color="#777777",
                    )
                else:
                    s = t["pct_display"].iloc[yi]
                    ax.text(t["ci_high"].iloc[yi] + 1.5, yi, s, va="center", fontsize=7)
        ax.set_yticks(y)
        ax.set_yticklabels([wrap(lbl, wrap_width) for lbl in t["label"]])
        ax.set_xlim(0, 100)
        xlabel = (
            f"% dei rispondenti (n={base}); barre: intervallo di Wilson al {100 * (1 - alpha):.0f}%"
            if lang == "it"
            else f"% of respondents (n={base}); whiskers: {100 * (1 - alpha):.0f}% Wilson interval"
        )
        if not hidden and opt_hidden.any():
            xlabel += "\n" + _hidden_note(min_cell, lang, "bars")
        ax.set_xlabel(xlabel)
        var = cb[question]
        ax.set_title(wrap(msg("question.heading", lang, number=var.number, text=var.text(lang))
                          if var.number else var.text(lang), 60))
    return fig


def cooccurrence_heatmap(
    df: pd.DataFrame,
    question: str = "q1_skills",
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    lang: str = "it",
    min_cell: int = MIN_CELL,
    wrap_width: int = 22,
    codebook: Codebook | None = None,
) -> Figure:
    """Heatmap of the % of respondents choosing both options (diagonal: the option itself).

    Cells hidden by disclosure control are left blank, and so are the row and the column
    of an option whose percentage the frequency table hides (its diagonal cell would show
    it, the others bound it); such options come last, in questionnaire order. A note
    under the map says so. ``min_cell=0`` shows everything.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cb = get_codebook(codebook)
    r = multiple_response(df, question, weights=weights, lang=lang, min_cell=min_cell, codebook=cb)
    t = _shown_first(r.table, min_cell, ascending=False)
    order = t["option"].tolist()
    opt_hidden = set(t.loc[t["_hidden"], "option"])
    labels = dict(zip(r.table["option"], r.table["label"], strict=True))
    co = r.cooccurrence
    m = co.pivot(index="option_a", columns="option_b", values="pct_respondents").loc[order, order]
    base = int(r.picks["respondents"].iloc[0])
    all_hidden = bool(min_cell and min_cell > 1 and base < MIN_BASE_PCT)
    if all_hidden:
        m[:] = np.nan
    elif opt_hidden:
        gone = [o for o in order if o in opt_hidden]
        m.loc[gone, :] = np.nan
        m.loc[:, gone] = np.nan
    with house_style():
        k = len(order)
        fig = Figure(figsize=(2.5 + 0.55 * k, 1.8 + 0.5 * k), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        lower = ~np.triu(np.ones((k, k), dtype=bool), k=1)
        mask = m.isna().to_numpy() | ~lower
        # a blank cell that holds a count (not merely an empty one) calls for the note
        blanked = bool((m.isna().to_numpy() & lower).any()) and not all_hidden
        sns.heatmap(
            m.astype(float),
            mask=mask,
            ax=ax,
            cmap="Purples",
            vmin=0,
            vmax=100,
            annot=True,
            fmt=".0f",
            annot_kws={"fontsize": 7},
            cbar_kws={"label": "% dei rispondenti" if lang == "it" else "% of respondents"},
            square=True,
            linewidths=0.5,
            linecolor="white",
        )
        ticks = [wrap(labels[o], wrap_width) for o in order]
        ax.set_xticks(np.arange(k) + 0.5)
        ax.set_xticklabels(ticks, rotation=90)
        ax.set_yticks(np.arange(k) + 0.5)
        ax.set_yticklabels(ticks, rotation=0)
        ax.set_xlabel(_hidden_note(min_cell, lang, "cells") if blanked else "", fontsize=7)
        ax.set_ylabel("")
        var = cb[question]
        ax.set_title(
            wrap(
                (f"Scelte insieme (n={base})" if lang == "it" else f"Chosen together (n={base})")
                + f" — Q{var.number}" * (var.number is not None),
                60,
            )
        )
    return fig


def _shown_first(table: pd.DataFrame, min_cell: int, *, ascending: bool) -> pd.DataFrame:
    """Options sorted by % of respondents, those whose percentage is hidden put apart.

    The hidden ones are not ranked (their rank would bound the hidden value): they come
    first (``ascending``, the bottom of a bar chart) or last, in questionnaire order.
    Adds the boolean column ``_hidden``.
    """
    t = table.copy()
    applied = bool(min_cell and min_cell > 1)
    t["_hidden"] = applied & (t["pct_display"] == "")
    shown = t[~t["_hidden"]].sort_values("pct_respondents", ascending=ascending, kind="mergesort")
    hid = t[t["_hidden"]]
    parts = [hid, shown] if ascending else [shown, hid]
    return pd.concat(parts).reset_index(drop=True)
