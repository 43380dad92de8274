"""HTML pieces of the reports: self-contained template, print CSS, table of contents, reader clean-up.

Nothing here starts a browser or a kernel.
"""

from __future__ import annotations

import html as _html
import re

from nbconvert.preprocessors import Preprocessor

from analysis.present.figures import FIGURE_CSS
from analysis.present.tables import TABLE_CSS

__all__ = [
    "TEMPLATE_NAME",
    "TEMPLATE_SOURCE",
    "REPORT_CSS",
    "READER_REMOVE_CELL_TAGS",
    "READER_REMOVE_INPUT_TAGS",
    "READER_REMOVE_OUTPUT_TAGS",
    "ReaderCleanPreprocessor",
    "add_toc",
    "headings",
]

#: Tags whose cell never reaches a reader (papermill's injected cell and the parameters cell too).
READER_REMOVE_CELL_TAGS: frozenset[str] = frozenset(
    {"remove_cell", "remove-cell", "hide_cell", "injected-parameters", "parameters"}
)
#: Tags whose input is hidden (all code inputs are hidden in the reader report anyway).
READER_REMOVE_INPUT_TAGS: frozenset[str] = frozenset({"remove_input", "remove-input", "hide_input"})
#: Tags whose outputs are dropped in the reader report.
READER_REMOVE_OUTPUT_TAGS: frozenset[str] = frozenset({"remove_output", "remove-output", "hide_output"})

#: CSS added after JupyterLab's: fonts that cover Italian, wrapped code, A4 print layout, TOC.
REPORT_CSS = """
:root {
  --jp-content-font-family: 'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, sans-serif;
  --jp-ui-font-family: 'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, sans-serif;
  --jp-code-font-family: 'DejaVu Sans Mono', 'Noto Sans Mono', 'Liberation Mono', monospace;
  --jp-code-font-family-default: 'DejaVu Sans Mono', 'Noto Sans Mono', 'Liberation Mono', monospace;
}
body { font-family: var(--jp-content-font-family); }
main { max-width: 60rem; margin: 0 auto; }
pre, code, .highlight pre, .jp-OutputArea-output pre, .jp-RenderedText pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  word-break: break-word;
}
.jp-OutputArea-output { overflow-x: visible; }
.jp-RenderedHTMLCommon table { max-width: 100%; table-layout: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { overflow-wrap: normal; word-break: normal; }
img, svg { max-width: 100%; height: auto; }
nav.toc { border: 1px solid #ddd; padding: 0.5em 1em; margin: 1em 0 2em 0; }
nav.toc .toc-title { font-weight: bold; margin: 0.2em 0 0.4em 0; }
nav.toc ul { list-style: none; padding-left: 0; margin: 0; }
nav.toc li.toc-h2 { padding-left: 1.2em; }
nav.toc li.toc-h3 { padding-left: 2.4em; }
nav.toc a { text-decoration: none; }
table.provenance td, table.provenance th { text-align: left; vertical-align: top; }
@page { size: A4; }
@media print {
  main { max-width: none; }
  h1, h2, h3, h4 { break-after: avoid-page; page-break-after: avoid; }
  img, svg, tr { break-inside: avoid-page; page-break-inside: avoid; }
  .jp-OutputArea-output { overflow: visible; }
}
""" + TABLE_CSS + FIGURE_CSS

#: Name under which :data:`TEMPLATE_SOURCE` is registered in the exporters' Jinja loader.
TEMPLATE_NAME = "softskills.html.j2"

#: JupyterLab's HTML without any script fetched from the network (no require.js, MathJax,
#: Mermaid or widget manager), plus :data:`REPORT_CSS`.
TEMPLATE_SOURCE = (
    "{%- extends 'index.html.j2' -%}\n"
    "{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}\n"
    "{% block jupyter_widgets %}{% endblock jupyter_widgets %}\n"
    "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
    "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
    "{%- block html_head_css -%}\n<style type=\"text/css\">"
    + "{% raw %}" + REPORT_CSS + "{% endraw %}"
    + "</style>\n{%- endblock html_head_css -%}\n"
)


