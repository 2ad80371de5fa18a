"""SpreadsheetML cell XML written directly: the rows of the workbook's large sheets (issue 16).

openpyxl turns every cell into an object and an XML element tree before it writes it (about
20 µs a cell); the workbook's large sheets (10^6 readings at the issue's target size) spend
most of their time there. This module writes the same ``<row>``/``<c>`` elements as text:

* a number: ``<c r="D2" s="5" t="n"><v>0.1</v></c>`` — the value formatted ``"%.16g"``,
  exactly as openpyxl formats it (``openpyxl.compat.strings.safe_string``);
* a date: ``t="n"`` with the Excel serial day number (:func:`openpyxl.utils.datetime.to_excel`
  in the workbook's epoch), written ``"%.16g"`` as well;
* a text: an inline string ``<c r="B2" t="inlineStr"><is><t>…</t></is></c>`` (what openpyxl
  writes in write-only mode; ECMA-376 Part 1 §18.3.1.53 ``is``), ``& < >`` escaped and
  ``xml:space="preserve"`` on text with leading or trailing white space around other text,
  as openpyxl's ``whitespace`` helper sets it;
* a styled empty cell: ``<c r="E2" s="7" t="n" />``.

The style index ``s`` is the workbook's cell-style (``xf``) index that openpyxl registered for
the style, so ``styles.xml`` stays openpyxl's. :class:`SheetBody` collects the rows of one
sheet in a temporary file and :func:`assemble` splices the bodies into the package openpyxl
wrote, before each sheet's ``</sheetData>`` (ECMA-376 Part 1 §18.3.1.80 ``sheetData``).
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Mapping

__all__ = ["SheetBody", "assemble", "escape_text", "number_text", "text_cell"]

def escape_text(text: str) -> str:
    """``text`` as XML character data: ``&``, ``<`` and ``>`` as entity references (what
    ElementTree's serialiser, and so openpyxl, escapes in element text)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def text_cell(ref: str, style: str, text: str) -> str:
    """An inline-string cell at ``ref`` (``style``: ``' s="N"'`` or ``''``).

    The empty string is a typed cell without content, as openpyxl writes it.
    """
    if not text:
        return f'<c r="{ref}"{style} t="inlineStr" />'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape_text(text)}</t></is></c>'


def number_text(value: float | int) -> str:
    """The ``<v>`` text of a finite number, as openpyxl writes it: ``"%.16g" % value``.

    (Not ``repr``: 16 significant digits can miss the 17th of a double; the workbook keeps
    the numbers openpyxl has always written, so LibreOffice and Excel show the same text.)
    """
    return "%.16g" % value


class SheetBody:
    """The ``<row>`` elements of one sheet, kept in a temporary file (UTF-8) until
    :func:`assemble` copies them into the package; :meth:`close` removes the file."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()
        self._pending: list[str] = []
        self._size = 0

    def write(self, xml: str) -> None:
        """Add XML text (whole rows); written out in blocks of about 1 MB."""
        self._pending.append(xml)
        self._size += len(xml)
        if self._size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._file.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()
            self._size = 0

    def copy_to(self, out: IO[bytes]) -> None:
        self.flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, out, 1 << 20)

    def close(self) -> None:
        self._file.close()


_END = b"</sheetData>"


def assemble(package: bytes, path: Path, bodies: Mapping[str, SheetBody]) -> None:
    """Write the zip ``package`` (openpyxl's workbook) to ``path`` with each body of ``bodies``
    (by member name, ``xl/worksheets/sheetN.xml``) inserted before that sheet's
    ``</sheetData>``; every other member is copied unchanged, in the same order and with the
    same compression (deflate)."""
    import io

    with zipfile.ZipFile(io.BytesIO(package)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst:
        for info in src.infolist():
            data = src.read(info)
            body = bodies.get(info.filename)
            if body is None:
                dst.writestr(info, data)
                continue
            head, tail = _split(data)
            out = zipfile.ZipInfo(info.filename, info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(out, "w", force_zip64=True) as fh:
                fh.write(head)
                body.copy_to(fh)
                fh.write(tail)


def _split(sheet: bytes) -> tuple[bytes, bytes]:
    """The sheet's XML before and after the place of the body rows: its ``</sheetData>``, or an
    empty ``<sheetData/>`` opened and closed around them."""
    cut = sheet.rfind(_END)
    if cut >= 0:
        return sheet[:cut], sheet[cut:]
    m = re.search(rb"<sheetData\s*/>", sheet)
    if m is None:
        raise ValueError("the worksheet has no sheetData element")
    return sheet[:m.start()] + b"<sheetData>", _END + sheet[m.end():]
