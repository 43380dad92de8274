"""The survey design behind a weighted table (internal to :mod:`analysis.stats`).

A table's ``weights`` may be a column name or values (a design with those weights, each
respondent its own PSU: ``svydesign(ids = ~1, weights = ~w)``) or an
:class:`analysis.survey.SurveyDesign` (strata, clusters, fpc, raking). The table may be
computed on a subset of the design's rows (a year, the comparable years): a
:class:`DesignView` maps the table's rows into the design, so domain estimates keep the
design's PSUs and strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import SurveyUsageError
from analysis.survey import SurveyDesign, proportion_ci

__all__ = ["DesignView", "design_view", "CI_METHOD", "wald_f"]

#: Interval of a weighted share in the tables (``svyciprop``'s default).
CI_METHOD = "logit"


class DesignView:
    """A :class:`SurveyDesign` seen from the rows of a table's DataFrame."""

    def __init__(self, df: pd.DataFrame, design: SurveyDesign) -> None:
        idx = design.data.index
        if not idx.is_unique or not df.index.is_unique:
            raise SurveyUsageError(
                "weighted table: the data and the survey design need a unique row index"
            )
        pos = idx.get_indexer(df.index)
        if (pos < 0).any():
            first = df.index[np.flatnonzero(pos < 0)[0]]
            raise SurveyUsageError(
                f"weighted table: row {first!r} of the data is not in the survey design"
            )
        self.design = design
        self.pos = pos
        self.size = len(idx)
        self.weights = design.weights[pos]
        self.method = design.method + f"; {CI_METHOD} intervals, Rao-Scott tests"

    def full(self, a: np.ndarray) -> np.ndarray:
        """Rows of the table placed in the design's rows (zeros / False elsewhere)."""
        a = np.asarray(a)
        out = np.zeros((self.size, *a.shape[1:]), dtype=a.dtype)
        out[self.pos] = a
        return out

    def means(self, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means of ``y``'s columns over ``rows`` and their design covariance."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        return self.design.means(self.full(y), self.full(np.asarray(rows, dtype=bool)))

    def degf(self, rows: np.ndarray) -> int:
        return self.design.subset(self.full(np.asarray(rows, dtype=bool))).degf

    def share_ci(self, p: np.ndarray, se: np.ndarray, df: float, n: int, alpha: float):
        """Intervals of shares from their estimates and SEs (``CI_METHOD``)."""
        lo, hi = np.full(len(p), np.nan), np.full(len(p), np.nan)
        for j, (pj, sj) in enumerate(zip(p, se, strict=True)):
            if n > 0 and df > 0:
                lo[j], hi[j] = proportion_ci(
                    float(pj), float(sj), df, method=CI_METHOD, n=n, alpha=alpha
                )
        return lo, hi

    def chisq(self, rc: np.ndarray, cc: np.ndarray, nr: int, nc: int, statistic: str = "F"):
        """Rao--Scott test of two code arrays (``-1`` missing) of the table's rows."""
        ok = (rc >= 0) & (cc >= 0)
        ry = np.zeros((len(rc), nr))
        cy = np.zeros((len(cc), nc))
        ry[np.flatnonzero(ok), rc[ok]] = 1
        cy[np.flatnonzero(ok), cc[ok]] = 1
        return (
            self.design.chisq_matrix(
                self.full(ry), self.full(cy), self.full(ok), statistic=statistic
            )
            .iloc[0]
            .to_dict()
        )


def design_view(df: pd.DataFrame, weights) -> DesignView | None:
    """The design of a table: ``None`` unweighted; a weights-only design for a weight column."""
    if weights is None:
        return None
    if isinstance(weights, SurveyDesign):
        return DesignView(df, weights)
    from analysis.stats._common import weights_array

    w = weights_array(df, weights)
    return DesignView(df, SurveyDesign(df, weights=w))


def wald_f(est: np.ndarray, cov: np.ndarray, C: np.ndarray, df: float) -> dict:
    """Design-based Wald test of ``C est = 0`` with the F correction (``adjWald``).

    ``W = (C est)' (C V C')^+ (C est)`` on ``q = rank(C V C')``;
    ``F = W (df - q + 1) / (df q)`` on ``q`` and ``df - q + 1`` degrees of freedom.

    References
    ----------
    Korn E.L., Graubard B.I. (1990). Simultaneous testing of regression coefficients with
    complex survey data: use of Bonferroni t statistics. American Statistician 44:270-276.
    """
    from scipy import stats as sps

    d = C @ est
    V = C @ cov @ C.T
    q = int(np.linalg.matrix_rank(V)) if V.size else 0
    if q == 0 or not np.all(np.isfinite(V)):
        return {"wald": np.nan, "f": np.nan, "ndf": float(q), "ddf": np.nan, "pvalue": np.nan}
    W = float(d @ np.linalg.pinv(V) @ d)
    ddf = df - q + 1
    if ddf <= 0:
        return {"wald": W, "f": np.nan, "ndf": float(q), "ddf": float(ddf), "pvalue": np.nan}
    f = W * ddf / (df * q)
    return {
        "wald": W,
        "f": f,
        "ndf": float(q),
        "ddf": float(ddf),
        "pvalue": float(sps.f.sf(f, q, ddf)),
    }
