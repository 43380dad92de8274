"""Provenance of a report: what was run, on which input, with which code.

Examples
--------
>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "2020.csv"; _ = f.write_text("x\\n")
>>> prov = collect(f, {"year": 2020, "lang": "en"})
>>> len(prov["input_sha256"])
64
>>> sorted(prov["parameters"])
['lang', 'year']
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from analysis import config

__all__ = ["KEY_PACKAGES", "collect", "sha256_file", "git_state", "to_markdown", "to_html",
           "LABELS"]

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
        "build_date_utc": "Build date (UTC)",
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
        "build_date_utc": "Data di generazione (UTC)",
        "python": "Python",
        "packages": "Pacchetti",
        "yes": "sì",
        "no": "no",
    },
}


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


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


def _build_date() -> str:
    # SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the date when set.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        if epoch and epoch.isdigit()
        else _dt.datetime.now(tz=_dt.UTC)
    )
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


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
    input_path: str | Path,
    parameters: dict[str, object],
    *,
    root: str | Path | None = None,
) -> dict[str, object]:
    """Collect the provenance of a build.

    Parameters
    ----------
    input_path : str or Path
        Raw export the report analyses (hashed with SHA-256).
    parameters : dict
        Every parameter the notebooks were run with (paths become strings).
    root : str or Path, optional
        Git checkout to describe (default: the project root).

    Returns
    -------
    dict
        Keys ``package``, ``package_version``, ``git_commit``, ``git_dirty``, ``input_path``,
        ``input_sha256``, ``parameters``, ``build_date_utc``, ``python``, ``packages``
        (JSON-serialisable).
    """
    from analysis import __version__

    commit, dirty = git_state(root)
    path = Path(input_path)
    return {
        "package": "softskills-survey",
        "package_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "input_path": str(path),
        "input_sha256": sha256_file(path),
        "parameters": _jsonable(dict(parameters)),
        "build_date_utc": _build_date(),
        "python": platform.python_version(),
        "packages": {name: _package_version(name) for name in KEY_PACKAGES},
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
        (lab["input_path"], Path(str(prov.get("input_path"))).name, True),
        (lab["input_sha256"], str(prov.get("input_sha256")), True),
        (lab["parameters"], ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                      for k, v in params.items()), True),
        (lab["build_date_utc"], str(prov.get("build_date_utc")), False),
        (lab["python"], str(prov.get("python")), False),
        (lab["packages"], ", ".join(f"{k} {v}" for k, v in packages.items()), False),
    ]


def to_markdown(prov: dict[str, object], lang: str = "en", *, heading: str | None = "## ") -> str:
    """Render ``prov`` as a Markdown section (heading + two-column table).

    Examples
    --------
    >>> md = to_markdown({"package": "p", "package_version": "1", "git_commit": "abc",
    ...                   "git_dirty": False, "input_path": "/x/2020.csv", "input_sha256": "00",
    ...                   "parameters": {"year": 2020}, "build_date_utc": "2020-01-01T00:00:00Z",
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


def to_html(prov: dict[str, object], lang: str = "en") -> str:
    """Render ``prov`` as an HTML ``<table class="provenance">``."""
    rows = []
    for label, value, code in _rows(prov, lang):
        v = html.escape(value)
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{f'<code>{v}</code>' if code else v}</td></tr>")
    return '<table class="provenance">\n' + "\n".join(rows) + "\n</table>\n"
