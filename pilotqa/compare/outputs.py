"""Write a comparison's JSON, HTML and XLSX without ever silently overwriting a user's file.

The same rules as :func:`pilotqa.report.outputs.write_outputs` (whose format parsing, output
stem and "written by pilotqa" check are reused): a target that exists is replaced only when
pilotqa wrote it or with ``force``; a target that is one of the inputs is always refused; each
file is written in a private temporary folder and renamed into place
(:func:`pilotqa.report.outputs.write_targets`). A comparison JSON counts as written by
pilotqa when its ``schema`` is ``pilotqa.comparison/1``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from pilotqa.report.outputs import FORMATS, output_stem, written_by_pilotqa

if TYPE_CHECKING:
    from pilotqa.compare.core import ComparisonResult

__all__ = ["comparison_stem", "write_comparison", "dumps", "schema_path"]


def schema_path() -> Path:
    """Path of the ``pilotqa.comparison/1`` JSON Schema shipped with pilotqa."""
    return Path(__file__).resolve().parent.parent / "schema" / "comparison.schema.json"


def dumps(document: dict[str, object]) -> str:
    """Serialise a comparison document; raises ValueError on NaN or Infinity."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def comparison_stem(before: Sequence[str | Path], after: Sequence[str | Path]) -> str:
    """``<before stem>_vs_<after stem>`` (each as :func:`pilotqa.report.outputs.output_stem`)."""
    return f"{output_stem(before)}_vs_{output_stem(after)}"


def _ours(path: Path) -> bool:
    if path.suffix == ".json":
        try:
            with open(path, encoding="utf-8") as fh:
                schema = json.load(fh).get("schema")
        except (OSError, ValueError, AttributeError):
            return False
        return schema == "pilotqa.comparison/1"
    return written_by_pilotqa(path)


def write_comparison(result: "ComparisonResult", out_dir: Path, stem: str,
                     formats: Sequence[str] = FORMATS, *, force: bool = False,
                     inputs: Sequence[str | Path] = ()) -> list[Path]:
    """Write ``out_dir/<stem>.<fmt>`` for each format; returns the paths written."""
    from pilotqa.report.outputs import write_targets  # exclusive temporary files, atomic rename

    def write(fmt: str, tmp: Path) -> None:
        if fmt == "json":
            tmp.write_text(dumps(result.document) + "\n", encoding="utf-8")
        elif fmt == "html":
            from pilotqa.compare.html import write_comparison_html

            write_comparison_html(result, tmp)
        else:
            from pilotqa.compare.xlsx import write_comparison_xlsx

            write_comparison_xlsx(result, tmp)

    def writer(fmt: str) -> Callable[[Path], None]:
        return lambda tmp: write(fmt, tmp)

    return write_targets(out_dir, [(out_dir / f"{stem}.{fmt}", writer(fmt)) for fmt in formats],
                         force=force, inputs=inputs, ours=_ours)
