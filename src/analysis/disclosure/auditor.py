"""The audit that attacks everything a report publishes, as one integer program.

Where it sits: after the notebooks of a report ran, and before the report replaces the
previous one, the build calls :func:`audit` on the reader bundle's ``tables/`` folder (and,
for consistency across years, on the other years' folders). It reads the tables through their
sidecars (:mod:`analysis.disclosure.schema`) and asks, for every hidden cell (shown as ``<5``
or ``x``), which values are compatible with *all* published figures at once.

The unknowns are the counts of the respondent-level cross-classification of the published
variables, one set per survey year: a variable has its answer codes plus ``dk`` and ``na``.
Every published figure is a constraint on them:

* a count, a base, a margin, a McNemar ``b``/``c``: a sum of cells (exact);
* a ``<m`` cell: the sum lies in ``1..m-1``;
* a share ``p`` of a base: ``(p - d) den <= scale num <= (p + d) den`` (``d`` = rounding);
* a mean ``m`` of scores: ``sum (s - m - d) x <= 0 <= sum (s - m + d) x`` over the base;
* an SD ``s`` next to its mean ``m``: ``sum (s_c - m)^2 x`` lies in
  ``[(s-d)^2 (N-1), (s+d)^2 (N-1) + N d_m^2]`` with ``N = sum x`` (linear in x);
* a Pearson X2 or Cramér's V (not linear): every table compatible with the linear constraints
  is enumerated (bounded search) and only those with the published statistic kept; the
  surviving range of each of its cells becomes a constraint.

A hidden cell's interval ``[lo, hi]`` comes from minimising and maximising it (LP with HiGHS,
then the integer program with ``scipy.optimize.milp``). It *passes* when it is not pinned and
``hi - lo`` is at least the required width: ``min(threshold, m - 2)`` for a ``<m`` cell (the
attacker learns nothing the symbol does not already say, up to the threshold) and
``threshold`` for an ``x`` cell; ``threshold`` defaults to the tables' ``min_cell``. An ``x`` cell
pinned to 0 passes: an empty cell discloses nobody.

The cross-classification of a year is one joint table when it has at most ``max_joint_cells``
cells per connected group of variables; otherwise the group is split into its published tables,
linked by equal margins on their common variables (exact when the tables do not form a cycle,
a relaxation otherwise; :class:`AuditResult` says which).

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis.disclosure.schema import cells, ref, write_sidecar
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"code": ["a", "b", "c"], "n": ["", "", "40"], "shown": ["<5", "x", "40"],
...               "base": [47, 47, 47]}).to_csv(d / "t.csv", index=False)
>>> _ = write_sidecar(d / "t.csv", {"min_cell": 5, "variables": {"q": ["a", "b", "c", "na"]},
...     "facts": [{"kind": "count", "cells": cells(2020, q=k), "ref": ref(i, "n"),
...                "display": ref(i, "shown")} for i, k in enumerate("abc")]
...            + [{"kind": "count", "cells": cells(2020, q=["a", "b", "c"]), "ref": ref(0, "base")}]})
>>> r = audit(d, raise_on_failure=False)
>>> r.cells[["cell", "lower", "upper", "ok"]].to_dict("records")   # a + b = 7, a in 1..4
[{'cell': '2020 [q=a]', 'lower': 1.0, 'upper': 4.0, 'ok': True}, {'cell': '2020 [q=b]', 'lower': 3.0, 'upper': 6.0, 'ok': False}]
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from analysis.disclosure.schema import Cells, Fact, Published, SchemaError, read_folder
from analysis.errors import SurveyError

__all__ = ["AuditResult", "DisclosureAuditError", "audit", "audit_published"]

#: Joint tables up to this many cells per connected group of variables (per year).
MAX_JOINT_CELLS = 5_000
#: Tables visited at most when enumerating the completions of a table with a published X2.
MAX_ENUMERATION = 100_000
_TOL = 1e-6


class DisclosureAuditError(SurveyError):
    """A hidden cell is recoverable (or too narrowly bounded) from what a report publishes."""

    def __init__(self, message: str, result: AuditResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class AuditResult:
    """Outcome of :func:`audit`.

    Attributes
    ----------
    cells : DataFrame
        One row per hidden cell: ``cell`` (year and categories), ``symbol``, ``tables`` (where
        it is hidden), ``lower``, ``upper`` (compatible values), ``required`` (width),
        ``ok``, ``exact`` (integer program solved to optimality), ``pinned_by`` (the published
        figures that bind the interval, when it fails).
    mode : dict
        Per year, ``"joint"`` or ``"linked"`` (see the module docstring).
    notes : list of str
        Non-linear statistics that could not be used (enumeration too large) and other remarks.
    unmapped : list of str
        CSV files without a sidecar (not audited).
    """

    cells: pd.DataFrame
    mode: dict[int, str]
    notes: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    threshold: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.cells.empty or self.cells["ok"].all())

    @property
    def failures(self) -> pd.DataFrame:
        return self.cells[~self.cells["ok"]] if not self.cells.empty else self.cells

    def message(self, limit: int = 10) -> str:
        """A readable account of the failing cells (what, interval, which figures pin it)."""
        bad = self.failures
        if bad.empty:
            return f"disclosure audit passed: {len(self.cells)} hidden cells keep their intervals"
        lines = [f"disclosure audit failed: {len(bad)} of {len(self.cells)} hidden cells are "
                 f"recoverable or bounded more narrowly than {self.threshold}:"]
        for r in bad.head(limit).itertuples():
            what = "pinned to" if r.upper - r.lower < 0.5 else "bounded to"
            interval = f"{r.lower:g}" if r.upper - r.lower < 0.5 else f"{r.lower:g}..{r.upper:g}"
            lines.append(f"- {r.cell} (shown as {r.symbol!r} in {r.tables}) is {what} {interval} "
                         f"by: {r.pinned_by}")
        if len(bad) > limit:
            lines.append(f"... and {len(bad) - limit} more")
        return "\n".join(lines)


@dataclass
class _Block:
    year: int
    variables: tuple[str, ...]
    cats: tuple[tuple[str, ...], ...]
    offset: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.cats) or (1,)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class _Model:
    """Unknowns (cells of the cross-classification) and the linear constraints on them."""

    def __init__(self, pub: Published, max_joint_cells: int) -> None:
        self.pub = pub
        self.blocks: list[_Block] = []
        self.mode: dict[int, str] = {}
        self.rows: list[tuple[np.ndarray, np.ndarray, float, float, str]] = []
        self._build_blocks(max_joint_cells)
        self.n = sum(b.size for b in self.blocks)
        self._link_blocks()

    # -- unknowns -----------------------------------------------------------------------------
    def _scopes(self) -> dict[int, set[tuple[str, ...]]]:
        scopes: dict[int, set[tuple[str, ...]]] = defaultdict(set)
        for f in self.pub.facts:
            sets = [f.cells] if f.cells is not None else []
            sets += list(f.extra.get("more", ()))
            if f.kind == "share":
                sets += list(f.extra["den"])
            for c in sets:
                vs = set(c.variables)
                if f.kind in ("chi2", "chi2_band"):
                    vs |= {f.extra["rows"], f.extra["cols"]} - {"year"}
                if f.kind in ("mean", "sd"):
                    vs.add(f.extra["variable"])
                scopes[c.year].add(tuple(sorted(vs)))
        return scopes

    def _cats(self, year: int, var: str) -> tuple[str, ...]:
        try:
            return tuple(self.pub.variables[(year, var)])
        except KeyError:
            raise SchemaError(f"variable {var!r} of {year} has no categories in any sidecar") from None

    def _build_blocks(self, max_joint_cells: int) -> None:
        offset = 0
        for year, scopes in sorted(self._scopes().items()):
            # connected groups of variables
            parent: dict[str, str] = {}

            def find(v: str, parent: dict[str, str] = parent) -> str:
                while parent.setdefault(v, v) != v:
                    v = parent[v]
                return v

            for s in scopes:
                for a, b in itertools.pairwise(s):
                    parent[find(a)] = find(b)
                for a in s:
                    find(a)
            groups: dict[str, set[str]] = defaultdict(set)
            for v in parent:
                groups[find(v)].add(v)
            linked = False
            year_blocks: list[tuple[str, ...]] = []
            for members in sorted(groups.values(), key=lambda g: sorted(g)):
                size = math.prod(len(self._cats(year, v)) for v in members)
                if size <= max_joint_cells:
                    year_blocks.append(tuple(sorted(members)))
                    continue
                linked = True
                mine = [s for s in scopes if s and set(s) <= members]
                maximal = [s for s in set(mine) if not any(set(s) < set(t) for t in mine)]
                year_blocks += sorted(maximal)
            if not year_blocks:
                year_blocks = [()]
            for vs in year_blocks:
                b = _Block(year, vs, tuple(self._cats(year, v) for v in vs), offset)
                self.blocks.append(b)
                offset += b.size
            self.mode[year] = "linked" if linked else "joint"

    def _block_for(self, c: Cells, extra: Iterable[str] = ()) -> _Block:
        need = set(c.variables) | set(extra)
        fits = [b for b in self.blocks if b.year == c.year and need <= set(b.variables)]
        if not fits:
            raise SchemaError(f"no block holds {c.label()} (variables {sorted(need)})")
        return min(fits, key=lambda b: b.size)

    def _masks(self, b: _Block, c: Cells) -> list[np.ndarray]:
        where = dict(c.where)
        masks = []
        for v, cats in zip(b.variables, b.cats, strict=True):
            if v in where:
                unknown = set(where[v]) - set(cats)
                if unknown:
                    raise SchemaError(f"{c.label()}: {v} has no category {sorted(unknown)} "
                                      f"(categories: {', '.join(cats)})")
                masks.append(np.isin(np.array(cats), where[v]))
            else:
                masks.append(np.ones(len(cats), dtype=bool))
        return masks

    def index(self, c: Cells, extra: Iterable[str] = ()) -> tuple[_Block, np.ndarray]:
        """Flat indices of the unknowns that add up to ``c``."""
        b = self._block_for(c, extra)
        if not b.variables:
            return b, np.array([b.offset])
        grid = np.arange(b.size).reshape(b.shape)
        sub = grid[np.ix_(*self._masks(b, c))]
        return b, b.offset + sub.ravel()

    def scores(self, c: Cells, var: str, scores: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Indices of ``c`` restricted to scored categories of ``var``, and each one's score."""
        where = dict(c.where)
        where[var] = tuple(k for k in scores if k in where.get(var, scores))
        cc = Cells(c.year, tuple(sorted(where.items())))
        b, idx = self.index(cc)
        pos = b.variables.index(var)
        cat_of = np.unravel_index(idx - b.offset, b.shape)[pos]
        return idx, np.array([scores[b.cats[pos][k]] for k in cat_of])

    def _link_blocks(self) -> None:
        by_year: dict[int, list[_Block]] = defaultdict(list)
        for b in self.blocks:
            by_year[b.year].append(b)
        for year, blocks in by_year.items():
            for i, bi in enumerate(blocks):
                for bj in blocks[i + 1:]:
                    common = tuple(v for v in bi.variables if v in bj.variables)
                    if not common and i > 0:
                        continue  # equal totals follow from the links to the first block
                    cats = [self._cats(year, v) for v in common]
                    for combo in itertools.product(*cats) if common else [()]:
                        c = Cells(year, tuple((v, (k,)) for v, k in zip(common, combo, strict=True)))
                        _, ii = self.index_in(bi, c)
                        _, jj = self.index_in(bj, c)
                        self.add(np.r_[ii, jj], np.r_[np.ones(ii.size), -np.ones(jj.size)], 0, 0,
                                 "")

    def index_in(self, b: _Block, c: Cells) -> tuple[_Block, np.ndarray]:
        if not b.variables:
            return b, np.array([b.offset])
        grid = np.arange(b.size).reshape(b.shape)
        return b, b.offset + grid[np.ix_(*self._masks(b, c))].ravel()

    # -- constraints ----------------------------------------------------------------------------
    def add(self, idx: np.ndarray, coef: np.ndarray, lo: float, hi: float, source: str) -> None:
        self.rows.append((np.asarray(idx, int), np.asarray(coef, float), lo, hi, source))

    def matrix(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        data, ri, ci, lo, hi = [], [], [], [], []
        for k, (idx, coef, a, b, _) in enumerate(self.rows):
            # duplicate indices (a share's numerator inside its denominator) add up
            u, inv = np.unique(idx, return_inverse=True)
            cc = np.zeros(u.size)
            np.add.at(cc, inv, coef)
            data.append(cc)
            ci.append(u)
            ri.append(np.full(u.size, k))
            lo.append(a)
            hi.append(b)
        if not self.rows:
            return sparse.csr_matrix((0, self.n)), np.zeros(0), np.zeros(0)
        a = sparse.csr_matrix((np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))),
                              shape=(len(self.rows), self.n))
        return a, np.array(lo, float), np.array(hi, float)


