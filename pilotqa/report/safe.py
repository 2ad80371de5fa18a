"""Output-safety helpers shared by the HTML and XLSX writers.

Everything a report shows that came from input (feature names, part numbers, metadata, file and
sheet names, notes, reasons) is untrusted. This module holds the few places where such text
crosses into a context that jinja2's HTML autoescaping does not cover:

* JSON embedded in ``<script type="application/json">`` (:func:`json_for_script`): ``<``, ``>``
  and ``&`` are written as ``\\u003c``/``\\u003e``/``\\u0026`` so no string can close the script
  element (``</script>``) or open an HTML comment; U+2028/U+2029 are escaped as well.
* CSS string literals in ``<style>`` (:func:`css_string`), used for the ``@page`` running header:
  every character outside ``[A-Za-z0-9 ]`` becomes a 6-digit CSS hex escape.
* Spreadsheet cells (:func:`xlsx_text`): text that a spreadsheet program could take for a formula
  (leading ``= + - @``, tab, CR, LF, or their full-width forms) is flagged so the writer stores it
  as a string with the ``quotePrefix`` style (what Excel itself records when a user types a
  leading apostrophe); characters that XML 1.0 cannot carry are replaced and the text is cut to
  Excel's 32,767-character cell limit.

References: OWASP, "CSV Injection" (formula injection) cheat sheet; HTML Living Standard §4.12.1.3
"Restrictions for contents of script elements"; CSS Syntax Module Level 3 §4.3.7 (escapes);
ECMA-376 Part 1 §18.8.45 (``xf@quotePrefix``).
"""
from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup

__all__ = [
    "NULL_TEXT",
    "json_for_script",
    "css_string",
    "xlsx_text",
    "FORMULA_TRIGGERS",
    "clean_text",
]

#: What a report shows for an undefined (null) value.
NULL_TEXT = "—"

#: Leading characters that make a spreadsheet program interpret a typed cell as a formula
#: (OWASP CSV-injection list: = + - @ TAB CR; plus LF and the full-width forms that some
#: input methods convert).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# XML 1.0 forbids C0 controls other than TAB, LF, CR (openpyxl raises IllegalCharacterError).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_MAX_CELL = 32767

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_SCRIPT_REPLACEMENTS: tuple[tuple[str, str], ...] = tuple(
    (chr(k), v) for k, v in _SCRIPT_ESCAPES.items())


def json_for_script(obj: Any) -> Markup:
    """Serialise ``obj`` for a ``<script type="application/json">`` element.

    The result contains no ``<``, ``>`` or ``&`` at all (they are JSON ``\\u`` escapes, which
    ``JSON.parse`` turns back into the same characters), so it can never end the script element
    nor be read as markup. NaN/Infinity are refused (``allow_nan=False``): callers pass JSON-safe
    data.
    """
    text = json.dumps(obj, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    # A chain of str.replace (each one C-level scan) is several times faster than str.translate with a dict on long text; the
    # replacements contain none of the five characters, so the order does not matter and the
    # result equals ``text.translate(_SCRIPT_ESCAPES)`` (tests/test_report_fast_escape.py).
    for ch, esc in _SCRIPT_REPLACEMENTS:
        text = text.replace(ch, esc)
    return Markup(text)


def css_string(text: str) -> Markup:
    """A double-quoted CSS string literal with every character outside ``[A-Za-z0-9 ]`` escaped.

    Each escape is the 6-hex-digit form followed by one space (``\\00003c ``); CSS consumes
    that single space as part of the escape (CSS Syntax 3 §4.3.7), so the text that follows is
    kept exactly. The output contains no quote, newline, ``<`` or ``>`` that could end the
    string, the rule or the ``<style>`` element.
    """
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x} ")
    return Markup('"' + "".join(out) + '"')


def clean_text(text: str) -> str:
    """Replace characters XML 1.0 cannot carry with U+FFFD (used for both HTML and XLSX)."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def xlsx_text(value: Any) -> tuple[str, bool]:
    """Text for a spreadsheet cell and whether it must be protected against formula injection.

    Returns
    -------
    (text, quote) : tuple[str, bool]
        ``text`` is ``str(value)`` with XML-illegal characters replaced and cut to 32,767
        characters; ``quote`` is True when the text starts with a formula trigger
        (:data:`FORMULA_TRIGGERS`). The writer then stores it as an explicit string cell
        (``data_type = "s"``) with ``quotePrefix`` set, so Excel and LibreOffice show it
        literally and keep it text even when the cell is edited.
    """
    text = clean_text(str(value))[:_EXCEL_MAX_CELL]
    return text, text.startswith(FORMULA_TRIGGERS)
