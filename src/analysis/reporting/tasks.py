"""The units of work of a build: prepare a year, run one notebook, export one report.

Each task is a plain function of picklable arguments returning a picklable record, so the
same task runs in the calling process, in a pool of worker processes or on a Dask cluster
(:mod:`analysis.reporting.executors`); the runner (:mod:`analysis.reporting.runner`) only
decides which task may start when.

A report (one year in one language) is built in a staging folder
``reports/.YEAR-LANG.tmp-XXXX`` beside its final place ``reports/YEAR/LANG``::

    report-YEAR.html, report-YEAR.pdf   reader report (no code, contents, provenance)
    tables/*.csv, figures/*.png|svg     the reader bundle, written by the notebooks
    provenance.json                     inputs' hashes, parameters, versions, build key and time
    internal/NAME.ipynb, NAME.html      executed notebooks and researcher HTML: NOT for publication

and swapped into place with one rename once everything succeeded. A failing notebook leaves
the previous report as it was and its partly executed copy in ``internal/failed/``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.parameters import ReportParameters

from .errors import ReportBuildError
from .scan import output_problems

__all__ = [
    "KERNEL_NAME",
    "INTERNAL_SUBDIR",
    "FAILED_SUBDIR",
    "PROVENANCE_FILE",
    "ReportSpec",
    "NotebookRun",
    "ExportResult",
    "prepare_task",
    "notebook_task",
    "export_task",
    "report_date",
    "swap_into_place",
    "store_failed",
    "one_line",
]

#: Kernel the notebooks run in; jupyter_client starts it with the running interpreter.
KERNEL_NAME = "python3"
#: Seconds a kernel may take to start (a loaded machine starting several at once needs more than
#: papermill's default of 60).
KERNEL_START_TIMEOUT = 300
#: Sub-folder of a report with what is not for publication (executed notebooks, researcher HTML).
INTERNAL_SUBDIR = "internal"
FAILED_SUBDIR = "failed"
PROVENANCE_FILE = "provenance.json"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: First cell of every internal notebook and researcher HTML page.
INTERNAL_BANNER = {
    "en": "**Internal working copy — not for publication.** This executed notebook shows code and "
          "intermediate results for the researchers who maintain the analysis. Readers get "
          "`report-{year}.html` / `.pdf` and the protected `tables/` and `figures/` only.",
    "it": "**Copia di lavoro interna — non destinata alla pubblicazione.** Questo notebook eseguito "
          "mostra codice e risultati intermedi per chi cura l'analisi. Ai lettori vanno solo "
          "`report-{year}.html` / `.pdf` e le cartelle protette `tables/` e `figures/`.",
}


@dataclass(frozen=True)
class ReportSpec:
    """One report to build: validated parameters, the notebooks, where the report goes."""

    params: ReportParameters
    notebooks: tuple[Path, ...]
    reports_dir: Path
    pdf: bool = True
    kernel_name: str = KERNEL_NAME
    progress_bar: bool = False

    @property
    def label(self) -> str:
        """``'2020 it'``."""
        return f"{self.params.year} {self.params.lang}"

    @property
    def final(self) -> Path:
        """``reports/YEAR/LANG``."""
        return self.reports_dir / str(self.params.year) / self.params.lang

    @property
    def stem(self) -> str:
        """File stem of the reader report (``report-YEAR``)."""
        return f"report-{self.params.year}"


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook."""

    name: str
    started: float
    finished: float


