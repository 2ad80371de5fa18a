"""The HTML summary table and the XLSX Summary sheet say the same thing, and what the decision
concluded.

Both are built from :func:`pilotqa.report.summary.summary_row`; these tests check the written
files (the HTML parsed, the workbook reopened), so a writer that formats a row differently, or
reads another field, is caught. Before the summary row was shared, the HTML compared booleans by
identity and repeated "signals (chance)" in the Drift and Lot cells whenever the Stable cell
said it (8 of the 12 rows of the bundled sample).
"""
from __future__ import annotations

import functools
from pathlib import Path

import openpyxl
import pytest

from pilotqa.analysis import AnalysisResult, analyze
from pilotqa.read import read
from pilotqa.report.html import write_html
from pilotqa.report.summary import PARTS_HEADING, PPAP_HEADING, summary_row
from pilotqa.report.xlsx import write_xlsx
from pilotqa.results import Evidence
from pilotqa.settings import Settings
from tests.golden.make_golden import FIXED_TIME, sample_inputs
from tests.report_fixtures import make_result, parse_report

#: (HTML heading, XLSX heading) of the evidence flag columns.
FLAG_COLUMNS = (("Stable", "Stable"), ("Drift", "Drift"), ("Lots", "Lot effect"))
#: XLSX fill colours of the flag statuses (no fill for "signals (chance)" and undefined).
FILLS = {"ok": "E3F4E8", "bad": "FBE4E2"}


@functools.lru_cache(maxsize=None)
def _analysis(path: Path) -> AnalysisResult:
    return analyze(read([path]), Settings(lot_size=500), generated_at=FIXED_TIME)


def _expected(ev: Evidence) -> tuple[str, str, str]:
    """The three cells as the decision's evidence says they must read ("—" = not judged)."""
    if ev.stable is None:
        stable = "—"
    elif ev.stable:
        stable = "ok"
    else:
        stable = "signals (chance)" if ev.stability_accepted else "unstable"
    drift = {None: "—", True: "drift", False: "ok"}[ev.drift_significant]
    lot = {None: "—", True: "lot effect", False: "ok"}[ev.lot_effect_significant]
    return stable, drift, lot


