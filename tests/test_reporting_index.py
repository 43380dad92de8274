"""reports/index.html: what it lists and where its numbers come from (fast; no build)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.notebook import save_table
from analysis.reporting.index import collect_entries, render_index, top_two_share, write_index


def _frequencies(pcts: list[float], hidden: set[int] = frozenset()) -> pd.DataFrame:
    """A frequency table shaped like stats.frequencies (codes 1..5 and don't know)."""
    rows = []
    for code, pct in enumerate(pcts, start=1):
        rows.append({"column": "q2_relevance", "code": code, "is_dk": False, "n": pct, "pct": pct,
                     "suppressed": "primary" if code in hidden else "", "n_display": str(pct)})
    rows.append({"column": "q2_relevance", "code": "dk", "is_dk": True, "n": 3, "pct": 50.0,
                 "suppressed": "", "n_display": "3"})
    return pd.DataFrame(rows)


def _report(root: Path, year: int, lang: str, tables: dict[str, pd.DataFrame],
            respondents: int = 120) -> Path:
    folder = root / str(year) / lang
    folder.mkdir(parents=True)
    for name, table in tables.items():
        save_table(table, name, folder)  # protected, as the notebooks write them
    (folder / f"report-{year}.html").write_text("<html></html>", encoding="utf-8")
    (folder / "provenance.json").write_text(json.dumps({"data": {
        "respondents": respondents, "fieldwork_start": f"{year}-03-01",
        "fieldwork_end": f"{year}-03-31"}}), encoding="utf-8")
    (folder / "internal").mkdir()
    return folder


def test_top_two_share_adds_the_two_highest_codes_of_the_protected_table(tmp_path: Path) -> None:
    folder = _report(tmp_path, 2020, "it", {"q2_relevance": _frequencies([5, 10, 25, 40, 20])})
    assert top_two_share(folder / "tables" / "q2_relevance.csv") == pytest.approx(60.0)
    # a top code hidden by disclosure control is blank in the published table: no share at all
    folder = _report(tmp_path, 2021, "it",
                     {"q2_relevance": _frequencies([5, 10, 25, 57, 3], hidden={5})})
    assert top_two_share(folder / "tables" / "q2_relevance.csv") is None
    assert top_two_share(tmp_path / "missing.csv") is None


def test_index_lists_reports_and_draws_the_trend_from_their_tables(tmp_path: Path) -> None:
    _report(tmp_path, 2020, "it", {"q2_relevance": _frequencies([5, 10, 25, 40, 20])}, 163)
    _report(tmp_path, 2020, "en", {"q2_relevance": _frequencies([5, 10, 25, 40, 20])}, 163)
    _report(tmp_path, 2021, "en", {"q2_relevance": _frequencies([5, 5, 20, 45, 25])}, 150)
    entries = collect_entries(tmp_path)
    assert [(e.year, e.lang, e.respondents) for e in entries] == [
        (2020, "it", 163), (2020, "en", 163), (2021, "en", 150)]
    assert entries[0].pdf is None and entries[0].html.name == "report-2020.html"
    first = write_index(tmp_path)
    assert first == tmp_path / "index.html"
    page_it = first.read_text(encoding="utf-8")
    page_en = (tmp_path / "index.en.html").read_text(encoding="utf-8")
    assert '<html lang="it">' in page_it and '<html lang="en">' in page_en
    assert 'href="2021/en/report-2021.html"' in page_it and "2020-03-01 – 2020-03-31" in page_it
    assert "<svg" in page_it and "<polyline" in page_it
    assert ">60%</td>" in page_en and ">70%</td>" in page_en  # Q2 top-two 2020, 2021
    assert "internal" not in page_it and "<script" not in page_it and "http" not in page_it.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert page_it == render_index(collect_entries(tmp_path), tmp_path, "it")  # same bytes again


def test_index_with_one_year_says_a_trend_needs_two(tmp_path: Path) -> None:
    _report(tmp_path, 2020, "it", {"q2_relevance": _frequencies([5, 10, 25, 40, 20])})
    page = render_index(collect_entries(tmp_path), tmp_path, "en")
    assert "At least two years are needed for a trend." in page and "<svg" not in page