@dataclass(frozen=True)
class ExportResult:
    """A report swapped into place."""

    final: Path
    reader_html: Path
    reader_pdf: Path | None
    started: float
    finished: float
    provenance: dict = field(repr=False, default_factory=dict)


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line (ANSI colours dropped), cut at ``limit`` characters."""
    s = " ".join(_ANSI.sub("", str(text)).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            return one_line(line.strip(), 80)
    return ""


def report_date(facts: dict | None = None) -> str:
    """The date printed in a report: ``SOURCE_DATE_EPOCH`` when set, else the end of fieldwork.

    Never the wall clock: two builds of the same inputs print the same date
    (https://reproducible-builds.org/specs/source-date-epoch/).
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return str((facts or {}).get("fieldwork_end") or "")


# -- folders --------------------------------------------------------------------------------------
def swap_into_place(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new``: move the old folder aside, rename, delete the old one."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        aside = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(final, aside)
        try:
            os.rename(new, final)
        except BaseException:
            os.rename(aside, final)
            raise
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(new, final)


def store_failed(final: Path, partial: Path | None, message: str,
                 kernel_log: Path | None = None) -> Path:
    """Put a partly executed notebook (and its kernel's log) in ``final/internal/failed/``.

    The rest of ``final`` (the previous good report) is left as it was.
    """
    where = final / INTERNAL_SUBDIR
    where.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".failed.tmp-", dir=where))
    if partial is not None and partial.exists():
        shutil.copy2(partial, staging / partial.name)
    if kernel_log is not None and kernel_log.exists():
        shutil.copy2(kernel_log, staging / kernel_log.name.lstrip("."))
    (staging / "error.txt").write_text(message + "\n", encoding="utf-8")
    swap_into_place(staging, where / FAILED_SUBDIR)
    return where / FAILED_SUBDIR


# -- prepare --------------------------------------------------------------------------------------
def prepare_task(params: ReportParameters) -> dict:
    """Prepare the year of ``params`` into the processed-data cache; return its facts.

    Returns
    -------
    dict
        ``respondents``, ``fieldwork_start``, ``fieldwork_end`` and ``source`` (see
        :func:`analysis.processed.read_meta`).
    """
    from analysis.errors import SurveyError
    from analysis.processed import cache_dir, load_prepared, read_meta

    try:
        load_prepared(params.year, params.input_path, raw_dir=params.raw_dir)
    except SurveyError as exc:
        raise ReportBuildError(f"{params.year}: cannot prepare {params.input_path.name}: {exc}") from None
    meta = read_meta(cache_dir(params.input_path, params.year))
    return {k: meta.get(k) for k in ("respondents", "fieldwork_start", "fieldwork_end", "source")}