def _linear_facts(model: _Model, facts: Sequence[Fact]) -> dict[Cells, dict]:
    """Add the linear constraints of the published figures; return the hidden cells."""
    targets: dict[Cells, dict] = {}
    for f in facts:
        if f.kind in ("count", "zero"):
            idx = np.concatenate([model.index(c)[1] for c in (f.cells, *f.extra.get("more", ()))])
            one = np.ones(idx.size)
            if f.kind == "zero":
                model.add(idx, one, 0, 0, f.source)
            elif f.hidden:
                t = targets.setdefault(f.cells, {"symbols": [], "tables": [], "idx": idx})
                t["symbols"].append(f.symbol)
                t["tables"].append(f.table)
                if f.symbol.startswith("<"):
                    m = float(f.symbol[1:])
                    model.add(idx, one, 1, m - 1, f"{f.source} = {f.symbol}")
            else:
                model.add(idx, one, f.value - f.delta, f.value + f.delta, f.source)
        elif f.kind == "share":
            num_i = np.concatenate([model.index(c)[1] for c in (f.cells, *f.extra["more"])])
            den_i = np.concatenate([model.index(c)[1] for c in f.extra["den"]])
            s = f.extra["scale"]
            lo, hi = (f.value - f.delta) / s, (f.value + f.delta) / s
            idx = np.r_[num_i, den_i]
            model.add(idx, np.r_[np.ones(num_i.size), -lo * np.ones(den_i.size)], 0, np.inf, f.source)
            model.add(idx, np.r_[np.ones(num_i.size), -hi * np.ones(den_i.size)], -np.inf, 0, f.source)
        elif f.kind == "mean":
            idx, sc = model.scores(f.cells, f.extra["variable"], f.extra["scores"])
            model.add(idx, sc - (f.value - f.delta), 0, np.inf, f.source)
            model.add(idx, sc - (f.value + f.delta), -np.inf, 0, f.source)
        elif f.kind == "sd":
            idx, sc = model.scores(f.cells, f.extra["variable"], f.extra["scores"])
            m, dm = f.extra["mean"], f.extra["mean_delta"]
            s_lo, s_hi = max(f.value - f.delta, 0.0), f.value + f.delta
            sq = (sc - m) ** 2
            model.add(idx, sq - s_lo**2, -s_lo**2, np.inf, f.source)
            model.add(idx, sq - s_hi**2 - dm**2, -np.inf, -(s_hi**2), f.source)
    return targets


