"""Benchmark: analysis.ordinal.fit_ordinal vs statsmodels OrderedModel(...).fit(method="newton").

Simulated data with 5 outcome levels and 6 predictor columns (a 3-level factor -> 2 dummies,
a binary factor -> 1 dummy, 3 continuous), logit link, n = 1e3, 1e4, 1e5, 1e6.

Each (engine, n) runs in a fresh child process forked from this script, so that the peak
resident memory (ru_maxrss of the child: interpreter + libraries + data + fit) belongs to one
fit only; the time is the wall-clock time of the fit call alone (formula -> results), measured
inside the child (best of 3 for n <= 1e4).  statsmodels is skipped at a size where its time,
extrapolated linearly from the previous size, would exceed ``--sm-cap`` seconds (default 300).

Writes benchmarks/results/ordinal_fit.csv and .md.

Usage: python benchmarks/ordinal_fit.py [--sizes 1000 10000 100000 1000000] [--sm-cap 300]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "results"
FORMULA = "y ~ g + b + x1 + x2 + x3"
BETA = {"g[T.g2]": 0.4, "g[T.g3]": -0.3, "b[T.yes]": 0.6, "x1": 0.8, "x2": -0.5, "x3": 0.2}
THETA = np.array([-2.0, -0.7, 0.5, 1.8])


def simulate(n: int, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array(["g1", "g2", "g3"]), n, p=[0.5, 0.3, 0.2])
    b = rng.choice(np.array(["no", "yes"]), n)
    x1, x2 = rng.normal(size=(2, n))
    x3 = rng.gamma(2.0, 1.0, size=n)
    eta = (
        BETA["g[T.g2]"] * (g == "g2")
        + BETA["g[T.g3]"] * (g == "g3")
        + BETA["b[T.yes]"] * (b == "yes")
        + BETA["x1"] * x1
        + BETA["x2"] * x2
        + BETA["x3"] * x3
    )
    y = np.searchsorted(THETA, eta + rng.logistic(size=n)) + 1
    return pd.DataFrame(
        {
            "y": pd.Categorical(y, categories=[1, 2, 3, 4, 5], ordered=True),
            "g": pd.Categorical(g, categories=["g1", "g2", "g3"]),
            "b": pd.Categorical(b, categories=["no", "yes"]),
            "x1": x1,
            "x2": x2,
            "x3": x3,
        }
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(engine: str, n: int, repeats: int, conn) -> None:
    try:
        if engine == "fit_ordinal":
            import analysis.ordinal  # noqa: F401  (imports are not part of the timed fit)
        else:
            import statsmodels.miscmodels.ordinal_model  # noqa: F401
        df = simulate(n)
        rss_before = _rss_mb()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            if engine == "fit_ordinal":
                from analysis.ordinal import fit_ordinal

                res = fit_ordinal(FORMULA, data=df, link="logit")
                est = np.concatenate([res.coef["estimate"], res.thresholds["estimate"]])
                extra = {
                    "converged": bool(res.converged),
                    "max_grad": res.max_grad,
                    "iterations": res.n_iter,
                }
            else:
                from statsmodels.miscmodels.ordinal_model import OrderedModel

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mod = OrderedModel.from_formula(FORMULA, df, distr="logit")
                    res = mod.fit(method="newton", disp=False)
                p = np.asarray(res.params)
                cut = mod.transform_threshold_params(p)[1:-1]
                est = np.concatenate([p[: mod.k_vars], cut])
                extra = {
                    "converged": bool(res.mle_retvals.get("converged", False)),
                    "max_grad": float(np.max(np.abs(mod.score(p)))),
                    "iterations": res.mle_retvals.get("iterations"),
                }
            times.append(time.perf_counter() - t0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send(
            {
                "time_s": min(times),
                "peak_rss_mb": peak,
                "rss_before_fit_mb": rss_before,
                "est": est,
                **extra,
            }
        )
    except Exception as exc:  # report, do not hang the parent
        conn.send({"error": repr(exc)})
    finally:
        conn.close()


def run_one(engine: str, n: int) -> dict:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    repeats = 3 if n <= 10_000 else 1
    proc = ctx.Process(target=_child, args=(engine, n, repeats, child))
    proc.start()
    out = parent.recv()
    proc.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--sm-cap", type=float, default=300.0)
    args = ap.parse_args()
    rows = []
    last_sm: tuple[int, float] | None = None
    truth = np.concatenate([list(BETA.values()), THETA])
    for n in args.sizes:
        ours = run_one("fit_ordinal", n)
        print(
            f"n={n:>8}: fit_ordinal {ours.get('time_s', float('nan')):8.3f} s, "
            f"peak {ours.get('peak_rss_mb', float('nan')):7.1f} MB",
            flush=True,
        )
        sm: dict = {}
        if last_sm is not None and last_sm[1] * n / last_sm[0] > args.sm_cap:
            est_time = last_sm[1] * n / last_sm[0]
            sm = {"skipped": f"skipped: extrapolated {est_time:.0f} s > cap {args.sm_cap:.0f} s"}
        else:
            sm = run_one("statsmodels_newton", n)
            if "time_s" in sm:
                last_sm = (n, sm["time_s"])
        print(
            f"            statsmodels {sm.get('time_s', float('nan')):8.3f} s "
            f"{sm.get('skipped', '')}{sm.get('error', '')}",
            flush=True,
        )
        row = {
            "n": n,
            "fit_ordinal_s": ours.get("time_s"),
            "fit_ordinal_peak_rss_mb": ours.get("peak_rss_mb"),
            "fit_ordinal_rss_before_fit_mb": ours.get("rss_before_fit_mb"),
            "fit_ordinal_converged": ours.get("converged"),
            "fit_ordinal_max_grad": ours.get("max_grad"),
            "fit_ordinal_iterations": ours.get("iterations"),
            "fit_ordinal_max_abs_err_vs_truth": float(np.max(np.abs(ours["est"] - truth)))
            if "est" in ours
            else None,
            "statsmodels_newton_s": sm.get("time_s"),
            "statsmodels_peak_rss_mb": sm.get("peak_rss_mb"),
            "statsmodels_converged": sm.get("converged"),
            "statsmodels_max_grad": sm.get("max_grad"),
            "speedup": (sm["time_s"] / ours["time_s"])
            if "time_s" in sm and "time_s" in ours
            else None,
            "max_abs_diff_estimates": float(np.max(np.abs(ours["est"] - sm["est"])))
            if "est" in sm and "est" in ours
            else None,
            "note": sm.get("skipped", "") + sm.get("error", "") + ours.get("error", ""),
        }
        rows.append(row)
    table = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / "ordinal_fit.csv", index=False)
    md = [
        "# Ordinal fit benchmark",
        "",
        f"`python benchmarks/ordinal_fit.py` on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}), "
        f"{time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "Model: `y ~ g + b + x1 + x2 + x3` (5 levels, 6 columns: 3 dummies, 3 continuous), logit.",
        "Time = wall clock of one fit call (formula to results; best of 3 for n <= 1e4); each run in",
        "a fresh forked process; peak RSS = the child's maximum resident set (interpreter, libraries,",
        "data and fit). Speed-up = statsmodels time / fit_ordinal time. Max |diff| = largest absolute",
        "difference between the two engines' estimates (slopes and cut-points).",
        "",
        "| n | fit_ordinal (s) | peak RSS (MB) | statsmodels newton (s) | statsmodels peak RSS (MB) | speed-up | max abs diff | note |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]

    def f(x, fmt):
        return "" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, fmt)

    for r in rows:
        md.append(
            f"| {r['n']:,} | {f(r['fit_ordinal_s'], '.3f')} | {f(r['fit_ordinal_peak_rss_mb'], '.0f')} | "
            f"{f(r['statsmodels_newton_s'], '.2f')} | {f(r['statsmodels_peak_rss_mb'], '.0f')} | "
            f"{f(r['speedup'], '.1f')} | {f(r['max_abs_diff_estimates'], '.2e')} | {r['note']} |"
        )
    md.append("")
    md.append("fit_ordinal: converged / max|grad| / Newton iterations / max |estimate - truth|:")
    md.append("")
    for r in rows:
        md.append(
            f"- n = {r['n']:,}: {r['fit_ordinal_converged']} / {f(r['fit_ordinal_max_grad'], '.1e')} / "
            f"{r['fit_ordinal_iterations']} / {f(r['fit_ordinal_max_abs_err_vs_truth'], '.3f')}"
        )
    (OUT / "ordinal_fit.md").write_text("\n".join(md) + "\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
