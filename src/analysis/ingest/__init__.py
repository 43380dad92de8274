"""From a survey tool's raw export to checked, coded answers: one step per module.

The pipeline, in the order the code runs it (:func:`ingest` in :mod:`.pipeline`)::

    file ─▶ sniff      what the file really is: CSV/TSV/UTF-16 text, XLSX, SAV, a zip holding one CSV;
                       HTML page, PDF, old .xls, other binary rejected with what to do   (.sniff)
         ─▶ read       cells as written, spreadsheet row numbers: CSV (encoding, delimiter),
                       XLSX (the sheet whose headers match, or --sheet), SAV (variable and
                       value labels, user-missing codes)                    (.read, .read_csv, .read_xlsx, .read_sav)
         ─▶ tools      Microsoft Forms, Qualtrics, SurveyMonkey, LimeSurvey recognised by their
                       signature columns; extra header rows, bookkeeping and personal fields  (.tools)
         ─▶ map        column → codebook field: a mapping file, the tool's fields, the header
                       text, an SPSS variable label / a tool's question row; near-twin headers
                       shown with the part that differs                     (.mapping, .fields)
         ─▶ scrub      personal data dropped; only a test flag and an anonymous person number
                       kept; "other" free text dropped (RawExport ends here)        (.scrub)
         ─▶ code       labels / codes / ticks → the codebook's categories    (.code)
         ─▶ checks     timestamps (.dates: never a silent day/month misread), respondent IDs,
                       test submissions                                     (.checks, .dates)
         ─▶ duplicates the same answers sent twice: found here, dropped by prepare  (.duplicates)
         ─▶ Checked    → analysis.validate lists its problems; analysis.prepare keeps
                       ``Checked.keep`` rows and writes data/processed/YEAR.parquet

Every problem is a :class:`~analysis.errors.Problem` naming file, spreadsheet row, column,
value and what was expected; a file that is no export at all raises
:class:`~analysis.errors.SurveyDataError`; a usage mistake (missing file, unknown year, bad
mapping file, unknown sheet) :class:`~analysis.errors.SurveyUsageError`. The raw file is only read.

Examples
--------
>>> from analysis.ingest import ingest, IngestOptions
>>> checked = ingest("data/raw/2020.csv", 2020, IngestOptions(date_order="dmy"))  # doctest: +SKIP
>>> checked.coded.data.loc[checked.keep]  # doctest: +SKIP
"""

from __future__ import annotations

from analysis.ingest.code import CodedAnswers, code_answers, split_multiple
from analysis.ingest.dates import parse_dates, parse_timestamps
from analysis.ingest.mapping import ColumnMapping, draft_mapping, load_mapping, map_columns
from analysis.ingest.pipeline import (
    Checked,
    IngestOptions,
    RawExport,
    check,
    ingest,
    read_export,
    read_table_of,
)
from analysis.ingest.sniff import detect_format, sniff
from analysis.ingest.text import normalize_text

__all__ = [
    "Checked",
    "CodedAnswers",
    "ColumnMapping",
    "IngestOptions",
    "RawExport",
    "check",
    "code_answers",
    "detect_format",
    "draft_mapping",
    "ingest",
    "load_mapping",
    "map_columns",
    "normalize_text",
    "parse_dates",
    "parse_timestamps",
    "read_export",
    "read_table_of",
    "sniff",
    "split_multiple",
]