# -- one notebook ---------------------------------------------------------------------------------
def _kernel_manager_class(log_path: Path):
    """Kernel manager of a report's notebooks: quiet at the source, nothing on the terminal.

    - the kernel talks over IPC sockets, not TCP: nothing listens on the network, so ipykernel
      has no "running over TCP without encryption" warning to give;
    - the kernel imports the package from :data:`analysis.config.SOURCE_DIR` and names its cells
      ``<cell>`` (not ``/tmp/ipykernel_PID/…``), so warnings in the executed notebooks are the
      same bytes in every build;
    - the kernel process writes its own log (standard output and error: start-up messages, the
      "KeyboardInterrupt caught" that jupyter_client's interrupt-before-shutdown can provoke)
      to ``log_path``, kept with the partly executed notebook when a notebook fails.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReportKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            # IPC sockets are files named IP-PORT; jupyter_client's default may be "kernel-ipc" in
            # the working folder, shared by the notebooks of a report that run at the same time
            return os.path.join(tempfile.gettempdir(), f"softskills-{uuid.uuid4().hex[:16]}-ipc")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            env = dict(kw.get("env") or os.environ)
            # the kernel imports this very package (the one the build key hashed) ...
            src = str(config.SOURCE_DIR.parent)
            env["PYTHONPATH"] = os.pathsep.join([src, *[p for p in env.get("PYTHONPATH", "").split(
                os.pathsep) if p and p != src]])
            # ... and names its cells without its process id, so warnings read the same each build
            env.setdefault("IPYKERNEL_CELL_NAME", "<cell>")
            kw["env"] = env
            with open(log_path, "ab") as log:  # the kernel keeps its own copy of the descriptor
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return ReportKernelManager


def _source_index(nb, index: int) -> int:
    """Index in the source notebook of cell ``index`` of the executed one (papermill's cells not counted)."""
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(1 for c in cells[:index] if "injected-parameters" in c.metadata.get("tags", []))
    return index - injected


_TIMING_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path")


def _stabilise(nb, stem: str, lang: str, year: int) -> None:
    """Make an executed notebook deterministic and mark it as internal.

    Cells papermill adds get ids derived from the notebook's name (papermill draws random
    ones); timings and temporary paths are dropped; a first cell says it is not for publication
    (tagged ``remove_cell`` so the reader report never shows it).
    """
    import nbformat

    n_err = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = f"{stem}-injected-parameters"[:64]
        elif "papermill-error-cell-tag" in tags:
            n_err += 1
            cell.id = f"{stem}-error-{n_err}"[:64]
        cell.metadata.pop("execution", None)
        pm = cell.metadata.get("papermill")
        if isinstance(pm, dict):
            for key in _TIMING_KEYS:
                pm.pop(key, None)
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        for key in _TIMING_KEYS:
            pm.pop(key, None)
    banner = nbformat.v4.new_markdown_cell(
        INTERNAL_BANNER.get(lang, INTERNAL_BANNER["en"]).format(year=year))
    banner.id = f"{stem}-internal-banner"[:64]
    banner.metadata["tags"] = ["remove_cell", "internal-banner"]
    nb.cells.insert(0, banner)


def notebook_task(spec: ReportSpec, notebook: Path, stage: Path) -> NotebookRun:
    """Run ``notebook`` with the report's parameters into ``stage/internal/``.

    The kernel's working folder is ``stage`` and ``output_dir`` is ``"."``, so the tables and
    figures land in the staging folder and no path of the build machine reaches the report.

    Raises
    ------
    ReportBuildError
        One line: the notebook, the cell (index in the source notebook and first line) and
        the error. The partly executed copy goes to ``reports/YEAR/LANG/internal/failed/``.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.time()
    notebook = Path(notebook)
    out = stage / INTERNAL_SUBDIR / notebook.name
    out.parent.mkdir(parents=True, exist_ok=True)
    parameters = {**spec.params.as_dict(), "output_dir": "."}
    kernel_log = stage / f".{notebook.stem}.kernel.log"
    what = None
    try:
        papermill.execute_notebook(
            str(notebook), str(out), parameters=parameters, kernel_name=spec.kernel_name,
            language="python", progress_bar=spec.progress_bar, log_output=False, cwd=str(stage),
            start_timeout=KERNEL_START_TIMEOUT, kernel_manager_class=_kernel_manager_class(kernel_log),
        )
    except PapermillExecutionError as exc:
        try:
            index = _source_index(nbformat.read(out, as_version=4), exc.cell_index)
        except Exception:  # no readable partial copy: papermill's index
            index = exc.cell_index
        where = f"cell {index}"
        first = _first_line(exc.source)
        if first:
            where += f" (`{first}`)"
        what = f"notebook {notebook.name} failed at {where}: {exc.ename}: {one_line(exc.evalue)}"
    except Exception as exc:  # kernel died, timeout, unreadable notebook...
        what = f"notebook {notebook.name} could not be run: {type(exc).__name__}: {one_line(exc)}"
    if what is not None:
        failed = spec.final / INTERNAL_SUBDIR / FAILED_SUBDIR
        message = f"{spec.label}: {what} (partly executed copy: {failed / notebook.name})"
        store_failed(spec.final, out if out.exists() else None, message,
                     kernel_log if kernel_log.exists() else None)
        raise ReportBuildError(message)
    kernel_log.unlink(missing_ok=True)
    nb = nbformat.read(out, as_version=4)
    # nothing but the report in the report; a test fixture may opt out in its metadata
    # ("softskills": {"scan_outputs": false}), a report notebook never does
    scan = nb.metadata.get("softskills", {}).get("scan_outputs", True)
    source_cells = copy.deepcopy(nb)  # cell numbers as in the notebook the user edits
    source_cells.cells = [c for c in nb.cells
                          if "injected-parameters" not in c.metadata.get("tags", [])]
    problems = output_problems(source_cells, notebook.name) if scan else []
    if problems:
        failed = spec.final / INTERNAL_SUBDIR / FAILED_SUBDIR
        message = (f"{spec.label}: notebook {notebook.name} shows the reader things that are not the "
                   f"report: {'; '.join(problems[:5])}"
                   + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
                   + f" (executed copy: {failed / notebook.name})")
        store_failed(spec.final, out, message)
        raise ReportBuildError(message)
    _stabilise(nb, notebook.stem, spec.params.lang, spec.params.year)
    nbformat.write(nb, out)
    return NotebookRun(notebook.name, started, time.time())


# -- export ---------------------------------------------------------------------------------------
_PRINTERS: dict[int, object] = {}


def _printer():
    """One headless Chromium per worker thread, reused for every PDF it prints."""
    key = threading.get_ident()
    printer = _PRINTERS.get(key)
    if printer is None:
        import atexit
        from multiprocessing import util

        from .chromium import PdfPrinter, find_chromium

        printer = PdfPrinter(find_chromium())
        _PRINTERS[key] = printer
        atexit.register(printer.close)
        util.Finalize(printer, printer.close, exitpriority=10)
    return printer


def close_printers() -> None:
    """Close the browsers this process started."""
    for printer in list(_PRINTERS.values()):
        try:
            printer.close()
        except Exception:
            pass
    _PRINTERS.clear()


def export_task(spec: ReportSpec, stage: Path, names: list[str], provenance: dict) -> ExportResult:
    """Researcher HTML of each executed notebook, the reader HTML and PDF, provenance; swap into place.

    Parameters
    ----------
    spec : ReportSpec
    stage : Path
        Staging folder where the notebooks ran.
    names : list of str
        Executed notebooks (file names in ``stage/internal``), in report order.
    provenance : dict
        Provenance of the build (:func:`analysis.reporting.provenance.collect`); written to
        ``provenance.json`` and rendered, without the build time, at the end of the report.
    """
    import nbformat

    from .exporter import ChromiumPDFExporter, ReportHTMLExporter, stable_pdf
    from .runner import combine_for_reader

    started = time.time()
    lang = spec.params.lang
    try:
        researcher = ReportHTMLExporter(lang=lang)
        nbs = []
        for name in names:
            path = stage / INTERNAL_SUBDIR / name
            nb = nbformat.read(path, as_version=4)
            body, _ = researcher.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            path.with_suffix(".html").write_text(body, encoding="utf-8")
            nbs.append(nb)
        (stage / PROVENANCE_FILE).write_text(
            json.dumps(provenance, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        combined = combine_for_reader(nbs, year=spec.params.year, lang=lang, prov=provenance)
        resources = {"metadata": {"name": spec.stem}}
        reader_html = stage / f"{spec.stem}.html"
        reader_pdf = None
        if spec.pdf:
            reader = ChromiumPDFExporter(reader=True, lang=lang, printer=_printer())
            pdf_bytes, res = reader.from_notebook_node(combined, resources=resources)
            reader_html.write_text(res["html"], encoding="utf-8")
            reader_pdf = stage / f"{spec.stem}.pdf"
            reader_pdf.write_bytes(stable_pdf(pdf_bytes, provenance.get("report_date") or None,
                                              title=combined.metadata.get("title")))
        else:
            body, _ = ReportHTMLExporter(reader=True, lang=lang).from_notebook_node(
                combined, resources=resources)
            reader_html.write_text(body, encoding="utf-8")
    except ReportBuildError:
        raise
    except Exception as exc:
        raise ReportBuildError(f"{spec.label}: export failed: {type(exc).__name__}: {one_line(exc)}") from None
    swap_into_place(stage, spec.final)
    return ExportResult(
        final=spec.final,
        reader_html=spec.final / reader_html.name,
        reader_pdf=spec.final / reader_pdf.name if reader_pdf else None,
        started=started,
        finished=time.time(),
        provenance=provenance,
    )


def reports_root_default() -> Path:
    """Default parent of the ``YEAR`` folders (``reports/``)."""
    return config.REPORTS_DIR
