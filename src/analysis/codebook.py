"""The questionnaire as data.

The codebook (``data/codebook/softskills.yaml``) is the one place that knows each
question's variable name, its text in Italian (as asked) and English, its type, its
answer options in order (codes and labels in both languages), which answers mean
"don't know", which questionnaire version a year uses, and which years of a question
are comparable.

Conventions of the prepared data (one row per respondent), derived from the codebook:

======================  ===============================================================
variable type           prepared columns
======================  ===============================================================
profile, likert,        ``<name>``: pandas Categorical of the option *codes*, in codebook
ordinal, single_choice, order (ordered for likert / ordinal / ordered profiles); a
yes_no_dk               don't-know answer is missing here and ``<name>_dk`` is True
multiple_choice         ``<name>__<option code>``: nullable boolean, one per option
                        (missing when the respondent skipped the whole question)
battery                 ``<name>__<item code>``: ordered Categorical per item
free_text               ``<name>``: only when explicitly requested (personal data)
======================  ===============================================================

Examples
--------
>>> from analysis.codebook import load_codebook
>>> cb = load_codebook()
>>> cb.version_for(2020).name
'2020'
>>> cb["q2_relevance"].labels("en")[:2]
['Not at all', 'Slightly']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.config import CODEBOOK_PATH, LANGS

__all__ = [
    "VARIABLE_TYPES",
    "SCALE_TYPES",
    "CodebookError",
    "Option",
    "Variable",
    "Version",
    "Codebook",
    "load_codebook",
    "parse_codebook",
]

#: Every type a variable may have.
VARIABLE_TYPES: frozenset[str] = frozenset(
    {
        "likert",
        "ordinal",
        "single_choice",
        "multiple_choice",
        "yes_no_dk",
        "free_text",
        "profile",
        "battery",
    }
)
#: Types whose answers form an ordered scale.
SCALE_TYPES: frozenset[str] = frozenset({"likert", "ordinal", "battery"})



class CodebookError(ValueError):
    """The codebook file is invalid; the message names the entry at fault."""


@dataclass(frozen=True)
class Option:
    """One answer option: a stable code and its labels in Italian and English."""

    code: str | int
    it: str
    en: str

    def label(self, lang: str = "it") -> str:
        """Return the label in ``lang`` (``"it"`` or ``"en"``)."""
        return self.it if lang == "it" else self.en


@dataclass(frozen=True)
class Variable:
    """One question (or profile item) of the questionnaire."""

    name: str
    type: str
    text_it: str
    text_en: str
    options: tuple[Option, ...] = ()
    dont_know: tuple[Option, ...] = ()
    ordered: bool = False
    number: int | None = None
    other: Option | None = None
    other_free_text: str | None = None
    items: tuple[Option, ...] = ()
    comparable: tuple[int, int | None] | None = None
    personal: bool = False
    anchors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # -- labels -------------------------------------------------------------------
    def text(self, lang: str = "it") -> str:
        """Question text in ``lang``."""
        return self.text_it if lang == "it" else self.text_en

    @property
    def codes(self) -> list[str | int]:
        """Option codes in codebook order (with ``other`` last when the question has one)."""
        codes = [o.code for o in self.options]
        if self.other is not None:
            codes.append(self.other.code)
        return codes

    def labels(self, lang: str = "it") -> list[str]:
        """Option labels in codebook order (with ``other`` last when present)."""
        opts = list(self.options) + ([self.other] if self.other is not None else [])
        return [o.label(lang) for o in opts]

    def label_map(self, lang: str = "it") -> dict[str | int, str]:
        """Mapping from option code to label (don't-know options included)."""
        opts = list(self.options) + list(self.dont_know)
        if self.other is not None:
            opts.append(self.other)
        return {o.code: o.label(lang) for o in opts}

    @property
    def is_scale(self) -> bool:
        """True when the answers are ordered (likert, ordinal, battery, ordered profile)."""
        return self.type in SCALE_TYPES or (self.type == "profile" and self.ordered)

    @property
    def has_dont_know(self) -> bool:
        """True when the question offers a don't-know answer."""
        return bool(self.dont_know)

    # -- prepared columns ------------------------------------------------------------
    def dtype(self) -> pd.CategoricalDtype:
        """The Categorical dtype of a single-valued variable or of each battery item."""
        return pd.CategoricalDtype(self.codes, ordered=self.is_scale)

    def column_for(self, code: str | int) -> str:
        """Prepared column of one option (multiple choice) or item (battery)."""
        return f"{self.name}__{code}"

    @property
    def columns(self) -> list[str]:
        """Names of the prepared columns holding this variable's answers."""
        if self.type == "multiple_choice":
            return [self.column_for(o.code) for o in self.options]
        if self.type == "battery":
            return [self.column_for(i.code) for i in self.items]
        return [self.name]

    @property
    def dont_know_column(self) -> str | None:
        """Name of the boolean don't-know flag column, if the question offers one."""
        return f"{self.name}_dk" if self.dont_know else None

    def is_comparable(self, year: int) -> bool:
        """Whether ``year``'s answers are comparable with the question's reference form."""
        if self.comparable is None:
            return False
        first, last = self.comparable
        return year >= first and (last is None or year <= last)

    def to_labels(self, series: pd.Series, lang: str = "it") -> pd.Series:
        """Relabel a prepared Categorical of codes with the codebook's labels in ``lang``.

        The result keeps the order (and orderedness) of the codes.
        """
        mapping = self.label_map(lang)
        codes = [c for c in self.codes]
        labels = [mapping[c] for c in codes]
        out = pd.Categorical(series.astype("object"), categories=codes, ordered=self.is_scale)
        return pd.Series(out.rename_categories(labels), index=series.index, name=series.name)


@dataclass(frozen=True)
class Version:
    """A version of the questionnaire, valid for ``first_year``..``last_year`` (None = open)."""

    name: str
    first_year: int
    last_year: int | None
    variables: tuple[str, ...]

    def covers(self, year: int) -> bool:
        """Whether this version is the one used in ``year``."""
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)


