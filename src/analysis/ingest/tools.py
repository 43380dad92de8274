"""Step *tools*: recognise the survey tool by its signature and apply its conventions.

Each tool writes its own bookkeeping columns and header layout; :data:`TOOLS` describes them as
data (one place for these facts). :func:`apply_tool` finds the tool whose signature columns the
header carries, removes its extra header rows, gives each column the texts that may name it, and
says what its bookkeeping columns are:

============== ===================================================================================
Google Forms   ``Informazioni cronologiche`` / ``Timestamp``, ``Indirizzo email``; the codebook's
               headers. No tool step needed.
Microsoft Forms ``ID``, ``Start time`` / ``Ora di inizio``, ``Completion time`` /
               ``Ora di completamento``, ``Email`` / ``Posta elettronica``, ``Name`` / ``Nome``;
               an anonymous form writes ``anonymous`` as every e-mail (see
               :mod:`analysis.ingest.scrub`).
Qualtrics      three header rows: short names (``Q1``, ``Q7_1``), question texts
               (``… - Selected Choice``, ``Question - Item`` for a matrix) and ``{"ImportId":…}``;
               ``ResponseId`` kept as a pseudonymous respondent id, ``RecordedDate`` the submission
               time; IP address, recipient name / e-mail, location dropped; a ``Status`` of
               ``Survey Preview`` / ``Survey Test`` marks a test row.
SurveyMonkey   two header rows: the question over the first of its columns, then ``Response``
               or, for each column of a multiple-choice or matrix question, the option / item;
               ``End Date`` the submission time; IP, e-mail, names, custom data dropped.
LimeSurvey     ``id, submitdate, lastpage, startlanguage, seed``; question codes such as
               ``Q1[SQ001]`` (map them with a mapping file), ``Y`` / blank for a ticked option;
               ``ipaddr``, ``refurl``, ``token`` dropped.
============== ===================================================================================

Examples
--------
>>> recognise(["StartDate", "EndDate", "Status", "IPAddress", "ResponseId", "Q1"]).name
'Qualtrics'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd

from analysis.ingest.read import Table
from analysis.ingest.text import normalize_text

__all__ = ["Tool", "TOOLS", "recognise", "apply_tool"]


@dataclass(frozen=True)
class Tool:
    """A survey tool's export conventions.

    Attributes
    ----------
    name : str
    signature : tuple of str
        Headers (normalised) only this tool writes.
    min_hits : int
        How many of them make the tool certain.
    fields : dict
        Normalised header -> kind (``timestamp``, ``start_time``, ``respondent_id``, ``personal``,
        ``ignore``) of the tool's bookkeeping columns.
    ignore_pattern : str or None
        Regular expression of further bookkeeping headers to leave out.
    """

    name: str
    signature: tuple[str, ...]
    min_hits: int
    fields: dict[str, str] = field(default_factory=dict)
    ignore_pattern: str | None = None


TOOLS: tuple[Tool, ...] = (
    Tool(
        "Qualtrics",
        ("startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished",
         "recordeddate", "responseid", "distributionchannel", "userlanguage"),
        4,
        {
            "recordeddate": "timestamp", "startdate": "start_time", "responseid": "respondent_id",
            "ipaddress": "personal", "recipientlastname": "personal", "recipientfirstname": "personal",
            "recipientemail": "personal", "externalreference": "personal", "externaldatareference": "personal",
            "locationlatitude": "personal", "locationlongitude": "personal",
            "status": "personal",  # scanned for "Survey Preview" / "Survey Test" (test rows), then dropped
            "enddate": "ignore", "progress": "ignore", "duration (in seconds)": "ignore",
            "finished": "ignore", "distributionchannel": "ignore", "userlanguage": "ignore",
        },
    ),
    Tool(
        "SurveyMonkey",
        ("respondent id", "collector id", "start date", "end date", "ip address", "email address",
         "first name", "last name", "custom data 1"),
        3,
        {
            "end date": "timestamp", "start date": "start_time", "respondent id": "respondent_id",
            "ip address": "personal", "email address": "personal", "first name": "personal",
            "last name": "personal", "custom data 1": "personal", "custom data": "personal",
            "collector id": "ignore",
        },
    ),
    Tool(
        "LimeSurvey",
        ("id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl",
         "token"),
        3,
        {
            "submitdate": "timestamp", "startdate": "start_time", "id": "respondent_id",
            "ipaddr": "personal", "refurl": "personal", "token": "personal", "email": "personal",
            "firstname": "personal", "lastname": "personal",
            "lastpage": "ignore", "startlanguage": "ignore", "seed": "ignore", "datestamp": "ignore",
            "interviewtime": "ignore",
        },
        r"(?i)^(?:grouptime\d+|.+time)$",
    ),
    Tool(
        "Microsoft Forms",
        ("id", "start time", "completion time", "ora di inizio", "ora di completamento", "last modified time",
         "ora ultima modifica"),
        3,
        {
            "email": "personal", "posta elettronica": "personal", "name": "personal", "nome": "personal",
            "last modified time": "ignore", "ora ultima modifica": "ignore", "total points": "ignore",
            "quiz feedback": "ignore", "punti totali": "ignore", "commenti del quiz": "ignore",
        },
    ),
)


def recognise(header: list[str]) -> Tool | None:
    """The tool whose signature the header carries (most signature columns first), if any."""
    keys = {normalize_text(h) for h in header}
    best: tuple[int, Tool] | None = None
    for tool in TOOLS:
        hits = sum(1 for s in tool.signature if s in keys)
        if hits >= tool.min_hits and (best is None or hits > best[0]):
            best = (hits, tool)
    return best[1] if best else None


def _cells(row) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in row]


_MATRIX = re.compile(r"^(?P<q>.+?)\s+-\s+(?P<item>[^-]+?)\s*$", re.S)


def _qualtrics(table: Table) -> int:
    """Second (question text) and third (ImportId) header rows: alternatives; returns rows removed."""
    frame = table.frame
    removed = 0
    texts: list[str] | None = None
    ids: list[str] | None = None
    for _ in range(2):
        if removed >= len(frame):
            break
        row = _cells(frame.iloc[removed])
        if any(c.lstrip().startswith('{"ImportId"') for c in row):
            ids = []
            for c in row:
                try:
                    ids.append(str(json.loads(c).get("ImportId", "")))
                except (ValueError, AttributeError):
                    ids.append("")
            removed += 1
        elif texts is None and ids is None and any(normalize_text(c) in ("response id", "start date") for c in row):
            texts = row
            removed += 1
        else:
            break
    for pos in range(len(table.header)):
        alts = table.alternatives.setdefault(pos, [])
        if texts is not None and texts[pos]:
            text = texts[pos]
            alts.append(text)
            plain = re.sub(r"\s+-\s+Selected Choice\s*$", "", text)
            if plain != text:
                alts.append(plain)
            m = _MATRIX.match(plain)
            if m:
                alts.append(f"{m.group('q')} [{m.group('item')}]")
        if ids is not None and ids[pos]:
            alts.append(ids[pos])
    return removed


def _surveymonkey(table: Table) -> int:
    """Second header row: ``Response`` or the option / item of each column; returns rows removed."""
    if not len(table.frame):
        return 0
    sub = [c.strip() for c in _cells(table.frame.iloc[0])]
    question = ""
    for pos, head in enumerate(table.header):
        if head.strip():
            question = head.strip()
        part = sub[pos]
        alts = table.alternatives.setdefault(pos, [])
        if not question or not part:
            continue
        if normalize_text(part) in ("response", "risposta"):
            alts.append(question)
        elif normalize_text(part) in ("open-ended response", "risposta aperta"):
            alts.append(question)
        else:  # one column per option / item: "question [option]", as Google Forms writes a battery
            table.header[pos] = f"{question} [{part}]"
    return 1


def apply_tool(table: Table) -> tuple[Table, dict[int, str]]:
    """Recognise the tool of ``table``; apply its conventions in place.

    Returns
    -------
    table : Table
        Extra header rows removed, alternatives added, ``tool`` and a note set.
    kinds : dict
        Column position -> kind of the tool's bookkeeping columns (``timestamp``, ``personal`` …).
    """
    tool = recognise(table.header)
    if tool is None:
        return table, {}
    table.tool = tool.name
    removed = 0
    if tool.name == "Qualtrics":
        removed = _qualtrics(table)
    elif tool.name == "SurveyMonkey":
        removed = _surveymonkey(table)
    if removed:
        table.frame = table.frame.iloc[removed:]
    rows = {"Qualtrics": "three header rows (names, question texts, ImportId)" if removed == 2 else
            f"{removed + 1} header rows", "SurveyMonkey": "two header rows (question, then option or Response)"}
    shape = f" with {rows[tool.name]}" if tool.name in rows else ""
    table.notes.append(f"this looks like a {tool.name} export{shape}: read with its conventions")
    kinds: dict[int, str] = {}
    pattern = re.compile(tool.ignore_pattern) if tool.ignore_pattern else None
    for pos, head in enumerate(table.header):
        key = normalize_text(head)
        if key in tool.fields:
            kinds[pos] = tool.fields[key]
        elif pattern is not None and pattern.match(head.strip()):
            kinds[pos] = "ignore"
        elif tool.name == "Qualtrics" and any(a.rstrip().endswith("- Text") for a in table.alternatives.get(pos, [])):
            kinds[pos] = "personal"  # typed text under "other": free text, dropped
        elif tool.name == "SurveyMonkey" and any(
            normalize_text(a).endswith(("(please specify)]", "(specificare)]")) for a in table.alternatives.get(pos, [])
        ):
            kinds[pos] = "personal"
    return table, kinds
