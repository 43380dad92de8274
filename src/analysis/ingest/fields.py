"""What a column can mean: the *fields* of the codebook and the header texts that name them.

Used by the *map* step (:mod:`analysis.ingest.mapping`). A :class:`Field` is one column of the
answers table the pipeline builds: a variable (``role``), a battery item
(``q7_skill_relevance__empathy``), one option of a multiple-choice question given as its own
column (``q1_skills__empathy``), an export field (``timestamp``, ``start_time``,
``respondent_id``), a personal field (dropped by :mod:`analysis.ingest.scrub`) or a column to
leave out (``ignore``: a tool's own bookkeeping).

Examples
--------
>>> from analysis.codebook import load_codebook
>>> index = header_index(load_codebook(), 2020)
>>> index["timestamp"].kind, index["qual è il tuo ruolo?"].key
('timestamp', 'role')
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.codebook import Codebook
from analysis.ingest.text import normalize_text

__all__ = ["Field", "header_index", "required_fields", "META_KINDS"]

META_KINDS = ("timestamp", "start_time", "respondent_id")
_META_EXTRA = {"timestamp": ["timestamp", "submitted_at"], "start_time": ["start_time"]}


@dataclass(frozen=True)
class Field:
    """One column of the answers table (see the module docstring).

    Attributes
    ----------
    key : str
        Column name in :attr:`analysis.ingest.RawExport.table`.
    kind : str
        ``timestamp``, ``start_time``, ``respondent_id``, ``personal``, ``ignore``, ``answer``,
        ``multi`` (one cell with every chosen option), ``multi_option`` (one column per option),
        ``item`` (battery item) or ``free_text``.
    variable : str or None
        Codebook variable.
    code : str, int or None
        Option or item code for ``multi_option`` / ``item``.
    in_version : bool
        Part of the questionnaire version of the year read.
    """

    key: str
    kind: str
    variable: str | None = None
    code: str | int | None = None
    in_version: bool = True


def meta_field(kind: str) -> Field:
    """The field of an export column that is no question (``timestamp``, ``personal``, ``ignore`` ...)."""
    return Field(kind, kind)


def header_index(cb: Codebook, year: int) -> dict[str, Field]:
    """Normalised header -> field, for every variable of the codebook (any version)."""
    in_version = set(cb.version_for(year).variables)
    index: dict[str, Field] = {}

    def add(header: str, fld: Field) -> None:
        index.setdefault(normalize_text(header), fld)

    for kind in META_KINDS:
        for header in cb.header_aliases(kind) + _META_EXTRA.get(kind, []) + [kind]:
            add(header, meta_field(kind))
    for header in cb.header_aliases("personal"):
        add(header, meta_field("personal"))
    for header in cb.header_aliases("ignore"):
        add(header, meta_field("ignore"))
    for var in cb.variables.values():
        inv = var.name in in_version
        texts = [var.text_it, var.text_en]
        if var.type == "battery":
            for item in var.items:
                fld = Field(var.column_for(item.code), "item", var.name, item.code, inv)
                add(var.column_for(item.code), fld)
                for text in texts:
                    for label in (item.it, item.en):
                        add(f"{text} [{label}]", fld)
            continue
        kind = {"multiple_choice": "multi", "free_text": "free_text"}.get(var.type, "answer")
        fld = Field(var.name, kind, var.name, None, inv)
        for header in [var.name, *texts]:
            add(header, fld)
        if var.type == "multiple_choice":
            for opt in var.options:
                ofld = Field(var.column_for(opt.code), "multi_option", var.name, opt.code, inv)
                add(var.column_for(opt.code), ofld)
                for text in texts:
                    for label in (opt.it, opt.en):
                        add(f"{text} [{label}]", ofld)
    return index


def required_fields(cb: Codebook, year: int) -> list[tuple[str, str, list[str]]]:
    """(field key, header to show, alternative field keys) that an export of ``year`` needs."""
    out: list[tuple[str, str, list[str]]] = []
    for var in cb.variables_for(year):
        if var.type == "battery":
            for item in var.items:
                out.append((var.column_for(item.code), f"{var.text_it} [{item.it}]", []))
        elif var.type == "multiple_choice":
            out.append((var.name, var.text_it, [var.column_for(o.code) for o in var.options]))
        elif var.type != "free_text":
            out.append((var.name, var.text_it, []))
    return out
