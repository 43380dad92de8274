"""Step *code*: answers as written (labels, codes, ticks) -> the codebook's categories.

Conventions of the prepared columns are those of :mod:`analysis.codebook`: a Categorical of
codes per question (answer order from the codebook), a ``<name>_dk`` flag for don't-know, a
nullable boolean per multiple-choice option, one Categorical per battery item.

- A label matches in Italian or English, after :func:`~analysis.ingest.text.normalize_text`.
- A cell holding the option's *code* in a column of labels (``4`` among ``Molto``) is accepted;
  one warning per column says how many cells and which codes.
- A multiple-choice cell is split on ``,`` / ``;`` matching labels longest first (a label may
  itself contain a comma); a column per option is ticked by ``1`` / ``Y`` / ``Yes`` / ``X`` /
  the option's label and unticked by ``0`` / ``N`` / blank (a row with no cell in any option
  column did not answer the question).

Every cell that cannot be coded is one error with its row, column and value. Vectorised: each
column's distinct values are matched once, then mapped.

Examples
--------
>>> from analysis.codebook import load_codebook
>>> var = load_codebook()["q1_skills"]
>>> split_multiple("Empatia, Flessibilità, capacità di adattamento;Pazienza", var)
(['empathy', 'patience', 'flexibility'], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Variable
from analysis.errors import Problem
from analysis.ingest.text import (
    NUMBER,
    SEPARATOR,
    clean_text,
    distinct,
    map_unique,
    normalize_text,
    rows_with,
)

__all__ = ["CodedAnswers", "code_answers", "split_multiple", "labels_of"]

TICKED = frozenset({"1", "y", "yes", "sì", "si", "x", "true", "vero", "selected", "checked", "selezionato"})
UNTICKED = frozenset({"0", "n", "no", "false", "falso", "not selected", "unchecked", "non selezionato"})


@dataclass(frozen=True)
class _Labels:
    codes: dict[str, str | int]  # normalised label -> option code (incl. other)
    code_keys: frozenset[str]  # normalised keys that are codes, not labels
    dont_know: frozenset[str]  # normalised don't-know labels
    longest_first: tuple[tuple[str, str | int], ...]
    expected: str  # labels to show in messages


_LABEL_CACHE: dict[int, tuple[Variable, _Labels]] = {}


def labels_of(var: Variable) -> _Labels:
    """The label lookup of a variable (cached per variable object)."""
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
        for label in (opt.it, opt.en):
            codes.setdefault(normalize_text(label), opt.code)
    code_keys = set()
    for opt in opts:
        key = normalize_text(str(opt.code))
        if key not in codes:
            codes[key] = opt.code
            code_keys.add(key)
    dk = frozenset(normalize_text(lab) for o in var.dont_know for lab in (o.it, o.en))
    if var.type == "battery" or all(NUMBER.fullmatch(str(o.it)) for o in var.options):
        # numeric scales: only the numbers themselves
        codes = {normalize_text(o.it): o.code for o in var.options}
        code_keys = set()
    longest = tuple(sorted(((k, c) for k, c in codes.items() if k not in code_keys), key=lambda kv: -len(kv[0])))
    shown = [o.it for o in var.options] + [o.it for o in var.dont_know]
    return _Labels(codes, frozenset(code_keys), dk, longest, ", ".join(shown))


def split_multiple(cell: Any, var: Variable) -> tuple[list[str | int], list[str]]:
    """Split a multiple-choice cell into option codes, matching labels longest first.

    Options may be joined with ``", "`` (Google Forms), ``","`` (Qualtrics) or ``";"``
    (Microsoft Forms, with a trailing ``;``); a label that itself contains a comma is still
    recognised because the codebook's labels are tried longest first at each position.

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
    labels = labels_of(var)
    raw = clean_text(cell)
    text = raw.casefold()
    if len(text) != len(raw):  # case folding changed lengths: fall back to the folded text
        raw = text
    found: set[str | int] = set()
    unknown: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        sep = SEPARATOR.match(text, pos)
        if sep and sep.end() > pos:
            pos = sep.end()
            continue
        for label, code in labels.longest_first:
            end = pos + len(label)
            if text.startswith(label, pos) and (end == n or SEPARATOR.match(text, end)):
                found.add(code)
                pos = end
                break
        else:
            nxt = SEPARATOR.search(text, pos)
            end = nxt.start() if nxt else n
            unknown.append(raw[pos:end].strip())
            pos = end
    order = [o.code for o in var.options]
    return [c for c in order if c in found], unknown


@dataclass
class CodedAnswers:
    """Answers coded per the codebook conventions, and every cell that could not be coded.

    Attributes
    ----------
    data : DataFrame
        Index ``row``; columns as documented in :mod:`analysis.codebook` (Categoricals of
        codes, ``<name>_dk`` flags, nullable booleans per multiple-choice option, battery items).
    problems : list of Problem
        One error per cell holding an unknown label or option; one warning per column holding codes.
    """

    data: pd.DataFrame
    problems: list[Problem]


def _cell_problem(file, row, header, value, expected, message) -> Problem:
    return Problem("error", file, int(row), header, str(value), expected, message)


