"""Figures as a reader sees them: numbered, captioned, with alt text, at print size.

:func:`reader_figure` turns a matplotlib Figure into an HTML ``<figure>``: the PNG embedded
with the alt text generated from the data (:mod:`analysis.plots.alt`), the caption
``Figura N. ...`` in the report's language, and a width in inches so that the figure prints at
its own size on A4 (never shrunk: a figure wider than :data:`PAGE_WIDTH_IN` is an error of the
figure, caught by :func:`min_print_font`). :func:`write_alt` stores the alt text beside the
PNG/SVG written by ``save_figure``.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(4, 2)); ax = fig.add_subplot(); _ = ax.plot([0, 1], [0, 1])
>>> out = reader_figure(fig, name="demo", caption="Prova", alt="Una linea.", number="1.1", lang="it")
>>> 'alt="Una linea."' in out.html and out.caption == "Figura 1.1. Prova"
True
"""

from __future__ import annotations

import base64
import html as _html
import io
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from analysis.present.messages import t

__all__ = ["PAGE_WIDTH_IN", "MIN_PRINT_PT", "FIGURE_CSS", "ReaderFigure", "reader_figure",
           "min_print_font", "write_alt", "ALT_SUFFIX"]

#: Width of the printable A4 area (210 mm minus two 15 mm margins), in inches.
PAGE_WIDTH_IN = 7.0
#: Smallest font size allowed at print size, in points.
MIN_PRINT_PT = 7.0
#: File suffix of the alt text stored beside a figure (``figures/NAME.alt.txt``).
ALT_SUFFIX = ".alt.txt"

FIGURE_CSS = """
figure.reader-figure { margin: 0.8em 0 1.4em 0; break-inside: avoid-page; page-break-inside: avoid; }
figure.reader-figure img { display: block; max-width: 100%; height: auto; }
figure.reader-figure figcaption { font-size: 0.85rem; margin-top: 0.4em; color: #222; }
figure.reader-figure figcaption .fig-label { font-weight: bold; }
"""


@dataclass
class ReaderFigure:
    """A figure ready for the report: HTML, caption and alt text."""

    html: str
    caption: str
    alt: str
    name: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.caption


def min_print_font(fig: Figure, page_width_in: float = PAGE_WIDTH_IN) -> float:
    """Smallest font size (pt) of the figure's texts once printed on the page.

    A figure wider than the page is scaled down, and its fonts with it.
    """
    width = float(fig.get_figwidth())
    scale = min(1.0, page_width_in / width) if width > 0 else 1.0
    sizes = [txt.get_fontsize() for txt in fig.findobj(lambda a: hasattr(a, "get_fontsize")
                                                       and hasattr(a, "get_text"))
             if str(txt.get_text()).strip() and txt.get_visible()]
    return min(sizes) * scale if sizes else float("inf")


def _png(fig: Figure, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def reader_figure(
    fig: Figure,
    *,
    name: str,
    caption: str,
    alt: str,
    lang: str,
    number: str | int | None = None,
    dpi: int = 200,
) -> ReaderFigure:
    """The HTML ``<figure>`` of ``fig`` with its number, caption and alt text.

    Parameters
    ----------
    fig : Figure
    name : str
        Stable identifier (the element id).
    caption : str
        What the figure shows (translated).
    alt : str
        Alternative text generated from the data (never empty).
    lang : {"it", "en"}
    number : str or int, optional
        ``"2.1"`` gives ``Figura 2.1.``.
    dpi : int, default 200

    Raises
    ------
    ValueError
        Empty alt text.
    """
    if not str(alt).strip():
        raise ValueError(f"figure {name!r} has no alt text")
    png = _png(fig, dpi)
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w_px = im.size[0]
    width_in = min(w_px / dpi, PAGE_WIDTH_IN)
    label = t("figure.label", lang, number=number) if number is not None else ""
    full = f"{label}. {caption}" if label else caption
    data = base64.b64encode(png).decode("ascii")
    fid = f"fig-{name}"
    cap_html = (f'<span class="fig-label">{_html.escape(label)}.</span> {_html.escape(caption)}'
                if label else _html.escape(caption))
    html = (
        f'<figure class="reader-figure" id="{_html.escape(fid)}">'
        f'<img src="data:image/png;base64,{data}" alt="{_html.escape(alt, quote=True)}" '
        f'style="width:{width_in:.2f}in">'
        f"<figcaption>{cap_html}</figcaption></figure>"
    )
    return ReaderFigure(html=html, caption=full, alt=alt, name=name)


def write_alt(alt: str, name: str, output_dir: str | Path) -> Path:
    """Store the alt text beside the figure files: ``output_dir/figures/NAME.alt.txt``."""
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{ALT_SUFFIX}"
    path.write_bytes((alt.strip() + "\n").encode("utf-8"))
    return path
