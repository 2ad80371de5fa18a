"""`pilotqa inspect` and `pilotqa analyze` on every real export in ../shared/real_exports/
(issue 6 acceptance): each is read, or refused with a message that says exactly why."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pilotqa_cli.main import cli


def _real(shared_dir: Path, name: str) -> Path:
    p = shared_dir / "real_exports" / name
    if not p.exists():
        pytest.skip(f"{p} is not there")
    return p


@pytest.mark.parametrize(
    "name",
    ["aqdefreader_testmeasures.dfq", "diribet_attributiveDfq.dfq", "diribet_basicDfq_threeParts.dfq"],
)
def test_inspect_reads_every_real_export(shared_dir: Path, name: str) -> None:
    r = CliRunner().invoke(cli, ["inspect", "--json", str(_real(shared_dir, name))])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["files"][0]["format"] == "aqdef"
    assert d["features"] or d["attribute_characteristics"]


def test_quirky_real_file_names_the_feature_without_limits(shared_dir: Path, tmp_path: Path,
                                                           validate_document: Any) -> None:
    f = _real(shared_dir, "aqdefreader_testmeasures.dfq")
    r = CliRunner().invoke(cli, ["analyze", str(f), "--out", str(tmp_path / "nospec"), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output  # analysed; the characteristic without limits is kept and named
    doc0 = json.loads((tmp_path / "nospec" / "aqdefreader_testmeasures.json").read_text(encoding="utf-8"))
    assert any("no specification" in n and "'Diameter before drill'" in n for n in doc0["input"]["notes"])
    d0 = next(x for x in doc0["features"] if x["feature"] == "Diameter before drill")
    assert d0["decision"]["verdict"] == "keep_100"
    spec = tmp_path / "spec.csv"
    spec.write_text("feature,nominal,lsl,usl\nDiameter before drill,250,200,300\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["analyze", str(f), "--spec", str(spec), "--out", str(tmp_path),
                                 "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "aqdefreader_testmeasures.json").read_text(encoding="utf-8"))
    validate_document(doc)
    assert {x["feature"] for x in doc["features"]} == {"Diameter", "Diameter before drill"}


def test_attribute_only_file_is_analysed(shared_dir: Path, tmp_path: Path, validate_document: Any) -> None:
    """Issue 12: an AQDEF attribute characteristic (K2004 = 1, K0020 = 1000 inspected, K0021 = 1
    nonconforming) is analysed from its counts; the error-log sheet (K2004 = 6: errors, several
    per part possible, not binomial) is read but not decided."""
    from scipy.stats import beta

    f = _real(shared_dir, "diribet_attributiveDfq.dfq")
    r = CliRunner().invoke(cli, ["analyze", str(f), "--out", str(tmp_path), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "diribet_attributiveDfq.json").read_text(encoding="utf-8"))
    validate_document(doc)
    assert [x["feature"] for x in doc["features"]] == ["<characteristic_code_1>"]
    a = doc["features"][0]
    assert (a["type"], a["n"], a["n_nonconforming"], a["p_upper_confidence"]) == ("attribute", 1000, 1, 0.975)
    assert a["p_upper"] == pytest.approx(beta.ppf(0.975, 2, 999), rel=1e-12)
    assert a["decision"]["verdict"] == "keep_100"  # one nonconforming unit; max_out_of_spec = 0
    assert a["out_of_spec"] == []  # sample counts name no part


def test_error_log_only_file_is_refused_by_name(shared_dir: Path, tmp_path: Path) -> None:
    f = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "ELS.dfq"
    if not f.exists():
        pytest.skip(f"{f} is not there")
    r = CliRunner().invoke(cli, ["analyze", str(f), "--format", "json", "-q", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "only attribute characteristic(s) 'Error Log Sheet 1 - Switch Housing'" in r.stderr


def test_tiny_real_file_analyses_without_nan(shared_dir: Path, tmp_path: Path,
                                            validate_document: Any) -> None:
    f = _real(shared_dir, "diribet_basicDfq_threeParts.dfq")
    r = CliRunner().invoke(cli, ["analyze", str(f), "--out", str(tmp_path), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "diribet_basicDfq_threeParts.json").read_text(encoding="utf-8"))
    validate_document(doc)
    assert all(x["decision"]["verdict"] == "keep_100" for x in doc["features"])  # n = 2..3 parts


@pytest.mark.parametrize(
    "name",
    ["aqdefreader_testmeasures.dfq", "diribet_attributiveDfq.dfq", "diribet_basicDfq_threeParts.dfq"],
)
def test_every_real_export_writes_all_three_reports(shared_dir: Path, tmp_path: Path, name: str) -> None:
    """HTML, JSON and XLSX of each real export (the attribute file has characteristics but not a
    single individual reading: its Readings sheet crashed the SpreadsheetML writer once)."""
    from openpyxl import load_workbook

    r = CliRunner().invoke(cli, ["analyze", str(_real(shared_dir, name)), "--out", str(tmp_path), "-q"])
    assert r.exit_code == 0, r.output
    stem = name.removesuffix(".dfq")
    assert {p.name for p in tmp_path.iterdir()} == {f"{stem}.{x}" for x in ("html", "json", "xlsx")}
    wb = load_workbook(tmp_path / f"{stem}.xlsx", read_only=True)
    assert "Readings" in wb.sheetnames
