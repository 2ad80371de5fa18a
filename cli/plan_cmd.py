"""``pilotqa plan`` (sampling-table look-up) and ``pilotqa policy`` (show / check the policy).

Only option parsing and rendering live here; the tables and the policy are in
:mod:`pilotqa.decide`. Library errors (:class:`pilotqa.errors.PilotqaError`) become
``pilotqa: error: <message>`` on stderr and exit code 2 (:func:`pilotqa_cli.errors.handle_errors`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .errors import handle_errors

__all__ = ["plan", "policy"]

_LEVELS = ["S-1", "S-2", "S-3", "S-4", "I", "II", "III", "IV", "V"]


def _describe(p: dict[str, Any]) -> str:
    """Plan in words, a few lines."""
    lines: list[str] = []
    if p["method"] == "variables" and p.get("form") == 2:
        aqls = (f"AQL {p['aql']:g} % for both limits" if p.get("aql") is not None else
                f"AQL {p['aql_lower']:g} % (lower limit), {p['aql_upper']:g} % (upper limit)")
        lines.append(f"Variables plan, {p['standard']} standard-deviation method, double specification "
                     f"limit (Form 2), {p['severity']} inspection, level {p['level']}, {aqls}")
        lines.append(f"  lot size {p['lot_size']}: code letter {p['code_letter']}"
                     + (f" -> plan letter {p['plan_letter']} (arrow)" if p.get("arrow") else ""))
        if p.get("aql") is not None:
            lines.append(f"  sample size n = {p['sample_size']}, maximum allowable percent nonconforming "
                         f"M = {p['m']:.3g} % (estimated above + below)")
        else:
            lines.append(f"  sample size n = {p['sample_size']}, M_L = {p['m_lower']:.3g} %, M_U = "
                         f"{p['m_upper']:.3g} %, sum at most {p['m']:.3g} %")
    elif p["method"] == "variables":
        lines.append(f"Variables plan, {p['standard']} standard-deviation method (Form 1), "
                     f"{p['severity']} inspection, level {p['level']}, AQL {p['aql']:g} %")
        lines.append(f"  lot size {p['lot_size']}: code letter {p['code_letter']}"
                     + (f" -> plan letter {p['plan_letter']} (arrow)" if p.get("arrow") else ""))
        lines.append(f"  sample size n = {p['sample_size']}, acceptability constant k = {p['k']:g}"
                     + (f" (equivalent Form 2: M = {p['m']:.3g} %)" if p.get("m") is not None else ""))
    elif p["method"] == "attributes":
        lines.append(f"Attributes plan, {p['standard']}, single sampling, {p['severity']} inspection, "
                     f"level {p['level']}, AQL {p['aql']:g} %")
        lines.append(f"  lot size {p['lot_size']}: code letter {p['code_letter']}"
                     + (f" -> plan letter {p['plan_letter']} (arrow)" if p.get("arrow") else ""))
        lines.append(f"  sample size n = {p['sample_size']}, accept Ac = {p['accept']}, reject Re = {p['reject']}")
    else:
        lines.append(f"Zero-acceptance (c = 0) plan, {p['standard']}, AQL {p['aql']:g} %")
        lines.append(f"  lot size {p['lot_size']} (table row {p['lot_range']}): sample size n = "
                     f"{p['sample_size']}, accept 0, reject 1")
    if p.get("hundred_percent"):
        lines.append("  100 % inspection: the sample size reaches the lot size")
    lines.append("How to apply it: " + p["rule_text"])
    return "\n".join(lines)


@click.command()
@click.option("--lot-size", type=int, required=True, help="Lot (batch) size in parts (at least 2).")
@click.option("--aql", type=float, required=True, help="Acceptance quality limit, percent nonconforming (e.g. 0.65).")
@click.option("--level", default="II", show_default=True, type=click.Choice(_LEVELS, case_sensitive=False),
              help="Inspection level (Z1.4: S-1..S-4, I, II, III; Z1.9: S-3, S-4, I, II, III; "
                   "MIL-STD-414: I..V).")
@click.option("--method", default="attributes", show_default=True,
              type=click.Choice(["variables", "attributes", "c0"]),
              help="variables (ANSI/ASQ Z1.9 s-method), attributes (ANSI/ASQ Z1.4 single sampling) "
                   "or c0 (Squeglia zero-acceptance).")
@click.option("--severity", default="normal", show_default=True,
              type=click.Choice(["normal", "tightened", "reduced"]),
              help="Inspection severity (reduced: only the sample size is tabulated).")
@click.option("--standard", default="Z1.9", show_default=True, type=click.Choice(["Z1.9", "MIL-STD-414"]),
              help="Variables standard for --method variables.")
@click.option("--limits", default="single", show_default=True, type=click.Choice(["single", "double"]),
              help="Variables plans: single specification limit (Form 1, k) or double specification "
                   "limit (Form 2, M: estimated percent nonconforming above + below; implies "
                   "--method variables).")
@click.option("--aql-lower", type=float, default=None,
              help="--limits double: AQL of the lower limit when it differs (default --aql).")
@click.option("--aql-upper", type=float, default=None,
              help="--limits double: AQL of the upper limit when it differs (default --aql).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@handle_errors
def plan(lot_size: int, aql: float, level: str, method: str, severity: str, standard: str,
         limits: str, aql_lower: float | None, aql_upper: float | None, as_json: bool) -> None:
    """Look up a sampling plan in the standard tables and say how to apply it.

    Example: pilotqa plan --lot-size 1000 --aql 1.0        (Z1.4 level II: J, n = 80, Ac 2, Re 3)

    Example: pilotqa plan --lot-size 1000 --aql 0.65 --method variables --limits double
    (Z1.9 Form 2: J, n = 35, M = 1.87 %)
    """
    from pilotqa.decide import tables

    lv = level.upper()
    ctx = click.get_current_context()
    if limits == "double" and ctx.get_parameter_source("method") == click.core.ParameterSource.DEFAULT:
        method = "variables"  # a double-limit (Form 2) plan is a variables plan
    if method != "variables" and (limits != "single" or aql_lower is not None or aql_upper is not None):
        raise click.UsageError("--limits, --aql-lower and --aql-upper apply to --method variables only")
    if limits == "single" and (aql_lower is not None or aql_upper is not None):
        raise click.UsageError("--aql-lower/--aql-upper need --limits double")
    if method == "variables":
        p = tables.variables_plan(lot_size, aql, level=lv, severity=severity, standard=standard,
                                  limits=limits, aql_lower=aql_lower, aql_upper=aql_upper)
    elif method == "c0":
        p = tables.c0_plan(lot_size, aql)
    else:
        p = tables.attributes_plan(lot_size, aql, level=lv, severity=severity)
    if as_json:
        import json

        click.echo(json.dumps(p, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(_describe(p))


@click.command()
@click.option("--show", is_flag=True, help="Print the built-in policy as commented TOML.")
@click.option("--check", "check_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Validate a policy TOML file and print the effective policy.")
@handle_errors
def policy(show: bool, check_file: Path | None) -> None:
    """Show the decision policy or validate a policy file.

    Example: pilotqa policy --show > my_policy.toml
    """
    from pilotqa.decide.policy import load_policy, policy_toml_text

    if check_file is not None:
        pol = load_policy(str(check_file))
        click.echo(f"{check_file}: policy OK", err=True)
        click.echo(policy_toml_text(pol), nl=False)
        return
    if show:
        click.echo(policy_toml_text(), nl=False)
        return
    raise click.UsageError("give --show or --check FILE")
