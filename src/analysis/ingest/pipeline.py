"""The ingest pipeline from a file to checked, coded answers (the map is in :mod:`analysis.ingest`).

:func:`read_export` runs sniff ▸ read ▸ tools ▸ map ▸ scrub and returns a :class:`RawExport`
(answers as written, personal data gone); :func:`ingest` adds code ▸ checks ▸ duplicates and
returns a :class:`Checked` that :mod:`analysis.validate` reports and :mod:`analysis.prepare`
turns into the prepared table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.codebook import Codebook, load_codebook
from analysis.errors import Problem, SurveyDataError, SurveyUsageError
from analysis.ingest.code import CodedAnswers, code_answers
from analysis.ingest.fields import header_index
from analysis.ingest.mapping import ColumnMapping, Mapped, load_mapping, map_columns
from analysis.ingest.read import Table, read_table
from analysis.ingest.read_sav import apply_value_labels
from analysis.ingest.scrub import scrub
from analysis.ingest.sniff import sniff
from analysis.ingest.text import normalize_text
from analysis.ingest.tools import apply_tool

__all__ = [
    "RawExport",
    "Checked",
    "IngestOptions",
    "read_export",
    "read_table_of",
    "ingest",
    "check",
    "default_mapping_path",
]


@dataclass(frozen=True)
class IngestOptions:
    """What the user may tell the pipeline about a file.

    Attributes
    ----------
    mapping : str, Path, ColumnMapping or None
        Mapping file (``--map``) from the file's columns to codebook variables.
    sheet : str or None
        Workbook sheet to read (``--sheet``); default: the one whose headers match.
    date_order : {"dmy", "mdy"} or None
        Order of ``a/b/yyyy`` timestamps (``--date-order``) when the file does not settle it.
    keep_free_text : bool
        Keep the free text typed under "other" (personal data).
    duplicate_minutes : float
        Identical answers sent again within this many minutes are one submission.
    """

    mapping: str | Path | ColumnMapping | None = None
    sheet: str | None = None
    date_order: str | None = None
    keep_free_text: bool = False
    duplicate_minutes: float = 10.0


@dataclass
class RawExport:
    """A raw export as read, personal data already dropped.

    Attributes
    ----------
    path : Path
        The file read.
    year : int
        Survey year (picks the questionnaire version).
    format : str
        ``"csv"``, ``"xlsx"`` or ``"sav"``.
    encoding, delimiter : str or None
        Detected for a CSV.
    table : DataFrame
        One row per record, index ``row`` = spreadsheet row number; one column per field
        (:class:`~analysis.ingest.fields.Field` key), answers as written (a mapping file's
        answer codes already turned into the codebook's labels).
    headers : dict
        Field -> header as written in the file (for messages).
    is_test : Series of bool
        Test submission (decided from personal / free-text fields before dropping them).
    person : Series of Int64
        Anonymous person number from the email address (missing when there is none).
    problems : list of Problem
        Problems found while reading (structure, headers).
    codebook : Codebook
        The codebook used.
    tool, sheet : str or None
        Survey tool recognised; workbook sheet read.
    anonymous : bool
        An anonymous form (every e-mail ``anonymous``): no same-person checks.
    notes : list of str
        What the reader decided (zip opened, sheet read, tool recognised).
    mapping_path : Path or None
        The mapping file used (an input of the prepared data, like the export).
    """

    path: Path
    year: int
    format: str
    encoding: str | None
    delimiter: str | None
    table: pd.DataFrame
    headers: dict[str, str]
    is_test: pd.Series
    person: pd.Series
    problems: list[Problem]
    codebook: Codebook = field(repr=False)
    tool: str | None = None
    sheet: str | None = None
    anonymous: bool = False
    notes: list[str] = field(default_factory=list)
    mapping_path: Path | None = None

    @property
    def file(self) -> str:
        """File name used in messages."""
        return self.path.name

    @property
    def n_rows(self) -> int:
        """Number of records read."""
        return len(self.table)


def default_mapping_path(path: str | Path) -> Path | None:
    """``<export>.mapping.yaml`` next to the export when it exists (what ``softskills map`` writes).

    The pipeline uses it when no mapping is given, so a build that prepares ``data/raw/YEAR.csv``
    picks up ``data/raw/YEAR.mapping.yaml`` without a parameter.
    """
    path = Path(path)
    candidate = path.with_name(path.stem + ".mapping.yaml")
    return candidate if candidate.is_file() else None


def _start(path: str | Path, year: int, codebook: Codebook | None) -> tuple[Path, Codebook]:
    path = Path(path)
    cb = codebook if codebook is not None else load_codebook()
    if not path.exists():
        raise SurveyUsageError(f"file not found: {path}")
    if path.is_dir():
        raise SurveyUsageError(f"{path} is a folder, not an export file")
    cb.version_for(year)  # an unknown year is a usage error (UnknownYearError)
    return path, cb


def read_table_of(
    path: str | Path, year: int, *, codebook: Codebook | None = None, sheet: str | None = None
) -> tuple[Table, dict[int, str]]:
    """Steps sniff ▸ read ▸ tools: the cells of ``path`` and the tool's bookkeeping columns."""
    path, cb = _start(path, year, codebook)
    index = header_index(cb, year)

    def score(header: list[str]) -> int:
        return sum(1 for h in header if normalize_text(h) in index)

    sniffed = sniff(path)
    table = read_table(path, sniffed.kind, sniffed.data, score, sheet)
    table.notes[:0] = sniffed.notes
    if sheet is not None and sniffed.kind != "xlsx":
        table.notes.append(f"--sheet {sheet!r} ignored: {path.name} is not a workbook ({sniffed.kind})")
    return apply_tool(table)


def _answers(table: Table, mapped: Mapped, cb: Codebook, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Field key -> cells of the mapped columns; SPSS value labels and a mapping's codes applied."""
    problems: list[Problem] = []
    cols: dict[str, pd.Series] = {}
    for pos, fld in mapped.fields.items():
        if fld.kind == "free_text":
            continue
        col = table.frame[pos]
        var = cb[fld.variable] if fld.variable else None
        if table.format == "sav":
            if fld.kind == "respondent_id":
                col = col.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
            elif fld.kind in ("answer", "multi", "item"):
                col = apply_value_labels(
                    col, table.value_labels.get(pos, {}), table.missing.get(pos, []), var, file,
                    table.header[pos], problems,
                )
        recode = mapped.recode.get(fld.key)
        if recode:
            col = col.astype(object).map(lambda v, r=recode: r.get(normalize_text(v), v), na_action="ignore")
        cols[fld.key] = col
    return pd.DataFrame(cols, index=table.frame.index), problems


def read_export(
    path: str | Path,
    year: int,
    *,
    codebook: Codebook | None = None,
    keep_free_text: bool = False,
    mapping: str | Path | ColumnMapping | None = None,
    sheet: str | None = None,
) -> RawExport:
    """Read a raw export of survey ``year``: sniff ▸ read ▸ tools ▸ map ▸ scrub.

    Parameters
    ----------
    path : str or Path
        The export (CSV / TSV, XLSX, SPSS ``.sav``, or a zip holding one CSV).
    year : int
        Survey year; picks the questionnaire version of the codebook.
    codebook : Codebook, optional
        Defaults to :func:`analysis.codebook.load_codebook`.
    keep_free_text : bool, default False
        Keep the free text typed under "other" (column ``<question>_other``); it is
        personal data and dropped by default.
    mapping : str, Path or ColumnMapping, optional
        Mapping file from the file's columns to codebook variables (:mod:`analysis.ingest.mapping`);
        default: ``<export>.mapping.yaml`` next to the export when it exists.
    sheet : str, optional
        Sheet of a workbook to read.

    Returns
    -------
    RawExport
        Answers as written, personal data dropped, structural problems in ``problems``.

    Raises
    ------
    SurveyUsageError
        The file does not exist, no questionnaire version covers ``year``, a bad mapping file or sheet.
    SurveyDataError
        The file cannot be read as a table at all (binary, empty, HTML, PDF, not a workbook).

    Examples
    --------
    >>> raw = read_export("data/raw/2020.csv", 2020)  # doctest: +SKIP
    >>> raw.table.index[0]  # spreadsheet row of the first answer  # doctest: +SKIP
    2
    """
    path, cb = _start(path, year, codebook)
    auto = default_mapping_path(path) if mapping is None else None
    if auto is not None:
        mapping = auto
    mapping_path = Path(mapping) if isinstance(mapping, (str, Path)) else None
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping, cb, year)
    table, kinds = read_table_of(path, year, codebook=cb, sheet=sheet)
    if auto is not None:
        table.notes.append(f"mapping file {auto.name} found next to the export: used")
    file = path.name
    mapped = map_columns(table, kinds, cb, year, file, mapping)
    problems = list(table.problems) + mapped.problems
    questions = [f for f in mapped.fields.values() if f.variable]
    if not questions and (table.tool or table.format == "sav" or (not mapped.fields and not mapped.personal)):
        what = f"a {table.tool} export, but " if table.tool else ""
        problems = [p for p in table.problems if p.row is None or p.row > 1]  # one message, not one per column
        unknown = [table.header[p] for p in mapped.unmatched]
        if unknown:
            listed = ", ".join(f'"{h}"' for h in unknown[:4]) + (" …" if len(unknown) > 4 else "")
            hint_cols = f" ({len(unknown)} column(s) not recognised: {listed})"
        else:
            hint_cols = ""
        hint = (
            "write a mapping with `softskills map FILE --year YEAR` and pass it with --map"
            if table.tool or table.format == "sav"
            else "not a survey export of this questionnaire (wrong delimiter, or another survey?)"
        )
        raise SurveyDataError(
            problems
            + [
                Problem(
                    "error", file, 1, None, None, "the question texts of the codebook as headers",
                    f"{what}no column of the file is a question of the codebook"
                    + ("" if what else " or an export field") + f"{hint_cols}: {hint}",
                )
            ]
        )
    if len(table.frame) == 0:
        problems.append(
            Problem("error", file, None, None, None, "at least one answer row", "header only: the file has no answers")
        )
    answers, label_problems = _answers(table, mapped, cb, file)
    problems += label_problems
    free = {pos: fld.key for pos, fld in mapped.fields.items() if fld.kind == "free_text"}
    answers, is_test, person, anonymous = scrub(
        table.frame, table.header, mapped.personal, free, answers, cb, year, keep_free_text
    )
    notes = list(table.notes)
    if anonymous:
        notes.append("anonymous form (every e-mail is \"anonymous\"): no same-person checks")
    if "timestamp" not in answers:
        shown = (cb.header_aliases("timestamp") or ["timestamp"])[0]
        soft = table.format == "sav"
        problems.append(
            Problem(
                "warning" if soft else "error", file, 1, shown, None, "the submission time",
                "timestamp column missing" + (" (submission times unknown)" if soft else ""),
            )
        )
    return RawExport(
        path=path, year=year, format=table.format, encoding=table.encoding, delimiter=table.delimiter,
        table=answers, headers=dict(mapped.headers), is_test=is_test, person=person, problems=problems,
        codebook=cb, tool=table.tool, sheet=table.sheet, anonymous=anonymous, notes=notes,
        mapping_path=mapping_path,
    )


@dataclass
class Checked:
    """A raw export with its answers coded and every problem found.

    Attributes
    ----------
    raw : RawExport
    coded : CodedAnswers
    submitted_at : Series of datetime64
        Parsed submission times (``NaT`` when missing or unparseable).
    duplicate_of : Series of Int64
        For a duplicate submission, the row of the earlier identical one; else missing.
    problems : list of Problem
        Sorted: whole-file problems first, then by row and column.
    """

    raw: RawExport
    coded: CodedAnswers
    submitted_at: pd.Series
    duplicate_of: pd.Series
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.is_error]

    @property
    def keep(self) -> np.ndarray:
        """Rows to keep: neither a test nor a duplicate submission."""
        return ~self.raw.is_test.to_numpy() & self.duplicate_of.isna().to_numpy()


