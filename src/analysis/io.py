"""Readers for raw survey exports: Google Forms CSV, Microsoft Forms XLSX, SPSS ``.sav``.

:func:`read_export` turns a file into a :class:`RawExport`: one row per record, indexed by
the row number a spreadsheet shows (header = row 1, first answer = row 2), one column per
*field* of the codebook (the variable name, a battery item's prepared column name, or
``timestamp`` / ``start_time`` / ``respondent_id``), holding the answers as written (labels).
:func:`code_answers` turns those labels into codes following the conventions of
:mod:`analysis.codebook` and lists every cell it could not code.

What the reader does on the way:

- format from the content (zip = XLSX, ``$FL2``/``$FL3`` = SPSS, text = CSV), the file
  extension only breaking ties; a binary file that is none of these is rejected;
- encoding of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252;
- delimiter of a CSV: ``,``, ``;`` or tab, whichever makes the most headers known to the
  codebook; with ``;`` a decimal comma in numbers (``4,0``) is read as a number;
- headers and answers match the codebook regardless of case, surrounding or repeated white
  space, non-breaking spaces, Unicode normal form and curly versus straight quotes
  (:func:`normalize_text` is applied to both sides);
- personal data (email, name, IP address columns of the codebook's ``metadata.personal``;
  the free text typed under "other") is dropped here. Before dropping it the reader keeps
  only two non-personal facts: whether a row is a *test submission* (a personal field or a
  free-text answer contains a ``metadata.test_markers`` word, e.g. ``test`` or ``prova``, as a
  whole word: ``test@example.com`` and ``Prova Rossi`` are test rows, ``mario.testa@...`` is not)
  and an anonymous *person number* (the same email address gets the same number).

Examples
--------
>>> from analysis.io import normalize_text, split_multiple
>>> normalize_text("  Qual\\u00a0è  l\\u2019azienda? ")
"qual è l'azienda?"
>>> from analysis.codebook import load_codebook
>>> var = load_codebook()["q1_skills"]
>>> split_multiple("Empatia, Flessibilità, capacità di adattamento;Pazienza", var)
(['empathy', 'patience', 'flexibility'], [])
"""

from __future__ import annotations

import codecs
import csv
import io as _io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Codebook, Variable, load_codebook
from analysis.errors import Problem, SurveyDataError, SurveyUsageError
from analysis.ingest.dates import parse_timestamps

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

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\t\r\n"), " ")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]0+)?")
_SEPARATOR = re.compile(r"\s*[,;]\s*")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def normalize_text(value: Any) -> str:
    """Normalise a header or an answer for matching against the codebook.

    NFC normal form, non-breaking and other unusual spaces as plain spaces, runs of white
    space collapsed, curly quotes straightened, surrounding space stripped, case folded;
    an integer written as ``4.0`` or ``4,0`` becomes ``4``.

    Examples
    --------
    >>> normalize_text("\\u201cMolto\\u201d\\u00a0 ")
    '"molto"'
    >>> normalize_text(4.0)
    '4'
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).translate(_ZERO_WIDTH)
    text = text.translate(_SPACES).translate(_QUOTES)
    text = " ".join(text.split()).casefold()
    if _NUMBER.fullmatch(text):
        text = str(int(float(text.replace(",", "."))))
    return text


def _map_unique(col: pd.Series, func: Any, na: Any = np.nan) -> pd.Series:
    """Apply ``func`` (callable or dict) once per distinct non-missing value of ``col``."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    get = func.get if isinstance(func, dict) else func
    values = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        values[i] = get(u) if not isinstance(func, dict) else get(u, na)
    values[-1] = na
    return pd.Series(values[codes], index=col.index)


def _distinct(col: pd.Series) -> list[Any]:
    """Distinct non-missing values of ``col``."""
    return list(pd.factorize(col, use_na_sentinel=True)[1])


def _rows_with(col: pd.Series, value: Any) -> pd.Index:
    """Index labels of the cells of ``col`` equal to ``value``."""
    return col.index[(col == value).fillna(False).to_numpy(dtype=bool)]


# ------------------------------------------------------------------------------------
# fields: what each header of an export means


