"""Wall time of the report build, as a user runs it (``softskills run`` in a fresh process).

Three measures, written to ``benchmarks/results/report_build.{csv,md}``:

1. **One year in one language** (``--year 2020 --lang it``, PDF included) with ``--jobs 1`` and
   with ``--jobs 2``, against its floor: for each notebook, start a ``python3`` kernel that imports
   pandas, seaborn and statsmodels (then shut it down), plus one PDF print of the reader HTML
   (browser start included). Target: build <= 2 x floor.
2. **The no-change rerun** of the same command (CLI start-up included). Target: <= 1 s.
3. **Every bundled year in both languages** with ``--jobs 2`` against ``--jobs 1``.

Every build starts from an empty reports folder and an empty processed-data cache (a
temporary ``SOFTSKILLS_PROCESSED_DIR``), so preparing the years is part of the time.

Usage::

    python benchmarks/report_build.py                 # all three (the third takes a while)
    python benchmarks/report_build.py --skip-all-years
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_client.manager import KernelManager

from analysis import config
from analysis.reporting import PdfPrinter, discover_notebooks

RESULTS = Path(__file__).resolve().parent / "results"
IMPORTS = "import pandas, seaborn, statsmodels.api"
SRC = Path(__file__).resolve().parents[1] / "src"


def kernel_floor() -> float:
    """Seconds to start a python3 kernel (IPC, as the build does), import the stack, shut it down."""
    t0 = time.perf_counter()
    km = KernelManager(kernel_name="python3", transport="ipc",
                       ip=os.path.join(tempfile.gettempdir(), f"bench-{uuid.uuid4().hex[:12]}-ipc"))
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=300)
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


def run(args: list[str], processed: Path) -> tuple[float, str]:
    """Run ``softskills run ARGS`` in a fresh process; seconds and standard output."""
    env = {**os.environ, "SOFTSKILLS_PROCESSED_DIR": str(processed),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "run", *args, "--quiet"],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"softskills run {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=config.DEFAULT_YEAR)
    parser.add_argument("--lang", default=config.DEFAULT_LANG)
    parser.add_argument("--skip-all-years", action="store_true",
                        help="skip measure 3 (every year x both languages)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="copy the reports of measure 3 (--jobs 2) to DIR, to look at them")
    args = parser.parse_args(argv)

    notebooks = discover_notebooks()
    years = config.available_years()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        tmp = Path(tmp)
        one = ["--year", str(args.year), "--lang", args.lang]

        # 1. one year, one language, serial and two jobs; 2. the no-change rerun
        for jobs in (1, 2):
            reports, processed = tmp / f"one-j{jobs}", tmp / f"processed-one-j{jobs}"
            build, _ = run([*one, "--jobs", str(jobs), "--reports-dir", str(reports)], processed)
            rows.append({"measure": f"one report, --jobs {jobs}", "reports": 1, "seconds": build})
        rerun = min(run([*one, "--reports-dir", str(tmp / "one-j1")], tmp / "processed-one-j1")[0]
                    for _ in range(3))
        rows.append({"measure": "no-change rerun (CLI start-up included)", "reports": 1,
                     "seconds": rerun, "target": 1.0})
        kfloor = sum(kernel_floor() for _ in notebooks)
        html = tmp / "one-j1" / str(args.year) / args.lang / f"report-{args.year}.html"
        pfloor = pdf_floor(html, tmp / "floor.pdf")
        floor = kfloor + pfloor
        rows.append({"measure": "floor (kernels + one PDF)", "reports": 1, "seconds": floor})
        for row in rows[:2]:
            row["ratio_to_floor"] = row["seconds"] / floor
            row["target"] = 2.0

        # 3. every year, both languages
        if not args.skip_all_years:
            every = ["--all", "--lang", "it", "--lang", "en"]
            serial, _ = run([*every, "--jobs", "1", "--reports-dir", str(tmp / "all-j1")],
                            tmp / "processed-all-j1")
            rows.append({"measure": f"all {len(years)} years x 2 languages, --jobs 1",
                         "reports": 2 * len(years), "seconds": serial})
            two, _ = run([*every, "--jobs", "2", "--reports-dir", str(tmp / "all-j2")],
                         tmp / "processed-all-j2")
            rows.append({"measure": f"all {len(years)} years x 2 languages, --jobs 2",
                         "reports": 2 * len(years), "seconds": two, "ratio_to_serial": two / serial})
            if args.keep is not None:
                shutil.copytree(tmp / "all-j2", args.keep, dirs_exist_ok=True)

    when = dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat()
    fields = ["date_utc", "measure", "reports", "seconds", "ratio_to_floor", "ratio_to_serial",
              "target", "cpus", "python"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "report_build.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({"date_utc": when, "cpus": os.cpu_count(),
                             "python": platform.python_version(),
                             **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}})

    def fmt(v: object) -> str:
        return "" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    md = [
        "# Report build: wall time",
        "",
        f"Measured {when} on {os.cpu_count()} CPUs (shared with other work), Python "
        f"{platform.python_version()}; `softskills run ... --quiet` in a fresh process, empty reports "
        f"folder and processed-data cache. Notebooks: {' '.join(p.name for p in notebooks)}; "
        f"one report = year {args.year} in `{args.lang}` with its PDF.",
        "",
        "Floor = one kernel start + `" + IMPORTS + "` per notebook, plus one Chromium start and PDF "
        "print. Targets: one report <= 2 x floor; no-change rerun <= 1 s.",
        "",
        "| measure | reports | seconds | / floor | / serial | target |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        md.append(f"| {row['measure']} | {row['reports']} | {fmt(row['seconds'])} | "
                  f"{fmt(row.get('ratio_to_floor'))} | {fmt(row.get('ratio_to_serial'))} | "
                  f"{fmt(row.get('target'))} |")
    md.append("")
    (RESULTS / "report_build.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
