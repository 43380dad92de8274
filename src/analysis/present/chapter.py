"""A chapter of the report as the notebooks write it: headings, paragraphs, numbered tables and figures.

Every call displays its output at once (nothing is left as a cell's value) and takes its words
from the message catalogue. Tables and figures are numbered per chapter (``Tabella 2.3``,
``Figura 2.1``); :meth:`Chapter.figure_ref` gives the label of a figure before it is drawn, so
the text can point to it, and the figure takes that number when it is shown. Figures are
saved as PNG and SVG with their alt text beside them (``figures/NAME.alt.txt``).

Example
-------
>>> ch = Chapter(2, lang="it", output_dir=None, display=lambda obj: None)
>>> ch.figure_ref("q1_ranking"), ch.table_label()
('Figura 2.1', 'Tabella 2.1')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.present.figures import ReaderFigure, reader_figure, write_alt
from analysis.present.messages import t
from analysis.present.tables import ReaderTable, reader_table

__all__ = ["Chapter"]


def _default_display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


class Chapter:
    """Writer of one chapter (one notebook) of the reader report.

    Parameters
    ----------
    number : int
        Chapter number (tables and figures are numbered ``number.k``).
    lang : {"it", "en"}
    output_dir : path or None
        Where ``figures/`` go (None: figures are not saved, e.g. in doctests).
    level : int
        Confidence level of the intervals, for headers (``IC 95%``).
    display : callable, optional
        How outputs are shown (default: IPython's ``display``).
    """

    def __init__(self, number: int, *, lang: str, output_dir: str | Path | None, level: int = 95,
                 display: Callable[[Any], None] | None = None) -> None:
        self.number = number
        self.lang = lang
        self.output_dir = Path(output_dir) if output_dir is not None else None
        self.level = level
        self._display = display or _default_display
        self._figures: dict[str, int] = {}
        self._tables = 0
        self._prefix = str(number)
        self.shown_figures: list[ReaderFigure] = []
        self.shown_tables: list[ReaderTable] = []

    # -- words ---------------------------------------------------------------------------------
    def t(self, key: str, /, **values: object) -> str:
        """The catalogue text of ``key`` in the chapter's language."""
        return t(key, self.lang, **values)

    def markdown(self, text: str) -> None:
        """Show a paragraph (Markdown) written from catalogue texts."""
        from IPython.display import Markdown

        self._display(Markdown(text))

    def heading(self, key: str, level: int = 2, /, **values: object) -> None:
        """Show a heading: level 2 for the chapter title, 3 for its sections."""
        self.markdown("#" * level + " " + self.t(key, **values))

    def say(self, key: str, /, **values: object) -> None:
        """Show the paragraph ``key``."""
        self.markdown(self.t(key, **values))

    def appendix(self) -> None:
        """From now on, number tables and figures ``A{chapter}.k`` (the methods appendix)."""
        self._prefix = f"A{self.number}"
        self._tables = 0
        self._figures = {}

    # -- numbering -------------------------------------------------------------------------------
    def figure_ref(self, name: str) -> str:
        """``Figura 2.1``: the label of figure ``name`` (reserving its number if new)."""
        if name not in self._figures:
            self._figures[name] = len(self._figures) + 1
        return self.t("figure.label", number=f"{self._prefix}.{self._figures[name]}")

    def table_label(self) -> str:
        """The label the next table will take."""
        return self.t("table.label", number=f"{self._prefix}.{self._tables + 1}")

    # -- tables and figures --------------------------------------------------------------------
    def table(self, data: pd.DataFrame, columns: Mapping[str, str], *, name: str, caption: str,
              **kwargs: Any) -> None:
        """Show a numbered reader table (see :func:`analysis.present.tables.reader_table`).

        Returns None (so that a table shown by a cell's last line is not shown twice); the
        tables shown are kept in :attr:`shown_tables`.
        """
        self._tables += 1
        kwargs.setdefault("label_values", {"level": self.level})
        tab = reader_table(data, columns, lang=self.lang, caption=caption, name=name,
                           number=f"{self._prefix}.{self._tables}", **kwargs)
        self._display(tab)
        self.shown_tables.append(tab)

    def figure(self, fig, *, name: str, caption: str, alt: str, save: bool = True) -> None:
        """Save (PNG, SVG, alt text) and show a numbered, captioned figure with its alt text.

        Returns None; the figures shown are kept in :attr:`shown_figures`.
        """
        self.figure_ref(name)
        number = f"{self._prefix}.{self._figures[name]}"
        if save and self.output_dir is not None:
            from analysis.notebook.outputs import save_figure

            save_figure(fig, name, self.output_dir)
            write_alt(alt, name, self.output_dir)
        out = reader_figure(fig, name=name, caption=caption, alt=alt, lang=self.lang, number=number)
        self._display(out)
        self.shown_figures.append(out)