@dataclass(frozen=True)
class Codebook:
    """The whole questionnaire: variables, versions and export metadata."""

    variables: Mapping[str, Variable]
    versions: tuple[Version, ...]
    metadata: Mapping[str, Any]
    title: Mapping[str, str]
    path: Path | None = None

    def __getitem__(self, name: str) -> Variable:
        try:
            return self.variables[name]
        except KeyError:
            raise KeyError(f"no variable {name!r} in the codebook") from None

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def version_for(self, year: int) -> Version:
        """Return the questionnaire version used in ``year``.

        Raises
        ------
        KeyError
            If no version covers ``year``.
        """
        for version in self.versions:
            if version.covers(year):
                return version
        ranges = ", ".join(f"{v.first_year}-{v.last_year or ''}" for v in self.versions)
        raise KeyError(f"no questionnaire version covers year {year} (versions: {ranges})")

    def variables_for(self, year: int, *, include_personal: bool = False) -> list[Variable]:
        """Variables asked in ``year`` in codebook order (personal free text left out by default)."""
        names = set(self.version_for(year).variables)
        return [
            v
            for v in self.variables.values()
            if v.name in names and (include_personal or not v.personal)
        ]

    def questions(self, year: int | None = None) -> list[Variable]:
        """The numbered survey questions (not the profile), optionally only those asked in ``year``."""
        pool = self.variables_for(year) if year is not None else list(self.variables.values())
        return [v for v in pool if v.number is not None]

    @property
    def profile(self) -> list[Variable]:
        """Profile variables (role, service type, sector, size, experience)."""
        return [v for v in self.variables.values() if v.type == "profile"]

    def comparable_years(self, name: str, years: Iterable[int]) -> list[int]:
        """Of ``years``, those in which variable ``name`` was asked and is comparable."""
        var = self[name]
        out = []
        for year in sorted(set(years)):
            try:
                asked = name in self.version_for(year).variables
            except KeyError:
                asked = False
            if asked and var.is_comparable(year):
                out.append(year)
        return out

    def header_aliases(self, key: str) -> list[str]:
        """Export headers of a metadata column (``timestamp``, ``personal``, ...)."""
        entry = self.metadata.get(key, {})
        return list(entry.get("headers", [])) if isinstance(entry, Mapping) else []


# ------------------------------------------------------------------------------------
# parsing


def _fail(where: str, msg: str) -> CodebookError:
    return CodebookError(f"codebook entry {where}: {msg}")


def _parse_options(raw: Any, where: str, option_sets: Mapping[str, Any]) -> tuple[Option, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        if raw not in option_sets:
            raise _fail(where, f"unknown option set {raw!r} (known: {', '.join(sorted(option_sets))})")
        raw = option_sets[raw]
    if not isinstance(raw, list):
        raise _fail(where, "options must be a list or the name of an option set")
    opts: list[Option] = []
    seen: set[str | int] = set()
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or "code" not in item:
            raise _fail(where, f"option {i} has no code")
        code = item["code"]
        for lang in LANGS:
            label = item.get(lang)
            if not isinstance(label, str) or not label.strip():
                raise _fail(where, f"option {code!r} has no {lang!r} label")
        if code in seen:
            raise _fail(where, f"option code {code!r} appears twice")
        seen.add(code)
        opts.append(Option(code=code, it=item["it"], en=item["en"]))
    return tuple(opts)


def _parse_range(raw: Any, where: str) -> tuple[int, int | None] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("first_year"), int):
        raise _fail(where, "comparable needs first_year (and last_year, or null)")
    last = raw.get("last_year")
    if last is not None and (not isinstance(last, int) or last < raw["first_year"]):
        raise _fail(where, "comparable.last_year must be a year not before first_year, or null")
    return raw["first_year"], last


