"""The build: run the report notebooks, export HTML and PDF, record provenance, index the reports.

What notebooks import is the notebook kit (:mod:`analysis.notebook`); this package *runs*
them. Modules, from the command line down:

- :mod:`~analysis.reporting.runner`     which reports to build, which task may start when
- :mod:`~analysis.reporting.cache`      build keys: a report is rebuilt only when an input changed
- :mod:`~analysis.reporting.executors`  this process, a pool of worker processes, or Dask
- :mod:`~analysis.reporting.tasks`      prepare a year, run a notebook, export a report
- :mod:`~analysis.reporting.exporter`   self-contained HTML, PDF through headless Chromium
- :mod:`~analysis.reporting.provenance` what was run, on which inputs, with which code
- :mod:`~analysis.reporting.index`      ``reports/index.html`` across years and languages

Light names are imported eagerly; the runner and the exporters (papermill, nbconvert,
playwright) on first use, so ``softskills run`` answers "up to date" without loading them.

Example
-------
>>> from analysis.parameters import ReportParameters
>>> from analysis.reporting import build_reports, make_specs               # doctest: +SKIP
>>> build_reports(make_specs([ReportParameters.validate(year=2020)]))      # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.parameters import ReportParameters

from .errors import ChromiumNotFoundError, ParameterError, ReportBuildError, ReportingError

if TYPE_CHECKING:  # pragma: no cover
    from .checks import notebook_problems
    from .chromium import PdfPrinter, find_chromium
    from .exporter import ChromiumPDFExporter, ReportHTMLExporter
    from .runner import (
        BuildResult,
        ReportOutcome,
        build_reports,
        build_year,
        discover_notebooks,
        format_outcome,
        make_specs,
    )
    from .tasks import ReportSpec

__all__ = [
    "BuildResult",
    "ChromiumNotFoundError",
    "ChromiumPDFExporter",
    "ParameterError",
    "PdfPrinter",
    "ReportBuildError",
    "ReportHTMLExporter",
    "ReportOutcome",
    "ReportParameters",
    "ReportSpec",
    "ReportingError",
    "build_reports",
    "build_year",
    "discover_notebooks",
    "find_chromium",
    "format_outcome",
    "make_specs",
    "notebook_problems",
]

_LAZY = {
    "notebook_problems": "checks",
    "PdfPrinter": "chromium",
    "find_chromium": "chromium",
    "ChromiumPDFExporter": "exporter",
    "ReportHTMLExporter": "exporter",
    "BuildResult": "runner",
    "ReportOutcome": "runner",
    "build_reports": "runner",
    "build_year": "runner",
    "discover_notebooks": "runner",
    "format_outcome": "runner",
    "make_specs": "runner",
    "ReportSpec": "tasks",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
