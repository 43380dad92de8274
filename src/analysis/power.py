"""Power and sample size for comparing two groups on an ordinal answer (next wave's plan).

Where it sits: beside :mod:`analysis.ordinal`; the CLI (``softskills power``) and the
report's methods appendix call it. Whitehead's (1993) formula for the proportional-odds
model, as coded in R's ``Hmisc::popower`` / ``posamsize``, gives the power of the
two-group comparison for a marginal answer distribution ``p`` and an odds ratio, or the
total sample size for a given power; ``deff`` inflates the variance by the design
effect of the weights or clusters (a weighted survey of ``n`` respondents carries the
information of ``n / deff``). :func:`simulate_power` checks the formula on a fitted
model of this year: it simulates the next wave, refits, and counts rejections.

Examples
--------
>>> p = [0.05, 0.15, 0.30, 0.35, 0.15]
>>> round(ordinal_power(p, 1.5, n=200).power, 6)
0.352952
>>> round(ordinal_sample_size(p, 1.5, power=0.8).n, 4)
620.5298
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special
from scipy import stats as sps

from analysis.errors import SurveyError, SurveyUsageError

__all__ = [
    "OrdinalPower",
    "OrdinalSampleSize",
    "SimulatedPower",
    "ordinal_power",
    "ordinal_sample_size",
    "detectable_odds_ratio",
    "simulate_power",
    "detectable_odds_ratio_table",
    "contrast_deff",
]


@dataclass(frozen=True)
class OrdinalPower:
    """Result of :func:`ordinal_power` (fields as ``Hmisc::popower``)."""

    power: float
    eff: float
    approx_se: float
    n: float
    n1: float
    n2: float
    odds_ratio: float
    alpha: float
    deff: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


@dataclass(frozen=True)
class OrdinalSampleSize:
    """Result of :func:`ordinal_sample_size`: total ``n`` (not rounded) and its efficiency."""

    n: float
    eff: float
    power: float
    odds_ratio: float
    fraction: float
    alpha: float
    deff: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def _probs(probs: ArrayLike) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or p.size < 2 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise SurveyUsageError(
            f"probs must be two or more non-negative shares of the answers, got {probs!r}"
        )
    if abs(p.sum() - 1) > 1e-6:
        raise SurveyUsageError(f"probs must sum to 1 (they sum to {p.sum():.6g})")
    return p


def _check(odds_ratio: float, alpha: float, deff: float) -> None:
    if not (np.isfinite(odds_ratio) and odds_ratio > 0):
        raise SurveyUsageError(f"odds ratio must be a positive number, got {odds_ratio!r}")
    if not 0 < alpha < 1:
        raise SurveyUsageError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not (np.isfinite(deff) and deff > 0):
        raise SurveyUsageError(f"design effect must be a positive number, got {deff!r}")


def ordinal_power(
    probs: ArrayLike,
    odds_ratio: float,
    n: float | None = None,
    n1: float | None = None,
    n2: float | None = None,
    alpha: float = 0.05,
    *,
    deff: float = 1.0,
) -> OrdinalPower:
    """Power of the two-group proportional-odds comparison (Whitehead 1993, ``popower``).

    Parameters
    ----------
    probs : array_like
        Marginal distribution of the ordinal answer over both groups together.
    odds_ratio : float
        Proportional odds ratio between the groups.
    n : float, optional
        Total sample size, split evenly (``n1`` and ``n2`` are then ignored, as in Hmisc).
    n1, n2 : float, optional
        Group sizes when ``n`` is not given.
    alpha : float
        Two-sided level.
    deff : float
        Design effect: the group sizes are divided by it (1: simple random sampling).

    Returns
    -------
    OrdinalPower
        ``power``, ``eff`` (efficiency against a continuous response),
        ``approx_se`` (of the log odds ratio) and the inputs.

    Notes
    -----
    ``ps = 1 - sum(p^3)``, ``V = n1 n2 n / 3 / (n + 1)^2 ps``,
    ``power = Phi(|log OR| sqrt(V) - z_{1-alpha/2})``, ``eff = ps / (1 - 1/n^2)``,
    ``approx_se = 1 / sqrt(V)`` (sizes divided by ``deff`` first).

    References
    ----------
    Whitehead J. (1993). Sample size calculations for ordered categorical data.
    Statistics in Medicine 12:2257-2271.
    Harrell F.E. Hmisc: ``popower``. R package, 4.8.0.

    Examples
    --------
    >>> r = ordinal_power([0.05, 0.15, 0.3, 0.35, 0.15], 1.5, n1=80, n2=120)
    >>> round(r.power, 4)
    0.3411
    """
    p = _probs(probs)
    _check(odds_ratio, alpha, deff)
    if n is not None:
        n1 = n2 = n / 2
    elif n1 is None or n2 is None:
        raise SurveyUsageError("give n, or both n1 and n2")
    if not (n1 > 0 and n2 > 0):
        raise SurveyUsageError(f"group sizes must be positive, got n1={n1!r}, n2={n2!r}")
    m1, m2 = n1 / deff, n2 / deff
    nn = m1 + m2
    ps = 1 - np.sum(p**3)
    V = m1 * m2 * nn / 3 / (nn + 1) ** 2 * ps
    power = sps.norm.cdf(abs(np.log(odds_ratio)) * np.sqrt(V) - sps.norm.isf(alpha / 2))
    return OrdinalPower(
        power=float(power),
        eff=float(ps / (1 - 1 / nn**2)),
        approx_se=float(1 / np.sqrt(V)),
        n=float(n1 + n2),
        n1=float(n1),
        n2=float(n2),
        odds_ratio=float(odds_ratio),
        alpha=alpha,
        deff=float(deff),
    )


def ordinal_sample_size(
    probs: ArrayLike,
    odds_ratio: float,
    power: float = 0.8,
    fraction: float = 0.5,
    alpha: float = 0.05,
    *,
    deff: float = 1.0,
) -> OrdinalSampleSize:
    """Total sample size for a given power (Whitehead 1993, ``posamsize``).

    Parameters
    ----------
    probs, odds_ratio, alpha
        As :func:`ordinal_power`.
    power : float
        Wanted power.
    fraction : float
        Share of the sample in group 1.
    deff : float
        Design effect: the size is multiplied by it.

    Returns
    -------
    OrdinalSampleSize
        ``n`` (total, not rounded) and ``eff``.

    Notes
    -----
    ``A = (1 - f) / f``, ``n = 3 (A + 1)^2 (z_{1-alpha/2} + z_power)^2 / A / log(OR)^2 / ps``
    (the large-``n`` form: :func:`ordinal_power` at this ``n`` is slightly under ``power``).

    References
    ----------
    Whitehead J. (1993). Statistics in Medicine 12:2257-2271.
    Harrell F.E. Hmisc: ``posamsize``. R package, 4.8.0.

    Examples
    --------
    >>> round(ordinal_sample_size([0.2, 0.3, 0.5], 2.0, deff=1.5).n, 2)
    350.07
    """
    p = _probs(probs)
    _check(odds_ratio, alpha, deff)
    if not 0 < fraction < 1:
        raise SurveyUsageError(f"fraction must be between 0 and 1, got {fraction!r}")
    if not 0 < power < 1:
        raise SurveyUsageError(f"power must be between 0 and 1, got {power!r}")
    if odds_ratio == 1:
        raise SurveyUsageError("odds ratio 1 (no difference) cannot be detected at any size")
    A = (1 - fraction) / fraction
    ps = 1 - np.sum(p**3)
    n = (
        3
        * (A + 1) ** 2
        * (sps.norm.isf(alpha / 2) + sps.norm.ppf(power)) ** 2
        / A
        / np.log(odds_ratio) ** 2
        / ps
    )
    n *= deff
    return OrdinalSampleSize(
        n=float(n),
        eff=float(ps / (1 - 1 / n**2)),
        power=power,
        odds_ratio=float(odds_ratio),
        fraction=fraction,
        alpha=alpha,
        deff=float(deff),
    )


def detectable_odds_ratio(
    probs: ArrayLike,
    n: float,
    power: float = 0.8,
    fraction: float = 0.5,
    alpha: float = 0.05,
    *,
    deff: float = 1.0,
) -> float:
    """Smallest odds ratio (> 1) detected with ``power`` by :func:`ordinal_power` at ``n``.

    Inverts the ``popower`` formula exactly: ``log OR = (z_{1-alpha/2} + z_power) / sqrt(V)``
    with ``n1 = fraction n``, ``n2 = (1 - fraction) n``. The reciprocal is the smallest
    odds ratio below 1.

    References
    ----------
    Whitehead J. (1993). Statistics in Medicine 12:2257-2271.

    Examples
    --------
    >>> p = [0.05, 0.15, 0.3, 0.35, 0.15]
    >>> orr = detectable_odds_ratio(p, 300)
    >>> round(ordinal_power(p, orr, n=300).power, 10)
    0.8
    """
    p = _probs(probs)
    _check(2.0, alpha, deff)
    if not (n > 0 and 0 < fraction < 1 and 0 < power < 1):
        raise SurveyUsageError("detectable_odds_ratio: need n > 0 and fraction, power in (0, 1)")
    m1, m2 = fraction * n / deff, (1 - fraction) * n / deff
    nn = m1 + m2
    V = m1 * m2 * nn / 3 / (nn + 1) ** 2 * (1 - np.sum(p**3))
    return float(np.exp((sps.norm.isf(alpha / 2) + sps.norm.ppf(power)) / np.sqrt(V)))


@dataclass(frozen=True)
class SimulatedPower:
    """Result of :func:`simulate_power`: share of simulated waves rejecting, with MC error."""

    power: float
    mc_se: float
    n_sims: int
    n_failed: int
    n: int
    odds_ratio: float
    alpha: float
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def simulate_power(
    result,
    data: pd.DataFrame,
    *,
    group: str,
    level,
    odds_ratio: float,
    n: int,
    n_sims: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    formula: str | None = None,
) -> SimulatedPower:
    """Power of the next wave by simulation from a fitted proportional-odds model.

    Each simulated wave draws ``n`` respondents' predictors with replacement from
    ``data`` (this year's answers), replaces the fitted effect of ``group == level`` by
    ``log(odds_ratio)`` keeping every other fitted parameter, draws the answers from the
    model, refits with :func:`analysis.ordinal.fit_ordinal` and rejects when the Wald
    p-value of that effect is under ``alpha``. The power's Monte Carlo standard error
    is ``sqrt(power (1 - power) / n_sims)``. Same inputs and seed, same result.

    Parameters
    ----------
    result : OrdinalResults
        A logit-link fit of this year (``fit_ordinal(formula, data)``).
    data : DataFrame
        The data it was fitted on.
    group, level : str, scalar
        The two-level factor compared and its second level (``"service"``,
        ``"outsourcing"``); its coefficient is ``"{group}[T.{level}]"``.
    odds_ratio : float
        Effect to simulate.
    n : int
        Respondents of the simulated wave.
    n_sims : int
        Simulated waves.
    formula : str, optional
        The model's formula (taken from the fit when it records it).

    Returns
    -------
    SimulatedPower

    References
    ----------
    Morris T.P., White I.R., Crowther M.J. (2019). Using simulation studies to evaluate
    statistical methods. Statistics in Medicine 38:2074-2102.
    """
    from analysis.ordinal import fit_ordinal  # local: ordinal is a sibling, not a dependency

    if formula is None:
        formula = getattr(result, "_spec", {}).get("formula")
        if formula is None:
            raise SurveyUsageError("simulate_power: give the model's formula")
    link = getattr(result, "link", getattr(getattr(result, "model", None), "link", None))
    if link is not None and getattr(link, "name", link) not in ("logit",):
        raise SurveyUsageError("simulate_power: the odds ratio needs a logit-link model")
    _check(odds_ratio, alpha, 1.0)
    term = f"{group}[T.{level}]"
    coef = result.coef
    if term not in coef.index:
        raise SurveyUsageError(
            f"simulate_power: {term!r} is not a coefficient of the model ({list(coef.index)})"
        )
    lhs = formula.split("~")[0].strip()
    beta_fit = float(coef.loc[term, "estimate"])
    shift = np.log(odds_ratio) - beta_fit
    probs = result.predict_proba(data)
    labels = list(probs.columns)
    ok = probs.notna().all(axis=1).to_numpy()
    base = data.loc[ok].reset_index(drop=True)
    cum = np.cumsum(probs.to_numpy()[ok], axis=1)[:, :-1]
    in_group = (base[group].astype("object") == level).to_numpy()
    # clm: P(Y <= j) = F(theta_j - eta); a larger effect moves mass up
    logit_cum = special.logit(np.clip(cum, 1e-15, 1 - 1e-15)) - shift * in_group[:, None]
    cum_new = special.expit(logit_cum)
    rng = np.random.default_rng(seed)
    hits = failed = 0
    for _ in range(n_sims):
        idx = rng.integers(0, len(base), size=n)
        u = rng.random(n)
        y = (u[:, None] > cum_new[idx]).sum(axis=1)
        sim = base.iloc[idx].reset_index(drop=True).copy()
        sim[lhs] = pd.Categorical.from_codes(y, categories=labels, ordered=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = fit_ordinal(formula, data=sim)
            pv = float(fit.coef.loc[term, "p"])
        except (SurveyError, ValueError, np.linalg.LinAlgError):  # a degenerate wave: failed
            failed += 1
            continue
        if not np.isfinite(pv):
            failed += 1
            continue
        hits += pv < alpha
    done = n_sims - failed
    pw = hits / done if done else np.nan
    return SimulatedPower(
        power=float(pw),
        mc_se=float(np.sqrt(pw * (1 - pw) / done)) if done else np.nan,
        n_sims=n_sims,
        n_failed=failed,
        n=n,
        odds_ratio=float(odds_ratio),
        alpha=alpha,
        seed=seed,
    )


def contrast_deff(df: pd.DataFrame, outcome: str, group: str, weights) -> float:
    """Design effect of the difference between two groups' mean answer codes.

    ``var_design(diff) / (s1^2 / n1 + s2^2 / n2)``: the design-based variance of the
    weighted difference (:class:`analysis.survey.SurveyDesign`: weights, clusters,
    strata, raking) over its variance under simple random sampling with the same
    respondents (``svyvar`` in each group). With equal weights and no clusters it is
    about 1; it is the ``deff`` to plan the next wave's comparison with.

    Parameters
    ----------
    df : DataFrame
    outcome, group : str
        Ordered answer and the two-level grouping.
    weights : str, array_like or SurveyDesign

    References
    ----------
    Kish L. (1965). Survey Sampling. Wiley, 8.2. Lumley T. (2010). Complex Surveys, 2.2.

    Examples
    --------
    >>> d = pd.DataFrame({"q": [1, 2, 3, 4, 5] * 40, "g": ["a", "b"] * 100})
    >>> bool(abs(contrast_deff(d, "q", "g", [1.0] * 200) - 1) < 0.01)
    True
    """
    from analysis.survey import SurveyDesign

    design = weights if isinstance(weights, SurveyDesign) else SurveyDesign(df, weights=weights)
    if not design.data.index.equals(df.index):
        raise SurveyUsageError("contrast_deff: the design must be built on the same data")
    y = df[outcome]
    codes = (
        y.cat.codes.to_numpy().astype(float) + 1
        if isinstance(y.dtype, pd.CategoricalDtype)
        else pd.to_numeric(y, errors="coerce").to_numpy(float)
    )
    ok = y.notna().to_numpy() & df[group].notna().to_numpy()
    g = df[group].astype("object").to_numpy()
    levels = [v for v in pd.unique(g[ok])]
    if len(levels) != 2:
        raise SurveyUsageError(f"contrast_deff: {group!r} must have two groups, found {levels!r}")
    w = design.weights
    scores = np.zeros(len(df))
    srs = 0.0
    diff_sign = (1.0, -1.0)
    for lv, sign in zip(levels, diff_sign, strict=True):
        m = ok & (g == lv)
        sw = w[m].sum()
        mu = (w[m] * codes[m]).sum() / sw
        scores[m] += sign * w[m] * (codes[m] - mu) / sw
        nm = int(m.sum())
        s2 = (w[m] * (codes[m] - mu) ** 2).sum() / sw * nm / max(nm - 1, 1)
        srs += s2 / nm
    var = float(design.variance(scores)[0, 0])
    return var / srs


def detectable_odds_ratio_table(
    df: pd.DataFrame,
    outcome: str,
    *,
    group: str = "service",
    ns: Sequence[int] | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    deff: float = 1.0,
    weights=None,
) -> pd.DataFrame:
    """Smallest odds ratio between the two groups the next wave detects with ``power``.

    From this year's answers: the marginal distribution of ``outcome`` (answers on the
    scale, don't know left out) and the share of the first level of ``group`` among
    those who answered; for this year's ``n`` and each size in ``ns`` (by default this
    year's ``n`` and twice it), the odds ratio of :func:`detectable_odds_ratio`.
    ``weights`` (a column, values or a :class:`~analysis.survey.SurveyDesign`) sets
    ``deff`` to :func:`contrast_deff` of this year's design, so the next wave is planned
    with this year's design effect. The answer distribution is the respondents'.

    This is the function the report's methods appendix calls.

    Returns
    -------
    DataFrame
        One row per size: ``outcome``, ``group``, ``n``, ``is_current``, ``fraction``,
        ``deff``, ``power``, ``alpha``, ``odds_ratio``.

    References
    ----------
    Whitehead J. (1993). Statistics in Medicine 12:2257-2271.

    Examples
    --------
    >>> d = pd.DataFrame({"q": [1, 2, 3, 3, 4, 5] * 20, "service": ["a", "b"] * 60})
    >>> detectable_odds_ratio_table(d, "q", ns=[240])[["n", "odds_ratio"]].round(3).to_dict("records")
    [{'n': 120, 'odds_ratio': 2.507}, {'n': 240, 'odds_ratio': 1.91}]
    """
    for c in (outcome, group):
        if c not in df.columns:
            raise SurveyUsageError(f"power: column {c!r} not in the data")
    if weights is not None:
        deff = contrast_deff(df, outcome, group, weights)
    sub = df[[outcome, group]].dropna()
    g = sub[group]
    levels = (
        [c for c in g.cat.categories if c in set(g)]
        if isinstance(g.dtype, pd.CategoricalDtype)
        else sorted(pd.unique(g), key=str)
    )
    if len(levels) != 2:
        raise SurveyUsageError(
            f"power: {group!r} must have two groups among the answers, found {levels!r}"
        )
    y = sub[outcome]
    cats = (
        list(y.cat.categories) if isinstance(y.dtype, pd.CategoricalDtype) else sorted(pd.unique(y))
    )
    probs = y.astype("object").value_counts().reindex(cats, fill_value=0).to_numpy(float)
    probs = probs / probs.sum()
    n0 = len(sub)
    frac = float((g.astype("object") == levels[0]).mean())
    sizes = [n0] + [int(s) for s in (ns if ns is not None else [2 * n0]) if int(s) != n0]
    rows = [
        {
            "outcome": outcome,
            "group": group,
            "n": s,
            "is_current": s == n0,
            "fraction": frac,
            "deff": deff,
            "power": power,
            "alpha": alpha,
            "odds_ratio": detectable_odds_ratio(
                probs, s, power=power, fraction=frac, alpha=alpha, deff=deff
            ),
        }
        for s in sizes
    ]
    return pd.DataFrame(rows)
