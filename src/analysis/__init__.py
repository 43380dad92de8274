"""softskills-survey: validated data, statistics, ordinal models and reports for the
yearly survey of soft skills among customer-service professionals.

Modules (lower layers never import higher ones):

- :mod:`analysis.config`     paths of data and reports, defaults, year -> raw export, available years
- :mod:`analysis.parameters` the typed ReportParameters of a report, validated once
- :mod:`analysis.fingerprint` content hashes (files, codebook, the package's source)
- :mod:`analysis.codebook`   the questionnaire as data
- :mod:`analysis.io`         readers for raw exports (CSV, XLSX, SPSS)
- :mod:`analysis.validate`   every problem of a raw export, with file / row / column
- :mod:`analysis.prepare`    coding, personal-data removal, de-duplication
- :mod:`analysis.processed`  prepared years cached by content (prepare once, read many times)
- :mod:`analysis.simulate`   synthetic survey years from a documented model
- :mod:`analysis.stats`      tables, intervals, tests, disclosure control
- :mod:`analysis.weighting`  raking to known margins
- :mod:`analysis.ordinal`    cumulative-link models on statsmodels
- :mod:`analysis.plots`      figures
- :mod:`analysis.notebook`   the kit notebooks import: setup, save_table, save_figure
- :mod:`analysis.reporting`  the build: tasks, incremental cache, executors, HTML / PDF, provenance, index
- :mod:`analysis.cli`        the ``softskills`` command
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use: importlib.metadata costs a tenth of a second,
    # which `softskills run` on unchanged inputs does not need to spend.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("softskills-survey")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