class ReaderCleanPreprocessor(Preprocessor):
    """Drop what a reader must not see: error outputs, stderr streams, and code cells left empty.

    Run after :class:`nbconvert.preprocessors.TagRemovePreprocessor`.
    """

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [
                    out for out in cell.get("outputs", [])
                    if out.get("output_type") != "error"
                    and not (out.get("output_type") == "stream" and out.get("name") == "stderr")
                ]
                if not cell.outputs:
                    continue
            cells.append(cell)
        nb.cells = cells
        return nb, resources


_HEADING = re.compile(r"<h([1-6])(\s[^>]*)?>(.*?)</h\1>", re.DOTALL | re.IGNORECASE)
_ID = re.compile(r"""\sid=(["'])(.*?)\1""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a\s[^>]*class=[\"']anchor-link[\"'][^>]*>.*?</a>", re.DOTALL | re.IGNORECASE)


def _text(inner: str) -> str:
    return " ".join(_html.unescape(_TAG.sub("", _ANCHOR.sub("", inner))).split())


def headings(html: str, max_level: int = 6) -> list[tuple[int, str, str]]:
    """``(level, id, text)`` of the headings of an HTML document, in order.

    Examples
    --------
    >>> headings('<h1 id="A">A<a class="anchor-link" href="#A">¶</a></h1><h2>B &amp; C</h2>')
    [(1, 'A', 'A'), (2, '', 'B & C')]
    """
    out = []
    for m in _HEADING.finditer(html):
        level = int(m.group(1))
        if level > max_level:
            continue
        idm = _ID.search(m.group(2) or "")
        out.append((level, _html.unescape(idm.group(2)) if idm else "", _text(m.group(3))))
    return out


def add_toc(html: str, title: str = "Contents", max_level: int = 3) -> str:
    """Insert a ``<nav class="toc">`` built from the headings (levels 1 to ``max_level``).

    Heading ids are made unique (``id``, ``id-2``...) so every entry links to its own section.
    When the document starts with an ``<h1>`` it is taken as the title: the table goes right
    after it and does not list it.

    Examples
    --------
    >>> doc = '<main><h1 id="T">T</h1><h2 id="S">S</h2><h2 id="S">S</h2></main>'
    >>> out = add_toc(doc)
    >>> 'href="#S-2"' in out and out.index('<nav') < out.index('<h2')
    True
    """
    seen: dict[str, int] = {}
    entries: list[tuple[int, str, str]] = []

    def fix(m: re.Match[str]) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        text = _text(inner)
        idm = _ID.search(attrs)
        base = idm.group(2) if idm else re.sub(r"\s+", "-", text.strip()) or "section"
        n = seen.get(base, 0) + 1
        seen[base] = n
        new_id = base if n == 1 else f"{base}-{n}"
        if idm:
            attrs = attrs[: idm.start()] + f' id="{new_id}"' + attrs[idm.end():]
        else:
            attrs = f' id="{new_id}"' + attrs
        inner = re.sub(r'(class=["\']anchor-link["\'][^>]*href=["\'])#[^"\']*', rf"\g<1>#{new_id}", inner)
        inner = re.sub(r'(href=["\'])#[^"\']*(["\'][^>]*class=["\']anchor-link)', rf"\g<1>#{new_id}\g<2>", inner)
        if level <= max_level:
            entries.append((level, new_id, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    pieces = []
    pos = 0
    title_end = None  # offset just after the leading <h1>, if the first heading is an <h1>
    for i, m in enumerate(_HEADING.finditer(html)):
        pieces.append(html[pos:m.start()])
        pieces.append(fix(m))
        pos = m.end()
        if i == 0 and m.group(1) == "1":
            title_end = sum(len(p) for p in pieces)
    pieces.append(html[pos:])
    body = "".join(pieces)

    listed = entries[1:] if title_end is not None else entries
    items = "\n".join(
        f'<li class="toc-h{level}"><a href="#{_html.escape(anchor, quote=True)}">'
        f"{_html.escape(text)}</a></li>"
        for level, anchor, text in listed
    )
    nav = (f'<nav class="toc" id="toc"><p class="toc-title">{_html.escape(title)}</p>'
           f"\n<ul>\n{items}\n</ul></nav>\n")
    if title_end is not None:
        at = title_end
    else:
        m = re.search(r"<main[^>]*>", body) or re.search(r"<body[^>]*>", body)
        at = m.end() if m else 0
    return body[:at] + nav + body[at:]
