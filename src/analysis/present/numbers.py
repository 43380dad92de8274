"""Numbers, percentages, p-values, intervals and dates as a reader of the report's language writes them.

Everything a reader sees goes through these functions (Babel's CLDR data): Italian uses the
decimal comma (``0,40``), English the point; p-values are written ``< 0,001`` / ``0,03``;
percentages are rounded to integers unless asked; a missing value is an empty string, never
``nan``. Part of the report layer (:mod:`analysis.present`): statistics stay numbers until here.

Examples
--------
>>> fmt_number(0.408, 2, "it"), fmt_number(1234.5, 1, "en")
('0,41', '1,234.5')
>>> fmt_p(0.0004, "it"), fmt_p(0.0312, "it"), fmt_p(0.0042, "en")
('< 0,001', '0,03', '0.004')
>>> fmt_pct(51.4, lang="it"), fmt_ci(43.2, 59.8, lang="it", pct=True)
('51%', '43–60%')
"""

from __future__ import annotations

import datetime as _dt
import math
from numbers import Real

from babel.dates import format_date
from babel.numbers import format_decimal

from analysis.config import DEFAULT_LANG

__all__ = [
    "LANGS",
    "locale_of",
    "is_missing",
    "fmt_number",
    "fmt_int",
    "fmt_pct",
    "fmt_p",
    "fmt_ci",
    "fmt_ratio",
    "fmt_date",
    "fmt_list",
    "pct_with_article",
]

#: Languages of the reports and their Babel locales.
LANGS: dict[str, str] = {"it": "it_IT", "en": "en_GB"}