@dataclass(frozen=True)
class _Field:
    key: str  # column of RawExport.table
    kind: str  # timestamp, start_time, respondent_id, personal, answer, multi, multi_option, item, free_text
    variable: str | None = None
    code: str | int | None = None
    in_version: bool = True


_META_KINDS = ("timestamp", "start_time", "respondent_id")
_META_EXTRA = {"timestamp": ["timestamp", "submitted_at"], "start_time": ["start_time"]}


def _header_index(cb: Codebook, year: int) -> dict[str, _Field]:
    """Normalised header -> field, for every variable of the codebook (any version)."""
    in_version = set(cb.version_for(year).variables)
    index: dict[str, _Field] = {}

    def add(header: str, fld: _Field) -> None:
        index.setdefault(normalize_text(header), fld)

    for kind in _META_KINDS:
        for header in cb.header_aliases(kind) + _META_EXTRA.get(kind, []) + [kind]:
            add(header, _Field(kind, kind))
    for header in cb.header_aliases("personal"):
        add(header, _Field("personal", "personal"))
    for var in cb.variables.values():
        inv = var.name in in_version
        texts = [var.text_it, var.text_en]
        if var.type == "battery":
            for item in var.items:
                fld = _Field(var.column_for(item.code), "item", var.name, item.code, inv)
                add(var.column_for(item.code), fld)
                for text in texts:
                    for label in (item.it, item.en):
                        add(f"{text} [{label}]", fld)
            continue
        kind = {"multiple_choice": "multi", "free_text": "free_text"}.get(var.type, "answer")
        fld = _Field(var.name, kind, var.name, None, inv)
        for header in [var.name, *texts]:
            add(header, fld)
        if var.type == "multiple_choice":
            for opt in var.options:
                ofld = _Field(var.column_for(opt.code), "multi_option", var.name, opt.code, inv)
                add(var.column_for(opt.code), ofld)
                for text in texts:
                    add(f"{text} [{opt.it}]", ofld)
    return index


def _required_headers(cb: Codebook, year: int) -> list[tuple[str, str, list[str]]]:
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


# ------------------------------------------------------------------------------------
# label matching


@dataclass(frozen=True)
class _Labels:
    codes: dict[str, str | int]  # normalised label -> option code (incl. other)
    dont_know: frozenset[str]  # normalised don't-know labels
    longest_first: tuple[tuple[str, str | int], ...]
    expected: str  # labels to show in messages


_LABEL_CACHE: dict[int, tuple[Variable, _Labels]] = {}


def _labels(var: Variable) -> _Labels:
    hit = _LABEL_CACHE.get(id(var))
    if hit is not None and hit[0] is var:
        return hit[1]
    labels = _build_labels(var)
    if len(_LABEL_CACHE) > 512:
        _LABEL_CACHE.clear()
    _LABEL_CACHE[id(var)] = (var, labels)
    return labels


def _build_labels(var: Variable) -> _Labels:
    codes: dict[str, str | int] = {}
    opts = list(var.options) + ([var.other] if var.other is not None else [])
    for opt in opts:
        for label in (opt.it, opt.en, str(opt.code)):
            codes.setdefault(normalize_text(label), opt.code)
    dk = frozenset(normalize_text(lab) for o in var.dont_know for lab in (o.it, o.en))
    if var.type == "battery" or all(_NUMBER.fullmatch(str(o.it)) for o in var.options):
        # numeric scales: only the numbers themselves
        codes = {normalize_text(o.it): o.code for o in var.options}
    longest = tuple(sorted(codes.items(), key=lambda kv: -len(kv[0])))
    shown = [o.it for o in var.options] + [o.it for o in var.dont_know]
    return _Labels(codes, dk, longest, ", ".join(shown))


