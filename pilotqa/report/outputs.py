"""Write the chosen outputs of an analysis without ever silently overwriting a user's file.

A target that already exists is replaced only when pilotqa wrote it (a JSON document with
``"schema": "pilotqa.analysis/1"``, an HTML report carrying ``<meta name="generator"
content="pilotqa …">``, a workbook whose creator is ``pilotqa``) or when ``force`` is set;
otherwise :class:`~pilotqa.errors.InputError`. An output path that is one of the inputs is always
refused.

Every output is written into a private temporary folder created inside the output folder
(:func:`tempfile.mkdtemp`: a new, unpredictable name, mode 0700); when all are complete they are
renamed over their targets, each in one step (:func:`os.replace`), so that no predictable
temporary name exists at which a symbolic link or a user's file could be overwritten, a reader
never sees half a file, and a writer that fails leaves the previous outputs untouched.
Problems with the output folder (a dangling symbolic link, a path under a file, a folder that
cannot be created or written, a target that is a folder) are an
:class:`~pilotqa.errors.OutputError`: exit 2, one line.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pilotqa.errors import InputError, OutputError

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["FORMATS", "parse_formats", "output_stem", "written_by_pilotqa", "write_outputs",
           "prepare_output_folder", "check_output_folder", "check_targets", "replace_atomically",
           "write_targets"]

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


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\u2028\u2029]")
#: Longest output stem in characters (a file name must stay under the usual 255-byte limit).
MAX_STEM_CHARS = 120


def output_stem(inputs: Sequence[str | Path]) -> str:
    """Name of the outputs: the input's stem (a folder's name), ``<first>+N`` for several inputs.

    A folder given as ``.`` or ``..`` is named by what it is (``/data/run`` -> ``run``), never
    ``.json``; leading dots are dropped (no hidden outputs), control characters and slashes
    become ``_``, and a long name is cut to :data:`MAX_STEM_CHARS` characters.

    >>> output_stem(["exports/run 7.csv"]), output_stem(["a.dfq", "b.dfq"])
    ('run 7', 'a+1')
    """
    first = Path(inputs[0])
    if first.is_dir():
        stem = first.name if first.name not in ("", ".", "..") else first.resolve().name
    else:
        stem = first.stem
    stem = _UNSAFE_NAME.sub("_", stem).lstrip(".").strip() or "pilotqa"
    stem = stem[:MAX_STEM_CHARS].rstrip() or "pilotqa"
    return stem if len(inputs) == 1 else f"{stem}+{len(inputs) - 1}"


def written_by_pilotqa(path: Path) -> bool:
    """True if ``path`` is an output pilotqa wrote earlier (safe to replace)."""
    try:
        if path.suffix == ".json":
            with open(path, encoding="utf-8") as fh:
                return bool(json.load(fh).get("schema") == "pilotqa.analysis/1")
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


def _check_folder_itself(out_dir: Path) -> None:
    if out_dir.is_symlink() and not out_dir.exists():
        raise OutputError("the output folder is a symbolic link to nothing (a dangling link); "
                          "choose another --out", path=str(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("the output folder exists and is not a folder; choose another --out",
                          path=str(out_dir))


def prepare_output_folder(out_dir: Path) -> None:
    """Create the output folder (and its parents) or say in one line why it cannot be used."""
    _check_folder_itself(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError("cannot create the output folder: part of the path is a file; "
                          "choose another --out", path=str(out_dir)) from None
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc}); choose "
                          "another --out", path=str(out_dir)) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError("the output folder is not writable; choose another --out",
                          path=str(out_dir))


def check_output_folder(out_dir: Path, targets: Sequence[Path] = (), *, force: bool = False,
                        inputs: Sequence[str | Path] = ()) -> None:
    """Before any work: refuse an output folder that cannot be created or written, and targets
    :func:`check_targets` refuses. Creates nothing (an input refused later leaves no folder)."""
    _check_folder_itself(out_dir)
    near = out_dir
    while not os.path.lexists(near) and near != near.parent:
        near = near.parent
    if near.is_symlink() and not near.exists():
        raise OutputError(f"cannot create the output folder: {near} is a dangling symbolic link; "
                          "choose another --out", path=str(out_dir))
    if near.exists() and not near.is_dir():
        raise OutputError(f"cannot create the output folder: {near} is a file; choose another "
                          "--out", path=str(out_dir))
    if near.is_dir() and not os.access(near, os.W_OK | os.X_OK):
        what = "the output folder is" if near == out_dir else f"{near} is"
        raise OutputError(f"{what} not writable; choose another --out", path=str(out_dir))
    if out_dir.is_dir():
        check_targets(targets, force=force, inputs=inputs)


def _resolved(p: Path) -> Path:
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # a symbolic-link loop
        return p.absolute()


def check_targets(targets: Sequence[Path], *, force: bool, inputs: Sequence[str | Path] = (),
                  ours: Callable[[Path], bool] = written_by_pilotqa) -> None:
    """Refuse targets that are inputs, folders or other non-files, or (without ``force``)
    existing files pilotqa did not write. A symbolic link at a target is replaced itself, never
    the file it points to."""
    input_paths = {_resolved(Path(p)) for p in inputs}
    for t in targets:
        if _resolved(t) in input_paths:
            raise InputError("refusing to write an output over an input file", file=str(t))
        try:
            st = os.lstat(t)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot check the output file ({exc.strerror or exc})",
                              path=str(t)) from None
        if stat.S_ISDIR(st.st_mode):
            raise OutputError("is a folder; pilotqa does not replace a folder with an output "
                              "(choose another --out)", path=str(t))
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            raise OutputError("exists and is not a regular file; not replacing it (choose "
                              "another --out)", path=str(t))
        if not force and not (t.is_file() and ours(t)):
            raise InputError(
                "exists and was not written by pilotqa; not overwriting it "
                "(choose another --out folder, or pass --force)",
                file=str(t),
            )


def replace_atomically(targets: Sequence[tuple[Path, Callable[[Path], None]]]) -> None:
    """Write every ``(target, write)`` through ``write(path)`` without a predictable temporary
    name, then put them all in place.

    Each ``write`` gets a path inside one fresh private folder (``tempfile.mkdtemp`` in the
    targets' folder: created exclusively, unpredictable name, mode 0700), so it can neither follow
    a planted symbolic link nor clobber a user's ``*.tmp`` file. Only when every file is complete
    are they renamed over their targets, each in one step: a writer that fails leaves the
    previous outputs as they were. The private folder is removed, also on failure.
    """
    if not targets:
        return
    folder = targets[0][0].parent
    try:
        tmp_dir = Path(tempfile.mkdtemp(prefix=".pilotqa-", dir=folder))
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder ({exc.strerror or exc})",
                          path=str(folder)) from None
    try:
        done: list[tuple[Path, Path]] = []
        for target, write in targets:
            tmp = tmp_dir / target.name
            try:
                write(tmp)
            except OSError as exc:
                raise OutputError(f"cannot write the output ({exc.strerror or exc})",
                                  path=str(target)) from None
            done.append((tmp, target))
        for tmp, target in done:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise OutputError(f"cannot write the output ({exc.strerror or exc})",
                                  path=str(target)) from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def write_targets(out_dir: Path, writers: Sequence[tuple[Path, Callable[[Path], None]]], *,
                  force: bool = False, inputs: Sequence[str | Path] = (),
                  ours: Callable[[Path], bool] = written_by_pilotqa) -> list[Path]:
    """Check every target, prepare the folder, then write them all
    (:func:`replace_atomically`); returns the targets written."""
    targets = [t for t, _ in writers]
    prepare_output_folder(out_dir)
    check_targets(targets, force=force, inputs=inputs, ours=ours)
    replace_atomically(writers)
    return targets


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

    def json_writer(path: Path) -> None:
        from pilotqa.report.json import build_document, write_json

        write_json(build_document(result), path)

    def html_writer(path: Path) -> None:
        from pilotqa.report.html import write_html

        write_html(result, path)

    def xlsx_writer(path: Path) -> None:
        from pilotqa.report.xlsx import write_xlsx

        write_xlsx(result, path)

    by_format = {"json": json_writer, "html": html_writer, "xlsx": xlsx_writer}
    return write_targets(out_dir, [(out_dir / f"{stem}.{fmt}", by_format[fmt]) for fmt in formats],
                         force=force, inputs=inputs)
