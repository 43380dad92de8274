"""Provenance of a report: what was run, on which input, with which code.

``provenance.json`` (in every ``reports/YEAR/LANG``) records the parameters, the hashes of
every input, the build key of the incremental build, the versions, the git commit and the
time of the build. The report itself renders the same record *without* the build time (the
date it prints is :func:`analysis.reporting.tasks.report_date`), so rebuilding unchanged
inputs gives the same bytes. Paths are recorded relative to the project.

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.parameters import ReportParameters
>>> raw = pathlib.Path(tempfile.mkdtemp()); _ = (raw / "2020.csv").write_text("x\\n")
>>> prov = collect(ReportParameters.validate(year=2020, raw_dir=raw, lang="en"))
>>> len(prov["input_sha256"]), prov["parameters"]["lang"]
(64, 'en')
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import config
from analysis.fingerprint import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    from analysis.parameters import ReportParameters

__all__ = ["KEY_PACKAGES", "collect", "sha256_file", "git_state", "package_versions",
           "to_markdown", "to_html", "LABELS"]

#: Packages whose versions are recorded.
KEY_PACKAGES: tuple[str, ...] = (
    "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn",
    "papermill", "nbconvert", "ipykernel",
)

#: Row labels of the rendered provenance table, per language.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Provenance",
        "package_version": "Package version",
        "git_commit": "Git commit",
        "git_dirty": "Uncommitted changes",
        "input_path": "Input file",
        "input_sha256": "SHA-256 of the input file",
        "parameters": "Parameters",
        "report_date": "Report date",
        "python": "Python",
        "packages": "Packages",
        "yes": "yes",
        "no": "no",
    },
    "it": {
        "title": "Provenienza",
        "package_version": "Versione del pacchetto",
        "git_commit": "Commit git",
        "git_dirty": "Modifiche non registrate",
        "input_path": "File di input",
        "input_sha256": "SHA-256 del file di input",
        "parameters": "Parametri",
        "report_date": "Data del rapporto",
        "python": "Python",
        "packages": "Pacchetti",
        "yes": "sì",
        "no": "no",
    },
}


def git_state(root: str | Path | None = None) -> tuple[str, bool | str]:
    """``(commit, dirty)`` of the checkout at ``root``; ``("unknown", "unknown")`` outside git.

    ``dirty`` is True when tracked files differ from the commit (untracked files are ignored).
    """
    root = Path(root) if root is not None else config.PROJECT_ROOT
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "HEAD"],
            capture_output=True, text=True, check=True, env=env, timeout=30,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, env=env, timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown", "unknown"
    return commit or "unknown", bool(status.strip())


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _installed_versions() -> dict[str, str]:
    """``name -> version`` from the ``NAME-VERSION.dist-info`` folders on ``sys.path``.

    Reading folder names is some ten times faster than :mod:`importlib.metadata`; the first
    folder found for a name wins, as for imports.
    """
    import re
    import sys

    found: dict[str, str] = {}
    pattern = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)\.dist-info$")
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            m = pattern.match(n)
            if m:
                key = re.sub(r"[-_.]+", "-", m.group("name")).lower()
                found.setdefault(key, m.group("version"))
    return found


def package_versions() -> dict[str, str]:
    """Versions of :data:`KEY_PACKAGES` (``"not installed"`` when missing)."""
    installed = _installed_versions()
    return {name: installed.get(name) or _package_version(name) for name in KEY_PACKAGES}


def _now_utc() -> str:
    return _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _jsonable(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def collect(
    params: ReportParameters,
    *,
    facts: dict | None = None,
    inputs: dict | None = None,
    build_key: str | None = None,
    notebooks: list[str] | None = None,
    root: str | Path | None = None,
) -> dict[str, object]:
    """Collect the provenance of a report.

    Parameters
    ----------
    params : ReportParameters
        The validated parameters (recorded with paths relative to the project).
    facts : dict, optional
        ``respondents``, ``fieldwork_start``, ``fieldwork_end`` of the prepared year.
    inputs : dict, optional
        Hashes of every input (:func:`analysis.reporting.cache.inputs_of`).
    build_key : str, optional
        Key of the incremental build (:func:`analysis.reporting.cache.build_key`).
    notebooks : list of str, optional
        Names of the notebooks run, in order.
    root : str or Path, optional
        Git checkout to describe (default: the project root).

    Returns
    -------
    dict
        JSON-serialisable. ``built_at_utc`` is the only wall-clock time; the report renders
        everything else.
    """
    from analysis import __version__

    from .tasks import report_date

    commit, dirty = git_state(root)
    facts = dict(facts or {})
    return {
        "package": "softskills-survey",
        "package_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "year": params.year,
        "lang": params.lang,
        "input_path": config.relative_to_project(params.input_path),
        "input_sha256": sha256_file(params.input_path),
        "parameters": _jsonable(params.for_record()),
        "data": {k: facts.get(k) for k in ("respondents", "fieldwork_start", "fieldwork_end")},
        "report_date": report_date(facts),
        "notebooks": list(notebooks or []),
        "inputs": _jsonable(inputs or {}),
        "build_key": build_key,
        "built_at_utc": _now_utc(),
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def _rows(prov: dict[str, object], lang: str) -> list[tuple[str, str, bool]]:
    """(label, value, is_code) rows of the table."""
    lab = LABELS.get(lang, LABELS["en"])
    dirty = prov.get("git_dirty")
    dirty_text = lab["yes"] if dirty is True else lab["no"] if dirty is False else str(dirty)
    params = prov.get("parameters", {}) or {}
    packages = prov.get("packages", {}) or {}
    return [
        (lab["package_version"], f"{prov.get('package', '')} {prov.get('package_version', '')}", False),
        (lab["git_commit"], str(prov.get("git_commit")), True),
        (lab["git_dirty"], dirty_text, False),
        (lab["input_path"], str(prov.get("input_path")), True),
        (lab["input_sha256"], str(prov.get("input_sha256")), True),
        (lab["parameters"], ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                      for k, v in params.items()), True),
        (lab["report_date"], str(prov.get("report_date") or ""), False),
        (lab["python"], str(prov.get("python")), False),
        (lab["packages"], ", ".join(f"{k} {v}" for k, v in packages.items()), False),
    ]


def to_markdown(prov: dict[str, object], lang: str = config.DEFAULT_LANG, *, heading: str | None = "## ") -> str:
    """Render ``prov`` as a Markdown section (heading + two-column table).

    Examples
    --------
    >>> md = to_markdown({"package": "p", "package_version": "1", "git_commit": "abc",
    ...                   "git_dirty": False, "input_path": "/x/2020.csv", "input_sha256": "00",
    ...                   "parameters": {"year": 2020}, "report_date": "2020-01-01",
    ...                   "python": "3.11", "packages": {}}, lang="it")
    >>> md.splitlines()[0]
    '## Provenienza'
    """
    lab = LABELS.get(lang, LABELS["en"])

    def cell(text: str, code: bool) -> str:
        text = text.replace("|", "\\|").replace("\n", " ")
        return f"`{text}`" if code and text and "`" not in text else text

    lines = []
    if heading is not None:
        lines += [f"{heading}{lab['title']}", ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {label} | {cell(value, code)} |" for label, value, code in _rows(prov, lang)]
    return "\n".join(lines) + "\n"


def to_html(prov: dict[str, object], lang: str = config.DEFAULT_LANG) -> str:
    """Render ``prov`` as an HTML ``<table class="provenance">``."""
    rows = []
    for label, value, code in _rows(prov, lang):
        v = html.escape(value)
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{f'<code>{v}</code>' if code else v}</td></tr>")
    return '<table class="provenance">\n' + "\n".join(rows) + "\n</table>\n"
