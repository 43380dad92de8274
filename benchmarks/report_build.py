"""Wall time of one year's full report build next to its floor.

Floor = for each notebook, start a ``python3`` kernel that imports pandas, seaborn and
statsmodels (then shut it down), plus one PDF print of the reader HTML (browser start included).
Target (issue 5): build <= 3 x floor. Writes ``benchmarks/results/report_build.{csv,md}``.

Usage::

    python benchmarks/report_build.py                       # notebooks/*.ipynb (not _*), bundled year
    python benchmarks/report_build.py --notebooks tests/notebooks_fixtures/report_a.ipynb \\
        tests/notebooks_fixtures/report_b.ipynb --synthetic # fixture notebooks, synthetic data
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from jupyter_client.manager import start_new_kernel

from analysis import config
from analysis.reporting import PdfPrinter, build_year, discover_notebooks

RESULTS = Path(__file__).resolve().parent / "results"
IMPORTS = "import pandas, seaborn, statsmodels.api"


def kernel_floor() -> float:
    """Seconds to start a python3 kernel, import the stack, and shut it down."""
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive(IMPORTS, timeout=300)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel could not run {IMPORTS!r}: {reply['content']}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return time.perf_counter() - t0


def pdf_floor(html_path: Path, out: Path) -> float:
    """Seconds to start Chromium and print one HTML file to PDF."""
    t0 = time.perf_counter()
    with PdfPrinter() as printer:
        printer.print_file(html_path, out)
    return time.perf_counter() - t0


def synthetic_year(folder: Path, year: int) -> Path:
    """A small role / q2 file for the fixture notebooks."""
    rng = np.random.default_rng(year)
    n = 400
    path = folder / f"{year}.csv"
    pd.DataFrame({"role": rng.choice(["agent", "lead", "manager"], n),
                  "q2": rng.integers(1, 6, n)}).to_csv(path, index=False)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=config.DEFAULT_YEAR)
    parser.add_argument("--notebooks", nargs="+", type=Path,
                        help="notebooks to run (default: notebooks/*.ipynb not starting with _)")
    parser.add_argument("--input", type=Path, help="raw export (default: data/raw/YEAR.*)")
    parser.add_argument("--synthetic", action="store_true",
                        help="use a small synthetic role/q2 file (for the fixture notebooks)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the minimum is kept")
    args = parser.parse_args(argv)

    notebooks = args.notebooks or discover_notebooks()
    if not notebooks:
        parser.error(f"no notebooks in {config.NOTEBOOKS_DIR}; pass --notebooks")
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        tmp = Path(tmp)
        if args.synthetic:
            input_path = synthetic_year(tmp, args.year)
        else:
            input_path = args.input or config.raw_path_for_year(args.year)
        params = {"input_path": str(input_path)}

        builds, floors_k, floors_p = [], [], []
        for i in range(args.repeat):
            reports = tmp / f"reports{i}"
            t0 = time.perf_counter()
            result = build_year(args.year, notebooks=notebooks, parameters=params,
                                reports_dir=reports, quiet=True, log=lambda _line: None)
            builds.append(time.perf_counter() - t0)
            floors_k.append(sum(kernel_floor() for _ in notebooks))
            floors_p.append(pdf_floor(result.reader_html, tmp / "floor.pdf"))
        build = min(builds)
        kfloor, pfloor = min(floors_k), min(floors_p)
        floor = kfloor + pfloor

    row = {
        "date_utc": dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat(),
        "year": args.year,
        "notebooks": " ".join(p.name for p in notebooks),
        "n_notebooks": len(notebooks),
        "build_s": round(build, 2),
        "floor_s": round(floor, 2),
        "kernel_floor_s": round(kfloor, 2),
        "pdf_floor_s": round(pfloor, 2),
        "ratio": round(build / floor, 2),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "report_build.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    md = [
        "# Report build: wall time vs floor",
        "",
        f"Measured {row['date_utc']} on {row['cpus']} CPUs (shared), Python {row['python']}, "
        f"minimum of {args.repeat} runs. Notebooks: {row['notebooks']}.",
        "",
        "Floor = one kernel start + `" + IMPORTS + "` per notebook, plus one Chromium start "
        "and PDF print of the reader report. Target: build <= 3 x floor.",
        "",
        "| year | notebooks | build (s) | floor (s) | kernels (s) | PDF (s) | build / floor |",
        "|---|---|---|---|---|---|---|",
        f"| {row['year']} | {row['n_notebooks']} | {row['build_s']} | {row['floor_s']} | "
        f"{row['kernel_floor_s']} | {row['pdf_floor_s']} | {row['ratio']} |",
        "",
    ]
    (RESULTS / "report_build.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
