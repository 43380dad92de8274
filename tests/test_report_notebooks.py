"""End-to-end tests of the project's real report notebooks (``notebooks/*.ipynb``).

A small synthetic year (2022, 120 respondents, plus a 2021 file) is built once with the PDF;
the other builds (determinism, Italian, weighted, a corrupted export) skip the PDF to save time.
Slow (kernels and a browser) but run by default.
"""

from __future__ import annotations

import csv
import hashlib
import html as html_lib
import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from statistics import NormalDist

import nbformat
import papermill
import pytest

from analysis import __version__, config
from analysis.codebook import load_codebook
from analysis.present.messages import t
from analysis.reporting import ReportBuildError, build_year, discover_notebooks
from analysis.simulate import simulate_export

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-notebooks")]

YEAR = 2022
NOTEBOOKS = discover_notebooks(config.NOTEBOOKS_DIR)
EXPECTED_NAMES = ["00_summary.ipynb", "01_data_quality.ipynb", "02_descriptives.ipynb", "03_ordinal_models.ipynb",
                  "04_trends.ipynb"]
PARAMETER_TYPES = {"year": "int", "input_path": "str", "lang": "str", "alpha": "float",
                   "link": "str", "weights": "str", "min_cell": "int", "raw_dir": "str",
                   "output_dir": "str"}
MARGINS = config.DATA_DIR / "margins" / "example.yaml"
BAD_LABEL = "Moltissimo!"
#: Chapters of the reader report (h2), in order, as catalogue keys.
CHAPTERS = ["findings.title", "ch1.title", "ch2.title", "ch3.title", "ch4.title", "app.title",
            "provenance.title"]


def _quiet(_line: str) -> None:
    pass


def _headings(level: int) -> list[str]:
    """Markdown headings of ``level`` (1 or 2) of every real notebook, in order."""
    prefix = "#" * level + " "
    out = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                out += [line[len(prefix):].strip() for line in cell.source.splitlines()
                        if line.startswith(prefix)]
    return out


def _html_headings(text: str) -> list[str]:
    """Text of every ``<h1>`` / ``<h2>`` of an HTML page (anchor links dropped)."""
    found = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", text, flags=re.S)
    clean = [html_lib.unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "") for h in found]
    return [" ".join(h.split()) for h in clean]


def _plain(text: str) -> str:
    """Visible text of an HTML body, whitespace collapsed."""
    body = text[text.index("<body"):]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _run(*cmd: str) -> str:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=True).stdout


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _outputs_text(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            parts.append(str(out.get("data", {}).get("text/markdown", "")))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    simulate_export(2021, 120, 11, out=folder / "2021.csv")
    simulate_export(YEAR, 120, 12, out=folder / f"{YEAR}.csv")
    return folder


@pytest.fixture(scope="module")
def built(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The one full build of the module (PDF on)."""
    reports = tmp_path_factory.mktemp("reports")
    return build_year(YEAR, reports_dir=reports, raw_dir=raw_dir, parameters={"lang": "en"},
                      quiet=True, pdf=True, log=_quiet)


@pytest.fixture(scope="module")
def rebuilt(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A second build of the same inputs (PDF off) in another reports folder."""
    reports = tmp_path_factory.mktemp("reports2")
    return build_year(YEAR, reports_dir=reports, raw_dir=raw_dir, parameters={"lang": "en"},
                      quiet=True, pdf=False, log=_quiet)


def _reader_html(result) -> str:
    return result.reader_html.read_text(encoding="utf-8")


# -- the notebooks themselves ---------------------------------------------------------------------
def test_real_notebooks_are_discovered() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED_NAMES
    # every word comes from the catalogue: no markdown cell, so no heading typed in a notebook
    assert _headings(1) == [] and _headings(2) == []


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_help_notebook_lists_typed_parameters_with_help(name: str) -> None:
    info = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / name))
    assert {k: v["inferred_type_name"] for k, v in info.items()} == PARAMETER_TYPES
    for key, item in info.items():
        assert item["help"].strip(), key


def test_every_notebook_executed_without_error(built) -> None:
    assert [p.name for p in built.notebooks] == EXPECTED_NAMES
    for path in built.notebooks:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, path.name
        for cell in code:
            assert cell.execution_count is not None, (path.name, cell.source[:80])
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, (path.name, cell.source[:80], errors[0].get("evalue"))
        assert not nb.metadata.get("papermill", {}).get("exception"), path.name
    assert not (built.report_dir / "internal" / "failed").exists()


def test_trends_pool_two_years(built) -> None:
    text = _outputs_text(built.notebooks[4])
    pooled = re.search(r"The comparable years up to this one: ([0-9, and]+) \(", text)
    assert pooled is not None
    years = [int(y) for y in re.findall(r"\d{4}", pooled.group(1))]
    assert {2021, YEAR} <= set(years)
    assert t("ch4.one_year", "en") not in text


