"""Incremental builds: a report is rebuilt only when something it depends on changed.

A report (a year in a language) depends on

- the raw exports it reads: its own, and every year up to it in ``raw_dir`` (the trends);
- the codebook, the margins file (weighted reports), the package's source, the notebooks;
- its parameters, the kernel, ``SOURCE_DATE_EPOCH``;
- the versions of the key packages (a new pandas may change a table).

:func:`inputs_of` hashes each of them, :func:`build_key` hashes the lot; the key is recorded
in the report's ``provenance.json`` and :func:`is_up_to_date` compares it. Standard library
only, so that a no-change rerun answers "up to date" without importing pandas or starting
a kernel.

Examples
--------
>>> from analysis.reporting.cache import build_key, inputs_of   # doctest: +SKIP
>>> key = build_key(spec, inputs_of(spec))                      # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import config
from analysis.fingerprint import codebook_digest, digest_of, sha256_file, source_digest

if TYPE_CHECKING:  # pragma: no cover
    from .tasks import ReportSpec

__all__ = ["inputs_of", "build_key", "recorded", "is_up_to_date", "raw_inputs"]


def raw_inputs(spec: ReportSpec) -> dict[str, str]:
    """SHA-256 of every raw export the report reads, by path relative to the project."""
    p = spec.params
    files = [p.input_path]
    for year in config.available_years(p.raw_dir):
        if year < p.year:
            files.append(config.raw_path_for_year(year, p.raw_dir))
    return {config.relative_to_project(f): sha256_file(f) for f in files}


def inputs_of(spec: ReportSpec, *, source: str | None = None, codebook: str | None = None,
              packages: dict[str, str] | None = None) -> dict[str, object]:
    """Hashes of everything the report depends on (see the module docstring).

    ``source``, ``codebook`` and ``packages`` may be passed when already computed for
    another report of the same build.
    """
    from .provenance import package_versions

    p = spec.params
    return {
        "raw": raw_inputs(spec),
        "codebook": codebook if codebook is not None else codebook_digest(),
        "margins": sha256_file(p.weights) if p.weights is not None else None,
        "source": source if source is not None else source_digest(),
        "notebooks": {Path(nb).name: sha256_file(nb) for nb in spec.notebooks},
        "packages": packages if packages is not None else package_versions(),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }


def build_key(spec: ReportSpec, inputs: dict[str, object]) -> str:
    """One hash of the inputs, the parameters and the kernel of a report.

    Whether a PDF is printed is not part of it: a report built without its PDF is simply not
    up to date for a build that wants one (:func:`is_up_to_date` looks for the file).
    """
    return digest_of({"inputs": inputs, "parameters": spec.params.for_record(),
                      "kernel": spec.kernel_name})


def recorded(final: str | Path) -> dict | None:
    """The ``provenance.json`` of a built report, or None."""
    path = Path(final) / "provenance.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(spec: ReportSpec, key: str) -> bool:
    """True when ``reports/YEAR/LANG`` was built with ``key`` and its reader files are there."""
    prov = recorded(spec.final)
    if prov is None or prov.get("build_key") != key:
        return False
    if not (spec.final / f"{spec.stem}.html").is_file():
        return False
    return not spec.pdf or (spec.final / f"{spec.stem}.pdf").is_file()
