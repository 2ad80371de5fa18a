"""Write the chosen outputs of an analysis without ever silently overwriting a user's file.

A target that already exists is replaced only when pilotqa wrote it (a JSON document with
``"schema": "pilotqa.analysis/1"``, an HTML report carrying ``<meta name="generator"
content="pilotqa …">``, a workbook whose creator is ``pilotqa``) or when ``force`` is set;
otherwise :class:`~pilotqa.errors.InputError`. An output path that is one of the inputs is always
refused.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pilotqa.errors import InputError

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["FORMATS", "parse_formats", "output_stem", "written_by_pilotqa", "write_outputs"]

FORMATS: tuple[str, ...] = ("html", "json", "xlsx")


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,json"`` -> ("html", "json"); unknown names are an InputError listing the allowed ones."""
    out: list[str] = []
    for part in text.split(","):
        p = part.strip().lower()
        if not p:
            continue
        if p not in FORMATS:
            raise InputError(f"unknown output format '{p}'; allowed: {', '.join(FORMATS)}")
        if p not in out:
            out.append(p)
    if not out:
        raise InputError(f"no output format given; allowed: {', '.join(FORMATS)}")
    return tuple(out)


def output_stem(inputs: Sequence[str | Path]) -> str:
    """Name of the outputs: the input's stem (a folder's name), ``<first>+N`` for several inputs."""
    first = Path(inputs[0])
    stem = first.name if first.is_dir() else first.stem
    return stem if len(inputs) == 1 else f"{stem}+{len(inputs) - 1}"


def written_by_pilotqa(path: Path) -> bool:
    """True if ``path`` is an output pilotqa wrote earlier (safe to replace)."""
    try:
        if path.suffix == ".json":
            with open(path, encoding="utf-8") as fh:
                return json.load(fh).get("schema") == "pilotqa.analysis/1"
        if path.suffix == ".html":
            with open(path, encoding="utf-8", errors="replace") as fh:
                return '<meta name="generator" content="pilotqa' in fh.read(4096)
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                core = z.read("docProps/core.xml").decode("utf-8", "replace")
                return "<dc:creator>pilotqa</dc:creator>" in core
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, AttributeError):
        return False
    return False


def write_outputs(
    result: "AnalysisResult",
    out_dir: Path,
    stem: str,
    formats: Sequence[str] = FORMATS,
    *,
    force: bool = False,
    inputs: Sequence[str | Path] = (),
) -> list[Path]:
    """Write ``out_dir/<stem>.<fmt>`` for each format; returns the paths written."""
    targets = [out_dir / f"{stem}.{fmt}" for fmt in formats]
    input_paths = {Path(p).resolve() for p in inputs}
    for t in targets:
        if t.resolve() in input_paths:
            raise InputError("refusing to write an output over an input file", file=str(t))
        if t.exists() and not force and not written_by_pilotqa(t):
            raise InputError(
                "exists and was not written by pilotqa; not overwriting it "
                "(choose another --out folder, or pass --force)",
                file=str(t),
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt, t in zip(formats, targets):
        tmp = t.with_name(t.name + ".tmp")
        if fmt == "json":
            from pilotqa.report.json import write_json

            from pilotqa.report.json import build_document

            write_json(build_document(result), tmp)
        elif fmt == "html":
            from pilotqa.report.html import write_html

            write_html(result, tmp)
        else:
            from pilotqa.report.xlsx import write_xlsx

            write_xlsx(result, tmp)
        tmp.replace(t)
        written.append(t)
    return written
