"""``pilotqa msa``: outputs, schema-valid JSON, safe HTML/XLSX, exit codes and one-line errors."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pilotqa.msa import ReadSettings, run_msa
from pilotqa.msa.document import schema_path
from pilotqa_cli.main import cli

DATA = Path(__file__).resolve().parent / "data" / "msa"
AIAG = DATA / "aiag4_grr_long.csv"


def _validate(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, json.loads(schema_path().read_text(encoding="utf-8")))


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["msa", *args], catch_exceptions=False)


def test_msa_writes_json_html_xlsx(tmp_path: Path) -> None:
    res = _run(str(AIAG), "--tolerance", "8", "--out", str(tmp_path), "-q")
    assert res.exit_code == 0, res.output
    stem = tmp_path / "aiag4_grr_long.msa"
    doc = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
    _validate(doc)
    [c] = doc["characteristics"]
    assert c["method"] == "anova" and c["interaction"] is None and c["ndc"] == 4
    assert c["pct_tolerance"]["grr"] == pytest.approx(100 * 6 * c["grr"] / 8, rel=1e-12)
    assert c["verdict"] == "not_acceptable"  # 22.7 % of T is conditional, but ndc 4 < 5
    assert doc["settings"]["criteria"]["study_var"] == 6.0
    assert doc["settings"]["overrides"] == {"tolerance": 8.0}
    html = Path(f"{stem}.html").read_text(encoding="utf-8")
    assert '<meta name="generator" content="pilotqa' in html
    assert html.count('class="fig grr"') == 1
    assert "Components of variation" in html and "Appraiser × part interaction" in html
    from pilotqa.msa.report import _plotly_js

    assert html.count(str(_plotly_js())) == 1  # plotly.js inlined once …
    page = html.replace(str(_plotly_js()), "")
    assert "<script src" not in page and "http" not in page.replace(  # … nothing loaded
        "http-equiv", "")
    assert "default-src 'none'" in page
    wb = load_workbook(f"{stem}.xlsx")
    assert wb.sheetnames == ["Summary", "Components", "ANOVA", "Type 1", "Data", "Cover"]
    assert wb.properties.creator == "pilotqa"
    assert wb["Data"].max_row == 91


def test_range_method_and_study_var(tmp_path: Path) -> None:
    res = _run(str(AIAG), "--method", "range", "--study-var", "5.15", "--lsl", "-4",
               "--usl", "4", "--format", "json", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "aiag4_grr_long: range: %GRR" in res.output and "ndc 5" in res.output
    doc = json.loads((tmp_path / "aiag4_grr_long.msa.json").read_text(encoding="utf-8"))
    _validate(doc)
    [c] = doc["characteristics"]
    assert c["method"] == "range" and c["anova"] is None and c["interaction"] is None
    assert doc["settings"]["criteria"]["study_var"] == 5.15
    assert c["study_variation"]["grr"] == pytest.approx(5.15 * c["grr"], rel=1e-12)
    assert c["pct_tolerance"]["grr"] == pytest.approx(100 * 5.15 * c["grr"] / 8, rel=1e-12)


def test_type1_from_the_command_line(tmp_path: Path) -> None:
    f = tmp_path / "t1.csv"
    f.write_text("value\n" + "\n".join(f"{10 + 0.001 * ((i * 7) % 5 - 2):.3f}"
                                         for i in range(30)) + "\n", encoding="utf-8")
    res = _run(str(f), "--method", "type1", "--reference", "10", "--tolerance", "0.1",
               "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "o" / "t1.msa.json").read_text(encoding="utf-8"))
    _validate(doc)
    [c] = doc["characteristics"]
    assert c["method"] == "type1" and c["reference"] == 10.0 and c["verdict"] == "acceptable"
    assert "Cg " in res.output and "-> acceptable" in res.output
    html = (tmp_path / "o" / "t1.msa.html").read_text(encoding="utf-8")
    assert 'class="fig type1"' in html


def test_qdas_folder_document_is_valid(shared_dir: Path) -> None:
    gc = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "GC"
    doc = run_msa([gc / "FORD_EU1880", gc / "MSA_3_Edition", gc / "TEST_16M.DFQ"])
    _validate(doc)
    kinds = [c["method"] for c in doc["characteristics"]]
    assert kinds == ["type1", "anova", "anova", "anova", "anova", "anova", "anova", "anova"]
    assert any("K2202 = 42" in n for n in doc["input"]["notes"])  # FORD_4 skipped, said so
    assert all(len(f["sha256"]) == 64 for f in doc["input"]["files"])


def test_hostile_names_are_escaped_and_never_formulas(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x","<script>alert(1)</script>")'
    rows = list(csv.reader(AIAG.read_text(encoding="utf-8").splitlines()))
    f = tmp_path / "evil.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["feature", *rows[0]])
        for r in rows[1:]:
            w.writerow([evil, r[0], "@op" if r[1] == "A" else r[1], *r[2:]])
    res = _run(str(f), "--out", str(tmp_path / "o"), "-q")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "o" / "evil.msa.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    wb = load_workbook(tmp_path / "o" / "evil.msa.xlsx")
    cell = wb["Summary"]["A2"]
    assert cell.value == evil and cell.data_type == "s" and cell.quotePrefix
    data = wb["Data"]
    assert data["B2"].value == "@op" and data["B2"].data_type == "s" and data["B2"].quotePrefix
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


@pytest.mark.parametrize(("args", "message"), [
    (["--tolerance", "1", "--lsl", "0", "--usl", "1"], "give either --tolerance or --lsl/--usl"),
    (["--lsl", "1"], "--lsl and --usl go together"),
    (["--lsl", "2", "--usl", "1"], "--usl 1 must be above --lsl 2"),
    (["--format", "pdf"], "unknown output format 'pdf'"),
    (["--method", "type1"], "--method type1 was given, but the table has part/appraiser"),
])
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, ["msa", str(AIAG), "--out", str(tmp_path), *args])
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    line = [ln for ln in err.splitlines() if ln.strip()]
    assert len(line) == 1 and line[0].startswith("pilotqa: error: ") and message in line[0]


def test_unbalanced_input_exits_2_naming_the_row(tmp_path: Path) -> None:
    lines = AIAG.read_text(encoding="utf-8").splitlines()
    f = tmp_path / "gap.csv"
    f.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["msa", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "gap.csv, row 90: characteristic 'gap': appraiser 'C', part '10' has trials 1, 2" \
        in res.output


def test_outputs_are_not_overwritten_unless_ours_or_forced(tmp_path: Path) -> None:
    target = tmp_path / "aiag4_grr_long.msa.json"
    target.write_text('{"mine": true}', encoding="utf-8")
    res = CliRunner().invoke(cli, ["msa", str(AIAG), "--out", str(tmp_path), "--format", "json"])
    assert res.exit_code == 2 and "not written by pilotqa" in res.output
    assert _run(str(AIAG), "--out", str(tmp_path), "--format", "json", "--force").exit_code == 0
    assert _run(str(AIAG), "--out", str(tmp_path), "--format", "json").exit_code == 0  # ours now


def test_settings_reach_the_document() -> None:
    doc = run_msa([AIAG], ReadSettings(tolerance=2.0))
    [c] = doc["characteristics"]
    assert c["tolerance"] == 2.0 and c["verdict_basis"] == "tolerance"
    assert c["intervals"]["grr"][0] < c["grr"] < c["intervals"]["grr"][1]
