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

from analysis import __version__
from analysis.reporting import (
    ParameterError,
    notebook_problems,
    save_figure,
    save_table,
    validate_parameters,
)
from analysis.reporting import provenance as prov_mod
from analysis.reporting.chromium import CHROMIUM_ENV, find_chromium, launch_args
from analysis.reporting.errors import ChromiumNotFoundError
from analysis.reporting.html import add_toc, headings
from analysis.reporting.runner import _one_line, _swap_into_place, discover_notebooks

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
def test_validate_parameters_defaults_to_raw_file(raw: Path) -> None:
    p = validate_parameters(year=2020, raw_dir=raw, lang="IT", link="Probit", min_cell=5.0,
                            alpha=0.1, output_dir=raw / "out")
    assert p.input_path == (raw / "2020.csv").resolve()
    assert (p.lang, p.link, p.min_cell, p.alpha, p.weights) == ("it", "probit", 5, 0.1, None)
    assert p.as_dict()["input_path"].endswith("2020.csv")


def test_unknown_year_lists_available_years(raw: Path) -> None:
    with pytest.raises(ParameterError, match=r"unknown year 2019.*years available: 2020, 2022"):
        validate_parameters(year=2019, raw_dir=raw)


def test_given_input_path_makes_any_year_valid(raw: Path) -> None:
    assert validate_parameters(year=1999, input_path=raw / "2020.csv").year == 1999


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"input_path": "/nonexistent/x.csv"}, r"input_path '/nonexistent/x.csv' does not exist"),
        ({"lang": "fr"}, r"lang must be 'en' or 'it', got 'fr'"),
        ({"link": "identity"}, r"link must be one of logit, probit, cloglog, loglog, cauchit"),
        ({"alpha": 0}, r"alpha must be a number strictly between 0 and 1, got 0"),
        ({"alpha": 1.0}, r"alpha must be .* got 1.0"),
        ({"alpha": "0.05"}, r"alpha must be"),
        ({"min_cell": -1}, r"min_cell must be a whole number >= 0"),
        ({"min_cell": 2.5}, r"min_cell must be a whole number >= 0"),
        ({"weights": "/nonexistent/m.csv"}, r"weights file '/nonexistent/m.csv' does not exist"),
        ({"year": "twenty"}, r"year must be an integer"),
        ({"year": True}, r"year must be an integer"),
    ],
)
def test_bad_parameters_raise_one_clear_error(raw: Path, kwargs: dict, pattern: str) -> None:
    args = {"year": 2020, "raw_dir": raw, **kwargs}
    with pytest.raises(ParameterError, match=pattern) as info:
        validate_parameters(**args)
    assert info.value.__cause__ is None and info.value.__suppress_context__ in (False, True)
    assert "\n" not in str(info.value)
    # IPython shows this one line instead of a traceback
    assert info.value._render_traceback_() == [f"ParameterError: {info.value}"]


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
def test_provenance_collect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "2020.csv"
    f.write_bytes(b"role,q2\nagent,3\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    prov = prov_mod.collect(f, {"year": 2020, "input_path": f, "alpha": 0.05}, root=ROOT)
    assert prov["input_sha256"] == hashlib.sha256(b"role,q2\nagent,3\n").hexdigest()
    assert prov["package_version"] == __version__
    assert prov["parameters"] == {"year": 2020, "input_path": str(f), "alpha": 0.05}
    assert prov["build_date_utc"] == "2020-09-13T12:26:40Z"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert prov["git_commit"] == head and isinstance(prov["git_dirty"], bool)
    assert set(prov["packages"]) >= {"pandas", "statsmodels", "numpy"}
    md = prov_mod.to_markdown(prov, "it")
    assert md.startswith("## Provenienza\n") and prov["input_sha256"] in md
    assert "alpha=0.05" in md
    html = prov_mod.to_html(prov, "en")
    assert "<th>SHA-256 of the input file</th>" in html and head in html


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
    _swap_into_place(new, final)
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2020"]


def test_one_line() -> None:
    assert _one_line("a\n  b\x1b[31mc\x1b[0m") == "a bc"


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


@pytest.mark.parametrize("module", ["parameters", "provenance", "html", "outputs", "checks"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(f"analysis.reporting.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
