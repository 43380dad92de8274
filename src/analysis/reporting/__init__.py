"""Reports: papermill runs, self-contained HTML and Chromium PDF exports, provenance, atomic builds.

Light names (parameters, outputs, provenance, errors) are imported eagerly, so a notebook's
``from analysis.reporting import save_table`` stays cheap; the runner and the exporters
(papermill, nbconvert, playwright) are imported on first use.

Example
-------
>>> from analysis.reporting import build_years, format_summary        # doctest: +SKIP
>>> print(format_summary(build_years([2020, 2021], quiet=True)))     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .checks import notebook_problems
from .errors import ChromiumNotFoundError, ParameterError, ReportBuildError, ReportingError
from .outputs import save_figure, save_table
from .parameters import ReportParameters, available_years, validate_parameters

if TYPE_CHECKING:  # pragma: no cover
    from .chromium import PdfPrinter, find_chromium
    from .exporter import ChromiumPDFExporter, ReportHTMLExporter
    from .runner import (
        BuildResult,
        ReportBuilder,
        YearOutcome,
        build_year,
        build_years,
        cli_run,
        discover_notebooks,
        format_summary,
    )

__all__ = [
    "BuildResult",
    "ChromiumNotFoundError",
    "ChromiumPDFExporter",
    "ParameterError",
    "PdfPrinter",
    "ReportBuildError",
    "ReportBuilder",
    "ReportHTMLExporter",
    "ReportParameters",
    "ReportingError",
    "YearOutcome",
    "available_years",
    "build_year",
    "build_years",
    "cli_run",
    "discover_notebooks",
    "find_chromium",
    "format_summary",
    "notebook_problems",
    "save_figure",
    "save_table",
    "validate_parameters",
]

_LAZY = {
    "PdfPrinter": "chromium",
    "find_chromium": "chromium",
    "ChromiumPDFExporter": "exporter",
    "ReportHTMLExporter": "exporter",
    "BuildResult": "runner",
    "ReportBuilder": "runner",
    "YearOutcome": "runner",
    "build_year": "runner",
    "build_years": "runner",
    "cli_run": "runner",
    "discover_notebooks": "runner",
    "format_summary": "runner",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
