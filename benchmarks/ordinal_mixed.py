"""Benchmark: analysis.ordinal.fit_ordinal_mixed vs R's ordinal::clmm (Laplace, logit).

Simulated batteries like tests/data/clmm (12 items, service, role; respondent random intercept
with SD 1; cut-points -2.6, -1.2, 0.4, 2.0): ``rating ~ item + service + role +
(1 | respondent_id)``.  R's clmm is timed at 250 and 1,000 respondents (when ``Rscript`` and
the ``ordinal`` package are installed; otherwise skipped with a message), ours at 250, 1,000,
5,000 and 20,000.

Each fit of ours runs in a fresh child process forked from this script, so the peak resident
memory (ru_maxrss of the child: interpreter + libraries + data + fit) belongs to one fit; the
time is the wall-clock time of the fit call (formula -> results), best of ``--reps``.  R's time
is the median elapsed ``system.time()`` of ``--r-reps`` fits inside one R process (data
reading excluded); its peak memory is the R process's maximum resident size.  The largest
absolute differences of the fixed estimates, their SEs and the respondent SD against clmm are
reported (clmm stops at |gradient| < 1e-4, so about 1e-4 is the expected agreement).

Writes benchmarks/results/ordinal_mixed.csv and .md.

BLAS runs single-threaded (``OPENBLAS_NUM_THREADS=1`` unless set), as R's reference BLAS.
``--reuse-r`` keeps R's columns of a previous results file for the sizes not re-timed
(clmm at 1,000 respondents takes minutes).

Usage: python benchmarks/ordinal_mixed.py [--sizes 250 1000 5000 20000] [--r-sizes 250 1000]
                                          [--reps 3] [--r-reps 1] [--reuse-r]
"""

from __future__ import annotations

import os

# One BLAS thread (as R's reference BLAS): on a shared 2-core machine OpenBLAS's threads
# oversubscribe the cores and slow the small matrix products of the fit several times over.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import multiprocessing as mp
import platform
import resource
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "results"
FORMULA = "rating ~ item + service + role + (1 | respondent_id)"
ITEMS = [
    "empathy", "active_listening", "communication", "problem_solving", "patience",
    "stress_management", "service_orientation", "emotional_intelligence", "flexibility",
    "teamwork", "negotiation", "critical_thinking",
]
ITEM_EFF = np.array([0, 0.1, 0.3, 0.2, -0.4, -0.2, 0.5, -0.1, -0.3, 0.15, -0.8, -0.5])
ROLES = ["operator", "team_leader", "manager", "director"]
ROLE_EFF = np.array([0.0, 0.25, 0.5, 0.7])
CUTS = np.array([-2.6, -1.2, 0.4, 2.0])

R_SCRIPT = r"""
suppressMessages(library(ordinal)); suppressMessages(library(jsonlite))
args <- commandArgs(TRUE); reps <- as.integer(args[3])
d <- read.csv(args[1])
items <- c("empathy", "active_listening", "communication", "problem_solving", "patience",
  "stress_management", "service_orientation", "emotional_intelligence", "flexibility", "teamwork",
  "negotiation", "critical_thinking")
d$item <- factor(d$item, levels=items); d$service <- factor(d$service, levels=c("in_house", "outsourcing"))
d$role <- factor(d$role, levels=c("operator", "team_leader", "manager", "director"))
d$respondent_id <- factor(d$respondent_id); d$rating <- factor(d$rating, levels=1:5, ordered=TRUE)
ts <- numeric(reps)
for (i in seq_len(reps)) { gc(); ts[i] <- system.time(m <- clmm(rating ~ item + service + role + (1|respondent_id), data=d))[["elapsed"]] }
se <- sqrt(diag(vcov(m)))[seq_along(coef(m))]
writeLines(toJSON(list(seconds=median(ts), all=ts, estimate=unname(coef(m)), se=unname(se),
  sd=unname(m$ST[[1]][1, 1]), loglik=as.numeric(logLik(m)), version=as.character(packageVersion("ordinal"))),
  digits=I(12), auto_unbox=TRUE), args[2])
"""


def simulate(n: int, seed: int = 20220712) -> pd.DataFrame:
    """``n`` respondents x 12 items, the model of tests/data/clmm/make_ref.R."""
    rng = np.random.default_rng(seed + n)
    service = rng.choice(2, n, p=[0.55, 0.45])
    role = rng.choice(4, n, p=[0.45, 0.25, 0.2, 0.1])
    b = rng.normal(0.0, 1.0, n)
    r = np.repeat(np.arange(n), 12)
    it = np.tile(np.arange(12), n)
    eta = ITEM_EFF[it] + 0.4 * service[r] + ROLE_EFF[role[r]] + b[r]
    y = 1 + np.searchsorted(CUTS, eta + rng.logistic(size=12 * n))
    return pd.DataFrame(
        {
            "respondent_id": np.char.add("R", np.char.zfill(r.astype(str), 6)),
            "service": pd.Categorical(np.array(["in_house", "outsourcing"])[service[r]],
                                      categories=["in_house", "outsourcing"]),
            "role": pd.Categorical(np.array(ROLES)[role[r]], categories=ROLES),
            "item": pd.Categorical(np.array(ITEMS)[it], categories=ITEMS),
            "rating": pd.Categorical(y, categories=[1, 2, 3, 4, 5], ordered=True),
        }
    )


