"""Text matching helpers shared by every ingest step: normalisation and per-distinct-value mapping.

Headers and answers match the codebook regardless of case, surrounding or repeated white space,
non-breaking spaces, Unicode normal form and curly versus straight quotes: :func:`normalize_text`
is applied to both sides. The ``_map_unique`` family applies a function once per distinct value
of a column (a column of 100,000 answers has a handful of distinct labels).

Examples
--------
>>> normalize_text("  Qual\\u00a0è  l\\u2019azienda? ")
"qual è l'azienda?"
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["normalize_text", "clean_text", "NUMBER", "SEPARATOR"]

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\t\r\n"), " ")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
#: An integer, possibly written ``4.0`` or ``4,0``.
NUMBER = re.compile(r"[+-]?\d+(?:[.,]0+)?")
#: Separators between the options of a multiple-choice cell.
SEPARATOR = re.compile(r"\s*[,;]\s*")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def clean_text(value: Any) -> str:
    """NFC, no zero-width characters, plain spaces collapsed, straight quotes (case kept).

    Examples
    --------
    >>> clean_text("Empatia,\\u00a0 Pazienza ")
    'Empatia, Pazienza'
    """
    text = unicodedata.normalize("NFC", str(value)).translate(_ZERO_WIDTH)
    return " ".join(text.translate(_SPACES).translate(_QUOTES).split())


def normalize_text(value: Any) -> str:
    """Normalise a header or an answer for matching against the codebook.

    NFC normal form, non-breaking and other unusual spaces as plain spaces, runs of white
    space collapsed, curly quotes straightened, surrounding space stripped, case folded;
    an integer written as ``4.0`` or ``4,0`` becomes ``4``.

    Examples
    --------
    >>> normalize_text("\\u201cMolto\\u201d\\u00a0 ")
    '"molto"'
    >>> normalize_text(4.0)
    '4'
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value).casefold()
    if NUMBER.fullmatch(text):
        text = str(int(float(text.replace(",", "."))))
    return text


def map_unique(col: pd.Series, func: Any, na: Any = np.nan) -> pd.Series:
    """Apply ``func`` (callable or dict) once per distinct non-missing value of ``col``."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    get = func.get if isinstance(func, dict) else func
    values = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        values[i] = get(u) if not isinstance(func, dict) else get(u, na)
    values[-1] = na
    return pd.Series(values[codes], index=col.index)


def distinct(col: pd.Series) -> list[Any]:
    """Distinct non-missing values of ``col``."""
    return list(pd.factorize(col, use_na_sentinel=True)[1])


def rows_with(col: pd.Series, value: Any) -> pd.Index:
    """Index labels of the cells of ``col`` equal to ``value``."""
    return col.index[(col == value).fillna(False).to_numpy(dtype=bool)]
