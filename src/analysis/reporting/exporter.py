"""nbconvert exporters of the reports: self-contained HTML and PDF printed by headless Chromium.

``ChromiumPDFExporter`` is registered under the ``nbconvert.exporters`` entry point as
``chromiumpdf``::

    jupyter nbconvert --to chromiumpdf notebook.ipynb
    jupyter nbconvert --to chromiumpdf --ReportHTMLExporter.reader=True notebook.ipynb

Examples
--------
>>> exporter = ReportHTMLExporter(reader=True, lang="it")          # doctest: +SKIP
>>> body, resources = exporter.from_filename("notebooks/_template.ipynb")  # doctest: +SKIP
"""

from __future__ import annotations

from jinja2 import DictLoader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import Any, Bool, Unicode, default

from analysis import config
from analysis.present.messages import t

from .chromium import PdfPrinter
from .html import (
    READER_REMOVE_CELL_TAGS,
    READER_REMOVE_INPUT_TAGS,
    READER_REMOVE_OUTPUT_TAGS,
    TEMPLATE_NAME,
    TEMPLATE_SOURCE,
    ReaderCleanPreprocessor,
    add_toc,
)

__all__ = ["ReportHTMLExporter", "ChromiumPDFExporter", "TOC_TITLES", "stable_pdf"]

#: Title of the table of contents per language (from the message catalogue).
TOC_TITLES: dict[str, str] = {lang: t("toc.title", lang) for lang in ("it", "en")}


class ReportHTMLExporter(HTMLExporter):
    """Self-contained HTML (no network request when opened): images embedded, no MathJax,
    require.js or widget scripts, fonts covering Italian, long lines wrapped.

    With ``reader=True`` the code is hidden: every code input and prompt is excluded,
    cells tagged ``remove_cell`` / ``injected-parameters`` / ``parameters`` are dropped,
    ``remove_input`` / ``remove_output`` tags are honoured, error outputs and stderr never
    show, and a table of contents is inserted.

    Maths: the reports load no MathJax, so write formulas in Unicode (``P(Y ≤ j)``)
    rather than ``$...$``.
    """

    export_from_notebook = "HTML (self-contained report)"

    reader = Bool(False, help="Reader version: code hidden, table of contents.").tag(config=True)
    toc = Bool(None, allow_none=True,
               help="Insert a table of contents (default: True for readers).").tag(config=True)
    lang = Unicode(config.DEFAULT_LANG, help="Language of the report ('it' or 'en').").tag(config=True)

    @default("template_name")
    def _template_name_default(self) -> str:
        return "lab"

    @default("template_file")
    def _template_file_default(self) -> str:
        return TEMPLATE_NAME

    @default("embed_images")
    def _embed_images_default(self) -> bool:
        return True

    @default("extra_loaders")
    def _extra_loaders_default(self) -> list:
        return [DictLoader({TEMPLATE_NAME: TEMPLATE_SOURCE})]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language_code = self.lang
        if self.reader:
            self.exclude_input = True
            self.exclude_input_prompt = True
            self.exclude_output_prompt = True
            self.register_preprocessor(
                TagRemovePreprocessor(
                    remove_cell_tags=set(READER_REMOVE_CELL_TAGS),
                    remove_input_tags=set(READER_REMOVE_INPUT_TAGS),
                    remove_all_outputs_tags=set(READER_REMOVE_OUTPUT_TAGS),
                    enabled=True,
                ),
                enabled=True,
            )
            self.register_preprocessor(ReaderCleanPreprocessor(enabled=True), enabled=True)

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        toc = self.reader if self.toc is None else self.toc
        if toc:
            html = add_toc(html, TOC_TITLES.get(self.lang, TOC_TITLES["en"]))
        return html, resources


class ChromiumPDFExporter(ReportHTMLExporter):
    """PDF (A4) of :class:`ReportHTMLExporter`'s HTML printed with headless Chromium.

    Uses the system Chromium through the ``playwright`` package (see
    :func:`analysis.reporting.chromium.find_chromium`); no browser is downloaded. Pass a running
    :class:`~analysis.reporting.chromium.PdfPrinter` as ``printer`` to reuse one browser for
    many PDFs; otherwise a browser is started and closed for each export. The intermediate
    HTML is returned in ``resources["html"]``.
    """

    export_from_notebook = "PDF via Chromium"
    printer = Any(None, allow_none=True, help="A PdfPrinter to reuse (not configurable).")

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        if self.printer is not None:
            pdf = self.printer.pdf_bytes(html)
        else:
            with PdfPrinter() as printer:
                pdf = printer.pdf_bytes(html)
        resources["html"] = html
        resources["output_extension"] = ".pdf"
        return pdf, resources


def stable_pdf(pdf: bytes, date: str | None = None, *, title: str | None = None) -> bytes:
    """The same PDF with fixed metadata: the same pages give the same bytes.

    Chromium stamps every PDF with the time it was printed; this sets the creation and
    modification dates to ``date`` (``YYYY-MM-DD``, the report's date; none when empty),
    drops the XMP packet, sets the title and derives the file identifier from the content
    (``pikepdf``'s ``deterministic_id``).

    Examples
    --------
    >>> stable_pdf(b"%PDF-1.4 ...", "2020-03-31")                       # doctest: +SKIP
    """
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        info = doc.docinfo
        for key in ("/CreationDate", "/ModDate"):
            if key in info:
                del info[key]
        if date:
            stamp = "D:" + date.replace("-", "") + "000000Z"
            info["/CreationDate"] = stamp
            info["/ModDate"] = stamp
        if title:
            info["/Title"] = title
        if "/Metadata" in doc.Root:
            del doc.Root["/Metadata"]
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
    return out.getvalue()
