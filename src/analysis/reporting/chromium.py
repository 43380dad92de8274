"""Headless Chromium through the installed ``playwright`` package (never a downloaded browser).

One :class:`PdfPrinter` holds one browser and one page for all the PDFs of a build.

Examples
--------
>>> with PdfPrinter() as printer:                       # doctest: +SKIP
...     printer.print("<h1>Ciao</h1>", "out.pdf")
...     printer.print_file("report.html", "report.pdf")
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType

from .errors import ChromiumNotFoundError

__all__ = [
    "CHROMIUM_ENV",
    "CHROMIUM_NAMES",
    "find_chromium",
    "launch_args",
    "PdfPrinter",
]

#: Environment variable naming the browser executable (checked first).
CHROMIUM_ENV = "SOFTSKILLS_CHROMIUM"
#: Executable names searched on ``PATH``, in order.
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")

_INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium fonts-dejavu-core`) or Google "
    f"Chrome, or set {CHROMIUM_ENV} to the browser executable"
)


def find_chromium() -> str:
    """Path of the Chromium/Chrome executable used for printing.

    Search order: ``$SOFTSKILLS_CHROMIUM``, then ``chromium``, ``chromium-browser``,
    ``google-chrome`` on ``PATH``.

    Raises
    ------
    ChromiumNotFoundError
        If none is found (the message says what to install).
    """
    env = os.environ.get(CHROMIUM_ENV, "").strip()
    if env:
        found = shutil.which(env)
        if found is None:
            raise ChromiumNotFoundError(
                f"{CHROMIUM_ENV}={env!r} is not an executable file; {_INSTALL_HINT}"
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFoundError(f"no Chromium found on PATH (looked for "
                                f"{', '.join(CHROMIUM_NAMES)}); {_INSTALL_HINT}")


def launch_args() -> list[str]:
    """Command-line switches for a quiet headless Chromium (``--no-sandbox`` only as root)."""
    args = [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")
    return args


_FOOTER = (
    '<div style="width:100%;font-size:8px;font-family:\'DejaVu Sans\',sans-serif;'
    'color:#666;text-align:center;"><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)


class PdfPrinter:
    """A headless Chromium that prints HTML to A4 PDFs; reuse it for every PDF of a build.

    Requests other than ``file:``, ``data:`` and ``about:`` are aborted, so printing never
    touches the network.

    Parameters
    ----------
    executable : str, optional
        Browser executable; default :func:`find_chromium`.
    paper_format : str, default "A4"
    margin : str, default "15mm"
        Page margin on every side.
    page_numbers : bool, default True
        Print ``n / N`` at the foot of each page.
    timeout_ms : float, default 120000
        Time allowed to load a page.
    """

    def __init__(
        self,
        executable: str | None = None,
        *,
        paper_format: str = "A4",
        margin: str = "15mm",
        page_numbers: bool = True,
        timeout_ms: float = 120_000,
    ) -> None:
        self.executable = executable
        self.paper_format = paper_format
        self.margin = margin
        self.page_numbers = page_numbers
        self.timeout_ms = timeout_ms
        self.blocked: list[str] = []
        self._pw = None
        self._browser = None
        self._page = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> PdfPrinter:
        """Launch the browser (done lazily by :meth:`print` if needed)."""
        if self._page is not None:
            return self
        executable = self.executable or find_chromium()
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=executable, args=launch_args(), headless=True
            )
            context = self._browser.new_context()
            context.route("**/*", self._route)
            self._page = context.new_page()
            self._page.set_default_timeout(self.timeout_ms)
        except Exception:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the browser and the Playwright driver."""
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            self._page = None
            if self._pw is not None:
                self._pw.stop()
                self._pw = None

    def __enter__(self) -> PdfPrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- printing ---------------------------------------------------------------------------
    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _pdf_options(self) -> dict[str, object]:
        opts: dict[str, object] = {
            "format": self.paper_format,
            "print_background": True,
            "margin": {k: self.margin for k in ("top", "right", "bottom", "left")},
            "prefer_css_page_size": False,
            # accessible PDF: structure tags from the HTML, bookmarks from the headings
            "tagged": True,
            "outline": True,
        }
        if self.page_numbers:
            opts.update(display_header_footer=True, header_template="<span></span>",
                        footer_template=_FOOTER)
        return opts

    def pdf_bytes(self, html: str) -> bytes:
        """Print an HTML string and return the PDF bytes."""
        self.start()
        self._page.set_content(html, wait_until="load")
        return self._page.pdf(**self._pdf_options())

    def print(self, html: str, out_path: str | Path) -> Path:
        """Print an HTML string to ``out_path`` (A4 PDF); returns the path."""
        out = Path(out_path)
        out.write_bytes(self.pdf_bytes(html))
        return out

    def print_file(self, html_path: str | Path, out_path: str | Path) -> Path:
        """Print an HTML file (relative links resolve beside it) to ``out_path``."""
        self.start()
        self._page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        out = Path(out_path)
        out.write_bytes(self._page.pdf(**self._pdf_options()))
        return out
