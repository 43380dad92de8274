"""The message catalogue and the locale formatting of the report layer (analysis.present)."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import math
import re

import pytest

from analysis.present import messages, numbers
from analysis.present.messages import MessageError, catalogue, t, tn
from analysis.present.numbers import fmt_ci, fmt_date, fmt_number, fmt_p, fmt_pct, fmt_ratio


def test_catalogue_every_key_has_both_languages_and_the_same_fields() -> None:
    assert messages.problems() == []
    assert len(catalogue()) > 100


def test_catalogue_completeness_check_finds_a_missing_language(monkeypatch) -> None:
    fake = {"a.b": {"it": "ciao {n}", "en": "hello {m}"}, "c": {"it": "solo"}, "d": {"it": "x", "en": " "}}
    monkeypatch.setattr(messages, "catalogue", lambda: fake)
    found = messages.problems()
    assert "a.b: fields differ (it ['n'], en ['m'])" in found
    assert "c: no en text" in found
    assert "d: no en text" in found


def test_italian_entries_are_not_english_copies() -> None:
    """An Italian text equal to its English one must be a symbol, a name or a shared term."""
    shared = {"%", "N", "p", "AIC", "logit", "probit", "cauchit", "log-log", "Test", "Odds ratio", "Brant (Wald)",
              "{label}: {values}", ". ", "no"}
    same = [k for k, v in catalogue().items() if v["it"] == v["en"] and v["it"] not in shared]
    assert same == []


def test_t_fills_fields_and_names_what_is_missing() -> None:
    assert t("note.base", "it", n="1.234") == "Base: 1.234 rispondenti."
    with pytest.raises(MessageError, match="needs a value for 'n'"):
        t("note.base", "en")
    with pytest.raises(MessageError, match="not in messages.yaml"):
        t("no.such.key", "it")
    with pytest.raises(MessageError, match="language must be one of it, en"):
        t("toc.title", "fr")
    assert tn("unit.respondents", 1, "en") == "respondent"
    assert tn("unit.respondents", 0, "it") == "rispondenti"


@pytest.mark.parametrize(
    ("value", "decimals", "lang", "expected"),
    [
        (0.408, 2, "it", "0,41"),
        (0.408, 2, "en", "0.41"),
        (1234567.891, 1, "it", "1.234.567,9"),
        (1234567.891, 1, "en", "1,234,567.9"),
        (-0.004, 2, "en", "0.00"),  # no "-0.00"
        (-2.5, 1, "it", "−2,5"),
        (float("nan"), 2, "it", ""),
        (None, 2, "en", ""),
        (math.inf, 2, "en", "∞"),
    ],
)
def test_fmt_number(value, decimals, lang, expected) -> None:
    assert fmt_number(value, decimals, lang) == expected


@pytest.mark.parametrize(
    ("p", "lang", "expected"),
    [
        (1.4e-25, "en", "< 0.001"),
        (0.0, "it", "< 0,001"),
        (0.000999, "it", "< 0,001"),
        (0.001, "it", "0,001"),
        (0.0042, "it", "0,004"),
        (0.0312, "it", "0,03"),
        (0.05, "en", "0.05"),
        (1.0, "it", "1,00"),
        (float("nan"), "it", ""),
    ],
)
def test_fmt_p(p, lang, expected) -> None:
    assert fmt_p(p, lang) == expected


def test_percentages_intervals_ratios_dates() -> None:
    assert fmt_pct(50.5, lang="en") == "50%"  # round half to even, as Python's round
    assert fmt_pct(51.4, 1, "it") == "51,4%"
    assert fmt_pct(3.2, lang="it", sign=True) == "+3%"
    assert fmt_ci(43.2, 59.8, lang="it", pct=True) == "43–60%"
    assert fmt_ci(-1.234, 0.5, 2, "it") == "−1,23 a 0,50"
    assert fmt_ci(float("nan"), 1, 2, "it") == ""
    assert fmt_ratio(1.0, "it") == "1,00"
    assert fmt_ratio(0.045, "it") == "0,04" or fmt_ratio(0.045, "it") == "0,05"
    assert fmt_date(dt.date(2020, 4, 10), "it") == "10 aprile 2020"
    assert fmt_date(dt.datetime(2020, 4, 10, 13, 5), "en") == "10 April 2020"
    assert numbers.fmt_list(["a"], "it") == "a"
    assert numbers.fmt_list(["a", "b"], "en") == "a and b"


def test_italian_numbers_use_the_decimal_comma() -> None:
    texts = [fmt_number(x, 2, "it") for x in (0.5, 12.25, 3.14159)]
    assert all("," in s and "." not in s for s in texts)
    assert not re.search(r"\d\.\d", " ".join(texts))


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="language must be one of it, en"):
        fmt_number(1.0, 2, "de")


@pytest.mark.parametrize("module", ["numbers", "messages"])
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"analysis.present.{module}")
    assert doctest.testmod(mod, optionflags=doctest.ELLIPSIS).failed == 0
