"""``pilotqa`` command line: analyze, inspect, plan, policy.

Only option parsing and wiring live here; every computation is one call into :mod:`pilotqa`.
Heavy modules (polars, scipy, statsmodels, plotly) are imported inside command bodies so that
``pilotqa --help`` stays fast.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import click

from pilotqa import __version__

from .errors import OneLineUsageGroup, handle_errors

__all__ = ["main", "cli"]

SIGMA_CHOICES = ("auto", "pooled", "rbar", "sbar", "mr")


class _Progress:
    """Progress lines on stderr (suppressed by --quiet)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"[{time.perf_counter() - self.t0:5.1f}s] {message}", err=True)


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    from pilotqa.errors import InputError

    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise InputError(f"--map expects SRC=CANONICAL, got '{v}'")
        src, dst = v.split("=", 1)
        if not src.strip() or not dst.strip():
            raise InputError(f"--map expects SRC=CANONICAL, got '{v}'")
        out[src.strip()] = dst.strip()
    return out


def _parse_rules(text: str) -> tuple[int, ...]:
    from pilotqa.errors import InputError

    try:
        rules = tuple(sorted({int(x) for x in text.replace(" ", "").split(",") if x}))
    except ValueError:
        raise InputError(f"--rules expects Nelson rule numbers 1-8 separated by commas, got '{text}'") from None
    if not rules or any(r < 1 or r > 8 for r in rules):
        raise InputError(f"--rules expects Nelson rule numbers 1-8 separated by commas, got '{text}'")
    return rules


def read_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``analyze`` and ``inspect``: how to read the input."""
    decorators = [
        click.argument(
            "inputs", nargs=-1, required=True,
            type=click.Path(exists=True, dir_okay=True, file_okay=True, path_type=Path),
        ),
        click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Spec file (CSV, XLSX or TOML) completing or overriding the export's specs."),
        click.option("--sheet", help="Read only this sheet of a workbook (default: every sheet)."),
        click.option("--subgroup-size", type=click.IntRange(min=2),
                     help="Form subgroups of N consecutive parts when the data has no subgroup column."),
        click.option("--map", "column_map", multiple=True, metavar="SRC=CANONICAL",
                     help="Map a column heading or row label to a canonical name: part_id, lot, "
                          "subgroup, sequence, timestamp, date, time, feature, value, nominal, "
                          "lsl, usl, tol_plus, tol_minus, tol, upper, lower, unit, class, "
                          "lower_bound_zero, fixture, nest, spindle, machine, operator, gauge, "
                          "or ignore. Repeatable."),
        click.option("--part", help="Part number (overrides the export's metadata)."),
        click.option("--revision", help="Part revision (overrides the export's metadata)."),
        click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors."),
        click.option("--two-sided", "two_sided", multiple=True, metavar="NAME",
                     help="Keep this characteristic two-sided although its name says form, orientation, "
                          "location or runout and its lower limit is 0 (read one-sided by default). "
                          "Repeatable."),
        click.option("--header-row", "header_row", type=click.IntRange(min=1), metavar="N",
                     help="The row (as the spreadsheet numbers it) holding the characteristic names "
                          "or column headings; overrides detection."),
        click.option("--layout", "layout", type=click.Choice(["long", "wide", "charrows", "as9102"]),
                     help="Layout of the sheets, overriding detection: long (a row per reading), wide "
                          "(a row per part), charrows (a row per characteristic, a column per serial) "
                          "or as9102 (AS9102 Form 3)."),
    ]
    f = _layout_options(f)
    for d in reversed(decorators):
        f = d(f)
    return f


#: read options that reach ReadOptions through the click context (not through _read's arguments)
_LAYOUT_KEYS = ("two_sided", "header_row", "layout")


def _layout_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Take the reading-layout options off the command's arguments and keep them for _read."""
    import functools

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        extra = {k: kwargs.pop(k) for k in _LAYOUT_KEYS if k in kwargs}
        extra["two_sided"] = tuple(extra.get("two_sided") or ())
        click.get_current_context().meta["pilotqa.layout_options"] = extra
        return f(*args, **kwargs)

    return wrapper


