"""Diverging stacked bars for Likert items.

Each item is one bar: the answers below the neutral point extend left of zero, those
above extend right, the neutral answer is split half and half across zero. Percentages
(of answers on the scale) are printed as integers when at least ``label_threshold``;
the negative and positive totals sit at the bar ends; items are sorted by positive
share; the axis is fixed at -100..100 % so years and groups compare; don't-know answers
are drawn in a narrow panel beside the bars, outside the diverging part; ``by`` makes
one facet per group. Items on a base under 10 are not drawn (disclosure control).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.codebook import Codebook
from analysis.plots.style import DK_COLOUR, diverging_colours, house_style, wrap
from analysis.present.messages import t
from analysis.stats._common import get_codebook, resolve
from analysis.stats.disclosure import MIN_BASE_PCT, MIN_CELL
from analysis.stats.likert import expand_columns, frequencies

__all__ = ["likert_diverging"]


_NOUNS = {  # Italian noun and its gender ending
    "segments": ("Segmenti", "i", "Segments"),
    "bars": ("Barre", "e", "Bars"),
    "cells": ("Celle", "e", "Cells"),
}


def _hidden_note(min_cell: int, lang: str, what: str = "segments") -> str:
    """Figure note for values left out by disclosure control."""
    it, g, en = _NOUNS[what]
    if lang == "it":
        return f"{it} con meno di {min_cell} rispondenti (o nascost{g} per proteggerli): non mostrat{g}"
    return f"{en} under {min_cell} respondents (or hidden to protect them) are not shown"


def _item_label(df: pd.DataFrame, column: str, cb: Codebook, lang: str, single: bool) -> str:
    res = resolve(df, column, cb)
    if res.variable is None:
        return column
    if res.item is not None and not single:
        return {i.code: i.label(lang) for i in res.variable.items}.get(res.item, str(res.item))
    if res.variable.number is not None:
        return t("question.heading", lang, number=res.variable.number, text=res.variable.text(lang))
    return res.variable.text(lang)


_BAR = {"edgecolor": "white", "linewidth": 0.5, "height": 0.7}


def _hidden_cells(sc: pd.DataFrame, codes, supp, lang: str) -> str:
    """The marker of a side with hidden answers: ``nascosti: <5, x`` (their display strings)."""
    shown = [str(sc.loc[c, "n_display"]) if "n_display" in sc.columns else "x"
             for c, hidden in zip(codes, supp, strict=True) if hidden]
    return t("fig.hidden_side", lang, cells=", ".join(shown))


def _draw_side(ax, yi, start, sign, indices, pct, supp, colours, label_threshold) -> float:
    """Draw one side of a diverging bar outwards from ``start``; return where it ends.

    ``sign`` is -1 for the negative side and +1 for the positive one; hidden cells
    (``supp``) are skipped so that neither their length nor their neighbours' positions
    encode them.
    """
    edge = start
    for j in indices:
        if supp[j]:
            continue
        ax.barh(yi, sign * pct[j], left=edge, color=colours[j], **_BAR)
        if pct[j] >= label_threshold:
            ax.text(edge + sign * pct[j] / 2, yi, f"{pct[j]:.0f}", ha="center", va="center",
                    fontsize=7)
        edge += sign * pct[j]
    return edge


def likert_diverging(
    df: pd.DataFrame,
    variables: str | Sequence[str],
    by: str | None = None,
    *,
    weights: str | np.ndarray | pd.Series | None = None,
    lang: str = "it",
    min_cell: int = MIN_CELL,
    label_threshold: float = 5,
    wrap_width: int = 30,
    title: str | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Diverging stacked bar chart of one or more Likert / ordinal items.

    Parameters
    ----------
    df : DataFrame
        Prepared data.
    variables : str or list of str
        Battery name (all its items), a single question, or a list of columns sharing
        one answer scale.
    by : str, optional
        One facet per group (e.g. ``"service"`` or ``"year"``).
    weights, min_cell, lang, codebook
        As in :func:`analysis.stats.frequencies`.
    label_threshold : float
        Percentages under this are not printed inside the bars.
    wrap_width : int
        Item labels are wrapped at this width.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = likert_diverging(df, "q7_skill_relevance", by="service", lang="en")  # doctest: +SKIP
    """
    cb = get_codebook(codebook)
    cols: list[str] = []
    for v in [variables] if isinstance(variables, str) else list(variables):
        cols += expand_columns(df, v, cb)
    single = len(cols) == 1
    res0 = resolve(df, cols[0], cb)
    codes = res0.codes
    k = len(codes)
    scale_labels = res0.labels(lang)
    if (
        res0.variable is not None
        and res0.variable.anchors.get(lang)
        and scale_labels == [str(c) for c in codes]
    ):
        lo_a, hi_a = res0.variable.anchors[lang]
        scale_labels = [f"{codes[0]} = {lo_a}"] + scale_labels[1:-1] + [f"{codes[-1]} = {hi_a}"]
    half = k // 2
    neutral = k % 2 == 1

    def table(byc: str | None) -> pd.DataFrame:
        parts = []
        for c in cols:
            # the figure draws every answer of the scale (declared merges are for tables)
            f = frequencies(
                df, c, by=byc, weights=weights, min_cell=min_cell, lang=lang, codebook=cb,
                merge=False,
            )
            f["column"] = c
            parts.append(f)
        return pd.concat(parts, ignore_index=True)

    overall = table(None)
    scale = overall[~overall["is_dk"]]
    # shown cells only: the order of the items must not reveal a hidden percentage
    shown_pct = scale["pct"].where(~scale["pct_hidden"].astype(bool), 0.0)
    pos_share = (
        scale.assign(pos=scale["code"].isin(codes[k - half :]) * shown_pct)
        .groupby("column")["pos"]
        .sum()
    )
    order = sorted(
        cols, key=lambda c: (pos_share.get(c, 0.0), -cols.index(c))
    )  # bottom-up: largest on top

    if by is None:
        groups: list = [None]
        data = overall
    else:
        data = table(by)
        groups = list(pd.unique(data[by]))
    colours = diverging_colours(k)
    has_dk = bool(data["is_dk"].any())

    with house_style():
        width = 1.5 + 5.2 * len(groups)
        fig = Figure(figsize=(width, 1.6 + 0.42 * len(cols)), layout="constrained")
        ratios = []
        for _ in groups:
            ratios += [5.0, 0.8] if has_dk else [5.0]
        gs = fig.add_gridspec(1, len(ratios), width_ratios=ratios)
        y = np.arange(len(order))
        any_hidden = False
        for gi, grp in enumerate(groups):
            step = 2 if has_dk else 1
            ax = fig.add_subplot(gs[0, gi * step])
            sub = data if grp is None else data[data[by] == grp]
            ticklabels = []
            dk_vals = []
            for yi, col in enumerate(order):
                rows = sub[sub["column"] == col]
                sc = rows[~rows["is_dk"]].set_index("code")
                base_n = int(sc["base_n"].iloc[0]) if len(sc) else 0
                label = wrap(_item_label(df, col, cb, lang, single), wrap_width)
                hidden = bool(min_cell and min_cell > 1 and base_n < MIN_BASE_PCT)
                n_txt = f"n{'<' + str(MIN_BASE_PCT) if hidden else '=' + str(base_n)}"
                if grp is None:
                    ticklabels.append(f"{label} ({n_txt})")
                else:  # facets: the item label once, the group's n inside each panel
                    ticklabels.append(label)
                    ax.text(
                        -99, yi + 0.42, n_txt, ha="left", va="center", fontsize=6.5, color="#555555"
                    )
                dk = rows[rows["is_dk"]]
                dk_hidden = not dk.empty and bool(dk["pct_hidden"].iloc[0])
                any_hidden |= dk_hidden and not hidden
                dk_vals.append(
                    np.nan if hidden or dk.empty or dk_hidden else float(dk["pct"].iloc[0])
                )
                if hidden or base_n == 0:
                    continue
                pct = np.array([float(sc.loc[c, "pct"]) for c in codes])
                # a cell whose percentage is hidden is left out of the bar altogether:
                # neither its length nor the position of its neighbours may encode it
                supp = np.array([bool(sc.loc[c, "pct_hidden"]) for c in codes])
                any_hidden |= bool(supp.any())
                shown = np.where(supp, 0.0, pct)
                neu = shown[half] if neutral else 0.0
                # negative side: code half-1 next to zero, then outwards; positive side
                # from the neutral half onwards. Hidden cells take no room at all.
                neg_end = _draw_side(
                    ax, yi, -neu / 2, -1, range(half - 1, -1, -1), pct, supp, colours, label_threshold
                )
                if neutral and not supp[half]:
                    for side in (-1, 1):
                        ax.barh(yi, side * neu / 2, left=0, color=colours[half], **_BAR)
                    if neu >= label_threshold:
                        ax.text(0, yi, f"{neu:.0f}", ha="center", va="center", fontsize=7)
                right = _draw_side(
                    ax, yi, neu / 2, 1, range(k - half, k), pct, supp, colours, label_threshold
                )
                # a side total including a hidden cell would give it away (total minus
                # the shown labels): it is not printed
                if supp[:half].any():  # what cannot be shown is marked, not silently left out
                    ax.text(neg_end - 2, yi, _hidden_cells(sc, codes[:half], supp[:half], lang),
                            ha="right", va="center", fontsize=7, style="italic", color="#555555")
                else:
                    ax.text(
                        neg_end - 2,
                        yi,
                        f"{pct[:half].sum():.0f}%",
                        ha="right",
                        va="center",
                        fontsize=7,
                        fontweight="bold",
                    )
                if supp[k - half :].any():
                    ax.text(right + 2, yi, _hidden_cells(sc, codes[k - half:], supp[k - half:], lang),
                            ha="left", va="center", fontsize=7, style="italic", color="#555555")
                else:
                    ax.text(
                        right + 2,
                        yi,
                        f"{pct[k - half :].sum():.0f}%",
                        ha="left",
                        va="center",
                        fontsize=7,
                        fontweight="bold",
                    )
            ax.set_xlim(-100, 100)
            ax.set_ylim(-0.6, len(order) - 0.4)
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_xticks([-100, -50, 0, 50, 100])
            ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
            ax.set_yticks(y)
            ax.set_yticklabels(ticklabels)
            if gi > 0:
                ax.tick_params(axis="y", labelleft=False)
            if grp is not None:
                glabel = cb[by].label_map(lang).get(grp, grp) if by in cb else grp
                ax.set_title(wrap(str(glabel), 40))
            if has_dk:
                dax = fig.add_subplot(gs[0, gi * step + 1], sharey=ax)
                vals = np.array(dk_vals)
                drawn = ~np.isnan(vals)  # hidden or undrawn items: no bar at all
                dax.barh(y[drawn], vals[drawn], color=DK_COLOUR, height=0.7)
                for yi, v in enumerate(dk_vals):
                    if not np.isnan(v):
                        dax.text(v + 2, yi, f"{v:.0f}%", va="center", fontsize=7)
                dax.set_xlim(0, 50)
                dax.set_xticks([])
                dax.tick_params(axis="y", left=False, labelleft=False)
                dax.spines["left"].set_visible(False)
                dax.spines["bottom"].set_visible(False)
                dax.set_title(t("fig.dont_know", lang), fontsize=8, fontweight="normal")
        handles = [Patch(facecolor=colours[j], label=scale_labels[j]) for j in range(k)]
        legend = fig.legend(handles=handles, loc="outside lower center", ncol=k)
        if any_hidden:
            legend.set_title(_hidden_note(min_cell, lang), prop={"size": 7, "style": "italic"})
        same = len({c.partition("__")[0] for c in cols}) == 1
        if title is None and not single and same and res0.variable is not None:
            title = res0.variable.text(lang)
        if title:
            fig.suptitle(wrap(title, 90), fontsize=10, fontweight="bold")
    return fig
