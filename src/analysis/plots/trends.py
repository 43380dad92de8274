"""Trend chart: the share of the top two answers of each scale question per comparable year.

Takes the tables the report prints (:func:`analysis.stats.scale_summary` by ``year``), so the
chart and the table show the same numbers; a year whose share disclosure control hides has no
point.

Example
-------
>>> import pandas as pd
>>> s = pd.DataFrame({"year": [2020, 2021], "top2_pct": [60.0, 70.0],
...                   "top2_ci_low": [50.0, 61.0], "top2_ci_high": [69.0, 78.0]})
>>> fig = top2_trend({"Q2": s}, lang="it")
>>> fig.axes[0].get_ylabel()
'Due risposte più alte (%)'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from analysis.config import DEFAULT_LANG
from analysis.plots.style import house_style
from analysis.present.messages import t

__all__ = ["top2_trend"]


def top2_trend(
    series: Mapping[str, pd.DataFrame],
    *,
    lang: str = DEFAULT_LANG,
    level: int = 95,
    width: float = 7.0,
) -> Figure:
    """Lines of the top-two-box share per year with interval bars, one line per question.

    Parameters
    ----------
    series : mapping
        Question label -> table with ``year``, ``top2_pct``, ``top2_ci_low``, ``top2_ci_high``
        (hidden shares are NaN and not drawn).
    lang : {"it", "en"}
    level : int
        Confidence level of the intervals (legend).
    width : float
        Figure width in inches.

    Returns
    -------
    Figure
    """
    colours = sns.color_palette("colorblind", max(3, len(series)))
    markers = ["o", "s", "^", "D", "v"]
    years = sorted({int(y) for s in series.values() for y in s["year"]})
    with house_style():
        fig = Figure(figsize=(width, 3.2), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        offsets = np.linspace(-0.08, 0.08, len(series)) if len(series) > 1 else [0.0]
        for i, (label, s) in enumerate(series.items()):
            s = s.sort_values("year")
            ok = s["top2_pct"].notna().to_numpy()
            x = s["year"].astype(float).to_numpy() + offsets[i]
            y = s["top2_pct"].to_numpy(dtype=float)
            err = np.vstack([y - s["top2_ci_low"].to_numpy(dtype=float),
                             s["top2_ci_high"].to_numpy(dtype=float) - y])
            ax.errorbar(x[ok], y[ok], yerr=err[:, ok], color=colours[i], marker=markers[i % 5],
                        markersize=4, capsize=2, linewidth=1.2, label=label)
        ax.set_xticks(years)
        ax.set_xticklabels([str(y) for y in years])
        ax.set_ylim(0, 100)
        ax.set_ylabel(t("fig.axis.top2", lang))
        ax.set_xlabel(t("fig.axis.year", lang))
        ax.grid(axis="y", color="0.9")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  title=t("fig.legend.whiskers", lang, level=level), title_fontsize=7)
    return fig
