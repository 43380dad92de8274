"""Validation of the notebooks' parameters (called in each notebook's first code cell).

Example
-------
In the cell after the ``parameters`` cell of a notebook::

    from analysis.reporting.parameters import validate_parameters
    P = validate_parameters(year=year, input_path=input_path, lang=lang, link=link,
                            min_cell=min_cell, alpha=alpha, weights=weights,
                            output_dir=output_dir)

A bad value stops the notebook with one line, e.g.
``ParameterError: lang must be 'en' or 'it', got 'fr'``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from pathlib import Path

from analysis import config

from .errors import ParameterError

__all__ = ["LANGS", "LINKS", "ReportParameters", "ParameterError", "available_years",
           "validate_parameters"]

#: Languages the reports are written in.
LANGS: tuple[str, ...] = ("en", "it")
#: Link functions of the cumulative-link models.
LINKS: tuple[str, ...] = ("logit", "probit", "cloglog", "loglog", "cauchit")


@dataclass(frozen=True)
class ReportParameters:
    """Validated notebook parameters (paths resolved to absolute paths)."""

    year: int
    input_path: Path
    lang: str
    link: str
    min_cell: int
    alpha: float
    weights: Path | None
    output_dir: Path

    def as_dict(self) -> dict[str, object]:
        """Plain ``dict`` with paths as strings (JSON-serialisable)."""
        return {
            "year": self.year,
            "input_path": str(self.input_path),
            "lang": self.lang,
            "link": self.link,
            "min_cell": self.min_cell,
            "alpha": self.alpha,
            "weights": None if self.weights is None else str(self.weights),
            "output_dir": str(self.output_dir),
        }


def available_years(raw_dir: Path | None = None) -> list[int]:
    """Years that have a raw export (``YEAR.csv|xlsx|sav``) in ``raw_dir`` (default ``data/raw``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "2021.csv").write_text("a\\n")
    >>> available_years(d)
    [2021]
    """
    folder = Path(raw_dir) if raw_dir is not None else config.RAW_DIR
    if not folder.is_dir():
        return []
    years = set()
    for p in folder.iterdir():
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".sav") and p.stem.isdigit():
            years.add(int(p.stem))
    return sorted(years)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "none", "None"))


def validate_parameters(
    *,
    year: object,
    input_path: object = None,
    lang: object = "en",
    link: object = "logit",
    min_cell: object = 5,
    alpha: object = 0.05,
    weights: object = None,
    output_dir: object = ".",
    raw_dir: Path | None = None,
) -> ReportParameters:
    """Check the parameters of a report notebook; raise one :class:`ParameterError` on the first problem.

    Parameters
    ----------
    year : int
        Survey year. Without ``input_path`` it must have a raw export in ``raw_dir``.
    input_path : str or Path, optional
        Raw export to analyse; ``None`` or ``""`` means the bundled file of ``year``.
    lang : {"en", "it"}
        Language of the report.
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}
        Link function of the ordinal models.
    min_cell : int
        Smallest cell count shown (disclosure control), an integer >= 0 (0 turns it off).
    alpha : float
        Significance level, strictly between 0 and 1.
    weights : str or Path, optional
        Margins file for raking; ``None`` or ``""`` for unweighted estimates.
    output_dir : str or Path
        Folder where tables and figures are written.
    raw_dir : Path, optional
        Folder of the raw exports (default :data:`analysis.config.RAW_DIR`).

    Returns
    -------
    ReportParameters

    Raises
    ------
    ParameterError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "2020.csv"; _ = f.write_text("x\\n")
    >>> validate_parameters(year=2020, input_path=f, lang="it").lang
    'it'
    >>> validate_parameters(year=2020, input_path=f, link="identity")
    Traceback (most recent call last):
    ...
    analysis.reporting.errors.ParameterError: link must be one of logit, probit, cloglog, loglog, cauchit; got 'identity'
    """
    # year
    if isinstance(year, bool) or not isinstance(year, numbers.Integral):
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        else:
            raise ParameterError(f"year must be an integer such as 2020, got {year!r}")
    year = int(year)

    # input file
    if _is_blank(input_path):
        try:
            path = config.raw_path_for_year(year, raw_dir=raw_dir)
        except FileNotFoundError:
            known = available_years(raw_dir)
            folder = raw_dir if raw_dir is not None else config.RAW_DIR
            listed = ", ".join(map(str, known)) if known else "none"
            raise ParameterError(
                f"unknown year {year}: no raw export {year}.csv/.xlsx/.sav in {folder} "
                f"(years available: {listed}); give input_path to analyse another file"
            ) from None
    else:
        path = Path(str(input_path)).expanduser()
        if not path.is_file():
            raise ParameterError(f"input_path {str(path)!r} does not exist or is not a file")
    path = path.resolve()

    # lang, link
    if not isinstance(lang, str) or lang.strip().lower() not in LANGS:
        raise ParameterError(f"lang must be 'en' or 'it', got {lang!r}")
    lang = lang.strip().lower()
    if not isinstance(link, str) or link.strip().lower() not in LINKS:
        raise ParameterError(f"link must be one of {', '.join(LINKS)}; got {link!r}")
    link = link.strip().lower()

    # min_cell
    bad_min_cell = ParameterError(f"min_cell must be a whole number >= 0, got {min_cell!r}")
    if isinstance(min_cell, bool) or not isinstance(min_cell, numbers.Real):
        raise bad_min_cell
    mc = float(min_cell)
    if not math.isfinite(mc) or mc != int(mc) or mc < 0:
        raise bad_min_cell
    min_cell = int(mc)

    # alpha
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not (0.0 < float(alpha) < 1.0):
        raise ParameterError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    alpha = float(alpha)

    # weights
    if _is_blank(weights):
        wpath = None
    else:
        wpath = Path(str(weights)).expanduser()
        if not wpath.is_file():
            raise ParameterError(f"weights file {str(wpath)!r} does not exist or is not a file")
        wpath = wpath.resolve()

    # output_dir
    if _is_blank(output_dir):
        raise ParameterError("output_dir must name a folder, got an empty value")
    out = Path(str(output_dir)).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError(f"output_dir {str(out)!r} exists and is not a folder")

    return ReportParameters(
        year=year, input_path=path, lang=lang, link=link, min_cell=min_cell, alpha=alpha,
        weights=wpath, output_dir=out.resolve(),
    )
