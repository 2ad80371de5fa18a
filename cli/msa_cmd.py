"""``pilotqa msa``: gauge studies (Type 1, crossed GR&R by ANOVA or by ranges) → JSON, HTML, XLSX.

Only option parsing and rendering live here; the statistics are in :mod:`pilotqa.msa`. Library
errors become ``pilotqa: error: <message>`` on stderr and exit code 2
(:func:`pilotqa_cli.errors.handle_errors`).
"""
from __future__ import annotations

from pathlib import Path

import click

from .errors import handle_errors

__all__ = ["msa"]


def _pct(x: object) -> str:
    return f"{x:.1f} %" if isinstance(x, (int, float)) else "—"


@click.command()
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, file_okay=True, path_type=Path))
@click.option("--tolerance", type=click.FloatRange(min=0, min_open=True),
              help="Tolerance width T (overrides the file's limits for % tolerance, Cg, Cgk).")
@click.option("--lsl", type=float, help="Lower specification limit (with --usl: T = USL − LSL).")
@click.option("--usl", type=float, help="Upper specification limit.")
@click.option("--method", type=click.Choice(["auto", "anova", "range", "type1"]), default="auto",
              show_default=True,
              help="GR&R method (anova or range); type1 reads a single value column as a Type 1 "
                   "study; auto = ANOVA for crossed studies, Type 1 for single-part studies.")
@click.option("--reference", type=float,
              help="Reference (master) value of a Type 1 study (overrides a reference column "
                   "or K2213).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: reports/<stem>/).")
@click.option("--format", "formats", default="html,json,xlsx", show_default=True,
              help="Outputs to write, comma-separated: html, json, xlsx.")
@click.option("--force", is_flag=True, help="Overwrite existing output files not written by pilotqa.")
@click.option("--sheet", help="Read only this sheet of a workbook (default: every sheet).")
@click.option("--study-var", type=click.FloatRange(min=0, min_open=True), default=6.0,
              show_default=True,
              help="Study-variation multiplier k (6; 5.15 for the AIAG 3rd edition's 99 %): "
                   "% tolerance = 100·k·σ/T.")
@click.option("--pool-alpha", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Pool the part × appraiser interaction when its p-value exceeds this "
                   "(AIAG 0.25; Minitab 0.05; 0 never pools... 1 always keeps it).")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Two-sided level of the variance-component intervals.")
@click.option("--grr-accept", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="%GRR at or below which the gauge is acceptable.")
@click.option("--grr-reject", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="%GRR above which the gauge is not acceptable (between: conditional).")
@click.option("--ndc-min", type=click.IntRange(min=0), default=5, show_default=True,
              help="Fewer distinct categories make the gauge not acceptable (0: not checked).")
@click.option("--basis", type=click.Choice(["tolerance", "study_var"]), default="tolerance",
              show_default=True,
              help="Judge %GRR against the tolerance (product control; study variation when no "
                   "tolerance is known) or against the study variation (process control).")
@click.option("--type1-percent", type=click.FloatRange(min=0, min_open=True), default=20.0,
              show_default=True, help="K of Cg = (K/100·T)/(L·s): % of the tolerance (20).")
@click.option("--type1-spread", type=click.FloatRange(min=0, min_open=True), default=6.0,
              show_default=True, help="L of Cg = (K/100·T)/(L·s): the spread in s (6; 4 for the "
                                      "older 15 %/4s form).")
@click.option("--cg-min", type=click.FloatRange(min=0), default=1.33, show_default=True,
              help="Cg and Cgk needed for an acceptable Type 1 study.")
@click.option("-q", "--quiet", is_flag=True, help="Only the written paths on stdout.")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@handle_errors
def msa(inputs: tuple[Path, ...], tolerance: float | None, lsl: float | None,
        usl: float | None, method: str, reference: float | None, out_dir: Path | None,
        formats: str, force: bool, sheet: str | None, study_var: float, pool_alpha: float,
        confidence: float, grr_accept: float, grr_reject: float, ndc_min: int, basis: str,
        type1_percent: float, type1_spread: float, cg_min: float, quiet: bool,
        debug: bool) -> None:
    """Measurement system analysis: Type 1 studies and crossed GR&R (ANOVA or average-and-range)
    with % study variation, % tolerance, % contribution, ndc and the AIAG verdict.

    INPUTS are long CSV/XLSX tables (part, appraiser, trial, value), wide GR&R sheets (one row
    per part, a column per appraiser and trial), AQDEF .dfq gauge studies (Q-DAS Type 1, 2, 3)
    or folders of them.

    Example: pilotqa msa tests/data/msa/aiag4_grr_long.csv --tolerance 8
    """
    from pilotqa.errors import InputError
    from pilotqa.msa import Criteria, ReadSettings, run_msa
    from pilotqa.msa.report import write_outputs
    from pilotqa.report.outputs import output_stem, parse_formats

    if tolerance is not None and (lsl is not None or usl is not None):
        raise InputError("give either --tolerance or --lsl/--usl, not both")
    if (lsl is None) != (usl is None) and tolerance is None:
        raise InputError("--lsl and --usl go together (or give --tolerance)")
    if lsl is not None and usl is not None and usl <= lsl:
        raise InputError(f"--usl {usl:g} must be above --lsl {lsl:g}")
    if grr_reject < grr_accept:
        raise InputError("--grr-reject must not be below --grr-accept")
    fmts = parse_formats(formats)
    criteria = Criteria(study_var=study_var, pool_alpha=pool_alpha, confidence=confidence,
                        grr_accept=grr_accept, grr_reject=grr_reject, ndc_min=ndc_min,
                        basis=basis,  # type: ignore[arg-type]
                        type1_percent=type1_percent, type1_spread=type1_spread, cg_min=cg_min,
                        cgk_min=cg_min)
    settings = ReadSettings(tolerance=tolerance, lsl=lsl, usl=usl, reference=reference,
                            sheet=sheet, type1=method == "type1")
    doc = run_msa(inputs, settings, method, criteria)  # type: ignore[arg-type]
    stem = output_stem(inputs)
    out = out_dir if out_dir is not None else Path("reports") / stem
    written = write_outputs(doc, out, stem, fmts, force=force, inputs=inputs)
    if not quiet:
        for c in doc["characteristics"]:
            if c["method"] == "type1":
                cg = c["cg"]
                cgk = c["cgk"]
                detail = (f"Cg {cg:.2f}" if cg is not None else "Cg —") + ", " + \
                         (f"Cgk {cgk:.2f}" if cgk is not None else "Cgk —")
            else:
                detail = (f"%GRR {_pct(c['pct_tolerance']['grr'])} of tolerance, "
                          f"{_pct(c['pct_study_var']['grr'])} of study variation, ndc "
                          f"{c['ndc'] if c['ndc'] is not None else '—'}")
            click.echo(f"{c['feature']}: {c['method']}: {detail} -> {c['verdict']}")
    for p in written:
        click.echo(f"wrote {p}")
