"""Exceptions of :mod:`analysis.reporting`.

Each carries a one-line message meant for a user; the CLI prints ``str(exc)`` and exits non-zero.
:class:`~analysis.parameters.ParameterError` (an unknown or invalid report parameter) lives with
the parameters and is re-exported here.
"""

from __future__ import annotations

from analysis.errors import SurveyError
from analysis.parameters import ParameterError

__all__ = ["ReportingError", "ParameterError", "ReportBuildError", "ChromiumNotFoundError"]


class ReportingError(SurveyError):
    """Base class of the errors raised while building reports (a :class:`SurveyError`)."""


class ReportBuildError(ReportingError):
    """A report could not be built (a notebook failed, an export failed...)."""


class ChromiumNotFoundError(ReportingError):
    """No Chromium / Chrome executable was found for printing PDFs."""
