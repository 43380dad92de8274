"""Prepared years cached on disk by content: prepare once, read many times.

:func:`load_prepared` returns the prepared table of a year (validated, coded, personal data
dropped; see :mod:`analysis.prepare`). The first call prepares the raw export and writes
``data/processed/cache/YEAR-KEY/`` (the Parquet table, the data-quality summary and a small
``meta.json``); every later call with the same inputs reads it back. ``KEY`` is a hash of
the raw export's bytes, of the codebook and of the package's source, so a change to any of
them prepares the year again and an old entry is simply never read.

The build (:mod:`analysis.reporting`) calls it once per year before running the notebooks;
the notebooks (:func:`analysis.notebook.setup`) then only read.

Examples
--------
>>> from analysis.processed import load_prepared
>>> prepared = load_prepared(2020)                               # doctest: +SKIP
>>> prepared.data.shape, prepared.source["file"]                 # doctest: +SKIP
((163, 40), '2020.csv')
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import config
from analysis.fingerprint import codebook_digest, digest_of, sha256_file, source_digest

if TYPE_CHECKING:  # pragma: no cover
    from analysis.prepare import PreparedData

__all__ = ["CACHE_SUBDIR", "cache_dir", "cache_key", "load_prepared", "read_meta"]

#: Sub-folder of :data:`analysis.config.PROCESSED_DIR` holding the cache.
CACHE_SUBDIR = "cache"
_META = "meta.json"


def cache_key(input_path: str | Path, year: int) -> str:
    """Hash of what the prepared year depends on: the raw export, the codebook, the source."""
    return digest_of({"year": int(year), "raw": sha256_file(input_path),
                      "codebook": codebook_digest(), "source": source_digest()})


def cache_dir(input_path: str | Path, year: int, processed_dir: str | Path | None = None) -> Path:
    """Folder of the cached year (it may not exist yet)."""
    root = Path(processed_dir) if processed_dir is not None else config.PROCESSED_DIR
    return root / CACHE_SUBDIR / f"{int(year)}-{cache_key(input_path, year)[:16]}"


def read_meta(folder: str | Path) -> dict[str, Any]:
    """``meta.json`` of a cached year: source file, respondents, fieldwork dates, warnings."""
    return json.loads((Path(folder) / _META).read_text(encoding="utf-8"))


def _facts(prepared: PreparedData) -> dict[str, Any]:
    import pandas as pd

    when = pd.to_datetime(prepared.data.get("submitted_at"), errors="coerce") \
        if "submitted_at" in prepared.data else pd.Series([], dtype="datetime64[ns]")
    when = when.dropna()
    return {
        "respondents": int(len(prepared.data)),
        "fieldwork_start": when.min().date().isoformat() if len(when) else None,
        "fieldwork_end": when.max().date().isoformat() if len(when) else None,
    }


def _write(prepared: PreparedData, target: Path) -> None:
    from analysis.prepare import write_prepared

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        write_prepared(prepared, processed_dir=staging)
        meta = {
            "year": prepared.year,
            "source": prepared.source,
            **_facts(prepared),
            "problems": [dataclasses.asdict(p) for p in prepared.problems],
        }
        (staging / _META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
        try:
            os.rename(staging, target)
        except OSError:  # another process prepared the same year meanwhile: keep theirs
            if not (target / _META).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_prepared(
    year: int,
    input_path: str | Path | None = None,
    *,
    raw_dir: str | Path | None = None,
    processed_dir: str | Path | None = None,
) -> PreparedData:
    """The prepared year, from the cache when its inputs have not changed.

    Parameters
    ----------
    year : int
    input_path : str or Path, optional
        Raw export; default the year's file in ``raw_dir`` (:func:`analysis.config.raw_path_for_year`).
    raw_dir : str or Path, optional
        Folder of the raw exports (default ``data/raw``).
    processed_dir : str or Path, optional
        Root of the cache (default :data:`analysis.config.PROCESSED_DIR`).

    Returns
    -------
    PreparedData
        ``data`` with the codebook's dtypes, ``summary``, ``source`` and the warnings found.

    Raises
    ------
    RawExportNotFoundError, SurveyDataError
        No export of the year, or an invalid one (every problem listed).
    """
    import warnings

    import pandas as pd

    from analysis.errors import Problem
    from analysis.prepare import PreparedData, prepare, read_prepared

    path = Path(input_path) if input_path else config.raw_path_for_year(year, raw_dir)
    folder = cache_dir(path, year, processed_dir)
    if not (folder / _META).exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _write(prepare(path, year), folder)
    meta = read_meta(folder)
    data = read_prepared(year, processed_dir=folder)
    summary = pd.read_csv(folder / f"{year}.quality.csv")
    return PreparedData(year=year, data=data, summary=summary,
                        problems=[Problem(**p) for p in meta.get("problems", [])],
                        source=dict(meta.get("source", {})))
