"""The notebook kit: what a report notebook imports, and nothing that runs notebooks.

Every report notebook has a ``parameters`` cell (typed defaults, one help comment each) and
then one setup line::

    from analysis.notebook import setup
    ctx = setup(globals())

:func:`setup` validates the parameters (the ones papermill injected included: a misspelt
name is an error naming it and the known ones), prepares the notebook's environment
(inline figures, quiet FutureWarnings, wide tables) and returns the chapter's
:class:`Context`: the parameters, the codebook, the prepared year read from the
processed-data cache (:mod:`analysis.processed`), weights when a margins file is given,
and the other years for trends. :func:`save_table` / :func:`save_figure` write the reader
bundle's tables and figures.

What *runs* the notebooks (papermill, exports, provenance, incremental builds) is
:mod:`analysis.reporting`; the notebooks never import it.

Examples
--------
>>> ctx = setup(year=2020, lang="en", output_dir="/tmp/out")            # doctest: +SKIP
>>> ctx.params.confidence_pct, len(ctx.data)                            # doctest: +SKIP
('95%', 163)
"""

from __future__ import annotations

import ast
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import config
from analysis.parameters import ParameterError, ReportParameters

from .outputs import FIGURES_SUBDIR, TABLES_SUBDIR, save_figure, save_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from analysis.codebook import Codebook
    from analysis.prepare import PreparedData
    from analysis.weighting import RakeResult

__all__ = [
    "Context",
    "ParameterError",
    "ReportParameters",
    "setup",
    "injected_names",
    "save_table",
    "save_figure",
    "TABLES_SUBDIR",
    "FIGURES_SUBDIR",
    "WEIGHT_COLUMN",
]

#: Column holding the raking weights in :attr:`Context.data` when a margins file is given.
WEIGHT_COLUMN = "weight"

#: The header papermill writes on the cell it injects (``comment="Parameters"``).
_PAPERMILL_HEADER = "# Parameters"

_WEIGHTING_NOTE = {
    "en": {
        "weighted": "Results are **weighted** by raking to the margins in `{file}` (Kish design "
                    "effect {deff:.2f}, effective sample size {n_eff:.0f}).",
        "unweighted": "Results are **unweighted**: they describe the respondents.",
    },
    "it": {
        "weighted": "I risultati sono **ponderati** con il raking sui margini di `{file}` (effetto "
                    "del disegno di Kish {deff:.2f}, numerosità campionaria effettiva {n_eff:.0f}).",
        "unweighted": "I risultati **non sono ponderati**: descrivono chi ha risposto.",
    },
}


