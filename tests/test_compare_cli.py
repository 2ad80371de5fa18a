"""``pilotqa compare`` through the installed console script and through click: the bundled
before/after runs end to end, argument parsing of ``BEFORE... --vs AFTER...``, exit codes, and
that its analysis options stay those of ``analyze``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pilotqa_cli.main import cli

from .conftest import REPO, SAMPLE

BEFORE = SAMPLE / "compare" / "housing_pilot_before.csv"
AFTER = SAMPLE / "compare" / "housing_pilot_after.csv"


def _console_script() -> Path:
    exe = Path(sys.executable).parent / "pilotqa"
    if not exe.exists():  # pragma: no cover - the test venv always installs the console script
        pytest.fail(f"console script not found beside {sys.executable}: pip install -e . first")
    return exe


def test_console_script_on_the_bundled_runs(tmp_path: Path) -> None:
    import jsonschema

    from pilotqa.compare.outputs import schema_path

    out = tmp_path / "out"
    proc = subprocess.run(
        [str(_console_script()), "compare", str(BEFORE), "--vs", str(AFTER), "--lot-size", "500",
         "--out", str(out), "-q"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == "improved: BORE_B_DIA; 11 of 12 without a significant change"
    assert lines[1].startswith("  BORE_B_DIA: improved: σ −")
    assert "verdict keep 100 % → variables plan" in lines[1]
    stem = "housing_pilot_before_vs_housing_pilot_after"
    assert lines[2:] == [f"wrote {out / stem}.{x}" for x in ("html", "json", "xlsx")]
    doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(schema_path().read_text(encoding="utf-8")))
    changes = {e["feature"]: e["change"] for e in doc["features"]}
    assert changes.pop("BORE_B_DIA") == "improved"
    assert set(changes.values()) == {"no_change"}
    assert (out / f"{stem}.html").stat().st_size > 1_000_000  # plotly.js inlined
    # a second run replaces pilotqa's own files
    again = subprocess.run([str(_console_script()), "compare", str(BEFORE), "--vs", str(AFTER),
                            "--out", str(out), "-q", "--format", "json"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr


def test_console_script_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("part_id,feature,value,lsl,usl\nP1,D,abc,1,2\n", encoding="utf-8")
    proc = subprocess.run([str(_console_script()), "compare", str(BEFORE), "--vs", str(bad),
                           "--out", str(tmp_path / "o"), "-q"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pilotqa: error: ")
    assert "bad.csv" in lines[0]


def _run(args: list[str], tmp_path: Path) -> "click.testing.Result":
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_several_after_inputs_follow_vs(tmp_path: Path) -> None:
    # every argument after --vs up to the next option is an AFTER input; the second AFTER file is
    # the same run with other lot and part names
    more = tmp_path / "more.csv"
    more.write_text(AFTER.read_text(encoding="utf-8").replace(",L0", ",M0").replace("SN", "SX"),
                    encoding="utf-8")
    r = _run(["compare", str(BEFORE), "--vs", str(AFTER), str(more), "--format", "json",
              "--out", str(tmp_path), "-q"], tmp_path)
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "housing_pilot_before_vs_housing_pilot_after+1.json").read_text(encoding="utf-8"))
    assert doc["after"]["parts"] == 300 and doc["before"]["parts"] == 150
    assert doc["after"]["lots"] == ["L04", "L05", "L06", "M04", "M05", "M06"]
    # --vs repeated is the same
    r2 = _run(["compare", str(BEFORE), "--vs", str(AFTER), "--vs", str(more), "--format", "json",
               "--out", str(tmp_path / "b"), "-q"], tmp_path)
    assert r2.exit_code == 0, r2.output
    assert (tmp_path / "b" / "housing_pilot_before_vs_housing_pilot_after+1.json").exists()


@pytest.mark.parametrize("args,needle", [
    (["compare", str(BEFORE)], "--vs"),
    (["compare", str(BEFORE), "--vs"], "--vs"),
    (["compare", str(BEFORE), "--vs", "no_such_file.csv"], "no_such_file.csv"),
    (["compare", "--vs", str(AFTER)], "INPUTS"),
])
def test_usage_errors_exit_2(args: list[str], needle: str, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert needle in r.output


def test_library_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["compare", str(BEFORE), "--vs", str(AFTER), "--critical", "NOPE",
                                 "--out", str(tmp_path), "-q"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        r.output.strip().splitlines()[0]] and "unknown characteristic(s): NOPE" in r.output
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    r = CliRunner().invoke(cli, ["compare", str(BEFORE), "--vs", str(AFTER), "--out", str(tmp_path),
                                 "--format", "json", "-q"])
    assert r.exit_code == 0  # other names: no clash
    (tmp_path / "housing_pilot_before_vs_housing_pilot_after.json").write_text("{}", encoding="utf-8")
    r = CliRunner().invoke(cli, ["compare", str(BEFORE), "--vs", str(AFTER), "--out", str(tmp_path),
                                 "--format", "json", "-q"])
    assert r.exit_code == 2 and "not written by pilotqa" in r.output


def test_analysis_options_are_those_of_analyze() -> None:
    ctx = click.Context(cli)
    analyze, compare = cli.get_command(ctx, "analyze"), cli.get_command(ctx, "compare")
    assert analyze is not None and compare is not None

    def opts(cmd: click.Command) -> dict[str, dict[str, object]]:
        # name, opts, type (with its choices/ranges), default, multiple, help …
        return {p.name: p.to_info_dict() for p in cmd.params if isinstance(p, click.Option) and p.name}

    a, c = opts(analyze), opts(compare)
    # analyze options compare does not take (yet): gauge-study results (`--msa`) and the analysis
    # report's approval block (`--prepared-by`, `--approved-by`); stream factors (`--by`) where
    # analyze has them
    not_in_compare = {"msa_files", "prepared_by", "approved_by"} | ({"by"} - set(opts(compare)))
    missing = sorted(set(a) - set(c) - not_in_compare)
    assert not missing, f"compare lacks analyze's options {missing}"
    for name in set(a) - not_in_compare:
        if name == "out_dir":  # the default folder's name differs
            assert c[name]["opts"] == a[name]["opts"]
            continue
        assert c[name] == a[name], name
    assert REPO.joinpath("README.md").read_text(encoding="utf-8").count("pilotqa compare") >= 2
