"""Moved to :mod:`analysis.notebook.outputs` (the notebook kit); kept so old imports work."""

from analysis.notebook.outputs import (
    FIGURES_SUBDIR,
    FLOAT_FORMAT,
    TABLES_SUBDIR,
    save_figure,
    save_table,
)

__all__ = ["TABLES_SUBDIR", "FIGURES_SUBDIR", "FLOAT_FORMAT", "save_table", "save_figure"]
