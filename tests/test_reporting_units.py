"""Fast tests of analysis.reporting: parameters, outputs, provenance, HTML helpers, checks."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import __version__, config
from analysis.notebook import save_figure, save_table
from analysis.parameters import ParameterError, ReportParameters, parameters_cell_source
from analysis.reporting import notebook_problems
from analysis.reporting import provenance as prov_mod
from analysis.reporting.chromium import CHROMIUM_ENV, find_chromium, launch_args
from analysis.reporting.errors import ChromiumNotFoundError
from analysis.reporting.html import add_toc, headings
from analysis.reporting.runner import discover_notebooks
from analysis.reporting.tasks import one_line, swap_into_place

FIXTURES = Path(__file__).parent / "notebooks_fixtures"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "2020.csv").write_text("role,q2\nagent,3\n", encoding="utf-8")
    (folder / "2022.xlsx").write_bytes(b"not really xlsx")
    return folder


# -- parameters ---------------------------------------------------------------------------
def test_parameters_default_to_raw_file(raw: Path) -> None:
    p = ReportParameters.validate(year=2020, raw_dir=raw, lang="IT", link="Probit", min_cell=5.0,
                                  alpha=0.1, output_dir=raw / "out")
    assert p.input_path == (raw / "2020.csv").resolve()
    assert (p.lang, p.link, p.min_cell, p.alpha, p.weights) == ("it", "probit", 5, 0.1, None)
    assert p.as_dict()["input_path"].endswith("2020.csv")
    assert p.confidence_pct == "90%"
    with pytest.raises(AttributeError):  # frozen
        p.year = 2021  # type: ignore[misc]


def test_parameters_defaults_are_the_package_defaults(raw: Path) -> None:
    p = ReportParameters.validate(raw_dir=raw)
    assert (p.year, p.lang, p.link, p.alpha, p.min_cell) == (
        config.DEFAULT_YEAR, config.DEFAULT_LANG, config.DEFAULT_LINK, config.DEFAULT_ALPHA,
        config.DEFAULT_MIN_CELL)
    assert p.output_dir is None and p.weights is None


def test_unknown_parameter_names_it_and_the_known_ones(raw: Path) -> None:
    with pytest.raises(ParameterError) as info:
        ReportParameters.validate({"yeer": 2021}, raw_dir=raw)
    msg = str(info.value)
    assert msg.startswith("unknown parameter 'yeer' (did you mean 'year'?); known parameters: year, ")
    for name in ReportParameters.names():
        assert name in msg
    with pytest.raises(ParameterError, match="unknown parameter 'colour'; known"):
        ReportParameters.validate(colour="red", raw_dir=raw)


def test_unknown_year_lists_available_years(raw: Path) -> None:
    with pytest.raises(ParameterError, match=r"unknown year 2019.*years available: 2020, 2022"):
        ReportParameters.validate(year=2019, raw_dir=raw)


def test_given_input_path_makes_any_year_valid(raw: Path) -> None:
    assert ReportParameters.validate(year=1999, input_path=raw / "2020.csv").year == 1999


def test_record_has_paths_relative_to_project() -> None:
    p = ReportParameters.validate(year=2020)
    rec = p.for_record()
    assert rec["input_path"] == "data/raw/2020.csv" and rec["raw_dir"] == "data/raw"
    assert "output_dir" not in rec


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"input_path": "/nonexistent/x.csv"}, r"input_path '/nonexistent/x.csv' does not exist"),
        ({"lang": "fr"}, r"lang must be one of it, en; got 'fr'"),
        ({"link": "identity"}, r"link must be one of logit, probit, cloglog, loglog, cauchit"),
        ({"alpha": 0}, r"alpha must be a number strictly between 0 and 1, got 0"),
        ({"alpha": 1.0}, r"alpha must be .* got 1.0"),
        ({"alpha": "0.05"}, r"alpha must be"),
        ({"min_cell": -1}, r"min_cell must be a whole number >= 0"),
        ({"min_cell": 2.5}, r"min_cell must be a whole number >= 0"),
        ({"weights": "/nonexistent/m.csv"}, r"weights file '/nonexistent/m.csv' does not exist"),
        ({"year": "twenty"}, r"year must be an integer"),
        ({"year": True}, r"year must be an integer"),
        ({"raw_dir": "/nonexistent"}, r"raw_dir '/nonexistent' is not a folder"),
    ],
)
def test_bad_parameters_raise_one_clear_error(raw: Path, kwargs: dict, pattern: str) -> None:
    args = {"year": 2020, "raw_dir": raw, **kwargs}
    with pytest.raises(ParameterError, match=pattern) as info:
        ReportParameters.validate(**args)
    assert "\n" not in str(info.value)
    # IPython shows this one line instead of a traceback
    assert info.value._render_traceback_() == [f"ParameterError: {info.value}"]


def test_one_rule_for_years_and_raw_files(raw: Path) -> None:
    assert config.available_years(raw) == [2020, 2022]
    assert config.raw_path_for_year(2022, raw).name == "2022.xlsx"
    with pytest.raises(config.RawExportNotFoundError, match="years available: 2020, 2022"):
        config.raw_path_for_year(2019, raw)
    from analysis import datasets

    assert datasets.available_years is config.available_years
    assert datasets.raw_path_for_year is config.raw_path_for_year


def test_link_names_match_the_ordinal_engine() -> None:
    from analysis import ordinal

    assert set(config.LINKS) == set(ordinal.LINKS)


# -- outputs ------------------------------------------------------------------------------
def test_save_table_is_deterministic_and_unix_newlines(tmp_path: Path) -> None:
    df = pd.DataFrame({"group": ["è", "b"], "x": [1 / 3, 2e-9], "n": [1, 2]})
    path = save_table(df, "demo.csv", tmp_path)
    assert path == tmp_path / "tables" / "demo.csv"
    assert path.read_bytes() == "group,x,n\nè,0.333333,1\nb,2e-09,2\n".encode()
    first = path.read_bytes()
    save_table(df, "demo", tmp_path)
    assert path.read_bytes() == first


def test_save_table_rejects_bad_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="output name '../x'"):
        save_table(pd.DataFrame({"a": [1]}), "../x", tmp_path)


def test_save_figure_byte_identical_twice(tmp_path: Path) -> None:
    def draw() -> plt.Figure:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 2], [1, 3, 2], label="a")
        ax.legend()
        return fig

    f1 = draw()
    p1 = save_figure(f1, "fig", tmp_path / "one")
    f2 = draw()
    p2 = save_figure(f2, "fig", tmp_path / "two")
    plt.close("all")
    assert [p.name for p in p1] == ["fig.png", "fig.svg"]
    for a, b in zip(p1, p2, strict=True):
        assert a.read_bytes() == b.read_bytes()
    svg = p1[1].read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert b"Software" not in p1[0].read_bytes()


# -- provenance ---------------------------------------------------------------------------
def test_provenance_collect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    params = ReportParameters.validate(year=2020, alpha=0.1, lang="en")
    prov = prov_mod.collect(params, facts={"respondents": 163, "fieldwork_end": "2020-03-31"},
                            root=ROOT)
    raw = ROOT / "data" / "raw" / "2020.csv"
    assert prov["input_sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert prov["package_version"] == __version__
    assert prov["input_path"] == "data/raw/2020.csv"  # relative to the project
    assert prov["parameters"]["alpha"] == 0.1 and prov["parameters"]["input_path"] == "data/raw/2020.csv"
    assert prov["report_date"] == "2020-09-13"  # SOURCE_DATE_EPOCH wins over fieldwork
    assert prov["data"]["respondents"] == 163
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert prov["git_commit"] == head and isinstance(prov["git_dirty"], bool)
    assert set(prov["packages"]) >= {"pandas", "statsmodels", "numpy"}
    md = prov_mod.to_markdown(prov, "it")
    assert md.startswith("## Provenienza\n") and prov["input_sha256"] in md
    assert "alpha=0.1" in md and "2020-09-13" in md
    assert prov["built_at_utc"] not in md  # the wall clock stays in provenance.json
    html = prov_mod.to_html(prov, "en")
    assert "<th>SHA-256 of the input file</th>" in html and head in html
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert prov_mod.collect(params, facts={"fieldwork_end": "2020-03-31"})["report_date"] == "2020-03-31"


def test_provenance_outside_git(tmp_path: Path) -> None:
    assert prov_mod.git_state(tmp_path) == ("unknown", "unknown")


# -- HTML helpers ---------------------------------------------------------------------------
def test_headings_and_toc() -> None:
    doc = ('<main><h1 id="Title">Title<a class="anchor-link" href="#Title">¶</a></h1>'
           '<h2 id="Intro">Intro</h2><h3 id="Più-dati">Più <em>dati</em></h3>'
           '<h2 id="Intro">Intro<a class="anchor-link" href="#Intro">¶</a></h2></main>')
    out = add_toc(doc, "Indice")
    toc = out[out.index("<nav"):out.index("</nav>")]
    assert "Title" not in toc and "Indice" in toc
    assert 'href="#Intro"' in toc and 'href="#Intro-2"' in toc and "Più dati" in toc
    assert out.index("</h1>") < out.index("<nav") < out.index("<h2")
    assert [h[1] for h in headings(out)] == ["Title", "Intro", "Più-dati", "Intro-2"]
    assert 'href="#Intro-2">¶' in out


def test_toc_without_leading_title() -> None:
    out = add_toc("<body><main><h2>A b</h2></main></body>")
    assert out.index("<nav") < out.index("<h2") and 'href="#A-b"' in out


# -- chromium discovery -------------------------------------------------------------------
def test_find_chromium_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "nope"))
    with pytest.raises(ChromiumNotFoundError, match="SOFTSKILLS_CHROMIUM"):
        find_chromium()
    monkeypatch.setenv(CHROMIUM_ENV, "")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumNotFoundError, match="apt-get install chromium"):
        find_chromium()
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_chromium() == str(fake)


def test_launch_args() -> None:
    args = launch_args()
    for flag in ("--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"):
        assert flag in args
    import os

    assert ("--no-sandbox" in args) == (os.geteuid() == 0)


# -- runner helpers -----------------------------------------------------------------------
def test_swap_into_place(tmp_path: Path) -> None:
    final, new = tmp_path / "2020", tmp_path / ".2020.tmp"
    final.mkdir()
    (final / "old.txt").write_text("old")
    new.mkdir()
    (new / "new.txt").write_text("new")
    swap_into_place(new, final)
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2020"]


def test_one_line() -> None:
    assert one_line("a\n  b\x1b[31mc\x1b[0m") == "a bc"


def test_discover_notebooks_skips_underscore(tmp_path: Path) -> None:
    for name in ("02_b.ipynb", "01_a.ipynb", "_template.ipynb", ".x.ipynb", "notes.md"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in discover_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]


# -- committed notebooks --------------------------------------------------------------------
def test_check_finds_outputs_and_parameters_problems() -> None:
    problems = notebook_problems(FIXTURES / "with_outputs.ipynb")
    assert any("cell 2 has 1 output(s)" in p for p in problems)
    assert any("execution count" in p for p in problems)
    assert any("2 cells tagged 'parameters' (cells 1, 3)" in p for p in problems)


def test_check_accepts_clean_fixture() -> None:
    assert notebook_problems(FIXTURES / "report_a.ipynb") == []


COMMITTED = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_notebooks_are_clean(path: Path) -> None:
    assert notebook_problems(path) == []


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_notebooks_share_one_parameters_cell_and_one_setup_line(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert params.source == parameters_cell_source()
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("setup(globals())") == 1
    for copied in ("validate_parameters", "rake(", "load_codebook(", "matplotlib.use", "load_year("):
        assert copied not in code, copied


@pytest.mark.parametrize("module", ["analysis.parameters", "analysis.config", "analysis.fingerprint",
                                    "analysis.notebook", "analysis.notebook.outputs",
                                    "analysis.reporting.provenance", "analysis.reporting.html",
                                    "analysis.reporting.checks", "analysis.reporting.executors"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_one_default_language_for_the_whole_package() -> None:
    """Every function taking ``lang`` defaults to config.DEFAULT_LANG (no module of its own)."""
    import importlib
    import inspect
    import pkgutil

    import analysis

    found = []
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        if info.name.startswith(("analysis.cli", "analysis.simulate")):
            continue
        module = importlib.import_module(info.name)
        for obj in list(vars(module).values()):
            members = [obj]
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                members += [m for m in vars(obj).values() if inspect.isfunction(m)]
            for fn in members:
                if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                    continue
                param = inspect.signature(fn).parameters.get("lang")
                if param is not None and param.default is not inspect.Parameter.empty:
                    found.append(f"{fn.__module__}.{fn.__qualname__}")
                    assert param.default == config.DEFAULT_LANG, found[-1]
    assert len(found) > 10  # stats, plots, codebook, models, views, provenance...
    from analysis.reporting.exporter import ReportHTMLExporter

    assert ReportHTMLExporter().lang == config.DEFAULT_LANG


def test_package_versions_read_fast_agree_with_importlib_metadata() -> None:
    from importlib.metadata import version

    assert prov_mod.package_versions() == {name: version(name) for name in prov_mod.KEY_PACKAGES}
