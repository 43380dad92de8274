"""The reader report as a reader gets it, in both languages (issue 10).

One Italian and one English build of a small synthetic year (PDF on) serve every test:
key findings equal to the tables, nothing but words in the visible text, generated alt text,
Italian with decimal commas and no English sentence, axe-core, a tagged A4 PDF with an
outline of every chapter, no word broken inside a table cell, every referenced figure shown.
Slow (kernels and a browser); one build per language.
"""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.codebook import load_codebook
from analysis.present.messages import catalogue, fields, t
from analysis.reporting import build_year
from analysis.simulate import simulate_export

pytestmark = pytest.mark.slow

YEAR = 2022
CHAPTERS = ["findings.title", "ch1.title", "ch2.title", "ch3.title", "ch4.title", "app.title",
            "provenance.title"]


def _quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    # The synthetic year of test_report_notebooks: its published tables pass the build's audit
    # gate. (With seeds 21/22 the gate refuses the build: the trend tables hide a don't-know count
    # that the data-quality table shows; a disclosure gap recorded on issue 9.)
    simulate_export(2021, 120, 11, out=folder / "2021.csv")
    simulate_export(YEAR, 120, 12, out=folder / f"{YEAR}.csv")
    return folder


@pytest.fixture(scope="module", params=["it", "en"])
def report(request, raw_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"reports-{lang}")
    result = build_year(YEAR, reports_dir=out, raw_dir=raw_dir, parameters={"lang": lang},
                        quiet=True, pdf=True, log=_quiet)
    html = result.reader_html.read_text(encoding="utf-8")
    return lang, result, html


def _body(html: str) -> str:
    body = html[html.index("<body"):]
    return re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)


def _visible(html: str, *, provenance: bool = False) -> str:
    """The text a reader sees; without the provenance section unless asked."""
    body = _body(html)
    if not provenance:
        cut = [m.start() for m in re.finditer(r"<h2[^>]*>", body)]
        last = cut[-1] if cut else len(body)
        body = body[:last]
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


# -- key findings --------------------------------------------------------------------------------
def test_key_findings_come_first_and_equal_the_tables(report) -> None:
    lang, result, html = report
    heads = re.findall(r"<h([12])[^>]*>(.*?)</h\1>", _body(html), flags=re.S)
    texts = [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "").split())
             for _, h in heads]
    assert heads[0][0] == "1" and texts[1] == t("findings.title", lang)
    found = pd.read_csv(result.report_dir / "tables" / "key_findings.csv")
    assert 5 <= len(found) <= 8
    visible = _visible(html)
    checked = 0
    for r in found.itertuples():
        assert r.text in visible
        if not isinstance(r.table, str) or not r.table:
            continue
        table = pd.read_csv(result.report_dir / "tables" / f"{r.table}.csv")
        for key, value in json.loads(r.row).items():
            table = table[table[key].astype(str) == str(value)]
        assert len(table) == 1, (r.table, r.row)
        assert table[r.column].iloc[0] == pytest.approx(r.value, rel=1e-5), r.text
        checked += 1
    assert checked >= 5
    assert t("findings.caveat", lang) in visible