def split_multiple(cell: Any, var: Variable) -> tuple[list[str | int], list[str]]:
    """Split a multiple-choice cell into option codes, matching labels longest first.

    Options may be joined with ``", "`` (Google Forms) or ``";"`` (Microsoft Forms, with a
    trailing ``;``); a label that itself contains a comma is still recognised because the
    codebook's labels are tried longest first at each position.

    Returns
    -------
    codes : list
        Option codes found, in codebook order, without repeats.
    unknown : list of str
        Pieces that are no option label (as written in the cell).

    Examples
    --------
    >>> from analysis.codebook import load_codebook
    >>> split_multiple("Empatia, Telepatia", load_codebook()["q1_skills"])
    (['empathy'], ['Telepatia'])
    """
    labels = _labels(var)
    raw = unicodedata.normalize("NFC", str(cell)).translate(_ZERO_WIDTH)
    raw = " ".join(raw.translate(_SPACES).translate(_QUOTES).split())
    text = raw.casefold()
    if len(text) != len(raw):  # case folding changed lengths: fall back to the folded text
        raw = text
    found: set[str | int] = set()
    unknown: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        sep = _SEPARATOR.match(text, pos)
        if sep and sep.end() > pos:
            pos = sep.end()
            continue
        for label, code in labels.longest_first:
            end = pos + len(label)
            if text.startswith(label, pos) and (end == n or _SEPARATOR.match(text, end)):
                found.add(code)
                pos = end
                break
        else:
            nxt = _SEPARATOR.search(text, pos)
            end = nxt.start() if nxt else n
            unknown.append(raw[pos:end].strip())
            pos = end
    order = [o.code for o in var.options]
    return [c for c in order if c in found], unknown


# ------------------------------------------------------------------------------------
# the raw export


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
        (see the module docstring), answers as written.
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

    @property
    def file(self) -> str:
        """File name used in messages."""
        return self.path.name

    @property
    def n_rows(self) -> int:
        """Number of records read."""
        return len(self.table)


