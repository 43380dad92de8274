"""Sidecars for the package's own tables: which published figure is what sum of cells.

Where it sits: the statistics stamp their tidy tables with ``attrs["cells"]`` (:func:`stamp`:
the kind of table, the survey year, the categories of its variables); ``save_table`` calls
:func:`describe` on the protected table it writes and stores the result as the table's
sidecar (:mod:`analysis.disclosure.schema`), which the auditor reads. Row ``i`` of the CSV is
row ``i`` of the DataFrame written (``index=False``).

Kinds: ``frequencies`` (also trends: ``year`` among the groups), ``scale_summary``,
``crosstab`` (cells), ``crosstab_test``, ``multiple_response``, ``mcnemar`` (pairwise),
``data_quality``; anything else is written with no facts and ``"mapped": false``.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"column": ["q4", "q4"], "code": ["yes", "no"], "is_dk": [False, False],
...                   "n": [30, 3], "n_display": ["30", "<5"], "pct": [91.0, None],
...                   "base_n": [33, 33], "base_shown": [True, True]})
>>> stamp(t, "frequencies", year=2020, variables={"q4": ["yes", "no", "na"]}, by=[])
>>> [f["kind"] for f in describe(t)["facts"]]
['count', 'share', 'count', 'count', 'share', 'count']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.schema import cells, ref

__all__ = ["stamp", "describe", "cat", "categories_of"]


def cat(value: Any) -> str:
    """A category as the sidecars write it (booleans as ``"1"``/``"0"``)."""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expand(value: Any, as_list: bool = False) -> str | list[str]:
    """A published category as cells: a merged one (``"1+2"``) is the list of its answers."""
    c = cat(value)
    if "+" in c:
        return c.split("+")
    return [c] if as_list else c


def categories_of(codes: Iterable[Any], dont_know: bool = False) -> list[str]:
    """Every category of a variable in the cross-classification: codes, ``dk``, ``na``."""
    return [cat(c) for c in codes] + (["dk"] if dont_know else []) + ["na"]


def stamp(table: pd.DataFrame, kind: str, *, year: int | None = None,
          variables: Mapping[str, Sequence[str]] | None = None, **extra: Any) -> None:
    """Record in ``table.attrs["cells"]`` what the table counts (used by :func:`describe`)."""
    table.attrs["cells"] = {"kind": kind, "year": None if year is None else int(year),
                            "variables": {k: list(v) for k, v in (variables or {}).items()},
                            **extra}


def year_of(df: pd.DataFrame) -> int | None:
    """The survey year of a prepared frame when it holds one year."""
    if "year" in df.columns:
        ys = pd.unique(df["year"].dropna())
        if len(ys) == 1:
            return int(ys[0])
    return None


def _num(v: Any) -> bool:
    try:
        return v is not None and not pd.isna(v)
    except (TypeError, ValueError):
        return True


def _freq(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    by = list(meta.get("by") or [])
    variables = meta["variables"]
    facts = []
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        y = int(r["year"]) if "year" in by else year
        grp = {b: expand(r[b]) for b in by if b != "year"}
        col = r["column"]
        code = "dk" if r.get("is_dk") else expand(r["code"])
        scale = [c for c in variables[col] if c not in ("dk", "na")]
        base = scale + ["dk"] if r.get("is_dk") else scale
        me = cells(y, **grp, **{col: code})
        den = cells(y, **grp, **{col: base})
        facts.append({"kind": "count", "cells": me, "ref": ref(i, "n"), "display": ref(i, "n_display")})
        if "pct" in t.columns and not meta.get("weighted"):
            facts.append({"kind": "share", "num": me, "den": den, "ref": ref(i, "pct"), "scale": 100})
        if "base_n" in t.columns:
            facts.append({"kind": "count", "cells": den, "ref": ref(i, "base_n")})
    return facts


def _summary(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    by = list(meta.get("by") or [])
    variables = meta["variables"]
    top = int(meta.get("top", 2))
    facts = []
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        y = int(r["year"]) if "year" in by else year
        grp = {b: expand(r[b]) for b in by if b != "year"}
        col = r["column"]
        scale = [c for c in variables[col] if c not in ("dk", "na")]
        scores = meta["scores"].get(col) or {c: float(k + 1) for k, c in enumerate(scale)}
        base = cells(y, **grp, **{col: scale})
        facts.append({"kind": "count", "cells": base, "ref": ref(i, "n")})
        if "dk_n" in t.columns and "dk" in variables[col]:
            facts.append({"kind": "count", "cells": cells(y, **grp, **{col: "dk"}),
                          "ref": ref(i, "dk_n"), "display": ref(i, "dk_display")})
        if meta.get("weighted"):
            continue  # weighted means and shares are not functions of the counts
        if "mean" in t.columns:
            facts.append({"kind": "mean", "cells": base, "variable": col, "scores": scores,
                          "ref": ref(i, "mean")})
            if "sd" in t.columns:
                facts.append({"kind": "sd", "cells": base, "variable": col, "scores": scores,
                              "ref": ref(i, "sd"), "mean_ref": ref(i, "mean")})
        for column, part in (("top2_pct", scale[-top:]), ("bottom2_pct", scale[:top])):
            if column in t.columns:
                facts.append({"kind": "share", "num": cells(y, **grp, **{col: part}), "den": base,
                              "ref": ref(i, column), "scale": 100})
    return facts


def _crosstab(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    rv, cv = meta["row"], meta["col"]
    rcodes = [c for c in meta["variables"][rv] if c not in ("dk", "na")]
    ccodes = [c for c in meta["variables"][cv] if c not in ("dk", "na")]
    facts = []
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        a, b = expand(r["row"]), expand(r["col"])
        me = cells(year, **{rv: a, cv: b})
        rowbase = cells(year, **{rv: a, cv: ccodes})
        colbase = cells(year, **{rv: rcodes, cv: b})
        facts.append({"kind": "count", "cells": me, "ref": ref(i, "n"), "display": ref(i, "n_display")})
        for column, den in (("row_pct", rowbase), ("col_pct", colbase)):
            if column in t.columns and not meta.get("weighted"):
                facts.append({"kind": "share", "num": me, "den": den, "ref": ref(i, column), "scale": 100})
        for column, base in (("row_base_n", rowbase), ("col_base_n", colbase)):
            if column in t.columns:
                facts.append({"kind": "count", "cells": base, "ref": ref(i, column)})
    return facts


def _crosstab_test(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    facts = []
    tables = meta.get("tables") or {}
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        key = f"{r['row']} x {r['col']}"
        info = tables.get(key)
        if info is None:
            continue
        rv, cv = r["row"], r["col"]
        y = info.get("year", year)
        common = {"year": y, "where": {}, "rows": rv, "cols": cv,
                  "row_cats": info["row_cats"], "col_cats": info["col_cats"]}
        if "n" in t.columns:
            flat_r = [c for g in info["row_cats"] for c in (g if isinstance(g, list) else [g])]
            flat_c = [c for g in info["col_cats"] for c in (g if isinstance(g, list) else [g])]
            facts.append({"kind": "count", "cells": cells(y, **{rv: flat_r, cv: flat_c}),
                          "ref": ref(i, "n")})
        if bool(r.get("weighted")) or meta.get("weighted"):
            continue  # a weighted test is not a function of the counts
        if "statistic" in t.columns:
            facts.append({"kind": "chi2", **common, "ref": ref(i, "statistic"), "statistic": "pearson"})
        if "cramers_v" in t.columns:
            facts.append({"kind": "chi2", **common, "ref": ref(i, "cramers_v"), "statistic": "cramers_v"})
        band = str(r.get("p_band") or "")
        if band and "dof" in t.columns and _num(r.get("dof")) and float(r["dof"]) >= 1:
            # a coarse p-value (of X2 with dof degrees of freedom, chi-square approximation)
            from scipy.stats import chi2 as _chi2

            edge = float(band.lstrip("<>="))
            cut = float(_chi2.isf(edge, float(r["dof"])))
            lower, upper = (cut, 1e12) if band.startswith("<") else (0.0, cut)
            facts.append({"kind": "chi2_band", **common, "lower": lower, "upper": upper,
                          "ref": ref(i, "p_band"), "text": f"p {band}"})
        if "chi2_pvalue" in t.columns and "dof" in t.columns:
            facts.append({"kind": "chi2_p", **common, "ref": ref(i, "chi2_pvalue"), "dof_ref": ref(i, "dof")})
    return facts


def _multiple_response(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    q = meta["question"]
    options = [cat(o) for o in meta["options"]]
    by = list(meta.get("by") or [])
    facts = []
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        y = int(r["year"]) if "year" in by else year
        grp = {b: expand(r[b]) for b in by if b != "year"}
        var = f"{q}__{cat(r['option'])}"
        me = cells(y, **grp, **{var: "1"})
        answered = cells(y, **grp, **{var: ["0", "1"]})
        responses = [cells(y, **grp, **{f"{q}__{o}": "1"}) for o in options]
        facts.append({"kind": "count", "cells": me, "ref": ref(i, "n"), "display": ref(i, "n_display")})
        if "pct_respondents" in t.columns and not meta.get("weighted"):
            facts.append({"kind": "share", "num": me, "den": answered, "ref": ref(i, "pct_respondents"),
                          "scale": 100})
        if "pct_responses" in t.columns and not meta.get("weighted"):
            facts.append({"kind": "share", "num": me, "den": responses, "ref": ref(i, "pct_responses"),
                          "scale": 100})
        if "base_respondents_n" in t.columns:
            facts.append({"kind": "count", "cells": answered, "ref": ref(i, "base_respondents_n")})
        if "base_responses_n" in t.columns:
            facts.append({"kind": "count", "cells": responses, "ref": ref(i, "base_responses_n")})
    return facts


def _mcnemar(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    q = meta["question"]
    by = list(meta.get("by") or [])
    facts: list[dict] = []
    if meta.get("weighted"):
        return facts  # weighted b and c are not counts
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        y = int(r["year"]) if "year" in by else year
        grp = {b: expand(r[b]) for b in by if b != "year"}
        a, b = f"{q}__{cat(r['option_a'])}", f"{q}__{cat(r['option_b'])}"
        for column, (va, vb) in (("b", ("1", "0")), ("c", ("0", "1"))):
            if column in t.columns and not meta.get("weighted"):
                facts.append({"kind": "count", "cells": cells(y, **grp, **{a: va, b: vb}),
                              "ref": ref(i, column)})
        # a respondent skips the whole question or none of it
        facts.append({"kind": "zero", "cells": cells(y, **grp, **{a: "na", b: ["0", "1"]})})
        facts.append({"kind": "zero", "cells": cells(y, **grp, **{a: ["0", "1"], b: "na"})})
    return facts


def _data_quality(t: pd.DataFrame, meta: dict, year: int | None) -> list[dict]:
    names = meta.get("names") or {}
    facts = []
    for i, r in enumerate(t.reset_index(drop=True).to_dict("records")):
        y = int(r["year"]) if _num(r.get("year")) else year
        var = r.get("variable")
        if not _num(var) or var == "":
            if r["measure"] == "rows_kept":
                facts.append({"kind": "count", "cells": cells(y), "ref": ref(i, "n")})
            continue
        var = names.get(var, var)
        code = {"nonresponse": "na", "dont_know": "dk"}.get(r["measure"])
        if code is None or var not in meta["variables"]:
            continue
        fact = {"kind": "count", "cells": cells(y, **{var: code}), "ref": ref(i, "n")}
        if "n_display" in t.columns:
            fact["display"] = ref(i, "n_display")
        facts.append(fact)
        if "base" in t.columns:
            facts.append({"kind": "count", "cells": cells(y), "ref": ref(i, "base")})
        for pct in ("percent", "pct"):
            if pct in t.columns:
                facts.append({"kind": "share", "num": cells(y, **{var: code}), "den": cells(y),
                              "ref": ref(i, pct), "scale": 100})
    return facts


_KINDS = {
    "frequencies": _freq,
    "scale_summary": _summary,
    "crosstab": _crosstab,
    "crosstab_test": _crosstab_test,
    "multiple_response": _multiple_response,
    "mcnemar": _mcnemar,
    "data_quality": _data_quality,
}


def describe(table: pd.DataFrame, *, year: int | None = None, min_cell: int | None = None) -> dict:
    """The sidecar of ``table`` (without ``schema``/``table``, added by ``write_sidecar``).

    Parameters
    ----------
    table : DataFrame
        The protected table as written (same rows, same order).
    year : int, optional
        Survey year when the table's stamp does not say (the build's year).
    min_cell : int, optional
        Disclosure threshold when the table's ``attrs["disclosure"]`` does not say.
    """
    meta = dict(table.attrs.get("cells") or {}) or _package_schema(table, year)
    info = table.attrs.get("disclosure") or {}
    m = int(info.get("min_cell", min_cell or 0) or 0)
    kind = meta.get("kind")
    if kind not in _KINDS:
        return {"min_cell": m, "mapped": False, "variables": {}, "facts": []}
    y = meta.get("year") if meta.get("year") is not None else year
    if "weighted" in table.columns and table["weighted"].fillna(False).astype(bool).any():
        meta["weighted"] = True  # only the unweighted counts and bases are mapped
    facts = _KINDS[kind](table, meta, y)
    if any(_has_none_year(f) for f in facts):
        return {"min_cell": m, "mapped": False, "variables": {}, "facts": [],
                "note": "survey year unknown: pass year= to save_table"}
    return {"min_cell": m, "mapped": True, "kind": kind, "year": y,
            "variables": meta.get("variables", {}), "facts": facts}


def _codebook_categories(column: str) -> list[str] | None:
    from analysis.codebook import load_codebook

    cb = load_codebook()
    name, _, item = column.partition("__")
    if name not in cb:
        return None
    var = cb[name]
    if var.type == "multiple_choice":
        return ["1", "0", "na"] if item else None
    return categories_of(var.codes, bool(var.dont_know) and var.type != "battery")


def _published_cats(column: str, cats: list[str]) -> list[list[str]]:
    from analysis.codebook import load_codebook

    cb = load_codebook()
    name = column.partition("__")[0]
    groups = [[cat(c) for c in g] for g in (cb[name].merges if name in cb and "__" not in column else ())]
    out, done = [], set()
    for c in cats:
        if c in ("dk", "na") or c in done:
            continue
        g = next((g for g in groups if c in g), [c])
        done.update(g)
        out.append(g)
    return out


def _package_schema(table: pd.DataFrame, year: int | None) -> dict:
    """Tables that lost their stamp (a concatenation of test rows, the data-quality summary).

    Recognised by the package's own tidy columns (``crosstab().test``; ``prepare``'s summary),
    with the categories from the codebook.
    """
    cols = set(table.columns)
    if {"row", "col", "statistic", "dof", "n", "method"} <= cols:
        variables, tables = {}, {}
        for r in table.to_dict("records"):
            rc, cc = _codebook_categories(str(r["row"])), _codebook_categories(str(r["col"]))
            if rc is None or cc is None:
                continue
            variables[r["row"]], variables[r["col"]] = rc, cc
            # the codebook's answers, merged as the statistics publish them (disclosure_merge)
            tables[f"{r['row']} x {r['col']}"] = {
                "row_cats": _published_cats(str(r["row"]), rc), "col_cats": _published_cats(str(r["col"]), cc)}
        return {"kind": "crosstab_test", "year": year, "variables": variables, "tables": tables}
    if {"measure", "variable", "n", "base"} <= cols:
        from analysis.codebook import load_codebook

        cb = load_codebook()
        variables, names = {}, {}
        for v in pd.unique(table["variable"].dropna()):
            v = str(v)
            col = v
            if v in cb and cb[v].type == "multiple_choice":
                col = cb[v].columns[0]
                names[v] = col
            cats = _codebook_categories(col)
            if cats is not None:
                variables[col] = cats
        return {"kind": "data_quality", "year": year, "variables": variables, "names": names}
    return {}


def _has_none_year(f: dict) -> bool:
    for key in ("cells", "num", "den"):
        v = f.get(key)
        for c in v if isinstance(v, list) else [v]:
            if isinstance(c, dict) and c.get("year") is None:
                return True
    return "year" in f and f["year"] is None