# -- the visible text ------------------------------------------------------------------------------
def test_no_code_names_reprs_or_missing_values_in_the_visible_text(report) -> None:
    lang, _, html = report
    visible = _visible(html)
    cb = load_codebook()
    names = set(cb.variables) | {c for v in cb.variables.values() for c in getattr(v, "columns", [])}
    names = {n for n in names if "_" in n}  # "role", "service"... are also words of the text
    snake = set(re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", visible))
    assert snake == set(), sorted(snake)[:10]
    assert not [n for n in names if re.search(rf"\b{re.escape(n)}\b", visible)]
    for bad in (r"\bNaN\b", r"\bnan\b", r"\bTrue\b", r"\bFalse\b", r"\bNone\b", "PosixPath",
                r"/tmp/", r"\.tmp-", "dont_know", r"\bp = 0[.,]000\b", r"e-\d\d\b"):
        assert not re.search(bad, visible), bad
    # table header cells are words of the report's language, never column names
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", _body(html), flags=re.S)
    assert headers
    for h in headers:
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", h)).strip()
        assert not re.search(r"[a-z]_[a-z]", text), text


def test_every_image_has_generated_alt_text_stored_beside_it(report) -> None:
    lang, result, html = report
    imgs = re.findall(r"<img\b[^>]*>", _body(html))
    assert len(imgs) >= 5
    alts = []
    for img in imgs:
        m = re.search(r'\balt="([^"]+)"', img)
        assert m, img[:80]
        alt = html_lib.unescape(m.group(1))
        assert "No description" not in alt and len(alt) > 30
        alts.append(alt)
    stored = {p.read_text(encoding="utf-8").strip()
              for p in (result.report_dir / "figures").glob("*.alt.txt")}
    assert set(alts) <= stored
    assert len(list((result.report_dir / "figures").glob("*.png"))) == len(stored)


def test_figures_are_numbered_captioned_and_referenced(report) -> None:
    lang, _, html = report
    body = _body(html)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", body, flags=re.S)
    word = "Figura" if lang == "it" else "Figure"
    labels = [re.search(rf"{word} ([A0-9.]+\d)", html_lib.unescape(c)).group(1) for c in captions]
    assert len(labels) == len(set(labels)) >= 5
    text = re.sub(r"<figcaption>.*?</figcaption>", " ", body, flags=re.S)
    refs = set(re.findall(rf"{word} (\d+\.\d+)", html_lib.unescape(re.sub(r"<[^>]+>", " ", text))))
    assert refs and refs <= set(labels)
    assert "effects" in body and "trend_top2" in body  # the forest plot and the trend chart


def test_italian_is_italian_with_decimal_commas(report) -> None:
    lang, _, html = report
    if lang != "it":
        pytest.skip("Italian only")
    visible = _visible(html)
    english = [v["en"] for v in catalogue().values()
               if v["en"] != v["it"] and len(v["en"].split()) >= 3 and not fields(v["en"])]
    leaks = [e for e in english if e in visible]
    assert leaks == []
    for piece in ("Key findings", "Contents", "odds ratios", "confidence interval", "Don't know",
                  "respondents"):
        assert piece not in visible, piece
    # labels (Tabella 2.1, Figura 3.2, D2.) and thousands (2.496) aside, no decimal point
    text = re.sub(r"\b(?:Tabella|Figura) A?\d+\.\d+|\bD\d\.", " ", visible)
    points = re.findall(r".{25}(?<![\w.])\d+\.\d{1,2}(?!\d).{10}", text)
    assert points == []
    assert re.search(r"\d,\d", visible)
    assert '<html lang="it"' in html


def test_html_structure_and_axe(report) -> None:
    lang, result, html = report
    body = _body(html)
    assert f'<html lang="{lang}"' in html
    levels = [int(x) for x in re.findall(r"<h([1-6])\b", body)]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))  # no level skipped
    assert body.count("<table") == body.count("<caption") + body.count('class="provenance"') + \
        len(re.findall(r"<table>\s*<thead>\s*<tr>\s*<th></th>", body))
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    from analysis.reporting.chromium import find_chromium, launch_args

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=launch_args())
        page = browser.new_page()
        page.goto(result.reader_html.resolve().as_uri())
        res = Axe().run(page)
        browser.close()
    bad = [(v["id"], v["impact"], v["nodes"][0]["html"][:80]) for v in res.response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == []


# -- the PDF -------------------------------------------------------------------------------------------
def test_pdf_is_tagged_a4_with_outline_title_and_language(report) -> None:
    import pikepdf

    lang, result, _ = report
    pdf = pikepdf.open(io.BytesIO(result.reader_pdf.read_bytes()))
    assert "/StructTreeRoot" in pdf.Root and "/MarkInfo" in pdf.Root
    assert str(pdf.Root.get("/Lang")) == lang
    assert str(pdf.docinfo.get("/Title")) == t("report.title", lang, year=YEAR)
    for page in pdf.pages:
        w, h = (float(x) for x in page.mediabox[2:])
        assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2
    titles = []

    def walk(items):
        for item in items:
            titles.append(item.title)
            walk(item.children)

    with pdf.open_outline() as outline:
        walk(outline.root)
    squeezed = {"".join(str(x).split()) for x in titles}  # line breaks of long headings dropped
    for key in CHAPTERS:
        assert "".join(t(key, lang).split()) in squeezed, key


def test_no_word_is_broken_inside_a_table_cell(report) -> None:
    """No cell word is split over two lines of the PDF (``q2_relevanc|e``, ``0,40|8``, ``rile-|vanza``).

    pdftotext's layout gives the words of each line of each text block; a word broken inside a
    cell shows as the last word of a line and the first of the next whose concatenation is a
    cell word while neither piece is a word of the report.
    """
    lang, result, html = report
    tables = re.findall(r'<div class="reader-table".*?</table>', _body(html), flags=re.S)
    assert tables
    cells = " ".join(re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", " ".join(tables), flags=re.S))
    words = set(html_lib.unescape(re.sub(r"<[^>]+>", " ", cells)).split())
    vocab = set(_visible(html, provenance=True).split())
    layout = _pdftotext(result.reader_pdf, "-bbox-layout")
    broken = []
    for block in re.findall(r"<block\b.*?</block>", layout, flags=re.S):
        lines = [[html_lib.unescape(w) for w in re.findall(r"<word[^>]*>(.*?)</word>", ln, flags=re.S)]
                 for ln in re.findall(r"<line\b.*?</line>", block, flags=re.S)]
        for first, second in zip(lines, lines[1:], strict=False):
            if not first or not second:
                continue
            a, b = first[-1], second[0]
            joined = a[:-1] + b if a.endswith("-") else a + b
            if joined in words and a not in vocab and b not in vocab:
                broken.append(f"{a}|{b}")
    assert broken == []
