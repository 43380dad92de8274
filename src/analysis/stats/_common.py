"""Shared helpers: codebook look-up of a prepared column, weights, groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analysis.codebook import Codebook, Variable, load_codebook
from analysis.errors import SurveyUsageError

__all__ = [
    "Resolved",
    "get_codebook",
    "resolve",
    "weights_array",
    "group_frame",
    "as_list",
    "label_of",
    "check_known_codes",
]

Weights = str | ArrayLike | pd.Series | None


@dataclass(frozen=True)
class Resolved:
    """A single-valued prepared column and what the codebook says about it."""

    variable: Variable | None
    column: str
    item: str | int | None
    codes: list
    dk_column: str | None
    ordered: bool

    def labels(self, lang: str = "it") -> list[str]:
        if self.variable is None:
            return [str(c) for c in self.codes]
        mapping = self.variable.label_map(lang)
        by_text = {str(k): v for k, v in mapping.items()}
        return [mapping.get(c, None) or " / ".join(by_text.get(p, p) for p in str(c).split(MERGE_SEP))
                for c in self.codes]

    def title(self, lang: str = "it") -> str:
        if self.variable is None:
            return self.column
        text = self.variable.text(lang)
        if self.item is not None:
            item = {i.code: i.label(lang) for i in self.variable.items}.get(
                self.item, str(self.item)
            )
            return f"{text} [{item}]"
        return text


def get_codebook(codebook: Codebook | None) -> Codebook:
    """The given codebook or the project's default one."""
    return codebook if codebook is not None else load_codebook()


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """``None`` -> ``[]``, ``"x"`` -> ``["x"]``, a sequence -> a list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SurveyUsageError(
            f"{what}: column(s) {', '.join(map(repr, missing))} not in the data "
            f"(columns are: {', '.join(map(str, df.columns[:12]))}{'…' if df.shape[1] > 12 else ''})"
        )


def check_known_codes(s: pd.Series, codes: Sequence, column: str) -> None:
    """Raise when ``s`` holds values outside ``codes`` (they would silently become missing).

    Raises
    ------
    SurveyUsageError
        Naming the column, the unknown values, how many rows hold them and the codes expected.

    Examples
    --------
    >>> check_known_codes(pd.Series([1, 2, None]), [1, 2, 3], "q2_relevance")
    >>> check_known_codes(pd.Series(["telecom", "7", "7"]), ["telecom", "other"], "sector")
    Traceback (most recent call last):
    ...
    analysis.errors.SurveyUsageError: column 'sector' holds 1 value(s) the codebook does not know, on 2 row(s): '7'; its codes are: 'telecom', 'other' (prepare the export with analysis.prepare, or map the file's codes to the codebook's)
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = s.cat.categories[np.unique(s.cat.codes[s.cat.codes >= 0])].tolist()
    else:
        present = pd.Index(pd.unique(s.dropna())).tolist()
    known = set(codes)
    unknown = [v for v in present if v not in known]
    if not unknown:
        return
    rows = int(s.isin(unknown).sum())
    shown = ", ".join(repr(v) for v in unknown[:8]) + (" …" if len(unknown) > 8 else "")
    raise SurveyUsageError(
        f"column {column!r} holds {len(unknown)} value(s) the codebook does not know, on {rows} row(s): {shown}; "
        f"its codes are: {', '.join(repr(c) for c in codes)} "
        "(prepare the export with analysis.prepare, or map the file's codes to the codebook's)"
    )


#: Joins the codes of a merged category (``"1+2"``, ``"operator+team_leader"``).
MERGE_SEP = "+"


def merged_codes(var: Variable) -> list:
    """The categories of ``var`` after its declared ``disclosure_merge`` (in option order)."""
    out: list = []
    for code in var.codes:
        group = next((g for g in var.merges if code in g), None)
        if group is None:
            out.append(code)
        elif code == group[0]:
            out.append(MERGE_SEP.join(str(c) for c in group))
    return out


def apply_merges(df: pd.DataFrame, columns: Sequence[str], codebook: Codebook | None = None) -> pd.DataFrame:
    """``df`` with the declared merges of ``columns`` applied (a copy if anything changes).

    A merged column is a Categorical of the merged codes (``"1+2"``); :func:`resolve` reads
    it as such, so tables, tests and groups built from it publish the merged category.
    """
    cb = get_codebook(codebook)
    out = df
    for col in dict.fromkeys(columns):
        name = col.partition("__")[0]
        if col not in df.columns or name not in cb or not cb[name].merges or "__" in col:
            continue
        var = cb[name]
        target = {c: MERGE_SEP.join(str(x) for x in g) for g in var.merges for c in g}
        codes = merged_codes(var)
        s = df[col].astype("object")
        mapped = s.map(lambda v, t=target: t.get(v, v) if v is not None and v == v else v)
        if out is df:
            out = df.copy()
        out[col] = pd.Categorical(mapped, categories=codes, ordered=var.is_scale)
    return out


