"""Reader of CSV / TSV text exports (Google Forms, LimeSurvey, Qualtrics, SurveyMonkey, re-saves).

- encoding: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252;
- delimiter: ``,``, ``;`` or tab, whichever makes the most headers known to the codebook
  (with ``;`` a decimal comma in numbers, ``4,0``, is read as a number by the coding step);
- parsed record by record, so every row keeps the number a spreadsheet shows and a row with
  too few or too many fields, or a file cut inside a quoted field, is reported where it is.

Memory stays near the file's size: records are gathered in chunks and stored as Arrow strings,
so no Python object per cell survives a chunk.
"""

from __future__ import annotations

import codecs
import csv
import io as _io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.errors import Problem
from analysis.ingest.read import Table
from analysis.ingest.sniff import fatal

__all__ = ["read_csv"]

_CHUNK = 20_000
_STRING = pd.StringDtype("pyarrow")


def _first_record(text: str, delimiter: str) -> list[str]:
    sample = text[:65536]
    try:
        return next(csv.reader(_io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error:
        return []


def _sniff_delimiter(text: str, score: Callable[[list[str]], int]) -> str:
    best, best_score = ",", (-1, -1)
    for delim in (",", ";", "\t"):
        header = _first_record(text, delim)
        s = (score(header), len(header))
        if s > best_score:
            best, best_score = delim, s
    return best


def _encodings(data: bytes) -> list[tuple[str, int]]:
    """Candidate (encoding, bytes to skip) for a CSV, most likely first."""
    if data.startswith(codecs.BOM_UTF8):
        return [("utf-8-sig", 3)]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [("utf-16", 0)]
    return [("utf-8", 0), ("cp1252", 0)]


def read_csv(path: Path, data: bytes, score: Callable[[list[str]], int]) -> Table:
    """Parse a CSV export (see the module docstring)."""
    candidates = _encodings(data)
    for i, (encoding, skip) in enumerate(candidates):
        sample = data[skip : skip + 65536].decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
        delimiter = _sniff_delimiter(sample.lstrip("\ufeff"), score)
        try:
            header, frame, problems = _parse_csv(path, data, skip, encoding, delimiter)
        except UnicodeDecodeError as exc:
            if i + 1 < len(candidates):
                continue
            raise fatal(path, f"not a text file in UTF-8 or cp1252 (undecodable byte at position {exc.start})") from None
        return Table(header, frame, "csv", encoding=encoding, delimiter=delimiter, problems=problems)
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
                        "error", path.name, record, None, str(len(fields)), f"{width} fields",
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
                "error", path.name, record + 1, None, None, "a closing quote before the end of the file",
                f"the file ends inside a quoted field (truncated file?): {exc}; this row and any after it were not read",
            )
        )
    flush()
    if header is None:
        raise fatal(path, "empty file: no header and no answers")
    if parts:
        frame = pd.concat(parts, ignore_index=True)
    else:
        frame = pd.DataFrame({c: pd.Series([], dtype=_STRING) for c in range(width)})
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    return header, frame, problems
