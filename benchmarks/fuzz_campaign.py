"""Large mutation-fuzzing campaign over every input format (run by hand).

    python benchmarks/fuzz_campaign.py --n 10000            # ~1 h on two cores
    python benchmarks/fuzz_campaign.py --n 500 --kinds xls  # one format
    python benchmarks/fuzz_campaign.py --replay 1234        # re-run input 1234, print its outcome

Input ``i`` of campaign ``--seed s`` is always the same mutated case (``tests/fuzz/mutate.py``:
:func:`case_for`), formats in turn. Each input runs the real command line in a worker process
(``analyze`` with HTML, JSON and XLSX, then ``inspect``; ``tests/fuzz/harness.py``). A worker
that passes the time cap (default 60 s) or the memory cap (default 4 GB resident) is killed and
the input counted as a hang. Failing inputs are written to ``--save DIR`` (default
``fuzz_failures/``) with the mutations that made them, to become regression tests.

Prints outcome counts per format: ok (exit 0, valid outputs), refused (exit 2, one located
line) and the failures: crash (exit 1, an exception), hang, noisy (stderr not one line),
unlocated (a refusal naming no input file), bad-output (exit 0 with missing/invalid outputs).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz.corpus import FORMATS  # noqa: E402
from tests.fuzz.harness import FAILURES, Outcome  # noqa: E402


def _worker(slot: int, tasks: "mp.Queue[int | None]", results: "mp.Queue[tuple[int, dict]]",
            current: "mp.Array", began: "mp.Array", seed: int, timeout: float,
            kinds: tuple[str, ...] | None) -> None:
    from tests.fuzz.harness import run_case
    from tests.fuzz.mutate import case_for

    import pilotqa.analysis  # noqa: F401  (warm the imports once)

    root = Path(tempfile.mkdtemp(prefix="pilotqa-fuzz-"))
    while True:
        i = tasks.get()
        if i is None:
            return
        current[slot], began[slot] = i, time.time()
        try:
            kind = kinds[i % len(kinds)] if kinds else None
            case = case_for(seed, i, kind)
            began[slot] = time.time()  # the cap is on pilotqa's run, not on making the input
            o = run_case(case, root / "case", timeout=timeout)
            d = dict(o.__dict__)
        except BaseException as exc:  # noqa: BLE001 - a harness failure is reported, not fatal
            d = {"kind": "?", "status": "crash", "exit_code": None,
                 "message": f"harness: {type(exc).__name__}: {exc}", "seconds": 0.0,
                 "history": (), "command": "?"}
        current[slot] = -1
        results.put((i, d))


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _save(save: Path, seed: int, i: int, o: Outcome, kinds: tuple[str, ...] | None) -> None:
    """The failing input's files and outcome; for a killed worker only the outcome (making the
    input again could take as long as what was killed: ``--replay`` it by hand)."""
    from tests.fuzz.harness import write_case
    from tests.fuzz.mutate import case_for

    d = save / o.status / f"{o.kind}-{i:06d}"
    extra: dict[str, object] = {}
    if o.exit_code is not None or o.status != "hang":
        case = case_for(seed, i, kinds[i % len(kinds)] if kinds else None)
        write_case(case, d)
        extra = {"inputs": case.inputs, "spec": case.spec, "policy": case.policy,
                 "options": case.options}
    d.mkdir(parents=True, exist_ok=True)
    (d / "outcome.json").write_text(json.dumps({**o.__dict__, "index": i, "seed": seed, **extra},
                                               indent=1, default=str), encoding="utf-8")


def _kind(i: int, kinds: tuple[str, ...] | None) -> str:
    return kinds[i % len(kinds)] if kinds else FORMATS[i % len(FORMATS)]


def campaign(n: int, seed: int, workers: int, timeout: float, mem_mb: float, start: int,
             kinds: tuple[str, ...] | None, save: Path | None) -> dict[str, Counter[str]]:
    ctx = mp.get_context("fork")
    tasks: "mp.Queue[int | None]" = ctx.Queue()
    results: "mp.Queue[tuple[int, dict]]" = ctx.Queue()
    current = ctx.Array("l", [-1] * workers)
    began = ctx.Array("d", [0.0] * workers)
    for i in range(start, start + n):
        tasks.put(i)
    procs: dict[int, mp.process.BaseProcess] = {}

    def spawn(slot: int) -> None:
        current[slot] = -1
        p = ctx.Process(target=_worker, args=(slot, tasks, results, current, began, seed, timeout,
                                              kinds), daemon=True)
        p.start()
        procs[slot] = p

    for s in range(workers):
        spawn(s)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    done: set[int] = set()
    t0 = time.time()
    last_print = t0
    slow: list[tuple[float, int, str]] = []

    def record(i: int, o: Outcome) -> None:
        done.add(i)
        counts[o.kind][o.status] += 1
        slow.append((o.seconds, i, o.kind))
        if o.failed:
            key = (o.kind, o.status)
            if len(examples[key]) < 6:
                examples[key].append(f"#{i} {o.command} {'; '.join(o.history)[:160]}: {o.message[:300]}")
            if save is not None:
                try:
                    _save(save, seed, i, o, kinds)
                except Exception as exc:  # noqa: BLE001 - never lose the campaign to a save
                    print(f"could not save input {i}: {exc}", file=sys.stderr)

    while len(done) < n:
        try:
            i, d = results.get(timeout=1.0)
            if i not in done:
                record(i, Outcome(**d))
        except queue.Empty:
            pass
        now = time.time()
        for slot, p in list(procs.items()):
            i = current[slot]
            if not p.is_alive():
                if i >= 0 and i not in done:
                    record(i, Outcome(_kind(i, kinds), "crash", p.exitcode,
                                      f"worker died (exit {p.exitcode})", now - began[slot], (), "?"))
                spawn(slot)
                continue
            if i < 0:
                continue
            rss = _rss_mb(p.pid or 0)
            if rss > mem_mb or now - began[slot] > 2 * timeout + 30:  # the in-process alarm failed
                p.kill()
                p.join()
                why = f"killed at {rss:.0f} MB resident" if rss > mem_mb else f"killed after {now - began[slot]:.0f} s"
                record(i, Outcome(_kind(i, kinds), "hang", None, why, now - began[slot], (), "?"))
                spawn(slot)
        if now - last_print > 30:
            last_print = now
            fails = sum(c[s] for c in counts.values() for s in FAILURES)
            print(f"[{now - t0:6.0f}s] {len(done)}/{n} inputs, {fails} failures", file=sys.stderr, flush=True)
    for _ in procs:
        tasks.put(None)
    for p in procs.values():
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    _report(counts, examples, sorted(slow, reverse=True)[:5], time.time() - t0)
    return counts


def _report(counts: dict[str, Counter[str]], examples: dict[tuple[str, str], list[str]],
            slow: list[tuple[float, int, str]], seconds: float) -> None:
    cols = ("tried", "ok", "refused") + FAILURES
    print(f"{'format':<9}" + "".join(f"{c:>11}" for c in cols))
    total: Counter[str] = Counter()
    for k in list(FORMATS) + sorted(set(counts) - set(FORMATS)):
        c = counts.get(k)
        if not c:
            continue
        row = {"tried": sum(c.values()), **c}
        total.update(row)
        print(f"{k:<9}" + "".join(f"{row.get(col, 0):>11}" for col in cols))
    print(f"{'total':<9}" + "".join(f"{total.get(col, 0):>11}" for col in cols))
    print(f"{seconds:.0f} s; slowest inputs: "
          + ", ".join(f"#{i} {k} {s:.1f} s" for s, i, k in slow))
    for (kind, status), ex in sorted(examples.items()):
        print(f"\n{status} ({kind}):")
        for e in ex:
            print("  " + e)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="number of inputs")
    ap.add_argument("--seed", type=int, default=17, help="campaign seed")
    ap.add_argument("--start", type=int, default=0, help="first input index")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per input (hang cap)")
    ap.add_argument("--mem-gb", type=float, default=4.0, help="resident memory cap per worker")
    ap.add_argument("--kinds", default="", help=f"comma-separated subset of {','.join(FORMATS)}")
    ap.add_argument("--save", default="fuzz_failures", help="folder for failing inputs ('' = none)")
    ap.add_argument("--replay", type=int, default=None, help="run one input in-process and print it")
    a = ap.parse_args()
    kinds = tuple(k for k in a.kinds.split(",") if k) or None
    if a.replay is not None:
        from tests.fuzz.harness import run_case
        from tests.fuzz.mutate import case_for

        case = case_for(a.seed, a.replay, kinds[a.replay % len(kinds)] if kinds else None)
        root = Path(tempfile.mkdtemp(prefix="pilotqa-replay-"))
        o = run_case(case, root / "case", timeout=a.timeout)
        print(json.dumps({**o.__dict__, "inputs": case.inputs, "folder": str(root / "case")},
                         indent=1, default=str))
        return 0
    counts = campaign(a.n, a.seed, a.workers, a.timeout, a.mem_gb * 1024, a.start, kinds,
                      Path(a.save) if a.save else None)
    fails = sum(c[s] for c in counts.values() for s in FAILURES)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
