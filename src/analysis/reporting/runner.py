"""Build reports: which task may start when, what is up to date, one line per finished report.

A build is a list of :class:`~analysis.reporting.tasks.ReportSpec` (a year in a language,
with its validated :class:`~analysis.parameters.ReportParameters`). For each report:

1. its build key (:mod:`analysis.reporting.cache`) is compared with the one recorded in
   ``reports/YEAR/LANG/provenance.json``: equal means "up to date", nothing runs;
2. otherwise its year is prepared once into the processed-data cache (shared by the
   languages of the year), its notebooks run (independently of one another) and the
   report is exported and swapped into place (:mod:`analysis.reporting.tasks`).

The tasks go to an executor (:mod:`analysis.reporting.executors`): in this process, a pool
of worker processes, or a Dask cluster; the outputs are the same bytes whichever runs them.
After the build ``reports/index.html`` lists every built report.

Examples
--------
>>> from analysis.parameters import ReportParameters
>>> from analysis.reporting.runner import build_reports, make_specs       # doctest: +SKIP
>>> specs = make_specs([ReportParameters.validate(year=2020, lang=l) for l in ("it", "en")])  # doctest: +SKIP
>>> outcomes = build_reports(specs, jobs=2)                               # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.errors import SurveyError
from analysis.parameters import ReportParameters

from .errors import ReportBuildError
from .tasks import (
    INTERNAL_SUBDIR,
    KERNEL_NAME,
    ExportResult,
    ReportSpec,
    export_task,
    notebook_task,
    prepare_task,
)

__all__ = [
    "BuildResult",
    "ReportOutcome",
    "build_reports",
    "build_year",
    "combine_for_reader",
    "discover_notebooks",
    "format_outcome",
    "make_specs",
    "KERNEL_NAME",
]

OK, UP_TO_DATE, FAILED = "ok", "up to date", "FAILED"


@dataclass(frozen=True)
class BuildResult:
    """Files of a successful build (paths inside the final ``reports/YEAR/LANG``)."""

    year: int
    lang: str
    report_dir: Path
    notebooks: tuple[Path, ...]
    researcher_html: tuple[Path, ...]
    reader_html: Path
    reader_pdf: Path | None
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    provenance: dict = field(repr=False)
    seconds: float = 0.0

    @classmethod
    def from_folder(cls, spec: ReportSpec, export: ExportResult | None, seconds: float) -> BuildResult:
        final = spec.final
        names = [Path(nb).name for nb in spec.notebooks]
        internal = final / INTERNAL_SUBDIR
        from .cache import recorded

        pdf = final / f"{spec.stem}.pdf"
        return cls(
            year=spec.params.year, lang=spec.params.lang, report_dir=final,
            notebooks=tuple(internal / n for n in names),
            researcher_html=tuple((internal / n).with_suffix(".html") for n in names),
            reader_html=final / f"{spec.stem}.html",
            reader_pdf=pdf if pdf.exists() else None,
            tables=tuple(sorted((final / "tables").glob("*.csv"))),
            figures=tuple(sorted((final / "figures").glob("*"))),
            provenance=export.provenance if export is not None else (recorded(final) or {}),
            seconds=seconds,
        )


@dataclass
class ReportOutcome:
    """What happened to one report of a build."""

    spec: ReportSpec
    status: str = ""
    message: str = ""
    seconds: float = 0.0
    result: BuildResult | None = None

    @property
    def ok(self) -> bool:
        return self.status in (OK, UP_TO_DATE)


def discover_notebooks(folder: str | Path | None = None) -> list[Path]:
    """Report notebooks in ``folder`` (default ``notebooks/``), sorted by name.

    Files whose name starts with ``_`` or ``.`` (templates, scratch) are skipped.
    """
    folder = Path(folder) if folder is not None else config.NOTEBOOKS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith(("_", ".")))


def make_specs(
    params: Iterable[ReportParameters],
    *,
    notebooks: Sequence[str | Path] | None = None,
    reports_dir: str | Path | None = None,
    pdf: bool = True,
    kernel_name: str = KERNEL_NAME,
    progress_bar: bool = False,
) -> list[ReportSpec]:
    """One :class:`ReportSpec` per parameter set (the same notebooks and reports folder)."""
    nbs = tuple(Path(p).resolve() for p in (notebooks if notebooks is not None else discover_notebooks()))
    root = Path(reports_dir) if reports_dir is not None else config.REPORTS_DIR
    return [ReportSpec(params=p, notebooks=nbs, reports_dir=root.resolve(), pdf=pdf,
                       kernel_name=kernel_name, progress_bar=progress_bar) for p in params]


def combine_for_reader(nbs: Iterable, *, year: int, lang: str, prov: dict) -> object:
    """One notebook for the reader report: a title, the cells of every notebook, the provenance.

    The title (the report's one ``h1``) comes from the message catalogue; cells tagged
    ``appendix`` (methods, diagnostics) go after every chapter, in notebook order; the
    provenance closes the report as a section (``h2``). The cells it adds have fixed ids,
    so the same notebooks give the same HTML.
    """
    import copy

    import nbformat

    from analysis.present.messages import t

    from . import provenance as _provenance

    nbs = list(nbs)
    title = t("report.title", lang if lang in ("it", "en") else "en", year=year)
    head = nbformat.v4.new_markdown_cell(f"# {title}")
    head.id = "reader-title"
    cells = [head]
    appendix = []
    for nb in nbs:
        for cell in copy.deepcopy(nb.cells):
            tags = cell.get("metadata", {}).get("tags", [])
            (appendix if "appendix" in tags else cells).append(cell)
    cells.extend(appendix)
    tail = nbformat.v4.new_markdown_cell(_provenance.to_markdown(prov, lang, heading="## "))
    tail.id = "reader-provenance"
    cells.append(tail)
    metadata = dict(nbs[0].metadata) if nbs else {}
    metadata.pop("papermill", None)
    metadata["title"] = title
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def format_outcome(outcome: ReportOutcome, done: int | None = None, total: int | None = None) -> str:
    """One line: ``[1/4] 2020 it  ok          12.1 s  reports/2020/it/report-2020.html``."""
    prefix = f"[{done}/{total}] " if done is not None and total is not None else ""
    line = f"{prefix}{outcome.spec.label}  {outcome.status:<10}"
    if outcome.status == OK:
        line += f"  {outcome.seconds:5.1f} s"
    message = outcome.message
    if message.startswith(f"{outcome.spec.label}: "):
        message = message[len(outcome.spec.label) + 2:]
    if message:
        line += f"  {message}"
    return line.rstrip()


# -- the build --------------------------------------------------------------------------------------
class _Build:
    """State of one build: futures in flight, staging folders, outcomes."""

    def __init__(self, specs: list[ReportSpec], executor, report: Callable[[str], None],
                 log: Callable[[str], None], keys: dict[int, tuple[str, dict]], total: int,
                 done: int, quiet: bool) -> None:
        self.specs = specs
        self.quiet = quiet
        self.ex = executor
        self.report = report
        self.log = log
        self.keys = keys
        self.total = total
        self.done = done
        self.outcomes: dict[int, ReportOutcome] = {i: ReportOutcome(s) for i, s in enumerate(specs)}
        self.stage: dict[int, Path] = {}
        self.left: dict[int, int] = {}
        self.times: dict[int, list[float]] = {}
        self.facts: dict[tuple, dict] = {}
        self.futures: dict[object, tuple] = {}

    #: Finish a report before starting the next: exports, then notebooks, then another year.
    _PRIORITY = {"export": 2, "notebook": 1, "prepare": 0}

    def _submit(self, what: tuple, fn, *args) -> None:
        self.futures[self.ex.submit(fn, *args, priority=self._PRIORITY[what[0]])] = what

    def run(self) -> None:
        by_year: dict[tuple, list[int]] = {}
        for i, spec in enumerate(self.specs):
            p = spec.params
            by_year.setdefault((p.year, str(p.input_path)), []).append(i)
        try:
            for year_key, members in by_year.items():
                self._submit(("prepare", year_key, members), prepare_task,
                             self.specs[members[0]].params)
            self._loop()
        except BaseException:  # interrupted: no staging folder left behind
            for fut in self.futures:
                fut.cancel()
            for stage in self.stage.values():
                shutil.rmtree(stage, ignore_errors=True)
            raise

    def _loop(self) -> None:
        while self.futures:
            done, _ = self.ex.wait(list(self.futures))
            for fut in done:
                what = self.futures.pop(fut)
                try:
                    value = fut.result()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # a task's error (or its cancellation): that report fails
                    self._failed(what, exc)
                else:
                    self._succeeded(what, value)

    def _message(self, exc: BaseException) -> str:
        if isinstance(exc, SurveyError):
            return str(exc)
        return f"{type(exc).__name__}: {exc}"

    def _failed(self, what: tuple, exc: BaseException) -> None:
        kind = what[0]
        if kind == "prepare":
            for i in what[2]:
                self._finish(i, FAILED, self._message(exc))
            return
        i = what[1]
        self.left[i] -= 1
        if self.outcomes[i].status != FAILED:
            self._finish(i, FAILED, self._message(exc))
            for fut, other in self.futures.items():  # the report's tasks not started yet
                if other[:2] == what[:2]:
                    fut.cancel()
        self._cleanup(i)

    def _succeeded(self, what: tuple, value) -> None:
        kind = what[0]
        if kind == "prepare":
            for i in what[2]:
                self._start_report(i, value)
            return
        i = what[1]
        self.times.setdefault(i, []).extend([value.started, value.finished])
        if kind == "notebook":
            self.left[i] -= 1
            if not self.quiet:
                self.log(f"{self.specs[i].label}  {value.name}  done in "
                         f"{value.finished - value.started:.1f} s")
            if self.left[i] == 0 and self.outcomes[i].status != FAILED:
                self._export(i)
            else:
                self._cleanup(i)
        elif kind == "export":
            self.left[i] = 0
            self.stage.pop(i, None)  # swapped into place
            spec = self.specs[i]
            t = self.times[i]
            seconds = max(t) - min(t)
            self.outcomes[i].result = BuildResult.from_folder(spec, value, seconds)
            self._finish(i, OK, _display_path(value.reader_html), seconds)

    def _start_report(self, i: int, facts: dict) -> None:
        spec = self.specs[i]
        spec.reports_dir.mkdir(parents=True, exist_ok=True)
        p = spec.params
        stage = Path(tempfile.mkdtemp(prefix=f".{p.year}-{p.lang}.tmp-", dir=spec.reports_dir))
        self.stage[i] = stage
        self.facts[i] = facts
        self.left[i] = len(spec.notebooks)
        for nb in spec.notebooks:
            self._submit(("notebook", i), notebook_task, spec, nb, stage)

    def _export(self, i: int) -> None:
        from . import provenance as _provenance

        spec = self.specs[i]
        key, inputs = self.keys[i]
        prov = _provenance.collect(spec.params, facts=self.facts[i], inputs=inputs, build_key=key,
                                   notebooks=[Path(nb).name for nb in spec.notebooks])
        self.left[i] = 1
        self._submit(("export", i), export_task, spec, self.stage[i],
                     [Path(nb).name for nb in spec.notebooks], prov)

    def _cleanup(self, i: int) -> None:
        if self.left.get(i, 0) <= 0 and i in self.stage:
            shutil.rmtree(self.stage.pop(i), ignore_errors=True)

    def _finish(self, i: int, status: str, message: str, seconds: float = 0.0) -> None:
        o = self.outcomes[i]
        o.status, o.message, o.seconds = status, message, seconds
        self.done += 1
        self.report(format_outcome(o, self.done, self.total))


def _display_path(path: Path) -> str:
    return config.relative_to_project(path) if str(path).startswith(str(config.PROJECT_ROOT)) else str(path)


def build_reports(
    specs: Sequence[ReportSpec],
    *,
    jobs: int | None = 1,
    executor: str = "process",
    scheduler: str | None = None,
    force: bool = False,
    quiet: bool = False,
    index: bool = False,
    report: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[ReportOutcome]:
    """Build the reports of ``specs`` that are not up to date; one line per report as it finishes.

    Parameters
    ----------
    specs : sequence of ReportSpec
    jobs : int, optional
        Worker processes (default: the number of cores). 1 runs everything in this process.
    executor : {"process", "dask"}
        A pool of worker processes, or Dask's distributed scheduler.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); without it, ``executor="dask"``
        starts a ``LocalCluster`` of ``jobs`` workers.
    force : bool, default False
        Rebuild even the reports that are up to date.
    quiet : bool, default False
        Only the line per report (no per-notebook progress).
    index : bool, default False
        Rewrite ``reports/index.html`` when a report changed (or when it is missing).
    report, log : callable, optional
        Receive the line per report (default: standard output) and the progress lines
        (default: standard error).

    Returns
    -------
    list of ReportOutcome
        In the order of ``specs``.
    """
    from .cache import build_key, inputs_of, is_up_to_date

    report = report or (lambda line: print(line, flush=True))
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    specs = list(specs)
    outcomes: list[ReportOutcome | None] = [None] * len(specs)
    keys: dict[int, tuple[str, dict]] = {}
    todo: list[int] = []
    shared: dict[str, object] = {}
    done = 0
    for i, spec in enumerate(specs):
        if not spec.notebooks:
            outcomes[i] = ReportOutcome(spec, FAILED, f"no notebooks to run (looked in {config.NOTEBOOKS_DIR})")
            done += 1
            report(format_outcome(outcomes[i], done, len(specs)))
            continue
        if not shared:
            from analysis.fingerprint import codebook_digest, source_digest

            from .provenance import package_versions

            shared = {"source": source_digest(), "codebook": codebook_digest(),
                      "packages": package_versions()}
        inputs = inputs_of(spec, **shared)
        key = build_key(spec, inputs)
        keys[i] = (key, inputs)
        if not force and is_up_to_date(spec, key):
            outcomes[i] = ReportOutcome(spec, UP_TO_DATE)
            done += 1
            report(format_outcome(outcomes[i], done, len(specs)))
        else:
            todo.append(i)

    if todo:
        from .executors import make_executor

        ex = make_executor(executor, jobs=jobs, scheduler=scheduler)
        try:
            build = _Build([specs[i] for i in todo], ex, report, log,
                           {j: keys[i] for j, i in enumerate(todo)}, len(specs), done, quiet)
            build.run()
        finally:
            ex.close()
        for j, i in enumerate(todo):
            outcomes[i] = build.outcomes[j]
    if index:
        from .index import write_index

        roots = {spec.reports_dir for spec in specs}
        changed = any(o is not None and o.status == OK for o in outcomes)
        for root in roots:
            if changed or not (root / "index.html").exists():
                write_index(root)
    return [o for o in outcomes if o is not None]


def build_year(
    year: int,
    *,
    notebooks: Sequence[str | Path] | None = None,
    parameters: dict[str, object] | None = None,
    reports_dir: str | Path | None = None,
    quiet: bool = True,
    pdf: bool = True,
    kernel_name: str = KERNEL_NAME,
    raw_dir: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    force: bool = True,
) -> BuildResult:
    """Build one report, in this process (see :func:`build_reports`); raise on failure.

    ``parameters`` are report parameters other than ``year`` (validated with
    :meth:`ReportParameters.validate`: an unknown name is an error).

    Raises
    ------
    ParameterError
        An unknown or invalid parameter.
    ReportBuildError
        One readable line: the notebook, the cell (index and first line) and the error.
    """
    values = dict(parameters or {})
    if raw_dir is not None:
        values.setdefault("raw_dir", str(raw_dir))
    params = ReportParameters.validate(values, year=year)
    sink = log or (lambda _line: None)
    specs = make_specs([params], notebooks=notebooks, reports_dir=reports_dir, pdf=pdf,
                       kernel_name=kernel_name, progress_bar=not quiet)
    (outcome,) = build_reports(specs, jobs=1, force=force, quiet=quiet, index=False,
                               report=sink, log=sink)
    if not outcome.ok:
        raise ReportBuildError(outcome.message)
    if outcome.result is None:  # up to date
        return BuildResult.from_folder(outcome.spec, None, 0.0)
    return outcome.result
