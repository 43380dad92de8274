"""``reports/index.html``: every built report, by year and language, on one offline page.

The page lists each ``reports/YEAR/LANG`` that has a ``provenance.json`` with links to its HTML
and PDF, the number of respondents and the fieldwork dates, and draws a small trend chart of the
top-two-box share of Q2, Q3 and Q6 across the years (inline SVG, with the numbers in a table
under it). Nothing is fetched from the network: no script, no font, no image file.

The shares are read from the reader bundle's tables (``tables/q2_relevance.csv`` …), which
have already been through disclosure control (:func:`analysis.notebook.save_table`): a share
whose cells are hidden there is left out here too. Raw data is never read.

Two pages are written, ``index.html`` in the package's default language and ``index.en.html``
(or ``index.it.html``), each linking to the other. Standard library only.

Examples
--------
>>> from analysis.reporting.index import write_index                  # doctest: +SKIP
>>> write_index("reports")                                            # doctest: +SKIP
PosixPath('reports/index.html')
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config

__all__ = ["TREND_QUESTIONS", "IndexEntry", "collect_entries", "top_two_share", "render_index",
           "write_index", "index_name"]

#: Questions of the trend chart: table name in the reader bundle -> short label per language.
TREND_QUESTIONS: dict[str, dict[str, str]] = {
    "q2_relevance": {"it": "Q2 Rilevanza delle soft skill", "en": "Q2 Relevance of soft skills"},
    "q3_soft_vs_hard": {"it": "Q3 Soft skill rispetto alle hard skill",
                        "en": "Q3 Soft versus hard skills"},
    "q6_valued": {"it": "Q6 Valorizzazione in azienda", "en": "Q6 Valued in the company"},
}
_COLOURS = ("#1b6ca8", "#d1495b", "#2e8b57")  # blue, red, green: distinct in greyscale too (markers)
_MARKERS = ("circle", "square", "diamond")

TEXTS: dict[str, dict[str, str]] = {
    "it": {
        "title": "Indagine sulle soft skill — rapporti",
        "intro": "Tutti i rapporti costruiti, per anno e lingua. I dati allegati sono sintetici.",
        "year": "Anno", "lang": "Lingua", "respondents": "Rispondenti", "fieldwork": "Rilevazione",
        "report": "Rapporto", "html": "HTML", "pdf": "PDF", "none": "—",
        "trend": "Quota delle due risposte più alte (top-two-box) negli anni",
        "trend_note": "Percentuale di chi ha scelto una delle due risposte più alte della scala, "
                      "sulle risposte valide (esclusi i «non so»), dalle tabelle protette di ogni "
                      "rapporto. Un valore nascosto dal controllo di riservatezza non compare.",
        "question": "Domanda", "no_trend": "Servono almeno due anni per un andamento.",
        "other": "English version", "langs": "italiano", "lang_it": "italiano", "lang_en": "inglese",
        "chart_alt": "Grafico a linee: quota top-two-box per anno di {questions}.",
    },
    "en": {
        "title": "Soft-skills survey — reports",
        "intro": "Every report built, by year and language. The bundled data are synthetic.",
        "year": "Year", "lang": "Language", "respondents": "Respondents", "fieldwork": "Fieldwork",
        "report": "Report", "html": "HTML", "pdf": "PDF", "none": "—",
        "trend": "Share of the two highest answers (top-two-box) across years",
        "trend_note": "Percentage choosing one of the two highest answers of the scale, of the "
                      "valid answers (don't know excluded), from each report's protected tables. "
                      "A value hidden by disclosure control is left out.",
        "question": "Question", "no_trend": "At least two years are needed for a trend.",
        "other": "Versione italiana", "langs": "English", "lang_it": "Italian", "lang_en": "English",
        "chart_alt": "Line chart: top-two-box share by year of {questions}.",
    },
}


@dataclass
class IndexEntry:
    """One built report as the index shows it."""

    year: int
    lang: str
    folder: Path
    respondents: int | None
    fieldwork_start: str | None
    fieldwork_end: str | None
    html: Path | None
    pdf: Path | None
    top_two: dict[str, float | None] = field(default_factory=dict)


def index_name(lang: str) -> str:
    """``index.html`` in the default language, ``index.LANG.html`` otherwise."""
    return "index.html" if lang == config.DEFAULT_LANG else f"index.{lang}.html"


def top_two_share(table: Path) -> float | None:
    """Top-two-box share (%) from a protected frequency table of the reader bundle.

    The two highest codes of the scale (don't know excluded) are added up; None when the table
    is missing or either percentage is hidden (blank) there.
    """
    try:
        with open(table, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh)
                    if str(r.get("is_dk", "False")).lower() != "true"]
    except OSError:
        return None
    scale = []
    for r in rows:
        try:
            scale.append((float(r["code"]), r.get("pct", "")))
        except (KeyError, ValueError):
            continue
    if len(scale) < 2:
        return None
    scale.sort()
    total = 0.0
    for _code, pct in scale[-2:]:
        try:
            value = float(pct)
        except ValueError:
            return None
        if math.isnan(value):
            return None
        total += value
    return total


def collect_entries(reports_dir: str | Path) -> list[IndexEntry]:
    """Every ``YEAR/LANG`` folder with a ``provenance.json``, by year then language."""
    root = Path(reports_dir)
    entries = []
    for prov_path in sorted(root.glob("[0-9][0-9][0-9][0-9]/*/provenance.json")):
        folder = prov_path.parent
        try:
            prov = json.loads(prov_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        year, lang = int(folder.parent.name), folder.name
        data = prov.get("data") or {}
        stem = f"report-{year}"
        html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
        entries.append(IndexEntry(
            year=year, lang=lang, folder=folder, respondents=data.get("respondents"),
            fieldwork_start=data.get("fieldwork_start"), fieldwork_end=data.get("fieldwork_end"),
            html=html_path if html_path.exists() else None,
            pdf=pdf_path if pdf_path.exists() else None,
            top_two={q: top_two_share(folder / "tables" / f"{q}.csv") for q in TREND_QUESTIONS},
        ))
    order = {lang: i for i, lang in enumerate(config.LANGS)}
    entries.sort(key=lambda e: (e.year, order.get(e.lang, 99), e.lang))
    return entries


def _trend(entries: list[IndexEntry]) -> dict[int, dict[str, float | None]]:
    """One value per year and question: the report in the first language that has it."""
    out: dict[int, dict[str, float | None]] = {}
    for e in entries:  # sorted by year, then LANGS order
        row = out.setdefault(e.year, {})
        for q, v in e.top_two.items():
            if row.get(q) is None:
                row[q] = v
    return out


def _svg(trend: dict[int, dict[str, float | None]], lang: str) -> str:
    t = TEXTS[lang]
    years = sorted(trend)
    w, h, left, right, top, bottom = 560, 240, 44, 16, 12, 34
    pw, ph = w - left - right, h - top - bottom

    def x(year: int) -> float:
        return left + (pw * (years.index(year) / (len(years) - 1)) if len(years) > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v / 100)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
             f'height="{h}" role="img" aria-labelledby="trend-title">',
             f'<title id="trend-title">{html.escape(t["chart_alt"].format(questions=", ".join(q[lang] for q in TREND_QUESTIONS.values())))}</title>']
    for v in range(0, 101, 25):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#444">{v}%</text>')
    for year in years:
        parts.append(f'<text x="{x(year):.1f}" y="{h - bottom + 18}" text-anchor="middle" '
                     f'font-size="11" fill="#444">{year}</text>')
    for (q, _labels), colour, marker in zip(TREND_QUESTIONS.items(), _COLOURS, _MARKERS, strict=True):
        points = [(x(yr), y(trend[yr][q])) for yr in years if trend[yr].get(q) is not None]
        if len(points) >= 2:
            d = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for px, py in points:
            if marker == "circle":
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
            elif marker == "square":
                parts.append(f'<rect x="{px - 3.5:.1f}" y="{py - 3.5:.1f}" width="7" height="7" '
                             f'fill="{colour}"/>')
            else:
                parts.append(f'<path d="M{px:.1f},{py - 4.5:.1f} L{px + 4.5:.1f},{py:.1f} '
                             f'L{px:.1f},{py + 4.5:.1f} L{px - 4.5:.1f},{py:.1f} Z" fill="{colour}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """
body { font-family: 'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, sans-serif;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.8rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9rem; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1.2rem; font-size: 0.9rem; }
.legend span { display: inline-block; width: 1.4rem; height: 0.25rem; vertical-align: middle;
               margin-right: 0.4rem; }
nav.lang { float: right; font-size: 0.9rem; }
"""


def _link(path: Path | None, root: Path, text: str, none: str) -> str:
    if path is None:
        return none
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    return f'<a href="{html.escape(rel, quote=True)}">{html.escape(text)}</a>'


def _pct(v: float | None, none: str) -> str:
    return none if v is None else f"{v:.0f}%"


def render_index(entries: list[IndexEntry], root: str | Path, lang: str = config.DEFAULT_LANG) -> str:
    """The index page (HTML, self-contained) in ``lang``."""
    t = TEXTS.get(lang, TEXTS["en"])
    root = Path(root)
    other = next((x for x in config.LANGS if x != lang), None)
    rows = []
    for e in entries:
        when = t["none"]
        if e.fieldwork_start and e.fieldwork_end:
            when = f"{e.fieldwork_start} – {e.fieldwork_end}"
        rows.append(
            f"<tr><td>{e.year}</td><td>{html.escape(t.get('lang_' + e.lang, e.lang))}</td>"
            f'<td class="num">{e.respondents if e.respondents is not None else t["none"]}</td>'
            f"<td>{html.escape(when)}</td>"
            f"<td>{_link(e.html, root, t['html'], t['none'])}</td>"
            f"<td>{_link(e.pdf, root, t['pdf'], t['none'])}</td></tr>")
    trend = _trend(entries)
    years = sorted(trend)
    if len(years) >= 2:
        legend = "".join(f'<li><span style="background:{c}"></span>{html.escape(q[lang])}</li>'
                         for q, c in zip(TREND_QUESTIONS.values(), _COLOURS, strict=True))
        head = "".join(f'<th class="num">{y}</th>' for y in years)
        body = "".join(
            f"<tr><th>{html.escape(labels[lang])}</th>"
            + "".join(f'<td class="num">{_pct(trend[y].get(q), t["none"])}</td>' for y in years)
            + "</tr>" for q, labels in TREND_QUESTIONS.items())
        chart = (f'<figure>{_svg(trend, lang)}<figcaption><ul class="legend">{legend}</ul>'
                 f"</figcaption></figure>\n<table><thead><tr><th>{t['question']}</th>{head}</tr>"
                 f"</thead><tbody>{body}</tbody></table>\n<p class=\"note\">{html.escape(t['trend_note'])}</p>")
    else:
        chart = f"<p class=\"note\">{html.escape(t['no_trend'])}</p>"
    switch = (f'<nav class="lang"><a href="{index_name(other)}" hreflang="{other}" lang="{other}">'
              f"{html.escape(t['other'])}</a></nav>" if other else "")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(t['title'])}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{switch}<h1>{html.escape(t['title'])}</h1>\n<p>{html.escape(t['intro'])}</p>\n"
        f"<table><thead><tr><th>{t['year']}</th><th>{t['lang']}</th>"
        f'<th class="num">{t["respondents"]}</th><th>{t["fieldwork"]}</th>'
        f"<th>{t['report']}</th><th>{t['pdf']}</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody></table>\n"
        f"<h2>{html.escape(t['trend'])}</h2>\n{chart}\n</main>\n</body>\n</html>\n"
    )


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_index(reports_dir: str | Path | None = None) -> Path:
    """Write ``index.html`` (and the other language's page) in ``reports_dir``; return the first."""
    root = Path(reports_dir) if reports_dir is not None else config.REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    entries = collect_entries(root)
    for lang in config.LANGS:
        _atomic_write_text(root / index_name(lang), render_index(entries, root, lang))
    return root / index_name(config.DEFAULT_LANG)
