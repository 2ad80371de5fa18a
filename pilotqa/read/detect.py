"""Format sniffing and input expansion.

Each module in :data:`FORMAT_MODULES` exposes ``FORMAT``, ``sniff(path, head) -> bool`` and
``read_path(path, opts) -> Inspection``; it may also expose ``is_companion(path, head) -> bool``
for files that another file of the same format consumes (a CALYPSO ``*_hdr.txt`` beside its
``*_chr.txt``, an AQDEF ``.dfx`` beside its ``.dfd``). Modules are tried in order; the tabular
reader (CSV / XLSX) comes last.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pilotqa.errors import InputError, PilotqaError

if TYPE_CHECKING:
    from pilotqa.model import Inspection
    from pilotqa.read import ReadOptions

__all__ = ["FORMAT_MODULES", "sniff_format", "expand_inputs", "read_one", "order_by_time",
           "read_inputs"]

FORMAT_MODULES: tuple[str, ...] = (
    "pilotqa.read.aqdef",
    "pilotqa.read.calypso",
    "pilotqa.read.pcdmis",
    "pilotqa.read.tabular",
)

_HEAD_BYTES = 65536


def _modules() -> list[ModuleType]:
    return [importlib.import_module(m) for m in FORMAT_MODULES]


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD_BYTES)


def sniff_format(path: Path) -> ModuleType | None:
    """The reader module whose ``sniff`` accepts this file, else None."""
    head = _head(path)
    for mod in _modules():
        if mod.sniff(path, head):
            return mod
    return None


def _is_companion(path: Path) -> bool:
    head = _head(path)
    for mod in _modules():
        fn = getattr(mod, "is_companion", None)
        if fn is not None and fn(path, head):
            return True
    return False


def expand_inputs(paths: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to read, and ``(path, reason)`` for what a folder held that was skipped.

    A file named explicitly must exist and be supported (else InputError); in a folder,
    unsupported files are skipped and named.
    """
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for p in paths:
        if not p.exists():
            raise InputError("no such file or folder", file=str(p))
        if p.is_dir():
            found = 0
            for f in sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith(".")):
                if f.stat().st_size == 0:
                    skipped.append((str(f), "empty file"))
                elif _is_companion(f):
                    continue  # read together with the file it belongs to
                elif sniff_format(f) is None:
                    skipped.append((str(f), "not a supported inspection export"))
                else:
                    files.append(f)
                    found += 1
            if not found:
                raise InputError("the folder holds no supported inspection export", file=str(p))
        else:
            files.append(p)
    return files, skipped


def read_one(path: Path, opts: "ReadOptions") -> "Inspection":
    """Read one file with the reader its content calls for."""
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path))
    mod = sniff_format(path)
    if mod is None:
        raise InputError(
            "not a supported inspection export (CSV, XLSX, Q-DAS AQDEF, PC-DMIS or CALYPSO table)",
            file=str(path),
        )
    try:
        return mod.read_path(path, opts)
    except (PilotqaError, MemoryError):
        raise
    except Exception as exc:  # a reader tripped over damaged content: a refusal naming the file
        why = " ".join(str(exc).split())[:200]
        raise InputError(f"cannot be read as {mod.FORMAT} ({type(exc).__name__}: {why}); the file "
                         "is damaged or not a valid export", file=str(path)) from exc


def order_by_time(insps: list["Inspection"], files: list[Path]) -> list["Inspection"]:
    """A folder's inspections ordered by their earliest measurement time, then file name.

    Files without any timestamp follow the timed ones, in name order.
    """
    def key(pair: tuple["Inspection", Path]) -> tuple[bool, object, str]:
        insp, f = pair
        ts = insp.measurements["timestamp"].min() if insp.measurements.height else None
        return (ts is None, ts if ts is not None else 0, f.name)

    return [i for i, _ in sorted(zip(insps, files), key=key)]


def read_inputs(
    paths: list[Path], opts: "ReadOptions"
) -> tuple[list["Inspection"], list[tuple[str, str]]]:
    """Read every input: files in the order given, each folder's files ordered by measurement
    time (:func:`order_by_time`); returns the inspections and what folders held that was skipped.
    """
    parts: list["Inspection"] = []
    skipped: list[tuple[str, str]] = []
    for p in paths:
        files, sk = expand_inputs([p])
        skipped += sk
        insps = [read_one(f, opts) for f in files]
        parts += order_by_time(insps, files) if p.is_dir() else insps
    return parts, skipped