def resolve(df: pd.DataFrame, column: str, codebook: Codebook | None = None) -> Resolved:
    """Find a single-valued column (question, profile item or battery item) in the codebook.

    Columns unknown to the codebook are accepted when they are Categoricals (their
    categories give the codes) or booleans (codes ``False``, ``True``). A codebook column
    holding values the codebook does not know raises (:func:`check_known_codes`) instead of
    turning them into missing values without a word.
    """
    cb = get_codebook(codebook)
    _check_columns(df, [column], "table")
    name, _, item = column.partition("__")
    if name in cb:
        var = cb[name]
        if var.type == "multiple_choice":
            if not item:
                raise SurveyUsageError(
                    f"{column!r} is a multiple-choice question: use multiple_response() "
                    f"or one option column such as {var.columns[0]!r}"
                )
            return Resolved(var, column, None, [False, True], None, False)
        if var.type == "battery":
            if not item:
                raise SurveyUsageError(
                    f"{column!r} is a battery: name an item column such as {var.columns[0]!r}"
                )
            code = next((i.code for i in var.items if str(i.code) == item), item)
            check_known_codes(df[column], list(var.codes), column)
            return Resolved(var, column, code, list(var.codes), None, True)
        if var.type == "free_text":
            raise SurveyUsageError(f"{column!r} is free text: it is counted, never tabulated")
        dk = var.dont_know_column if var.dont_know_column in df.columns else None
        codes = list(var.codes)
        s = df[column]
        if var.merges and isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == merged_codes(var):
            codes = merged_codes(var)  # the declared merge applied (apply_merges)
        check_known_codes(s, codes, column)
        return Resolved(var, column, None, codes, dk, var.is_scale)
    s = df[column]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return Resolved(None, column, None, list(s.cat.categories), None, bool(s.cat.ordered))
    if pd.api.types.is_bool_dtype(s.dtype):
        return Resolved(None, column, None, [False, True], None, False)
    codes = sorted(pd.unique(s.dropna()).tolist())
    return Resolved(None, column, None, codes, None, False)


def categories(df: pd.DataFrame, column: str, codebook: Codebook | None = None) -> list[str]:
    """Every category of ``column`` in the cross-classification the auditor attacks (codes, dk, na)."""
    from analysis.disclosure.describe import categories_of

    res = resolve(df, column, codebook)
    codes = res.codes
    if res.variable is not None and res.variable.merges and "__" not in column:
        codes = list(res.variable.codes)  # the cells are the original answers, merged or not
    return categories_of(codes, res.dk_column is not None)


def weights_array(df: pd.DataFrame, weights: Weights) -> np.ndarray | None:
    """Weights as a float array aligned with ``df`` (``None`` when unweighted).

    Raises
    ------
    SurveyUsageError
        Missing, negative or non-finite weights, or a length that does not match.
    """
    if weights is None:
        return None
    if hasattr(weights, "variance") and hasattr(weights, "weights"):  # a SurveyDesign
        from analysis.stats._design import DesignView

        return DesignView(df, weights).weights
    if isinstance(weights, str):
        _check_columns(df, [weights], "weights")
        w = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float)
        where = f"weight column {weights!r}"
    elif isinstance(weights, pd.Series):
        w = weights.reindex(df.index).to_numpy(dtype=float)
        where = "weights"
    else:
        w = np.asarray(weights, dtype=float)
        where = "weights"
    if w.shape != (len(df),):
        raise SurveyUsageError(f"{where}: {w.size} values for {len(df)} rows")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        first = df.index[np.flatnonzero(bad)[0]]
        raise SurveyUsageError(
            f"{where}: {int(bad.sum())} missing, negative or infinite value(s), first at row {first!r}"
        )
    return w


def group_frame(df: pd.DataFrame, by: list[str]) -> tuple[pd.Series, list[tuple]]:
    """Group key per row (tuple; missing key -> dropped) and the group keys in display order."""
    if not by:
        key = pd.Series([()] * len(df), index=df.index, dtype=object)
        return key, [()]
    _check_columns(df, by, "by")
    sub = df[by]
    ok = sub.notna().all(axis=1)
    keys = pd.Series(
        [
            tuple(r) if o else None
            for r, o in zip(sub.itertuples(index=False, name=None), ok, strict=True)
        ],
        index=df.index,
        dtype=object,
    )
    levels = []
    for col in by:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            present = set(s.dropna().tolist())
            levels.append([c for c in s.cat.categories if c in present])
        else:
            levels.append(sorted(pd.unique(s.dropna()).tolist()))
    order = {tuple(k) for k in keys.dropna()}
    combos = [()]
    for lev in levels:
        combos = [c + (v,) for c in combos for v in lev]
    return keys, [c for c in combos if c in order]


def label_of(codebook: Codebook, column: str, value, lang: str) -> str:
    """Codebook label of one value of a column (the value itself when unknown)."""
    name = column.partition("__")[0]
    if name in codebook:
        mapping = codebook[name].label_map(lang)
        if value not in mapping and isinstance(value, str) and MERGE_SEP in value:
            by_text = {str(k): v for k, v in mapping.items()}
            return " / ".join(by_text.get(p, p) for p in value.split(MERGE_SEP))
        return str(mapping.get(value, value))
    return str(value)
