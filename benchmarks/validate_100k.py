"""Benchmark: validate and prepare a 100,000-row Google Forms export.

Writes ``benchmarks/results/validate_100k.json``: wall time of ``validate_export`` and
``prepare``, and their peak Python memory (tracemalloc, measured in a second, separate run
because tracing slows the code down). Usage: ``.venv/bin/python benchmarks/validate_100k.py``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from analysis.prepare import prepare
from analysis.simulate import simulate_export
from analysis.validate import validate_export

N = 100_000
RESULTS = Path(__file__).resolve().parent / "results" / "validate_100k.json"


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = simulate_export(2022, N, 1, out=Path(tmp) / "2022.csv")
        size = path.stat().st_size
        t0 = time.perf_counter()
        problems = validate_export(path, 2022)
        t_validate = time.perf_counter() - t0
        t0 = time.perf_counter()
        prepared = prepare(path, 2022)
        t_prepare = time.perf_counter() - t0
        tracemalloc.start()
        validate_export(path, 2022)
        _, peak_validate = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # peak resident memory of a fresh process that only imports the package and validates
        # (VmHWM of /proc/self/status: the high-water mark of this process's own memory map)
        code = (
            "import re; from analysis.validate import validate_export;"
            "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1));"
            "base = hwm();"
            f"validate_export({str(path)!r}, 2022);"
            "print(base, hwm())"
        )
        base_kb, peak_kb = map(int, subprocess.check_output([sys.executable, "-c", code], text=True).split())
    result = {
        "rows": N,
        "file_mb": round(size / 1e6, 1),
        "columns": len(prepared.data.columns),
        "problems": len(problems),
        "errors": sum(p.is_error for p in problems),
        "validate_seconds": round(t_validate, 2),
        "prepare_seconds": round(t_prepare, 2),
        "validate_peak_python_mb": round(peak_validate / 1e6, 1),
        "validate_process_rss_mb": round(peak_kb / 1e3, 1),
        "rss_after_imports_mb": round(base_kb / 1e3, 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
