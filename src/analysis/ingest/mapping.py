"""Step *map*: which codebook field each column of an export holds.

A column is matched, in this order, by

1. an explicit **mapping file** (``--map mapping.yaml``, or ``mapping=`` of
   :func:`analysis.prepare.prepare`): YAML from the file's column names (or a tool's codes:
   a Qualtrics ``QID7_1``, a LimeSurvey ``Q1[SQ003]``) to variables, options and answer codes;
2. the survey tool's own bookkeeping columns (:mod:`analysis.ingest.tools`);
3. its **header text** (Italian or English question text, ``question [option]``, a prepared
   column name, the codebook's export headers);
4. its other names: an SPSS **variable label**, a Qualtrics question-text row, a SurveyMonkey
   second header row.

Unmatched columns are left out with a warning; when a required question is missing and an
unmatched header nearly matches it, both are shown in full with the part that differs.

A mapping file::

    columns:
      submitdate: timestamp              # or start_time, respondent_id
      ipaddr: personal                   # dropped at the door
      lastpage: ignore                   # left out without a warning
      D1: role                           # a variable
      "Q1[SQ003]": {variable: q1_skills, option: problem_solving}   # one option, ticked = Y / 1 / the label
      "Q7[SQ001]": {variable: q7_skill_relevance, item: empathy}    # a battery item
      G2Q1: {variable: q2_relevance, values: {A1: 1, A2: 2, A3: 3, A4: 4, A5: 5, A9: dont_know}}

:func:`draft_mapping` writes such a file for any export (``softskills map FILE --year Y``):
every column matched by header or label filled in, every other column listed as ``null`` to fill.

Examples
--------
>>> from analysis.codebook import load_codebook
>>> m = parse_mapping({"columns": {"D1": "role", "Q1[SQ001]": {"variable": "q1_skills", "option": "empathy"}}},
...                   load_codebook(), 2020)
>>> m.entries["q1[sq001]"].field.key
'q1_skills__empathy'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.codebook import Codebook
from analysis.errors import Problem, SurveyUsageError
from analysis.ingest.fields import META_KINDS, Field, header_index, meta_field, required_fields
from analysis.ingest.read import Table
from analysis.ingest.text import normalize_text

__all__ = [
    "ColumnMapping",
    "MappingEntry",
    "Mapped",
    "load_mapping",
    "parse_mapping",
    "map_columns",
    "draft_mapping",
    "write_draft_mapping",
]

_KINDS = (*META_KINDS, "personal", "ignore")
#: Cell values that mean "ticked" in a column per option (besides the option's own label).
TICKED = frozenset({"1", "y", "yes", "sì", "si", "x", "true", "vero", "selected", "checked"})
#: Cell values that mean "not ticked".
UNTICKED = frozenset({"0", "n", "no", "false", "falso", "not selected", "unchecked"})


@dataclass(frozen=True)
class MappingEntry:
    """One column of a mapping file: its field and, optionally, file value -> codebook label."""

    field: Field
    values: dict[str, str] | None = None


@dataclass
class ColumnMapping:
    """A parsed mapping file: normalised column name -> :class:`MappingEntry`."""

    entries: dict[str, MappingEntry]
    source: str = "mapping"
    used: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # normalised -> as written in the file


def _usage(source: str, key: str, message: str) -> SurveyUsageError:
    return SurveyUsageError(f"{source}, column {key!r}: {message}")


def parse_mapping(raw: Any, cb: Codebook, year: int, source: str = "mapping") -> ColumnMapping:
    """Check and parse a mapping (the YAML's content) against the codebook.

    Raises
    ------
    SurveyUsageError
        Naming the mapping file and the column for every entry that does not fit the codebook.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise SurveyUsageError(f"{source}: a mapping file needs a 'columns:' section (column name: variable)")
    entries: dict[str, MappingEntry] = {}
    in_version = set(cb.version_for(year).variables)
    for key, spec in raw["columns"].items():
        key = str(key)
        if spec is None:
            continue  # listed by `softskills map`, not filled in: left out with a warning
        if isinstance(spec, str):
            spec = {"variable": spec}
        if not isinstance(spec, dict) or "variable" not in spec:
            raise _usage(source, key, "expected a variable name or {variable: …, option/item/values: …}")
        name = str(spec["variable"])
        if name in _KINDS:
            entries[normalize_text(key)] = MappingEntry(meta_field(name))
            continue
        if name not in cb:
            raise _usage(
                source, key, f"{name!r} is no variable of the codebook (nor one of {', '.join(_KINDS)})"
            )
        var = cb[name]
        inv = name in in_version
        if "option" in spec:
            codes = {str(o.code): o.code for o in var.options}
            if var.type != "multiple_choice" or str(spec["option"]) not in codes:
                raise _usage(source, key, f"{spec['option']!r} is no option of multiple-choice question {name!r}")
            code = codes[str(spec["option"])]
            fld = Field(var.column_for(code), "multi_option", name, code, inv)
        elif "item" in spec:
            codes = {str(i.code): i.code for i in var.items}
            if var.type != "battery" or str(spec["item"]) not in codes:
                raise _usage(source, key, f"{spec['item']!r} is no item of battery {name!r}")
            code = codes[str(spec["item"])]
            fld = Field(var.column_for(code), "item", name, code, inv)
        elif var.type == "battery":
            raise _usage(source, key, f"{name!r} is a battery: give the item too ({{variable: {name}, item: …}})")
        else:
            kind = {"multiple_choice": "multi", "free_text": "free_text"}.get(var.type, "answer")
            fld = Field(name, kind, name, None, inv)
        values = None
        if spec.get("values") is not None:
            if not isinstance(spec["values"], dict):
                raise _usage(source, key, "'values' must map the file's codes to the codebook's codes")
            by_code = {str(o.code): o.it for o in list(var.options) + ([var.other] if var.other else [])}
            values = {}
            for file_value, target in spec["values"].items():
                t = str(target)
                if t in ("dont_know", "dk") and var.dont_know:
                    values[normalize_text(file_value)] = var.dont_know[0].it
                elif t in by_code:
                    values[normalize_text(file_value)] = by_code[t]
                else:
                    raise _usage(
                        source, key,
                        f"value {file_value!r} -> {target!r}: {target!r} is no code of {name!r} "
                        f"(codes: {', '.join(by_code)}{', dont_know' if var.dont_know else ''})",
                    )
        entries[normalize_text(key)] = MappingEntry(fld, values)
    names = {normalize_text(str(k)): str(k) for k in raw["columns"]}
    return ColumnMapping(entries, source, names=names)


def load_mapping(path: str | Path, cb: Codebook, year: int) -> ColumnMapping:
    """Read and check a mapping YAML file (see the module docstring).

    Raises
    ------
    SurveyUsageError
        Missing file, invalid YAML, or an entry that does not fit the codebook.
    """
    path = Path(path)
    if not path.is_file():
        raise SurveyUsageError(f"mapping file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SurveyUsageError(f"{path.name} is not a valid YAML mapping file: {exc}") from None
    return parse_mapping(raw, cb, year, path.name)


@dataclass
class Mapped:
    """Result of :func:`map_columns`.

    Attributes
    ----------
    fields : dict
        Column position -> :class:`Field` for every column used (answers and export fields).
    personal : list of int
        Positions of personal columns (dropped by :mod:`analysis.ingest.scrub`).
    free_text : list of int
        Positions of free-text answers (personal data; kept only on request).
    headers : dict
        Field key -> header as written (for messages).
    recode : dict
        Field key -> {normalised file value -> codebook label} from a mapping file.
    matched_by : dict
        Column position -> how it was matched (``mapping``, ``tool``, ``header``, ``label``).
    problems : list of Problem
    """

    fields: dict[int, Field] = field(default_factory=dict)
    personal: list[int] = field(default_factory=list)
    free_text: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[str, str]] = field(default_factory=dict)
    matched_by: dict[int, str] = field(default_factory=dict)
    unmatched: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _match(table: Table, pos: int, kinds: dict[int, str], index: dict[str, Field], mapping: ColumnMapping | None):
    names = [table.header[pos], *table.alternatives.get(pos, [])]
    if mapping is not None:
        for name in names:
            entry = mapping.entries.get(normalize_text(name))
            if entry is not None:
                mapping.used.add(normalize_text(name))
                return entry.field, "mapping", entry.values
    if pos in kinds:
        return meta_field(kinds[pos]), "tool", None
    for i, name in enumerate(names):
        fld = index.get(normalize_text(name))
        if fld is not None:
            return fld, ("header" if i == 0 else "label"), None
    return None, None, None


def _diff(expected: str, found: str) -> str:
    """Both texts around their first difference, the differing parts in «»."""
    sm = difflib.SequenceMatcher(None, expected, found, autojunk=False)
    ops = [op for op in sm.get_opcodes() if op[0] != "equal"]
    if not ops:
        return "they differ only in case, spaces or quotes"
    _, i1, i2, j1, j2 = ops[0]
    ctx = 25
    a = expected[max(0, i1 - ctx):i1] + "«" + expected[i1:i2] + "»" + expected[i2:i2 + ctx]
    b = found[max(0, j1 - ctx):j1] + "«" + found[j1:j2] + "»" + found[j2:j2 + ctx]
    more = f" (and {len(ops) - 1} more difference(s))" if len(ops) > 1 else ""
    return f'codebook "…{a}…" vs file "…{b}…"{more}'


def map_columns(
    table: Table, kinds: dict[int, str], cb: Codebook, year: int, file: str, mapping: ColumnMapping | None = None
) -> Mapped:
    """Match every column of ``table`` to a field (see the module docstring)."""
    version = cb.version_for(year)
    index = header_index(cb, year)
    out = Mapped()
    if mapping is not None:
        mapping.used.clear()
    taken: dict[str, int] = {}
    unknown: list[int] = []
    for pos, head in enumerate(table.header):
        fld, how, values = _match(table, pos, kinds, index, mapping)
        if fld is None:
            if not normalize_text(head) and table.frame[pos].isna().all():
                continue  # an empty trailing column
            unknown.append(pos)
            continue
        out.matched_by[pos] = how
        if fld.kind == "ignore":
            continue
        if fld.kind == "personal":
            out.personal.append(pos)
            continue
        if fld.kind == "free_text":
            out.free_text.append(pos)
            out.fields[pos] = fld
            continue
        if not fld.in_version:
            out.problems.append(
                Problem(
                    "warning", file, 1, head, None, None,
                    f"question {fld.variable!r} is not part of questionnaire version {version.name} "
                    f"(used in {year}): left out",
                )
            )
            continue
        if fld.key in taken:
            first = taken[fld.key]
            out.problems.append(
                Problem(
                    "error", file, 1, head, None, None,
                    f'duplicate column: it means the same as column "{table.header[first]}" (column {first + 1})',
                )
            )
            continue
        taken[fld.key] = pos
        out.fields[pos] = fld
        out.headers[fld.key] = head
        if values:
            out.recode[fld.key] = values
    out.unmatched = unknown
    if mapping is not None:
        for key in mapping.entries:
            if key not in mapping.used:
                out.problems.append(
                    Problem(
                        "warning", file, None, None, None, "a column of the file",
                        f"{mapping.source}: entry {mapping.names.get(key, key)!r} matches no column of {file} "
                        "(a typo, or a mapping made for another file?)",
                    )
                )
    answers = [f for f in out.fields.values() if f.kind not in ("free_text",)]
    if not answers and not out.personal:
        return out  # the caller says "not a survey export"
    missing = []
    for key, shown, alternatives in required_fields(cb, year):
        if key in taken or any(a in taken for a in alternatives):
            continue
        missing.append((key, shown))
    twins = _near_twins(missing, unknown, table)
    for pos in unknown:
        head = table.header[pos]
        twin = next((k for k, (p, _) in twins.items() if p == pos), None)
        extra = f" — nearly the question {twin!r} (see the error on that question)" if twin else ""
        hint = " (a mapping file can say what it is: softskills map FILE --year YEAR)" if table.tool else ""
        out.problems.append(
            Problem("warning", file, 1, head, None, "a question of the codebook",
                    f"unknown column, not in the codebook: left out{extra}{hint}")
        )
    for key, shown in missing:
        msg = f"required column missing (question {key!r} of questionnaire version {version.name})"
        if key in twins:
            pos, _ = twins[key]
            msg += (
                f'; column {pos + 1} of the file, "{table.header[pos]}", nearly matches the question '
                f'"{shown}": {_diff(shown, table.header[pos])}'
            )
        out.problems.append(Problem("error", file, 1, shown, None, "a column with this question", msg))
    return out


def _near_twins(missing, unknown: list[int], table: Table) -> dict[str, tuple[int, float]]:
    """Required question key -> (position of an unmatched column that nearly matches it, ratio)."""
    twins: dict[str, tuple[int, float]] = {}
    used: set[int] = set()
    for key, shown in missing:
        target = normalize_text(shown)
        best: tuple[float, int] | None = None
        for pos in unknown:
            if pos in used:
                continue
            for name in [table.header[pos], *table.alternatives.get(pos, [])]:
                ratio = difflib.SequenceMatcher(None, target, normalize_text(name), autojunk=False).ratio()
                if ratio >= 0.8 and (best is None or ratio > best[0]):
                    best = (ratio, pos)
        if best is not None:
            twins[key] = (best[1], best[0])
            used.add(best[1])
    return twins


def draft_mapping(table: Table, mapped: Mapped, cb: Codebook, year: int, file: str) -> str:
    """A starting mapping file (YAML text) for ``table``: matched columns filled, the rest listed.

    Every column appears once, keyed by its header as written; a matched column carries its
    field, an unmatched one ``null`` and a comment listing what it could be.
    """
    lines = [
        f"# softskills mapping for {file} (survey year {year}, questionnaire version {cb.version_for(year).name})",
        "# Each column of the file -> what it holds: a variable of the codebook, or timestamp, start_time,",
        "# respondent_id, personal (dropped), ignore. Multiple-choice options: {variable: q1_skills, option: CODE};",
        "# battery items: {variable: q7_skill_relevance, item: CODE}; the file's own answer codes:",
        "# {variable: q2_relevance, values: {A1: 1, A2: 2, ...}} (codes of the codebook, or dont_know).",
        "# Fill in every null, then: softskills validate FILE --year YEAR --map THIS_FILE",
    ]
    if table.tool:
        lines.append(f"# Recognised as a {table.tool} export.")
    lines.append("columns:")
    by_pos = dict(mapped.fields)
    unmatched = set(mapped.unmatched)
    for pos, head in enumerate(table.header):
        key = json_key(head)
        how = mapped.matched_by.get(pos)
        if pos in by_pos:
            fld = by_pos[pos]
            value = _spec(fld)
        elif pos in mapped.personal:
            value = "personal"
        elif how is not None:
            value = "ignore"
        elif pos in unmatched:
            alts = [a for a in table.alternatives.get(pos, []) if a != head]
            note = f"  # unmatched{': ' + json_key(alts[0]) if alts else ''}"
            lines.append(f"  {key}: null{note}")
            continue
        else:
            continue
        comment = f"  # by {how}" if how and how != "mapping" else ""
        lines.append(f"  {key}: {value}{comment}")
    taken = {f.key for f in mapped.fields.values()}
    todo = [var for var in cb.variables_for(year) if not any(c in taken for c in [var.name, *var.columns])]
    if todo:
        lines.append("# Questions of the codebook no column matches yet (name: text — codes):")
        for var in todo:
            if var.type == "battery":
                codes = "items " + ", ".join(str(i.code) for i in var.items) + "; values " + ", ".join(
                    str(c) for c in var.codes)
            else:
                codes = ", ".join(f"{o.code} = {o.it}" for o in var.options)
                if var.dont_know:
                    codes += ", dont_know = " + var.dont_know[0].it
            lines.append(f"#   {var.name} ({var.type}): {var.text_it} — {codes}")
    lines.append("unmatched:")
    names = [table.header[p] for p in mapped.unmatched]
    lines += [f"  - {json_key(n)}" for n in names] or ["  []"]
    if not names:
        lines[-2] = "unmatched: []"
        lines.pop()
    return "\n".join(lines) + "\n"


def _spec(fld: Field) -> str:
    if fld.kind == "multi_option":
        return f"{{variable: {fld.variable}, option: {fld.code}}}"
    if fld.kind == "item":
        return f"{{variable: {fld.variable}, item: {fld.code}}}"
    if fld.variable:
        return fld.variable
    return fld.kind


def json_key(text: str) -> str:
    """A YAML scalar for ``text`` (double-quoted JSON string: always valid YAML)."""
    import json

    return json.dumps(" ".join(str(text).split()), ensure_ascii=False)


def write_draft_mapping(
    path: str | Path, year: int, *, out: str | Path | None = None, sheet: str | None = None, force: bool = False,
    codebook: Codebook | None = None,
) -> tuple[Path, int, list[str]]:
    """Write the starting mapping of an export (``softskills map``); never overwrite by accident.

    Returns
    -------
    out : Path
        The mapping file written (default ``<export>.mapping.yaml`` next to the export).
    n_matched : int
        Columns matched by header, label or tool.
    unmatched : list of str
        Headers of the columns left to fill in.

    Raises
    ------
    SurveyUsageError
        The mapping file exists (without ``force``), or the export cannot be read.
    """
    from analysis.codebook import load_codebook
    from analysis.ingest.pipeline import read_table_of

    cb = codebook if codebook is not None else load_codebook()
    path = Path(path)
    target = Path(out) if out is not None else path.with_name(path.stem + ".mapping.yaml")
    if target.resolve() == path.resolve():
        raise SurveyUsageError(f"the mapping file would overwrite the export itself: {target}")
    if target.exists() and not force:
        raise SurveyUsageError(f"{target} already exists: edit it, or use --force to write it again")
    table, kinds = read_table_of(path, year, codebook=cb, sheet=sheet)
    mapped = map_columns(table, kinds, cb, year, path.name)
    text = draft_mapping(table, mapped, cb, year, path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target, len(mapped.matched_by), [table.header[p] for p in mapped.unmatched]
