"""The library's layers run one way: read → model → stats → decide → report (issue 10).

Every ``import`` in ``pilotqa/`` (module level and inside functions) is collected with ``ast``:
no module of ``read``, ``stats`` or ``decide`` (nor ``model``, ``results``, ``analysis``) imports
``pilotqa.report`` or the CLI, and the graph between the library's parts has no cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "pilotqa"

#: Parts that must never import the report stage or the command line.
UPSTREAM = ("read", "stats", "decide", "model", "results", "analysis", "settings", "util", "errors")


def _part(module: str) -> str | None:
    """``pilotqa.read.tabular`` → ``read``; ``pilotqa.results`` → ``results``; others → None."""
    bits = module.split(".")
    if bits[0] == "pilotqa_cli" or bits[0] == "cli":
        return "cli"
    if bits[0] != "pilotqa" or len(bits) < 2:
        return None
    return bits[1]


def _imports() -> dict[str, set[tuple[str, str]]]:
    """part → {(importing file, imported part)}."""
    out: dict[str, set[tuple[str, str]]] = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        mod = ".".join(rel.parts)
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        src_part = _part(mod)
        if src_part is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against the importing package
                    base = mod.split(".")[: len(mod.split(".")) - node.level + (1 if path.name == "__init__.py" else 0)]
                    targets = [".".join(base + ([node.module] if node.module else []))]
                elif node.module:
                    targets = [node.module]
            for t in targets:
                dst = _part(t)
                if dst is not None and dst != src_part:
                    out.setdefault(src_part, set()).add((str(path.relative_to(ROOT)), dst))
    return out


def test_no_arrow_from_upstream_to_report_or_cli() -> None:
    graph = _imports()
    bad = sorted((f, dst) for part in UPSTREAM for f, dst in graph.get(part, set()) if dst in ("report", "cli"))
    assert not bad, f"upstream modules import the report stage or the CLI: {bad}"


def test_parts_form_no_cycle() -> None:
    graph = {part: {dst for _f, dst in edges} for part, edges in _imports().items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle.extend(path + [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, path + [node]):
                return True
        state[node] = 2
        return False

    for n in sorted(graph):
        if state.get(n) is None and visit(n, []):
            break
    assert not cycle, f"import cycle between the library's parts: {' -> '.join(cycle)}"


def test_the_checker_sees_a_backwards_import(tmp_path: Path) -> None:
    """The collector resolves both absolute and relative imports (so the tests above can fail)."""
    assert _part("pilotqa.report.json") == "report" and _part("pilotqa_cli.main") == "cli"
    graph = _imports()
    assert ("pilotqa/analysis.py", "stats") in graph["analysis"]
    assert any(dst == "results" for _f, dst in graph["report"])
