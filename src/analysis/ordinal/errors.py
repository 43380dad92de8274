"""Errors and warnings of the ordinal engine (:mod:`analysis.ordinal`).

A user's mistake raises :class:`OrdinalModelError` (a :class:`analysis.errors.SurveyError` and a
``ValueError``: clear message, no bug);
what an analyst should know about a fit is an :class:`OrdinalWarning`.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import SurveyError

__all__ = [
    "BinarySplitSeparationError",
    "OrdinalConvergenceWarning",
    "OrdinalModelError",
    "OrdinalWarning",
    "SeparationWarning",
]


class OrdinalModelError(SurveyError, ValueError):
    """A user's mistake in specifying or fitting an ordinal model (clear message, no bug).

    A :class:`~analysis.errors.SurveyError` (the CLI shows it without a traceback) and a
    ``ValueError``.
    """


class OrdinalWarning(UserWarning):
    """Something the analyst should know about an ordinal fit (dropped rows or levels, ...)."""


class OrdinalConvergenceWarning(OrdinalWarning):
    """The Newton solver did not reach the gradient tolerance."""


class SeparationWarning(OrdinalConvergenceWarning):
    """Complete or quasi-complete separation: some estimate diverges."""


class BinarySplitSeparationError(OrdinalModelError, np.linalg.LinAlgError):
    """A binary split ``Y > j`` of Brant's test is separated: its logit has no finite MLE."""

