"""Reader views of the tidy tables: the protected display columns, readable headers.

The tidy tables of :mod:`analysis.stats` carry both the exact figures (for researchers)
and their protected display strings (``n_display``, ``pct_display``); these helpers pick
the display strings for a report, so a hidden cell can never reach a reader by accident.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"label": ["Yes", "No"], "n_display": ["12", "<5"],
...                   "pct_display": ["80%", ""], "ci_low": [55.0, 2.0], "ci_high": [93.0, 45.0],
...                   "suppressed": ["", "primary"], "pct_hidden": [False, True]})
>>> reader_view(t, lang="en")["95% CI"].tolist()
['55–93%', '']
>>> list(reader_view(t, lang="it", alpha=0.1).columns)
['Risposta', 'n', '%', 'IC 90%']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.config import DEFAULT_ALPHA, DEFAULT_LANG
from analysis.parameters import format_percent_level

__all__ = ["protect_table", "reader_view"]

_HEADERS = {
    "en": {"label": "Answer", "n_display": "n", "pct_display": "%", "ci": "{level} CI"},
    "it": {"label": "Risposta", "n_display": "n", "pct_display": "%", "ci": "IC {level}"},
}


def _hidden(table: pd.DataFrame) -> pd.Series:
    hidden = pd.Series(False, index=table.index)
    if "suppressed" in table.columns:
        hidden |= table["suppressed"].fillna("").astype(str).str.len() > 0
    if "pct_hidden" in table.columns:
        hidden |= table["pct_hidden"].fillna(True).astype(bool)
    return hidden


def reader_view(
    table: pd.DataFrame, by: str | Sequence[str] | None = None, *, lang: str = DEFAULT_LANG,
    alpha: float = DEFAULT_ALPHA,
) -> pd.DataFrame:
    """The protected, readable view of a frequency-style table.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~analysis.stats.frequencies`, :func:`~analysis.stats.multiple_response`
        (``.table``) or :func:`~analysis.stats.trend` (``.table``): needs ``label``,
        ``n_display``, ``pct_display`` and, optionally, ``ci_low``/``ci_high`` (in %).
    by : str or list of str, optional
        Group columns to keep in front.
    lang : {"it", "en"}
        Language of the headers.
    alpha : float, default 0.05
        Significance level the table's intervals were computed at (pass the same ``alpha``):
        the interval's header says ``1 - alpha`` (``"90% CI"`` for 0.1).

    Returns
    -------
    DataFrame
        Group columns, answer, n, % and the interval (blank where the cell or its
        percentage is hidden by disclosure control).
    """
    heads = dict(_HEADERS.get(lang, _HEADERS["en"]))
    heads["ci"] = heads["ci"].format(level=format_percent_level(alpha))
    groups = [by] if isinstance(by, str) else list(by or [])
    out = table[groups + ["label", "n_display", "pct_display"]].copy()
    if {"ci_low", "ci_high"} <= set(table.columns):
        ci = table["ci_low"].map("{:.0f}".format) + "–" + table["ci_high"].map("{:.0f}%".format)
        out[heads["ci"]] = ci.where(~_hidden(table), "")
    out = out.rename(columns={k: v for k, v in heads.items() if k in out.columns})
    out.index = [""] * len(out)  # no row numbers in a report
    return out


#: Exact figures that a hidden cell must not carry out of the package.
_CELL_FIGURES = ("n", "count", "pct", "ci_low", "ci_high", "pct_respondents", "pct_responses",
                 "row_pct", "col_pct")
_PCT_FIGURES = ("pct", "ci_low", "ci_high", "pct_respondents", "pct_responses", "row_pct", "col_pct")
_BASE_FIGURES = ("base_n", "base", "n_eff")


def protect_table(table: pd.DataFrame) -> pd.DataFrame:
    """Blank the exact figures that disclosure control hides, for a table that leaves the package.

    The tidy tables keep exact counts next to their display strings (for researchers working
    inside the package, ``min_cell=0`` aside); a table written to a report (CSV) must carry only
    what the reader may see. Rows flagged in ``suppressed`` lose their counts, percentages and
    intervals; rows with ``pct_hidden`` lose percentages and intervals; a withheld base
    (``base_shown`` False) loses ``base_n``/``base``/``n_eff``; ``dk_n`` follows ``dk_display``.
    A table without these columns is returned unchanged (a copy).

    Examples
    --------
    >>> t = pd.DataFrame({"n": [12, 3], "pct": [80.0, 20.0], "suppressed": ["", "primary"],
    ...                   "n_display": ["12", "<5"]})
    >>> protect_table(t)["n"].tolist()
    [12.0, nan]
    """
    out = table.copy()
    if "suppressed" in out.columns:
        hidden = out["suppressed"].fillna("").astype(str).str.len() > 0
        for col in _CELL_FIGURES:
            if col in out.columns:
                out[col] = out[col].astype(float).where(~hidden)
    if "pct_hidden" in out.columns:
        hidden = out["pct_hidden"].fillna(True).astype(bool)
        for col in _PCT_FIGURES:
            if col in out.columns:
                out[col] = out[col].astype(float).where(~hidden)
    if "base_shown" in out.columns:
        shown = out["base_shown"].fillna(False).astype(bool)
        for col in _BASE_FIGURES:
            if col in out.columns:
                out[col] = out[col].astype(float).where(shown)
    if {"dk_n", "dk_display"} <= set(out.columns):
        exact = out["dk_display"].astype(str).str.fullmatch(r"\d+")
        out["dk_n"] = out["dk_n"].astype(float).where(exact)
    return out