def detect_format(path: Path, head: bytes | None = None) -> str:
    """Return ``"csv"``, ``"xlsx"`` or ``"sav"`` from the file's first bytes (then its extension).

    Raises
    ------
    SurveyDataError
        For a binary file that is none of the three.
    """
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    suffix = path.suffix.lower()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if suffix in (".xlsx", ".xlsm") and head:
        raise _fatal(path, f"not an XLSX workbook (a {suffix} file must be a zip archive)")
    if suffix in (".sav", ".zsav") and head:
        raise _fatal(path, "not an SPSS .sav file (missing the $FL2 signature)")
    if suffix == ".xls":
        raise _fatal(path, "old Excel .xls files are not supported: save the sheet as .xlsx or .csv")
    if _looks_binary(head):
        raise _fatal(
            path,
            "binary file, not a survey export (expected a CSV text file, an XLSX workbook or an SPSS .sav file)",
        )
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return ctrl > max(2, len(head) // 100)


def _fatal(path: Path, message: str, row: int | None = None) -> SurveyDataError:
    return SurveyDataError([Problem("error", path.name, row, None, None, None, message)])


# -- CSV ----------------------------------------------------------------------------


def _first_record(text: str, delimiter: str) -> list[str]:
    sample = text[:65536]
    try:
        return next(csv.reader(_io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error:
        return []


def _sniff_delimiter(text: str, index: dict[str, _Field]) -> str:
    best, best_score = ",", (-1, -1)
    for delim in (",", ";", "\t"):
        header = _first_record(text, delim)
        known = sum(1 for h in header if normalize_text(h) in index)
        score = (known, len(header))
        if score > best_score:
            best, best_score = delim, score
    return best


_CHUNK = 20_000
_STRING = pd.StringDtype("pyarrow")


def _encodings(data: bytes) -> list[tuple[str, int]]:
    """Candidate (encoding, bytes to skip) for a CSV, most likely first."""
    if data.startswith(codecs.BOM_UTF8):
        return [("utf-8-sig", 3)]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [("utf-16", 0)]
    return [("utf-8", 0), ("cp1252", 0)]


def _read_csv(path: Path, data: bytes, index: dict[str, _Field]):
    """Parse a CSV record by record (exact field counts and spreadsheet rows).

    Memory stays near the file's size: records are gathered in chunks and stored as Arrow
    strings, so no Python object per cell survives a chunk.
    """
    if not data.strip() or data.strip() in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise _fatal(path, "empty file: no header and no answers")
    candidates = _encodings(data)
    for i, (encoding, skip) in enumerate(candidates):
        sample = data[skip : skip + 65536].decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
        delimiter = _sniff_delimiter(sample.lstrip("\ufeff"), index)
        try:
            header, frame, problems = _parse_csv(path, data, skip, encoding, delimiter)
        except UnicodeDecodeError as exc:
            if i + 1 < len(candidates):
                continue
            raise _fatal(
                path, f"not a text file in UTF-8 or cp1252 (undecodable byte at position {exc.start})"
            ) from None
        return header, frame, encoding, delimiter, problems
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_csv(path: Path, data: bytes, skip: int, encoding: str, delimiter: str):
    stream = _io.TextIOWrapper(_io.BytesIO(data[skip:] if skip else data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    header: list[str] | None = None
    chunk: list[list[str]] = []
    numbers: list[int] = []
    parts: list[pd.DataFrame] = []
    width = 0
    record = 0

    def flush() -> None:
        if not chunk:
            return
        cols = {c: pd.Series(list(values), dtype=_STRING) for c, values in enumerate(zip(*chunk, strict=True))}
        part = pd.DataFrame(cols)
        for c in part.columns:
            part[c] = part[c].mask(part[c].eq(""))
        parts.append(part)
        chunk.clear()

    try:
        for fields in reader:
            record += 1
            if header is None:
                if fields and fields[0].startswith("\ufeff"):
                    fields[0] = fields[0][1:]
                if not "".join(fields).strip():
                    continue  # leading blank lines
                header = fields
                width = len(header)
                continue
            if not "".join(fields).strip():
                continue
            if len(fields) != width:
                what = "fewer" if len(fields) < width else "more"
                problems.append(
                    Problem(
                        "error",
                        path.name,
                        record,
                        None,
                        str(len(fields)),
                        f"{width} fields",
                        f"has {len(fields)} fields, {what} than the header's {width} "
                        + (
                            "(truncated file or a line cut mid-record?)"
                            if what == "fewer"
                            else "(stray delimiter or unquoted text?)"
                        ),
                    )
                )
                fields = (fields + [""] * width)[:width]
            chunk.append(fields)
            numbers.append(record)
            if len(chunk) >= _CHUNK:
                flush()
    except csv.Error as exc:
        problems.append(
            Problem(
                "error",
                path.name,
                record + 1,
                None,
                None,
                "a closing quote before the end of the file",
                f"the file ends inside a quoted field (truncated file?): {exc}; this row and any after it were not read",
            )
        )
    flush()
    if header is None:
        raise _fatal(path, "empty file: no header and no answers")
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = pd.DataFrame({c: pd.Series([], dtype=_STRING) for c in range(width)})
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    return header, frame, problems


# -- XLSX ---------------------------------------------------------------------------


def _read_xlsx(path: Path):
    import openpyxl

    try:
        # a file object: openpyxl would otherwise judge the file by its extension
        wb = openpyxl.load_workbook(_io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _fatal(path, f"cannot be read as an XLSX workbook ({exc})") from None
    except Exception as exc:  # openpyxl raises assorted errors on corrupt files
        raise _fatal(path, f"cannot be read as an XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        rows: list[list[Any]] = []
        numbers: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if header is None:
                if values is None or all(v is None or str(v).strip() == "" for v in values):
                    continue
                header = ["" if v is None else str(v) for v in values]
                continue
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            vals = list(values)[: len(header)]
            vals += [None] * (len(header) - len(vals))
            rows.append(vals)
            numbers.append(number)
    finally:
        wb.close()
    if header is None:
        raise _fatal(path, "empty workbook: no header and no answers")
    width = len(header)
    frame = pd.DataFrame(rows, columns=range(width), dtype=object) if rows else pd.DataFrame(columns=range(width), dtype=object)
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    frame = frame.map(lambda v: np.nan if v is None or (isinstance(v, str) and not v.strip()) else v)
    return header, frame


# -- SPSS ---------------------------------------------------------------------------


def _read_sav(path: Path, cb: Codebook, index: dict[str, _Field]):
    import pyreadstat

    try:
        data, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise _fatal(path, f"cannot be read as an SPSS .sav file ({exc})") from None
    problems: list[Problem] = []
    header: list[str] = []
    columns: list[pd.Series] = []
    labels_of = meta.variable_value_labels or {}
    missing_of = meta.missing_ranges or {}
    col_labels = meta.column_names_to_labels or {}
    n = len(data)
    rownums = pd.Index(np.arange(2, n + 2), name="row", dtype="int64")
    for name in data.columns:
        key = normalize_text(name)
        label = col_labels.get(name)
        if key not in index and label and normalize_text(label) in index:
            key = normalize_text(label)
        fld = index.get(key)
        s = pd.Series(data[name].to_numpy(dtype=object), index=rownums)
        header.append(str(name))
        if fld is None or fld.kind in ("personal", "free_text") or fld.kind in _META_KINDS:
            if fld is not None and fld.kind == "respondent_id":
                s = s.map(lambda v: v if not isinstance(v, float) or not v.is_integer() else int(v))
            columns.append(s)
            continue
        vlabels = labels_of.get(name, {})
        user_missing = _missing_test(missing_of.get(name, []))
        var = cb[fld.variable] if fld.variable else None
        if fld.kind == "multi_option":
            columns.append(s)  # 0/1, checked and joined by _collect
            continue
        dk_label = var.dont_know[0].it if var is not None and var.dont_know else None
        if var is not None and var.is_scale and vlabels:
            _check_sav_order(path, name, vlabels, user_missing, var, problems)

        def relabel(v: Any, vlabels=vlabels, user_missing=user_missing, dk_label=dk_label) -> Any:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return np.nan
            if user_missing(v):
                return dk_label if dk_label is not None else np.nan
            if v in vlabels:
                return vlabels[v]
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return v

        columns.append(_map_unique(s, relabel))
    frame = pd.concat(columns, axis=1, keys=range(len(columns))) if columns else pd.DataFrame(index=rownums)
    frame.index = rownums
    return header, frame, problems


def _missing_test(ranges: list[dict[str, Any]]):
    spans = [(r.get("lo"), r.get("hi")) for r in ranges]

    def is_missing(v: Any) -> bool:
        if not isinstance(v, (int, float)):
            return False
        return any(lo is not None and hi is not None and lo <= v <= hi for lo, hi in spans)

    return is_missing


def _check_sav_order(path, name, vlabels, user_missing, var: Variable, problems: list[Problem]) -> None:
    labels = _labels(var)
    order = [c for c in var.codes]
    positions = []
    for code in sorted(k for k in vlabels if not user_missing(k)):
        mapped = labels.codes.get(normalize_text(vlabels[code]))
        if mapped is not None:
            positions.append(order.index(mapped))
    if positions != sorted(positions):
        problems.append(
            Problem(
                "warning",
                path.name,
                None,
                str(name),
                None,
                ", ".join(var.labels()),
                "the value labels order the answers differently from the codebook; the codebook's order is used",
            )
        )


# -- assembling ---------------------------------------------------------------------

_TEST_WORD = r"(?<![^\W\d_])(?:{})(?![^\W\d_])"


def _test_pattern(cb: Codebook) -> re.Pattern[str] | None:
    markers = [str(m) for m in (cb.metadata.get("test_markers") or []) if str(m).strip()]
    if not markers:
        return None
    return re.compile(_TEST_WORD.format("|".join(re.escape(m) for m in markers)), re.IGNORECASE)


def _contains(series: pd.Series, pattern: re.Pattern[str] | None) -> pd.Series:
    if pattern is None:
        return pd.Series(False, index=series.index)
    return _map_unique(series, lambda u: bool(pattern.search(str(u))), False).astype(bool)


def read_export(
    path: str | Path,
    year: int,
    *,
    codebook: Codebook | None = None,
    keep_free_text: bool = False,
) -> RawExport:
    """Read a raw export of survey ``year`` (CSV, XLSX or SPSS ``.sav``).

    Parameters
    ----------
    path : str or Path
        The export.
    year : int
        Survey year; picks the questionnaire version of the codebook.
    codebook : Codebook, optional
        Defaults to :func:`analysis.codebook.load_codebook`.
    keep_free_text : bool, default False
        Keep the free text typed under "other" (column ``<question>_other``); it is
        personal data and dropped by default.

    Returns
    -------
    RawExport
        Answers as written, personal data dropped, structural problems in ``problems``.

    Raises
    ------
    SurveyUsageError
        The file does not exist, or no questionnaire version covers ``year``.
    SurveyDataError
        The file cannot be read as a table at all (binary, empty, not a workbook).

    Examples
    --------
    >>> raw = read_export("data/raw/2020.csv", 2020)  # doctest: +SKIP
    >>> raw.table.index[0]  # spreadsheet row of the first answer  # doctest: +SKIP
    2
    """
    path = Path(path)
    cb = codebook if codebook is not None else load_codebook()
    if not path.exists():
        raise SurveyUsageError(f"file not found: {path}")
    if path.is_dir():
        raise SurveyUsageError(f"{path} is a folder, not an export file")
    try:
        cb.version_for(year)
    except KeyError as exc:
        raise SurveyUsageError(str(exc.args[0])) from None
    index = _header_index(cb, year)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise _fatal(path, "empty file: no header and no answers")
    fmt = detect_format(path, head)
    encoding = delimiter = None
    problems: list[Problem] = []
    if fmt == "csv":
        header, frame, encoding, delimiter, problems = _read_csv(path, path.read_bytes(), index)
    elif fmt == "xlsx":
        header, frame = _read_xlsx(path)
    else:
        header, frame, problems = _read_sav(path, cb, index)
    return _assemble(path, year, fmt, encoding, delimiter, header, frame, problems, cb, index, keep_free_text)


def _assemble(path, year, fmt, encoding, delimiter, header, frame, problems, cb, index, keep_free_text) -> RawExport:
    file = path.name
    version = cb.version_for(year)
    pattern = _test_pattern(cb)
    fields: dict[str, tuple[int, _Field]] = {}
    headers: dict[str, str] = {}
    personal_cols: list[tuple[str, int]] = []
    free_cols: list[tuple[_Field, int]] = []
    known = 0
    for pos, head in enumerate(header):
        key = normalize_text(head)
        fld = index.get(key)
        if fld is None:
            if not key and frame[pos].isna().all():
                continue  # an empty trailing column
            problems.append(
                Problem(
                    "warning",
                    file,
                    1,
                    head,
                    None,
                    "a question of the codebook",
                    "unknown column, not in the codebook: left out",
                )
            )
            continue
        known += 1
        if fld.kind == "personal":
            personal_cols.append((head, pos))
            continue
        if fld.kind == "free_text":
            free_cols.append((fld, pos))
            continue
        if not fld.in_version:
            problems.append(
                Problem(
                    "warning",
                    file,
                    1,
                    head,
                    None,
                    None,
                    f"question {fld.variable!r} is not part of questionnaire version {version.name} "
                    f"(used in {year}): left out",
                )
            )
            continue
        if fld.key in fields:
            first = header[fields[fld.key][0]]
            problems.append(
                Problem(
                    "error",
                    file,
                    1,
                    head,
                    None,
                    None,
                    f'duplicate column: it means the same as column "{first}" (column {fields[fld.key][0] + 1})',
                )
            )
            continue
        fields[fld.key] = (pos, fld)
        headers[fld.key] = head
    if known == 0:
        raise SurveyDataError(
            problems
            + [
                Problem(
                    "error",
                    file,
                    1,
                    None,
                    None,
                    "the question texts of the codebook as headers",
                    "no column of the file is a known question or export field: "
                    "not a survey export (non-tabular file or wrong delimiter?)",
                )
            ]
        )
    if len(frame) == 0:
        problems.append(
            Problem("error", file, None, None, None, "at least one answer row", "header only: the file has no answers")
        )

    # personal data: keep only the test flag and an anonymous person number
    is_test = pd.Series(False, index=frame.index)
    person = pd.Series(pd.array([pd.NA] * len(frame), dtype="Int64"), index=frame.index)
    for head, pos in personal_cols:
        col = frame[pos]
        is_test |= _contains(col, pattern)
        if "mail" in normalize_text(head) and person.isna().all():
            keys = col.astype("string").str.strip().str.casefold()
            keys = keys.where(keys.ne(""))
            codes, _ = pd.factorize(keys)
            person = pd.Series(pd.array(np.where(codes >= 0, codes, -1), dtype="Int64"), index=frame.index)
            person[codes < 0] = pd.NA
    table = pd.DataFrame(index=frame.index)
    for key, (pos, _fld) in fields.items():
        table[key] = frame[pos]
    for fld, pos in free_cols:
        is_test |= _contains(frame[pos], pattern)
        if keep_free_text:
            table[fld.key] = frame[pos]

    # multiple choice given as one 0/1 column per option (SPSS): join the chosen labels
    for var in cb.variables_for(year):
        if var.type != "multiple_choice" or var.name in table:
            continue
        opt_keys = [var.column_for(o.code) for o in var.options]
        present = [k for k in opt_keys if k in table]
        if not present:
            continue
        parts = []
        for opt in var.options:
            k = var.column_for(opt.code)
            if k not in table:
                continue
            col = table[k]
            num = pd.to_numeric(col, errors="coerce")
            bad = col.notna() & ~num.isin([0, 1])
            for row in col.index[bad]:
                problems.append(
                    Problem("error", file, int(row), headers[k], str(col[row]), "0 or 1", f'"{col[row]}" is not 0 or 1')
                )
            parts.append((opt.it, num))
        answered = pd.concat([p[1] for p in parts], axis=1).notna().any(axis=1)
        joined = pd.Series("", index=table.index, dtype=object)
        for label, num in parts:
            joined = joined.where(~(num == 1), joined + label + "; ")
        joined = joined.where(answered, np.nan)
        table = table.drop(columns=present)
        table[var.name] = joined
        headers[var.name] = var.text_it
        for k in present:
            headers.pop(k, None)

    # single choice with "other": text that is no option is an "other" answer (free text)
    for var in cb.variables_for(year):
        if var.other is None or var.name not in table:
            continue
        labels = _labels(var)
        col = table[var.name]
        is_other = _map_unique(
            col, lambda u, lab=labels: normalize_text(u) not in lab.codes and normalize_text(u) not in lab.dont_know, False
        ).astype(bool)
        if is_other.any():
            is_test |= _contains(col.where(is_other), pattern)
            if keep_free_text and var.other_free_text:
                table[var.other_free_text] = col.where(is_other)
            table[var.name] = col.where(~is_other, var.other.it)

    # required columns
    for key, shown, alternatives in _required_headers(cb, year):
        if key in table or any(a in table for a in alternatives):
            continue
        problems.append(
            Problem(
                "error",
                file,
                1,
                shown,
                None,
                "a column with this question",
                f"required column missing (question {key!r} of questionnaire version {version.name})",
            )
        )
    if "timestamp" not in table:
        shown = (cb.header_aliases("timestamp") or ["timestamp"])[0]
        problems.append(
            Problem(
                "warning" if fmt == "sav" else "error",
                file,
                1,
                shown,
                None,
                "the submission time",
                "timestamp column missing" + (" (submission times unknown)" if fmt == "sav" else ""),
            )
        )
    return RawExport(
        path=path,
        year=year,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        table=table,
        headers=headers,
        is_test=is_test.astype(bool),
        person=person,
        problems=problems,
        codebook=cb,
    )


# ------------------------------------------------------------------------------------
# coding answers


@dataclass
class CodedAnswers:
    """Answers coded per the codebook conventions, and every cell that could not be coded.

    Attributes
    ----------
    data : DataFrame
        Index ``row``; columns as documented in :mod:`analysis.codebook` (Categoricals of
        codes, ``<name>_dk`` flags, nullable booleans per multiple-choice option, battery items).
    problems : list of Problem
        One error per cell holding an unknown label or option.
    """

    data: pd.DataFrame
    problems: list[Problem]


def _cell_problem(file, row, header, value, expected, message) -> Problem:
    return Problem("error", file, int(row), header, str(value), expected, message)


def _code_single(col: pd.Series, var: Variable, file: str, header: str, problems: list[Problem]):
    labels = _labels(var)
    mapping: dict[Any, Any] = {}
    dk_values: set[Any] = set()
    for u in _distinct(col):
        key = normalize_text(u)
        if key in labels.codes:
            mapping[u] = labels.codes[key]
        elif key in labels.dont_know:
            dk_values.add(u)
        elif key == "":
            continue
        else:
            for row in _rows_with(col, u):
                problems.append(
                    _cell_problem(
                        file, row, header, u, labels.expected, f'"{u}" is not one of: {labels.expected}'
                    )
                )
    codes = _map_unique(col, mapping, None)
    values = pd.Categorical(codes.to_numpy(dtype=object), dtype=var.dtype())
    dk = _map_unique(col, lambda u: u in dk_values, False).astype(bool)
    return pd.Series(values, index=col.index), dk.astype("boolean")


def _code_multiple(col: pd.Series, var: Variable, file: str, header: str, problems: list[Problem]):
    labels = _labels(var)
    split: dict[Any, frozenset] = {}
    for u in _distinct(col):
        codes, unknown = split_multiple(u, var)
        split[u] = frozenset(codes)
        if unknown:
            rows = _rows_with(col, u)
            pieces = ", ".join(f'"{p}"' for p in unknown)
            for row in rows:
                problems.append(
                    _cell_problem(
                        file,
                        row,
                        header,
                        u,
                        labels.expected,
                        f"{pieces} {'is not an option' if len(unknown) == 1 else 'are not options'}; "
                        f"options: {labels.expected}",
                    )
                )
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    answered = np.array([bool(split[u]) for u in uniques] + [False], dtype=bool)[codes]
    out = {}
    for opt in var.options:
        chosen = np.array([opt.code in split[u] for u in uniques] + [False], dtype=bool)[codes]
        arr = pd.arrays.BooleanArray(chosen, ~answered)
        out[var.column_for(opt.code)] = pd.Series(arr, index=col.index)
    return out


def code_answers(raw: RawExport, variables: Sequence[Variable] | None = None) -> CodedAnswers:
    """Code the answers of a :class:`RawExport` per the codebook.

    Vectorised: each column's distinct values are matched once, then mapped.

    Parameters
    ----------
    raw : RawExport
    variables : sequence of Variable, optional
        Defaults to the variables of the year's questionnaire version.

    Returns
    -------
    CodedAnswers

    Examples
    --------
    >>> coded = code_answers(read_export("data/raw/2020.csv", 2020))  # doctest: +SKIP
    >>> coded.data["q2_relevance"].cat.categories.tolist()  # doctest: +SKIP
    [1, 2, 3, 4, 5]
    """
    cb = raw.codebook
    variables = list(variables) if variables is not None else cb.variables_for(raw.year, include_personal=True)
    problems: list[Problem] = []
    cols: dict[str, pd.Series] = {}
    idx = raw.table.index
    for var in variables:
        if var.type == "free_text":
            if var.name in raw.table:
                cols[var.name] = raw.table[var.name]
            continue
        if var.type == "battery":
            for item in var.items:
                key = var.column_for(item.code)
                col = raw.table[key] if key in raw.table else pd.Series(np.nan, index=idx, dtype=object)
                values, _ = _code_single(col, var, raw.file, raw.headers.get(key, key), problems)
                cols[key] = values
            continue
        col = raw.table[var.name] if var.name in raw.table else pd.Series(np.nan, index=idx, dtype=object)
        header = raw.headers.get(var.name, var.text_it)
        if var.type == "multiple_choice":
            cols.update(_code_multiple(col, var, raw.file, header, problems))
            continue
        values, dk = _code_single(col, var, raw.file, header, problems)
        cols[var.name] = values
        if var.dont_know_column:
            cols[var.dont_know_column] = dk
    data = pd.DataFrame(cols, index=idx)
    order = {h: i for i, h in enumerate(raw.headers.values())}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column, 0)))
    return CodedAnswers(data=data, problems=problems)
