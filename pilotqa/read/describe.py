"""What a reader understood, for ``pilotqa inspect`` (text and JSON)."""
from __future__ import annotations

from typing import Any

import polars as pl

from pilotqa.model import STREAM_COLUMNS, Inspection
from pilotqa.util import json_safe

__all__ = ["describe", "describe_text"]


def _num(x: Any) -> str:
    return "—" if x is None else f"{x:g}"


def describe(insp: Inspection) -> dict[str, Any]:
    """A JSON-safe description of the inspection: files, layout, metadata, lots, features, notes."""
    m = insp.measurements
    counts = m.group_by("feature").agg(
        pl.col("value").is_not_null().sum().alias("n"),
        pl.col("value").is_null().sum().alias("n_missing"),
    )
    feats = insp.specs.join(counts, on="feature", how="left").with_columns(
        pl.col("n").fill_null(0), pl.col("n_missing").fill_null(0)
    )
    lots = (
        m.group_by("lot", maintain_order=True)
        .agg(pl.col("part_id").n_unique().alias("parts"), pl.col("sequence").min().alias("_s"),
             pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"))
        .sort("_s").drop("_s")
    )
    subgrouped = m["subgroup"].null_count() < m.height if m.height else False
    return json_safe({
        "files": [{"path": f.path, "sha256": f.sha256, "format": f.format} for f in insp.files],
        "layout": insp.layout,
        "metadata": insp.metadata,
        "parts": insp.n_parts,
        "readings": m.height,
        "subgroups": int(m["subgroup"].n_unique()) if subgrouped else None,
        # optional stream columns (machine, operator, nest …): their distinct values
        "streams": {c: m[c].drop_nulls().unique(maintain_order=True).to_list()
                    for c in m.columns if c in STREAM_COLUMNS or c in insp.streams},
        "lots": lots.to_dicts(),
        "features": feats.to_dicts(),
        "attribute_characteristics": (
            insp.attributes["feature"].unique(maintain_order=True).to_list()
            if insp.attributes is not None else []
        ),
        # go/no-go characteristics read per part (pilotqa.read.gonogo): n checked, x nonconforming
        "go_nogo_characteristics": (
            insp.attribute_readings.group_by("feature", maintain_order=True)
            .agg(pl.len().alias("n"), (~pl.col("conforming")).sum().alias("nonconforming")).to_dicts()
            if insp.attribute_readings is not None else []
        ),
        "notes": insp.notes,
        "problems": list((insp.details or {}).get("problems", [])),
        "details": {k: v for k, v in (insp.details or {}).items() if k != "problems"},
    })


def _short(val: Any, width: int = 160) -> str:
    text = ", ".join(f"{k} {v}" for k, v in val.items()) if isinstance(val, dict) else str(val)
    return text if len(text) <= width else text[: width - 1] + "…"


def _detail_lines(key: str, val: Any) -> list[str]:
    """Reader details, one line per item: a list of per-sheet dicts becomes one block per sheet."""
    if isinstance(val, list) and val and all(isinstance(v, dict) for v in val):
        lines = [f"detail    {key}:"]
        for item in val:
            for i, (k, v) in enumerate(item.items()):
                lines.append(f"  {'-' if i == 0 else ' '} {k}: {_short(v)}")
        return lines
    if val in (None, [], {}, ""):
        return []
    return [f"detail    {key}: {_short(val)}"]


def describe_text(insp: Inspection) -> str:
    """The ``pilotqa inspect`` screen."""
    d = describe(insp)
    out: list[str] = []
    files = d["files"]
    shown = files if len(files) <= 8 else files[:5]
    for f in shown:
        out.append(f"file      {f['path']}  [{f['format']}]  sha256 {f['sha256'][:12]}…")
    if len(shown) < len(files):
        formats = sorted({f["format"] for f in files})
        out.append(f"file      … and {len(files) - len(shown)} more ({', '.join(formats)}; "
                   "`pilotqa inspect --json` lists them all)")
    out.append(f"layout    {d['layout']}")
    for k, v in d["metadata"].items():
        out.append(f"{k:<13} {v}")
    out.append(f"parts     {d['parts']}   readings {d['readings']}   "
               f"subgroups {d['subgroups'] if d['subgroups'] is not None else 'none (individuals)'}")
    for col, vals in d["streams"].items():
        shown_vals = ", ".join(map(str, vals[:8])) + (" …" if len(vals) > 8 else "")
        out.append(f"stream    {col}: {len(vals)} value{'s' * (len(vals) != 1)} ({shown_vals})")
    out.append(f"lots      {len(d['lots'])}")
    for lot in d["lots"]:
        span = f"  {lot['first']} … {lot['last']}" if lot["first"] else ""
        out.append(f"  {lot['lot'] or '—':<14} {lot['parts']:>5} parts{span}")
    out.append(f"features  {len(d['features'])}")
    out.append(f"  {'feature':<24} {'class':<9} {'nominal':>10} {'LSL':>10} {'USL':>10} "
               f"{'unit':<5} {'n':>5} {'missing':>7}  source")
    for f in d["features"]:
        out.append(
            f"  {str(f['feature'])[:24]:<24} {str(f['class'] or '—'):<9} {_num(f['nominal']):>10} "
            f"{_num(f['lsl']):>10} {_num(f['usl']):>10} {str(f['unit'] or ''):<5} {f['n']:>5} "
            f"{f['n_missing']:>7}  {f['source'] or ''}"
        )
    if d["attribute_characteristics"]:
        out.append("attribute characteristics (sample counts; K2004 = 1 analysed as go/no-go): "
                   + ", ".join(d["attribute_characteristics"]))
    if d.get("go_nogo_characteristics"):
        out.append("go/no-go characteristics: " + ", ".join(
            f"{g['feature']} ({g['nonconforming']} of {g['n']} nonconforming)" for g in d["go_nogo_characteristics"]))
    details = d["details"] or {}
    subs = details.get("inputs") or [details]
    shown_subs = subs if len(subs) <= 3 else subs[:2]
    for sub in shown_subs:
        for key, val in (sub or {}).items():
            if key != "inputs":
                out.extend(_detail_lines(key, val))
    if len(shown_subs) < len(subs):
        out.append(f"detail    … details of {len(subs) - len(shown_subs)} more files in "
                   "`pilotqa inspect --json`")
    if d["notes"]:
        out.append("notes")
        out.extend(f"  - {n}" for n in d["notes"])
    if d["problems"]:
        out.append("problems (pilotqa analyze will refuse this input until they are fixed)")
        out.extend(f"  ! {p}" for p in d["problems"])
    return "\n".join(out)
