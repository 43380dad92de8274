"""The published-table schema the auditor reads: a CSV and its sidecar ``NAME.cells.json``.

Where it sits: the notebook kit's ``save_table`` writes ``tables/NAME.csv`` and, next to it,
``tables/NAME.cells.json`` (built by :mod:`analysis.disclosure.describe` from the tidy table);
:mod:`analysis.disclosure.auditor` reads both. The sidecar says, number by number, which
published figure is what function of the respondent-level cross-classification, so that the
auditor never guesses from column headers. Any folder of tables with sidecars can be audited.

Sidecar (JSON)::

    {"schema": "softskills.disclosure/1",
     "table": "q2_relevance",                     # NAME (the CSV is NAME.csv)
     "min_cell": 5,
     "variables": {"q2_relevance": ["1", "2", "3", "4", "5", "dk", "na"]},
     "facts": [ ... ]}

``variables`` lists every category of every variable the table touches, including ``"dk"``
(don't know) and ``"na"`` (no answer): the cross-classification has one cell per combination.
A *cell set* is ``{"year": 2020, "where": {"q2_relevance": ["1"], "service": ["inhouse"]}}``:
the respondents of that year in those categories (variables not named are free). A *reference*
``{"row": 3, "column": "n"}`` points at one CSV field (row 0 is the first line after the header);
``"decimals": k`` says the figure is rounded to k decimals, otherwise it is read as written
(``%.6g``: six significant digits). Facts:

``count``   ``cells``, ``ref`` (the count), ``display`` (its shown text: a number, ``"<5"``, ``"x"``).
            A count whose display is ``<m`` or ``x`` is a *hidden cell*: the audit target.
``zero``    ``cells`` that are empty by construction (not published, known to an attacker).
``share``   ``num``, ``den`` cell sets, ``ref``, ``scale`` (100 for a percentage): ref = scale·num/den.
``mean``    ``cells`` (the base), ``variable``, ``scores`` {category: score}, ``ref``.
``sd``      as ``mean`` plus ``mean_ref``; the sample SD (divisor n - 1).
``chi2``    ``year``, ``where`` (the sub-population), ``rows``, ``cols`` (variables), ``row_cats``,
            ``col_cats``, ``ref``, ``statistic`` ("pearson" or "cramers_v"): the Pearson X2 of the
            rows x cols table (empty rows and columns dropped) or Cramér's V.
``chi2_band`` as ``chi2`` with ``lower``/``upper`` bounds on X2 instead of a value (a p-value band).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "SCHEMA",
    "SIDECAR_SUFFIX",
    "Cells",
    "Fact",
    "Published",
    "SchemaError",
    "cells",
    "folder_year",
    "ref",
    "read_folder",
    "write_sidecar",
]

SCHEMA = "softskills.disclosure/1"
SIDECAR_SUFFIX = ".cells.json"
#: Significant digits of the CSV tables (``analysis.reporting.outputs.FLOAT_FORMAT``).
SIGNIFICANT = 6

try:  # a user's mistake in a sidecar is a SurveyError (no traceback in the CLI)
    from analysis.errors import SurveyError as _Base
except ImportError:  # pragma: no cover
    _Base = ValueError


class SchemaError(_Base):
    """A sidecar that does not follow the schema; the message names file, fact and field."""


@dataclass(frozen=True)
class Cells:
    """Respondents of one year in given categories (a sum of cells of the cross-classification)."""

    year: int
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, year: int, where: Mapping[str, Any] | None = None) -> Cells:
        items = []
        for var, cats in sorted((where or {}).items()):
            if isinstance(cats, str | int | float | bool):
                cats = [cats]
            items.append((str(var), tuple(str(c) for c in cats)))
        return cls(int(year), tuple(items))

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.where)

    def label(self) -> str:
        inner = ", ".join(f"{v}={'|'.join(c)}" for v, c in self.where)
        return f"{self.year}" + (f" [{inner}]" if inner else " [all respondents]")


@dataclass
class Fact:
    """One published figure, resolved: what it is (kind, cells) and what it says (value ± delta)."""

    kind: str
    table: str
    source: str
    cells: Cells | None = None
    value: float = math.nan
    delta: float = 0.0
    symbol: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden(self) -> bool:
        return self.kind == "count" and (self.symbol == "x" or self.symbol.startswith("<"))


@dataclass
class Published:
    """Everything a folder publishes, as facts over the cross-classification."""

    facts: list[Fact]
    variables: dict[tuple[int, str], list[str]]
    min_cell: int
    tables: list[str]
    unmapped: list[str]


def cells(year: int, **where: Any) -> dict[str, Any]:
    """A cell set for a sidecar: ``cells(2020, q2_relevance="1", service="inhouse")``."""
    return {"year": int(year), "where": {k: [str(x) for x in (v if isinstance(v, list | tuple) else [v])]
                                         for k, v in where.items()}}


def ref(row: int, column: str, decimals: int | None = None) -> dict[str, Any]:
    """A reference to one CSV field."""
    out: dict[str, Any] = {"row": int(row), "column": str(column)}
    if decimals is not None:
        out["decimals"] = int(decimals)
    return out


def write_sidecar(csv_path: str | Path, sidecar: Mapping[str, Any]) -> Path:
    """Write ``NAME.cells.json`` next to ``NAME.csv`` (sorted keys, stable bytes)."""
    csv_path = Path(csv_path)
    out = csv_path.with_name(csv_path.stem + SIDECAR_SUFFIX)
    data = {"schema": SCHEMA, "table": csv_path.stem, **dict(sidecar)}
    out.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                   encoding="utf-8")
    return out


def _delta(text: str, decimals: int | None) -> float:
    """Half a unit of the last digit the published figure carries."""
    if decimals is not None:
        return 0.5 * 10.0 ** (-decimals)
    v = float(text)
    if v == 0 or ("." not in text and "e" not in text.lower() and abs(v) < 10**SIGNIFICANT):
        # an integer written in full is exact when it has no more digits than %.6g keeps
        return 0.0 if v == int(v) and abs(v) < 10**SIGNIFICANT else 0.5
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(v))) - (SIGNIFICANT - 1))


def _field(frame: pd.DataFrame, r: Mapping[str, Any], where: str) -> str:
    try:
        row, col = int(r["row"]), str(r["column"])
    except (KeyError, TypeError, ValueError):
        raise SchemaError(f"{where}: a reference needs 'row' and 'column', got {r!r}") from None
    if col not in frame.columns:
        raise SchemaError(f"{where}: column {col!r} is not in the CSV (columns: {', '.join(frame.columns)})")
    if not 0 <= row < len(frame):
        raise SchemaError(f"{where}: row {row} is outside the CSV ({len(frame)} rows)")
    return str(frame.iat[row, frame.columns.get_loc(col)]).strip()


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_one(sidecar: Path) -> tuple[list[Fact], dict[tuple[int, str], list[str]], int]:
    where0 = sidecar.name
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{where0}: not a readable JSON sidecar ({exc})") from None
    if meta.get("schema") != SCHEMA:
        raise SchemaError(f"{where0}: schema {meta.get('schema')!r}, expected {SCHEMA!r}")
    table = str(meta.get("table", sidecar.name[: -len(SIDECAR_SUFFIX)]))
    csv = sidecar.with_name(table + ".csv")
    try:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except OSError:
        raise SchemaError(f"{where0}: its table {csv.name} is missing") from None
    variables = {str(k): [str(c) for c in v] for k, v in (meta.get("variables") or {}).items()}
    facts: list[Fact] = []
    years: set[int] = set()

    def value_of(r: Mapping[str, Any] | None, where: str) -> tuple[str, float | None, float]:
        if r is None:
            return "", None, 0.0
        text = _field(frame, r, where)
        v = _number(text)
        return text, v, (_delta(text, r.get("decimals")) if v is not None else 0.0)

    for i, raw in enumerate(meta.get("facts") or []):
        kind = raw.get("kind")
        where = f"{where0}, fact {i} ({kind})"
        r = raw.get("ref")
        src = f"{table}.csv" + (f" row {int(r['row']) + 1}, {r['column']}" if r else "")
        try:
            if kind in ("count", "zero"):
                c, *more = _cellsets(raw["cells"])
                years.update(x.year for x in (c, *more))
                ex = {"more": more} if more else {}
                if kind == "zero":
                    facts.append(Fact("zero", table, f"{table} (empty by construction)", c, 0.0,
                                      extra=ex))
                    continue
                text, v, d = value_of(r, where)
                shown = _field(frame, raw["display"], where) if raw.get("display") else text
                if shown.startswith("<") or shown == "x":
                    facts.append(Fact("count", table, src, c, math.nan, 0.0, shown, extra=ex))
                elif v is not None:
                    facts.append(Fact("count", table, f"{src} = {text}", c, v, d, extra=ex))
                elif _number(shown) is not None:
                    facts.append(Fact("count", table, f"{src} = {shown}", c, float(shown), 0.0,
                                      extra=ex))
            elif kind == "share":
                text, v, d = value_of(r, where)
                if v is None:
                    continue
                num, *more = _cellsets(raw["num"])
                den = _cellsets(raw["den"])
                years.update(x.year for x in (num, *more, *den))
                facts.append(Fact("share", table, f"{src} = {text}", num, v, d,
                                  extra={"more": more, "den": den,
                                         "scale": float(raw.get("scale", 100))}))
            elif kind in ("mean", "sd"):
                text, v, d = value_of(r, where)
                if v is None:
                    continue
                c = Cells.of(raw["cells"]["year"], raw["cells"].get("where"))
                years.add(c.year)
                extra = {"variable": str(raw["variable"]),
                         "scores": {str(k): float(s) for k, s in raw["scores"].items()}}
                if kind == "sd":
                    mtext, mv, md = value_of(raw.get("mean_ref"), where)
                    if mv is None:
                        continue
                    extra.update(mean=mv, mean_delta=md)
                facts.append(Fact(kind, table, f"{src} = {text}", c, v, d, extra=extra))
            elif kind in ("chi2", "chi2_band", "chi2_p"):
                c = Cells.of(raw["year"], raw.get("where"))
                years.add(c.year)
                extra = {"rows": str(raw["rows"]), "cols": str(raw["cols"]),
                         # a category of the published table: one answer or a merged group
                         "row_cats": [_group(x) for x in raw["row_cats"]],
                         "col_cats": [_group(x) for x in raw["col_cats"]],
                         "statistic": raw.get("statistic", "pearson")}
                if kind == "chi2":
                    text, v, d = value_of(r, where)
                    if v is None:
                        continue
                    facts.append(Fact("chi2", table, f"{src} = {text}", c, v, d, extra=extra))
                elif kind == "chi2_p":  # an asymptotic p-value: X2 = chi2.isf(p, dof)
                    text, v, d = value_of(r, where)
                    _, dof, _ = value_of(raw.get("dof_ref"), where)
                    if v is None or dof is None or dof < 1:
                        continue
                    from scipy.stats import chi2 as _chi2

                    lo = float(_chi2.isf(min(v + d, 1.0), dof)) if v + d < 1 else 0.0
                    hi = float(_chi2.isf(v - d, dof)) if v - d > 0 else math.inf
                    extra.update(lower=lo, upper=hi, statistic="pearson")
                    facts.append(Fact("chi2_band", table, f"{src} = {text}", c, extra=extra))
                else:
                    lo, hi = float(raw.get("lower", 0.0)), float(raw.get("upper", math.inf))
                    extra.update(lower=lo, upper=hi)
                    facts.append(Fact("chi2_band", table, f"{src} ({raw.get('text', '')})", c,
                                      extra=extra))
            else:
                raise SchemaError(f"{where}: unknown kind {kind!r}")
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"{where}: missing or malformed field {exc}") from None
    var_years = {(y, v): cats for y in years for v, cats in variables.items()}
    return facts, var_years, int(meta.get("min_cell", 0) or 0)


def _group(x: Any) -> tuple[str, ...]:
    return tuple(str(c) for c in x) if isinstance(x, list | tuple) else (str(x),)


def folder_year(folder: str | Path) -> int | None:
    """The one survey year the sidecars of ``folder`` state (None if none or several)."""
    years = set()
    for sidecar in Path(folder).glob("*" + SIDECAR_SUFFIX):
        try:
            y = json.loads(sidecar.read_text(encoding="utf-8")).get("year")
        except (OSError, json.JSONDecodeError):
            continue
        if y is not None:
            years.add(int(y))
    return years.pop() if len(years) == 1 else None


def _cellsets(raw: Any) -> list[Cells]:
    items = raw if isinstance(raw, list) else [raw]
    return [Cells.of(x["year"], x.get("where")) for x in items]


def read_folder(*folders: str | Path) -> Published:
    """Read every ``NAME.cells.json`` (and its CSV) in the given folders.

    A CSV without a sidecar is listed in ``unmapped`` (the auditor cannot say what its numbers
    are: a report's build refuses to publish such a table, see ``docs/disclosure.md``).
    """
    facts: list[Fact] = []
    variables: dict[tuple[int, str], list[str]] = {}
    min_cell = 0
    tables, unmapped = [], []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise SchemaError(f"{folder}: not a folder of tables")
        for sidecar in sorted(folder.glob("*" + SIDECAR_SUFFIX)):
            f, v, m = _read_one(sidecar)
            facts += f
            for key, cats in v.items():
                have = variables.setdefault(key, [])
                have += [c for c in cats if c not in have]
            min_cell = max(min_cell, m)
            tables.append(str(sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)] + ".csv")))
        for csv in sorted(folder.glob("*.csv")):
            if not csv.with_name(csv.stem + SIDECAR_SUFFIX).exists():
                unmapped.append(str(csv))
    return Published(facts, variables, min_cell, tables, unmapped)