def test_tables_and_figures_exist(built) -> None:
    tables = sorted((built.report_dir / "tables").glob("*.csv"))
    pngs = sorted((built.report_dir / "figures").glob("*.png"))
    assert tables and pngs
    assert [p.name for p in built.tables] == [p.name for p in tables]
    for p in tables:
        assert p.stat().st_size > 0, p.name
        with open(p, newline="", encoding="utf-8") as fh:
            assert len(list(csv.reader(fh))) >= 2, p.name  # a header and a row
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p.name
    # one table per notebook at least
    assert any(p.name == "data_quality.csv" for p in tables)
    assert any(p.name == "q1_skills.csv" for p in tables)
    assert any(p.name == "model_fit.csv" for p in tables)
    # 2022 has the Q7 battery: its mixed model, and the power of the next wave in the appendix
    names = {p.name for p in tables}
    assert {"battery_skills.csv", "battery_mixed_random.csv", "battery_model.csv",
            "detectable_odds_ratio_q2.csv"} <= names
    assert any(p.name.startswith("trend_") for p in tables)


# -- the reader report -------------------------------------------------------------------------
def test_reader_html_has_no_code(built) -> None:
    text = _reader_html(built)
    body = text[text.index("<body"):]
    for marker in ("class=\"highlight", "hl-ipython3", "jp-CodeMirrorEditor", "jp-InputPrompt",
                   "setup(globals())", "injected-parameters", "Traceback", "In&nbsp;[",
                   "PosixPath", ".tmp-", str(config.PROJECT_ROOT)):
        assert marker not in body, marker
    # the only input areas are the rendered markdown cells; code cells have no input
    assert body.count("jp-InputArea") == body.count("jp-MarkdownCell") > 0
    assert body.count("jp-CodeCell") == body.count("jp-mod-noInput") > 0
    visible = _plain(text)
    assert "import " not in visible
    for path in built.notebooks:  # no line of any code cell reaches the reader
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                for line in cell.source.splitlines():
                    line = line.strip()
                    if line.startswith(("import ", "from ")):
                        assert html_lib.escape(line, quote=False) not in body, line


def test_reader_html_has_every_heading(built) -> None:
    found = _html_headings(_reader_html(built))
    expected = [t("report.title", "en", year=YEAR)] + [t(k, "en") for k in CHAPTERS]
    assert found == expected


def test_reader_html_and_pdf_carry_provenance(built, raw_dir: Path) -> None:
    sha = hashlib.sha256((raw_dir / f"{YEAR}.csv").read_bytes()).hexdigest()
    prov = built.provenance
    assert prov["input_sha256"] == sha
    assert prov["package_version"] == __version__
    params = prov["parameters"]
    assert params["year"] == YEAR and params["lang"] == "en" and params["min_cell"] == 5
    assert params["link"] == "logit" and params["alpha"] == 0.05 and params["weights"] == ""
    assert "output_dir" not in params  # where the report went is not part of what it says
    tokens = [f"year={YEAR}", 'lang="en"', "min_cell=5", 'link="logit"', "alpha=0.05",
              'weights=""']
    visible = _plain(_reader_html(built))
    pdf = "".join(_run("pdftotext", str(built.reader_pdf), "-").split())
    for where, text in (("html", "".join(visible.split())), ("pdf", pdf)):
        assert f"softskills-survey{__version__}" in text, where
        assert sha in text, where
        for token in tokens:
            assert token in text, (where, token)
    assert f'input_path="{raw_dir / f"{YEAR}.csv"}"' in visible


def test_pdf_is_a4_and_has_level1_headings(built) -> None:
    info = _run("pdfinfo", str(built.reader_pdf))
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    sizes = _run("pdfinfo", "-f", "1", "-l", str(pages), str(built.reader_pdf))
    page_sizes = [line for line in sizes.splitlines() if line.startswith("Page") and "size:" in line]
    assert len(page_sizes) == pages > 1
    assert all("(A4)" in line for line in page_sizes)
    text = " ".join(_run("pdftotext", str(built.reader_pdf), "-").split())
    for heading in [t("report.title", "en", year=YEAR)] + [t(k, "en") for k in CHAPTERS]:
        assert heading in text, heading
    assert "import " not in text and "setup(globals())" not in text