def check(raw: RawExport, options: IngestOptions = IngestOptions()) -> Checked:
    """Steps code ▸ checks ▸ duplicates on a :class:`RawExport`."""
    from analysis.ingest.checks import check_ids, check_timestamps, test_warnings
    from analysis.ingest.duplicates import find_duplicates

    problems: list[Problem] = list(raw.problems)
    coded = code_answers(raw)
    problems += coded.problems
    submitted_at = check_timestamps(raw, problems, options.date_order)
    check_ids(raw, problems)
    test_warnings(raw, problems)
    duplicate_of = find_duplicates(raw, coded, submitted_at, options.duplicate_minutes, problems)
    order = {h: i for i, h in enumerate(raw.headers.values())}
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, order.get(p.column, -1)))
    return Checked(raw, coded, submitted_at, duplicate_of, problems)


def ingest(
    path: str | Path, year: int, options: IngestOptions = IngestOptions(), *, codebook: Codebook | None = None
) -> Checked:
    """The whole pipeline: sniff ▸ read ▸ tools ▸ map ▸ scrub ▸ code ▸ checks ▸ duplicates.

    Raises
    ------
    SurveyUsageError, SurveyDataError
        As :func:`read_export`; problems of the cells are in ``Checked.problems``, not raised.
    """
    raw = read_export(
        path, year, codebook=codebook, keep_free_text=options.keep_free_text, mapping=options.mapping,
        sheet=options.sheet,
    )
    return check(raw, options)
