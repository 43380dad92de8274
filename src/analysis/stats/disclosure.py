"""Compatibility import: disclosure control lives in :mod:`analysis.disclosure`.

The per-table suppression rules are :mod:`analysis.disclosure.suppression`; this module
re-exports them so that ``from analysis.stats.disclosure import suppress_cells`` keeps working.
"""

from analysis.disclosure.suppression import *  # noqa: F403
from analysis.disclosure.suppression import __all__  # noqa: F401
