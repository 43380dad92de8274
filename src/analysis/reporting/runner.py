"""Build a year's reports: run the notebooks with papermill, export, swap the folder in place.

Layout of ``reports/YEAR/`` after a successful build::

    report-YEAR.html, report-YEAR.pdf   reader report (code hidden, contents, provenance)
    notebooks/NAME.ipynb, NAME.html     executed notebooks and their researcher HTML (code shown)
    tables/*.csv, figures/*.png|svg     written by the notebooks (analysis.reporting.outputs)
    provenance.json

The build happens in ``reports/.YEAR.tmp-XXXX`` and replaces ``reports/YEAR`` with one rename
(the old folder is moved aside first, then deleted). When a notebook fails, its partly executed
copy goes to ``reports/YEAR/failed/`` and the rest of the previous report is left as it was.

Examples
--------
>>> from analysis.reporting import build_year                     # doctest: +SKIP
>>> result = build_year(2020, parameters={"lang": "it"}, quiet=True)  # doctest: +SKIP
>>> result.reader_pdf                                              # doctest: +SKIP
PosixPath('.../reports/2020/report-2020.pdf')
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from analysis import config

from . import provenance as _provenance
from .errors import ReportBuildError, ReportingError
from .outputs import FIGURES_SUBDIR, TABLES_SUBDIR

__all__ = [
    "BuildResult",
    "YearOutcome",
    "ReportBuilder",
    "build_year",
    "build_years",
    "cli_run",
    "discover_notebooks",
    "format_summary",
    "KERNEL_NAME",
]

#: Kernel the notebooks run in; jupyter_client starts it with the running interpreter.
KERNEL_NAME = "python3"
NOTEBOOKS_SUBDIR = "notebooks"
FAILED_SUBDIR = "failed"
#: Parameters the runner always sets.
RUNNER_PARAMETERS = ("year", "input_path", "output_dir")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class BuildResult:
    """Files of a successful build (paths inside the final ``reports/YEAR``)."""

    year: int
    report_dir: Path
    notebooks: tuple[Path, ...]
    researcher_html: tuple[Path, ...]
    reader_html: Path
    reader_pdf: Path | None
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    provenance: dict = field(repr=False)
    seconds: float = 0.0


@dataclass(frozen=True)
class YearOutcome:
    """Outcome of one year in :func:`build_years`."""

    year: int
    ok: bool
    message: str
    result: BuildResult | None = None


def discover_notebooks(folder: str | Path | None = None) -> list[Path]:
    """Report notebooks in ``folder`` (default ``notebooks/``), sorted by name.

    Files whose name starts with ``_`` or ``.`` (templates, scratch) are skipped.
    """
    folder = Path(folder) if folder is not None else config.NOTEBOOKS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith(("_", ".")))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _one_line(text: object, limit: int = 300) -> str:
    s = " ".join(_ANSI.sub("", str(text)).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            return _one_line(line.strip(), 80)
    return ""


def _source_index(executed: Path, index: int) -> int:
    """Index in the source notebook of cell ``index`` of the executed one.

    Papermill inserts an ``injected-parameters`` cell (and, after a failure, error banners):
    they are not counted, so the number matches the notebook the user edits.
    """
    try:
        import nbformat

        nb = nbformat.read(executed, as_version=4)
    except Exception:  # no partial copy: report papermill's index
        return index
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(
        1 for i, c in enumerate(cells[:index]) if "injected-parameters" in c.metadata.get("tags", [])
    )
    return index - injected


def _swap_into_place(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new``: move the old folder aside, rename, delete the old one."""
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


def _store_failed(final: Path, partial: Path | None, message: str) -> Path:
    """Put the partly executed notebook in ``final/failed/`` without touching the rest of ``final``."""
    final.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".failed.tmp-", dir=final))
    if partial is not None and partial.exists():
        shutil.copy2(partial, staging / partial.name)
    (staging / "error.txt").write_text(message + "\n", encoding="utf-8")
    _swap_into_place(staging, final / FAILED_SUBDIR)
    return final / FAILED_SUBDIR