class _Solver:
    def __init__(self, model: _Model, integer: bool, time_limit: float) -> None:
        self.model = model
        self.integer = integer
        self.time_limit = time_limit
        self.refresh()

    def refresh(self) -> None:
        a, lo, hi = self.model.matrix()
        eq = np.isclose(lo, hi)
        self.a_eq, self.b_eq = a[eq], lo[eq]
        ub_rows = []
        ub_b = []
        sources = []
        for k in np.flatnonzero(~eq):
            if np.isfinite(hi[k]):
                ub_rows.append(a[k])
                ub_b.append(hi[k])
                sources.append(self.model.rows[k][4])
            if np.isfinite(lo[k]):
                ub_rows.append(-a[k])
                ub_b.append(-lo[k])
                sources.append(self.model.rows[k][4])
        self.a_ub = sparse.vstack(ub_rows).tocsr() if ub_rows else None
        self.b_ub = np.array(ub_b)
        self.eq_sources = [self.model.rows[k][4] for k in np.flatnonzero(eq)]
        self.ub_sources = sources
        self.a, self.lo, self.hi = a, lo, hi

    def lp(self, idx: np.ndarray, sense: int):
        c = np.zeros(self.model.n)
        c[idx] = sense
        kw = {}
        if self.a_eq.shape[0]:
            kw.update(A_eq=self.a_eq, b_eq=self.b_eq)
        if self.a_ub is not None:
            kw.update(A_ub=self.a_ub, b_ub=self.b_ub)
        return linprog(c, bounds=(0, None), method="highs", **kw)

    def bounds(self, idx: np.ndarray) -> tuple[float, float, bool, list[str]]:
        """Smallest and largest value of ``sum x[idx]``; whether integer-exact; binding figures."""
        out, binding, exact = [], set(), True
        for sense in (1, -1):
            r = self.lp(idx, sense)
            if r.status == 2:
                raise SchemaError("the published figures are inconsistent with one another "
                                  "(no table fits them all): check the sidecars and rounding")
            if r.status == 3:
                out.append(math.inf if sense < 0 else 0.0)
                continue
            v = sense * r.fun
            for marg, srcs in ((getattr(r, "eqlin", None), self.eq_sources),
                               (getattr(r, "ineqlin", None), self.ub_sources)):
                if marg is not None and len(srcs):
                    for k in np.flatnonzero(np.abs(marg.marginals) > 1e-9):
                        if srcs[k]:
                            binding.add(srcs[k])
            if self.integer:
                iv, ok = self._milp(idx, sense)
                if iv is not None:
                    v = iv
                exact &= ok
            out.append(v)
        lo = math.ceil(out[0] - _TOL)
        hi = out[1] if math.isinf(out[1]) else math.floor(out[1] + _TOL)
        return float(lo), float(hi), exact, sorted(binding)

    def _milp(self, idx: np.ndarray, sense: int) -> tuple[float | None, bool]:
        c = np.zeros(self.model.n)
        c[idx] = sense
        cons = LinearConstraint(self.a, self.lo, self.hi) if self.a.shape[0] else ()
        r = milp(c, constraints=cons, integrality=np.ones(self.model.n),
                 bounds=Bounds(0, np.inf), options={"time_limit": self.time_limit})
        if r.status == 0:
            return sense * r.fun, True
        bound = getattr(r, "mip_dual_bound", None)
        if bound is not None and np.isfinite(bound):
            return sense * bound, False
        return None, False


