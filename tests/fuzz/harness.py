"""Run one fuzz case through ``pilotqa analyze`` (and ``inspect``) and classify the outcome.

The contract (README, "Exit codes"): every input ends in exit 0 with valid outputs and nothing
on stderr (``-q``), or exit 2 with exactly one stderr line ``pilotqa: error: …`` that names the
input file (and, for a conflict between two files, both). Anything else is a failure:

* ``crash``      — exit 1 or any other code, or an exception out of the command line;
* ``hang``       — the case ran past the time cap;
* ``noisy``      — more than one stderr line (a warning, a traceback, click's usage block);
* ``unlocated``  — a refusal that names no input file (or one file of a two-file conflict);
* ``bad-output`` — exit 0 but an output is missing or the JSON fails its schema.

:func:`run_case` runs in-process through click's ``CliRunner`` (fast); :func:`run_subprocess`
runs the installed console script, for the few cases that check the process boundary (real
stderr, warnings printed by C code, exit status).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpus import Case

__all__ = ["Outcome", "FAILURES", "run_case", "run_subprocess", "write_case", "Hang"]

FAILURES = ("crash", "hang", "noisy", "unlocated", "bad-output")


class Hang(BaseException):
    """Raised by the alarm when a case runs past its cap (a BaseException, so that the command
    line's catch-all cannot turn it into an ordinary error)."""


@dataclass
class Outcome:
    kind: str
    status: str            # ok | refused | one of FAILURES
    exit_code: int | None
    message: str
    seconds: float
    history: tuple[str, ...]
    command: str = "analyze"

    @property
    def failed(self) -> bool:
        return self.status in FAILURES


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"ran past {seconds:g} s")

    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def write_case(case: Case, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name, data in case.files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def _args(case: Case, root: Path, command: str) -> list[str]:
    args = [command, *[str(root / i) for i in case.inputs]]
    if case.spec:
        args += ["--spec", str(root / case.spec)]
    if command == "analyze":
        args += ["--out", str(root / "out"), "-q"]
        if case.policy:
            args += ["--policy", str(root / case.policy)]
        args += list(case.options)
    return args


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        from pilotqa.report.json import schema_path

        schema = json.loads(schema_path().read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR


def check_outputs(out: Path) -> str | None:
    """Why the outputs of an exit-0 run are not valid, or None."""
    jsons = list(out.glob("*.json"))
    htmls = list(out.glob("*.html"))
    xlsxs = list(out.glob("*.xlsx"))
    if len(jsons) != 1 or len(htmls) != 1 or len(xlsxs) != 1:
        return f"outputs: {sorted(p.name for p in out.iterdir()) if out.is_dir() else 'no folder'}"
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    if leftovers:
        return f"temporary files left: {leftovers}"
    try:
        doc = json.loads(jsons[0].read_text(encoding="utf-8"),
                         parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError as exc:
        return f"JSON not parseable: {exc}"
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        return f"JSON schema: {list(errors[0].path)}: {errors[0].message[:200]}"
    head = htmls[0].read_text(encoding="utf-8", errors="replace")[:4096]
    if '<meta name="generator" content="pilotqa' not in head:
        return "HTML without the pilotqa generator tag"
    try:
        with zipfile.ZipFile(xlsxs[0]) as z:
            if "xl/workbook.xml" not in z.namelist():
                return "XLSX without a workbook"
    except zipfile.BadZipFile as exc:
        return f"XLSX: {exc}"
    return None


def _names(case: Case) -> set[str]:
    """Names by which a message can point at an input: file names, folder names, stems."""
    out: set[str] = set()
    for rel in list(case.files) + list(case.inputs) + [case.spec or "", case.policy or ""]:
        if not rel:
            continue
        p = Path(rel)
        out.add(p.name)
        for parent in p.parents:
            if parent.name:
                out.add(parent.name)
    return {n for n in out if n}


_CONFLICT = re.compile(r"different specifications in different input files|in two files|"
                       r"both files|in more than one input", re.I)


def classify(case: Case, code: int | None, stdout: str, stderr: str, out: Path | None,
             seconds: float, command: str) -> Outcome:
    def oc(status: str, msg: str) -> Outcome:
        return Outcome(case.kind, status, code, msg, seconds, case.history, command)

    # pilotqa's own advice ("pilotqa: warning: …", e.g. an assumed lot size) is allowed
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("pilotqa: warning: ")]
    if code == 0:
        if lines:
            return oc("noisy", " | ".join(lines)[:500])
        if out is not None:
            why = check_outputs(out)
            if why:
                return oc("bad-output", why)
        return oc("ok", "")
    if code != 2:
        return oc("crash", " | ".join(lines)[-800:] or stdout[-800:])
    if len(lines) != 1:
        return oc("noisy", " | ".join(lines)[:800])
    msg = lines[0]
    if not msg.startswith("pilotqa: error: "):
        return oc("noisy", msg[:500])
    names = _names(case)
    named = {n for n in names if n in msg}
    if not named:
        return oc("unlocated", msg[:500])
    if _CONFLICT.search(msg) and len(case.inputs) + bool(case.spec) > 1 and len(named) < 2:
        return oc("unlocated", msg[:500])
    return oc("refused", msg[:500])


def run_case(case: Case, root: Path, timeout: float = 30.0, commands: tuple[str, ...] = ("analyze", "inspect"),
             validate: bool = True) -> Outcome:
    """Run ``case`` in-process; the worst outcome of its commands (analyze first)."""
    from click.testing import CliRunner

    from pilotqa_cli.main import cli

    write_case(case, root)
    worst: Outcome | None = None
    for command in commands:
        t0 = time.perf_counter()
        try:
            with _alarm(timeout), warnings.catch_warnings():
                # a warning the command line does not silence is printed to its stderr
                warnings.simplefilter("always")
                res = CliRunner().invoke(cli, _args(case, root, command), catch_exceptions=True)
        except Hang as exc:
            return Outcome(case.kind, "hang", None, str(exc), time.perf_counter() - t0, case.history, command)
        dt = time.perf_counter() - t0
        stderr = res.stderr
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            import traceback

            tb = "".join(traceback.format_exception(res.exception)).strip().splitlines()
            stderr += "\n" + " | ".join(tb[-3:])
        out = root / "out" if command == "analyze" and validate else None
        o = classify(case, res.exit_code, res.stdout, stderr, out, dt, command)
        if worst is None or (o.failed and not worst.failed):
            worst = o
        if o.failed:
            break
    assert worst is not None
    return worst


def run_subprocess(case: Case, root: Path, timeout: float = 120.0, command: str = "analyze") -> Outcome:
    """Run ``case`` through the console script in a child process (real stderr and exit code)."""
    write_case(case, root)
    exe = Path(sys.executable).with_name("pilotqa")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pilotqa_cli.main"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTQA_DEBUG")}
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd + _args(case, root, command), capture_output=True, text=True,
                           timeout=timeout, env=env, errors="replace")
    except subprocess.TimeoutExpired:
        return Outcome(case.kind, "hang", None, f"ran past {timeout:g} s", timeout, case.history, command)
    out = root / "out" if command == "analyze" else None
    return classify(case, p.returncode, p.stdout, p.stderr, out, time.perf_counter() - t0, command)
