"""Step *duplicates*: the one place where duplicate submissions are found (prepare drops them).

A duplicate submission is the same coded answers sent again within ``minutes`` by the same
person (or when the e-mail is unknown): the later one is marked with the row of the earlier
(:attr:`analysis.ingest.Checked.duplicate_of`) and :attr:`~analysis.ingest.Checked.keep` leaves
it out. The same e-mail address with different answers is reported and both rows are kept; an
anonymous form has no e-mail, so that check does not run. Vectorised: one hash per row, a sort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import Problem

__all__ = ["find_duplicates"]


def find_duplicates(raw, coded, submitted_at: pd.Series, minutes: float, problems: list[Problem]) -> pd.Series:
    """Row of the earlier identical submission for each duplicate (missing elsewhere)."""
    idx = raw.table.index
    duplicate_of = pd.Series(pd.array([pd.NA] * len(idx), dtype="Int64"), index=idx)
    answers = coded.data
    if answers.shape[1] == 0 or len(idx) < 2:
        return duplicate_of
    key = pd.util.hash_pandas_object(answers, index=False).to_numpy()
    order = pd.DataFrame({"key": key, "ts": submitted_at.to_numpy(), "row": idx.to_numpy()})
    order["person"] = raw.person.to_numpy()
    order = order.sort_values(["key", "ts", "row"], kind="mergesort").reset_index(drop=True)
    same_key = order["key"].eq(order["key"].shift())
    gap = order["ts"] - order["ts"].shift()
    close = gap.notna() & (gap <= pd.Timedelta(minutes=minutes))
    prev_person = order["person"].shift()
    compatible = order["person"].isna() | prev_person.isna() | order["person"].eq(prev_person).fillna(False)
    is_dup = (same_key & close & compatible.astype(bool)).to_numpy()
    prev_row = order["row"].shift().to_numpy()
    header = raw.headers.get("timestamp")
    for i in np.flatnonzero(is_dup):
        row = int(order.at[i, "row"])
        earlier = int(prev_row[i])
        duplicate_of[row] = earlier
        mins = gap.iat[i].total_seconds() / 60
        problems.append(
            Problem(
                "warning", raw.file, row, header, None, None,
                f"duplicate submission: the same answers as row {earlier} sent {mins:.0f} minute(s) later "
                "(prepare removes it)",
            )
        )
    # the same email address with different answers: reported, both kept
    person = raw.person
    if person.notna().sum() > 1:
        seen = person.notna() & person.duplicated(keep="first") & duplicate_of.isna()
        if seen.any():
            first_row = person[person.notna()].groupby(person[person.notna()]).transform(lambda s: s.index.min())
            for row in person.index[seen]:
                problems.append(
                    Problem(
                        "warning", raw.file, int(row), None, None, None,
                        f"the same email address as row {int(first_row[row])} with different answers or "
                        "sent later: a second submission by the same person (both kept)",
                    )
                )
    return duplicate_of
