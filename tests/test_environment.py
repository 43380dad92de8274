"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(spec: str) -> tuple[str, str]:
    match = _REQ.match(spec)
    assert match, spec
    name = match.group(1).lower().replace("_", "-")
    bounds = ",".join(sorted(b.strip() for b in match.group(2).split(",") if b.strip()))
    return name, bounds


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = list(data["project"]["dependencies"])
    specs += data["project"]["optional-dependencies"]["dev"]
    return dict(_parse(s) for s in specs)


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name, bounds = _parse(dep)
            out[name] = bounds
    return out


def test_environment_yml_matches_pyproject() -> None:
    assert _conda_requirements() == _pyproject_requirements()


def test_parse_normalises_names_and_bounds() -> None:
    # The comparison above must be able to fail on a real difference.
    assert _parse("PyYAML>=6.0") == ("pyyaml", ">=6.0")
    assert _parse("pandas >=2.2,<4") != _parse("pandas>=2.2")


def test_ci_calls_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make report" in readme
    assert re.search(r"^make test\b", ci, flags=re.MULTILINE)
