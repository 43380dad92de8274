"""Readers for raw survey exports — kept for older imports; the code lives in :mod:`analysis.ingest`.

Every name this module used to define is re-exported from the ingest step that now owns it:
reading (:func:`read_export`, :class:`RawExport`, :func:`detect_format`), matching
(:func:`normalize_text`), coding (:func:`code_answers`, :class:`CodedAnswers`,
:func:`split_multiple`) and dates (:func:`parse_timestamps`).

Examples
--------
>>> from analysis.io import normalize_text
>>> normalize_text("  Qual\\u00a0è  l\\u2019azienda? ")
"qual è l'azienda?"
"""

from __future__ import annotations

from analysis.ingest.code import CodedAnswers, code_answers, split_multiple
from analysis.ingest.dates import parse_timestamps
from analysis.ingest.pipeline import RawExport, read_export
from analysis.ingest.sniff import detect_format
from analysis.ingest.text import normalize_text

__all__ = [
    "RawExport",
    "CodedAnswers",
    "read_export",
    "code_answers",
    "detect_format",
    "normalize_text",
    "split_multiple",
    "parse_timestamps",
]
