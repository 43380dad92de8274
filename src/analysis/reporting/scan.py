"""Nothing but the report in the report: scan executed notebooks for what a reader must not see.

A cell whose last line returns a value (``[PosixPath(...)]``), a warning printed to stderr, a
pandas dump (index column, ``NaN``), ``True``/``False``, a temporary path or a figure without
alt text are defects of the notebook, not of the reader's. :func:`output_problems` lists them,
one readable line each (notebook, cell, what); the build calls :func:`check_outputs` after
running a notebook and fails on any. Cells a reader never sees (tagged ``remove_cell``,
``parameters``...) are not scanned.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
>>> nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "[PosixPath('/tmp/a')]"})]
>>> output_problems(nb, "demo.ipynb")
["demo.ipynb, cell 0 (`x`): a value printed as Python shows it ([PosixPath('/tmp/a')])"]
"""

from __future__ import annotations

import html as _html
import re
from pathlib import Path

from .errors import ReportBuildError
from .html import READER_REMOVE_CELL_TAGS, READER_REMOVE_OUTPUT_TAGS

__all__ = ["PATTERNS", "output_problems", "check_outputs", "visible_text"]

#: What must never appear in the text a reader sees, with what it means.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:Posix|Windows)Path\("), "a Python path object"),
    (re.compile(r"(?:/tmp/|\.tmp-|/var/folders/|\\AppData\\Local\\Temp)"), "a temporary path"),
    (re.compile(r"(?<![\w-])(?:NaN|nan|NaT|None|<NA>)(?![\w-])"), "a missing value shown as NaN/None"),
    (re.compile(r"(?<![\w-])(?:True|False)(?![\w-])"), "True/False instead of words"),
    (re.compile(r"<(?:matplotlib|Figure size|Axes)\b|\bobject at 0x[0-9a-f]+"), "a Python object repr"),
    (re.compile(r"\b\w*(?:Warning|Error):|Traceback \(most recent call last\)"), "a warning or error message"),
    (re.compile(r"\bdtype[:=]|\barray\(\["), "a pandas/numpy repr"),
)

_TAG = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


def visible_text(html: str) -> str:
    """The text of an HTML fragment as a reader sees it (no tags, styles or scripts)."""
    return " ".join(_html.unescape(_TAG.sub(" ", _STYLE.sub(" ", html))).split())


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            s = line.strip()
            return s if len(s) <= 60 else s[:59] + "…"
    return ""


def _excerpt(text: str, limit: int = 80) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def output_problems(nb, name: str = "notebook") -> list[str]:
    """Defects in the outputs of an executed notebook that a reader would see.

    Parameters
    ----------
    nb : NotebookNode
        Executed notebook.
    name : str
        Its name, for the messages.

    Returns
    -------
    list of str
        ``"NAME, cell I (`first line`): what"``; empty when the outputs are clean.
    """
    problems: list[str] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(READER_REMOVE_CELL_TAGS) or tags & set(READER_REMOVE_OUTPUT_TAGS):
            continue
        where = f"{name}, cell {i}" + (f" (`{_first_line(cell.source)}`)" if cell.source.strip() else "")

        def add(what: str, where: str = where) -> None:
            problems.append(f"{where}: {what}")

        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                add(f"an error ({out.get('ename')}: {_excerpt(out.get('evalue', ''))})")
                continue
            if kind == "stream":
                text = "".join(out.get("text", ""))
                if text.strip():
                    add(f"text printed to {out.get('name')} ({_excerpt(text)})")
                continue
            data = out.get("data", {})
            if kind == "execute_result":  # the value of a cell's last line: never meant for a reader
                add(f"a value printed as Python shows it ({_excerpt(data.get('text/plain', ''))})")
                continue
            if "image/png" in data or "image/svg+xml" in data:
                if "text/html" not in data and "text/markdown" not in data:
                    add("a figure shown without caption or alt text (use reader_figure)")
                continue
            if "text/html" in data:
                raw = "".join(data["text/html"])
                if 'class="dataframe' in raw:
                    add("a pandas table dump (use reader_table)")
                text = visible_text(raw)
                imgs = re.findall(r"<img\b[^>]*>", raw)
                for img in imgs:
                    alt = re.search(r'\balt="([^"]*)"', img)
                    if not alt or not alt.group(1).strip():
                        add("an image without alt text")
            elif "text/markdown" in data:
                text = "".join(data["text/markdown"])
            elif "text/plain" in data:
                text = "".join(data["text/plain"])
                add(f"plain text output ({_excerpt(text)})")
                continue
            else:
                continue
            for pattern, what in PATTERNS:
                m = pattern.search(text)
                if m:
                    start = max(0, m.start() - 30)
                    add(f"{what} in the text (…{_excerpt(text[start:m.end() + 30], 70)}…)")
    return problems


def check_outputs(path: str | Path) -> None:
    """Raise :class:`ReportBuildError` listing the defects of an executed notebook's outputs."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems = output_problems(nb, path.name)
    if problems:
        shown = problems[:10]
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ReportBuildError(
            f"notebook {path.name} shows the reader things that are not the report{more}: "
            + "; ".join(shown)
        )
