"""Raking (iterative proportional fitting) to known population margins.

The margins live in a YAML file, one mapping per profile variable from option code to
population share (shares are normalised; percentages or counts are fine)::

    # data/margins/2022.yaml
    source: "Assocontact census 2022"   # optional, copied into the result
    margins:
      service: {in_house: 0.55, outsourcing: 0.45}
      role: {operator: 0.70, team_leader: 0.18, manager: 0.09, director: 0.03}

Weights are scaled to mean 1 (they sum to the number of respondents). The Kish design
effect ``n * sum(w^2) / sum(w)^2`` and effective sample size ``n / deff`` are reported.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"service": ["in_house"] * 3 + ["outsourcing"]})
>>> r = rake(df, {"service": {"in_house": 0.5, "outsourcing": 0.5}})
>>> r.weights.round(4).tolist()
[0.6667, 0.6667, 0.6667, 2.0]
>>> round(r.deff, 4), round(r.n_eff, 4)
(1.3333, 3.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import ArrayLike

from analysis.errors import SurveyUsageError

__all__ = ["RakeResult", "load_margins", "rake", "kish_deff", "effective_sample_size"]

Margins = Mapping[str, Mapping[Any, float]]


def kish_deff(weights: ArrayLike) -> float:
    """Kish design effect of unequal weights: ``n * sum(w^2) / sum(w)^2`` (= 1 + CV^2).

    Examples
    --------
    >>> kish_deff([1, 1, 1, 1]), kish_deff([1, 3])
    (1.0, 1.25)
    """
    w = np.asarray(weights, dtype=float)
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def effective_sample_size(weights: ArrayLike) -> float:
    """Kish effective sample size ``sum(w)^2 / sum(w^2)``."""
    w = np.asarray(weights, dtype=float)
    return float(np.sum(w) ** 2 / np.sum(w**2))


@dataclass(frozen=True)
class RakeResult:
    """Weights and diagnostics of :func:`rake`.

    Attributes
    ----------
    weights : Series
        One weight per row of the input (mean 1), named ``"weight"``.
    converged : bool
        Every margin hit within ``tol``.
    iterations : int
        IPF sweeps of the last raking run.
    max_error : float
        Largest absolute difference between weighted and target shares.
    deff, n_eff : float
        Kish design effect and effective sample size.
    trimmed : int
        Weights at a trimming bound at the end (0 without trimming).
    margins : DataFrame
        One row per variable x category: ``target``, ``sample`` (unweighted share),
        ``weighted`` share, ``n``.
    source : str or None
        The ``source`` entry of the margins file.
    """

    weights: pd.Series
    converged: bool
    iterations: int
    max_error: float
    deff: float
    n_eff: float
    trimmed: int = 0
    trim_bounds_met: bool = True
    margins: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str | None = None

    @property
    def variables(self) -> list[str]:
        """The raking variables, in the order they were raked."""
        if self.margins.empty:
            return []
        return list(dict.fromkeys(self.margins["variable"]))

    def design(
        self,
        df: pd.DataFrame,
        *,
        ids: str | None = None,
        strata: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
    ):
        """The survey design of the raked sample, for design-based statistics.

        The raked weights with the raking variables as calibration (their residuals enter
        the variance, as ``survey`` after ``rake()``), plus the sample's clusters, strata and
        fpc when it has them. Pass it as ``weights=`` to :mod:`analysis.stats`.

        Returns
        -------
        analysis.survey.SurveyDesign

        Examples
        --------
        >>> df = pd.DataFrame({"service": ["in_house"] * 3 + ["outsourcing"], "y": [1.0, 2, 3, 4]})
        >>> r = rake(df, {"service": {"in_house": 0.5, "outsourcing": 0.5}})
        >>> r.design(df).calibration
        ['service']
        """
        from analysis.survey import SurveyDesign

        return SurveyDesign(
            df,
            weights=self.weights.reindex(df.index).to_numpy(),
            ids=ids,
            strata=strata,
            fpc=fpc,
            calibration=self.variables,
            lonely_psu=lonely_psu,
        )

    def summary(self) -> pd.DataFrame:
        """One-row DataFrame of the diagnostics."""
        w = self.weights
        return pd.DataFrame(
            [
                {
                    "n": len(w),
                    "converged": self.converged,
                    "iterations": self.iterations,
                    "max_error": self.max_error,
                    "deff": self.deff,
                    "n_eff": self.n_eff,
                    "w_min": float(w.min()),
                    "w_max": float(w.max()),
                    "trimmed": self.trimmed,
                    "trim_bounds_met": self.trim_bounds_met,
                }
            ]
        )


def _normalise(var: str, shares: Mapping[Any, float], where: str) -> dict[Any, float]:
    if not isinstance(shares, Mapping) or not shares:
        raise SurveyUsageError(f"{where}: margin {var!r} must map option codes to shares")
    out = {}
    for k, v in shares.items():
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise SurveyUsageError(
                f"{where}: margin {var!r}, {k!r}: {v!r} is not a number"
            ) from None
        if not np.isfinite(fv) or fv < 0:
            raise SurveyUsageError(f"{where}: margin {var!r}, {k!r}: share must be >= 0, got {v!r}")
        out[k] = fv
    total = sum(out.values())
    if total <= 0:
        raise SurveyUsageError(f"{where}: margin {var!r} sums to 0")
    return {k: v / total for k, v in out.items()}


def load_margins(path: str | Path) -> dict[str, Any]:
    """Read population margins from YAML (see the module docstring for the format).

    Returns
    -------
    dict
        ``{"margins": {variable: {code: share}}, "source": str | None}`` with shares
        summing to 1 per variable.

    Raises
    ------
    SurveyUsageError
        Missing file, invalid YAML, no ``margins`` mapping, a non-numeric or negative share.
    """
    p = Path(path)
    if not p.exists():
        raise SurveyUsageError(f"margins file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SurveyUsageError(f"{p.name}: not valid YAML ({exc})") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("margins"), Mapping):
        raise SurveyUsageError(
            f"{p.name}: expected a 'margins' mapping of variable -> {{code: share}}"
        )
    margins = {str(var): _normalise(var, sh, p.name) for var, sh in raw["margins"].items()}
    return {"margins": margins, "source": raw.get("source")}


def _match_codes(values: pd.Series, targets: Mapping[Any, float]) -> dict[Any, Any]:
    """Map each data value to its margin key (YAML may read codes as str or int)."""
    keymap: dict[Any, Any] = {}
    by_str = {str(k): k for k in targets}
    for v in pd.unique(values.dropna().astype("object")):
        if v in targets:
            keymap[v] = v
        elif str(v) in by_str:
            keymap[v] = by_str[str(v)]
    return keymap


def _ipf(
    groups: list[np.ndarray], targets: list[np.ndarray], w: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, int, float]:
    total = w.sum()
    err = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for g, t in zip(groups, targets, strict=True):
            sums = np.bincount(g, weights=w, minlength=t.size)
            w = w * (t * total / sums)[g]
        err = max(
            float(np.max(np.abs(np.bincount(g, weights=w, minlength=t.size) / w.sum() - t)))
            for g, t in zip(groups, targets, strict=True)
        )
        if err < tol:
            break
    return w, it, err


def _ipf_bounded(
    groups: list[np.ndarray],
    targets: list[np.ndarray],
    w: np.ndarray,
    lo: float,
    hi: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, float]:
    """IPF with weights kept in [lo, hi] (mean weight is 1 throughout).

    In each margin step the weights at a bound stay fixed and the free weights of the
    category are scaled so its total hits the target; repeated until no weight crosses.
    """
    n = w.size
    w = np.clip(w, lo, hi)
    err = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for g, t in zip(groups, targets, strict=True):
            for _ in range(100):
                at_lo = w <= lo * (1 + 1e-12)
                at_hi = w >= hi * (1 - 1e-12)
                total = np.bincount(g, weights=w, minlength=t.size)
                free_sum = np.bincount(g, weights=np.where(at_lo | at_hi, 0.0, w), minlength=t.size)
                fixed_sum = total - free_sum
                with np.errstate(divide="ignore", invalid="ignore"):
                    f = np.where(free_sum > 0, (t * n - fixed_sum) / free_sum, 1.0)
                f = np.maximum(f, 0.0)
                # a category whose clipped weights cannot reach the target releases them
                need_up = (free_sum == 0) & (total < t * n)
                need_down = (free_sum == 0) & (total > t * n)
                release = (at_hi & need_down[g]) | (at_lo & need_up[g])
                scale = np.where(at_lo | at_hi, 1.0, f[g])
                scale = np.where(release, (t * n / np.where(total > 0, total, 1.0))[g], scale)
                new = np.clip(w * scale, lo, hi)
                done = np.allclose(new, w * scale, rtol=0, atol=1e-15)
                w = new
                if done:
                    break
        err = max(
            float(np.max(np.abs(np.bincount(g, weights=w, minlength=t.size) / w.sum() - t)))
            for g, t in zip(groups, targets, strict=True)
        )
        if err < tol:
            break
    return w, it, err


def rake(
    df: pd.DataFrame,
    margins: Margins | str | Path,
    *,
    weight_col: str | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    trim: tuple[float, float] | None = None,
    max_trim_rounds: int = 20,
) -> RakeResult:
    """Rake weights to population margins by iterative proportional fitting.

    Parameters
    ----------
    df : DataFrame
        Prepared data; every margin variable must be a column without missing values.
    margins : mapping or path
        ``{variable: {code: share}}`` or a YAML file for :func:`load_margins`.
    weight_col : str, optional
        Starting (design) weights; equal weights by default.
    tol : float
        Stop when every weighted share is within ``tol`` of its target.
    max_iter : int
        Largest number of IPF sweeps per raking run.
    trim : (low, high), optional
        Bounds relative to the mean weight (e.g. ``(0.3, 3.0)``): after the free
        raking, weights outside are set to the bound and the sample is re-raked with
        the bounded weights held fixed in each margin step (bounded IPF), until both
        the margins (``tol``) and the bounds hold. When the bounds are infeasible for
        the margins, ``converged`` is False and ``max_error`` says by how much.

    Returns
    -------
    RakeResult

    Raises
    ------
    SurveyUsageError
        A margin variable not in the data or with missing values, a category in the
        data without a target, a target category absent from the sample.
    """
    source = None
    if isinstance(margins, str | Path):
        loaded = load_margins(margins)
        margins, source = loaded["margins"], loaded["source"]
    margins = {var: _normalise(var, sh, "margins") for var, sh in margins.items()}
    n = len(df)
    if n == 0:
        raise SurveyUsageError("rake: no rows to weight")
    if weight_col is not None:
        if weight_col not in df.columns:
            raise SurveyUsageError(f"rake: weight column {weight_col!r} not in the data")
        w0 = pd.to_numeric(df[weight_col], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(w0)) or np.any(w0 <= 0):
            raise SurveyUsageError(
                f"rake: weight column {weight_col!r} has missing or non-positive values"
            )
    else:
        w0 = np.ones(n)
    groups, targets, table = [], [], []
    for var, shares in margins.items():
        if var not in df.columns:
            raise SurveyUsageError(f"rake: margin variable {var!r} is not a column of the data")
        s = df[var]
        if s.isna().any():
            first = s.index[s.isna().to_numpy()][0]
            raise SurveyUsageError(
                f"rake: {var!r} is missing for {int(s.isna().sum())} respondent(s) (first at row {first!r}); "
                "impute or drop them before raking"
            )
        keymap = _match_codes(s, shares)
        unknown = [v for v in pd.unique(s.astype("object")) if v not in keymap]
        if unknown:
            raise SurveyUsageError(
                f"rake: {var!r} has value(s) {unknown!r} without a population share (margins give {list(shares)!r})"
            )
        keys = list(shares)
        idx = {k: i for i, k in enumerate(keys)}
        g = np.array([idx[keymap[v]] for v in s.astype("object")], dtype=int)
        counts = np.bincount(g, minlength=len(keys))
        empty = [
            k for k, c, t in zip(keys, counts, shares.values(), strict=True) if c == 0 and t > 0
        ]
        if empty:
            raise SurveyUsageError(
                f"rake: {var!r} category {empty!r} has a population share but no respondent"
            )
        groups.append(g)
        targets.append(np.array([shares[k] for k in keys]))
        table.append((var, keys, counts))

    w = w0 / w0.mean()
    w, it, err = _ipf(groups, targets, w, tol, max_iter)
    trimmed = 0
    bounds_met = True
    if trim is not None:
        lo, hi = trim
        if not 0 <= lo < 1 < hi:
            raise SurveyUsageError(
                f"rake: trim bounds must satisfy 0 <= low < 1 < high, got {trim!r}"
            )
        w, it, err = _ipf_bounded(groups, targets, w, lo, hi, tol, max_iter * max_trim_rounds)
        trimmed = int(np.sum((w <= lo * (1 + 1e-9)) | (w >= hi * (1 - 1e-9))))
        bounds_met = bool(np.all((w >= lo * (1 - 1e-9)) & (w <= hi * (1 + 1e-9))))
    w = w / w.mean()
    rows = []
    for (var, keys, counts), g, t in zip(table, groups, targets, strict=True):
        ws = np.bincount(g, weights=w, minlength=len(keys)) / w.sum()
        for k, c, tt, wv in zip(keys, counts, t, ws, strict=True):
            rows.append(
                {
                    "variable": var,
                    "code": k,
                    "n": int(c),
                    "sample": c / n,
                    "target": tt,
                    "weighted": wv,
                }
            )
    return RakeResult(
        weights=pd.Series(w, index=df.index, name="weight"),
        converged=bool(err < tol),
        iterations=it,
        max_error=err,
        deff=kish_deff(w),
        n_eff=effective_sample_size(w),
        trimmed=trimmed,
        trim_bounds_met=bounds_met,
        margins=pd.DataFrame(rows),
        source=source,
    )