def _chi2(table: np.ndarray, statistic: str) -> float:
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return math.nan
    n = t.sum()
    exp = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    x2 = float(((t - exp) ** 2 / exp).sum())
    if statistic == "cramers_v":
        return math.sqrt(x2 / (n * (min(t.shape) - 1)))
    return x2


def _enumerate(lo: np.ndarray, hi: np.ndarray, rlo, rhi, clo, chi, limit: int):
    """Integer tables with cells in [lo, hi] and row / column sums in their bounds."""
    r, c = lo.shape
    cur = lo.copy()
    found: list[np.ndarray] = []
    visited = 0
    order = [(i, j) for i in range(r) for j in range(c)]
    # remaining capacity after position k, per row and column
    rem_lo_r = np.zeros((len(order) + 1, r))
    rem_hi_r = np.zeros((len(order) + 1, r))
    rem_lo_c = np.zeros((len(order) + 1, c))
    rem_hi_c = np.zeros((len(order) + 1, c))
    for k in range(len(order) - 1, -1, -1):
        i, j = order[k]
        rem_lo_r[k], rem_hi_r[k] = rem_lo_r[k + 1], rem_hi_r[k + 1]
        rem_lo_c[k], rem_hi_c[k] = rem_lo_c[k + 1], rem_hi_c[k + 1]
        rem_lo_r[k, i] += lo[i, j]
        rem_hi_r[k, i] += hi[i, j]
        rem_lo_c[k, j] += lo[i, j]
        rem_hi_c[k, j] += hi[i, j]
    rs = np.zeros(r)
    cs = np.zeros(c)

    def ok(k: int) -> bool:
        return bool(np.all(rs + rem_lo_r[k] <= rhi + _TOL) and np.all(rs + rem_hi_r[k] >= rlo - _TOL)
                    and np.all(cs + rem_lo_c[k] <= chi + _TOL) and np.all(cs + rem_hi_c[k] >= clo - _TOL))

    def go(k: int) -> bool:
        nonlocal visited
        if k == len(order):
            found.append(cur.copy())
            return True
        i, j = order[k]
        for v in range(int(lo[i, j]), int(hi[i, j]) + 1):
            visited += 1
            if visited > limit:
                return False
            cur[i, j] = v
            rs[i] += v
            cs[j] += v
            good = go(k + 1) if ok(k + 1) else True
            rs[i] -= v
            cs[j] -= v
            if not good:
                return False
        return True

    complete = go(0)
    return (found if complete else None), visited


