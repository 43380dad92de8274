"""Alternative text of the figures, generated from the data they draw.

Each function takes the same tidy table as the figure and says, in the report's language,
what the figure shows and its key values (what a sighted reader takes from it). Hidden cells
are never described. The text goes into the ``<img alt>`` of the report
(:func:`analysis.present.figures.reader_figure`) and beside the PNG/SVG
(:func:`analysis.present.figures.write_alt`).

Example
-------
>>> import pandas as pd
>>> t_ = pd.DataFrame({"label": ["Empatia", "Pazienza"], "pct_respondents": [51.0, 20.0],
...                    "pct_display": ["51%", "20%"]})
>>> alt_ranking(t_, lang="it")
'Barre orizzontali della quota di rispondenti che hanno scelto ogni opzione, dalla più scelta: Empatia 51%, Pazienza 20%.'
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analysis.present.messages import t
from analysis.present.numbers import fmt_list, fmt_pct, fmt_ratio

__all__ = ["alt_ranking", "alt_likert", "alt_forest", "alt_predicted", "alt_trend", "alt_heatmap"]


def alt_ranking(table: pd.DataFrame, *, lang: str, top: int | None = None) -> str:
    """Options by share of respondents, hidden ones left out (``pct_display`` empty)."""
    shown = table[table["pct_display"].astype(str) != ""]
    shown = shown.sort_values("pct_respondents", ascending=False, kind="mergesort")
    if top:
        shown = shown.head(top)
    items = ", ".join(f"{r.label} {fmt_pct(r.pct_respondents, 0, lang)}" for r in shown.itertuples())
    text = t("alt.ranking", lang, items=items)
    if len(shown) < len(table):
        text += " " + t("alt.hidden", lang)
    return text


def alt_likert(freqs: Mapping[str, pd.DataFrame], *, lang: str) -> str:
    """Diverging bars: per item, the shares of negative and positive answers (dk excluded).

    ``freqs`` maps an item label to its :func:`analysis.stats.frequencies` table.
    """
    parts = []
    hidden = False
    for label, f in freqs.items():
        sc = f[~f["is_dk"].astype(bool)] if "is_dk" in f.columns else f
        k = len(sc)
        half = k // 2
        pct = sc["pct"].to_numpy(dtype=float)
        hid = sc["pct_hidden"].astype(bool).to_numpy() if "pct_hidden" in sc.columns else [False] * k
        neg_hidden, pos_hidden = any(hid[:half]), any(hid[k - half:])
        hidden |= bool(any(hid))
        neg = "—" if neg_hidden else fmt_pct(pct[:half].sum(), 0, lang)
        pos = "—" if pos_hidden else fmt_pct(pct[k - half:].sum(), 0, lang)
        parts.append(t("alt.likert.item", lang, label=label, neg=neg, pos=pos))
    text = t("alt.likert", lang, items=fmt_list(list(freqs), lang), detail="; ".join(parts) + ".")
    if hidden:
        text += " " + t("alt.hidden", lang)
    return text


def alt_forest(
    coef: pd.DataFrame,
    *,
    link: str,
    lang: str,
    term_labels: Mapping[str, str] | None = None,
    outcome_labels: Mapping[str, str] | None = None,
) -> str:
    """Forest plot: which intervals exclude the null value, with their estimates."""
    term_labels = dict(term_labels or {})
    outcome_labels = dict(outcome_labels or {})
    ratio = link == "logit" and "odds_ratio" in coef.columns
    point, lo, hi, null = (("odds_ratio", "or_low", "or_high", 1.0) if ratio
                           else ("estimate", "ci_low", "ci_high", 0.0))
    sig = coef[(coef[lo] > null) | (coef[hi] < null)]
    items = [
        f"{outcome_labels.get(r['outcome'], r['outcome'])}, {term_labels.get(r['term'], r['term'])} "
        f"{fmt_ratio(r[point], lang)}"
        for _, r in sig.iterrows()
    ]
    null_text = fmt_ratio(null, lang) if ratio else "0"
    detail = (t("alt.forest.significant", lang, null=null_text, items="; ".join(items)) if items
              else t("alt.forest.none", lang, null=null_text))
    effects = (t("model.effect_name.logit", lang) if ratio
               else t("model.effect_name.other", lang, link=t(f"link.{link}", lang)))
    outcomes = fmt_list([outcome_labels.get(o, o) for o in dict.fromkeys(coef["outcome"])], lang)
    return t("alt.forest", lang, effects=effects, k=coef["term"].nunique(), outcomes=outcomes,
             detail=detail)


def alt_predicted(
    pred: pd.DataFrame,
    *,
    x: str,
    facet: str | None,
    lang: str,
    top_levels: list,
    x_name: str,
    facet_name: str = "",
    x_labels: Mapping[object, str] | None = None,
    facet_labels: Mapping[object, str] | None = None,
) -> str:
    """Predicted probabilities: the profiles with the highest and lowest top-two probability."""
    x_labels = dict(x_labels or {})
    facet_labels = dict(facet_labels or {})
    keys = [x] + ([facet] if facet else [])
    top = pred[pred["level"].isin(top_levels)].groupby(keys, observed=True)["probability"].sum()
    top = top.sort_values(kind="mergesort")

    def name(key) -> str:
        key = key if isinstance(key, tuple) else (key,)
        out = str(x_labels.get(key[0], key[0]))
        if facet:
            out += f", {facet_labels.get(key[1], key[1])}"
        return out

    shown = (100 * top).round()  # ties as the reader sees them (integer percentages)
    best = [name(k) for k in top.index[shown == shown.max()]]
    worst = [name(k) for k in top.index[shown == shown.min()]]
    detail = t("alt.predicted.top", lang, best="; ".join(best), p=fmt_pct(shown.max(), 0, lang),
               worst="; ".join(worst), q=fmt_pct(shown.min(), 0, lang))
    facet_text = t("alt.predicted.facet", lang, facet=facet_name) if facet else ""
    return t("alt.predicted", lang, x=x_name, facet=facet_text, detail=detail)


def alt_trend(series: Mapping[str, pd.DataFrame], *, lang: str) -> str:
    """Trend chart: the share of the top two answers per year, per question."""
    parts = []
    for label, s in series.items():
        s = s.sort_values("year")
        values = ", ".join(
            f"{int(r.year)} {fmt_pct(r.top2_pct, 0, lang) if pd.notna(r.top2_pct) else '—'}"
            for r in s.itertuples()
        )
        parts.append(t("alt.trend.series", lang, label=label, values=values))
    return t("alt.trend", lang, series="; ".join(parts))


def alt_heatmap(cooccurrence: pd.DataFrame, labels: Mapping[str, str], *, lang: str,
                hidden: set | None = None) -> str:
    """Co-occurrence heat map: the most frequent pair of different options."""
    hidden = set(hidden or ())
    co = cooccurrence[(cooccurrence["option_a"] != cooccurrence["option_b"])
                      & ~cooccurrence["option_a"].isin(hidden) & ~cooccurrence["option_b"].isin(hidden)]
    co = co.dropna(subset=["pct_respondents"])
    if co.empty:
        return t("alt.hidden", lang)
    best = co.sort_values("pct_respondents", ascending=False, kind="mergesort").iloc[0]
    pair = f"{labels.get(best['option_a'], best['option_a'])} + {labels.get(best['option_b'], best['option_b'])}"
    return t("alt.heatmap", lang, pair=pair, pct=fmt_pct(best["pct_respondents"], 0, lang))
