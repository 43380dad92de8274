"""Key findings ("In sintesi"): five to eight sentences computed from the results by stated rules.

Nothing is typed: each finding is computed from the same tables the chapters print, and records
where its number comes from (``table``, ``row``, ``column``) so a test can check that the
summary and the tables agree. The rules, in order (:data:`RULES`):

1. ``top_skills`` — the option(s) of Q1 chosen by most respondents; ties (equal shown
   percentage) are named together;
2. ``scale`` — for each scale question, the share of the two highest answers, its interval
   and its base;
3. ``policies`` — the share of "yes" among those with an opinion on Q4, saying how many
   "don't know" are left out (the bases of Q4 and of the other questions differ);
4. ``difference`` — differences in the share of the two highest answers between the two
   service types whose Newcombe interval excludes zero (largest first), or one sentence saying
   there is none;
5. ``model`` — per question, the largest significant effect of the ordinal model whose
   proportional-odds test does not reject (a term that cannot be tested is not used), labelled
   by the link (odds ratio under the logit, coefficient otherwise);
6. ``change`` — changes since the previous comparable year whose interval excludes zero, or
   one sentence saying there is none.

Rules 1–3 always give a finding (five sentences with three scale questions); the others fill
up to :data:`MAX_FINDINGS` in the order difference, model, change, difference, model, change.
The opt-in caveat (:func:`caveat`) closes the section.

Example
-------
>>> import pandas as pd
>>> mr = pd.DataFrame({"option": ["a", "b", "c"], "label": ["Empatia", "Ascolto", "Pazienza"],
...                    "pct_respondents": [51.0, 50.6, 20.0], "ci_low": [43.0, 42.6, 14.0],
...                    "ci_high": [59.0, 58.5, 27.0], "pct_display": ["51%", "51%", "20%"]})
>>> f = top_skills(mr, lang="it", table="q1_skills")
>>> f.text
'Le competenze indicate più spesso come fondamentali sono Empatia e Ascolto, a pari merito: il 51% dei rispondenti ciascuna (IC 95%: 43–59% e 43–58%).'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis.present.messages import t
from analysis.present.numbers import (
    fmt_ci,
    fmt_int,
    fmt_list,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    pct_with_article,
)
from analysis.stats.intervals import newcombe_diff

__all__ = ["RULES", "MAX_FINDINGS", "Finding", "top_skills", "scale_finding", "policies_finding",
           "difference_findings", "model_findings", "change_findings", "select", "caveat",
           "as_markdown", "key_findings", "reference_labels", "term_labels"]

RULES: tuple[str, ...] = ("top_skills", "scale", "policies", "difference", "model", "change")
MAX_FINDINGS = 8


@dataclass(frozen=True)
class Finding:
    """One key finding: its sentence and where its main number comes from.

    ``value`` is the number as in ``table`` (row selected by ``row``, column ``column``); a
    finding that reports the absence of something has ``value`` NaN.
    """

    rule: str
    text: str
    table: str = ""
    row: dict = field(default_factory=dict)
    column: str = ""
    value: float = float("nan")
    score: float = 0.0


def _ci(low: float, high: float, lang: str, level: int, *, pct: bool = True, decimals: int = 0) -> str:
    return t("ci.in_text", lang, level=level, low=fmt_number(low, decimals, lang),
             high=fmt_number(high, decimals, lang) + ("%" if pct else ""))


def top_skills(mr_table: pd.DataFrame, *, lang: str, table: str, level: int = 95) -> Finding:
    """Rule 1: the most chosen option(s) of a multiple-choice question, ties named together."""
    shown = mr_table[mr_table["pct_display"].astype(str) != ""].copy()
    shown["_shown"] = shown["pct_respondents"].round(0)
    best = shown[shown["_shown"] == shown["_shown"].max()].sort_values(
        "pct_respondents", ascending=False, kind="mergesort")
    labels = fmt_list(best["label"].astype(str).tolist(), lang)
    cis = list(dict.fromkeys(fmt_ci(r.ci_low, r.ci_high, 0, lang, pct=True) for r in best.itertuples()))
    ci_text = t("ci.level", lang, level=level) + ": " + fmt_list(cis, lang)
    top = best.iloc[0]
    key = "findings.top_skills.one" if len(best) == 1 else "findings.top_skills.other"
    text = t(key, lang, labels=labels, pct=pct_with_article(top["pct_respondents"], lang), ci=ci_text)
    return Finding("top_skills", text, table, {"option": top["option"]}, "pct_respondents",
                   float(top["pct_respondents"]))


def scale_finding(summary_row: Mapping, *, name: str, top_labels: Sequence[str], lang: str,
                  table: str, level: int = 95) -> Finding | None:
    """Rule 2: the share of the two highest answers of one scale question (None if hidden)."""
    pct = summary_row.get("top2_pct")
    if pct is None or pd.isna(pct):
        return None
    labels = fmt_list([f"«{x}»" if lang == "it" else f'"{x}"' for x in top_labels], lang)
    text = t("findings.scale", lang, question=t(f"qshort.{name}", lang), pct=pct_with_article(pct, lang),
             labels=labels, ci=_ci(summary_row["top2_ci_low"], summary_row["top2_ci_high"], lang, level),
             n=fmt_int(summary_row["n"], lang))
    return Finding("scale", text, table, {}, "top2_pct", float(pct))


def policies_finding(freq: pd.DataFrame, *, lang: str, table: str, level: int = 95,
                     yes: str = "yes") -> Finding | None:
    """Rule 3: share of "yes" among those with an opinion; the "don't know" left out are counted."""
    row = freq[(freq["code"].astype(str) == yes) & ~freq["is_dk"].astype(bool)]
    if row.empty or bool(row["pct_hidden"].iloc[0]):
        return None
    r = row.iloc[0]
    dk = freq[freq["is_dk"].astype(bool)]
    dk_text = str(dk["n_display"].iloc[0]) if len(dk) else "0"
    text = t("findings.policies", lang, question=t("qshort.q4_policies", lang),
             pct=pct_with_article(r["pct"], lang),
             ci=_ci(r["ci_low"], r["ci_high"], lang, level), n=fmt_int(r["base_n"], lang), dk=dk_text)
    return Finding("policies", text, table, {"code": yes}, "pct", float(r["pct"]))


def difference_findings(by_group: Mapping[str, pd.DataFrame], *, group: str,
                        group_labels: Mapping[object, str], lang: str, level: int = 95,
                        groups_text: str = "") -> list[Finding]:
    """Rule 4: differences of the top-two share between two groups whose interval excludes 0.

    ``by_group`` maps a question name to its ``scale_summary(..., by=group)`` table (saved as
    ``NAME_by_GROUP``). Returns the differences found, largest first, or one finding saying
    there is none.
    """
    found = []
    for name, s in by_group.items():
        s = s.dropna(subset=["top2_pct"])
        if len(s) != 2:
            continue
        a, b = s.iloc[0], s.iloc[1]
        if a["top2_pct"] < b["top2_pct"]:
            a, b = b, a
        d, lo, hi = newcombe_diff(a["top2_pct"], a["top2_ci_low"], a["top2_ci_high"],
                                  b["top2_pct"], b["top2_ci_low"], b["top2_ci_high"])
        if not lo > 0:
            continue
        text = t("findings.difference", lang, question=t(f"qshort.{name}", lang),
                 high=group_labels.get(a[group], a[group]), low=group_labels.get(b[group], b[group]),
                 p_high=fmt_pct(a["top2_pct"], 0, lang), p_low=fmt_pct(b["top2_pct"], 0, lang),
                 diff=fmt_number(d, 0, lang, sign=True),
                 ci=_ci(lo, hi, lang, level, pct=False))
        found.append(Finding("difference", text, f"{name}_by_{group}", {group: a[group]}, "top2_pct",
                             float(a["top2_pct"]), score=float(d)))
    found.sort(key=lambda f: -f.score)
    if found:
        return found
    groups = groups_text or fmt_list([f"«{v}»" if lang == "it" else f'"{v}"'
                                      for v in group_labels.values()], lang)
    return [Finding("difference", t("findings.no_difference", lang, groups=groups,
                                    questions=_short_numbers(by_group, lang)))]


def _short_numbers(names, lang: str) -> str:
    """``D2, D3 e D6`` from question names (their short labels start with the number)."""
    return fmt_list([t(f"qshort.{n}", lang).split(".")[0] for n in names], lang)


def model_findings(coef: pd.DataFrame, po: pd.DataFrame, *, link: str, alpha: float, lang: str,
                   term_labels: Mapping[str, str], references: Mapping[str, str],
                   table: str = "model_coefficients", level: int = 95) -> list[Finding]:
    """Rule 5: per question, the largest significant effect whose proportional-odds test holds.

    ``po`` is :func:`analysis.models.proportional_odds_table`; its likelihood-ratio row of the
    term's variable must exist with p at least ``alpha`` (NaN, not testable: not used).
    ``references`` maps a variable to the label of its reference category.
    """
    out = []
    lr = po[po["test"] == "LR"]
    ratio = link == "logit" and "odds_ratio" in coef.columns
    for outcome, sub in coef.groupby("outcome", sort=False):
        candidates = []
        for _, r in sub.iterrows():
            var = str(r["term"]).partition("[")[0]
            test = lr[(lr["outcome"] == outcome) & (lr["term"] == var)]
            if not (r["p"] < alpha) or test.empty or not (test["p"].iloc[0] >= alpha):
                continue
            candidates.append((abs(float(r["estimate"])), var, r))
        if not candidates:
            continue
        _, var, r = max(candidates, key=lambda c: c[0])
        if ratio:
            value, lo, hi, col = r["odds_ratio"], r["or_low"], r["or_high"], "odds_ratio"
            shown, ci = fmt_ratio(value, lang), _ci(lo, hi, lang, level, pct=False, decimals=2)
            name = t("col.odds_ratio", lang).lower() if lang == "it" else "odds ratio"
        else:
            value, lo, hi, col = r["estimate"], r["ci_low"], r["ci_high"], "estimate"
            shown, ci = fmt_number(value, 2, lang, sign=True), fmt_ci(lo, hi, 2, lang)
            ci = t("ci.level", lang, level=level) + ": " + ci
            name = t("model.effect_name.other", lang, link=t(f"link.{link}", lang))
        label = term_labels.get(r["term"], r["term"])
        if ": " in label:  # "Gestione del servizio: In outsourcing" -> «In outsourcing» (gestione del servizio)
            var_name, level_name = label.split(": ", 1)
            q = "«{}»" if lang == "it" else '"{}"'
            label = f"{q.format(level_name)} ({var_name.lower()})"
        text = t("findings.model", lang, question=t(f"qshort.{outcome}", lang), term=label,
                 reference=references.get(var, ""), effect_name=name, value=shown, ci=ci)
        out.append(Finding("model", text, table, {"outcome": outcome, "term": r["term"]}, col,
                           float(value), score=abs(float(r["estimate"]))))
    out.sort(key=lambda f: -f.score)
    return out


def change_findings(by_year: Mapping[str, pd.DataFrame], *, year: int, lang: str,
                    level: int = 95) -> list[Finding]:
    """Rule 6: changes of the top-two share since the previous comparable year (interval excludes 0).

    ``by_year`` maps a question name to its ``scale_summary(pooled, name, by="year")`` table
    (saved as ``trend_top2_NAME``). Empty when no question has a previous comparable year.
    """
    found, prev_years = [], []
    for name, s in by_year.items():
        s = s.dropna(subset=["top2_pct"]).sort_values("year")
        now = s[s["year"] == year]
        before = s[s["year"] < year]
        if now.empty or before.empty:
            continue
        a, b = now.iloc[0], before.iloc[-1]
        prev_years.append(int(b["year"]))
        d, lo, hi = newcombe_diff(a["top2_pct"], a["top2_ci_low"], a["top2_ci_high"],
                                  b["top2_pct"], b["top2_ci_low"], b["top2_ci_high"])
        if lo <= 0 <= hi:
            continue
        text = t("findings.change", lang, question=t(f"qshort.{name}", lang),
                 p_prev=pct_with_article(b["top2_pct"], lang, "da"), prev=int(b["year"]),
                 p_now=pct_with_article(a["top2_pct"], lang, "a"), year=year,
                 diff=fmt_number(d, 0, lang, sign=True), ci=_ci(lo, hi, lang, level, pct=False))
        found.append(Finding("change", text, f"trend_top2_{name}", {"year": year}, "top2_pct",
                             float(a["top2_pct"]), score=abs(float(d))))
    found.sort(key=lambda f: -f.score)
    if found or not prev_years:
        return found
    return [Finding("change", t("findings.no_change", lang, prev=max(prev_years),
                                questions=_short_numbers(by_year, lang)))]


def select(base: Sequence[Finding | None], extras: Sequence[Sequence[Finding]],
           max_findings: int = MAX_FINDINGS) -> list[Finding]:
    """The findings of rules 1–3, then the others taken in turns until ``max_findings``.

    Examples
    --------
    >>> a = [Finding("scale", str(i)) for i in range(5)]
    >>> d = [Finding("difference", "d1"), Finding("difference", "d2")]
    >>> m = [Finding("model", "m1")]
    >>> [f.text for f in select(a, [d, m, []], max_findings=8)]
    ['0', '1', '2', '3', '4', 'd1', 'm1', 'd2']
    """
    out = [f for f in base if f is not None]
    queues = [list(q) for q in extras]
    while len(out) < max_findings and any(queues):
        for q in queues:
            if q and len(out) < max_findings:
                out.append(q.pop(0))
    return out


def caveat(lang: str) -> str:
    """The one-line caveat of an opt-in sample that closes the key findings."""
    return t("findings.caveat", lang)


def as_markdown(findings: Sequence[Finding], lang: str, level: int = 95) -> str:
    """The section body: intro line, one bullet per finding, the caveat in italics."""
    lines = [t("findings.intro", lang, level=level), ""]
    lines += [f"- {f.text}" for f in findings]
    lines += ["", f"*{caveat(lang)}*"]
    return "\n".join(lines)




def key_findings(
    df: pd.DataFrame,
    *,
    year: int,
    lang: str,
    alpha: float = 0.05,
    min_cell: int = 5,
    weights: str | None = None,
    link: str = "logit",
    pooled: pd.DataFrame | None = None,
    scale_questions: Sequence[str] = ("q2_relevance", "q3_soft_vs_hard", "q6_valued"),
    codebook=None,
    max_findings: int = MAX_FINDINGS,
) -> list[Finding]:
    """All the rules applied to a prepared year, with the same calls and parameters as the chapters.

    Parameters
    ----------
    df : DataFrame
        The prepared year (with a ``weight`` column when ``weights`` names it).
    year : int
    lang : {"it", "en"}
    alpha : float
        Significance level; intervals at ``1 - alpha``.
    min_cell : int
        Disclosure threshold, as in the tables.
    weights : str, optional
        Weight column.
    link : str
        Link of the ordinal models.
    pooled : DataFrame, optional
        Every comparable year up to ``year`` (for rule 6); None skips it.
    scale_questions : sequence of str
    codebook : Codebook, optional
    max_findings : int

    Returns
    -------
    list of Finding
    """
    from analysis import models as M
    from analysis import stats
    from analysis.codebook import load_codebook

    cb = codebook or load_codebook()
    level = round(100 * (1 - alpha))
    kw = {"weights": weights, "min_cell": min_cell, "alpha": alpha}
    base: list[Finding | None] = []
    mr = stats.multiple_response(df, "q1_skills", lang=lang, **kw)
    base.append(top_skills(mr.table, lang=lang, table="q1_skills", level=level))
    for name in scale_questions:
        overall = stats.scale_summary(df, name, **kw).iloc[0]
        labels = cb[name].labels(lang)[-2:]
        base.append(scale_finding(overall, name=name, top_labels=labels, lang=lang,
                                  table=f"{name}_overall", level=level))
    q4 = stats.frequencies(df, "q4_policies", lang=lang, **kw)
    base.append(policies_finding(q4, lang=lang, table="q4_policies", level=level))

    by_service = {name: stats.scale_summary(df, name, by="service", **kw) for name in scale_questions}
    diffs = difference_findings(by_service, group="service", group_labels=cb["service"].label_map(lang),
                                lang=lang, level=level, groups_text=t("groups.service", lang))

    import warnings

    with warnings.catch_warnings():  # unused answer levels, untestable terms: not for the reader
        warnings.simplefilter("ignore")
        fits = M.fit_question_models(df, list(scale_questions), list(M.DEFAULT_PREDICTORS), link=link,
                                     weights=weights, alpha=alpha)
        po = M.proportional_odds_table(fits)
    coef = M.coefficient_table(fits)
    labels = term_labels(coef["term"].unique(), cb, lang)
    refs = reference_labels(df, M.DEFAULT_PREDICTORS, cb, lang)
    effects = model_findings(coef, po, link=link, alpha=alpha, lang=lang, term_labels=labels,
                             references=refs, level=level)

    changes: list[Finding] = []
    if pooled is not None:
        by_year = {}
        for name in scale_questions:
            comparable = cb.comparable_years(name, sorted(pooled["year"].unique()))
            if len(comparable) >= 2:
                by_year[name] = stats.scale_summary(pooled[pooled["year"].isin(comparable)], name,
                                                    by="year", min_cell=min_cell, alpha=alpha)
        changes = change_findings(by_year, year=year, lang=lang, level=level)
    return select(base, [diffs, effects, changes], max_findings)


def reference_labels(df: pd.DataFrame, predictors: Sequence[str], codebook, lang: str) -> dict[str, str]:
    """Label of the reference (first present) category of each categorical predictor."""
    out = {}
    for p in predictors:
        s = df[p]
        if isinstance(s.dtype, pd.CategoricalDtype):
            present = [c for c in s.cat.categories if (s == c).any()]
            if present:
                out[p] = codebook[p].label_map(lang).get(present[0], str(present[0])) if p in codebook \
                    else str(present[0])
    return out


def term_labels(terms, codebook, lang: str) -> dict[str, str]:
    """Readable labels of model terms: ``Ruolo: Manager``, ``Competenza: Empatia``, ``Per anno``.

    Examples
    --------
    >>> from analysis.codebook import load_codebook
    >>> term_labels(["role[T.manager]", "year_c"], load_codebook(), "it")
    {'role[T.manager]': 'Ruolo: Manager', 'year_c': 'Per anno'}
    """
    out: dict[str, str] = {}
    for term in terms:
        name, _, rest = str(term).partition("[T.")
        code = rest.rstrip("]")
        if rest and name == "skill":
            items = codebook["q7_skill_relevance"].items
            label = next((i.label(lang) for i in items if str(i.code) == code), code)
            out[term] = f"{t('var.skill', lang)}: {label}"
        elif rest and name in codebook:
            label = next((v for k, v in codebook[name].label_map(lang).items() if str(k) == code), code)
            out[term] = f"{t(f'var.{name}', lang)}: {label}"
        elif term == "year_c":
            out[term] = t("var.per_year", lang)
        else:
            out[term] = str(term)
    return out