def locale_of(lang: str) -> str:
    """Babel locale of a report language (``"it"`` -> ``"it_IT"``).

    Raises
    ------
    ValueError
        For a language the reports do not have.
    """
    try:
        return LANGS[lang]
    except KeyError:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, got {lang!r}") from None


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' missing values.

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(None), is_missing(0)
    (True, True, False)
    """
    if value is None:
        return True
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like is not one missing value
        return False


def fmt_number(value: object, decimals: int = 2, lang: str = DEFAULT_LANG, *, sign: bool = False) -> str:
    """A number with ``decimals`` decimals in the language's notation ("" when missing).

    ``sign=True`` writes ``+`` before positive numbers (for differences). Minus is the
    typographic minus sign (U+2212) so that it never splits from the digits.

    Examples
    --------
    >>> fmt_number(-0.5, 1, "it"), fmt_number(3, 0, "it"), fmt_number(0.25, 2, "it", sign=True)
    ('−0,5', '3', '+0,25')
    """
    if is_missing(value):
        return ""
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    v = round(v, decimals) + 0.0  # no "-0"
    out = format_decimal(abs(v), format=pattern, locale=locale_of(lang))
    if v < 0 and out.strip("0.,") != "":
        return "−" + out
    return ("+" + out) if sign and v > 0 else out


def fmt_int(value: object, lang: str = DEFAULT_LANG) -> str:
    """A count (rounded to an integer) with the language's thousands separator.

    Examples
    --------
    >>> fmt_int(12345, "it"), fmt_int(12345, "en")
    ('12.345', '12,345')
    """
    return fmt_number(value, 0, lang)


def fmt_pct(value: object, decimals: int = 0, lang: str = DEFAULT_LANG, *, sign: bool = False) -> str:
    """A percentage given on the 0-100 scale: ``51%`` (integers by default).

    Examples
    --------
    >>> fmt_pct(7.5, lang="it"), fmt_pct(7.45, 1, "it"), fmt_pct(-3, lang="en", sign=True)
    ('8%', '7,5%', '−3%')
    """
    text = fmt_number(value, decimals, lang, sign=sign)
    return f"{text}%" if text else ""


def fmt_p(p: object, lang: str = DEFAULT_LANG) -> str:
    """A p-value: ``< 0,001`` under 0.001, three decimals under 0.01, two otherwise.

    Examples
    --------
    >>> fmt_p(1.4e-25, "en"), fmt_p(0.0099, "en"), fmt_p(0.5, "it"), fmt_p(1.0, "en")
    ('< 0.001', '0.010', '0,50', '1.00')
    """
    if is_missing(p):
        return ""
    v = float(p)  # type: ignore[arg-type]
    if v < 0.001:
        return "< " + fmt_number(0.001, 3, lang)
    if v < 0.01:
        return fmt_number(v, 3, lang)
    return fmt_number(v, 2, lang)


def fmt_ci(low: object, high: object, decimals: int = 0, lang: str = DEFAULT_LANG, *, pct: bool = False) -> str:
    """An interval ``low–high`` (``43–60%`` with ``pct``); "" when an end is missing.

    Examples
    --------
    >>> fmt_ci(0.81, 1.92, 2, "it"), fmt_ci(-0.5, 0.25, 2, "en")
    ('0,81–1,92', '−0.50 to 0.25')
    """
    if is_missing(low) or is_missing(high):
        return ""
    a = fmt_number(low, decimals, lang)
    b = fmt_number(high, decimals, lang)
    if a.startswith("−") or b.startswith("−"):  # an en dash next to a minus reads badly
        sep = " a " if lang == "it" else " to "
    else:
        sep = "–"
    return f"{a}{sep}{b}{'%' if pct else ''}"


def fmt_ratio(value: object, lang: str = DEFAULT_LANG) -> str:
    """An odds ratio (or any ratio around 1): two decimals, three significant digits if large.

    Examples
    --------
    >>> fmt_ratio(0.4567, "it"), fmt_ratio(12.345, "en"), fmt_ratio(150.2, "en")
    ('0,46', '12.3', '150')
    """
    if is_missing(value):
        return ""
    v = float(value)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return fmt_number(v, 0, lang)
    decimals = 2 if abs(v) < 10 else 1 if abs(v) < 100 else 0
    return fmt_number(v, decimals, lang)


def fmt_date(value: _dt.date | _dt.datetime | str | None, lang: str = DEFAULT_LANG, *, form: str = "long") -> str:
    """A date in the language's words (``1 marzo 2020`` / ``1 March 2020``).

    Examples
    --------
    >>> fmt_date(_dt.date(2020, 3, 1), "it"), fmt_date("2020-03-01", "en")
    ('1 marzo 2020', '1 March 2020')
    """
    if value is None or (isinstance(value, Real) and is_missing(value)):
        return ""
    if isinstance(value, str):
        value = _dt.date.fromisoformat(value[:10])
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        value = value.date()
    return format_date(value, format=form, locale=locale_of(lang))


def fmt_list(items: list[str], lang: str = DEFAULT_LANG) -> str:
    """``a, b and c`` / ``a, b e c`` (Babel's list patterns).

    Examples
    --------
    >>> fmt_list(["Empatia", "Ascolto attivo", "Pazienza"], "it")
    'Empatia, Ascolto attivo e Pazienza'
    """
    from babel.lists import format_list

    items = [str(i) for i in items]
    if not items:
        return ""
    return format_list(items, locale=locale_of(lang))


_IT_ARTICLES = {"": ("il", "l'"), "da": ("dal", "dall'"), "a": ("al", "all'")}
_EN_PREPOSITIONS = {"": "", "da": "from ", "a": "to "}


def pct_with_article(value: object, lang: str, prep: str = "") -> str:
    """A percentage as the subject or object of a sentence: ``l'80%``, ``il 75%``, ``dall'11%``.

    Italian puts an article (joined to ``da``/``a`` when given) before a percentage, elided
    before a number read with a vowel (1, 8, 11, 18, 80-89, 800-899...); English writes the
    percentage, after ``from``/``to`` for ``prep="da"``/``"a"``.

    Examples
    --------
    >>> pct_with_article(80.2, "it"), pct_with_article(75, "it"), pct_with_article(11, "it", "da")
    ("l'80%", 'il 75%', "dall'11%")
    >>> pct_with_article(8, "it", "a"), pct_with_article(60, "en", "da")
    ("all'8%", 'from 60%')
    """
    text = fmt_pct(value, 0, lang)
    if lang != "it":
        return _EN_PREPOSITIONS[prep] + text
    n = abs(int(round(float(value))))  # type: ignore[arg-type]
    digits = str(n)
    vowel = (n in (1, 8, 11, 18) or digits.startswith("8") and len(digits) in (2, 3)
             or (len(digits) in (4, 5, 6) and digits.startswith(("8", "11", "18"))))
    plain, elided = _IT_ARTICLES[prep]
    return f"{elided}{text}" if vowel else f"{plain} {text}"
