"""Figures of the survey (seaborn / matplotlib), one house style, labels from the codebook.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so it
renders with the Agg backend in tests, scripts and notebooks alike.
"""

from analysis.plots.likert import likert_diverging
from analysis.plots.models import effect_forest, odds_ratio_forest, predicted_probability_bars
from analysis.plots.multiple_response import cooccurrence_heatmap, ranking
from analysis.plots.style import apply_house_style, house_style, wrap
from analysis.plots.trends import top2_trend

__all__ = [
    "apply_house_style",
    "effect_forest",
    "odds_ratio_forest",
    "predicted_probability_bars",
    "top2_trend",
    "cooccurrence_heatmap",
    "house_style",
    "likert_diverging",
    "ranking",
    "wrap",
]
