"""Shared fixtures: small valid exports written from the codebook (see tests/survey_files.py)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# Prepared years are cached by content (analysis.processed); tests keep the cache out of the
# checkout. Set before anything imports analysis.config; notebook kernels inherit it.
os.environ.setdefault("SOFTSKILLS_PROCESSED_DIR", tempfile.mkdtemp(prefix="softskills-processed-"))

sys.path.insert(0, str(Path(__file__).parent))

import survey_files as sf

from analysis.codebook import load_codebook


@pytest.fixture(scope="session")
def codebook():
    """The project's codebook."""
    return load_codebook()


@pytest.fixture
def gforms_csv(tmp_path: Path) -> Path:
    """A valid Google Forms CSV of 2020 with 20 respondents (rows 2..21)."""
    return sf.write_gforms_csv(tmp_path / "2020.csv", 2020, n=20, seed=1)


@pytest.fixture
def gforms_table():
    """Factory: (header, rows, records) of a valid Google Forms export, rows as lists to edit."""

    def make(year: int = 2020, n: int = 20, seed: int = 1):
        recs = sf.respondents(year, n, seed)
        return sf.gforms_header(year), sf.gforms_rows(year, recs), recs

    return make


# Property tests explore new random examples on a developer's machine; in CI (CI=true) they
# run a fixed, reproducible set so a submission's result does not depend on the draw.
if os.environ.get("CI"):
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True)
    _hypothesis_settings.load_profile("ci")