def _parse_variable(raw: Mapping[str, Any], option_sets: Mapping[str, Any]) -> Variable:
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail(repr(name), "variable name must be an identifier")
    where = f"{name!r}"
    vtype = raw.get("type")
    if vtype not in VARIABLE_TYPES:
        raise _fail(where, f"unknown type {vtype!r} (expected one of: {', '.join(sorted(VARIABLE_TYPES))})")
    text = raw.get("text") or {}
    for lang in LANGS:
        if not isinstance(text.get(lang), str) or not text[lang].strip():
            raise _fail(where, f"no question text in {lang!r}")
    options = _parse_options(raw.get("options"), where, option_sets)
    if vtype not in {"free_text"} and not options:
        raise _fail(where, f"a {vtype} question needs options")
    dont_know = _parse_options(raw.get("dont_know"), where + " (dont_know)", option_sets)
    clash = {o.code for o in options} & {o.code for o in dont_know}
    if clash:
        raise _fail(where, f"don't-know code(s) {sorted(clash)!r} also used by an answer option")
    other = None
    other_free_text = None
    if raw.get("other") is not None:
        o = raw["other"]
        (other,) = _parse_options([o], where + " (other)", option_sets)
        other_free_text = o.get("free_text")
    items: tuple[Option, ...] = ()
    if vtype == "battery":
        items = _parse_options(raw.get("items"), where + " (items)", option_sets)
        if not items:
            raise _fail(where, "a battery needs items")
    anchors = {k: tuple(v) for k, v in (raw.get("anchors") or {}).items()}
    return Variable(
        name=name,
        type=vtype,
        text_it=text["it"],
        text_en=text["en"],
        options=options,
        dont_know=dont_know,
        ordered=bool(raw.get("ordered", vtype in SCALE_TYPES)),
        number=raw.get("number"),
        other=other,
        other_free_text=other_free_text,
        items=items,
        comparable=_parse_range(raw.get("comparable"), where),
        personal=bool(raw.get("personal", False)),
        anchors=anchors,
    )


def parse_codebook(raw: Mapping[str, Any], path: Path | None = None) -> Codebook:
    """Build a :class:`Codebook` from its parsed YAML, checking every rule.

    Raises
    ------
    CodebookError
        Duplicate variable, option without a label, unknown type, unknown option set,
        overlapping version year ranges, a version listing an unknown variable.
    """
    if not isinstance(raw, Mapping):
        raise CodebookError("codebook: the file must be a mapping with 'variables' and 'versions'")
    option_sets = raw.get("option_sets") or {}
    variables: dict[str, Variable] = {}
    for entry in raw.get("variables") or []:
        var = _parse_variable(entry, option_sets)
        if var.name in variables:
            raise _fail(repr(var.name), "duplicate variable name")
        variables[var.name] = var
    if not variables:
        raise CodebookError("codebook: no variables defined")
    for var in variables.values():
        if var.other_free_text is not None and var.other_free_text not in variables:
            raise _fail(repr(var.name), f"other.free_text names unknown variable {var.other_free_text!r}")

    versions: list[Version] = []
    for entry in raw.get("versions") or []:
        vname = str(entry.get("name"))
        first = entry.get("first_year")
        last = entry.get("last_year")
        if not isinstance(first, int) or (last is not None and (not isinstance(last, int) or last < first)):
            raise _fail(f"version {vname!r}", "needs an integer first_year and a last_year not before it (or null)")
        names = tuple(entry.get("variables") or [])
        unknown = [n for n in names if n not in variables]
        if unknown:
            raise _fail(f"version {vname!r}", f"lists unknown variable(s): {', '.join(unknown)}")
        versions.append(Version(vname, first, last, names))
    if not versions:
        raise CodebookError("codebook: no versions defined")
    versions.sort(key=lambda v: v.first_year)
    for a, b in zip(versions, versions[1:], strict=False):
        if a.last_year is None or a.last_year >= b.first_year:
            raise _fail(
                f"version {b.name!r}",
                f"its years ({b.first_year}-{b.last_year or ''}) overlap version {a.name!r} "
                f"({a.first_year}-{a.last_year or ''})",
            )
    return Codebook(
        variables=variables,
        versions=tuple(versions),
        metadata=raw.get("metadata") or {},
        title=raw.get("title") or {},
        path=path,
    )


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Codebook:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CodebookError(f"codebook {p.name}: not valid YAML ({exc})") from None
    return parse_codebook(raw, path=p)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and check the codebook (cached until the file changes).

    Parameters
    ----------
    path : str or Path, optional
        YAML file; defaults to ``data/codebook/softskills.yaml``.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        If the file is missing or breaks a rule; the message names the entry.
    """
    p = Path(path) if path is not None else CODEBOOK_PATH
    if not p.exists():
        raise CodebookError(f"codebook file not found: {p}")
    return _load_cached(str(p.resolve()), p.stat().st_mtime)
