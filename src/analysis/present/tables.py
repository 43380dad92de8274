"""Reader tables: a tidy DataFrame turned into the table a reader sees (great_tables).

:func:`reader_table` takes the columns to show with their labels in the report's language,
formats every cell by locale (:mod:`analysis.present.numbers`: percentages as integers,
odds ratios with two decimals, p-values as ``< 0,001``), numbers the table and gives it a
``<caption>``, writes no index, puts the base and the units in the header or the source note,
and adds the footnotes that the cells call for: ``<5`` and ``x`` (disclosure control), hidden
percentages and merged categories, read from the table's ``attrs["disclosure"]`` (the
protection plan of :mod:`analysis.stats.disclosure`). Cells never break inside a word (see
:data:`TABLE_CSS`).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"label": ["Sì", "No"], "n_display": ["120", "<5"], "p": [0.0004, 0.2]})
>>> tab = reader_table(df, {"label": "col.answer", "n_display": "col.n", "p": "col.p"},
...                    kinds={"p": "p"}, lang="it", caption="Prova", number="1.1", name="demo")
>>> "<caption" in tab.html and "&lt; 0,001" in tab.html and "Tabella 1.1" in tab.html
True
>>> tab.notes[0].startswith("«<5»")
True
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.present.messages import has, t
from analysis.present.numbers import (
    fmt_ci,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_ratio,
    is_missing,
)

__all__ = ["TABLE_CSS", "KINDS", "ReaderTable", "reader_table", "disclosure_notes"]

#: CSS of the reader tables (added to the report's CSS): no word broken across lines,
#: numbers kept on one line, compact print size.
TABLE_CSS = """
.reader-table { margin: 0.6em 0 1.2em 0; }
.reader-table table.gt_table { font-size: 0.82rem; margin-left: 0 !important; }
.reader-table caption { caption-side: top; text-align: left; font-weight: bold; padding: 0 0 0.3em 0;
  color: #222; }
.reader-table td, .reader-table th { overflow-wrap: normal !important; word-break: normal !important;
  hyphens: manual; }
.reader-table td.gt_right { white-space: nowrap; }
.reader-table th { white-space: normal !important; }
.reader-table td.gt_sourcenote, .reader-table td.gt_footnote { font-size: 0.75rem; white-space: normal; }
@media print { .reader-table table { break-inside: auto; } .reader-table tr { break-inside: avoid; } }
"""

#: How a column is formatted, by kind: a function (value, lang) -> str.
KINDS: dict[str, Callable[[Any, str], str]] = {
    "text": lambda v, lang: "" if is_missing(v) else str(v),
    "count": lambda v, lang: fmt_int(v, lang),
    "pct": lambda v, lang: fmt_pct(v, 0, lang),
    "pct1": lambda v, lang: fmt_pct(v, 1, lang),
    "pp": lambda v, lang: fmt_number(v, 0, lang, sign=True),
    "p": lambda v, lang: fmt_p(v, lang),
    "ratio": lambda v, lang: fmt_ratio(v, lang),
    "num0": lambda v, lang: fmt_number(v, 0, lang),
    "num1": lambda v, lang: fmt_number(v, 1, lang),
    "num2": lambda v, lang: fmt_number(v, 2, lang),
    "num3": lambda v, lang: fmt_number(v, 3, lang),
    "sci": lambda v, lang: "" if is_missing(v) else _sci(float(v), lang),
    "bool": lambda v, lang: "" if is_missing(v) else t("word.yes" if bool(v) else "word.no", lang),
}

_NUMERIC_KINDS = set(KINDS) - {"text", "bool"}


def _sci(v: float, lang: str) -> str:
    """Large or tiny numbers as ``1,2 × 10⁵`` (condition numbers, gradients)."""
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return fmt_number(v, 3 if abs(v) < 1 else 1, lang)
    exp = int(f"{v:e}".split("e")[1])
    mant = v / 10**exp
    sup = str(exp).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{fmt_number(mant, 1, lang)} × 10{sup}"


@dataclass
class ReaderTable:
    """A reader table: its HTML (``_repr_html_`` for notebooks), caption, notes and data.

    ``frame`` is the formatted table (strings, labelled columns) the reader sees.
    """

    html: str
    caption: str
    notes: list[str] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    name: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:  # what a plain-text front end shows: the caption, never a dump
        return self.caption


def _label(key_or_text: str, lang: str, values: Mapping[str, object]) -> str:
    """A catalogue key (``col.n``) gives its text; anything else is taken as already translated."""
    if has(key_or_text):
        return t(key_or_text, lang, **values)
    return key_or_text


def disclosure_notes(
    cells: pd.DataFrame, info: Mapping[str, Any] | None, lang: str
) -> list[str]:
    """Footnotes for what the shown cells contain: ``<m``, ``x``, hidden percentages, merges.

    Parameters
    ----------
    cells : DataFrame
        The formatted cells the reader sees.
    info : mapping, optional
        ``attrs["disclosure"]`` of the source table (min_cell, min_base_pct, merged...).
    lang : {"it", "en"}

    Examples
    --------
    >>> cells = pd.DataFrame({"n": ["12", "<5", "x"]})
    >>> [n[:4] for n in disclosure_notes(cells, {"applied": True, "min_cell": 5}, "en")]
    ['"<5"', '"x":']
    """
    info = dict(info or {})
    text = cells.astype(str)
    out = []
    m = int(info.get("min_cell") or 5)
    if text.apply(lambda s: s.str.fullmatch(r"<\d+")).to_numpy().any():
        found = sorted({int(v[1:]) for v in text.to_numpy().ravel() if re.fullmatch(r"<\d+", v)})
        out.append(t("note.primary", lang, m=found[0] if found else m))
    if (text == "x").to_numpy().any():
        out.append(t("note.secondary", lang))
    if info.get("hidden_pct_bases"):
        out.append(t("note.pct_hidden", lang, b=int(info.get("min_base_pct") or 10)))
    merged = info.get("merged")
    if merged:
        if isinstance(merged, Mapping):
            parts = []
            for target, sources in merged.items():
                sources = [sources] if isinstance(sources, str) else list(sources)
                parts.append(f"{target} = {' + '.join(map(str, sources))}")
            merged_text = "; ".join(parts)
        elif isinstance(merged, str):
            merged_text = merged
        else:
            merged_text = "; ".join(map(str, merged))
        out.append(t("note.merged", lang, merged=merged_text))
    if info and info.get("applied") is False:
        out.append(t("note.disclosure_off", lang))
    return out


def reader_table(
    data: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    lang: str,
    caption: str,
    name: str,
    number: str | int | None = None,
    kinds: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    source: str | None = None,
    disclosure: pd.DataFrame | Mapping[str, Any] | None = None,
    label_values: Mapping[str, object] | None = None,
    ci: Mapping[str, tuple[str, str]] | None = None,
    group: str | None = None,
) -> ReaderTable:
    """The reader's version of ``data``.

    Parameters
    ----------
    data : DataFrame
        Tidy table (numbers, or display strings such as ``n_display``).
    columns : mapping
        Column to show -> its header: a catalogue key (``"col.n"``) or a translated text.
        Only these columns are shown, in this order; the index never is.
    lang : {"it", "en"}
    caption : str
        What the table shows (translated); the caption reads ``Tabella N. caption``.
    name : str
        Stable identifier (the HTML id; same name, same bytes).
    number : str or int, optional
        Table number (``"2.1"``); without it the caption has no label.
    kinds : mapping, optional
        Column -> kind of :data:`KINDS` (default ``"text"``).
    notes : sequence of str
        Extra notes (translated), e.g. the base, the reference categories.
    source : str, optional
        Source note shown first (e.g. the base of the percentages).
    disclosure : DataFrame or mapping, optional
        Table whose ``attrs["disclosure"]`` (or the dict itself) describes the protection;
        defaults to ``data.attrs["disclosure"]``.
    label_values : mapping, optional
        Fields of the header templates (``{"level": 95}``).
    ci : mapping, optional
        New column -> (low column, high column), formatted as an interval with the kind of
        the new column (``"pct"`` gives ``43–60%``); place the new column in ``columns``.
    group : str, optional
        Column whose values head groups of rows (shown as row-group labels).

    Returns
    -------
    ReaderTable
    """
    import great_tables as gt

    kinds = dict(kinds or {})
    values = {"level": 95, **dict(label_values or {})}
    cols = list(columns)
    src = data.copy()
    for new, (lo, hi) in (ci or {}).items():
        kind = kinds.get(new, "num2")
        pct = kind.startswith("pct")
        dec = {"pct": 0, "pct1": 1, "num0": 0, "num1": 1, "num2": 2, "num3": 3, "ratio": 2}.get(kind, 2)
        src[new] = [fmt_ci(a, b, dec, lang, pct=pct) for a, b in zip(src[lo], src[hi], strict=True)]
        kinds[new] = "text_num"
    missing = [c for c in cols + ([group] if group else []) if c not in src.columns]
    if missing:
        raise KeyError(f"reader_table {name!r}: column(s) {', '.join(missing)} not in the table")
    shown = pd.DataFrame(index=range(len(src)))
    for c in cols:
        kind = kinds.get(c, "text")
        fmt = KINDS["text"] if kind == "text_num" else KINDS[kind]
        shown[c] = [fmt(v, lang) for v in src[c].tolist()]
    if group:
        shown[group] = [KINDS["text"](v, lang) for v in src[group].tolist()]
    headers = {c: _label(columns[c], lang, values) for c in cols}

    if disclosure is None:
        info = data.attrs.get("disclosure")
    elif isinstance(disclosure, pd.DataFrame):
        info = disclosure.attrs.get("disclosure")
    else:
        info = disclosure
    all_notes = ([source] if source else []) + list(notes) + disclosure_notes(shown[cols], info, lang)

    table_id = f"tab-{re.sub(r'[^A-Za-z0-9_-]', '-', name)}"
    g = gt.GT(shown, id=table_id, groupname_col=group)
    g = g.cols_label(**headers)
    numeric = [c for c in cols if kinds.get(c, "text") in _NUMERIC_KINDS | {"text_num"}
               or c.endswith("_display")]
    if numeric:
        g = g.cols_align("right", columns=numeric)
    text_cols = [c for c in cols if c not in numeric]
    if text_cols:
        g = g.cols_align("left", columns=text_cols)
    for note in all_notes:
        g = g.tab_source_note(note)
    g = g.tab_options(table_font_names=["DejaVu Sans", "Noto Sans", "Arial", "sans-serif"],
                      table_font_size="0.82rem", data_row_padding="3px",
                      column_labels_font_weight="bold", table_margin_left="0")
    body = g.as_raw_html(inline_css=False, make_page=False)
    label = t("table.label", lang, number=number) + ". " if number is not None else ""
    full_caption = f"{label}{caption}"
    cap = f'<caption id="{table_id}-caption">{_html.escape(full_caption)}</caption>'
    body = re.sub(r"(<table\b[^>]*?)\saria-labelledby=\"[^\"]*\"", r"\1", body, count=1)
    body = re.sub(r"(<table\b[^>]*>)", lambda m: m.group(1) + "\n" + cap, body, count=1)
    html = f'<div class="reader-table" id="{table_id}-wrap">{body}</div>'
    frame = shown[cols].rename(columns=headers)
    return ReaderTable(html=html, caption=full_caption, notes=all_notes, frame=frame, name=name)
