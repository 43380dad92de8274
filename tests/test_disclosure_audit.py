"""The report-wide auditor recovers hidden cells from hand-made leaking bundles and passes protected ones.

Every bundle is a folder of CSVs with sidecars written here by hand (the schema of
analysis.disclosure.schema), so that each test states exactly what is published.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure.auditor import DisclosureAuditError, audit
from analysis.disclosure.schema import SchemaError, cells, ref, write_sidecar
from analysis.errors import SurveyError

Y = 2020


def one_way(folder: Path, name: str, var: str, shown: dict[str, str], *, year: int = Y,
            base: int | None = None, extra: list[dict] | None = None,
            cats: list[str] | None = None) -> None:
    """A one-way table: one row per category, ``n`` (blank when hidden), ``n_display``, base."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = list(shown)
    frame = pd.DataFrame({
        "year": year,
        "code": keys,
        "n": [v if v.isdigit() else "" for v in shown.values()],
        "n_display": list(shown.values()),
        "base_n": base if base is not None else "",
    })
    frame.to_csv(folder / f"{name}.csv", index=False)
    facts = [{"kind": "count", "cells": cells(year, **{var: k}), "ref": ref(i, "n"),
              "display": ref(i, "n_display")} for i, k in enumerate(keys)]
    if base is not None:
        facts.append({"kind": "count", "cells": cells(year, **{var: keys}), "ref": ref(0, "base_n")})
    write_sidecar(folder / f"{name}.csv", {"min_cell": 5, "variables": {var: (cats or keys) + ["na"]},
                                           "facts": facts + (extra or [])})


