"""The ``softskills`` command: ``validate``, ``prepare``, ``simulate``, ``run`` and ``audit``.

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
    $ softskills audit reports/2020/en/tables
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


# ---- `softskills run` -----------------------------------------------------------------
# Wired by the reporting layer: analysis.reporting.cli_run(args) builds the reports.
# Kept as a lazy import so the data commands work without the reporting dependencies.
def _cmd_audit(args: argparse.Namespace) -> int:
    from analysis.disclosure.auditor import audit

    res = audit(*args.folders, threshold=args.threshold, raise_on_failure=False)
    if not args.quiet:
        for r in res.cells.itertuples():
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.cell:<50} {r.symbol:>3}  "
                  f"{r.lower:g}..{r.upper:g}  ({r.tables})")
        for note in res.notes:
            print(f"note: {note}")
        for path in res.unmapped:
            print(f"not audited (no sidecar): {path}")
    print(res.message(), file=sys.stdout if res.ok else sys.stderr)
    return EXIT_OK if res.ok else EXIT_INVALID


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

    p = sub.add_parser("run", help="validate, prepare and build the reports")
    p.add_argument("--year", type=int, action="append", default=None, help="survey year (repeatable)")
    p.add_argument("--all", action="store_true", help="every year with a raw export")
    p.add_argument("--quiet", action="store_true", help="less output")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("audit", help="attack published tables: can a hidden cell be recovered? (exit 1 if so)")
    p.add_argument("folders", nargs="+", type=Path,
                   help="folders of tables with sidecars (e.g. reports/2020/en/tables); several = joint attack")
    p.add_argument("--threshold", type=int, default=None,
                   help="required width of a hidden cell's interval (default: the tables' min_cell)")
    p.add_argument("--quiet", action="store_true", help="only the verdict")
    p.set_defaults(func=_cmd_audit)
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
