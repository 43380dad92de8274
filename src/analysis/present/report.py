"""The report's paragraphs and reader tables, one function per piece a chapter shows.

The notebooks stay thin: they compute the tables with :mod:`analysis.stats` and
:mod:`analysis.models`, save them, and call these functions, which write every sentence and
header from the message catalogue, format every number by locale and show the result through
a :class:`~analysis.present.chapter.Chapter` (numbered tables and figures). Nothing here
computes a statistic except the Newcombe interval of a difference shown next to the two
shares it compares.

Example
-------
>>> ch = Chapter(1, lang="it", output_dir=None, display=lambda obj: None)
>>> effect_name("logit", "it"), effect_name("probit", "en")
('odds ratio', 'coefficients (probit link)')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.present.chapter import Chapter
from analysis.present.findings import (
    Finding,
    as_markdown,
    policies_finding,
    scale_finding,
    top_skills,
)
from analysis.present.messages import t
from analysis.present.numbers import (
    fmt_date,
    fmt_int,
    fmt_list,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_ratio,
)
from analysis.stats.intervals import newcombe_diff
from analysis.stats.views import protect_table

__all__ = [
    "Chapter", "effect_name", "method_name", "year_list",
    "sample_paragraph", "findings_table", "findings_section", "cleaning_paragraph",
    "frequency_table", "quality_table", "q1_paragraph", "multiple_response_table", "scale_section",
    "group_difference_table", "association_tests", "q4_paragraph", "battery_paragraph",
    "models_intro", "effects_paragraph", "effects_caption", "skill_labels",
    "battery_mixed_paragraph", "battery_skills_frame", "battery_skills_table", "battery_sensitivity_table",
    "detectable_or_paragraph",
    "model_fit_table", "po_table", "partial_paragraph", "links_table", "coefficient_table",
    "trend_table", "trend_tests", "trend_models",
]


# -- small helpers ---------------------------------------------------------------------------------
def effect_name(link: str, lang: str, *, article: bool = False) -> str:
    """What the model effects are called under ``link``: odds ratios (logit) or coefficients.

    ``article=True`` gives the form used inside a sentence (``gli odds ratio``, ``i coefficienti``).
    """
    kind = "effect_article" if article else "effect_name"
    if link == "logit":
        return t(f"model.{kind}.logit", lang)
    return t(f"model.{kind}.other", lang, link=t(f"link.{link}", lang))


def method_name(method: str, lang: str) -> str:
    """The test's name in the report's language, from the method string of :mod:`analysis.stats`.

    Examples
    --------
    >>> method_name("Monte Carlo exact chi-square test (10000 tables with fixed margins)", "it")
    'Test esatto (Monte Carlo)'
    """
    m = str(method).lower()
    if "monte carlo" in m:
        return t("test.monte_carlo", lang)
    if "fisher" in m:
        return t("test.fisher", lang)
    if "linear-by-linear" in m:
        return t("test.trend", lang)
    if "chi-square" in m or "chi2" in m:
        return t("test.chi2", lang)
    if m.startswith("no test"):
        return t("test.none", lang)
    return t("test.other", lang)


def _quote(text: str, lang: str) -> str:
    return f"«{text}»" if lang == "it" else f'"{text}"'


def _short(name: str, lang: str) -> str:
    """``D2`` / ``Q2``: the number part of a question's short label."""
    return t(f"qshort.{name}", lang).split(".")[0]


def year_list(years: Sequence[int], lang: str) -> str:
    """``2020, 2021 e 2022``."""
    return fmt_list([str(y) for y in sorted(years)], lang)


# -- summary ---------------------------------------------------------------------------------------
def sample_paragraph(ch: Chapter, df: pd.DataFrame, *, raking=None, margins=None) -> None:
    """The sample in one paragraph: base, fieldwork dates, how it was collected, weighting.

    ``raking`` is the :class:`~analysis.weighting.RakeResult` when the results are weighted
    (its design effect and effective sample size are given), ``margins`` the margins file.
    """
    from analysis.stats.sample import sample_summary

    s = sample_summary(df).iloc[-1]
    text = ch.t("summary.sample", n=fmt_int(s["n"], ch.lang), year=int(s["year"]),
                first=fmt_date(s["first"], ch.lang), last=fmt_date(s["last"], ch.lang))
    if raking is None:
        text += " " + ch.t("note.unweighted")
    else:
        text += " " + ch.t("note.weighted", file=getattr(margins, "name", str(margins)),
                           deff=fmt_number(raking.deff, 2, ch.lang), n_eff=fmt_int(raking.n_eff, ch.lang))
    ch.markdown(text)


