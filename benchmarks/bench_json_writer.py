"""CPU seconds of the JSON writer and of the typed-result conversion, alone (issue 16).

Two steps, so the statistics (seconds to minutes) are computed once and the writer can be timed
many times, also by an older checkout of pilotqa for a before/after comparison:

``capture``
    Generates (or reuses) the long CSV export of :mod:`benchmarks.bench_pipeline` at the given size,
    reads and analyses it (``Settings(lot_size=500)``, as that benchmark does) and pickles the
    :class:`~pilotqa.analysis.AnalysisResult` together with every
    ``from_mapping(cls, json_safe(doc), where)`` call :func:`pilotqa.stats.compute` made (class,
    the raw ``doc``, ``where``; recorded by wrapping the two names in ``pilotqa.stats`` from the
    outside, no library code changed).

``time``
    Loads such a pickle and reports the median CPU seconds (``time.process_time``) over
    ``--repeat`` runs of :func:`pilotqa.report.json.build_document`, :func:`pilotqa.report.json.dumps`
    and the replay of the recorded ``from_mapping(json_safe(...))`` calls. It also prints the
    SHA-256 of the text, so two checkouts can be shown to write the same bytes.

Before/after on a shared machine: ``time --against /tmp/base/pilotqa`` (an older checkout exported
with ``git archive <rev> pilotqa | tar -x -C /tmp/base``) loads that checkout's
``report/json.py``, ``results.py`` and ``util.py`` as separate modules into the same process and
times old and new alternately, run by run, so both see the same load; it also checks that both
write the same text and build equal objects. (Or run ``time`` alternately with
``PYTHONPATH=/tmp/base``: the editable install's finder comes after ``sys.path``.)

Usage::

    .venv/bin/python benchmarks/bench_json_writer.py capture --size 1e5 --pickle /tmp/json_1e5.pkl
    .venv/bin/python benchmarks/bench_json_writer.py time --pickle /tmp/json_1e5.pkl --repeat 5
    .venv/bin/python benchmarks/bench_json_writer.py time --pickle /tmp/json_1e5.pkl --against /tmp/base/pilotqa
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT / "benchmarks"))


def capture(size: str, csv: Path | None, out: Path) -> None:
    """Analyse the export of ``size`` and pickle the result and the recorded conversions."""
    import bench_pipeline as bp

    import pilotqa.analysis as analysis
    import pilotqa.stats as pstats
    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings

    _, n_features, n_parts = bp.parse_size(size)
    with tempfile.TemporaryDirectory() as tmp:
        if csv is None or not csv.exists():
            csv = csv or Path(tmp) / "export.csv"
            bp.generate(csv, n_features, n_parts)
        insp = read([csv], ReadOptions())
    calls: list[tuple[type, Any, str]] = []
    pending: list[Any] = []
    real_safe, real_from = pstats.json_safe, pstats.from_mapping

    def safe(obj: Any, *args: Any) -> Any:
        pending.append(obj)
        return real_safe(obj, *args)

    def from_mapping(cls: type, data: Any, where: str = "") -> Any:
        calls.append((cls, pending.pop(), where))
        return real_from(cls, data, where)

    setattr(pstats, "json_safe", safe)
    setattr(pstats, "from_mapping", from_mapping)
    try:
        result = analysis.analyze(insp, Settings(lot_size=500))
    finally:
        setattr(pstats, "json_safe", real_safe)
        setattr(pstats, "from_mapping", real_from)
    with out.open("wb") as fh:
        pickle.dump({"result": result, "calls": calls}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"{out}: {len(result.features)} characteristics, {len(calls)} conversions")


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.process_time()
    value = fn()
    return time.process_time() - t, value


def _load(name: str, path: Path) -> Any:
    """The module at ``path`` under ``name`` (an older checkout's file beside the current one)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def time_it(path: Path, repeat: int, against: Path | None = None) -> None:
    """Median CPU seconds of build_document, dumps, write_json and the conversion replay (with
    ``against``: of that checkout's modules too, alternately)."""
    import pilotqa
    import pilotqa.report.json as pj
    import pilotqa.results as pr
    import pilotqa.util as pu

    with path.open("rb") as fh:
        data = pickle.load(fh)
    result, calls = data["result"], data["calls"]
    sides: list[tuple[str, Any, Any, Any, list[tuple[type, Any, str]]]] = [("", pj, pr, pu, calls)]
    if against is not None:
        oj = _load("before_json", against / "report" / "json.py")
        ores = _load("before_results", against / "results.py")
        outil = _load("before_util", against / "util.py")
        old_calls = [(getattr(ores, cls.__name__), doc, where) for cls, doc, where in calls]
        sides.insert(0, ("before ", oj, ores, outil, old_calls))

    rows: dict[str, list[float]] = {}
    texts: dict[str, str] = {}
    objects: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for label, js, res, ut, cl in sides:
                t, document = _cpu(lambda: js.build_document(result))
                rows.setdefault(label + "build_document", []).append(t)
                t, texts[label] = _cpu(lambda: js.dumps(document))
                rows.setdefault(label + "dumps", []).append(t)
                t, _ = _cpu(lambda: js.write_json(document, Path(tmp) / "out.json"))
                rows.setdefault(label + "write_json", []).append(t)
                del document
                t, built = _cpu(lambda: [res.from_mapping(c, ut.json_safe(d), w) for c, d, w in cl])
                rows.setdefault(label + "from_mapping+json_safe", []).append(t)
                objects[label] = [repr(b) for b in built]
    print(f"pilotqa from {Path(pilotqa.__file__).parent}; {path.name}; repeat {repeat}"
          + (f"; before = {against}" if against else ""))
    for name, ts in rows.items():
        print(f"  {name:31s} median {statistics.median(ts):.3f} s CPU  (runs: "
              + ", ".join(f"{x:.3f}" for x in ts) + ")")
    for label, text in texts.items():
        print(f"  {label or 'now '}text {len(text)} chars, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}")
    if against is not None:
        print(f"  same text: {texts['before '] == texts['']}; same objects: {objects['before '] == objects['']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--size", default="1e5")
    c.add_argument("--csv", type=Path, default=None, help="the export to read (generated there if missing)")
    c.add_argument("--pickle", type=Path, required=True)
    t = sub.add_parser("time")
    t.add_argument("--pickle", type=Path, required=True)
    t.add_argument("--repeat", type=int, default=5)
    t.add_argument("--against", type=Path, default=None,
                   help="the pilotqa folder of an older checkout, timed alternately in the same process")
    args = ap.parse_args()
    if args.cmd == "capture":
        capture(args.size, args.csv, args.pickle)
    else:
        time_it(args.pickle, args.repeat, args.against)


if __name__ == "__main__":
    main()