def _read(inputs: tuple[Path, ...], spec_file: Path | None, sheet: str | None,
          subgroup_size: int | None, column_map: tuple[str, ...], part: str | None,
          revision: str | None, strict: bool = True, by: tuple[str, ...] = ()) -> Any:
    from pilotqa.read import ReadOptions, read

    opts = ReadOptions(
        sheet=sheet,
        subgroup_size=subgroup_size,
        column_map=_parse_map(column_map),
        spec_file=str(spec_file) if spec_file else None,
        part=part,
        revision=revision,
        strict=strict,
        by=tuple(by),
    )
    extra = click.get_current_context().meta.get("pilotqa.layout_options")
    if extra:
        import dataclasses

        opts = dataclasses.replace(opts, **extra)
    return read(list(inputs), opts)


class LazyGroup(OneLineUsageGroup):
    """Click group whose sub-commands live in sibling modules imported on first use."""

    lazy: dict[str, str] = {"plan": ".plan_cmd:plan", "policy": ".plan_cmd:policy", "compare": ".compare_cmd:compare"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            mod_name, attr = self.lazy[cmd_name].split(":")
            mod = importlib.import_module(mod_name, __package__)
            cmd: click.Command = getattr(mod, attr)
            return cmd
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pilotqa")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """pilotqa — pilot-run capability, stability, drift and lot analysis, and the decision
    whether each characteristic may leave 100 % inspection.

    \b
    Exit codes: 0 done; 2 bad usage or bad input; 1 unexpected error.
    """
    ctx.obj = {"debug": debug}


@cli.command()
@read_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: reports/<stem>/).")
@click.option("--format", "formats", default="html,json,xlsx", show_default=True,
              help="Outputs to write, comma-separated: html, json, xlsx.")
@click.option("--lot-size", type=click.IntRange(min=2),
              help="Production lot size for the sampling plans (default: see the policy).")
@click.option("--level", "inspection_level", default="II", show_default=True,
              type=click.Choice(["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]),
              help="Inspection level for the sampling plans.")
@click.option("--sigma-within", type=click.Choice(SIGMA_CHOICES), default="auto", show_default=True,
              help="Within-subgroup sigma estimator: auto = pooled with subgroups, mr for individuals.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Two-sided confidence level of the index intervals.")
@click.option("--rules", default="1,2,3,4", show_default=True,
              help="Enabled Nelson run rules (1-8), comma-separated.")
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Policy TOML overriding any subset of the built-in defaults (see `pilotqa policy --show`).")
@click.option("--critical", multiple=True, metavar="NAME",
              help="Treat this characteristic as critical. Repeatable.")
@click.option("--msa", "msa_files", multiple=True, metavar="RESULT.json",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Gauge study result(s) of `pilotqa msa` (pilotqa.msa/1 JSON), matched to characteristics by "
                   "name: an unacceptable gauge keeps its characteristic at 100 %. Repeatable.")
@click.option("--by", "by", multiple=True, metavar="COLUMN",
              help="Stream factor: analyse the readings by this column (fixture, nest, spindle, machine, "
                   "operator … or any column of a long export) as the lots are analysed. Recognised stream "
                   "columns are analysed without it. Repeatable.")
@click.option("--prepared-by", metavar="NAME",
              help="Name for the report's approval block, 'prepared by' (default: the export's inspector, else blank).")
@click.option("--approved-by", metavar="NAME",
              help="Name for the report's approval block, 'approved by' (default: blank, to sign by hand).")
@click.option("--force", is_flag=True, help="Overwrite existing output files not written by pilotqa.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@handle_errors
def analyze(inputs: tuple[Path, ...], spec_file: Path | None, sheet: str | None,
            subgroup_size: int | None, column_map: tuple[str, ...], part: str | None,
            revision: str | None, debug: bool, out_dir: Path | None, formats: str,
            lot_size: int | None, inspection_level: str, sigma_within: str, confidence: float,
            rules: str, policy_file: Path | None, critical: tuple[str, ...], msa_files: tuple[Path, ...],
            force: bool,
            quiet: bool, by: tuple[str, ...] = (), prepared_by: str | None = None,
            approved_by: str | None = None) -> None:
    """Analyse inspection export(s) and write the HTML report, JSON and XLSX.

    INPUTS are CSV/XLSX exports (long, wide or characteristic-per-row layout), Q-DAS AQDEF
    (.dfq/.dfd), PC-DMIS or CALYPSO files, or folders of them. Several inputs are combined
    (each file is a lot unless the data names lots).

    Example: pilotqa analyze sample_data/housing_pilot_wide.xlsx --lot-size 500
    """
    progress = _Progress(quiet)
    from pilotqa.errors import InputError
    from pilotqa.report.outputs import check_output_folder, output_stem, parse_formats, write_outputs
    from pilotqa.settings import Settings

    fmts = parse_formats(formats)
    rule_set = _parse_rules(rules)
    stem = output_stem(inputs)
    out = out_dir if out_dir is not None else Path("reports") / stem
    check_output_folder(out, [out / f"{stem}.{f}" for f in fmts], force=force, inputs=inputs)
    import pilotqa.read  # noqa: F401  # the reader's modules load here, on this thread
    from pilotqa.threads import preload

    # the analysis and writer modules (scipy.stats among them) load while the export is parsed;
    # a bad PILOTQA_THREADS stops here, before reading
    preload(("scipy.stats", "pilotqa.analysis", *(f"pilotqa.report.{f}" for f in fmts)))
    progress(f"reading {len(inputs)} input(s)")
    insp = _read(inputs, spec_file, sheet, subgroup_size, column_map, part, revision, by=by)
    from pilotqa.analysis import analyze as run_analysis
    from pilotqa.decide.policy import load_policy

    policy = load_policy(str(policy_file) if policy_file else None)
    settings = Settings(
        sigma_within=sigma_within, confidence=confidence, rules=rule_set, lot_size=lot_size,
        inspection_level=inspection_level, critical=tuple(critical), by=tuple(by),
    )
    if lot_size is None and policy.plans.default_lot_size <= 0:
        from pilotqa.decide.verdict import resolve_lot_size

        assumed, source = resolve_lot_size(settings, policy, insp)
        # a warning, not progress: shown with --quiet too (the plans depend on the lot size)
        click.echo(f"pilotqa: warning: no lot size given (--lot-size or the policy's plans.default_lot_size): "
                   f"the sampling plans assume lots of {assumed} parts, {source}", err=True)
    progress(f"analysing {len(insp.feature_names)} characteristics, {insp.n_parts} parts, "
             f"{len(insp.lots)} lot(s)")
    gauges = None
    if msa_files:
        from pilotqa.msa.effect import load_msa_results

        gauges = load_msa_results(msa_files)
        unmatched = sorted(set(gauges) - set(insp.feature_names))
        if unmatched:
            click.echo(f"pilotqa: warning: gauge results for characteristics not in the input, not used: "
                       f"{', '.join(unmatched)}", err=True)
    result = run_analysis(insp, settings, policy, gauges=gauges)
    if prepared_by or approved_by:  # report metadata only: no statistic changes
        import dataclasses

        from pilotqa.results import ReportMeta

        result = dataclasses.replace(result, report_meta=ReportMeta(prepared_by, approved_by))
    progress(f"writing {', '.join(fmts)} to {out}")
    written = write_outputs(result, out, stem, fmts, force=force, inputs=inputs)
    click.echo(result.overall)
    for p in written:
        click.echo(f"wrote {p}")


@cli.command()
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print what was understood as JSON.")
@handle_errors
def inspect(inputs: tuple[Path, ...], spec_file: Path | None, sheet: str | None,
            subgroup_size: int | None, column_map: tuple[str, ...], part: str | None,
            revision: str | None, debug: bool, as_json: bool) -> None:
    """Show what pilotqa understood of the input(s) — layout, format, features with specs and
    counts, lots, parts, notes and problems — without analysing. Problems that would stop
    `analyze` (a missing spec, LSL >= USL, no numeric data) are listed, not fatal.

    Example: pilotqa inspect sample_data/housing_pilot_long.csv
    """
    insp = _read(inputs, spec_file, sheet, subgroup_size, column_map, part, revision, strict=False)
    from pilotqa.read.describe import describe, describe_text

    if as_json:
        import json

        click.echo(json.dumps(describe(insp), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(describe_text(insp))


LazyGroup.lazy["msa"] = ".msa_cmd:msa"  # pilotqa msa (cli/msa_cmd.py), imported on first use


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="pilotqa")


if __name__ == "__main__":  # pragma: no cover
    main()