def findings_table(found: Sequence[Finding]) -> pd.DataFrame:
    """The key findings as a table (sentence, rule, source table, row, column, value)."""
    return pd.DataFrame({
        "rule": [f.rule for f in found],
        "text": [f.text for f in found],
        "table": [f.table for f in found],
        "row": [json.dumps(f.row, ensure_ascii=False, sort_keys=True, default=str) for f in found],
        "column": [f.column for f in found],
        "value": [f.value for f in found],
    })


def findings_section(ch: Chapter, found: Sequence[Finding]) -> None:
    """The "In sintesi" / "Key findings" section."""
    ch.heading("findings.title")
    ch.markdown(as_markdown(found, ch.lang, ch.level))
    ch.say("findings.rules")


# -- chapter 1 ------------------------------------------------------------------------------------
def cleaning_paragraph(ch: Chapter, summary: pd.DataFrame) -> None:
    """From the export to the respondents: submissions read, tests and duplicates removed."""
    overall = summary[summary["variable"].isna()].set_index("measure")["n"]
    ch.say("ch1.cleaning", read=fmt_int(overall.get("rows_read", 0), ch.lang),
           tests=fmt_int(overall.get("test_removed", 0), ch.lang),
           dups=fmt_int(overall.get("duplicates_removed", 0), ch.lang),
           kept=fmt_int(overall.get("rows_kept", 0), ch.lang))


def frequency_table(ch: Chapter, table: pd.DataFrame, *, name: str, caption: str) -> None:
    """Answers, counts, percentages and intervals of one question (protected)."""
    data = protect_table(table)
    base = table.loc[~table["is_dk"].astype(bool), "base_display"] if "base_display" in table else None
    has_dk = bool(table["is_dk"].astype(bool).any())
    base_text = str(base.iloc[0]) if base is not None and len(base) else ""
    note = ch.t("note.base_question" if has_dk else "note.base", n=base_text)
    ch.table(data, {"label": "col.answer", "n_display": "col.n", "pct_display": "col.pct", "ci": "col.ci"},
             name=name, caption=caption, kinds={"ci": "pct"}, ci={"ci": ("ci_low", "ci_high")},
             source=note, notes=[ch.t("note.ci_wilson", level=ch.level)], disclosure=table)


def quality_table(ch: Chapter, summary: pd.DataFrame) -> None:
    """Share without an answer and share of "don't know" per question."""
    q = summary[summary["variable"].notna()].copy()
    pct_col = "percent" if "percent" in q.columns else None
    q["pct"] = q[pct_col] if pct_col else 100 * q["n"] / q["base"]
    wide = q.pivot_table(index="variable", columns="measure", values="pct", sort=False).reset_index()
    wide["label"] = [_variable_label(v, ch.lang) for v in wide["variable"]]
    cols = {"label": "col.variable", "nonresponse": "col.missing_pct"}
    if "dont_know" in wide.columns:
        cols["dont_know"] = "col.dk_pct"
    base = summary.loc[summary["measure"] == "rows_kept", "n"]
    ch.table(wide, cols, name="data_quality", caption=ch.t("cap.quality"),
             kinds={"nonresponse": "pct1", "dont_know": "pct1"},
             source=ch.t("note.base", n=fmt_int(base.iloc[0], ch.lang)) if len(base) else None)


def _variable_label(column: str, lang: str) -> str:
    """A question's short label, a profile variable's name, or ``D7 – Empatia`` for a battery item."""
    from analysis.codebook import load_codebook

    name, _, item = str(column).partition("__")
    if item:
        cb = load_codebook()
        label = next((i.label(lang) for i in cb[name].items if str(i.code) == item), item) \
            if name in cb else item
        return f"{_short(name, lang)} – {label}" if ch_has(f"qshort.{name}") else label
    if ch_has(f"qshort.{name}"):
        return t(f"qshort.{name}", lang)
    if ch_has(f"var.{name}"):
        return t(f"var.{name}", lang)
    return str(column)