def _cell_of(year: int, base: dict, fixed: dict) -> Cells:
    """Cells of ``year`` within ``base``, with ``fixed`` categories (``year`` may be one of them)."""
    w = dict(base)
    for var, value in fixed.items():
        vals = (value,) if isinstance(value, str) else tuple(value)
        if var == "year":
            year = int(vals[0])
        else:
            w[var] = tuple(c for v in vals for c in (v if isinstance(v, tuple) else (v,)))
    return Cells(int(year), tuple(sorted(w.items())))


def _line(year: int, base: dict, var: str, value, other: str, others: list) -> list[Cells]:
    """One row (or column) of a two-way table as cell sets (one per year when ``other`` is year)."""
    if other == "year":
        return [_cell_of(year, base, {var: value, "year": o}) for o in others]
    return [_cell_of(year, base, {var: value, other: others})]


def _nonlinear(model: _Model, solver: _Solver, facts: Sequence[Fact], known: dict[Cells, float],
               limit: int, notes: list[str]) -> bool:
    """Use the published X2 / Cramér's V / p-values by enumeration; True when constraints were added.

    The statistics published about one table are applied together: a candidate table must
    reproduce all of them.
    """
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        if f.kind in ("chi2", "chi2_band"):
            key = (f.cells, f.extra["rows"], f.extra["cols"], tuple(f.extra["row_cats"]),
                   tuple(f.extra["col_cats"]))
            groups[key].append(f)
    added = False
    for (c0, rows, cols, rc, cc), fs in groups.items():
        base = dict(c0.where)
        lo = np.zeros((len(rc), len(cc)))
        hi = np.zeros_like(lo)
        idxs = {}
        for i, a in enumerate(rc):
            for j, b in enumerate(cc):
                c = _cell_of(c0.year, base, {rows: a, cols: b})
                _, idxs[i, j] = model.index(c)
                if c in known:
                    lo[i, j] = hi[i, j] = known[c]
                else:
                    lo[i, j], hi[i, j], _, _ = solver.bounds(idxs[i, j])
        names = "; ".join(f.source for f in fs)
        if (hi == lo).all():
            continue  # nothing hidden in this table
        if np.isinf(hi).any():
            notes.append(f"{names}: not used (a cell of the table is unbounded)")
            continue

        def line_bounds(parts: list[Cells]) -> tuple[float, float]:
            if all(p in known for p in parts):
                v = sum(known[p] for p in parts)
                return v, v
            ix = np.concatenate([model.index(p)[1] for p in parts])
            a, b, _, _ = solver.bounds(ix)
            return a, b

        rb = [line_bounds(_line(c0.year, base, rows, a, cols, list(cc))) for a in rc]
        cb = [line_bounds(_line(c0.year, base, cols, b, rows, list(rc))) for b in cc]
        tables, _ = _enumerate(lo, hi, np.array([x[0] for x in rb]), np.array([x[1] for x in rb]),
                               np.array([x[0] for x in cb]), np.array([x[1] for x in cb]), limit)
        if tables is None:
            notes.append(f"{names}: not used (more than {limit} candidate tables)")
            continue
        keep = tables
        for f in fs:
            if f.kind == "chi2":
                vlo, vhi = f.value - f.delta - 1e-9, f.value + f.delta + 1e-9
            else:
                vlo, vhi = f.extra["lower"] - 1e-9, f.extra["upper"] + 1e-9
            vals = [_chi2(t, f.extra["statistic"]) for t in keep]
            keep = [t for t, v in zip(keep, vals, strict=True) if np.isfinite(v) and vlo <= v <= vhi]
        if not keep:
            notes.append(f"{names}: no table compatible (inconsistent rounding?); not used")
            continue
        stack = np.stack(keep)
        new_lo, new_hi = stack.min(axis=0), stack.max(axis=0)
        for (i, j), ix in idxs.items():
            if new_lo[i, j] > lo[i, j] or new_hi[i, j] < hi[i, j]:
                model.add(ix, np.ones(ix.size), new_lo[i, j], new_hi[i, j],
                          f"{names} (by enumeration: {len(keep)} of {len(tables)} tables fit)")
                added = True
    return added