def _code_single(col: pd.Series, var: Variable, file: str, header: str, problems: list[Problem]):
    labels = labels_of(var)
    mapping: dict[Any, Any] = {}
    dk_values: set[Any] = set()
    as_code: list[Any] = []
    for u in distinct(col):
        key = normalize_text(u)
        if key in labels.codes:
            mapping[u] = labels.codes[key]
            if key in labels.code_keys:
                as_code.append(u)
        elif key in labels.dont_know:
            dk_values.add(u)
        elif key == "":
            continue
        else:
            for row in rows_with(col, u):
                problems.append(
                    _cell_problem(file, row, header, u, labels.expected, f'"{u}" is not one of: {labels.expected}')
                )
    if as_code:
        n = int(col.isin(as_code).sum())
        label = {o.code: o.it for o in var.options}
        shown = sorted({mapping[u] for u in as_code}, key=lambda c: var.codes.index(c) if c in var.codes else 0)
        listed = ", ".join(f"{c} = {label.get(c, c)}" for c in shown[:6]) + (" …" if len(shown) > 6 else "")
        problems.append(
            Problem(
                "warning", file, None, header, None, labels.expected,
                f"{n} cell(s) given as codes instead of labels, read as the codebook's codes: {listed}",
            )
        )
    codes = map_unique(col, mapping, None)
    values = pd.Categorical(codes.to_numpy(dtype=object), dtype=var.dtype())
    dk = map_unique(col, lambda u: u in dk_values, False).astype(bool)
    return pd.Series(values, index=col.index), dk.astype("boolean")


def _code_multiple(col: pd.Series, var: Variable, file: str, header: str, problems: list[Problem]):
    labels = labels_of(var)
    split: dict[Any, frozenset] = {}
    for u in distinct(col):
        codes, unknown = split_multiple(u, var)
        split[u] = frozenset(codes)
        if unknown:
            pieces = ", ".join(f'"{p}"' for p in unknown)
            for row in rows_with(col, u):
                problems.append(
                    _cell_problem(
                        file, row, header, u, labels.expected,
                        f"{pieces} {'is not an option' if len(unknown) == 1 else 'are not options'}; "
                        f"options: {labels.expected}",
                    )
                )
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    answered = np.array([bool(split[u]) for u in uniques] + [False], dtype=bool)[codes]
    out = {}
    for opt in var.options:
        chosen = np.array([opt.code in split[u] for u in uniques] + [False], dtype=bool)[codes]
        out[var.column_for(opt.code)] = pd.Series(pd.arrays.BooleanArray(chosen, ~answered), index=col.index)
    return out


def _code_options(table: pd.DataFrame, var: Variable, headers: dict[str, str], file: str, problems: list[Problem]):
    """A multiple-choice question given as one column per option (SPSS 0/1, LimeSurvey Y/blank, …)."""
    idx = table.index
    ticks: dict[str, np.ndarray] = {}
    filled = np.zeros(len(idx), dtype=bool)
    for opt in var.options:
        key = var.column_for(opt.code)
        if key not in table:
            continue
        col = table[key]
        own = {normalize_text(opt.it), normalize_text(opt.en), normalize_text(str(opt.code))}
        state: dict[Any, float] = {}
        for u in distinct(col):
            k = normalize_text(u)
            if k in TICKED or k in own:
                state[u] = 1.0
            elif k in UNTICKED or k == "":
                state[u] = 0.0
            else:
                for row in rows_with(col, u):
                    problems.append(
                        _cell_problem(
                            file, row, headers.get(key, key), u, f'1 or 0, Y or blank, or "{opt.it}"',
                            f'"{u}" is not a tick: expected 1 / 0, Y / blank or the option\'s label "{opt.it}"',
                        )
                    )
                state[u] = np.nan
        num = map_unique(col, state, np.nan).to_numpy(dtype=float)
        ticks[key] = num == 1.0
        filled |= col.notna().to_numpy() & ~np.isnan(num) | (num == 1.0)
    out = {}
    for opt in var.options:
        key = var.column_for(opt.code)
        chosen = ticks.get(key, np.zeros(len(idx), dtype=bool))
        out[key] = pd.Series(pd.arrays.BooleanArray(chosen & filled, ~filled), index=idx)
    return out


def code_answers(raw: Any, variables: Sequence[Variable] | None = None) -> CodedAnswers:
    """Code the answers of a :class:`~analysis.ingest.RawExport` per the codebook.

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
    table = raw.table
    idx = table.index
    empty = pd.Series(np.nan, index=idx, dtype=object)
    for var in variables:
        if var.type == "free_text":
            if var.name in table:
                cols[var.name] = table[var.name]
            continue
        if var.type == "battery":
            for item in var.items:
                key = var.column_for(item.code)
                col = table[key] if key in table else empty
                values, _ = _code_single(col, var, raw.file, raw.headers.get(key, key), problems)
                cols[key] = values
            continue
        header = raw.headers.get(var.name, var.text_it)
        if var.type == "multiple_choice":
            if var.name not in table and any(c in table for c in var.columns):
                cols.update(_code_options(table, var, raw.headers, raw.file, problems))
            else:
                col = table[var.name] if var.name in table else empty
                cols.update(_code_multiple(col, var, raw.file, header, problems))
            continue
        col = table[var.name] if var.name in table else empty
        values, dk = _code_single(col, var, raw.file, header, problems)
        cols[var.name] = values
        if var.dont_know_column:
            cols[var.dont_know_column] = dk
    data = pd.DataFrame(cols, index=idx)
    order = {h: i for i, h in enumerate(raw.headers.values())}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column, 0)))
    return CodedAnswers(data=data, problems=problems)