# -- further builds (PDF off) --------------------------------------------------------------------
def test_second_build_gives_identical_tables(built, rebuilt) -> None:
    first = sorted((built.report_dir / "tables").glob("*.csv"))
    second = sorted((rebuilt.report_dir / "tables").glob("*.csv"))
    assert [p.name for p in first] == [p.name for p in second]
    different = [a.name for a, b in zip(first, second, strict=True)
                 if a.read_bytes() != b.read_bytes()]
    assert different == []
    assert rebuilt.reader_pdf is None
    # the reader HTML and the researcher HTML too: no random id, no wall-clock time
    assert rebuilt.reader_html.read_bytes() == built.reader_html.read_bytes()
    for a, b in zip(built.researcher_html, rebuilt.researcher_html, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_italian_build(raw_dir: Path, tmp_path: Path) -> None:
    result = build_year(YEAR, reports_dir=tmp_path, raw_dir=raw_dir, quiet=True, pdf=False,
                        log=_quiet)  # the package's default language
    assert result.provenance["parameters"]["lang"] == "it"
    text = _reader_html(result)
    assert "Molto" in text and "Ruolo" in text
    assert t("report.title", "it", year=YEAR) in text and t("provenance.title", "it") in text


def test_cli_parameters_reach_the_notebooks_text_and_tables(raw_dir: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    """`softskills run --alpha 0.1 --weights FILE`: every interval is at 90% and says so; weighted."""
    from analysis.cli import main

    code = main(["run", "--year", str(YEAR), "--lang", "en", "--alpha", "0.1", "--weights",
                 str(MARGINS), "--raw-dir", str(raw_dir), "--reports-dir", str(tmp_path),
                 "--no-pdf", "--jobs", "1", "--quiet"])
    assert code == 0, capsys.readouterr()
    final = tmp_path / str(YEAR) / "en"
    prov = json.loads((final / "provenance.json").read_text(encoding="utf-8"))
    assert prov["parameters"]["alpha"] == 0.1
    assert prov["parameters"]["weights"] == "data/margins/example.yaml"
    html = (final / f"report-{YEAR}.html").read_text(encoding="utf-8")
    visible = _plain(html)
    # every interval label of the text and the reader tables says 90%
    levels = re.findall(r"(\d+(?:\.\d+)?)% (?:CI|interval)", visible)
    assert levels and set(levels) == {"90"}, levels
    assert "95% CI" not in visible and "IC 95%" not in visible
    # ... and the intervals of the tables are 90% intervals: weighted shares carry design-based
    # SEs and svyciprop's logit interval, expit(logit(p) +- q * se / (p (1 - p))); q is a t
    # quantile on the design's degrees of freedom (over 100 here), so the normal quantile agrees
    # to well under 0.1 point, while a 95% interval would be about 1.5 points wider on each side.
    with open(final / "tables" / "q4_policies.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["ci_low"] and r["se"] and r["is_dk"] == "False"]
    assert rows and all(r["weighted"] == "True" for r in rows)
    z = NormalDist().inv_cdf(0.95)
    for r in rows:
        p, se = float(r["pct"]) / 100, float(r["se"]) / 100
        half = z * se / (p * (1 - p))
        logit = math.log(p / (1 - p))
        low, high = (100 / (1 + math.exp(-(logit + d))) for d in (-half, half))
        assert float(r["ci_low"]) == pytest.approx(low, abs=0.1)
        assert float(r["ci_high"]) == pytest.approx(high, abs=0.1)
    # ... and so are the intervals of the model fits (question models and the battery's mixed model)
    for name in ("model_coefficients.csv", "battery_skills.csv"):
        with open(final / "tables" / name, newline="", encoding="utf-8") as fh:
            fitted = [r for r in csv.DictReader(fh) if r["se"]]
        assert fitted, name
        for r in fitted:
            width = float(r["ci_high"]) - float(r["ci_low"])
            assert width == pytest.approx(2 * z * float(r["se"]), rel=1e-4), name
    with open(final / "tables" / "detectable_odds_ratio_q2.csv", newline="", encoding="utf-8") as fh:
        assert {r["alpha"] for r in csv.DictReader(fh)} == {"0.1"}
    summary = _outputs_text(final / "internal" / "00_summary.ipynb")
    assert "The results are weighted by raking to the population margins in" in summary
    assert MARGINS.name in summary and t("note.unweighted", "en") not in summary


def test_bad_answer_label_fails_and_keeps_previous_report(rebuilt, raw_dir: Path,
                                                          tmp_path: Path) -> None:
    header_q2 = load_codebook()["q2_relevance"].text("it")
    with open(raw_dir / f"{YEAR}.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(header_q2)
    row = next(i for i, r in enumerate(rows[1:], 1) if r[col])  # first answered q2 cell
    rows[row][col] = BAD_LABEL
    bad_dir = tmp_path / "raw"
    bad_dir.mkdir()
    shutil.copy2(raw_dir / "2021.csv", bad_dir / "2021.csv")
    with open(bad_dir / f"{YEAR}.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)

    reports = rebuilt.report_dir.parent.parent
    final = rebuilt.report_dir
    before = _files(final)
    with pytest.raises(ReportBuildError) as info:
        build_year(YEAR, reports_dir=reports, raw_dir=bad_dir, parameters={"lang": "en"},
                   quiet=True, pdf=False, log=_quiet)
    message = str(info.value)
    assert message.startswith(f"{YEAR}: cannot prepare {YEAR}.csv: ")
    assert BAD_LABEL in message  # the problem, located
    assert _files(final) == before  # the previous report is left as it was
    assert sorted(p.name for p in reports.iterdir()) == [str(YEAR)]  # no temporary folder left
