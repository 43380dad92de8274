"""The survey's ordinal models: which questions, which predictors, and the tidy tables around them.

:mod:`analysis.ordinal` is the general cumulative-link engine; this module applies it to
the prepared survey data the way the reports do:

- questions 2, 3 and 6 (:data:`MODEL_OUTCOMES`) on the respondent profile
  (:data:`DEFAULT_PREDICTORS`), one model per question (:func:`fit_question_models`);
- tidy tables of coefficients and odds ratios (:func:`coefficient_table`), of the tests of
  proportional odds (:func:`proportional_odds_table`) and of the links compared
  (:func:`compare_links`);
- the partial proportional-odds refit for the terms whose test fails (:func:`fit_partial_model`);
- predicted probabilities over a grid of profiles (:func:`predicted_probabilities`);
- the per-skill battery (from 2022) in long format with cluster-robust SEs
  (:func:`battery_long`, :func:`fit_battery_model`);
- pooled models across years with a linear year trend (:func:`fit_trend_model`).

Example
-------
>>> from analysis.prepare import prepare                           # doctest: +SKIP
>>> df = prepare("data/raw/2020.csv", 2020).data                   # doctest: +SKIP
>>> fits = fit_question_models(df)                                 # doctest: +SKIP
>>> coefficient_table(fits).head()                                 # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Codebook, load_codebook
from analysis.config import DEFAULT_LANG
from analysis.ordinal import LINKS, fit_ordinal

__all__ = [
    "MODEL_OUTCOMES",
    "DEFAULT_PREDICTORS",
    "model_formula",
    "model_frame",
    "fit_question_models",
    "coefficient_table",
    "fit_statistics",
    "proportional_odds_table",
    "failing_terms",
    "fit_partial_model",
    "compare_links",
    "predicted_probabilities",
    "battery_long",
    "fit_battery_model",
    "fit_trend_model",
]

#: Ordinal questions modelled on the respondent profile.
MODEL_OUTCOMES: tuple[str, ...] = ("q2_relevance", "q3_soft_vs_hard", "q6_valued")
#: Profile variables used as predictors.
DEFAULT_PREDICTORS: tuple[str, ...] = ("role", "service", "sector", "experience")


def model_formula(outcome: str, predictors: Sequence[str] = DEFAULT_PREDICTORS) -> str:
    """Return the patsy formula ``"outcome ~ p1 + p2 + ..."``.

    Examples
    --------
    >>> model_formula("q2_relevance", ["role", "service"])
    'q2_relevance ~ role + service'
    """
    return f"{outcome} ~ " + " + ".join(predictors)


def model_frame(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The columns a model needs, complete cases only, unused categories removed.

    Unused categories of a predictor would give an all-zero dummy (a collinear design);
    unused outcome levels are left to :func:`analysis.ordinal.fit_ordinal`, which drops
    them with a warning naming them.
    """
    cols = list(dict.fromkeys(columns))
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the data: {', '.join(missing)}")
    out = df[cols].dropna().copy()
    for col in cols[1:]:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].cat.remove_unused_categories()
    return out


def fit_question_models(
    df: pd.DataFrame,
    outcomes: Sequence[str] = MODEL_OUTCOMES,
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    *,
    link: str = "logit",
    weights: str | None = None,
) -> dict[str, Any]:
    """Fit one cumulative-link model per outcome on the same predictors.

    Parameters
    ----------
    df : DataFrame
        Prepared survey data (ordered Categoricals).
    outcomes, predictors : sequence of str
        Column names.
    link : str
        One of :data:`analysis.ordinal.LINKS`.
    weights : str, optional
        Column of survey weights.

    Returns
    -------
    dict
        Outcome name to its fitted :class:`~analysis.ordinal.OrdinalResults`.
    """
    fits: dict[str, Any] = {}
    for outcome in outcomes:
        cols = [outcome, *predictors] + ([weights] if weights else [])
        data = model_frame(df, cols)
        fits[outcome] = fit_ordinal(
            model_formula(outcome, predictors), data=data, link=link, weights=weights
        )
    return fits


def coefficient_table(fits: Mapping[str, Any]) -> pd.DataFrame:
    """Tidy table of the coefficients of several fits: one row per outcome and term."""
    frames = []
    for outcome, res in fits.items():
        coef = res.coef.reset_index().rename(columns={"index": "term"})
        if "term" not in coef.columns:
            coef = coef.rename(columns={coef.columns[0]: "term"})
        coef.insert(0, "outcome", outcome)
        frames.append(coef)
    return pd.concat(frames, ignore_index=True)


