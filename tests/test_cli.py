"""The softskills command: exit codes, every problem printed, never a traceback for a user's mistake."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
import survey_files as sf

from analysis.cli import main
from analysis.codebook import load_codebook

CB = load_codebook()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_validate_valid_file(capsys, gforms_csv):
    code, out, _ = run(capsys, "validate", str(gforms_csv), "--year", "2020")
    assert code == 0 and "valid for 2020" in out


def test_validate_warnings_only_exit_0(capsys, tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    header.append("Commenti")
    for r in rows:
        r.append("")
    path = sf.write_csv(tmp_path / "2020.csv", header, rows)
    code, out, _ = run(capsys, "validate", str(path), "--year", "2020")
    assert code == 0 and 'warning: 2020.csv, row 1, column "Commenti"' in out


def test_validate_invalid_prints_every_problem(capsys, tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    q2 = header.index(CB["q2_relevance"].text_it)
    rows[15][q2] = "Moltissimo!"
    rows[2][q2] = "Boh"
    path = sf.write_csv(tmp_path / "2020.csv", header, rows)
    code, out, err = run(capsys, "validate", str(path), "--year", "2020")
    assert code == 1
    lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(lines) == 2
    assert lines[0].startswith('error: 2020.csv, row 4, column "Quanto ritieni rilevanti')
    assert 'row 17, column "Quanto ritieni' in lines[1]
    assert '"Moltissimo!" is not one of: Per niente, Poco, Abbastanza, Molto, Moltissimo' in lines[1]
    assert "INVALID, 2 error(s)" in err


def test_validate_binary_file_exit_1(capsys, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(256)) * 10)
    code, out, _ = run(capsys, "validate", str(path), "--year", "2020")
    assert code == 1 and "binary file" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "/no/such/file.csv", "--year", "2020"], "file not found"),
        (["validate", "{csv}", "--year", "1999"], "1999"),
        (["validate", "{csv}"], "--year"),
        (["validate", "{csv}", "--year", "duemila"], "invalid int value"),
        (["prepare", "--year", "2020", "--input", "/no/such.csv"], "file not found"),
        (["frobnicate"], "invalid choice"),
        ([], "COMMAND"),
    ],
)
def test_usage_errors_exit_2(capsys, gforms_csv, argv, message):
    argv = [a.replace("{csv}", str(gforms_csv)) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in out + err


def test_help_exit_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "validate" in out and "simulate" in out and "run" in out


def test_prepare_writes_and_prints_summary(capsys, tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[0][1] = "test@esempio.it"
    path = sf.write_csv(tmp_path / "2020.csv", header, rows)
    out_dir = tmp_path / "processed"
    code, out, _ = run(capsys, "prepare", "--year", "2020", "--input", str(path), "--output-dir", str(out_dir))
    assert code == 0
    assert (out_dir / "2020.parquet").exists()
    assert "rows read                       20" in out
    assert "test submissions removed         1" in out
    assert "rows kept                       19" in out
    assert "q2_relevance" in out and "test@esempio.it" not in out


def test_prepare_invalid_exit_1(capsys, tmp_path, gforms_table):
    header, rows, _ = gforms_table()
    rows[4][0] = "99/99/2020 10.00.00"
    path = sf.write_csv(tmp_path / "2020.csv", header, rows)
    code, _, err = run(capsys, "prepare", "--year", "2020", "--input", str(path), "--output-dir", str(tmp_path))
    assert code == 1 and "row 6" in err and "Informazioni cronologiche" in err
    assert not (tmp_path / "2020.parquet").exists()


def test_prepare_default_input_for_unknown_year(capsys, tmp_path):
    code, _, err = run(capsys, "prepare", "--year", "2035", "--output-dir", str(tmp_path))
    assert code == 2 and "2035" in err


def test_simulate_calls_the_generator(capsys, tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("analysis.simulate")

    def simulate_export(year, n, seed, out=None, fmt="csv"):
        calls.append((year, n, seed, out, fmt))
        return out

    fake.simulate_export = simulate_export
    monkeypatch.setitem(sys.modules, "analysis.simulate", fake)
    out = tmp_path / "2025.xlsx"
    code, printed, _ = run(
        capsys, "simulate", "--year", "2025", "--n", "40", "--seed", "7", "--out", str(out), "--format", "xlsx"
    )
    assert code == 0 and calls == [(2025, 40, 7, out, "xlsx")] and str(out) in printed
    code, _, err = run(capsys, "simulate", "--year", "2025", "--n", "0", "--seed", "7")
    assert code == 2 and "--n" in err


def test_simulate_then_validate_round_trip(capsys, tmp_path):
    pytest.importorskip("analysis.simulate")
    out = tmp_path / "2023.csv"
    code, _, _ = run(capsys, "simulate", "--year", "2023", "--n", "40", "--seed", "3", "--out", str(out))
    assert code == 0 and out.exists()
    code, out_text, _ = run(capsys, "validate", str(out), "--year", "2023")
    assert code == 0, out_text


def test_run_hands_typed_parameters_to_the_build(capsys, monkeypatch):
    """Every flag of `softskills run` reaches the build as a validated ReportParameters."""
    from analysis.reporting import runner

    seen = {}

    def fake_build(specs, **kwargs):
        seen["params"] = [s.params for s in specs]
        seen["pdf"] = {s.pdf for s in specs}
        seen.update(kwargs)
        return [runner.ReportOutcome(s, "up to date") for s in specs]

    monkeypatch.setattr(runner, "build_reports", fake_build)
    margins = "data/margins/example.yaml"
    code, out, _ = run(capsys, "run", "--year", "2020", "--year", "2021", "--lang", "it", "--lang", "en",
                       "--alpha", "0.1", "--link", "probit", "--weights", margins, "--min-cell", "3",
                       "--jobs", "2", "--executor", "dask", "--force", "--quiet", "--no-pdf")
    assert code == 0, out
    params = seen["params"]
    assert [(p.year, p.lang) for p in params] == [(2020, "it"), (2020, "en"), (2021, "it"), (2021, "en")]
    assert {(p.alpha, p.link, p.min_cell, p.weights.name) for p in params} == {(0.1, "probit", 3, "example.yaml")}
    assert seen["pdf"] == {False}
    assert (seen["jobs"], seen["executor"], seen["force"], seen["quiet"]) == (2, "dask", True, True)
    assert out.splitlines()[-1].startswith("4 report(s): 0 built, 4 up to date, 0 failed")


@pytest.mark.parametrize(("argv", "message"), [
    (["--lang", "fr"], "lang must be one of it, en; got 'fr'"),
    (["--alpha", "2"], "alpha must be a number strictly between 0 and 1"),
    (["--link", "identity"], "link must be one of logit, probit"),
    (["--min-cell", "-1"], "min_cell must be a whole number >= 0"),
    (["--weights", "nope.yaml"], "weights file 'nope.yaml' does not exist"),
    (["--year", "1999"], "unknown year 1999"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--scheduler", "tcp://x:1"], "--scheduler needs --executor dask"),
    (["--year", "2020", "--year", "2021", "--input", "data/raw/2020.csv"], "exactly one --year"),
])
def test_run_refuses_bad_flags_in_one_line(capsys, argv, message):
    code, _, err = run(capsys, "run", *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_no_traceback(tmp_path):
    from pathlib import Path

    exe = Path(sys.executable).parent / "softskills"
    if not exe.exists():
        pytest.skip("console script not installed")
    proc = subprocess.run(
        [str(exe), "validate", str(tmp_path / "missing.csv"), "--year", "2020"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "file not found" in proc.stderr