def ch_has(key: str) -> bool:
    from analysis.present.messages import has

    return has(key)


# -- chapter 2 ------------------------------------------------------------------------------------
def q1_paragraph(ch: Chapter, mr, *, alpha: float, fig: str) -> None:
    """Q1: picks per respondent, the most chosen skill(s) with ties, Cochran's Q."""
    f = top_skills(mr.table, lang=ch.lang, table="q1_skills", level=ch.level)
    q = mr.cochran.iloc[0]
    differ = q["pvalue"] < alpha
    ch.say("ch2.q1.text", mean=fmt_number(mr.picks["mean_picks"].iloc[0], 1, ch.lang), top=f.text,
           fig=ch.figure_ref(fig), q=fmt_number(q["q"], 1, ch.lang), df=fmt_int(q["dof"], ch.lang),
           p=fmt_p(q["pvalue"], ch.lang),
           verdict=ch.t("ch2.q1.differ" if differ else "ch2.q1.same"))


def multiple_response_table(ch: Chapter, table: pd.DataFrame, *, name: str, caption: str) -> None:
    """Options of a multiple-choice question by share of respondents."""
    data = protect_table(table)
    data = data.iloc[np.argsort(-data["pct_respondents"].fillna(-1).to_numpy(), kind="stable")]
    base = int(table["base_respondents_n"].iloc[0])
    ch.table(data, {"label": "col.option", "n_display": "col.n", "pct_display": "col.pct_respondents",
                    "ci": "col.ci"},
             name=name, caption=caption, kinds={"ci": "pct"}, ci={"ci": ("ci_low", "ci_high")},
             source=ch.t("note.base_mr", n=fmt_int(base, ch.lang)),
             notes=[ch.t("note.ci_wilson", level=ch.level)], disclosure=table)


def scale_section(ch: Chapter, cb, name: str, freq: pd.DataFrame, overall: Mapping) -> None:
    """One scale question: its text, the top-two share with interval and base, its table."""
    var = cb[name]
    ch.heading("question.heading", 4, number=var.number, text=var.text(ch.lang))
    f = scale_finding(overall, name=name, top_labels=var.labels(ch.lang)[-2:], lang=ch.lang,
                      table=f"{name}_overall", level=ch.level)
    if f is not None:
        extra = ch.t("ch2.scale.mean", mean=fmt_number(overall["mean"], 2, ch.lang))
        ch.markdown(f.text.split(": ", 1)[1][0].upper() + f.text.split(": ", 1)[1][1:] + " " + extra)
    frequency_table(ch, freq, name=name, caption=t(f"qshort.{name}", ch.lang))


def group_difference_table(ch: Chapter, cb, by_group: Mapping[str, pd.DataFrame], *, group: str) -> None:
    """Top-two share per group of each scale question, the difference and its Newcombe interval.

    One row per question and group; the difference between the two groups (first minus second)
    and its interval are on the question's first row.
    """
    labels = cb[group].label_map(ch.lang)
    rows = []
    for name, s in by_group.items():
        s = s.reset_index(drop=True)
        d = lo = hi = np.nan
        if len(s) == 2 and s["top2_pct"].notna().all():
            a, b = s.iloc[0], s.iloc[1]
            d, lo, hi = newcombe_diff(a["top2_pct"], a["top2_ci_low"], a["top2_ci_high"],
                                      b["top2_pct"], b["top2_ci_low"], b["top2_ci_high"])
        for i, r in s.iterrows():
            rows.append({"q": _short(name, ch.lang) if i == 0 else "",
                         "g": labels.get(r[group], r[group]), "n": r["n"], "p": r["top2_pct"],
                         "lo": r["top2_ci_low"], "hi": r["top2_ci_high"],
                         "d": d if i == 0 else np.nan, "dlo": lo if i == 0 else np.nan,
                         "dhi": hi if i == 0 else np.nan})
    if not rows:
        return
    data = pd.DataFrame(rows)
    ch.table(data, {"q": "col.question", "g": t(f"var.{group}", ch.lang), "n": "col.n", "p": "col.top2",
                    "ci": "col.ci", "d": "col.change_groups", "dci": "col.ci_diff"},
             name=f"top2_by_{group}",
             caption=ch.t("cap.top2_by_group", group=t(f"var.{group}", ch.lang).lower()),
             kinds={"n": "count", "p": "pct", "ci": "pct", "d": "pp", "dci": "num0"},
             ci={"ci": ("lo", "hi"), "dci": ("dlo", "dhi")},
             notes=[ch.t("note.ci_wilson", level=ch.level), ch.t("note.newcombe", level=ch.level)])