def audit_published(
    pub: Published,
    *,
    threshold: int | None = None,
    integer: bool = True,
    max_joint_cells: int = MAX_JOINT_CELLS,
    max_enumeration: int = MAX_ENUMERATION,
    time_limit: float = 20.0,
) -> AuditResult:
    """Audit already-read published facts (see :func:`audit`)."""
    start = time.perf_counter()
    thr = int(threshold if threshold is not None else pub.min_cell)
    model = _Model(pub, max_joint_cells)
    targets = _linear_facts(model, pub.facts)
    notes: list[str] = []
    if not targets:
        return AuditResult(pd.DataFrame(columns=["cell", "symbol", "tables", "lower", "upper",
                                                 "required", "ok", "exact", "pinned_by"]),
                           model.mode, notes, pub.unmapped, thr, time.perf_counter() - start)
    known = {f.cells: f.value for f in pub.facts
             if f.kind == "count" and not f.hidden and f.delta == 0}
    if any(f.kind in ("chi2", "chi2_band") for f in pub.facts):
        lp_solver = _Solver(model, integer=False, time_limit=time_limit)
        if _nonlinear(model, lp_solver, pub.facts, known, max_enumeration, notes):
            pass
    solver = _Solver(model, integer=integer, time_limit=time_limit)
    rows = []
    for c, t in sorted(targets.items(), key=lambda kv: kv[0].label()):
        lo, hi, exact, binding = solver.bounds(t["idx"])
        symbol = "<" + t["symbols"][0][1:] if any(s.startswith("<") for s in t["symbols"]) else "x"
        if symbol.startswith("<"):
            required = min(thr, float(symbol[1:]) - 2)
        else:
            required = thr
        # an `x` cell pinned to 0 discloses nobody (an empty cell, as the per-table rules hold)
        ok = bool(hi - lo >= max(required, 0.5) - _TOL) or (symbol == "x" and hi == 0)
        rows.append({
            "cell": c.label(),
            "symbol": symbol,
            "tables": ", ".join(sorted(set(t["tables"]))),
            "lower": lo,
            "upper": hi,
            "required": float(required),
            "ok": ok,
            "exact": exact,
            "pinned_by": "" if ok else "; ".join(binding) or "(the symbols' own bounds)",
        })
    return AuditResult(pd.DataFrame(rows), model.mode, notes, pub.unmapped, thr,
                       time.perf_counter() - start)


