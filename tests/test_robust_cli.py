"""The command line under hostile conditions (issues 17 and 10): outputs never overwrite a file
outside the output folder (no predictable temporary name), output-folder problems and click usage
errors are one stderr line with exit 2, library warnings never reach stderr without --debug, a
value near 1e308 ends in a result or a clear refusal, input '.'/'..' gives sensible names."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotqa_cli.main import cli

from .conftest import SAMPLE
from .fuzz.corpus import long_csv, wide_xlsx


def run(*args: str, warnings_always: bool = True) -> "object":
    """The command line in-process; any warning the command does not silence is printed to its
    captured stderr (warnings 'always', as a fresh process would show them once)."""
    import warnings

    with warnings.catch_warnings():
        if warnings_always:
            warnings.simplefilter("always")
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line_error(r: "object") -> str:
    """The single stderr line of an exit-2 run (pilotqa's own 'warning:' advice allowed)."""
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = [ln for ln in r.stderr.splitlines() if not ln.startswith("pilotqa: warning: ")]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("pilotqa: error: ") and "Usage:" not in r.stderr
    return lines[0]


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    p = tmp_path / "in" / "long.csv"
    p.parent.mkdir()
    p.write_bytes(long_csv())
    return p


# ---------------------------------------------------------------- temporary files, symlinks
def test_symlink_at_the_old_temporary_name_is_never_followed(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    for fmt in ("json", "html", "xlsx"):
        (out / f"long.{fmt}.tmp").symlink_to(victim)
    r = run("analyze", str(small), "--out", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "do not touch"
    assert all((out / f"long.{fmt}.tmp").is_symlink() for fmt in ("json", "html", "xlsx"))
    assert (out / "long.json").is_file() and not (out / "long.json").is_symlink()
    assert not [p for p in out.iterdir() if p.name.startswith(".pilotqa-")]  # no temp folder left


def test_users_tmp_file_is_not_clobbered(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "long.json.tmp"
    mine.write_text("my notes")
    r = run("analyze", str(small), "--out", str(out), "-q", "--format", "json")
    assert r.exit_code == 0, r.output
    assert mine.read_text() == "my notes"


def test_symlink_at_a_target_replaces_the_link_not_its_file(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.json"
    victim.write_text('{"schema": "pilotqa.analysis/1"}')  # looks like ours: replacement allowed
    (out / "long.json").symlink_to(victim)
    r = run("analyze", str(small), "--out", str(out), "-q", "--format", "json")
    assert r.exit_code == 0, r.output
    assert victim.read_text() == '{"schema": "pilotqa.analysis/1"}'
    assert not (out / "long.json").is_symlink()


def test_failed_writer_leaves_no_temporary_files(tmp_path: Path, small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pilotqa.report.xlsx as xlsx

    def boom(result: object, path: Path) -> None:
        Path(path).write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write_xlsx", boom)
    out = tmp_path / "out"
    msg = one_line_error(run("analyze", str(small), "--out", str(out), "-q"))
    assert "No space left on device" in msg and "long.xlsx" in msg
    assert list(out.iterdir()) == []  # all or nothing: the HTML and JSON were not put in place


# ----------------------------------------------------------------------- output folder: exit 2
def test_out_is_a_dangling_symlink(tmp_path: Path, small: Path) -> None:
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "nowhere")
    assert "dangling" in one_line_error(run("analyze", str(small), "--out", str(link), "-q"))


def test_out_under_a_file(tmp_path: Path, small: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    assert "is a file" in one_line_error(run("analyze", str(small), "--out", str(f / "sub"), "-q"))


def test_out_is_a_file_is_a_one_line_usage_error(tmp_path: Path, small: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    assert "is a file" in one_line_error(run("analyze", str(small), "--out", str(f), "-q"))


def test_out_unwritable(tmp_path: Path, small: Path) -> None:
    if os.geteuid() == 0:  # root may write anywhere on a normal filesystem: use /proc
        target = "/proc/self/pilotqa-out"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "out")
    msg = one_line_error(run("analyze", str(small), "--out", target, "-q"))
    assert "pilotqa-out" in msg or "not writable" in msg


def test_target_is_a_folder_even_with_force(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "out"
    (out / "long.json").mkdir(parents=True)
    msg = one_line_error(run("analyze", str(small), "--out", str(out), "-q", "--force"))
    assert "long.json" in msg and "is a folder" in msg


def test_output_folder_refused_before_any_work(tmp_path: Path) -> None:
    """A bad --out is found before the input is read (an unreadable input does not mask it)."""
    bad = tmp_path / "bad.csv"
    bad.write_text("part,feature,value\nP1,D,OK\n")
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "nowhere")
    assert "dangling" in one_line_error(run("analyze", str(bad), "--out", str(link), "-q"))


# ------------------------------------------------------------------------- click usage errors
@pytest.mark.parametrize("args, words", [
    (["analyze", "/nonexistent/file.csv"], "does not exist"),
    (["analyze", "{small}", "--lot-size", "1"], "--lot-size"),
    (["analyze", "{small}", "--confidence", "2"], "--confidence"),
    (["analyze", "{small}", "--level", "IV"], "--level"),
    (["analyze"], "Missing argument"),
    (["inspect", "{small}", "--subgroup-size", "x"], "--subgroup-size"),
    (["frobnicate"], "No such command"),
    (["plan", "--lot-size", "500"], "--aql"),
    (["analyze", "{small}", "--no-such-option"], "--no-such-option"),
])
def test_click_usage_errors_are_one_line(small: Path, args: list[str], words: str) -> None:
    msg = one_line_error(run(*[a.replace("{small}", str(small)) for a in args]))
    assert words in msg and "--help" in msg


def test_usage_error_through_the_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("pilotqa")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pilotqa_cli.main"]
    p = subprocess.run(cmd + ["analyze", str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("pilotqa: error: ")


def test_help_and_version_still_work() -> None:
    assert run("--help").exit_code == 0
    assert run("analyze", "--help").exit_code == 0
    assert run("--version").exit_code == 0
    bare = run()
    assert bare.exit_code == 2 and "Usage:" in bare.stdout and bare.stderr.count("\n") == 1


# ------------------------------------------------------------------ warnings, 1e308, one line
def _huge(tmp_path: Path, value: str) -> Path:
    text = long_csv().decode()
    lines = text.splitlines()
    cells = lines[1].split(",")
    cells[5] = value
    p = tmp_path / "huge.csv"
    p.write_text("\n".join([lines[0], ",".join(cells)] + lines[2:]) + "\n")
    return p


@pytest.mark.parametrize("value", ["1e308", "-1.7976931348623157e308", "1e-320", "-0"])
def test_extreme_readings_end_in_a_result_or_one_clear_line(tmp_path: Path, value: str) -> None:
    """Issue 10: a value near 1e308 ended in exit 1 (integer overflow in the resolution step)."""
    r = run("analyze", str(_huge(tmp_path, value)), "--out", str(tmp_path / "out"), "-q")
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        one_line_error(r)
    else:
        assert [ln for ln in r.stderr.splitlines() if not ln.startswith("pilotqa: warning: ")] == []
        assert (tmp_path / "out" / "huge.json").is_file()


def test_library_warnings_never_reach_stderr_without_debug(tmp_path: Path) -> None:
    """1e308 makes numpy warn (overflow): nothing on stderr with or without -q; --debug shows it."""
    exe = Path(sys.executable).with_name("pilotqa")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pilotqa_cli.main"]
    src = _huge(tmp_path, "1e308")
    env = {k: v for k, v in os.environ.items() if k != "PILOTQA_DEBUG"}
    env["PYTHONWARNINGS"] = "always"
    for extra in (["-q"], []):
        p = subprocess.run(cmd + ["analyze", str(src), "--out", str(tmp_path / "o"), "--force", *extra],
                           capture_output=True, text=True, env=env)
        assert p.returncode in (0, 2), p.stderr
        noise = [ln for ln in p.stderr.splitlines()
                 if not ln.startswith(("pilotqa: warning: ", "pilotqa: error: ", "["))]
        assert noise == [], p.stderr
    p = subprocess.run(cmd + ["analyze", str(src), "--out", str(tmp_path / "o"), "--force", "-q", "--debug"],
                       capture_output=True, text=True, env=env)
    assert "Warning" in p.stderr  # shown with --debug


def test_cell_with_line_breaks_and_escapes_is_one_line(tmp_path: Path) -> None:
    p = tmp_path / "ctl.csv"
    p.write_text('part,feature,value,lsl,usl\nP1,D,"1.0\r\n2.0\x1b[2J",0,2\nP2,D,1.1,0,2\n')
    msg = one_line_error(run("analyze", str(p), "--out", str(tmp_path / "o"), "-q"))
    assert "ctl.csv" in msg and "row 2" in msg and "\\r" in msg and "\\x1b" in msg


# ------------------------------------------------------------------------------ output names
def test_output_names_for_dot_and_dotdot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilotqa.report.outputs import output_stem

    run_dir = tmp_path / "pilot run 7"
    shutil.copytree(SAMPLE / "housing_pilot_calypso", run_dir / "cmm",
                    ignore=lambda d, names: [n for n in names if n > "SN0031"])
    monkeypatch.chdir(run_dir / "cmm")
    assert output_stem(["."]) == "cmm"
    assert output_stem([".."]) == "pilot run 7"
    r = run("analyze", ".", "-q", "--format", "json")
    assert r.exit_code == 0, r.output
    assert (run_dir / "cmm" / "reports" / "cmm" / "cmm.json").is_file()
    assert not list((run_dir / "cmm" / "reports").glob(".*"))


@pytest.mark.parametrize("name, stem", [
    (".hidden.csv", "hidden"), ("a\nb.csv", "a_b"), ("x" * 200 + ".csv", "x" * 120),
])
def test_output_stem_is_a_safe_file_name(tmp_path: Path, name: str, stem: str) -> None:
    from pilotqa.report.outputs import output_stem

    assert output_stem([tmp_path / name]) == stem


def test_xlsx_named_dat_through_the_command_line(tmp_path: Path) -> None:
    p = tmp_path / "export.dat"
    p.write_bytes(wide_xlsx())
    r = run("analyze", str(p), "--out", str(tmp_path / "o"), "-q", "--format", "json")
    assert r.exit_code == 0, r.output


def test_readings_spanning_the_float_range(tmp_path: Path) -> None:
    """+1e308 and -1e308 in one characteristic: the histogram's span overflowed (ValueError)."""
    import numpy as np

    from pilotqa.report.figures import histogram_counts

    counts, edges = histogram_counts(np.array([1e308, -1e308, 1.0, 2.0]))
    assert counts.sum() == 4 and np.isfinite(edges).all()
    text = long_csv().decode().splitlines()
    rows = [ln.split(",") for ln in text]
    hits = [k for k, r in enumerate(rows) if r[4] == "BORE_A_DIA"][:2]
    rows[hits[0]][5], rows[hits[1]][5] = "1e308", "-1e308"
    p = tmp_path / "span.csv"
    p.write_text("\n".join(",".join(r) for r in rows) + "\n")
    r = run("analyze", str(p), "--out", str(tmp_path / "out"), "-q")
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        one_line_error(r)


def test_form2_calculator_skips_a_plan_of_two_parts(tmp_path: Path) -> None:
    """Headings 'Lot' and 'BORE_B_DIA' swapped: each reading became a lot, the assumed lot size 2,
    and a Z1.9 Form 2 plan of n = 2 made the XLSX writer raise after JSON and HTML were
    written (exit 2, naming no file). Form 2 needs n >= 3: such a plan gets no calculator row."""
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(wide_xlsx()))
    ws = wb.active
    ws["B1"].value, ws["D1"].value = ws["D1"].value, ws["B1"].value
    p = tmp_path / "swapped.xlsx"
    wb.save(p)
    r = run("analyze", str(p), "--out", str(tmp_path / "out"), "-q")
    assert r.exit_code == 0, r.output
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == [
        "swapped.html", "swapped.json", "swapped.xlsx"]


def test_every_reading_at_the_largest_float(tmp_path: Path) -> None:
    """All readings of a characteristic 1.7976931348623157e308: the one-bin histogram's widened
    range and the figure's curves overflowed to inf (ValueError out of numpy, then out of the
    JSON for the page's figure)."""
    import numpy as np

    from pilotqa.report.figures import histogram_counts

    top = np.finfo(float).max
    for v in (top, -top):
        counts, edges = histogram_counts(np.array([v, v, v]))
        assert counts.tolist() == [3] and np.isfinite(edges).all()
    rows = [ln.split(",") for ln in long_csv().decode().splitlines()]
    for r in rows[1:]:
        if r[4] == "BORE_A_DIA":
            r[5] = repr(float(top))
    p = tmp_path / "top.csv"
    p.write_text("\n".join(",".join(r) for r in rows) + "\n")
    r = run("analyze", str(p), "--out", str(tmp_path / "out"), "-q")
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        one_line_error(r)
