"""Exceptions of :mod:`analysis.reporting`.

Both carry a one-line message meant for a user; the CLI prints ``str(exc)`` and exits non-zero.
"""

from __future__ import annotations

from analysis.errors import SurveyError

__all__ = ["ReportingError", "ParameterError", "ReportBuildError", "ChromiumNotFoundError"]


class ReportingError(SurveyError):
    """Base class of the errors raised while building reports (a :class:`SurveyError`)."""


class ParameterError(ReportingError, ValueError):
    """A notebook parameter is invalid (unknown year, missing file, bad ``lang`` or ``link``...).

    Inside a Jupyter kernel the error is shown as one line, without a traceback
    (IPython calls :meth:`_render_traceback_`).
    """

    def _render_traceback_(self) -> list[str]:  # IPython hook: no stack for a user's mistake
        return [f"ParameterError: {self}"]


class ReportBuildError(ReportingError):
    """A year's report could not be built (a notebook failed, an export failed...)."""


class ChromiumNotFoundError(ReportingError):
    """No Chromium / Chrome executable was found for printing PDFs."""
