"""One house style for every figure (colour-blind-safe palettes, DejaVu Sans, light grid).

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so
they render with the Agg backend anywhere and are returned to the caller.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import seaborn as sns

__all__ = [
    "HOUSE_RC",
    "DIVERGING",
    "NEUTRAL",
    "DK_COLOUR",
    "ACCENT",
    "SEQUENTIAL",
    "apply_house_style",
    "house_style",
    "wrap",
    "diverging_colours",
]

#: Colour-blind-safe diverging palette (ColorBrewer PuOr: orange = negative, purple = positive).
DIVERGING = "PuOr"
NEUTRAL = "#d9d9d9"
DK_COLOUR = "#9e9e9e"
ACCENT = "#5e3c99"
#: Sequential palette of ordered answers (predicted probabilities), colour-blind safe.
SEQUENTIAL = "Purples"

HOUSE_RC: dict = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}


def apply_house_style() -> None:
    """Set the house style globally (notebooks); figure functions use it locally anyway."""
    mpl.rcParams.update(HOUSE_RC)


@contextmanager
def house_style() -> Iterator[None]:
    """Context manager applying the house style to the figures built inside it."""
    with mpl.rc_context(HOUSE_RC):
        yield


def wrap(label: str, width: int = 28) -> str:
    """Wrap a (long Italian) label on several lines.

    Examples
    --------
    >>> wrap("Flessibilità, capacità di adattamento", 20)
    'Flessibilità,\\ncapacità di\\nadattamento'
    """
    return "\n".join(textwrap.wrap(str(label), width=width)) or str(label)


def diverging_colours(k: int) -> list:
    """``k`` colours from the diverging palette, with a grey neutral middle for odd ``k``."""
    cols = list(sns.color_palette(DIVERGING, k))
    if k % 2 == 1:
        cols[k // 2] = mpl.colors.to_rgb(NEUTRAL)
    return cols
