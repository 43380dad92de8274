"""The ``softskills`` command: ``validate``, ``prepare``, ``simulate`` and ``run``.

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
    $ softskills run --year 2020 --lang it --lang en --jobs 2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

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
# The reporting layer is imported lazily: `softskills run` on unchanged inputs answers
# "up to date" without loading pandas, papermill or a browser.
def _run_parameters(args: argparse.Namespace) -> list:
    """One validated ReportParameters per year x language asked for."""
    from analysis import config
    from analysis.parameters import ReportParameters

    raw_dir = args.raw_dir
    years = list(dict.fromkeys(args.year or []))
    if args.all:
        found = config.available_years(raw_dir)
        if not found:
            raise SurveyUsageError(f"--all: no raw export in {raw_dir or config.RAW_DIR}")
        years = sorted(set(years) | set(found))
    years = years or [config.DEFAULT_YEAR]
    if args.input is not None and len(years) != 1:
        raise SurveyUsageError("--input names the export of one year: give exactly one --year")
    langs = list(dict.fromkeys(args.lang or [config.DEFAULT_LANG]))
    given = {"input_path": args.input, "alpha": args.alpha, "link": args.link,
             "weights": args.weights, "min_cell": args.min_cell, "raw_dir": raw_dir}
    given = {k: v for k, v in given.items() if v is not None}
    return [ReportParameters.validate(given, year=y, lang=lang) for y in years for lang in langs]


def _cmd_run(args: argparse.Namespace) -> int:
    import time

    t0 = time.perf_counter()
    params = _run_parameters(args)
    if args.jobs is not None and args.jobs < 1:
        raise SurveyUsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.scheduler and args.executor != "dask":
        raise SurveyUsageError("--scheduler needs --executor dask")
    from analysis.reporting.runner import build_reports, discover_notebooks, make_specs

    notebooks = discover_notebooks(args.notebooks_dir)
    if not notebooks:
        raise SurveyUsageError(f"no notebooks in {args.notebooks_dir or 'notebooks/'}")
    specs = make_specs(params, notebooks=notebooks, reports_dir=args.reports_dir,
                       pdf=not args.no_pdf)
    try:
        outcomes = build_reports(specs, jobs=args.jobs, executor=args.executor,
                                 scheduler=args.scheduler, force=args.force, quiet=args.quiet,
                                 index=True)
    except KeyboardInterrupt:
        print("softskills run: interrupted; the reports already built are in place, the others "
              "are as they were", file=sys.stderr)
        return 130
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "up to date", "FAILED")}
    print(f"{len(outcomes)} report(s): {counts['ok']} built, {counts['up to date']} up to date, "
          f"{counts['FAILED']} failed ({time.perf_counter() - t0:.1f} s)")
    return EXIT_OK if counts["FAILED"] == 0 else EXIT_INVALID


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

    p = sub.add_parser(
        "run", help="build the reports reports/YEAR/LANG/ (only those whose inputs changed)",
        description="Build the reader reports (HTML, PDF, tables, figures) of one or more years in "
                    "one or more languages, and reports/index.html. A report whose inputs, code, "
                    "notebooks and parameters have not changed is left as it is ('up to date').")
    p.add_argument("--year", type=int, action="append", default=None,
                   help="survey year (repeatable; default 2020)")
    p.add_argument("--all", action="store_true", help="every year with a raw export")
    p.add_argument("--lang", action="append", default=None, metavar="LANG",
                   help="language of the report: it or en (repeatable; default it)")
    p.add_argument("--alpha", type=float, default=None,
                   help="significance level; intervals are at 1 - alpha (default 0.05)")
    p.add_argument("--link", default=None, help="link of the ordinal models (default logit)")
    p.add_argument("--weights", type=Path, default=None, metavar="FILE",
                   help="YAML file of population margins to rake to (default: unweighted)")
    p.add_argument("--min-cell", type=int, default=None, metavar="K",
                   help="disclosure threshold: counts under K are hidden (default 5)")
    p.add_argument("--input", type=Path, default=None, metavar="FILE",
                   help="raw export to analyse instead of data/raw/YEAR.* (one year only)")
    p.add_argument("--raw-dir", type=Path, default=None, metavar="DIR",
                   help="folder of the raw exports (default data/raw)")
    p.add_argument("--reports-dir", type=Path, default=None, metavar="DIR",
                   help="where the reports go (default reports/)")
    p.add_argument("--notebooks-dir", type=Path, default=None, metavar="DIR",
                   help="folder of the report notebooks, run in name order (default notebooks/)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: the number of cores; 1 runs in this process)")
    p.add_argument("--executor", choices=["process", "dask"], default="process",
                   help="a pool of worker processes, or Dask's distributed scheduler")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler to connect to (tcp://host:8786); default a LocalCluster")
    p.add_argument("--force", action="store_true", help="rebuild even the reports that are up to date")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF (faster drafts)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="one line per report and a summary (errors still in full)")
    p.set_defaults(func=_cmd_run)
    return parser


def _codebook_error() -> type[Exception]:
    """``CodebookError``, imported only when an exception is being matched (the codebook needs pandas)."""
    from analysis.codebook import CodebookError

    return CodebookError


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
    except _codebook_error() as exc:
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