def _html_flags(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Feature -> [(text, css class)] of the flag cells of the written HTML summary."""
    p = parse_report(path.read_text(encoding="utf-8"))
    cols = [p.summary_head.index(h) for h, _ in FLAG_COLUMNS]
    name = p.summary_head.index("Characteristic")
    return {row[name]: [(row[c], classes[c]) for c in cols]
            for row, classes in zip(p.summary_rows, p.summary_classes)}


def _xlsx_flags(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Feature -> [(text, fill colour)] of the flag cells of the written Summary sheet."""
    ws = openpyxl.load_workbook(path)["Summary"]
    head = [c.value for c in ws[1]]
    cols = [head.index(x) for _, x in FLAG_COLUMNS]
    name = head.index("Characteristic")
    out: dict[str, list[tuple[str, str | None]]] = {}
    for row in ws.iter_rows(min_row=2):
        fills = [row[c].fill.fgColor.rgb if row[c].fill.fill_type else None for c in cols]
        out[str(row[name].value)] = [
            ("—" if row[c].value is None else str(row[c].value),
             f[-6:] if isinstance(f, str) else None) for c, f in zip(cols, fills)]
    return out


def _check(result: AnalysisResult, tmp_path: Path) -> list[tuple[str, str, str]]:
    write_html(result, tmp_path / "r.html")
    write_xlsx(result, tmp_path / "r.xlsx")
    html, xlsx = _html_flags(tmp_path / "r.html"), _xlsx_flags(tmp_path / "r.xlsx")
    assert sorted(html) == sorted(xlsx) == sorted(fr.feature for fr in result.features)
    seen = []
    for fr in result.features:
        h, x = html[fr.feature], xlsx[fr.feature]
        expected = _expected(fr.decision.evidence)
        assert [t for t, _ in h] == [t for t, _ in x] == list(expected), fr.feature
        for (text, cls), (_, fill) in zip(h, x):
            status = {"signals (chance)": "warn", "—": "na", "ok": "ok"}.get(text, "bad")
            assert cls == status, (fr.feature, text, cls)
            assert fill == FILLS.get(status), (fr.feature, text, fill)
        seen.append(expected)
    return seen


@pytest.mark.parametrize("path", sample_inputs(), ids=lambda p: p.name)
def test_html_and_xlsx_summaries_agree_with_the_evidence(path: Path, tmp_path: Path) -> None:
    seen = _check(_analysis(path), tmp_path)
    # the samples exercise the case that went wrong: signals judged chance, no drift
    assert ("signals (chance)", "ok", "ok") in seen


def test_summaries_agree_on_every_flag_state(tmp_path: Path) -> None:
    """A generated pilot with a planted drift and lot shift: ok, bad, chance signals."""
    seen = _check(make_result(12), tmp_path)
    texts = {t for row in seen for t in row}
    assert {"ok", "unstable", "signals (chance)", "drift", "lot effect"} <= texts


def test_summary_row_shows_the_decisions_ppk() -> None:
    res = _analysis(sample_inputs()[0])
    for i, fr in enumerate(res.features):
        row = summary_row(fr, i + 1)
        ev = fr.decision.evidence
        assert (row.ppk, row.ppk_lower, row.required) == (ev.ppk, ev.ppk_lower, ev.required)
        assert row.percentile == (ev.decision_basis == "percentile")
        assert row.number == i + 1 and row.feature == fr.feature and row.class_ == fr.class_


# ---------------------------------------------------------------- PPAP and parts-needed columns
def _expected_extra(fr) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(PPAP cell, parts-needed cell) as the decision says they must read."""
    ev, pn = fr.decision.evidence, fr.decision.parts_needed
    ppap = "—" if ev.ppk is None or ev.p_upper is not None else (
        "yes" if ev.ppk >= ev.required else "no")
    if pn is None:
        parts = "—"
    elif not pn.reachable:
        parts = "not reachable"
    else:
        unit = "" if pn.unit == "parts" else f" subgroups of {pn.subgroup_size}"
        parts = f"{pn.total}{unit} ({pn.additional} more)"
    return ppap, parts


def _extra_cells(result: AnalysisResult, tmp_path: Path) -> tuple[dict, dict]:  # type: ignore[type-arg]
    write_html(result, tmp_path / "e.html")
    write_xlsx(result, tmp_path / "e.xlsx")
    p = parse_report((tmp_path / "e.html").read_text(encoding="utf-8"))
    cols = [p.summary_head.index(PPAP_HEADING), p.summary_head.index(PARTS_HEADING)]
    name = p.summary_head.index("Characteristic")
    html = {r[name]: tuple(r[c] for c in cols) for r in p.summary_rows}
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx")["Summary"]
    head = [c.value for c in ws[1]]
    xc = [head.index(PPAP_HEADING), head.index(PARTS_HEADING)]
    xlsx = {str(r[head.index("Characteristic")]): tuple("—" if r[c] is None else str(r[c])
                                                        for c in xc)
            for r in ws.iter_rows(min_row=2, values_only=True)}
    return html, xlsx


@pytest.mark.parametrize("path", sample_inputs(), ids=lambda p: p.name)
def test_ppap_and_parts_needed_columns_agree(path: Path, tmp_path: Path) -> None:
    result = _analysis(path)
    html, xlsx = _extra_cells(result, tmp_path)
    assert html == xlsx
    for fr in result.features:
        assert html[fr.feature] == _expected_extra(fr), fr.feature
        if fr.verdict == "keep_100" and fr.decision.parts_needed is not None:
            assert html[fr.feature][1] != "—"


def test_ppap_column_differs_from_the_bound_where_it_should(tmp_path: Path) -> None:
    """The point estimate can meet the requirement while the bound does not: the PPAP column
    says yes where the decision keeps the characteristic (the reason for the column)."""
    seen = set()
    for path in sample_inputs():
        result = _analysis(path)
        html, _ = _extra_cells(result, tmp_path)
        for fr in result.features:
            ev = fr.decision.evidence
            if ev.ppk is not None and ev.ppk_lower is not None and ev.p_upper is None:
                seen.add((html[fr.feature][0], ev.ppk_lower >= ev.required))
    assert ("yes", False) in seen and ("yes", True) in seen and ("no", False) in seen
