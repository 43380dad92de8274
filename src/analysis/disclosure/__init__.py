"""Disclosure control for everything a report publishes.

Where it sits: the statistics (:mod:`analysis.stats`) protect each table with the per-table
rules of :mod:`analysis.disclosure.suppression` and the report-wide rules of the plan (merges
declared in the codebook, coarsened or withheld statistics, cross-tab totals protected like the
one-way tables they repeat: ``docs/disclosure.md``); the notebook kit writes every published table with a
sidecar (:mod:`analysis.disclosure.schema`) that maps its numbers to cells of the
respondent-level cross-classification; after a build, :func:`audit` attacks the whole
reader bundle at once (:mod:`analysis.disclosure.auditor`) and a failing audit fails the build.

See ``docs/disclosure.md``.
"""

from analysis.disclosure.suppression import (
    FLAG_BASE,
    MIN_BASE_PCT,
    MIN_CELL,
    PRIMARY,
    SECONDARY,
    audit_suppression,
    disclosure_info,
    disclosure_note,
    format_count,
    merge_disclosure,
    suppress_cells,
    table_constraints,
)

__all__ = [
    "FLAG_BASE",
    "MIN_BASE_PCT",
    "MIN_CELL",
    "PRIMARY",
    "SECONDARY",
    "audit_suppression",
    "disclosure_info",
    "disclosure_note",
    "format_count",
    "merge_disclosure",
    "suppress_cells",
    "table_constraints",
    "audit",
    "AuditResult",
    "DisclosureAuditError",
]


def __getattr__(name: str):  # lazy: the auditor pulls scipy's MILP only when used
    if name in ("audit", "AuditResult", "DisclosureAuditError"):
        from analysis.disclosure import auditor as _audit_mod

        return getattr(_audit_mod, name)
    raise AttributeError(name)