def association_tests(ch: Chapter, cb, tests: pd.DataFrame, *, alpha: float) -> None:
    """Tests of association by service type and role, in words and in a table."""
    data = tests.copy()
    data["q"] = [t(f"qshort.{r}", ch.lang) for r in data["row"]]
    data["by"] = [t(f"var.{c}", ch.lang) for c in data["col"]]
    data["m"] = [method_name(m, ch.lang) for m in data["method"]]
    sig = data[data["pvalue"] < alpha]
    if len(sig):
        items = [f"{_short(r.row, ch.lang)} {ch.t('word.by')} {r.by.lower()} "
                 f"(V = {fmt_number(r.cramers_v, 2, ch.lang)})" for r in sig.itertuples()]
        ch.say("ch2.assoc.some", items=fmt_list(items, ch.lang), alpha=fmt_number(alpha, 2, ch.lang))
    else:
        ch.say("ch2.assoc.none", alpha=fmt_number(alpha, 2, ch.lang))
    ch.table(data.rename(columns={"pvalue": "p"}),
             {"q": "col.question", "by": "col.by", "m": "col.test", "p": "col.p",
              "cramers_v": "col.cramers_v", "n": "col.n"},
             name="association_tests", caption=ch.t("cap.assoc"),
             kinds={"p": "p", "cramers_v": "num2", "n": "count"}, notes=[ch.t("note.assoc_rule")])


def q4_paragraph(ch: Chapter, table: pd.DataFrame) -> None:
    """Q4: the share in favour among those with an opinion (dk left out and counted)."""
    f = policies_finding(table, lang=ch.lang, table="q4_policies", level=ch.level)
    if f is not None:
        ch.markdown(f.text)


def battery_paragraph(ch: Chapter, cb, battery: pd.DataFrame, *, fig: str) -> None:
    """Q7: the skill(s) with the highest mean rating (ties named together)."""
    b = battery.dropna(subset=["mean"])
    if b.empty:
        return
    shown = b["mean"].round(2)
    best = b[shown == shown.max()]
    items = {str(i.code): i.label(ch.lang) for i in cb["q7_skill_relevance"].items}
    names = [items.get(str(c), str(c)) for c in best["item"]]
    ch.say("ch2.q7.text", skills=fmt_list(names, ch.lang), mean=fmt_number(shown.max(), 2, ch.lang),
           fig=ch.figure_ref(fig))


# -- chapter 3 ------------------------------------------------------------------------------------
def models_intro(ch: Chapter, refs: Mapping[str, str], *, link: str, fig: str) -> None:
    """What the models are, how to read the effects, the reference categories."""
    ref_text = "; ".join(f"{t(f'var.{v}', ch.lang).lower()}: {_quote(lbl, ch.lang)}" for v, lbl in refs.items())
    ch.say("ch3.intro", link=t(f"link.{link}", ch.lang), refs=ref_text, fig=ch.figure_ref(fig),
           effects=effect_name(link, ch.lang, article=True))


def effects_paragraph(ch: Chapter, coef: pd.DataFrame, po: pd.DataFrame, *, labels: Mapping[str, str],
                      short: Mapping[str, str], alpha: float, link: str) -> None:
    """The significant effects, each with its value and interval, and whether PO holds for it."""
    lr = po[po["test"] == "LR"]
    ratio = link == "logit" and "odds_ratio" in coef.columns
    items = []
    for r in coef[coef["p"] < alpha].itertuples():
        var = str(r.term).partition("[")[0]
        test = lr[(lr["outcome"] == r.outcome) & (lr["term"] == var)]
        p_po = test["p"].iloc[0] if not test.empty else np.nan
        value = (f"{fmt_ratio(r.odds_ratio, ch.lang)} ({fmt_ratio(r.or_low, ch.lang)}–{fmt_ratio(r.or_high, ch.lang)})"
                 if ratio else f"{fmt_number(r.estimate, 2, ch.lang, sign=True)}")
        flag = ("" if p_po >= alpha else " " + ch.t("ch3.po_flag") if pd.notna(p_po)
                else " " + ch.t("ch3.po_untestable"))
        items.append(f"{short[r.outcome]}, {labels.get(r.term, r.term)}: {value}{flag}")
    if items:
        ch.markdown(ch.t("ch3.effects.some", alpha=fmt_number(alpha, 2, ch.lang),
                         effects=effect_name(link, ch.lang)) + "\n\n" + "\n".join(f"- {i}" for i in items))
    else:
        ch.say("ch3.effects.none", alpha=fmt_number(alpha, 2, ch.lang))


