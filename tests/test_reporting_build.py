"""End-to-end tests of the report build: papermill, exports, Chromium PDF, atomic replacement.

Slow (kernels and a browser) but run by default.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from analysis.parameters import ParameterError, ReportParameters
from analysis.reporting import ReportBuildError, build_reports, build_year, make_specs
from analysis.reporting.chromium import find_chromium, launch_args
from analysis.simulate import simulate_export

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reporting-build")]

FIXTURES = Path(__file__).parent / "notebooks_fixtures"
NOTEBOOKS = [FIXTURES / "report_a.ipynb", FIXTURES / "report_b.ipynb"]
FAILING = FIXTURES / "failing.ipynb"
FAILING_SOURCE = "raise ValueError('model did not converge\\nafter 100 iterations')"
#: Every markdown heading of the two fixture notebooks, plus the title and provenance.
HEADINGS_EN = ["Soft skills in customer service: the 2020 survey", "Data quality and answers", "Sample",
               "Answers to question 2", "Models", "Cross-tabulation", "Notes on the method",
               "Provenance"]


def _raw_year(folder: Path, year: int, seed: int) -> Path:
    return simulate_export(year, 60, seed, out=folder / f"{year}.csv")


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    _raw_year(folder, 2020, 1)
    _raw_year(folder, 2021, 2)
    return folder


@pytest.fixture(scope="module")
def built(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    reports = tmp_path_factory.mktemp("reports")
    lines: list[str] = []
    result = build_year(2020, notebooks=NOTEBOOKS, reports_dir=reports, raw_dir=raw_dir,
                        parameters={"lang": "en"}, quiet=True, log=lines.append)
    return result, reports, lines


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- papermill ----------------------------------------------------------------------------
def test_papermill_runs_fixture_with_parameters_in_venv_kernel(tmp_path: Path) -> None:
    out = tmp_path / "k.ipynb"
    papermill.execute_notebook(str(FIXTURES / "kernel_info.ipynb"), str(out),
                               parameters={"year": 2031}, kernel_name="python3",
                               progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    executable, year = text.split()
    # jupyter_client starts the "python3" kernel with the interpreter that runs papermill
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert year == "2031"
    assert "injected-parameters" in nb.cells[1].metadata.tags


def test_papermill_direct_misspelt_or_bad_parameter_is_an_error(raw_dir: Path, tmp_path: Path) -> None:
    for params, expected in (({"yeer": 2021}, "unknown parameter 'yeer' (did you mean 'year'?)"),
                             ({"lang": "fr"}, "lang must be one of it, en; got 'fr'")):
        with pytest.raises(PapermillExecutionError) as info:
            papermill.execute_notebook(str(NOTEBOOKS[1]), str(tmp_path / "out.ipynb"),
                                       parameters={"raw_dir": str(raw_dir), **params},
                                       kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
        assert info.value.ename == "ParameterError"
        assert expected in info.value.evalue
    assert not (tmp_path / "tables").exists()


def test_papermill_direct_without_output_dir_writes_to_a_temporary_folder(raw_dir: Path,
                                                                           tmp_path: Path) -> None:
    papermill.execute_notebook(str(NOTEBOOKS[1]), str(tmp_path / "out.ipynb"),
                               parameters={"raw_dir": str(raw_dir)}, kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb"]  # no tables/ littered here


def test_help_notebook_lists_typed_parameters() -> None:
    info = papermill.inspect_notebook(str(NOTEBOOKS[0]))
    types = {name: item["inferred_type_name"] for name, item in info.items()}
    assert types == {"year": "int", "input_path": "str", "lang": "str", "link": "str",
                     "min_cell": "int", "alpha": "float", "weights": "str", "raw_dir": "str",
                     "output_dir": "str"}
    assert list(types) == list(ReportParameters.names())
    assert all(item["help"] for item in info.values())
    cli = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(NOTEBOOKS[0])],
                         capture_output=True, text=True, check=True).stdout
    for name in types:
        assert f"{name}: {types[name]}" in cli


# -- a successful build ---------------------------------------------------------------------
def test_build_layout_and_progress(built) -> None:
    result, reports, lines = built
    final = reports / "2020" / "en"
    assert result.report_dir == final
    assert [p.name for p in result.notebooks] == ["report_a.ipynb", "report_b.ipynb"]
    assert all(p.parent == final / "internal" for p in (*result.notebooks, *result.researcher_html))
    assert all(p.exists() for p in (*result.notebooks, *result.researcher_html,
                                     result.reader_html, result.reader_pdf))
    assert result.reader_html.parent == final and result.reader_html.name == "report-2020.html"
    assert [p.name for p in result.tables] == ["q2_by_role.csv", "role_by_q2.csv",
                                               "sample_by_role.csv"]
    assert [p.name for p in result.figures] == ["q2_by_role.png", "q2_by_role.svg"]
    assert (final / "provenance.json").exists()
    assert not (final / "internal" / "failed").exists()
    assert sorted(p.name for p in reports.iterdir()) == ["2020"]  # no temporary folder left
    assert lines[-1].startswith("[1/1] 2020 en  ok ")


def test_internal_notebooks_say_they_are_not_for_publication(built) -> None:
    result, _, _ = built
    for nb_path, html_path in zip(result.notebooks, result.researcher_html, strict=True):
        first = nbformat.read(nb_path, as_version=4).cells[0]
        assert first.source.startswith("**Internal working copy — not for publication.**")
        assert "not for publication" in html_path.read_text(encoding="utf-8")
    reader = result.reader_html.read_text(encoding="utf-8")
    assert "not for publication" not in reader and "internal/" not in reader


def test_provenance_of_build(built, raw_dir: Path) -> None:
    result, _, _ = built
    prov = result.provenance
    assert prov["input_sha256"] == hashlib.sha256((raw_dir / "2020.csv").read_bytes()).hexdigest()
    params = prov["parameters"]
    assert params["year"] == 2020 and params["lang"] == "en" and params["alpha"] == 0.05
    assert params["link"] == "logit" and params["min_cell"] == 5  # defaults recorded
    assert prov["data"]["respondents"] > 0 and prov["report_date"] == prov["data"]["fieldwork_end"]
    html = result.reader_html.read_text(encoding="utf-8")
    assert prov["input_sha256"] in html and prov["git_commit"] in html


def test_reader_html_hides_code_and_has_every_heading(built) -> None:
    result, _, _ = built
    html = result.reader_html.read_text(encoding="utf-8")
    body = html[html.index("<body"):]
    for marker in ("import pandas", "setup(globals())", "save_table(", "SECRET_CODE_MARKER",
                   "injected-parameters", "must not reach a reader", "jp-InputPrompt",
                   "hl-ipython3", "jp-CodeMirrorEditor", "In&nbsp;[", "Traceback"):
        assert marker not in body, marker
    for heading in HEADINGS_EN:
        assert f">{heading}" in html, heading
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    for heading in HEADINGS_EN[1:]:
        assert heading in toc
    assert "<img" in html and "data:image/png;base64" in html  # the figure, embedded
    researcher = result.researcher_html[0].read_text(encoding="utf-8")
    assert "hl-ipython3" in researcher and "SECRET_CODE_MARKER" in researcher  # code shown


def test_reports_request_nothing_from_the_network(built, tmp_path: Path) -> None:
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    result, _, _ = built
    # a stock nbconvert export (MathJax and require.js from a CDN) shows the check can fail
    stock = tmp_path / "stock.html"
    stock.write_text(HTMLExporter().from_filename(str(result.notebooks[0]))[0], encoding="utf-8")

    def load(path: Path, screenshot: Path | None = None) -> tuple[list, list, list]:
        blocked, failed, errors = [], [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chromium(), args=launch_args())
            page = browser.new_page()

            def route(r):
                if r.request.url.startswith(("file:", "data:", "about:", "blob:")):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("requestfailed", lambda req: failed.append(req.url))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
            browser.close()
        return blocked, failed, errors

    shot = tmp_path / "reader.png"
    for html in (result.reader_html, *result.researcher_html):
        blocked, failed, errors = load(html, shot if html == result.reader_html else None)
        assert (blocked, failed, errors) == ([], [], []), html.name
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    blocked, failed, _ = load(stock)
    assert any("mathjax" in url.lower() or "require" in url.lower() for url in blocked)
    assert failed


def test_pdf_is_a4_and_contains_headings(built) -> None:
    result, _, _ = built
    info = subprocess.run(["pdfinfo", str(result.reader_pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(result.reader_pdf)],
                           capture_output=True, text=True, check=True).stdout
    page_sizes = [line for line in sizes.splitlines() if "size:" in line and line.startswith("Page")]
    assert len(page_sizes) == pages >= 1
    assert all("(A4)" in line for line in page_sizes)
    text = subprocess.run(["pdftotext", "-layout", str(result.reader_pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())  # a long title wraps
    for heading in HEADINGS_EN:
        assert heading in flat, heading
    assert "àèéìòù" in text  # Italian letters survive (fonts cover them)
    assert "import pandas" not in text
    fonts = subprocess.run(["pdffonts", str(result.reader_pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "DejaVuSans" in fonts


# -- failures -------------------------------------------------------------------------------
def test_failing_build_keeps_previous_report(raw_dir: Path, tmp_path: Path) -> None:
    build_year(2020, notebooks=NOTEBOOKS, reports_dir=tmp_path, raw_dir=raw_dir, quiet=True,
               pdf=False, log=lambda _: None)
    final = tmp_path / "2020" / "it"
    before = _files(final)
    with pytest.raises(ReportBuildError) as info:
        build_year(2020, notebooks=[*NOTEBOOKS, FAILING], reports_dir=tmp_path, raw_dir=raw_dir,
                   quiet=True, pdf=False, log=lambda _: None)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("2020 it: notebook failing.ipynb failed at cell 4 "
                              "(`raise ValueError('model did not converge\\nafter 100 iterations')`): "
                              "ValueError: model did not converge after 100 iterations")
    after = _files(final)
    failed = {k: v for k, v in after.items() if k.startswith("internal/failed/")}
    assert {k: v for k, v in after.items() if not k.startswith("internal/failed/")} == before
    assert sorted(failed) == ["internal/failed/error.txt", "internal/failed/failing.ipynb",
                              "internal/failed/failing.kernel.log"]
    partial = nbformat.read(final / "internal" / "failed" / "failing.ipynb", as_version=4)
    ran = {c.source: c for c in partial.cells if c.cell_type == "code"}
    assert ran["x = 1 + 1"].execution_count is not None
    assert any(o.output_type == "error" for o in ran[FAILING_SOURCE].outputs)
    assert ran["print('never reached')"].execution_count is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2020"]
    # the next good build removes failed/
    build_year(2020, notebooks=NOTEBOOKS, reports_dir=tmp_path, raw_dir=raw_dir, quiet=True,
               pdf=False, log=lambda _: None)
    assert not (final / "internal" / "failed").exists()


def test_bad_or_unknown_parameter_is_refused_before_anything_runs(raw_dir: Path,
                                                                   tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"lang must be one of it, en; got 'fr'"):
        build_year(2020, notebooks=NOTEBOOKS, parameters={"lang": "fr"}, reports_dir=tmp_path,
                   raw_dir=raw_dir, quiet=True, pdf=False, log=lambda _: None)
    with pytest.raises(ParameterError, match=r"unknown parameter 'lnag' \(did you mean 'lang'\?\)"):
        build_year(2020, notebooks=NOTEBOOKS, parameters={"lnag": "it"}, reports_dir=tmp_path,
                   raw_dir=raw_dir, quiet=True, pdf=False, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_report_does_not_stop_the_others(raw_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text((raw_dir / "2020.csv").read_text(encoding="utf-8").replace(",", ";", 3),
                   encoding="utf-8")
    params = [ReportParameters.validate(year=2020, input_path=bad, raw_dir=raw_dir),
              ReportParameters.validate(year=2021, raw_dir=raw_dir, lang="it")]
    lines: list[str] = []
    outcomes = build_reports(make_specs(params, notebooks=NOTEBOOKS, reports_dir=tmp_path / "r"),
                             jobs=1, report=lines.append, log=lambda _: None)
    assert [o.status for o in outcomes] == ["FAILED", "ok"]
    assert "cannot prepare bad.csv" in outcomes[0].message
    html = outcomes[1].result.reader_html.read_text(encoding="utf-8")
    assert "Le soft skill nel customer service: indagine 2021" in html and ">Indice<" in html and "Provenienza" in html
    assert outcomes[1].result.reader_pdf.exists()
    assert len(lines) == 2 and lines[0].startswith("[1/2] 2020 it  FAILED")
    assert lines[1].startswith("[2/2] 2021 it  ok")


# -- the nbconvert entry point ----------------------------------------------------------------
def test_jupyter_nbconvert_to_chromiumpdf(built, tmp_path: Path) -> None:
    result, _, _ = built
    src = tmp_path / "nb.ipynb"
    src.write_bytes(result.notebooks[1].read_bytes())
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "chromiumpdf", str(src)],
                   capture_output=True, text=True, check=True)
    pdf = tmp_path / "nb.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Cross-tabulation" in text and "pd.crosstab" in text  # full notebook, code shown


def test_a_notebook_showing_python_values_fails_the_build(raw_dir: Path, tmp_path: Path) -> None:
    """The build scans every executed notebook (issue 10): a cell's value, a warning or a path is
    not the report; the build fails naming notebook, cell and defect, and keeps nothing."""
    nb = nbformat.read(FIXTURES / "report_b.ipynb", as_version=4)
    nb.metadata.pop("softskills", None)  # a report notebook: scanned
    path = tmp_path / "nb" / "leaky.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    with pytest.raises(ReportBuildError) as info:
        build_year(2020, notebooks=[path], reports_dir=tmp_path / "reports", raw_dir=raw_dir,
                   quiet=True, pdf=False, log=lambda _: None)
    message = str(info.value)
    assert message.startswith("2020 it: notebook leaky.ipynb shows the reader things that are not "
                              "the report: leaky.ipynb, cell 4 (`import pandas as pd`): a value "
                              "printed as Python shows it")
    assert not (tmp_path / "reports" / "2020" / "it" / "report-2020.html").exists()
