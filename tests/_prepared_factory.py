"""A random prepared-style survey frame built from the codebook (tests only).

It follows the conventions of :mod:`analysis.codebook` without importing the data layer:
ordered / unordered Categoricals of option codes, ``<name>_dk`` flags, ``<name>__<code>``
nullable booleans for multiple choice, ``<name>__<item>`` for battery items, plus
``respondent_id``, ``year`` and ``submitted_at``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.codebook import load_codebook

__all__ = ["make_prepared"]


def make_prepared(
    year: int = 2022, n: int = 200, seed: int = 0, dk_rate: float = 0.05
) -> pd.DataFrame:
    """Random prepared frame of ``n`` respondents for ``year``."""
    cb = load_codebook()
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(f"{year}-03-01 09:00")
    secs = np.sort(rng.integers(0, 30 * 24 * 3600, size=n))
    cols: dict[str, object] = {
        "respondent_id": [f"{year}-{i:04d}" for i in range(n)],
        "year": np.full(n, year, dtype="int64"),
        "submitted_at": start + pd.to_timedelta(secs, unit="s"),
    }
    for var in cb.variables_for(year):
        if var.type == "multiple_choice":
            picks = rng.random((n, len(var.options))) < np.linspace(0.7, 0.1, len(var.options))
            skipped = rng.random(n) < 0.03
            for j, col in enumerate(var.columns):
                s = pd.array(picks[:, j], dtype="boolean")
                s[skipped] = pd.NA
                cols[col] = s
        elif var.type == "battery":
            for col in var.columns:
                probs = np.array([0.05, 0.1, 0.25, 0.35, 0.25])
                vals = rng.choice(var.codes, size=n, p=probs)
                cols[col] = pd.Categorical(vals, categories=var.codes, ordered=True)
        elif var.type == "free_text":
            continue
        else:
            codes = var.codes
            k = len(codes)
            probs = rng.dirichlet(np.full(k, 2.0))
            vals = pd.Series(
                rng.choice(np.array(codes, dtype=object), size=n, p=probs), dtype=object
            )
            missing = rng.random(n) < 0.02
            dk = np.zeros(n, dtype=bool)
            if var.dont_know:
                dk = (rng.random(n) < dk_rate) & ~missing
            vals[missing | dk] = None
            cols[var.name] = pd.Categorical(vals, categories=codes, ordered=var.is_scale)
            if var.dont_know:
                cols[f"{var.name}_dk"] = dk
    return pd.DataFrame(cols)
