"""Content hashes of what a report depends on: files, folders, the package's own source.

Used by the processed-data cache (:mod:`analysis.processed`) and by incremental builds
(:mod:`analysis.reporting.cache`). Light (standard library only) and fast: a no-change rerun
hashes everything a report depends on in a few milliseconds.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("x")
>>> sha256_file(d / "a.txt")[:12]
'2d711642b726'
>>> tree_digest(d, "*.txt") == tree_digest(d, "*.txt")
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from analysis import config

__all__ = ["sha256_file", "sha256_text", "tree_digest", "source_digest", "codebook_digest",
           "digest_of"]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tree_digest(folder: str | Path, patterns: str | Iterable[str] = "*") -> str:
    """One SHA-256 over the relative names and bytes of the files matching ``patterns`` (recursive).

    Byte-for-byte the same files give the same digest wherever the folder is; a missing folder
    has the digest of nothing.
    """
    folder = Path(folder)
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    files: set[Path] = set()
    if folder.is_dir():
        for pattern in patterns:
            files.update(p for p in folder.rglob(pattern)
                         if p.is_file() and "__pycache__" not in p.parts)
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        h.update(sha256_file(p).encode("ascii") + b"\n")
    return h.hexdigest()


def source_digest() -> str:
    """Digest of the package's Python source and data files (``src/analysis``)."""
    return tree_digest(config.SOURCE_DIR, ("*.py", "*.yaml", "*.json", "*.j2", "*.css"))


def codebook_digest(folder: str | Path | None = None) -> str:
    """Digest of the codebook folder (every ``*.yaml`` / ``*.yml``)."""
    return tree_digest(folder if folder is not None else config.CODEBOOK_DIR, ("*.yaml", "*.yml"))


def digest_of(obj: object) -> str:
    """SHA-256 of a JSON-serialisable object in canonical form (sorted keys)."""
    return sha256_text(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str))
