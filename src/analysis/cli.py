"""The ``softskills`` command: ``validate``, ``prepare``, ``simulate``, ``run`` and ``power``.

A thin shell over functions the tests call directly. Exit codes: 0 success (validation
with warnings only included), 1 invalid data, 2 usage error (missing file, unknown year,
bad arguments). A user's mistake never ends in a Python traceback: the project's
exceptions (:mod:`analysis.errors`) are caught and printed.

Examples
--------
.. code-block:: console

    $ softskills validate data/raw/2020.csv --year 2020
    $ softskills prepare --year 2020
    $ softskills simulate --year 2025 --n 200 --seed 1 --out /tmp/2025.csv
    $ softskills run --year 2020
    $ softskills power --probs 0.05,0.15,0.3,0.35,0.15 --odds-ratio 1.5 --n 200
    $ softskills power --year 2022 --question q2_relevance --n 400
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.codebook import CodebookError
from analysis.errors import SurveyDataError, SurveyError, SurveyUsageError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_INVALID", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def _print_problems(problems, stream) -> None:
    for p in problems:
        print(f"{p.severity}: {p}", file=stream)


def _cmd_validate(args: argparse.Namespace) -> int:
    from analysis.validate import validate_export

    problems = validate_export(Path(args.path), args.year, duplicate_minutes=args.duplicate_minutes)
    _print_problems(problems, sys.stdout)
    n_err = sum(p.is_error for p in problems)
    n_warn = len(problems) - n_err
    name = Path(args.path).name
    if n_err:
        print(f"{name}: INVALID, {n_err} error(s), {n_warn} warning(s)", file=sys.stderr)
        return EXIT_INVALID
    print(f"{name}: valid for {args.year}" + (f" ({n_warn} warning(s))" if n_warn else ""))
    return EXIT_OK


def _cmd_prepare(args: argparse.Namespace) -> int:
    from analysis.prepare import format_summary, prepare, write_prepared

    prepared = prepare(args.input, args.year, duplicate_minutes=args.duplicate_minutes)
    out = write_prepared(prepared, processed_dir=args.output_dir)
    print(format_summary(prepared))
    print(f"wrote {out}")
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from analysis.simulate import simulate_export

    if args.n < 1:
        raise SurveyUsageError(f"--n must be a positive number of respondents, not {args.n}")
    out = simulate_export(args.year, args.n, args.seed, out=args.out, fmt=args.format)
    print(f"wrote {out}")
    return EXIT_OK


# ---- `softskills power` ----------------------------------------------------------------
def _cmd_power(args: argparse.Namespace) -> int:
    from analysis.power import (
        detectable_odds_ratio_table,
        ordinal_power,
        ordinal_sample_size,
    )

    deff = args.deff
    if args.year is not None:
        from analysis.datasets import load_year

        if not args.question:
            raise SurveyUsageError("--year needs --question (the ordinal answer compared)")
        df = load_year(args.year).data
        design = None
        if args.weights is not None:
            from analysis.weighting import rake

            design = rake(df, args.weights).design(df)
        t = detectable_odds_ratio_table(
            df, args.question, group=args.group, ns=args.n or None, power=args.power,
            alpha=args.alpha, deff=deff, weights=design,
        )
        deff = float(t["deff"].iloc[0])
        if design is not None:
            print(f"design effect of the {args.group} contrast under the raked weights: {deff:.3f}")
        print(
            f"{args.question} by {args.group}, {args.year}: smallest odds ratio detected with "
            f"power {args.power:.0%} (alpha {args.alpha}, design effect {deff:.3g})"
        )
        for r in t.itertuples():
            print(f"  n = {r.n:>6}{' (this year)' if r.is_current else '':<12} odds ratio >= {r.odds_ratio:.3f}"
                  f" or <= {1 / r.odds_ratio:.3f}")
        return EXIT_OK
    if args.probs is None or args.odds_ratio is None:
        raise SurveyUsageError("give --probs and --odds-ratio, or --year and --question")
    try:
        probs = [float(x) for x in args.probs.split(",")]
    except ValueError:
        raise SurveyUsageError(f"--probs must be numbers separated by commas, got {args.probs!r}") from None
    if args.n or args.n1 is not None or args.n2 is not None:
        if args.n and len(args.n) > 1:
            raise SurveyUsageError("give one --n for the power of a design")
        r = ordinal_power(probs, args.odds_ratio, n=args.n[0] if args.n else None, n1=args.n1,
                          n2=args.n2, alpha=args.alpha, deff=deff)
        print(f"power {r.power:.4f} (n1 = {r.n1:g}, n2 = {r.n2:g}, odds ratio {r.odds_ratio:g}, "
              f"alpha {r.alpha:g}, design effect {r.deff:g}); SE of log OR {r.approx_se:.4f}")
    else:
        r = ordinal_sample_size(probs, args.odds_ratio, power=args.power, fraction=args.fraction,
                                alpha=args.alpha, deff=deff)
        print(f"n = {r.n:.1f} in total (round up: {int(-(-r.n // 1))}) for power {r.power:g} "
              f"at odds ratio {r.odds_ratio:g} (share in group 1 {r.fraction:g}, alpha {r.alpha:g}, "
              f"design effect {r.deff:g})")
    return EXIT_OK


# ---- `softskills run` -----------------------------------------------------------------
# Wired by the reporting layer: analysis.reporting.cli_run(args) builds the reports.
# Kept as a lazy import so the data commands work without the reporting dependencies.
def _cmd_run(args: argparse.Namespace) -> int:
    try:
        from analysis.reporting import cli_run
    except ImportError as exc:
        print(f"softskills run: the reporting layer is not available ({exc})", file=sys.stderr)
        return EXIT_USAGE
    return int(cli_run(args) or 0)


# ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``softskills`` (sub-commands validate, prepare, simulate, run)."""
    parser = argparse.ArgumentParser(
        prog="softskills",
        description="Soft skills in customer service: validate, prepare and simulate survey exports; build reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="list every problem of a raw export (exit 1 if invalid)")
    p.add_argument("path", help="raw export: .csv, .xlsx or .sav")
    p.add_argument("--year", type=int, required=True, help="survey year (picks the questionnaire version)")
    p.add_argument("--duplicate-minutes", type=float, default=10.0, help="window for duplicate submissions")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("prepare", help="code a raw export and write data/processed/YEAR.parquet")
    p.add_argument("--year", type=int, required=True, help="survey year")
    p.add_argument("--input", type=Path, default=None, help="raw export (default: data/raw/YEAR.*)")
    p.add_argument("--output-dir", type=Path, default=None, help="folder for YEAR.parquet (default: data/processed)")
    p.add_argument("--duplicate-minutes", type=float, default=10.0, help="window for duplicate submissions")
    p.set_defaults(func=_cmd_prepare)

    p = sub.add_parser("simulate", help="write a synthetic raw export from the documented model")
    p.add_argument("--year", type=int, required=True, help="survey year")
    p.add_argument("--n", type=int, required=True, help="number of respondents")
    p.add_argument("--seed", type=int, required=True, help="random seed (same seed, same bytes)")
    p.add_argument("--out", type=Path, default=None, help="output file (default: data/raw/YEAR.<format>)")
    p.add_argument("--format", choices=["csv", "xlsx", "sav"], default="csv", help="export format")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("power", help="power / sample size of a two-group ordinal comparison (Whitehead)")
    p.add_argument("--probs", default=None, help="answer distribution, e.g. 0.05,0.15,0.3,0.35,0.15")
    p.add_argument("--odds-ratio", type=float, default=None, help="proportional odds ratio between groups")
    p.add_argument("--n", type=int, action="append", default=None, help="total respondents (repeatable with --year)")
    p.add_argument("--n1", type=float, default=None, help="respondents in group 1 (without --n)")
    p.add_argument("--n2", type=float, default=None, help="respondents in group 2 (without --n)")
    p.add_argument("--power", type=float, default=0.8, help="wanted power (default 0.8)")
    p.add_argument("--fraction", type=float, default=0.5, help="share of the sample in group 1")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided level")
    p.add_argument("--deff", type=float, default=1.0, help="design effect (default 1)")
    p.add_argument("--year", type=int, default=None, help="take the answers of this year (prepared data)")
    p.add_argument("--question", default=None, help="ordinal question with --year (e.g. q2_relevance)")
    p.add_argument("--group", default="service", help="two-level grouping with --year (default service)")
    p.add_argument("--weights", type=Path, default=None,
                   help="margins YAML with --year: plan with the design effect of this year's raked weights")
    p.set_defaults(func=_cmd_power)

    p = sub.add_parser("run", help="validate, prepare and build the reports")
    p.add_argument("--year", type=int, action="append", default=None, help="survey year (repeatable)")
    p.add_argument("--all", action="store_true", help="every year with a raw export")
    p.add_argument("--quiet", action="store_true", help="less output")
    p.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``softskills``; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 invalid data, 2 usage error.

    Examples
    --------
    >>> main(["validate", "no-such-file.csv", "--year", "2020"])  # doctest: +SKIP
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
    except SurveyUsageError as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SurveyDataError as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except SurveyError as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except CodebookError as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"softskills {args.command}: file not found: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyError as exc:  # e.g. the codebook has no version for the year
        print(f"softskills {args.command}: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except (PermissionError, IsADirectoryError) as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
