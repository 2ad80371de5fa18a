"""The command line: exit codes, one-line errors, outputs, overwrite protection, lazy imports."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotqa_cli.main import cli

from .conftest import SAMPLE

LONG = SAMPLE / "housing_pilot_long.csv"
WIDE = SAMPLE / "housing_pilot_wide.xlsx"


def run(*args: str) -> "object":
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("cmd", [[], ["analyze"], ["inspect"], ["plan"], ["policy"]])
def test_help(cmd: list[str]) -> None:
    r = run(*cmd, "--help")
    assert r.exit_code == 0, r.output
    assert "Usage:" in r.output


def test_version() -> None:
    from pilotqa import __version__

    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.output


def test_missing_file_is_usage_error(tmp_path: Path) -> None:
    r = run("analyze", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2
    assert "does not exist" in r.output


def test_bad_cell_names_file_row_column(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        "part,feature,value,lsl,usl\nP1,D1,10.01,9.9,10.1\nP2,D1,OK,9.9,10.1\nP3,D1,10.02,9.9,10.1\n",
        encoding="utf-8",
    )
    r = run("analyze", str(f), "--out", str(tmp_path / "out"))
    assert r.exit_code == 2
    msg = r.stderr.strip().splitlines()[-1]  # after the progress lines
    assert msg.startswith("pilotqa: error: ")
    assert "bad.csv" in msg and "row 3" in msg and "value" in msg and "'OK'" in msg
    assert "\n" not in msg and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    r = run("inspect", str(f))
    assert r.exit_code == 2
    assert "empty.csv" in r.stderr and "empty" in r.stderr


def test_unknown_format_option(tmp_path: Path) -> None:
    r = run("analyze", str(LONG), "--format", "pdf", "--out", str(tmp_path))
    assert r.exit_code == 2
    assert "unknown output format 'pdf'" in r.stderr


def test_bad_rules_option(tmp_path: Path) -> None:
    r = run("analyze", str(LONG), "--rules", "1,9", "--out", str(tmp_path))
    assert r.exit_code == 2 and "--rules" in r.stderr


def test_unknown_critical_feature(tmp_path: Path) -> None:
    r = run("analyze", str(LONG), "--critical", "NOPE", "--out", str(tmp_path), "--format", "json")
    assert r.exit_code == 2 and "NOPE" in r.stderr


def test_inspect_and_analyze_agree(tmp_path: Path, validate_document: object) -> None:
    r = run("inspect", "--json", str(LONG))
    assert r.exit_code == 0, r.output
    seen = json.loads(r.stdout)
    r2 = run("analyze", str(LONG), "--out", str(tmp_path), "--format", "json", "-q")
    assert r2.exit_code == 0, r2.output
    doc = json.loads((tmp_path / "housing_pilot_long.json").read_text(encoding="utf-8"))
    validate_document(doc)  # type: ignore[operator]
    assert doc["input"]["parts"] == seen["parts"] == 150
    assert doc["input"]["lots"] == [lot["lot"] for lot in seen["lots"]] == ["L01", "L02", "L03"]
    assert [f["feature"] for f in doc["features"]] == [f["feature"] for f in seen["features"]]
    assert {f["feature"]: f["n"] for f in doc["features"]} == {
        f["feature"]: f["n"] for f in seen["features"]
    }


def test_refuses_to_overwrite_foreign_file(tmp_path: Path) -> None:
    target = tmp_path / "housing_pilot_long.json"
    target.write_text("my own notes", encoding="utf-8")
    r = run("analyze", str(LONG), "--out", str(tmp_path), "--format", "json", "-q")
    assert r.exit_code == 2
    assert "not written by pilotqa" in r.stderr
    assert target.read_text(encoding="utf-8") == "my own notes"
    r = run("analyze", str(LONG), "--out", str(tmp_path), "--format", "json", "-q", "--force")
    assert r.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "pilotqa.analysis/1"
    # a file pilotqa wrote itself is replaced without --force
    r = run("analyze", str(LONG), "--out", str(tmp_path), "--format", "json", "-q")
    assert r.exit_code == 0


def test_unexpected_error_is_exit_1_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pilotqa.read as reader

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(reader, "read", boom)
    r = CliRunner().invoke(cli, ["inspect", str(LONG)])
    assert r.exit_code == 1
    assert "internal error: RuntimeError: kaboom" in r.stderr and "Traceback" not in r.stderr
    r = CliRunner().invoke(cli, ["--debug", "inspect", str(LONG)])
    assert r.exit_code == 1 and isinstance(r.exception, RuntimeError)


def _console_script() -> str:
    exe = Path(sys.executable).parent / "pilotqa"
    found = str(exe) if exe.exists() else shutil.which("pilotqa")
    if not found:
        pytest.fail("the console script 'pilotqa' is not installed beside the test interpreter")
    return found


def test_console_script_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = subprocess.run(
        [_console_script(), "analyze", str(WIDE), "--out", str(out), "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "characteristics" in p.stdout
    doc = json.loads((out / "housing_pilot_wide.json").read_text(encoding="utf-8"))
    assert doc["input"]["metadata"]["part_number"] == "HSG-4711"
    p = subprocess.run([_console_script(), "inspect", str(tmp_path / "missing.csv")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_help_imports_no_heavy_modules() -> None:
    """`pilotqa --help` stays fast: it must not import polars, scipy, statsmodels or plotly."""
    code = (
        "import sys\n"
        "from pilotqa_cli.main import cli\n"
        "try:\n    cli.main(['--help'], prog_name='pilotqa')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('polars', 'scipy', 'statsmodels', 'plotly', 'numpy', 'openpyxl') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert p.returncode == 0, p.stderr
    assert "HEAVY=\n" in p.stdout or p.stdout.rstrip().endswith("HEAVY="), p.stdout


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        ("nodata.csv", "part,feature,value,lsl,usl\nP1,D1,,9.9,10.1\nP2,D1,N/A,9.9,10.1\n",
         "no numeric readings found"),
        ("lslusl.csv", "part,feature,value,lsl,usl\nP1,D1,10.0,10.1,9.9\nP2,D1,10.0,10.1,9.9\n",
         "LSL 10.1 is not below USL 9.9"),
        ("nospec.csv", "part,feature,value\nP1,D1,10.0\nP2,D1,10.1\n",
         "no specification (nominal, LSL or USL) for feature 'D1'"),
        ("dupfeat.csv", "Part,D1,D1\nNominal,10,10\nUSL,10.1,10.1\nLSL,9.9,9.9\nP1,10.0,10.0\nP2,10.1,10.0\n",
         "two columns are headed 'D1' (columns B and C)"),
        ("censored.csv", "part,feature,value,lsl,usl\nP1,D1,<0.001,0,0.1\n", "censored"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    f = tmp_path / name
    f.write_text(content, encoding="utf-8")
    for cmd in (["analyze", str(f), "--out", str(tmp_path / "out"), "-q"],):
        r = CliRunner().invoke(cli, cmd)
        assert r.exit_code == 2, (name, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pilotqa: error: "), r.stderr
        assert name in lines[0] and fragment in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_several_files_are_lots(tmp_path: Path, validate_document: object) -> None:
    """`pilotqa analyze lot1.csv lot2.csv`: each file is a lot named after it."""
    import numpy as np

    rng = np.random.default_rng(3)
    files = []
    for lot in ("lot1", "lot2"):
        f = tmp_path / f"{lot}.csv"
        rows = ["part,feature,value,lsl,usl"] + [
            f"P{i},D1,{10 + rng.normal(0, 0.01):.4f},9.9,10.1" for i in range(30)
        ]
        f.write_text("\n".join(rows) + "\n", encoding="utf-8")
        files.append(str(f))
    r = run("analyze", *files, "--out", str(tmp_path / "out"), "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "out" / "lot1+1.json").read_text(encoding="utf-8"))
    validate_document(doc)  # type: ignore[operator]
    assert doc["input"]["lots"] == ["lot1", "lot2"] and doc["input"]["parts"] == 60
    assert doc["features"][0]["lots"]["k"] == 2
    assert [f["path"] for f in doc["input"]["files"]] == files


def test_inspect_shows_the_table_it_found() -> None:
    """Issue 7 §5: the user sees at once whether the report sheet was read right."""
    r = run("inspect", str(SAMPLE / "housing_pilot_report.xlsx"))
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "layout    characteristic-rows" in out
    assert "part_number   HSG-4711" in out
    for text in ("- sheet: Lot L01", "header_rows: [10]", "characteristics: 12", "serials: 50",
                 "nominal D (Nominal)", "column F (−Tol) read as positive magnitudes"):
        assert text in out, text


def test_feature_without_spec_is_analysed_and_kept(tmp_path: Path) -> None:
    """A characteristic without any specification beside specified ones no longer stops the run
    (issue 11: real Q-DAS files mix specified and unspecified characteristics): it is analysed,
    kept at 100 % with the reason, and the input notes name it. A spreadsheet in which no
    characteristic has a specification is still refused (test_bad_input_is_one_line_exit_2)."""
    f = tmp_path / "nospec.csv"
    f.write_text("part,feature,value,lsl,usl\nP1,D1,10.0,,\nP2,D1,10.1,,\nP3,D1,10.05,,\n"
                 "P1,D2,5.0,4.9,5.1\nP2,D2,5.01,4.9,5.1\nP3,D2,4.99,4.9,5.1\n", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["analyze", str(f), "--out", str(out), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "nospec.json").read_text(encoding="utf-8"))
    feat = next(x for x in doc["features"] if x["feature"] == "D1")
    assert feat["decision"]["verdict"] == "keep_100"
    assert any("no specification limits" in x for x in feat["decision"]["reasons"])
    assert any("no specification (nominal, LSL or USL) for feature 'D1'" in n for n in doc["input"]["notes"])