def audit(
    *folders: str | Path,
    threshold: int | None = None,
    integer: bool = True,
    raise_on_failure: bool = True,
    max_joint_cells: int = MAX_JOINT_CELLS,
    max_enumeration: int = MAX_ENUMERATION,
    time_limit: float = 20.0,
) -> AuditResult:
    """Attack every table published in ``folders`` at once; fail if a hidden cell gives way.

    Parameters
    ----------
    *folders : path
        Folders of published tables (``NAME.csv`` + ``NAME.cells.json``). Give several (the
        ``tables/`` of every year's report) to check consistency across reports.
    threshold : int, optional
        Required width of a hidden cell's interval (default: the tables' ``min_cell``).
    integer : bool, default True
        Tighten the LP bounds with the integer program (``scipy.optimize.milp``).
    raise_on_failure : bool, default True
        Raise :class:`DisclosureAuditError` when a hidden cell fails.
    max_joint_cells, max_enumeration, time_limit
        Size of the joint cross-classification per connected group of variables; candidate
        tables visited when enumerating a published X2; seconds per integer program.

    Returns
    -------
    AuditResult

    Raises
    ------
    DisclosureAuditError
        Naming each failing cell, its interval and the published figures that bind it.

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4 (tabular data:
    attacker's intervals, linked tables, audit by linear programming). Wiley.
    Fischetti, M. and Salazar-González, J.-J. (2001). Solving the cell suppression problem
    on tabular data with linear constraints. *Management Science* 47(7), 1008–1027.
    """
    pub = read_folder(*folders)
    res = audit_published(pub, threshold=threshold, integer=integer,
                          max_joint_cells=max_joint_cells, max_enumeration=max_enumeration,
                          time_limit=time_limit)
    if raise_on_failure and not res.ok:
        where = ", ".join(str(f) for f in folders)
        raise DisclosureAuditError(f"{where}: {res.message()}", res)
    return res
