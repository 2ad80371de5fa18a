"""XLSX summary workbook: sheets, frozen headers, filters, numeric cells, formula injection."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pilotqa.report.outputs import written_by_pilotqa
from pilotqa.report.xlsx import SHEETS, write_xlsx
from tests.report_fixtures import (FORMULAS, INJECTION, SAMPLE_WIDE, make_result,
                                   pipeline_result)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    res = make_result(12)
    path = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    write_xlsx(res, path)
    return path, res


def _header(ws) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.value for c in ws[1]]


def test_sheets_frozen_headers_and_filters(book) -> None:  # type: ignore[no-untyped-def]
    path, _ = book
    wb = openpyxl.load_workbook(path)
    assert tuple(wb.sheetnames) == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
        assert ws.column_dimensions["B"].width and ws.column_dimensions["B"].width >= 8
    assert written_by_pilotqa(path)  # creator "pilotqa": outputs may replace it later


def test_summary_rows_and_numbers_are_numeric(book) -> None:  # type: ignore[no-untyped-def]
    path, res = book
    ws = openpyxl.load_workbook(path)["Summary"]
    head = _header(ws)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 12
    col = {h: i for i, h in enumerate(head)}
    docs = {d["feature"]: d for d in res.document["features"]}
    assert sorted(r[col["Characteristic"]] for r in rows) == sorted(docs)
    classes = [r[col["Class"]] for r in rows]
    assert classes == sorted(classes, key=["critical", "major", "minor"].index)
    for r in rows:
        d = docs[r[col["Characteristic"]]]
        assert isinstance(r[col["n"]], int) and r[col["n"]] == d["n"]
        assert isinstance(r[col["Mean"]], float) and r[col["Mean"]] == pytest.approx(d["mean"])
        assert r[col["Ppk"]] == pytest.approx(d["ppk"])
        assert r[col["Ppk lower (95 %)"]] == pytest.approx(d["ppk_ci"][0])
        if d["lsl"] is None:
            assert r[col["LSL"]] is None  # a null stays an empty cell, never text or 0
    wb = openpyxl.load_workbook(path)
    assert wb["Summary"].cell(row=2, column=col["Ppk"] + 1).number_format == "0.00"
    assert wb["Summary"].cell(row=2, column=col["Mean"] + 1).number_format.startswith("0.000")


def test_statistics_and_plan_sheets(book) -> None:  # type: ignore[no-untyped-def]
    path, res = book
    wb = openpyxl.load_workbook(path)
    st = wb["Statistics"]
    head = _header(st)
    for key in ("cpk", "cpk_ci.lower", "cpk_ci.upper", "normality.ad_p_value",
                "stability.violations.count", "drift.slope", "lots.anova_p",
                "capability_model.params.scale", "decision.verdict"):
        assert key in head, key
    rows = list(st.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 12
    i = head.index("normality.ad_p_value")
    assert all(isinstance(r[i], float) for r in rows)
    pl = wb["Inspection plan"]
    ph = _header(pl)
    prow = {r[1]: r for r in pl.iter_rows(min_row=2, values_only=True)}
    assert len(prow) == 12
    for d in res.document["features"]:
        r = prow[d["feature"]]
        plan = d["decision"]["plan"]
        if d["decision"]["verdict"] == "keep_100":
            assert r[ph.index("Inspection")] == "100 %"
            assert r[ph.index("Sample size per lot")] is None
        else:
            assert r[ph.index("Inspection")] == "sampling"
            assert r[ph.index("Sample size per lot")] == plan["sample_size"]
            assert r[ph.index("Acceptance rule")] == plan["rule_text"]
    lots = wb["Lots"]
    assert len(list(lots.iter_rows(min_row=2))) == 12 * 3
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["part number"] == "HSG-4711" and cover["supplier"] == "Example Precision GmbH"
    assert cover["input file 1"] == "sample_data/housing_pilot_long.csv"
    assert cover["input file 1 SHA-256"] == "ab" * 32
    assert any(k.startswith("policy ") for k in cover)


def _hostile(tmp_path: Path) -> tuple[Path, object]:
    names = list(FORMULAS) + [INJECTION, "bad\x01char"]
    res = make_result(len(names), names=names, lots=["=L1", "+L2", "@L3"],
                      metadata={"part_number": "=cmd|' /C calc'!A0", "revision": "-1+1",
                                "description": "@SUM(1,1)", "supplier": "\t=1"},
                      files=[{"path": "=evil.xlsx", "sha256": "0" * 64, "format": "xlsx"}])
    for f in res.document["features"]:
        f["unit"] = "=mm"
        f["notes"].append("=1+2")
        f["decision"]["reasons"].append("+reason")
    res.document["input"]["notes"].append("-note")
    path = tmp_path / "hostile.xlsx"
    write_xlsx(res, path)
    return path, res


def test_formula_injection_is_stored_as_text(tmp_path: Path) -> None:
    path, _ = _hostile(tmp_path)
    # 1. the file itself: no <f> (formula) element in any sheet
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", z.read(name)), name
    # 2. reopened with openpyxl: no formula cell; risky strings are text with quotePrefix
    wb = openpyxl.load_workbook(path)
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r\n":
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
                    seen.add(c.value.strip())
    for payload in ("=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(1,1)", "=cmd|' /C calc'!A0", "=mm",
                    "=evil.xlsx", "=L1"):
        assert any(payload in v for v in seen), payload
    names = [r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)]
    assert "=1+1" in names and INJECTION in names
    assert "bad\ufffdchar" in names  # XML-illegal control character replaced, no crash


@pytest.mark.slow
def test_libreoffice_shows_injection_literally(tmp_path: Path) -> None:
    """LibreOffice (when installed) converts the Summary sheet to CSV: the payloads come out as
    the literal text, not as computed values (``=1+1`` would give ``2``)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    path, _ = _hostile(tmp_path)
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=180)
    csv_path = tmp_path / "hostile.csv"
    assert csv_path.exists(), proc.stderr
    text = csv_path.read_text(encoding="utf-8", errors="replace")
    assert "=1+1" in text and "+SUM(A1:A2)" in text and "-2+3" in text and "@SUM(1,1)" in text


def test_workbook_of_the_sample_pipeline(tmp_path: Path) -> None:
    res = pipeline_result(SAMPLE_WIDE)
    path = tmp_path / "sample.xlsx"
    write_xlsx(res, path)
    wb = openpyxl.load_workbook(path)
    rows = list(wb["Summary"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(res.document["features"]) == 12
    head = _header(wb["Summary"])
    docs = {d["feature"]: d for d in res.document["features"]}
    for r in rows:
        d = docs[r[1]]
        ppk, lo = r[head.index("Ppk")], r[head.index("Ppk lower (95 %)")]
        ev = d["decision"]["evidence"]
        # the summary shows the Ppk and bound the decision used (a fitted model's for non-normal)
        assert r[head.index("Decision basis")] == ev["decision_basis"]
        assert (ppk is None and ev["ppk"] is None) or ppk == pytest.approx(ev["ppk"])
        assert (lo is None and ev["ppk_lower"] is None) or lo == pytest.approx(ev["ppk_lower"])
        if ev["decision_basis"] == "normal":
            assert ppk == pytest.approx(d["ppk"])
    plan = list(wb["Inspection plan"].iter_rows(min_row=2, values_only=True))
    assert len(plan) == 12 and all(r[4] in ("100 %", "sampling") for r in plan)
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["part number"] == "HSG-4711"
