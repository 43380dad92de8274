"""The message catalogue: every word a reader sees, in Italian and in English.

One YAML file, ``messages.yaml`` beside this module, maps a dotted key to its Italian and
English text. Texts are ``str.format`` templates with named fields (``{n}``, ``{pct}``); both
languages of a key must use the same fields (a test checks completeness and fields).
Numbers are formatted before they are passed in (:mod:`analysis.present.numbers`).
Part of the report layer (:mod:`analysis.present`); the statistics never import it.

Examples
--------
>>> t("toc.title", "it"), t("toc.title", "en")
('Indice', 'Contents')
>>> t("report.title", "it", year=2020)
'Le soft skill nel customer service: indagine 2020'
>>> tn("unit.respondents", 1, "it"), tn("unit.respondents", 3, "en")
('rispondente', 'respondents')
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

from analysis.errors import SurveyUsageError

__all__ = ["CATALOGUE_PATH", "LANGS", "catalogue", "t", "tn", "has", "fields", "problems"]

#: The catalogue file.
CATALOGUE_PATH = Path(__file__).with_name("messages.yaml")
#: Languages every key must have.
LANGS: tuple[str, ...] = ("it", "en")


class MessageError(SurveyUsageError):
    """An unknown key, language or field of the message catalogue."""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """The catalogue as ``{key: {"it": text, "en": text}}`` (read once)."""
    with CATALOGUE_PATH.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    out: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise MessageError(f"{CATALOGUE_PATH.name}: key {key!r} must map languages to texts")
        out[str(key)] = {str(k): str(v) for k, v in entry.items()}
    return out


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in catalogue()


def fields(text: str) -> set[str]:
    """Names of the ``{fields}`` of a template.

    Examples
    --------
    >>> sorted(fields("{n} of {total} ({pct})"))
    ['n', 'pct', 'total']
    """
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def t(key: str, lang: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` with ``values`` filled in.

    Raises
    ------
    MessageError
        Unknown key or language, or a field of the template without a value.
    """
    if lang not in LANGS:
        raise MessageError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise MessageError(f"message {key!r} ({lang}) is not in {CATALOGUE_PATH.name}") from None
    try:
        return text.format(**values) if values or "{" in text else text
    except KeyError as exc:
        raise MessageError(f"message {key!r} needs a value for {exc.args[0]!r}") from None


def tn(key: str, n: float, lang: str, /, **values: object) -> str:
    """Singular or plural of ``key``: ``KEY.one`` when ``n == 1``, else ``KEY.other``."""
    return t(f"{key}.{'one' if n == 1 else 'other'}", lang, n=n, **values)


def problems() -> list[str]:
    """What is wrong with the catalogue: a missing or empty language, fields that differ.

    Examples
    --------
    >>> problems()
    []
    """
    out = []
    for key, entry in catalogue().items():
        for lang in LANGS:
            if not str(entry.get(lang, "")).strip():
                out.append(f"{key}: no {lang} text")
        extra = set(entry) - set(LANGS)
        if extra:
            out.append(f"{key}: unknown language(s) {', '.join(sorted(extra))}")
        if all(lang in entry for lang in LANGS):
            f_it, f_en = fields(entry["it"]), fields(entry["en"])
            if f_it != f_en:
                out.append(f"{key}: fields differ (it {sorted(f_it)}, en {sorted(f_en)})")
    return out