def effects_caption(ch: Chapter, link: str, refs: Mapping[str, str]) -> str:
    """Caption of the forest plot: what the points and bars are, labelled by link."""
    key = "cap.effects.logit" if link == "logit" else "cap.effects.other"
    return ch.t(key, level=ch.level, link=t(f"link.{link}", ch.lang))


def skill_labels(cb, lang: str) -> dict[str, str]:
    """Readable name of each skill of the Q7 battery, by item code."""
    return {i.code: i.label(lang) for i in cb["q7_skill_relevance"].items}


def battery_mixed_paragraph(ch: Chapter, bm, *, fig: str) -> None:
    """Q7 mixed model: ratings, respondent SD and ICC in plain words, LR test of the respondent effect."""
    fit, rnd = bm.fit.iloc[0], bm.random.iloc[0]
    ch.say("ch3.battery.mixed", n=fmt_int(fit["n_respondents"], ch.lang), k=fmt_int(fit["nobs"], ch.lang),
           sd=fmt_number(rnd["sd"], 2, ch.lang), icc=fmt_pct(100 * rnd["icc"], 0, ch.lang),
           lr=fmt_number(fit["lr"], 1, ch.lang), p=fmt_p(fit["p"], ch.lang), fig=ch.figure_ref(fig))


def battery_skills_frame(bm) -> pd.DataFrame:
    """The skills against the average skill, shaped for :func:`analysis.plots.effect_forest` (rank order)."""
    s = bm.skills
    return pd.DataFrame({"outcome": "q7_skill_relevance", "term": s["skill"].astype(str),
                         "estimate": s["effect"], "ci_low": s["ci_low"], "ci_high": s["ci_high"]})


def battery_skills_table(ch: Chapter, bm, labels: Mapping[str, str]) -> None:
    """Reader table of the skills ranked net of each respondent's leniency, with their intervals."""
    s = bm.skills
    data = s.assign(name=[labels.get(str(x), str(x)) for x in s["skill"]])
    ch.table(data, {"rank": "col.rank", "name": "col.skill", "effect": "col.skill_effect", "ci": "col.ci"},
             name="battery_skills", caption=ch.t("cap.battery_skills"),
             kinds={"rank": "num0", "effect": "num2", "ci": "num2"}, ci={"ci": ("ci_low", "ci_high")})


def battery_sensitivity_table(ch: Chapter, bm, labels: Mapping[str, str], *, reference: str) -> None:
    """Appendix: the cluster-robust fixed-effects fit of Q7 beside the mixed model's coefficients."""
    sens = bm.sensitivity
    data = sens.assign(name=[labels.get(x, x) for x in sens["term"]])
    ch.say("app.battery.sensitivity", reference=reference)
    ch.table(data, {"name": "col.term", "estimate_mixed": "col.estimate_mixed", "estimate": "col.estimate_robust",
                    "ci": "col.ci_robust"},
             name="battery_sensitivity", caption=ch.t("cap.battery_sensitivity"),
             kinds={"estimate_mixed": "num2", "estimate": "num2", "ci": "num2"}, ci={"ci": ("ci_low", "ci_high")})


def detectable_or_paragraph(ch: Chapter, mde: pd.DataFrame) -> None:
    """Methods appendix: smallest Q2 odds ratio between in-house and outsourced services the next wave detects.

    ``mde`` is :func:`analysis.power.detectable_odds_ratio_table` of ``q2_relevance`` by ``service``.
    """
    cur = mde[mde["is_current"]].iloc[0]
    big = mde[~mde["is_current"]].iloc[-1]
    key = "app.power.mde_deff" if cur["deff"] != 1 else "app.power.mde"
    ch.say(key, power=fmt_pct(100 * cur["power"], 0, ch.lang), alpha=fmt_number(cur["alpha"], 2, ch.lang),
           n0=fmt_int(cur["n"], ch.lang), or0=fmt_ratio(cur["odds_ratio"], ch.lang),
           n1=fmt_int(big["n"], ch.lang), or1=fmt_ratio(big["odds_ratio"], ch.lang),
           deff=fmt_number(cur["deff"], 2, ch.lang))