def _child(n: int, reps: int, q: mp.Queue) -> None:
    warnings.simplefilter("ignore")
    import analysis.ordinal  # noqa: F401  (imports are not part of the timed fit)
    from analysis.ordinal import fit_ordinal_mixed

    d = simulate(n)
    best = np.inf
    res = None
    for _ in range(reps):
        t0 = time.perf_counter()
        res = fit_ordinal_mixed(FORMULA, data=d)
        best = min(best, time.perf_counter() - t0)
    est = np.concatenate([res.thresholds["estimate"], res.coef["estimate"]])
    se = np.concatenate([res.thresholds["se"], res.coef["se"]])
    q.put(
        {
            "seconds": best,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "estimate": est.tolist(),
            "se": se.tolist(),
            "sd": float(res.random_effects["sd"].iloc[0]),
            "loglik": res.loglik,
            "converged": res.converged,
            "max_grad": res.max_grad,
        }
    )


def ours(n: int, reps: int) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(n, reps, q))
    p.start()
    out = q.get()
    p.join()
    return out


def r_clmm(n: int, reps: int, rscript: str) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        csv, js, script = (Path(tmp) / f for f in ("d.csv", "out.json", "fit.R"))
        simulate(n).to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
        cmd = [rscript, str(script), str(csv), str(js), str(reps)]
        peak = None
        if timer:
            proc = subprocess.run([timer, "-f", "%M", *cmd], capture_output=True, text=True)
            try:
                peak = float(proc.stderr.strip().splitlines()[-1]) / 1024.0
            except (ValueError, IndexError):
                peak = None
        else:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            proc = subprocess.run(cmd, capture_output=True, text=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            peak = after / 1024.0 if after > before else None
        if proc.returncode != 0 or not js.exists():
            print(f"R clmm failed at n={n}: {proc.stderr[-500:]}")
            return None
        out = json.loads(js.read_text())
        out["peak_mb"] = peak
        return out


def r_available() -> str | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    ok = subprocess.run([rscript, "-e", "quit(status=!requireNamespace('ordinal', quietly=TRUE))"],
                        capture_output=True)
    return rscript if ok.returncode == 0 else None


def _markdown(df: pd.DataFrame) -> str:
    def fmt(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.4g}"
        return str(v)

    head = "| " + " | ".join(df.columns) + " |"
    sep = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 5000, 20000])
    ap.add_argument("--r-sizes", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--r-reps", type=int, default=1)
    ap.add_argument("--reuse-r", action="store_true",
                    help="reuse R's columns of results/ordinal_mixed.csv for sizes not re-timed")
    a = ap.parse_args()
    previous = {}
    if a.reuse_r and (OUT / "ordinal_mixed.csv").exists():
        old = pd.read_csv(OUT / "ordinal_mixed.csv")
        if "r_seconds" in old.columns:
            for _, r in old.dropna(subset=["r_seconds"]).iterrows():
                previous[int(r["respondents"])] = r
    rscript = r_available()
    if rscript is None:
        print("R with the 'ordinal' package not found (apt-get install r-base-core r-cran-ordinal): "
              "timing fit_ordinal_mixed alone")
    load0 = os.getloadavg()[0]
    rows = []
    for n in a.sizes:
        o = ours(n, a.reps if n <= 1000 else 1)
        row = {"respondents": n, "rows": 12 * n, "ours_seconds": o["seconds"],
               "ours_peak_mb": o["peak_mb"], "ours_converged": o["converged"],
               "ours_max_grad": o["max_grad"], "ours_loglik": o["loglik"], "ours_sd": o["sd"]}
        if rscript and n in a.r_sizes:
            r = r_clmm(n, a.r_reps, rscript)
            if r is not None:
                row.update({
                    "r_seconds": r["seconds"], "r_peak_mb": r["peak_mb"], "r_loglik": r["loglik"],
                    "speedup": r["seconds"] / o["seconds"],
                    "max_abs_diff_estimate": float(np.max(np.abs(np.subtract(o["estimate"], r["estimate"])))),
                    "max_abs_diff_se": float(np.max(np.abs(np.subtract(o["se"], r["se"])))),
                    "abs_diff_sd": abs(o["sd"] - r["sd"]),
                    "r_ordinal_version": r["version"],
                })
        if "r_seconds" not in row and n in previous:
            r = previous[n]
            row.update({k: r[k] for k in ("r_seconds", "r_peak_mb", "r_loglik",
                                          "max_abs_diff_estimate", "max_abs_diff_se",
                                          "abs_diff_sd", "r_ordinal_version")})
            row["speedup"] = r["r_seconds"] / o["seconds"]
            row["r_from_previous_run"] = True
        rows.append(row)
        print({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    df.to_csv(OUT / "ordinal_mixed.csv", index=False)
    lines = [
        "# fit_ordinal_mixed vs R clmm (Laplace, logit; 12 items per respondent)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores (shared); Python "
        f"{platform.python_version()}. Ours: best of {a.reps} (1 above 1,000 respondents), "
        f"fresh process per size; R: median of {a.r_reps}. Load average at the start "
        f"{load0:.1f} (elapsed times of both grow with the load of the shared machine).",
        "",
        _markdown(df),
    ]
    (OUT / "ordinal_mixed.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
