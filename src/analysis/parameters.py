"""The typed parameters of a report, validated once wherever they come from.

A :class:`ReportParameters` is what the command line builds from its options, what the
build (:mod:`analysis.reporting`) hands to papermill, and what
:func:`analysis.notebook.setup` validates again at the top of every notebook. One class,
one set of defaults (:mod:`analysis.config`), one error for an unknown or misspelt name.

Light on purpose (no pandas): the command line imports it before deciding whether
anything has to be built.

Examples
--------
>>> import tempfile, pathlib
>>> raw = pathlib.Path(tempfile.mkdtemp()); _ = (raw / "2020.csv").write_text("x\\n")
>>> p = ReportParameters.validate(year=2020, raw_dir=raw, lang="EN", alpha=0.1)
>>> (p.year, p.lang, p.alpha, p.input_path.name, p.confidence_pct)
(2020, 'en', 0.1, '2020.csv', '90%')
>>> ReportParameters.validate(yeer=2021, raw_dir=raw)
Traceback (most recent call last):
...
analysis.parameters.ParameterError: unknown parameter 'yeer' (did you mean 'year'?); known parameters: year, input_path, lang, alpha, link, weights, min_cell, raw_dir, output_dir
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import config
from analysis.errors import SurveyUsageError

__all__ = ["ParameterError", "ReportParameters", "PARAMETER_HELP", "format_percent_level",
           "parameters_cell_source"]


class ParameterError(SurveyUsageError, ValueError):
    """A report parameter is unknown or invalid (one line naming the parameter).

    Inside a Jupyter kernel the error is shown as that line, without a traceback
    (IPython calls :meth:`_render_traceback_`).
    """

    def _render_traceback_(self) -> list[str]:  # IPython hook: no stack for a user's mistake
        return [f"ParameterError: {self}"]


#: One line of help per parameter (the notebooks' parameters cells say the same; a test checks).
PARAMETER_HELP: dict[str, str] = {
    "year": "survey year; its raw export YEAR.csv|xlsx|sav must be in raw_dir unless input_path is given",
    "input_path": 'raw export to analyse; "" means the year\'s file in raw_dir',
    "lang": 'language of the report: "it" or "en"',
    "alpha": "significance level of every test; every interval is at 1 - alpha",
    "link": "link of the ordinal models: logit, probit, cloglog, loglog, cauchit",
    "weights": 'YAML file of population margins to rake to; "" for unweighted results',
    "min_cell": "disclosure control: counts under this are hidden; 0 turns it off (internal use only)",
    "raw_dir": 'folder of the raw exports (every year up to this one is read for trends); "" means data/raw',
    "output_dir": 'folder that receives tables/ and figures/; "" means a new temporary folder',
}


def format_percent_level(alpha: float) -> str:
    """The confidence level ``1 - alpha`` as a percentage label (``0.05 -> '95%'``, ``0.01 -> '99%'``).

    Examples
    --------
    >>> format_percent_level(0.1), format_percent_level(0.005)
    ('90%', '99.5%')
    """
    return f"{100 * (1 - alpha):.10g}%"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "none", "None"))


def _path(value: object) -> Path:
    return Path(str(value)).expanduser()


@dataclass(frozen=True)
class ReportParameters:
    """Validated parameters of one report (a year in a language). Build with :meth:`validate`.

    Attributes
    ----------
    year : int
        Survey year.
    input_path : Path
        Raw export analysed (absolute): the year's file in ``raw_dir`` unless given.
    lang : {"it", "en"}
        Language of everything a reader sees (default :data:`analysis.config.DEFAULT_LANG`).
    alpha : float
        Significance level, strictly between 0 and 1; intervals are at ``1 - alpha``.
    link : str
        Link of the ordinal models, one of :data:`analysis.config.LINKS`.
    weights : Path or None
        Margins file for raking; None for unweighted results.
    min_cell : int
        Disclosure threshold (0 turns disclosure control off: internal use only).
    raw_dir : Path
        Folder of the raw exports (the trends read every year up to ``year`` from it).
    output_dir : Path or None
        Folder receiving ``tables/`` and ``figures/``; None until :func:`analysis.notebook.setup`
        picks a temporary folder.
    """

    year: int = config.DEFAULT_YEAR
    input_path: Path | None = None
    lang: str = config.DEFAULT_LANG
    alpha: float = config.DEFAULT_ALPHA
    link: str = config.DEFAULT_LINK
    weights: Path | None = None
    min_cell: int = config.DEFAULT_MIN_CELL
    raw_dir: Path | None = None
    output_dir: Path | None = None

    # ------------------------------------------------------------------------------------------
    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names of the parameters, in the order of the notebooks' parameters cell."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def check_names(cls, names: object) -> None:
        """Raise :class:`ParameterError` for the first name that is not a parameter."""
        known = cls.names()
        for name in names:  # type: ignore[attr-defined]
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParameterError(
                    f"unknown parameter {name!r}{hint}; known parameters: {', '.join(known)}"
                )

    @classmethod
    def validate(cls, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> ReportParameters:
        """Check every value and return the frozen parameters; raise one :class:`ParameterError`.

        Parameters
        ----------
        values : mapping, optional
            Parameters by name (e.g. what papermill injected); ``kwargs`` are added to them.
        **kwargs
            Parameters by name. A name that is not a field is an error naming it and the known
            ones; a missing name takes its default.

        Returns
        -------
        ReportParameters
        """
        given = {**(values or {}), **kwargs}
        cls.check_names(given)
        d = {f.name: f.default for f in dataclasses.fields(cls)}
        d.update(given)

        # year
        year = d["year"]
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if isinstance(year, bool) or not isinstance(year, numbers.Integral):
            raise ParameterError(f"year must be an integer such as 2020, got {d['year']!r}")
        year = int(year)

        # folders and files
        raw_dir = config.RAW_DIR if _blank(d["raw_dir"]) else _path(d["raw_dir"])
        if not raw_dir.is_dir():
            raise ParameterError(f"raw_dir {str(raw_dir)!r} is not a folder")
        raw_dir = raw_dir.resolve()
        if _blank(d["input_path"]):
            try:
                input_path = config.raw_path_for_year(year, raw_dir)
            except config.RawExportNotFoundError as exc:
                raise ParameterError(f"unknown year {year}: {exc}; give input_path to analyse "
                                     "another file") from None
        else:
            input_path = _path(d["input_path"])
            if not input_path.is_file():
                raise ParameterError(f"input_path {str(input_path)!r} does not exist or is not a file")
        input_path = input_path.resolve()
        if _blank(d["weights"]):
            weights = None
        else:
            weights = _path(d["weights"])
            if not weights.is_file():
                raise ParameterError(f"weights file {str(weights)!r} does not exist or is not a file")
            weights = weights.resolve()
        if _blank(d["output_dir"]):
            output_dir = None
        else:
            output_dir = _path(d["output_dir"])
            if output_dir.exists() and not output_dir.is_dir():
                raise ParameterError(f"output_dir {str(output_dir)!r} exists and is not a folder")
            output_dir = output_dir.resolve()

        # choices
        lang = d["lang"]
        if not isinstance(lang, str) or lang.strip().lower() not in config.LANGS:
            raise ParameterError(f"lang must be one of {', '.join(config.LANGS)}; got {lang!r}")
        link = d["link"]
        if not isinstance(link, str) or link.strip().lower() not in config.LINKS:
            raise ParameterError(f"link must be one of {', '.join(config.LINKS)}; got {link!r}")

        # numbers
        min_cell = d["min_cell"]
        bad = ParameterError(f"min_cell must be a whole number >= 0, got {min_cell!r}")
        if isinstance(min_cell, bool) or not isinstance(min_cell, numbers.Real):
            raise bad
        if not math.isfinite(float(min_cell)) or float(min_cell) != int(min_cell) or min_cell < 0:
            raise bad
        alpha = d["alpha"]
        if (isinstance(alpha, bool) or not isinstance(alpha, numbers.Real)
                or not 0.0 < float(alpha) < 1.0):
            raise ParameterError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")

        return cls(year=year, input_path=input_path, lang=lang.strip().lower(),
                   alpha=float(alpha), link=link.strip().lower(), weights=weights,
                   min_cell=int(min_cell), raw_dir=raw_dir, output_dir=output_dir)

    # ------------------------------------------------------------------------------------------
    def replace(self, **changes: Any) -> ReportParameters:
        """A validated copy with some parameters changed."""
        return type(self).validate(self.as_dict(), **changes)

    @property
    def confidence_pct(self) -> str:
        """``1 - alpha`` as a label, e.g. ``'95%'``."""
        return format_percent_level(self.alpha)

    def as_dict(self) -> dict[str, object]:
        """Plain values (paths as absolute strings, None as ``""``): what papermill injects."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = "" if v is None else str(v) if isinstance(v, Path) else v
        return out

    def for_record(self) -> dict[str, object]:
        """Plain values with paths relative to the project (provenance, build keys).

        ``output_dir`` is left out: where a report is written is not part of what it says.
        """
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            if f.name == "output_dir":
                continue
            v = getattr(self, f.name)
            out[f.name] = "" if v is None else config.relative_to_project(v) if isinstance(v, Path) else v
        return out


def parameters_cell_source() -> str:
    """Source of the notebooks' ``parameters`` cell: every parameter, typed, its default, its help.

    The four report notebooks carry exactly this cell (a test checks), so the defaults live here
    and in :mod:`analysis.config` only.

    Examples
    --------
    >>> print(parameters_cell_source().splitlines()[0])  # doctest: +ELLIPSIS
    year: int = 2020  # survey year; ...
    """
    lines = []
    for f in dataclasses.fields(ReportParameters):
        default = f.default
        if isinstance(default, bool) or not isinstance(default, (int, float, str)):
            kind, literal = "str", '""'
        elif isinstance(default, int):
            kind, literal = "int", repr(default)
        elif isinstance(default, float):
            kind, literal = "float", repr(default)
        else:
            kind, literal = "str", '"' + default + '"'
        lines.append(f"{f.name}: {kind} = {literal}  # {PARAMETER_HELP[f.name]}")
    return "\n".join(lines)