@dataclass(frozen=True)
class Context:
    """What a chapter works with; built by :func:`setup`. Heavy parts load on first use.

    Attributes
    ----------
    params : ReportParameters
        The validated parameters (``output_dir`` always set).
    """

    params: ReportParameters

    # -- data ----------------------------------------------------------------------------------
    @cached_property
    def codebook(self) -> Codebook:
        """The questionnaire (:func:`analysis.codebook.load_codebook`)."""
        from analysis.codebook import load_codebook

        return load_codebook()

    @cached_property
    def prepared(self) -> PreparedData:
        """The prepared year (``data``, data-quality ``summary``, ``source``), from the cache."""
        from analysis.processed import load_prepared

        p = self.params
        return load_prepared(p.year, p.input_path, raw_dir=p.raw_dir)

    @cached_property
    def raking(self) -> RakeResult | None:
        """Raking of the respondents to the margins file, or None when unweighted."""
        if self.params.weights is None:
            return None
        from analysis.weighting import rake

        return rake(self.prepared.data, self.params.weights)

    @cached_property
    def data(self) -> pd.DataFrame:
        """One row per respondent; with a ``weight`` column when the results are weighted."""
        df = self.prepared.data
        if self.raking is not None:
            df = df.assign(**{WEIGHT_COLUMN: self.raking.weights.to_numpy()})
        return df

    @property
    def weights(self) -> str | None:
        """Name of the weight column to pass as ``weights=`` (None when unweighted)."""
        return WEIGHT_COLUMN if self.params.weights is not None else None

    @property
    def weighting_note(self) -> str:
        """One sentence (Markdown) saying whether and how the results are weighted."""
        texts = _WEIGHTING_NOTE.get(self.params.lang, _WEIGHTING_NOTE["en"])
        if self.raking is None:
            return texts["unweighted"]
        return texts["weighted"].format(file=self.params.weights.name, deff=self.raking.deff,
                                        n_eff=self.raking.n_eff)

    # -- other years ---------------------------------------------------------------------------
    @property
    def years_to_date(self) -> list[int]:
        """Every year with an export in ``raw_dir`` up to this report's year, and this year."""
        years = {y for y in config.available_years(self.params.raw_dir) if y <= self.params.year}
        return sorted(years | {self.params.year})

    def pooled(self, years: list[int] | None = None) -> pd.DataFrame:
        """Prepared years pooled into one table (default :attr:`years_to_date`), from the cache."""
        from analysis.datasets import load_years

        return load_years(self.years_to_date if years is None else years,
                          raw_dir=self.params.raw_dir, current=self.prepared)

    # -- outputs -------------------------------------------------------------------------------
    def save_table(self, df: pd.DataFrame, name: str, **kwargs: Any) -> Path:
        """:func:`save_table` into this report's ``output_dir``."""
        return save_table(df, name, self.params.output_dir, **kwargs)

    def save_figure(self, fig: Figure, name: str, **kwargs: Any) -> list[Path]:
        """:func:`save_figure` into this report's ``output_dir``."""
        return save_figure(fig, name, self.params.output_dir, **kwargs)


def injected_names(history: object) -> list[str]:
    """Names assigned by the cell papermill injected, read from IPython's input history.

    Papermill writes the parameters it was given into a cell starting with ``# Parameters``
    right after the ``parameters`` cell; a misspelt name (``-p yeer 2021``) ends up there and
    nowhere else. Returns ``[]`` when no such cell ran (the notebook is run by hand).

    Examples
    --------
    >>> injected_names(["", "year: int = 2020", "# Parameters\\nyeer = 2021\\nlang = 'en'\\n"])
    ['yeer', 'lang']
    """
    if not isinstance(history, (list, tuple)):
        return []
    for source in reversed(history):
        if isinstance(source, str) and source.lstrip().startswith(_PAPERMILL_HEADER):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return []
            names = []
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.AnnAssign) else []
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    return []


def _prepare_environment() -> None:
    import warnings

    import matplotlib
    import pandas as pd

    warnings.filterwarnings("ignore", category=FutureWarning)
    pd.set_option("display.max_columns", 30, "display.width", 160)
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        shell.run_line_magic("matplotlib", "inline")
    else:
        matplotlib.use("Agg")


def setup(namespace: Mapping[str, Any] | None = None, /, **parameters: Any) -> Context:
    """Validate a notebook's parameters and return its :class:`Context`.

    Parameters
    ----------
    namespace : mapping, optional
        The notebook's ``globals()``: the parameters are read from it, and every name papermill
        injected must be a parameter (a misspelt one is an error, not a silent default).
    **parameters
        Parameters given directly (from Python); they override ``namespace``.

    Returns
    -------
    Context

    Raises
    ------
    ParameterError
        An unknown name or a bad value, in one line naming the parameter.

    Notes
    -----
    Without ``output_dir`` the tables and figures go to a new temporary folder (named on
    standard output), never into the current directory.
    """
    values: dict[str, Any] = {}
    if namespace is not None:
        ReportParameters.check_names(injected_names(namespace.get("In")))
        values = {k: namespace[k] for k in ReportParameters.names() if k in namespace}
    values.update(parameters)
    params = ReportParameters.validate(values)
    if params.output_dir is None:
        out = Path(tempfile.mkdtemp(prefix=f"softskills-{params.year}-{params.lang}-"))
        print(f"output_dir not given: tables and figures go to {out}")
        params = params.replace(output_dir=str(out))
    _prepare_environment()
    return Context(params)
