"""Step *sniff*: what a file really is, whatever its name says.

The first bytes decide: a zip archive is an XLSX workbook when it holds ``xl/workbook.xml``,
else a plain zip (Google Forms' "Download responses" gives a zip holding one CSV: that CSV is
read, and a note says so); ``$FL2`` / ``$FL3`` is SPSS; ``%PDF`` a PDF document; an OLE2
compound file an old ``.xls`` (or a password-protected workbook); text starting with an HTML
tag a web page (typically a sign-in page saved instead of the export); other text is a CSV / TSV
(UTF-8, UTF-16 or cp1252). The extension only breaks ties. Everything that is not an export
is rejected with a message that says what the file is and what to do instead.

Examples
--------
>>> from pathlib import Path
>>> sniff_bytes(Path("x.csv"), b"<!DOCTYPE html><html><head>")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
analysis.errors.SurveyDataError: 1 error(s) in the export
  error: x.csv: this is an HTML web page, not a survey export ...
>>> sniff_bytes(Path("x.csv"), b"Informazioni cronologiche,Ruolo\\r\\n").kind
'csv'
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import Problem, SurveyDataError

__all__ = ["Sniffed", "sniff", "sniff_bytes", "detect_format", "fatal"]

_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta)\b", re.I | re.S)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sniffed:
    """What a file is and the bytes to read.

    Attributes
    ----------
    kind : str
        ``csv``, ``xlsx`` or ``sav`` (the readable kinds).
    data : bytes
        The bytes to parse (for a zip holding one CSV: that CSV).
    notes : list of str
        What was done to get there (e.g. the CSV taken out of a zip).
    """

    kind: str
    data: bytes
    notes: list[str] = field(default_factory=list)


def fatal(path: Path, message: str, row: int | None = None) -> SurveyDataError:
    """A whole-file error (the file cannot be read as an export at all)."""
    return SurveyDataError([Problem("error", path.name, row, None, None, None, message)])


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return ctrl > max(2, len(head) // 100)


def _strip_bom(head: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8,):
        if head.startswith(bom):
            return head[len(bom):]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    return head


def sniff_bytes(path: Path, data: bytes) -> Sniffed:
    """Decide what ``data`` (the content of ``path``) is; raise for anything that is no export.

    Raises
    ------
    SurveyDataError
        Empty file, HTML page, PDF, old ``.xls``, a zip without exactly one CSV, other binary data.
    """
    head = data[:8192]
    suffix = path.suffix.lower()
    if not head.strip() or head.strip() in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise fatal(path, "empty file: no header and no answers")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, data)
    if head[:4] in (b"$FL2", b"$FL3"):
        return Sniffed("sav", data)
    if head.startswith(b"%PDF"):
        raise fatal(
            path,
            "this is a PDF document (a printout of the responses?), not a survey export: "
            "download the responses as CSV or XLSX from the survey tool",
        )
    if head.startswith(_OLE2):
        raise fatal(
            path,
            "this is an old Excel .xls file (or a password-protected workbook): open it in Excel or "
            "LibreOffice and save it as .xlsx or .csv (without a password)",
        )
    text_head = _strip_bom(head)
    if _HTML.match(text_head):
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:65536], re.I | re.S)
        shown = f' ("{title.group(1).decode("utf-8", "replace").strip()[:80]}")' if title else ""
        raise fatal(
            path,
            f"this is an HTML web page{shown}, not a survey export (a sign-in or preview page saved "
            "instead of the file?): download the responses again from the survey tool "
            "(Google Forms: Responses ▸ ⋮ ▸ Download responses (.csv))",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Sniffed("csv", data)
    if suffix in (".xlsx", ".xlsm"):
        raise fatal(path, f"not an XLSX workbook (a {suffix} file must be a zip archive)")
    if suffix in (".sav", ".zsav"):
        raise fatal(path, "not an SPSS .sav file (missing the $FL2 signature)")
    if suffix == ".xls":
        raise fatal(path, "old Excel .xls files are not supported: save the sheet as .xlsx or .csv")
    if _looks_binary(head):
        raise fatal(
            path,
            "binary file, not a survey export (expected a CSV text file, an XLSX workbook or an SPSS .sav file)",
        )
    return Sniffed("csv", data)


def _sniff_zip(path: Path, data: bytes) -> Sniffed:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raise fatal(path, f"cannot be read as an XLSX workbook (damaged zip archive: {exc})") from None
        raise fatal(path, f"a damaged zip archive ({exc}): download the export again") from None
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        return Sniffed("xlsx", data)
    csvs = [n for n in names if n.lower().endswith((".csv", ".tsv", ".txt"))]
    if len(csvs) == 1:
        try:
            inner = archive.read(csvs[0])
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
            raise fatal(path, f"a zip archive whose file {csvs[0]!r} cannot be extracted ({exc})") from None
        return Sniffed("csv", inner, [f"{path.name} is a zip archive: read {csvs[0]!r} inside it"])
    listed = ", ".join(repr(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
    if not csvs:
        raise fatal(path, f"a zip archive with no CSV file inside (it holds {listed or 'nothing'}): not a survey export")
    raise fatal(
        path,
        f"a zip archive with {len(csvs)} CSV files ({listed}): extract the one with the responses and give that file",
    )


def sniff(path: Path) -> Sniffed:
    """Read ``path`` and decide what it is (see :func:`sniff_bytes`)."""
    return sniff_bytes(path, Path(path).read_bytes())


def detect_format(path: Path, head: bytes | None = None) -> str:
    """Return ``"csv"``, ``"xlsx"`` or ``"sav"`` from the file's content (then its extension).

    Raises
    ------
    SurveyDataError
        For a file that is none of the three (see :func:`sniff_bytes`).
    """
    path = Path(path)
    data = head if head is not None else path.read_bytes()
    return sniff_bytes(path, data).kind