def fit_statistics(fits: Mapping[str, Any]) -> pd.DataFrame:
    """One row per fit: n, log-likelihood, AIC, BIC, convergence and its evidence."""
    rows = [
        {
            "outcome": outcome,
            "link": res.link,
            "nobs": int(res.nobs),
            "loglik": float(res.loglik),
            "aic": float(res.aic),
            "bic": float(res.bic),
            "converged": bool(res.converged),
            "max_grad": float(res.max_grad),
            "cond_hessian": float(res.cond_hessian),
        }
        for outcome, res in fits.items()
    ]
    return pd.DataFrame(rows)


def _test_rows(outcome: str, test: str, table: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """Rows ``outcome, term, test, df, statistic, p`` from a test table of the engine."""
    return pd.DataFrame(
        {
            "outcome": outcome,
            "term": table["term"].to_numpy(),
            "test": test,
            "df": table["df"].to_numpy(dtype=float),
            "statistic": table[statistic].to_numpy(dtype=float),
            "p": table["p"].to_numpy(dtype=float),
        }
    )


def proportional_odds_table(fits: Mapping[str, Any]) -> pd.DataFrame:
    """Likelihood-ratio (``nominal_test``) and Brant tests of proportional odds, per outcome and term.

    Returns
    -------
    DataFrame
        Columns ``outcome, term, test, df, statistic, p``; ``test`` is ``"LR"`` or ``"Brant"``;
        the Brant omnibus row has ``term == "Omnibus"`` (Brant rows for the logit link only).
    """
    frames = []
    for outcome, res in fits.items():
        lr = res.nominal_test()
        lr = lr[lr["term"] != "<none>"]
        frames.append(_test_rows(outcome, "LR", lr, statistic="lrt"))
        if res.link != "logit":
            continue  # Brant's test is defined for the logit link only
        try:
            brant = res.brant_test()
        except np.linalg.LinAlgError:
            # A binary split with a category that never crosses it (sparse data): the
            # separate logits Brant's test needs do not exist; the LR test above still does.
            warnings.warn(
                f"Brant test of {outcome} not computed: a binary split is separated "
                "(a category with no answers on one side); see the LR test",
                stacklevel=2,
            )
            continue
        frames.append(_test_rows(outcome, "Brant", brant, statistic="chi2"))
    return pd.concat(frames, ignore_index=True)


def failing_terms(po_table: pd.DataFrame, outcome: str, alpha: float = 0.05) -> list[str]:
    """Terms whose likelihood-ratio test of proportional odds rejects at ``alpha``."""
    rows = po_table[(po_table["outcome"] == outcome) & (po_table["test"] == "LR")]
    return [str(t) for t in rows.loc[rows["p"] < alpha, "term"]]


def fit_partial_model(
    df: pd.DataFrame,
    outcome: str,
    nominal_terms: Sequence[str],
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    *,
    link: str = "logit",
) -> Any:
    """Partial proportional-odds model: ``nominal_terms`` get threshold-specific effects.

    Returns
    -------
    OrdinalResults
        The fit with ``nominal="~ t1 + t2"``; compare it with the proportional-odds fit
        through ``partial.lr_test(po_fit)``.
    """
    if not nominal_terms:
        raise ValueError("fit_partial_model needs at least one nominal term")
    location = [p for p in predictors if p not in nominal_terms]
    data = model_frame(df, [outcome, *predictors])
    rhs = " + ".join(location) if location else "1"
    return fit_ordinal(
        f"{outcome} ~ {rhs}", data=data, link=link, nominal="~ " + " + ".join(nominal_terms)
    )


def compare_links(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    links: Sequence[str] = LINKS,
) -> pd.DataFrame:
    """Fit the same model with each link: log-likelihood, AIC, convergence, sorted by AIC."""
    data = model_frame(df, [outcome, *predictors])
    rows = []
    for link in links:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit_ordinal(model_formula(outcome, predictors), data=data, link=link)
        rows.append(
            {
                "outcome": outcome,
                "link": link,
                "loglik": float(res.loglik),
                "aic": float(res.aic),
                "converged": bool(res.converged),
            }
        )
    out = pd.DataFrame(rows).sort_values("aic", kind="stable").reset_index(drop=True)
    out["delta_aic"] = out["aic"] - out["aic"].min()
    return out


def _typical_value(series: pd.Series) -> Any:
    mode = series.mode(dropna=True)
    return mode.iloc[0] if len(mode) else series.dropna().iloc[0]


def predicted_probabilities(
    res: Any,
    df: pd.DataFrame,
    by: Sequence[str],
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
) -> pd.DataFrame:
    """Predicted probability of each outcome level over every combination of ``by``.

    The predictors not in ``by`` are held at their most frequent value in ``df``.

    Returns
    -------
    DataFrame
        Long format: the ``by`` columns, ``level``, ``probability``, ``se``, ``ci_low``,
        ``ci_high`` (delta-method 95% intervals, clipped to [0, 1]).
    """
    levels = {b: [c for c in df[b].cat.categories if (df[b] == c).any()] for b in by}
    grid = pd.MultiIndex.from_product([levels[b] for b in by], names=list(by)).to_frame(index=False)
    for p in predictors:
        if p not in by:
            grid[p] = _typical_value(df[p])
    for p in predictors:
        if isinstance(df[p].dtype, pd.CategoricalDtype):
            grid[p] = pd.Categorical(grid[p], categories=df[p].cat.categories, ordered=df[p].cat.ordered)
    pred = res.predict_proba(grid, se=True)  # columns row, level, prob, se, ci_low, ci_high
    keys = grid[list(by)].reset_index(drop=True)
    keys["row"] = np.arange(len(keys))
    row_index = pd.Series(np.arange(len(grid)), index=grid.index)
    pred = pred.assign(row=row_index.reindex(pred["row"]).to_numpy())
    out = keys.merge(pred, on="row").drop(columns="row").rename(columns={"prob": "probability"})
    out["ci_low"] = out["ci_low"].clip(0, 1)
    out["ci_high"] = out["ci_high"].clip(0, 1)
    return out


def battery_long(
    df: pd.DataFrame,
    name: str = "q7_skill_relevance",
    keep: Sequence[str] = ("respondent_id", *DEFAULT_PREDICTORS),
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The per-skill battery in long format: one row per respondent and skill answered.

    Returns
    -------
    DataFrame
        ``keep`` columns, ``skill`` (Categorical of the item codes, codebook order) and
        ``rating`` (ordered Categorical of the scale codes).
    """
    cb = codebook or load_codebook()
    var = cb[name]
    present = [c for c in var.columns if c in df.columns]
    if not present:
        raise KeyError(f"the data have no item of the battery {name!r} (asked from 2022 on)")
    long = df[list(keep) + present].melt(list(keep), var_name="skill", value_name="rating")
    long = long.dropna(subset=["rating"])
    prefix = f"{name}__"
    codes = [i.code for i in var.items]
    long["skill"] = pd.Categorical(long["skill"].str.removeprefix(prefix), categories=codes)
    long["rating"] = pd.Categorical(long["rating"], categories=var.codes, ordered=True)
    return long.reset_index(drop=True)


def fit_battery_model(
    long: pd.DataFrame,
    predictors: Sequence[str] = ("role", "service", "experience"),
    *,
    link: str = "logit",
    cluster: str = "respondent_id",
) -> Any:
    """Ordinal model of the battery ratings on skill and profile, SEs clustered by respondent."""
    data = model_frame(long, ["rating", "skill", *predictors, cluster])
    return fit_ordinal(
        "rating ~ " + " + ".join(["skill", *predictors]), data=data, link=link, cluster=cluster
    )


def fit_trend_model(
    pooled: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str] = ("role", "service", "experience"),
    *,
    link: str = "logit",
    reference_year: int | None = None,
) -> Any:
    """Pooled model across years with a linear trend ``year_c`` (years since ``reference_year``).

    ``reference_year`` defaults to the first year in the data, so ``year_c`` reads as
    "years since the first survey" and its odds ratio as the change per year.
    """
    data = model_frame(pooled, [outcome, "year", *predictors])
    first = int(data["year"].min()) if reference_year is None else reference_year
    data["year_c"] = data["year"].astype(float) - first
    return fit_ordinal(model_formula(outcome, ["year_c", *predictors]), data=data, link=link)


def term_labels(terms: Iterable[str], codebook: Codebook | None = None,
                lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Readable labels for patsy term names, from the codebook.

    Examples
    --------
    >>> term_labels(["role[T.manager]", "year_c"], lang="en")["role[T.manager]"]
    'Role: Manager'
    """
    cb = codebook or load_codebook()
    out: dict[str, str] = {}
    for term in terms:
        name, _, rest = term.partition("[T.")
        if rest and name in cb:
            var = cb[name]
            code_text = rest.rstrip("]")
            label = code_text
            for code, text in var.label_map(lang).items():
                if str(code) == code_text:
                    label = text
                    break
            out[term] = f"{_short(var, lang) if var.type == 'profile' else var.text(lang)}: {label}"
        elif rest and name == "skill":
            code_text = rest.rstrip("]")
            items = cb["q7_skill_relevance"].items
            label = next((i.label(lang) for i in items if str(i.code) == code_text), code_text)
            out[term] = f"{'Skill' if lang == 'en' else 'Skill'}: {label}"
        elif term == "year_c":
            out[term] = "per year" if lang == "en" else "per anno"
        else:
            out[term] = term
    return out


_PROFILE_SHORT = {
    "role": ("Role", "Ruolo"),
    "service": ("Service", "Servizio"),
    "sector": ("Sector", "Settore"),
    "company_size": ("Company size", "Dimensione aziendale"),
    "experience": ("Experience", "Esperienza"),
}


def _short(var: Any, lang: str) -> str:
    en, it = _PROFILE_SHORT.get(var.name, (var.name, var.name))
    return en if lang == "en" else it
