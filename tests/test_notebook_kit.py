"""The notebook kit (analysis.notebook): one setup call, the parameters checked, data from the cache."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.notebook import WEIGHT_COLUMN, injected_names, save_table, setup
from analysis.parameters import ParameterError
from analysis.processed import cache_dir, load_prepared

MARGINS = config.MARGINS_DIR / "example.yaml"


def test_setup_refuses_a_misspelt_papermill_parameter(tmp_path: Path) -> None:
    # what the kernel's namespace looks like after `papermill -p yeer 2021`
    namespace = {"year": 2020, "lang": "en", "output_dir": str(tmp_path), "yeer": 2021,
                 "In": ["", "year: int = 2020", "# Parameters\nyeer = 2021\n", ""]}
    with pytest.raises(ParameterError, match=r"unknown parameter 'yeer' \(did you mean 'year'\?\); "
                                             r"known parameters: year, input_path, lang"):
        setup(namespace)


def test_setup_reads_parameters_from_the_namespace(tmp_path: Path) -> None:
    namespace = {"year": 2021, "lang": "en", "alpha": 0.1, "output_dir": str(tmp_path),
                 "In": ["", "# Parameters\nyear = 2021\nalpha = 0.1\n"], "df": object()}
    ctx = setup(namespace)
    assert (ctx.params.year, ctx.params.lang, ctx.params.alpha) == (2021, "en", 0.1)
    assert ctx.params.output_dir == tmp_path.resolve()
    assert ctx.params.confidence_pct == "90%"


def test_keyword_parameters_are_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'lnag'"):
        setup(lnag="it", output_dir=str(tmp_path))
    with pytest.raises(ParameterError, match="alpha must be a number strictly between 0 and 1"):
        setup(alpha=5, output_dir=str(tmp_path))


def test_injected_names_only_from_papermills_cell() -> None:
    assert injected_names(None) == []
    assert injected_names(["", "x = 1"]) == []  # run by hand: nothing injected
    assert injected_names(["# Parameters\nyear = 2021\n", "# Parameters\nlang = 'it'\n"]) == ["lang"]


def test_without_output_dir_outputs_go_to_a_temporary_folder(capsys: pytest.CaptureFixture,
                                                             tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ctx = setup(year=2020)
        path = ctx.save_table(pd.DataFrame({"a": [1]}), "demo")
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "tables").exists()  # never the current folder
    assert path.parent.parent == ctx.params.output_dir
    assert str(ctx.params.output_dir).startswith(os.path.realpath(os.environ.get("TMPDIR", "/tmp")))
    assert str(ctx.params.output_dir) in capsys.readouterr().out


def test_context_data_comes_from_the_processed_cache(tmp_path: Path) -> None:
    ctx = setup(year=2020, output_dir=str(tmp_path))
    folder = cache_dir(ctx.params.input_path, 2020)
    n = len(ctx.data)  # loads on first use
    assert (folder / "2020.parquet").exists()  # prepared once, then read
    assert n == len(load_prepared(2020).data) > 0
    assert ctx.weights is None and WEIGHT_COLUMN not in ctx.data
    assert ctx.weighting_note == "I risultati **non sono ponderati**: descrivono chi ha risposto."
    assert isinstance(ctx.data["q2_relevance"].dtype, pd.CategoricalDtype)
    assert ctx.years_to_date == [2020]
    assert save_table(pd.DataFrame({"a": [1]}), "x", ctx.params.output_dir).exists()


def test_weighted_context_rakes_once(tmp_path: Path) -> None:
    ctx = setup(year=2021, lang="en", weights=str(MARGINS), output_dir=str(tmp_path))
    assert ctx.weights == WEIGHT_COLUMN
    assert ctx.data[WEIGHT_COLUMN].notna().all()
    assert ctx.weighting_note.startswith("Results are **weighted** by raking to the margins in "
                                         "`example.yaml`")
    assert ctx.years_to_date == [2020, 2021]
    assert sorted(ctx.pooled()["year"].unique()) == [2020, 2021]


def test_processed_cache_key_follows_the_raw_bytes(tmp_path: Path) -> None:
    raw = tmp_path / "2020.csv"
    raw.write_bytes((config.RAW_DIR / "2020.csv").read_bytes())
    first = cache_dir(raw, 2020)
    raw.write_bytes(raw.read_bytes() + b"\n")
    assert cache_dir(raw, 2020) != first
