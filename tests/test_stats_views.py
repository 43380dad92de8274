"""Reader views and the protection of tables that leave the package."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _prepared_factory import make_prepared

from analysis import stats
from analysis.notebook import save_table


def test_protect_table_blanks_every_hidden_figure(tmp_path) -> None:
    df = make_prepared(2022, 60, seed=3)
    table = stats.frequencies(df, "q2_relevance", by="service", lang="en")
    hidden = table["suppressed"].astype(str).str.len() > 0
    assert hidden.any(), "the fixture must have hidden cells for this test to mean anything"
    protected = stats.protect_table(table)
    assert protected.loc[hidden, ["n", "count", "pct", "ci_low", "ci_high"]].isna().all().all()
    shown = ~hidden & ~table["pct_hidden"].astype(bool)
    np.testing.assert_array_equal(protected.loc[shown, "n"], table.loc[shown, "n"])
    withheld = ~table["base_shown"].astype(bool)
    assert protected.loc[withheld, "base_n"].isna().all()
    # save_table protects by default: the exact count of a hidden cell is not in the CSV
    path = save_table(table, "q2", tmp_path)
    written = pd.read_csv(path)
    assert written.loc[hidden.to_numpy(), "n"].isna().all()
    raw = save_table(table, "q2_internal", tmp_path, protect=False)
    assert pd.read_csv(raw)["n"].notna().all()


def test_scale_summary_dk_follows_its_display() -> None:
    df = make_prepared(2022, 60, seed=3)
    summary = stats.scale_summary(df, "q2_relevance", by="service")
    protected = stats.protect_table(summary)
    exact = summary["dk_display"].astype(str).str.fullmatch(r"\d+")
    assert protected.loc[~exact, "dk_n"].isna().all()
    assert (protected.loc[exact, "dk_n"] == summary.loc[exact, "dk_n"]).all()


def test_reader_view_hides_intervals_of_hidden_cells() -> None:
    t = pd.DataFrame({"label": ["Yes", "No"], "n_display": ["12", "<5"], "pct_display": ["80%", ""],
                      "ci_low": [55.0, 2.0], "ci_high": [93.0, 45.0],
                      "suppressed": ["", "primary"], "pct_hidden": [False, True]})
    view = stats.reader_view(t, lang="it")
    assert list(view.columns) == ["Risposta", "n", "%", "IC 95%"]
    assert view["IC 95%"].tolist() == ["55–93%", ""]
