"""The scan of executed notebooks' outputs: reprs, warnings, paths, NaN, dumps, images without alt."""

from __future__ import annotations

import nbformat
import pytest

from analysis.reporting.errors import ReportBuildError
from analysis.reporting.scan import check_outputs, output_problems


def _nb(*outputs, tags=()):
    cell = nbformat.v4.new_code_cell("display(x)")
    cell.metadata["tags"] = list(tags)
    cell.outputs = list(outputs)
    return nbformat.v4.new_notebook(cells=[cell])


def _display(mime: str, text: str):
    return nbformat.v4.new_output("display_data", {mime: text})


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (nbformat.v4.new_output("execute_result", {"text/plain": "[PosixPath('/x/a.png')]"}),
         "a value printed as Python shows it"),
        (nbformat.v4.new_output("stream", name="stderr", text="models.py:1: OrdinalWarning: x"),
         "text printed to stderr"),
        (_display("text/markdown", "The top skill is **nan** (True)."), "a missing value shown as NaN"),
        (_display("text/markdown", "All models converged: **True**."), "True/False instead of words"),
        (_display("text/markdown", "saved in reports/.2020.tmp-ab12/figures"), "a temporary path"),
        (_display("text/html", '<table border="1" class="dataframe"><tr><td>1</td></tr></table>'),
         "a pandas table dump"),
        (_display("text/html", '<figure><img src="data:image/png;base64,AA"></figure>'),
         "an image without alt text"),
        (nbformat.v4.new_output("display_data", {"image/png": "AA", "text/plain": "<Figure size 640x480>"}),
         "a figure shown without caption or alt text"),
        (_display("text/markdown", "UserWarning: something"), "a warning or error message"),
    ],
)
def test_defects_are_found(output, expected) -> None:
    found = output_problems(_nb(output), "n.ipynb")
    assert found and expected in found[0] and found[0].startswith("n.ipynb, cell 0 (`display(x)`)")


def test_clean_outputs_and_hidden_cells_pass(tmp_path) -> None:
    ok = [
        _display("text/markdown", "Il 51% dei rispondenti (IC 95%: 43–59%); p < 0,001; Nessuna differenza."),
        _display("text/html", '<figure><img src="data:image/png;base64,AA" alt="Barre: A 51%."></figure>'),
    ]
    assert output_problems(_nb(*ok)) == []
    hidden = nbformat.v4.new_output("execute_result", {"text/plain": "True"})
    assert output_problems(_nb(hidden, tags=["remove_cell"])) == []
    path = tmp_path / "bad.ipynb"
    nbformat.write(_nb(hidden), path)
    with pytest.raises(ReportBuildError, match="bad.ipynb shows the reader things that are not the report"):
        check_outputs(path)
