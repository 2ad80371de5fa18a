"""XLSX summary workbook: sheets, frozen headers, filters, numeric cells, formula injection."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pilotqa.report.outputs import written_by_pilotqa
from pilotqa.report.xlsx import CALCULATOR_SHEET, SHEETS, write_xlsx
from pilotqa.results import OutOfSpec
from tests.report_fixtures import (FORMULAS, INJECTION, SAMPLE_WIDE, make_result,
                                   pipeline_result, with_feature)


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
    feats = {fr.feature: fr for fr in res.features}
    assert sorted(r[col["Characteristic"]] for r in rows) == sorted(feats)
    classes = [r[col["Class"]] for r in rows]
    assert classes == sorted(classes, key=["critical", "major", "minor"].index)
    for r in rows:
        fs, ev = feats[r[col["Characteristic"]]].stats, feats[r[col["Characteristic"]]].decision.evidence
        assert isinstance(r[col["n"]], int) and r[col["n"]] == fs.n
        assert isinstance(r[col["Mean"]], float) and r[col["Mean"]] == pytest.approx(fs.mean)
        assert r[col["Ppk"]] == pytest.approx(ev.ppk)  # the Ppk the decision used
        assert r[col["Ppk lower (95 %)"]] == pytest.approx(ev.ppk_lower)
        assert r[col["Decision basis"]] == ev.decision_basis
        if ev.decision_basis == "normal":
            assert fs.ppk_ci is not None
            assert r[col["Ppk"]] == pytest.approx(fs.ppk)
            assert r[col["Ppk lower (95 %)"]] == pytest.approx(fs.ppk_ci[0])
        if fs.lsl is None:
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
                "capability_model.params.scale", "decision.verdict", "class", "class_source",
                "decision.evidence.ppk_lower",
                "capability_model.percentiles.x50", "stability.rules"):
        assert key in head, key
    assert not [k for k in head if k.startswith(("series", "notes"))]
    rows = list(st.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 12
    i = head.index("normality.ad_p_value")
    assert all(isinstance(r[i], float) for r in rows)
    by_name = {r[1]: r for r in rows}
    for fr in res.features:
        r = by_name[fr.feature]
        assert r[head.index("n")] == fr.stats.n
        assert r[head.index("cpk_ci.lower")] == pytest.approx(fr.stats.cpk_ci[0])
        assert r[head.index("stability.violations.count")] == len(fr.stats.stability.violations)
        assert r[head.index("decision.verdict")] == fr.verdict
        assert r[head.index("class")] == fr.class_
    pl = wb["Inspection plan"]
    ph = _header(pl)
    prow = {r[1]: r for r in pl.iter_rows(min_row=2, values_only=True)}
    assert len(prow) == 12
    for fr in res.features:
        r = prow[fr.feature]
        plan = fr.decision.plan
        if fr.verdict == "keep_100":
            assert r[ph.index("Inspection")] == "100 %"
            assert r[ph.index("Sample size per lot")] is None
        else:
            assert r[ph.index("Inspection")] == "sampling"
            assert r[ph.index("Sample size per lot")] == plan.sample_size
            assert r[ph.index("Acceptance rule")] == plan.rule_text
            assert r[ph.index("AQL %")] == plan.aql
        assert r[ph.index("Reasons")] == "; ".join(fr.decision.reasons)
    lots = wb["Lots"]
    assert _header(lots) == ["#", "Characteristic", "Lot", "n", "Mean", "Std. dev.", "Pp", "Ppk",
                             "First part (sequence)"]
    assert len(list(lots.iter_rows(min_row=2))) == 12 * 3
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["part number"] == "HSG-4711" and cover["supplier"] == "Example Precision GmbH"
    assert cover["input file 1"] == "sample_data/housing_pilot_long.csv"
    assert cover["input file 1 SHA-256"] == "ab" * 32
    assert cover["policy: Ppk lower bound required, critical"] == "1.67"
    assert any(k.startswith("glossary: ") for k in cover)


def _hostile(tmp_path: Path) -> tuple[Path, object]:
    names = list(FORMULAS) + [INJECTION, "bad\x01char"]
    res = make_result(len(names), names=names, lots=["=L1", "+L2", "@L3"], unit="=mm",
                      metadata={"part_number": "=cmd|' /C calc'!A0", "revision": "-1+1",
                                "description": "@SUM(1,1)", "supplier": "\t=1"},
                      files=[{"path": "=evil.xlsx", "sha256": "0" * 64, "format": "xlsx"}])
    for i, fr in enumerate(res.features):
        dec = dataclasses.replace(fr.decision, reasons=fr.decision.reasons + ("+reason",))
        res = with_feature(res, i, notes=fr.stats.notes + ("=1+2",), decision=dec)
    res.inspection.notes.append("-note")
    path = tmp_path / "hostile.xlsx"
    write_xlsx(res, path)
    return path, res


def test_formula_injection_is_stored_as_text(tmp_path: Path) -> None:
    path, _ = _hostile(tmp_path)
    # 1. the file itself: no <f> (formula) element in any sheet
    # (the Form 2 calculator sheet is the one place with formulas: built from numbers and its own
    # input cells only, see test_form2_calculator_formulas_are_safe)
    wb = openpyxl.load_workbook(path)
    calc_index = wb.sheetnames.index(CALCULATOR_SHEET) + 1 if CALCULATOR_SHEET in wb.sheetnames else None
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml") and name != f"xl/worksheets/sheet{calc_index}.xml":
                assert not re.search(rb"<f[ >]", z.read(name)), name
    # 2. reopened with openpyxl: no formula cell; risky strings are text with quotePrefix
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f" or ws.title == CALCULATOR_SHEET, (ws.title, c.coordinate, c.value)
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
    assert len(rows) == len(res.features) == 12
    head = _header(wb["Summary"])
    feats = {fr.feature: fr for fr in res.features}
    for r in rows:
        fr = feats[r[1]]
        ppk, lo = r[head.index("Ppk")], r[head.index("Ppk lower (95 %)")]
        ev = fr.decision.evidence
        # the summary shows the Ppk and bound the decision used (a fitted model's for non-normal)
        assert r[head.index("Decision basis")] == ev.decision_basis
        assert (ppk is None and ev.ppk is None) or ppk == pytest.approx(ev.ppk)
        assert (lo is None and ev.ppk_lower is None) or lo == pytest.approx(ev.ppk_lower)
        if ev.decision_basis == "normal":
            assert ppk == pytest.approx(fr.stats.ppk)
    plan = list(wb["Inspection plan"].iter_rows(min_row=2, values_only=True))
    assert len(plan) == 12 and all(r[4] in ("100 %", "sampling") for r in plan)
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["part number"] == "HSG-4711"


# ---------------------------------------------------------------- Cover first, Readings, Findings
def test_cover_is_the_first_sheet(book) -> None:  # type: ignore[no-untyped-def]
    path, _ = book
    names = openpyxl.load_workbook(path).sheetnames
    assert names[0] == "Cover" and names == list(SHEETS)
    assert {"Readings", "Findings"} <= set(names)


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    res = pipeline_result(SAMPLE_WIDE)
    path = tmp_path_factory.mktemp("xlsx") / "sample.xlsx"
    write_xlsx(res, path)
    return openpyxl.load_workbook(path), res


def test_readings_sheet_one_row_per_part(sample_book) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from pilotqa.report.text import ordered_features

    wb, res = sample_book
    ws = wb["Readings"]
    head = _header(ws)
    names = [res.features[i].feature for i in ordered_features(res.features)]
    assert head == ["Serial", "Lot", "Timestamp"] + names
    rows = list(ws.iter_rows(min_row=2))
    m = res.inspection.measurements
    assert len(rows) == res.inspection.n_parts == m["part_id"].n_unique()
    serials = [r[0].value for r in rows]
    first_seq = dict(m.group_by("part_id").agg(m["sequence"].min()).iter_rows())
    assert [first_seq[s] for s in serials] == sorted(first_seq[s] for s in serials)
    expected = {(p, f): v for p, f, v in m.select("part_id", "feature", "value").iter_rows()}
    bad = {(o.part_id, fr.feature) for fr in res.features for o in fr.stats.out_of_spec}
    assert len(bad) >= 3  # the sample has out-of-tolerance parts to mark
    marked = set()
    for r in rows:
        assert isinstance(r[2].value, datetime)
        for j, name in enumerate(names, start=3):
            assert r[j].value == pytest.approx(expected[(r[0].value, name)])
            if r[j].fill.fill_type:
                assert r[j].fill.fgColor.rgb.endswith("FBE4E2")
                marked.add((r[0].value, name))
    assert marked == bad


def test_findings_sheet_names_serials_and_points(sample_book) -> None:  # type: ignore[no-untyped-def]
    wb, res = sample_book
    ws = wb["Findings"]
    head = _header(ws)
    col = {h: i for i, h in enumerate(head)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    for fr in res.features:
        mine = [r for r in rows if r[col["Characteristic"]] == fr.feature]
        oos = [r for r in mine if r[col["Finding"]] == "out of tolerance"]
        sig = [r for r in mine if r[col["Finding"]] == "run-rule signal"]
        assert [(r[col["Serial"]], r[col["Lot"]]) for r in oos] == [
            (o.part_id, o.lot) for o in fr.stats.out_of_spec]
        ids = list(fr.stats.series.part_id)
        for r, o in zip(oos, fr.stats.out_of_spec):
            assert r[col["Point"]] == ids.index(o.part_id) + 1
            assert r[col["Value"]] == pytest.approx(o.value) and r[col["Limit"]] == o.limit
        viol = fr.stats.stability.violations if fr.stats.stability else ()
        assert sorted((r[col["Point"]], r[col["Serial"]], r[col["Rule"]]) for r in sig) == sorted(
            (v.point, v.part_id, v.rule) for v in viol)
    assert any(r[col["Finding"]] == "out of tolerance" for r in rows)


def test_statistics_sheet_has_no_stray_columns(sample_book) -> None:  # type: ignore[no-untyped-def]
    wb, res = sample_book
    ws = wb["Statistics"]
    head = _header(ws)
    keys = head[2:]
    assert len(set(keys)) == len(keys)
    for k in keys:
        assert not any(o.startswith(k + ".") for o in keys), k  # no bare key beside its parts
        assert not k.endswith(("notes", "subgroup_sizes")), k
    assert "decision.evidence.class" not in keys  # duplicate of "class"
    assert "decision.parts_needed.reachable" in keys
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    for j, k in enumerate(head):
        assert any(r[j] not in (None, "") for r in rows), k  # no empty column
    by_name = {r[1]: r for r in rows}
    for fr in res.features:  # Cpm only with two limits
        cpm = by_name[fr.feature][head.index("cpm")]
        assert (cpm is None) == (fr.stats.lsl is None or fr.stats.usl is None
                                 or fr.stats.cpm is None)


def test_hostile_serials_stay_text_in_readings_and_findings(tmp_path: Path) -> None:
    res = make_result(3, serial_prefix="=1+")
    fs = res.features[0].stats
    oos = (OutOfSpec(part_id="=1+0005", lot="@L", value=fs.usl, limit=fs.usl, side="upper"),)
    res = with_feature(res, 0, out_of_spec=oos)
    path = tmp_path / "h.xlsx"
    write_xlsx(res, path)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", z.read(name)), name
    wb = openpyxl.load_workbook(path)
    for sheet in ("Readings", "Findings"):
        cells = [c for row in wb[sheet].iter_rows(min_row=2) for c in row
                 if isinstance(c.value, str) and c.value.startswith("=1+")]
        assert cells, sheet
        assert all(c.data_type == "s" and c.quotePrefix for c in cells), sheet


_SAFE_FORMULA = re.compile(r'^=[A-Z0-9_.()+\-*/<>=,"$ e]*$')  # upper-case names, numbers (1e-05), refs


def test_form2_calculator_formulas_are_safe(tmp_path: Path) -> None:
    """Issue 13: one calculator row per characteristic with a Form 2 plan; its formulas refer only
    to the row's own input cells (H, I) and hold only numbers, function names and the words
    accept/reject — never text from the export."""
    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.settings import Settings

    from .conftest import SAMPLE

    res = analyze(read([SAMPLE / "housing_pilot_wide.xlsx"]), Settings(lot_size=500))
    path = tmp_path / "w.xlsx"
    write_xlsx(res, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[CALCULATOR_SHEET]
    form2 = [fr.feature for fr in res.features
             if fr.decision.plan is not None and fr.decision.plan.form == 2]
    rows = [r for r in ws.iter_rows(min_row=2) if r[0].value in form2]
    assert sorted(r[0].value for r in rows) == sorted(form2) and form2
    for r in rows:
        n = r[0].row
        for c in r[9:15]:
            bare = c.value.replace("_xlfn.", "").replace('"accept"', "").replace('"reject"', "")
            assert c.data_type == "f" and _SAFE_FORMULA.match(bare), c.value
            refs = set(re.findall(r"\b([A-Z]{1,3})([0-9]+)\b", c.value.replace("_xlfn.BETA.DIST", "")))
            assert refs <= {("H", str(n)), ("I", str(n))}, (c.coordinate, refs)


@pytest.mark.slow
def test_form2_calculator_computes_the_standards_estimate(tmp_path: Path) -> None:
    """LibreOffice recalculates the calculator with a sample's mean and s entered: the estimated
    percents nonconforming and the decision equal pilotqa.decide.tables.form2_estimate."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    from pilotqa.analysis import analyze
    from pilotqa.decide.tables import form2_estimate
    from pilotqa.read import read
    from pilotqa.settings import Settings

    from .conftest import SAMPLE

    res = analyze(read([SAMPLE / "housing_pilot_wide.xlsx"]), Settings(lot_size=500))
    path = tmp_path / "w.xlsx"
    write_xlsx(res, path)
    wb = openpyxl.load_workbook(path)
    for name in list(wb.sheetnames):
        if name != CALCULATOR_SHEET:
            wb.remove(wb[name])
    ws = wb[CALCULATOR_SHEET]
    entered = {}
    for r in ws.iter_rows(min_row=2):
        fr = next((f for f in res.features if f.feature == r[0].value), None)
        if fr is None or fr.stats.mean is None or fr.stats.sigma_overall is None:
            continue
        mean, s = fr.stats.mean, fr.stats.sigma_overall * 1.3  # a worse lot than the pilot
        r[7].value, r[8].value = mean, s
        entered[fr.feature] = (fr, mean, s)
    src = tmp_path / "calc.xlsx"
    wb.save(src)
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path),
                           str(src)],  # 76 = UTF-8
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    import csv

    with open(tmp_path / "calc.csv", encoding="utf-8", newline="") as fh:
        got = {row[0]: row for row in csv.reader(fh) if row and row[0] in entered}
    assert set(got) == set(entered)
    for feat, (fr, mean, s) in entered.items():
        plan = fr.decision.plan
        want = form2_estimate(dataclasses.asdict(plan), mean, s, fr.stats.lsl, fr.stats.usl)
        row = got[feat]
        assert float(row[11]) == pytest.approx(want["p_lower"], abs=5e-4)
        assert float(row[12]) == pytest.approx(want["p_upper"], abs=5e-4)
        assert row[14] == ("accept" if want["accept"] else "reject")
