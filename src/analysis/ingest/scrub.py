"""Step *scrub*: personal data out at the door, keeping only two non-personal facts.

Personal columns (the codebook's ``metadata.personal`` headers, a tool's IP address / e-mail /
name / location fields, free text typed under "other") are read once and dropped. Before that:

- **test submission**: a personal field or a free-text answer contains one of
  ``metadata.test_markers`` as a whole word (``test@example.com`` and ``Prova Rossi`` are test
  rows, ``mario.testa@...`` is not);
- **person number**: the same e-mail address gets the same anonymous number (to tell a second
  submission by the same person from a duplicate). An *anonymous* Microsoft Forms export writes
  ``anonymous`` as every e-mail: recognised, and no person numbers are made from it.

Examples
--------
>>> import pandas as pd
>>> person_numbers(pd.Series(["a@x.it", "b@x.it", "A@x.it "])).tolist()
[0, 1, 0]
>>> person_numbers(pd.Series(["anonymous", "anonymous"])).isna().all()
np.True_
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.codebook import Codebook
from analysis.ingest.text import map_unique, normalize_text

__all__ = ["scrub", "test_pattern", "contains_marker", "person_numbers", "is_anonymous", "ANONYMOUS"]

_TEST_WORD = r"(?<![^\W\d_])(?:{})(?![^\W\d_])"
#: Status values of a tool that mark a test row (Qualtrics ``Status``).
PREVIEW = frozenset({"survey preview", "survey test", "anteprima sondaggio", "test del sondaggio"})
#: What an anonymous form writes instead of an e-mail address.
ANONYMOUS = frozenset({"anonymous", "anonimo", "anonima", "anonymous user", "utente anonimo"})


def test_pattern(cb: Codebook) -> re.Pattern[str] | None:
    """The codebook's test markers as one whole-word, case-insensitive pattern."""
    markers = [str(m) for m in (cb.metadata.get("test_markers") or []) if str(m).strip()]
    if not markers:
        return None
    return re.compile(_TEST_WORD.format("|".join(re.escape(m) for m in markers)), re.IGNORECASE)


def contains_marker(series: pd.Series, pattern: re.Pattern[str] | None) -> pd.Series:
    """True where a cell contains a test marker (one regex search per distinct value)."""
    if pattern is None:
        return pd.Series(False, index=series.index)
    return map_unique(series, lambda u: bool(pattern.search(str(u))), False).astype(bool)


def is_anonymous(col: pd.Series) -> bool:
    """Every non-empty e-mail cell says ``anonymous`` (an anonymous Microsoft Forms form)."""
    keys = col.dropna().astype("string").str.strip().str.casefold()
    keys = keys[keys.ne("")]
    return bool(len(keys)) and bool(keys.isin(ANONYMOUS).all())


def person_numbers(col: pd.Series) -> pd.Series:
    """Anonymous number per distinct e-mail address (missing where none, or ``anonymous``)."""
    keys = col.astype("string").str.strip().str.casefold()
    keys = keys.where(keys.ne("") & ~keys.isin(ANONYMOUS))
    codes, _ = pd.factorize(keys)
    out = pd.Series(pd.array(np.where(codes >= 0, codes, 0), dtype="Int64"), index=col.index)
    out[codes < 0] = pd.NA
    return out


def scrub(
    frame: pd.DataFrame,
    header: list[str],
    personal: list[int],
    free_text: dict[int, str],
    answers: pd.DataFrame,
    cb: Codebook,
    year: int,
    keep_free_text: bool = False,
) -> tuple[pd.DataFrame, pd.Series, pd.Series, bool]:
    """Drop the personal data of an export, keeping the test flag and person numbers.

    Parameters
    ----------
    frame : DataFrame
        The cells as read (columns by position).
    header : list of str
        Headers as written.
    personal : list of int
        Positions of personal columns.
    free_text : dict
        Position -> field key of free-text answer columns.
    answers : DataFrame
        The mapped answers (field key -> cells); single-choice cells holding text that is no
        option (Google Forms writes the text typed under "other" there) become "other".
    cb, year, keep_free_text
        Codebook, survey year; keep the free text (personal) under ``<question>_other``.

    Returns
    -------
    answers : DataFrame
        Without personal data (unless ``keep_free_text``).
    is_test : Series of bool
    person : Series of Int64
    anonymous : bool
        The export's e-mail column says ``anonymous`` on every row.
    """
    from analysis.ingest.code import labels_of

    pattern = test_pattern(cb)
    idx = frame.index
    is_test = pd.Series(False, index=idx)
    person = pd.Series(pd.array([pd.NA] * len(idx), dtype="Int64"), index=idx)
    anonymous = False
    for pos in personal:
        col = frame[pos]
        is_test |= contains_marker(col, pattern)
        is_test |= col.astype("string").str.strip().str.casefold().isin(PREVIEW).fillna(False).astype(bool)
        head = header[pos].casefold()
        if ("mail" in head or "posta elettronica" in head) and person.isna().all():
            if is_anonymous(col):
                anonymous = True
            else:
                person = person_numbers(col)
    answers = answers.copy()
    for pos, key in free_text.items():
        is_test |= contains_marker(frame[pos], pattern)
        if keep_free_text:
            answers[key] = frame[pos]
    # single choice with "other": text that is no option is an "other" answer (free text)
    for var in cb.variables_for(year):
        if var.other is None or var.name not in answers:
            continue
        labels = labels_of(var)
        col = answers[var.name]
        is_other = map_unique(
            col, lambda u, lab=labels: normalize_text(u) not in lab.codes and normalize_text(u) not in lab.dont_know,
            False,
        ).astype(bool)
        if is_other.any():
            is_test |= contains_marker(col.where(is_other), pattern)
            if keep_free_text and var.other_free_text:
                answers[var.other_free_text] = col.where(is_other)
            answers[var.name] = col.where(~is_other, var.other.it)
    return answers, is_test.astype(bool), person, anonymous