def model_fit_table(ch: Chapter, fit: pd.DataFrame, short: Mapping[str, str]) -> None:
    """Fit of each model: n, log-likelihood, AIC, convergence and its evidence."""
    data = fit.assign(q=[short[o] for o in fit["outcome"]])
    ch.say("app.models.fit")
    ch.table(data, {"q": "col.question", "nobs": "col.n", "loglik": "col.loglik", "aic": "col.aic",
                    "converged": "col.converged", "max_grad": "col.max_grad",
                    "cond_hessian": "col.cond_hessian"},
             name="model_fit", caption=ch.t("cap.model_fit"),
             kinds={"nobs": "count", "loglik": "num1", "aic": "num1", "converged": "bool",
                    "max_grad": "sci", "cond_hessian": "sci"})


def po_table(ch: Chapter, po: pd.DataFrame, short: Mapping[str, str], *, alpha: float) -> None:
    """Tests of proportional odds (LR, and Brant where it was computed)."""
    data = po.copy()
    data["q"] = [short[o] for o in data["outcome"]]
    data["v"] = [t(f"var.{v}", ch.lang) if ch_has(f"var.{v}") else
                 t("test.omnibus", ch.lang) if v == "Omnibus" else str(v) for v in data["term"]]
    data["test_name"] = [t("test.lr", ch.lang) if x == "LR" else t("test.brant", ch.lang) for x in data["test"]]
    data["p_text"] = [fmt_p(p, ch.lang) if pd.notna(p) else t("test.not_testable", ch.lang) for p in data["p"]]
    has_brant = bool((data["test"] == "Brant").any())
    ch.say("app.models.po_brant" if has_brant else "app.models.po", alpha=fmt_number(alpha, 2, ch.lang))
    ch.table(data, {"q": "col.question", "v": "col.variable_model", "test_name": "col.test", "df": "col.df",
                    "statistic": "col.statistic", "p_text": "col.p"},
             name="proportional_odds", caption=ch.t("cap.po"),
             kinds={"df": "num0", "statistic": "num2", "p_text": "text_num"})


def partial_paragraph(ch: Chapter, question: str, terms: Sequence[str], lr: pd.DataFrame) -> None:
    """A partial proportional-odds refit, in one sentence."""
    row = lr.iloc[-1]
    p = row.get("p", row.get("pvalue", np.nan))
    ch.say("app.models.partial", q=question, terms=fmt_list([t(f"var.{x}", ch.lang).lower() for x in terms], ch.lang),
           p=fmt_p(p, ch.lang))


def links_table(ch: Chapter, links: pd.DataFrame, *, link: str) -> None:
    """AIC of the same model under each link, and a comment when another link fits clearly better."""
    data = links.assign(name=[t(f"link.{x}", ch.lang) for x in links["link"]])
    best = links.iloc[0]
    used = links.set_index("link").loc[link] if link in set(links["link"]) else None
    if used is not None and used["delta_aic"] > 2:
        ch.say("app.links.worse", best=t(f"link.{best['link']}", ch.lang), link=t(f"link.{link}", ch.lang),
               d=fmt_number(used["delta_aic"], 1, ch.lang))
    else:
        ch.say("app.links.fine", link=t(f"link.{link}", ch.lang))
    ch.table(data, {"name": "col.link", "loglik": "col.loglik", "aic": "col.aic", "delta_aic": "col.delta_aic"},
             name="links_compared", caption=ch.t("cap.links"),
             kinds={"loglik": "num1", "aic": "num1", "delta_aic": "num1"})


