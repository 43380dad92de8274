"""The ``softskills`` command: ``validate``, ``map``, ``prepare``, ``simulate``, ``run``, ``audit`` and ``power``.

A thin shell over functions the tests call directly. Exit codes: 0 success (validation
with warnings only included), 1 invalid data, 2 usage error (missing file, unknown year,
bad arguments). A user's mistake never ends in a Python traceback: the project's
exceptions (:mod:`analysis.errors`) are caught and printed.

Examples
--------
.. code-block:: console

    $ softskills validate data/raw/2020.csv --year 2020
    $ softskills map qualtrics.csv --year 2024          # writes qualtrics.mapping.yaml
    $ softskills validate qualtrics.csv --year 2024 --map qualtrics.mapping.yaml
    $ softskills prepare --year 2020
    $ softskills simulate --year 2025 --n 200 --seed 1 --out /tmp/2025.csv
    $ softskills run --year 2020 --lang it --lang en --jobs 2
    $ softskills power --probs 0.05,0.15,0.3,0.35,0.15 --odds-ratio 1.5 --n 200
    $ softskills power --year 2022 --question q2_relevance --n 400
    $ softskills audit reports/2020/en/tables
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
    from analysis.validate import validate_report

    problems, notes = validate_report(
        Path(args.path), args.year, duplicate_minutes=args.duplicate_minutes, date_order=args.date_order,
        mapping=args.map, sheet=args.sheet,
    )
    for note in notes:
        print(f"note: {note}")
    _print_problems(problems, sys.stdout)
    n_err = sum(p.is_error for p in problems)
    n_warn = len(problems) - n_err
    name = Path(args.path).name
    if n_err:
        print(f"{name}: INVALID, {n_err} error(s), {n_warn} warning(s)", file=sys.stderr)
        return EXIT_INVALID
    print(f"{name}: valid for {args.year}" + (f" ({n_warn} warning(s))" if n_warn else ""))
    return EXIT_OK


def _cmd_map(args: argparse.Namespace) -> int:
    from analysis.ingest.mapping import write_draft_mapping

    out, n_matched, unmatched = write_draft_mapping(
        Path(args.path), args.year, out=args.out, sheet=args.sheet, force=args.force
    )
    print(f"wrote {out}: {n_matched} column(s) matched, {len(unmatched)} to fill in")
    for name in unmatched:
        print(f"  unmatched: {name}")
    print(f"then: softskills validate {args.path} --year {args.year} --map {out}")
    return EXIT_OK


def _cmd_prepare(args: argparse.Namespace) -> int:
    from analysis.prepare import format_summary, prepare, write_prepared

    prepared = prepare(
        args.input, args.year, duplicate_minutes=args.duplicate_minutes, date_order=args.date_order,
        mapping=args.map, sheet=args.sheet,
    )
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


def _add_reading_options(p: argparse.ArgumentParser) -> None:
    _add_date_order(p)
    p.add_argument(
        "--map", type=Path, default=None, metavar="MAPPING.yaml",
        help="mapping file from the file's columns to codebook variables (write one with `softskills map`)",
    )
    p.add_argument("--sheet", default=None, metavar="NAME", help="workbook sheet to read (default: the one that matches)")


def _add_date_order(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--date-order",
        choices=["dmy", "mdy"],
        default=None,
        help="order of dates such as 3/4/2020 when the file does not settle it: dmy (day first) or mdy (month first)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``softskills`` (sub-commands validate, map, prepare, simulate, run)."""
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
    _add_reading_options(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("map", help="write a starting mapping file for an export from any survey tool")
    p.add_argument("path", help="raw export: .csv, .xlsx or .sav")
    p.add_argument("--year", type=int, required=True, help="survey year (picks the questionnaire version)")
    p.add_argument("--out", type=Path, default=None, help="mapping file to write (default: <export>.mapping.yaml)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="workbook sheet to read")
    p.add_argument("--force", action="store_true", help="overwrite an existing mapping file")
    p.set_defaults(func=_cmd_map)

    p = sub.add_parser("prepare", help="code a raw export and write data/processed/YEAR.parquet")
    p.add_argument("--year", type=int, required=True, help="survey year")
    p.add_argument("--input", type=Path, default=None, help="raw export (default: data/raw/YEAR.*)")
    p.add_argument("--output-dir", type=Path, default=None, help="folder for YEAR.parquet (default: data/processed)")
    p.add_argument("--duplicate-minutes", type=float, default=10.0, help="window for duplicate submissions")
    _add_reading_options(p)
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
    except FileNotFoundError as exc:
        print(f"softskills {args.command}: file not found: {exc.filename or exc}", file=sys.stderr)
        return EXIT_USAGE
    except (PermissionError, IsADirectoryError) as exc:
        print(f"softskills {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