def two_way(folder: Path, name: str, rv: str, cv: str, table: list[list[str]], rcats: list[str],
            ccats: list[str], *, row_totals: bool = True, col_totals: bool = True,
            extra_cols: dict[str, float] | None = None, extra_facts: list[dict] | None = None) -> None:
    """A cross-tab in long form with optional published row / column totals."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, facts = [], []
    for i, a in enumerate(rcats):
        for j, b in enumerate(ccats):
            v = table[i][j]
            rows.append({"row": a, "col": b, "n": v if v.isdigit() else "", "n_display": v})
    frame = pd.DataFrame(rows)
    k = 0
    for a in rcats:
        for b in ccats:
            facts.append({"kind": "count", "cells": cells(Y, **{rv: a, cv: b}), "ref": ref(k, "n"),
                          "display": ref(k, "n_display")})
            k += 1
    totals = []
    if row_totals:
        for a in rcats:
            totals.append(({rv: a, cv: ccats}, None))
    if col_totals:
        for b in ccats:
            totals.append(({rv: rcats, cv: b}, None))
    for j, (where, _) in enumerate(totals):
        frame.loc[j, "total_where"] = json.dumps(where)
    frame["total"] = ""
    # totals computed from the true table are passed in extra_cols by the caller
    for j, (where, _) in enumerate(totals):
        frame.loc[j, "total"] = str(int(extra_cols[json.dumps(where)]))
        facts.append({"kind": "count", "cells": cells(Y, **where), "ref": ref(j, "total")})
    frame.to_csv(folder / f"{name}.csv", index=False)
    write_sidecar(folder / f"{name}.csv", {"min_cell": 5,
                                           "variables": {rv: rcats + ["na"], cv: ccats + ["na"]},
                                           "facts": facts + (extra_facts or [])})


def totals_of(true: np.ndarray, rv: str, cv: str, rcats: list[str], ccats: list[str]) -> dict:
    out = {}
    for i, a in enumerate(rcats):
        out[json.dumps({rv: a, cv: ccats})] = true[i].sum()
    for j, b in enumerate(ccats):
        out[json.dumps({rv: rcats, cv: b})] = true[:, j].sum()
    return out


def cell_row(res, label: str) -> pd.Series:
    hit = res.cells[res.cells["cell"] == label]
    assert len(hit) == 1, res.cells
    return hit.iloc[0]


# -- a base printed elsewhere ------------------------------------------------------------------
def test_base_printed_elsewhere_pins_the_hidden_cells(tmp_path):
    one_way(tmp_path, "q", "q", {"a": "<5", "b": "x", "c": "x", "d": "80"}, base=102)
    res = audit(tmp_path, raise_on_failure=False)
    assert res.ok, res.message()
    # another table prints b's count as its base ("row_base_n")
    one_way(tmp_path, "q_by_x", "q", {"b": "9"})
    with pytest.raises(DisclosureAuditError) as err:
        audit(tmp_path)
    res = err.value.result
    b = cell_row(res, "2020 [q=b]")
    assert (b.lower, b.upper) == (9, 9) and "q_by_x.csv row 1, n = 9" in b.pinned_by
    c = cell_row(res, "2020 [q=c]")  # a + c = 13 with a in 1..4
    assert (c.lower, c.upper) == (9, 12) and not c.ok
    assert "2020 [q=b]" in str(err.value) and "pinned to 9" in str(err.value)
    assert isinstance(err.value, SurveyError)


# -- a mean pins a cell ----------------------------------------------------------------------
def _with_mean(folder: Path, counts: list[int], hidden: dict[int, str], publish_mean: bool) -> None:
    codes = ["1", "2", "3", "4", "5"]
    shown = {c: hidden.get(k, str(counts[k])) for k, c in enumerate(codes)}
    n = sum(counts)
    mean = sum((k + 1) * v for k, v in enumerate(counts)) / n
    sd = float(np.sqrt(sum(v * ((k + 1) - mean) ** 2 for k, v in enumerate(counts)) / (n - 1)))
    extra = []
    folder.mkdir(parents=True, exist_ok=True)
    if publish_mean:
        pd.DataFrame({"n": [n], "mean": [f"{mean:.6g}"], "sd": [f"{sd:.6g}"]}).to_csv(
            folder / "summary.csv", index=False)
        base = cells(Y, q=codes)
        scores = {c: float(c) for c in codes}
        write_sidecar(folder / "summary.csv", {"min_cell": 5, "variables": {"q": codes + ["na"]}, "facts": [
            {"kind": "count", "cells": base, "ref": ref(0, "n")},
            {"kind": "mean", "cells": base, "variable": "q", "scores": scores, "ref": ref(0, "mean")},
            {"kind": "sd", "cells": base, "variable": "q", "scores": scores, "ref": ref(0, "sd"),
             "mean_ref": ref(0, "mean")},
        ]})
    one_way(folder, "q", "q", shown, base=n, extra=extra)


def test_a_mean_pins_the_hidden_cells(tmp_path):
    _with_mean(tmp_path / "safe", [3, 9, 20, 40, 30], {0: "<5", 1: "x"}, publish_mean=False)
    res = audit(tmp_path / "safe", threshold=1, raise_on_failure=False)
    assert res.ok  # a in 1..4, b = 12 - a
    _with_mean(tmp_path / "leak", [3, 9, 20, 40, 30], {0: "<5", 1: "x"}, publish_mean=True)
    res = audit(tmp_path / "leak", threshold=1, raise_on_failure=False)
    assert not res.ok
    a = cell_row(res, "2020 [q=1]")
    assert (a.lower, a.upper) == (3, 3) and "summary.csv row 1, mean" in a.pinned_by


def test_mean_and_sd_together_pin_three_hidden_cells(tmp_path):
    # a + b + c = 17 and sum of codes known: two unknowns left; the SD fixes the last one
    counts = [3, 9, 5, 40, 30]
    _with_mean(tmp_path, counts, {0: "<5", 1: "x", 2: "x"}, publish_mean=True)
    res = audit(tmp_path, threshold=1, raise_on_failure=False)
    got = {r.cell: (r.lower, r.upper) for r in res.cells.itertuples()}
    assert got == {"2020 [q=1]": (3, 3), "2020 [q=2]": (9, 9), "2020 [q=3]": (5, 5)}


# -- an X2 pins a table ----------------------------------------------------------------------
def _chi2_bundle(folder: Path, publish: bool) -> None:
    true = np.array([[3, 9, 20], [12, 2, 30]])
    shown = [["<5", "x", "20"], ["x", "<5", "30"]]
    rc, cc = ["r1", "r2"], ["c1", "c2", "c3"]
    extra = []
    two_way(folder, "ct", "r", "s", shown, rc, cc, extra_cols=totals_of(true, "r", "s", rc, cc))
    if publish:
        exp = np.outer(true.sum(1), true.sum(0)) / true.sum()
        x2 = float(((true - exp) ** 2 / exp).sum())
        pd.DataFrame({"row": ["r"], "col": ["s"], "statistic": [f"{x2:.6g}"]}).to_csv(
            folder / "tests.csv", index=False)
        write_sidecar(folder / "tests.csv", {"min_cell": 5, "variables": {"r": rc + ["na"], "s": cc + ["na"]},
                                             "facts": [{"kind": "chi2", "year": Y, "where": {}, "rows": "r",
                                                        "cols": "s", "row_cats": rc, "col_cats": cc,
                                                        "ref": ref(0, "statistic")}] + extra})


def test_a_published_chi2_pins_the_whole_table(tmp_path):
    _chi2_bundle(tmp_path / "safe", publish=False)
    res = audit(tmp_path / "safe", threshold=1, raise_on_failure=False)
    assert res.ok and set(res.cells["lower"]) | set(res.cells["upper"]) > {3}
    _chi2_bundle(tmp_path / "leak", publish=True)
    res = audit(tmp_path / "leak", threshold=1, raise_on_failure=False)
    got = {r.cell: (r.lower, r.upper) for r in res.cells.itertuples()}
    assert got == {"2020 [r=r1, s=c1]": (3, 3), "2020 [r=r1, s=c2]": (9, 9),
                   "2020 [r=r2, s=c1]": (12, 12), "2020 [r=r2, s=c2]": (2, 2)}
    assert "by enumeration" in res.failures.iloc[0]["pinned_by"]


def test_a_p_value_band_does_not_pin_the_table(tmp_path):
    _chi2_bundle(tmp_path, publish=False)
    pd.DataFrame({"row": ["r"], "p": ["< 0.05"]}).to_csv(tmp_path / "tests.csv", index=False)
    write_sidecar(tmp_path / "tests.csv", {"min_cell": 5, "variables": {}, "facts": [
        {"kind": "chi2_band", "year": Y, "where": {}, "rows": "r", "cols": "s", "row_cats": ["r1", "r2"],
         "col_cats": ["c1", "c2", "c3"], "lower": 5.991, "upper": None or 1e9, "text": "p < 0.05"}]})
    res = audit(tmp_path, threshold=1, raise_on_failure=False)
    assert res.ok, res.message()


# -- a McNemar pair --------------------------------------------------------------------------
def test_mcnemar_b_gives_the_co_selection_count_away(tmp_path):
    # option counts 40 and 30; both ticked by 3 (hidden in the co-occurrence table)
    tmp_path.mkdir(exist_ok=True)
    variables = {"q1__a": ["1", "0", "na"], "q1__b": ["1", "0", "na"]}
    pd.DataFrame({"option": ["a", "b"], "n": [40, 30], "base": [100, 100]}).to_csv(
        tmp_path / "q1.csv", index=False)
    write_sidecar(tmp_path / "q1.csv", {"min_cell": 5, "variables": variables, "facts": [
        {"kind": "count", "cells": cells(Y, **{"q1__a": "1"}), "ref": ref(0, "n")},
        {"kind": "count", "cells": cells(Y, **{"q1__b": "1"}), "ref": ref(1, "n")},
        {"kind": "count", "cells": cells(Y, **{"q1__a": ["0", "1"]}), "ref": ref(0, "base")},
    ]})
    pd.DataFrame({"a": ["a"], "b": ["b"], "n": [""], "n_display": ["<5"]}).to_csv(
        tmp_path / "cooc.csv", index=False)
    write_sidecar(tmp_path / "cooc.csv", {"min_cell": 5, "variables": variables, "facts": [
        {"kind": "count", "cells": cells(Y, **{"q1__a": "1", "q1__b": "1"}), "ref": ref(0, "n"),
         "display": ref(0, "n_display")}]})
    res = audit(tmp_path, raise_on_failure=False)
    assert res.ok
    pd.DataFrame({"option_a": ["a"], "option_b": ["b"], "b": [37], "c": [27]}).to_csv(
        tmp_path / "pairwise.csv", index=False)
    write_sidecar(tmp_path / "pairwise.csv", {"min_cell": 5, "variables": variables, "facts": [
        {"kind": "count", "cells": cells(Y, **{"q1__a": "1", "q1__b": "0"}), "ref": ref(0, "b")},
        {"kind": "count", "cells": cells(Y, **{"q1__a": "0", "q1__b": "1"}), "ref": ref(0, "c")},
        # a respondent skips the whole question or none of it (known to anyone)
        {"kind": "zero", "cells": cells(Y, **{"q1__a": "na", "q1__b": ["0", "1"]})},
        {"kind": "zero", "cells": cells(Y, **{"q1__a": ["0", "1"], "q1__b": "na"})},
    ]})
    res = audit(tmp_path, raise_on_failure=False)
    row = cell_row(res, "2020 [q1__a=1, q1__b=1]")
    assert (row.lower, row.upper) == (3, 3)
    assert "pairwise.csv row 1, b = 37" in row.pinned_by


# -- two linked tables -----------------------------------------------------------------------
def test_two_tables_each_safe_alone_leak_together(tmp_path):
    # q = a (3), b (10), c (50); by service: a = (3, 0), b = (6, 4), c = (20, 30)
    one_way(tmp_path / "t1", "q", "q", {"a": "<5", "b": "x", "c": "50"}, base=63)
    true = np.array([[3, 0], [6, 4], [20, 30]])
    two_way(tmp_path / "t2", "q_service", "q", "s", [["<5", "0"], ["6", "<5"], ["x", "x"]],
            ["a", "b", "c"], ["A", "B"], row_totals=False,
            extra_cols=totals_of(true, "q", "s", ["a", "b", "c"], ["A", "B"]))
    assert audit(tmp_path / "t1", threshold=3, raise_on_failure=False).ok
    assert audit(tmp_path / "t2", threshold=3, raise_on_failure=False).ok
    res = audit(tmp_path / "t1", tmp_path / "t2", threshold=3, raise_on_failure=False)
    row = cell_row(res, "2020 [q=a, s=A]")
    assert (row.lower, row.upper) == (3, 4) and not row.ok
    assert "q.csv" in row.pinned_by and "q_service.csv" in row.pinned_by


# -- a cell hidden in one year's report and shown in another ----------------------------------
def test_a_cell_shown_in_another_years_report(tmp_path):
    one_way(tmp_path / "r2020", "q", "q", {"a": "<5", "b": "x", "c": "50"}, base=62)
    assert audit(tmp_path / "r2020", threshold=3, raise_on_failure=False).ok
    # the 2023 report's trend table shows the 2020 answers with another pattern
    one_way(tmp_path / "r2023", "trend_q", "q", {"a": "<5", "b": "9", "c": "50"}, year=2020)
    res = audit(tmp_path / "r2020", tmp_path / "r2023", threshold=3, raise_on_failure=False)
    assert not res.ok
    a = cell_row(res, "2020 [q=a]")
    assert (a.lower, a.upper) == (3, 3)
    assert "trend_q.csv row 2, n = 9" in a.pinned_by


# -- schema errors --------------------------------------------------------------------------
def test_a_broken_sidecar_names_file_and_field(tmp_path):
    one_way(tmp_path, "q", "q", {"a": "<5", "b": "40"}, base=43)
    side = tmp_path / "q.cells.json"
    meta = json.loads(side.read_text())
    meta["facts"][0]["ref"]["column"] = "nope"
    side.write_text(json.dumps(meta))
    with pytest.raises(SchemaError, match=r"q.cells.json, fact 0 \(count\): column 'nope'"):
        audit(tmp_path)


def test_an_unknown_category_is_named(tmp_path):
    one_way(tmp_path, "q", "q", {"a": "<5", "b": "40"}, base=43, cats=["a"])
    with pytest.raises(SchemaError, match=r"q has no category \['b'\]"):
        audit(tmp_path)


def test_csv_without_sidecar_is_listed_as_unmapped(tmp_path):
    one_way(tmp_path, "q", "q", {"a": "<5", "b": "x", "c": "x", "d": "80"}, base=102)
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "model.csv", index=False)
    res = audit(tmp_path)
    assert res.unmapped == [str(tmp_path / "model.csv")]


# -- the command line ------------------------------------------------------------------------
def test_softskills_audit_command(tmp_path, capsys):
    from analysis.cli import main

    one_way(tmp_path / "safe", "q", "q", {"a": "<5", "b": "x", "c": "x", "d": "80"}, base=102)
    assert main(["audit", str(tmp_path / "safe")]) == 0
    assert "audit passed" in capsys.readouterr().out
    one_way(tmp_path / "leak", "q", "q", {"a": "<5", "b": "x", "c": "x", "d": "80"}, base=102)
    one_way(tmp_path / "leak", "q_by_x", "q", {"b": "9"})
    assert main(["audit", str(tmp_path / "leak")]) == 1
    err = capsys.readouterr().err
    assert "2020 [q=b]" in err and "pinned to 9" in err
    assert main(["audit", str(tmp_path / "nowhere")]) != 0


# -- the build gate --------------------------------------------------------------------------
def test_the_build_refuses_a_bundle_that_pins_a_hidden_cell(tmp_path):
    from analysis.parameters import ReportParameters
    from analysis.reporting.errors import ReportBuildError
    from analysis.reporting.tasks import ReportSpec, audit_bundle

    spec = ReportSpec(ReportParameters.validate(year=2020, lang="en"), (), tmp_path / "reports")
    stage = tmp_path / "stage"
    one_way(stage / "tables", "q", "q", {"a": "<5", "b": "x", "c": "x", "d": "80"}, base=102)
    audit_bundle(spec, stage)  # protected: passes
    one_way(stage / "tables", "q_by_x", "q", {"b": "9"})
    with pytest.raises(ReportBuildError, match=r"(?s)2020 en: .*2020 \[q=b\].*pinned to 9"):
        audit_bundle(spec, stage)
    # researcher builds without disclosure control are not audited (their report says so)
    off = ReportSpec(ReportParameters.validate(year=2020, lang="en", min_cell=0), (), tmp_path)
    audit_bundle(off, stage)


def test_an_x_cell_pinned_to_zero_discloses_nobody(tmp_path):
    # 40 respondents of a group, all of them answered: its hidden don't-know cell must be 0
    one_way(tmp_path, "q", "q", {"a": "20", "b": "20", "dk": "x"}, base=None, cats=["a", "b", "dk"])
    pd.DataFrame({"n": [40], "m": [40]}).to_csv(tmp_path / "t.csv", index=False)
    write_sidecar(tmp_path / "t.csv", {"min_cell": 5, "variables": {"q": ["a", "b", "dk", "na"]}, "facts": [
        {"kind": "count", "cells": cells(Y), "ref": ref(0, "n")},
        {"kind": "count", "cells": cells(Y, q=["a", "b"]), "ref": ref(0, "m")}]})
    res = audit(tmp_path, raise_on_failure=False)
    row = cell_row(res, "2020 [q=dk]")
    assert (row.lower, row.upper) == (0, 0) and row.ok