def coefficient_table(ch: Chapter, coef: pd.DataFrame, labels: Mapping[str, str], short: Mapping[str, str],
                      *, link: str) -> None:
    """Every coefficient of the models (the figure of chapter 3 in numbers)."""
    data = coef.assign(q=[short[o] for o in coef["outcome"]], term_label=[labels.get(x, x) for x in coef["term"]])
    if link == "logit" and "odds_ratio" in coef.columns:
        cols = {"q": "col.question", "term_label": "col.term", "odds_ratio": "col.odds_ratio", "ci": "col.ci",
                "p": "col.p"}
        kinds = {"odds_ratio": "ratio", "ci": "num2", "p": "p"}
        ci = {"ci": ("or_low", "or_high")}
    else:
        cols = {"q": "col.question", "term_label": "col.term", "estimate": "col.estimate", "ci": "col.ci",
                "p": "col.p"}
        kinds = {"estimate": "num2", "ci": "num2", "p": "p"}
        ci = {"ci": ("ci_low", "ci_high")}
    ch.table(data, cols, name="model_coefficients",
             caption=ch.t("cap.coefficients", effects=effect_name(link, ch.lang)), kinds=kinds, ci=ci,
             label_values={"link": t(f"link.{link}", ch.lang), "level": ch.level})


# -- chapter 4 ------------------------------------------------------------------------------------
def trend_table(ch: Chapter, series: Mapping[str, pd.DataFrame]) -> None:
    """Top-two share per year (rows) and question (columns), with intervals and bases."""
    years = sorted({int(y) for s in series.values() for y in s["year"]})
    data = pd.DataFrame({"year": [str(y) for y in years]})
    cols: dict[str, str] = {"year": "col.year"}
    kinds: dict[str, str] = {}
    for name, s in series.items():
        s = s.set_index(s["year"].astype(int)).reindex(years)
        q = _short(name, ch.lang)
        data[f"{name}_p"] = s["top2_pct"].to_numpy()
        data[f"{name}_ci"] = [
            "" if pd.isna(a) else f"{fmt_number(a, 0, ch.lang)}–{fmt_number(b, 0, ch.lang)}%"
            for a, b in zip(s["top2_ci_low"], s["top2_ci_high"], strict=True)]
        data[f"{name}_n"] = s["n"].to_numpy()
        cols[f"{name}_p"] = f"{q} (%)"
        cols[f"{name}_ci"] = f"{q} {t('ci.level', ch.lang, level=ch.level)}"
        cols[f"{name}_n"] = f"{q} N"
        kinds[f"{name}_p"] = "pct"
        kinds[f"{name}_ci"] = "text_num"
        kinds[f"{name}_n"] = "count"
    ch.table(data, cols, name="trend_top2", caption=ch.t("cap.trend_table"), kinds=kinds,
             notes=[ch.t("note.ci_wilson", level=ch.level)])


def trend_tests(ch: Chapter, tests: pd.DataFrame, *, alpha: float) -> None:
    """Tests of change across the years, per question."""
    data = tests.copy()
    data["q"] = [t(f"qshort.{q}", ch.lang) for q in data["question"]]
    data["m"] = [method_name(m, ch.lang) for m in data["method"]]
    data = data.rename(columns={"pvalue": "p"})
    ch.table(data, {"q": "col.question", "m": "col.test", "p": "col.p", "n": "col.n"},
             name="trend_tests", caption=ch.t("cap.trend_tests"), kinds={"p": "p", "n": "count"})


def trend_models(ch: Chapter, fit: pd.DataFrame, *, link: str, alpha: float) -> None:
    """The yearly trend of each question, other characteristics held equal."""
    data = fit.assign(q=[t(f"qshort.{o}", ch.lang) for o in fit["outcome"]])
    ratio = link == "logit" and "odds_ratio" in fit.columns
    if ratio:
        cols = {"q": "col.question", "odds_ratio": "col.trend_or", "ci": "col.ci", "p": "col.p", "nobs": "col.n"}
        kinds = {"odds_ratio": "ratio", "ci": "num2", "p": "p", "nobs": "count"}
        ci = {"ci": ("or_low", "or_high")}
    else:
        cols = {"q": "col.question", "estimate": "col.trend_coef", "ci": "col.ci", "p": "col.p", "nobs": "col.n"}
        kinds = {"estimate": "num2", "ci": "num2", "p": "p", "nobs": "count"}
        ci = {"ci": ("ci_low", "ci_high")}
    ch.say("ch4.models.intro", effects=effect_name(link, ch.lang, article=True))
    ch.table(data, cols, name="trend_models", caption=ch.t("cap.trend_models"), kinds=kinds, ci=ci,
             label_values={"link": t(f"link.{link}", ch.lang), "level": ch.level})