class ReportBuilder:
    """Builds years of reports with one reader exporter, one researcher exporter and one browser.

    Parameters
    ----------
    notebooks : sequence of path, optional
        Notebooks to run in order (default: :func:`discover_notebooks`).
    parameters : dict, optional
        Extra notebook parameters (``lang``, ``link``, ``alpha``, ``min_cell``, ``weights``,
        ``input_path``...). ``year`` and ``output_dir`` are set by the builder; ``input_path``
        defaults to the bundled raw file of the year. A name no notebook declares is an error.
    reports_dir : path, optional
        Parent of the ``YEAR`` folders (default ``reports/``).
    quiet : bool, default False
        Hide papermill's per-cell progress bar (the line per notebook is always printed).
    pdf : bool, default True
        Print the reader report to PDF.
    kernel_name : str, default "python3"
    raw_dir : path, optional
        Folder of the bundled raw exports (default ``data/raw``).
    log : callable, optional
        Receives the progress lines (default: print to stderr).
    """

    def __init__(
        self,
        *,
        notebooks: Sequence[str | Path] | None = None,
        parameters: dict[str, object] | None = None,
        reports_dir: str | Path | None = None,
        quiet: bool = False,
        pdf: bool = True,
        kernel_name: str = KERNEL_NAME,
        raw_dir: str | Path | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.notebooks = [Path(p) for p in notebooks] if notebooks is not None else discover_notebooks()
        self.parameters = dict(parameters or {})
        self.reports_dir = Path(reports_dir) if reports_dir is not None else config.REPORTS_DIR
        self.quiet = quiet
        self.pdf = pdf
        self.kernel_name = kernel_name
        self.raw_dir = Path(raw_dir) if raw_dir is not None else None
        self.log = log or _stderr
        self.lang = str(self.parameters.get("lang", "en"))
        self._printer = None
        self._reader = None
        self._researcher = None

    # -- resources shared by all the years ---------------------------------------------------
    def _exporters(self):
        if self._researcher is None:
            from .exporter import ChromiumPDFExporter, ReportHTMLExporter

            self._researcher = ReportHTMLExporter(lang=self.lang)
            if self.pdf:
                from .chromium import PdfPrinter, find_chromium

                self._printer = PdfPrinter(find_chromium())
                self._reader = ChromiumPDFExporter(reader=True, lang=self.lang, printer=self._printer)
            else:
                self._reader = ReportHTMLExporter(reader=True, lang=self.lang)
        return self._researcher, self._reader

    def close(self) -> None:
        """Close the browser, if one was started."""
        if self._printer is not None:
            self._printer.close()

    def __enter__(self) -> ReportBuilder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one year ------------------------------------------------------------------------------
    def _parameters_for(self, year: int) -> tuple[dict[str, object], Path]:
        params = dict(self.parameters)
        given = params.get("input_path")
        if given in (None, ""):
            try:
                input_path = config.raw_path_for_year(year, raw_dir=self.raw_dir)
            except FileNotFoundError as exc:
                raise ReportBuildError(f"{year}: {exc}") from None
        else:
            input_path = Path(str(given)).expanduser()
            if not input_path.is_file():
                raise ReportBuildError(f"{year}: input_path {str(input_path)!r} does not exist")
        input_path = input_path.resolve()
        weights = params.get("weights")
        if weights not in (None, ""):
            params["weights"] = str(Path(str(weights)).expanduser().resolve())
        params.update(year=year, input_path=str(input_path), output_dir=".")
        return params, input_path

    def _declared(self) -> tuple[dict[Path, set[str]], dict[str, object]]:
        import papermill

        declared = {}
        defaults: dict[str, object] = {}
        for nb in self.notebooks:
            if not nb.is_file():
                raise ReportBuildError(f"notebook {str(nb)!r} does not exist")
            try:
                info = papermill.inspect_notebook(str(nb))
            except Exception as exc:  # unreadable notebook
                raise ReportBuildError(f"cannot read notebook {nb.name}: {_one_line(exc)}") from None
            declared[nb] = set(info)
            for name, item in info.items():
                try:
                    defaults.setdefault(name, ast.literal_eval(str(item.get("default"))))
                except (ValueError, SyntaxError):
                    defaults.setdefault(name, str(item.get("default")))
        unknown = set(self.parameters) - set().union(*declared.values()) - set(RUNNER_PARAMETERS)
        if unknown:
            raise ReportBuildError(
                f"parameter(s) {', '.join(sorted(unknown))} not declared by any notebook "
                f"({', '.join(nb.name for nb in self.notebooks)})"
            )
        return declared, defaults

    def build(self, year: int) -> BuildResult:
        """Build ``reports/YEAR``; raise :class:`ReportBuildError` on failure (see module doc)."""
        import nbformat
        import papermill
        from papermill.exceptions import PapermillExecutionError

        start = time.perf_counter()
        if isinstance(year, bool) or not isinstance(year, int):
            raise ReportBuildError(f"year must be an integer, got {year!r}")
        if not self.notebooks:
            raise ReportBuildError(f"{year}: no notebooks to run (looked in {config.NOTEBOOKS_DIR})")
        params, input_path = self._parameters_for(year)
        declared, defaults = self._declared()
        researcher, reader = self._exporters()

        self.reports_dir.mkdir(parents=True, exist_ok=True)
        final = self.reports_dir / str(year)
        tmp = Path(tempfile.mkdtemp(prefix=f".{year}.tmp-", dir=self.reports_dir))
        try:
            nb_dir = tmp / NOTEBOOKS_SUBDIR
            nb_dir.mkdir()
            executed = []
            n = len(self.notebooks)
            for i, nb in enumerate(self.notebooks, 1):
                out = nb_dir / nb.name
                names = declared[nb]
                nb_params = {k: v for k, v in params.items() if k in names} if names else dict(params)
                self.log(f"[{year}] {i}/{n} {nb.name}: running")
                t0 = time.perf_counter()
                try:
                    papermill.execute_notebook(
                        str(nb), str(out), parameters=nb_params, kernel_name=self.kernel_name,
                        language="python", progress_bar=not self.quiet, log_output=False,
                        cwd=str(tmp),
                    )
                except PapermillExecutionError as exc:
                    where = f"cell {_source_index(out, exc.cell_index)}"
                    first = _first_line(exc.source)
                    if first:
                        where += f" (`{first}`)"
                    self._fail(year, final, out, f"notebook {nb.name} failed at {where}: "
                                                 f"{exc.ename}: {_one_line(exc.evalue)}")
                except Exception as exc:  # kernel died, timeout, unreadable notebook...
                    self._fail(year, final, out, f"notebook {nb.name} could not be run: "
                                                 f"{type(exc).__name__}: {_one_line(exc)}")
                self.log(f"[{year}] {i}/{n} {nb.name}: done in {time.perf_counter() - t0:.1f} s")
                executed.append(out)

            try:
                result = self._export(year, tmp, final, executed, {**defaults, **params},
                                      input_path, start,
                                      researcher, reader, nbformat)
            except ReportingError:
                raise
            except Exception as exc:
                raise ReportBuildError(
                    f"{year}: export failed: {type(exc).__name__}: {_one_line(exc)}"
                ) from exc
            _swap_into_place(tmp, final)
            self.log(f"[{year}] report: {result.reader_html}"
                     + (f" and {result.reader_pdf.name}" if result.reader_pdf else ""))
            return result
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _fail(self, year: int, final: Path, partial: Path, what: str) -> None:
        failed_dir = final / FAILED_SUBDIR
        message = f"{year}: {what} (partly executed copy: {failed_dir / partial.name})"
        _store_failed(final, partial if partial.exists() else None, message)
        self.log(f"[{year}] FAILED: {what}")
        raise ReportBuildError(message) from None

    def _export(self, year, tmp, final, executed, params, input_path, start,
                researcher, reader, nbformat) -> BuildResult:
        self.log(f"[{year}] exporting HTML" + (" and PDF" if self.pdf else ""))
        nbs = []
        html_paths = []
        for path in executed:
            nb = nbformat.read(path, as_version=4)
            nbs.append(nb)
            body, _ = researcher.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            html_path = path.with_suffix(".html")
            html_path.write_text(body, encoding="utf-8")
            html_paths.append(html_path)

        prov = _provenance.collect(input_path, params)
        prov["notebooks"] = [p.name for p in executed]
        (tmp / "provenance.json").write_text(
            json.dumps(prov, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        combined = combine_for_reader(nbs, year=year, lang=self.lang, prov=prov)
        stem = f"report-{year}"
        resources = {"metadata": {"name": stem}}
        reader_html = tmp / f"{stem}.html"
        reader_pdf = None
        if self.pdf:
            pdf_bytes, res = reader.from_notebook_node(combined, resources=resources)
            reader_html.write_text(res["html"], encoding="utf-8")
            reader_pdf = tmp / f"{stem}.pdf"
            reader_pdf.write_bytes(pdf_bytes)
        else:
            body, _ = reader.from_notebook_node(combined, resources=resources)
            reader_html.write_text(body, encoding="utf-8")

        def moved(p: Path) -> Path:
            return final / p.relative_to(tmp)

        return BuildResult(
            year=year,
            report_dir=final,
            notebooks=tuple(moved(p) for p in executed),
            researcher_html=tuple(moved(p) for p in html_paths),
            reader_html=moved(reader_html),
            reader_pdf=moved(reader_pdf) if reader_pdf else None,
            tables=tuple(moved(p) for p in sorted((tmp / TABLES_SUBDIR).glob("*.csv"))),
            figures=tuple(moved(p) for p in sorted((tmp / FIGURES_SUBDIR).glob("*"))),
            provenance=prov,
            seconds=time.perf_counter() - start,
        )


def combine_for_reader(nbs: Iterable, *, year: int, lang: str, prov: dict) -> object:
    """One notebook for the reader report: a title, the cells of every notebook, the provenance."""
    import nbformat

    from analysis.present.messages import t

    nbs = list(nbs)
    title = t("report.title", lang if lang in ("it", "en") else "en", year=year)
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    appendix = []  # cells tagged "appendix" (methods, diagnostics) go after every chapter
    for nb in nbs:
        for cell in nb.cells:
            (appendix if "appendix" in cell.get("metadata", {}).get("tags", []) else cells).append(cell)
    cells.extend(appendix)
    cells.append(nbformat.v4.new_markdown_cell(_provenance.to_markdown(prov, lang, heading="## ")))
    metadata = dict(nbs[0].metadata) if nbs else {}
    metadata.pop("papermill", None)
    metadata["title"] = title
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def build_year(
    year: int,
    *,
    notebooks: Sequence[str | Path] | None = None,
    parameters: dict[str, object] | None = None,
    reports_dir: str | Path | None = None,
    quiet: bool = False,
    pdf: bool = True,
    kernel_name: str = KERNEL_NAME,
    raw_dir: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run the notebooks of ``year`` and write ``reports/YEAR`` (see :class:`ReportBuilder`).

    Raises
    ------
    ReportBuildError
        One readable line: the notebook, the cell (index and first line) and the error.
    ChromiumNotFoundError
        ``pdf=True`` and no Chromium is installed.
    """
    with ReportBuilder(notebooks=notebooks, parameters=parameters, reports_dir=reports_dir,
                       quiet=quiet, pdf=pdf, kernel_name=kernel_name, raw_dir=raw_dir,
                       log=log) as builder:
        return builder.build(year)


def build_years(
    years: Iterable[int],
    *,
    notebooks: Sequence[str | Path] | None = None,
    parameters: dict[str, object] | None = None,
    reports_dir: str | Path | None = None,
    quiet: bool = False,
    pdf: bool = True,
    kernel_name: str = KERNEL_NAME,
    raw_dir: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[int, YearOutcome]:
    """Build several years with one browser; a failing year does not stop the others.

    Returns
    -------
    dict of int to YearOutcome
        In the order of ``years``; ``ok`` and a one-line ``message`` each.
    """
    outcomes: dict[int, YearOutcome] = {}
    with ReportBuilder(notebooks=notebooks, parameters=parameters, reports_dir=reports_dir,
                       quiet=quiet, pdf=pdf, kernel_name=kernel_name, raw_dir=raw_dir,
                       log=log) as builder:
        for year in years:
            try:
                result = builder.build(year)
            except ReportingError as exc:
                outcomes[year] = YearOutcome(year, False, str(exc))
            else:
                where = result.reader_pdf or result.reader_html
                outcomes[year] = YearOutcome(year, True, f"{year}: ok ({where})", result)
    return outcomes


def format_summary(outcomes: dict[int, YearOutcome]) -> str:
    """One line per year: ``2020  ok      reports/2020/report-2020.pdf``."""
    lines = []
    for year, o in outcomes.items():
        detail = o.message.split(": ", 1)[1] if o.message.startswith(f"{year}: ") else o.message
        lines.append(f"{year}  {'ok' if o.ok else 'FAILED':6}  {detail}")
    return "\n".join(lines)


def cli_run(args: object) -> int:
    """``softskills run``: build the years of ``args`` and print one line per year.

    ``args`` has ``year`` (list of int or None), ``all`` (bool) and ``quiet`` (bool). Without
    ``--year`` or ``--all`` the default year is built. Prints the summary and the reader HTML /
    PDF of each built year on stdout, progress on stderr.

    Returns
    -------
    int
        0 when every year was built, 1 when a year failed, 2 when there is nothing to build.
    """
    from .parameters import available_years

    years = list(getattr(args, "year", None) or [])
    if getattr(args, "all", False):
        years = sorted(set(years) | set(available_years()))
        if not years:
            print(f"softskills run: no raw export in {config.RAW_DIR}", file=sys.stderr)
            return 2
    if not years:
        years = [config.DEFAULT_YEAR]
    outcomes = build_years(years, quiet=bool(getattr(args, "quiet", False)))
    print(format_summary(outcomes))
    for outcome in outcomes.values():
        if outcome.ok and outcome.result is not None:
            print(outcome.result.reader_html)
            if outcome.result.reader_pdf is not None:
                print(outcome.result.reader_pdf)
    return 0 if all(o.ok for o in outcomes.values()) else 1
