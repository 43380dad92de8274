"""Checks of committed notebooks: no outputs, one ``parameters`` cell, every parameter typed and documented.

Example
-------
>>> from analysis.reporting.checks import notebook_problems
>>> notebook_problems("notebooks/_template.ipynb")               # doctest: +SKIP
[]
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["notebook_problems"]


def notebook_problems(path: str | Path) -> list[str]:
    """Problems that keep a notebook from being committed, one readable line each.

    - a code cell carries outputs or an execution count (clear them before committing);
    - not exactly one cell is tagged ``parameters``;
    - a parameter has no type (annotation or literal default) or no help comment, so
      ``papermill --help-notebook`` cannot document it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of str
        Empty when the notebook is fine.
    """
    import nbformat
    import papermill

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{path.name}: cell {i} has {len(cell.outputs)} output(s); clear outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path.name}: cell {i} has an execution count; clear outputs")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        where = f" (cells {', '.join(map(str, tagged))})" if tagged else ""
        problems.append(f"{path.name}: {len(tagged)} cells tagged 'parameters'{where}; expected exactly 1")
    else:
        for name, info in papermill.inspect_notebook(str(path)).items():
            if info.get("inferred_type_name") in (None, "", "None"):
                problems.append(f"{path.name}: parameter {name!r} has no type; write `{name}: TYPE = ...`")
            if not str(info.get("help", "")).strip():
                problems.append(f"{path.name}: parameter {name!r} has no help comment (`# ...`)")
    return problems
