"""Survey statistics: tables, intervals, tests and disclosure control.

Every function takes the prepared DataFrame and column names and returns a tidy
DataFrame (or a small result object of tidy DataFrames). Disclosure control is on by
default (``min_cell=5``); every table accepts ``weights`` (unweighted by default).
"""

from analysis.stats.crosstab import CrosstabResult, crosstab
from analysis.stats.disclosure import (
    audit_suppression,
    disclosure_note,
    format_count,
    suppress_cells,
)
from analysis.stats.intervals import effective_n, holm, wilson_ci
from analysis.stats.likert import frequencies, scale_summary
from analysis.stats.multiple_response import MultipleResponseResult, multiple_response
from analysis.stats.sample import sample_note, sample_summary
from analysis.stats.trends import TrendResult, trend
from analysis.stats.views import protect_table, reader_view

__all__ = [
    "protect_table",
    "reader_view",
    "TrendResult",
    "sample_note",
    "sample_summary",
    "trend",
    "CrosstabResult",
    "MultipleResponseResult",
    "crosstab",
    "multiple_response",
    "audit_suppression",
    "disclosure_note",
    "effective_n",
    "format_count",
    "frequencies",
    "holm",
    "scale_summary",
    "suppress_cells",
    "wilson_ci",
]
