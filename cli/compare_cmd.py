"""``pilotqa compare BEFORE... --vs AFTER...``: before/after comparison of two pilot runs.

Only option parsing and wiring live here: each side is read as ``analyze`` reads its inputs (the
same read options, applied to both sides), and :func:`pilotqa.compare.compare` does the rest.
Library errors become ``pilotqa: error: <message>`` and exit code 2
(:func:`pilotqa_cli.errors.handle_errors`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .errors import handle_errors
from .main import SIGMA_CHOICES, _parse_rules, _Progress, _read, read_options

__all__ = ["compare", "analysis_options", "CompareCommand"]

_LEVELS = ["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]


def analysis_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ``analyze`` that shape the numbers and the verdicts (same names, types,
    defaults and help; tests/test_compare_cli.py checks they stay identical)."""
    decorators = [
        click.option("--lot-size", type=click.IntRange(min=2),
                     help="Production lot size for the sampling plans (default: see the policy)."),
        click.option("--level", "inspection_level", default="II", show_default=True,
                     type=click.Choice(_LEVELS), help="Inspection level for the sampling plans."),
        click.option("--sigma-within", type=click.Choice(SIGMA_CHOICES), default="auto",
                     show_default=True,
                     help="Within-subgroup sigma estimator: auto = pooled with subgroups, mr for "
                          "individuals."),
        click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95,
                     show_default=True, help="Two-sided confidence level of the index intervals."),
        click.option("--rules", default="1,2,3,4", show_default=True,
                     help="Enabled Nelson run rules (1-8), comma-separated."),
        click.option("--policy", "policy_file",
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Policy TOML overriding any subset of the built-in defaults (see "
                          "`pilotqa policy --show`)."),
        click.option("--critical", multiple=True, metavar="NAME",
                     help="Treat this characteristic as critical. Repeatable."),
        click.option("--by", "by", multiple=True, metavar="COLUMN",
                     help="Stream factor: analyse the readings by this column (fixture, nest, spindle, machine, "
                          "operator … or any column of a long export) as the lots are analysed. Recognised stream "
                          "columns are analysed without it. Repeatable."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


class CompareCommand(click.Command):
    """Accepts ``BEFORE... --vs AFTER...``: the arguments that follow ``--vs`` up to the next
    option are the AFTER inputs (``--vs`` may also be repeated, one input each)."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[OPTIONS]", "BEFORE...", "--vs", "AFTER..."]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                out.extend(args[i:])
                break
            if a == "--vs":
                j = i + 1
                while j < len(args) and not args[j].startswith("-"):
                    out += ["--vs", args[j]]
                    j += 1
                if j == i + 1:
                    out.append(a)  # no value: let click report it
                i = j
                continue
            out.append(a)
            i += 1
        return super().parse_args(ctx, out)


@click.command(cls=CompareCommand)
@read_options
@click.option("--vs", "after_inputs", multiple=True, required=True, metavar="AFTER...",
              type=click.Path(exists=True, dir_okay=True, file_okay=True, path_type=Path),
              help="The AFTER run: one or more files or folders (every argument after --vs up "
                   "to the next option).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: reports/<before>_vs_<after>/).")
@click.option("--format", "formats", default="html,json,xlsx", show_default=True,
              help="Outputs to write, comma-separated: html, json, xlsx.")
@analysis_options
@click.option("--force", is_flag=True, help="Overwrite existing output files not written by pilotqa.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@handle_errors
def compare(inputs: tuple[Path, ...], spec_file: Path | None, sheet: str | None,
            subgroup_size: int | None, column_map: tuple[str, ...], part: str | None,
            revision: str | None, debug: bool, after_inputs: tuple[Path, ...],
            out_dir: Path | None, formats: str, lot_size: int | None, inspection_level: str,
            sigma_within: str, confidence: float, rules: str, policy_file: Path | None,
            critical: tuple[str, ...], force: bool, quiet: bool, by: tuple[str, ...] = ()) -> None:
    """Compare a pilot run BEFORE a change with one AFTER it, characteristic by characteristic:
    change in mean (Welch), in spread (Brown–Forsythe, σ ratio), in Ppk (with intervals), the
    verdict before and after, and a one-line conclusion. Writes HTML, JSON and XLSX.

    Each side is one or more inputs read as `analyze` reads them, with the same options.

    Example: pilotqa compare sample_data/compare/housing_pilot_before.csv
    --vs sample_data/compare/housing_pilot_after.csv --lot-size 500
    """
    progress = _Progress(quiet)
    from pilotqa.compare import compare as run_compare
    from pilotqa.compare.outputs import comparison_stem, write_comparison
    from pilotqa.decide.policy import load_policy
    from pilotqa.report.outputs import parse_formats
    from pilotqa.settings import Settings

    fmts = parse_formats(formats)
    rule_set = _parse_rules(rules)
    progress(f"reading {len(inputs)} BEFORE input(s)")
    before = _read(inputs, spec_file, sheet, subgroup_size, column_map, part, revision, by=by)
    progress(f"reading {len(after_inputs)} AFTER input(s)")
    after = _read(after_inputs, spec_file, sheet, subgroup_size, column_map, part, revision, by=by)
    policy = load_policy(str(policy_file) if policy_file else None)
    settings = Settings(
        sigma_within=sigma_within, confidence=confidence, rules=rule_set, lot_size=lot_size,
        inspection_level=inspection_level, critical=tuple(critical), by=tuple(by),
    )
    progress("analysing both runs and comparing")
    result = run_compare(before, after, settings, policy)
    stem = comparison_stem(inputs, after_inputs)
    out = out_dir if out_dir is not None else Path("reports") / stem
    progress(f"writing {', '.join(fmts)} to {out}")
    written = write_comparison(result, out, stem, fmts, force=force,
                               inputs=[*inputs, *after_inputs])
    click.echo(result.document["overall"])
    for e in result.document["features"]:
        if e["change"] != "no_change":
            click.echo(f"  {e['feature']}: {e['conclusion']}")
    for p in written:
        click.echo(f"wrote {p}")
