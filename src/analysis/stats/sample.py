"""The sample note of a report: base, fieldwork dates and the caveat of a self-selected sample.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"year": [2022] * 3,
...                    "submitted_at": pd.to_datetime(["2022-03-01", "2022-03-10", "2022-04-02"])})
>>> print(sample_note(df, lang="en").split(".")[0])
Base: 3 respondents (2022), who answered online between 1 March 2022 and 2 April 2022
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.stats._common import weights_array
from analysis.stats.disclosure import MIN_CELL, disclosure_info, disclosure_note
from analysis.stats.intervals import effective_n

__all__ = ["sample_summary", "sample_note"]

_MONTHS_IT = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _date(ts: pd.Timestamp, lang: str) -> str:
    months = _MONTHS_IT if lang == "it" else _MONTHS_EN
    return f"{ts.day} {months[ts.month - 1]} {ts.year}"


def sample_summary(
    df: pd.DataFrame,
    *,
    year_col: str = "year",
    time_col: str = "submitted_at",
    weights: str | np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """One row per year: ``n``, ``first``, ``last`` (fieldwork dates), ``n_eff``, ``deff``."""
    w = weights_array(df, weights)
    ww = np.ones(len(df)) if w is None else w
    rows = []
    years = sorted(pd.unique(df[year_col].dropna())) if year_col in df.columns else [None]
    for y in years:
        mask = (df[year_col] == y).to_numpy() if y is not None else np.ones(len(df), bool)
        times = (
            pd.to_datetime(df.loc[mask, time_col])
            if time_col in df.columns
            else pd.Series([], dtype="datetime64[ns]")
        )
        neff = effective_n(ww[mask]) if mask.any() else 0.0
        rows.append(
            {
                "year": None if y is None else int(y),
                "n": int(mask.sum()),
                "first": times.min() if len(times) else pd.NaT,
                "last": times.max() if len(times) else pd.NaT,
                "n_eff": neff,
                "deff": mask.sum() / neff if neff else np.nan,
                "weighted": w is not None,
            }
        )
    return pd.DataFrame(rows)


def sample_note(
    df: pd.DataFrame,
    lang: str = "it",
    *,
    year_col: str = "year",
    time_col: str = "submitted_at",
    weights: str | np.ndarray | pd.Series | None = None,
    min_cell: int = MIN_CELL,
    disclosure: Any = None,
) -> str:
    """The paragraph a report prints about its sample (Italian or English).

    States the base, the fieldwork dates (from ``submitted_at``), that the sample is
    self-selected and online so the intervals describe the sample and are not margins
    of error of a population (AAPOR's guidance on non-probability samples), the weights
    (Kish design effect and effective n) if any, and the disclosure rule.

    Parameters
    ----------
    disclosure : DataFrame, dict or list, optional
        Tables whose ``attrs["disclosure"]`` to describe; by default the rule for ``min_cell``.
    """
    s = sample_summary(df, year_col=year_col, time_col=time_col, weights=weights)
    it = lang == "it"
    parts = []
    for _, r in s.iterrows():
        yr = f" ({r['year']})" if r["year"] is not None else ""
        dates = ""
        if pd.notna(r["first"]):
            dates = (
                f", che hanno risposto online tra il {_date(r['first'], lang)} e il {_date(r['last'], lang)}"
                if it
                else f", who answered online between {_date(r['first'], lang)} and {_date(r['last'], lang)}"
            )
        parts.append(f"{r['n']} {'rispondenti' if it else 'respondents'}{yr}{dates}")
    sep = "; " if len(parts) > 1 else ""
    text = ("Base: " + sep.join(parts) + ".") if parts else ""
    if it:
        text += (
            " Il campione è auto-selezionato: hanno risposto i professionisti che hanno scelto di partecipare "
            "a un questionario online diffuso tramite reti professionali. Non è un campione probabilistico, "
            "quindi gli intervalli di confidenza riportati descrivono la variabilità del campione e non sono "
            "margini di errore riferiti a tutti i professionisti del customer service (come raccomanda l'AAPOR)."
        )
    else:
        text += (
            " The sample is self-selected: the professionals who chose to take part answered an online "
            "questionnaire shared through professional networks. It is not a probability sample, so the "
            "confidence intervals shown describe the variability of the sample and are not margins of error "
            "for all customer-service professionals (as AAPOR advises)."
        )
    if weights is not None:
        n, neff = int(s["n"].sum()), float(np.sum(s["n_eff"]))
        text += (
            " I dati sono ponderati alle distribuzioni note della popolazione (raking); effetto del disegno "
            f"di Kish {f'{n / neff:.2f}'.replace('.', ',')}, numerosità effettiva {neff:.0f} su {n}."
            if it
            else f" Data are weighted to known population margins (raking); Kish design effect {n / neff:.2f}, "
            f"effective sample size {neff:.0f} of {n}."
        )
    info = disclosure if disclosure is not None else disclosure_info(None, min_cell=min_cell)
    return text + " " + disclosure_note(info, lang)
