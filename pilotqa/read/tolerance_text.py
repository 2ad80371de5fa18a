"""Tolerances written in a characteristic's text, as drawings and inspection reports write them.

Used by the characteristic-per-row reader (:mod:`pilotqa.read.charrows`) when a row's nominal and
tolerance cells are empty, and to cross-check the text against those cells when both are given.

Recognised (``t``, ``a``, ``b`` are numbers; ``.`` or ``,`` decimals; ``−`` or ``-``):

=================================  ==========================================================
text                               meaning
=================================  ==========================================================
``Ø20 ±0.02``, ``20 +/- 0.02``     bilateral: nominal 20, limits 19.98 / 20.02
``10 +0.015/0``, ``R5 +0.1/-0.05`` deviations: upper then lower, each signed (``0`` needs no
``10 +0.015 -0.005``               sign); a lower deviation written without sign and not 0 is
                                   refused (``10 +0.1/0.05``: is it −0.05 or +0.05?)
``Ø42 H7``, ``20 h6``, ``8 js7``    ISO 286 fit — only the fundamental deviations that need no
                                   table of their own: ``H`` (holes, EI = 0), ``h`` (shafts,
                                   es = 0), ``JS``/``js`` (±IT/2), grades IT5–IT11, sizes up
                                   to 500 mm; any other fit letter is refused, not guessed
``42.000/42.025``                  absolute limits (both numbers with decimals)
``⌖ Ø0.05 A B C``, ``Position 0.1``  geometric tolerance (ISO 1101 / ASME Y14.5): one-sided
``⏥ 0.05``, ``Flatness 0.05``      zone: nominal 0, no LSL, USL = t, bounded below by 0
``Ra 1.6``, ``Rz max 6.3``         surface roughness: the same, one-sided, bounded by 0
``max 1.6``, ``≤ 1.6``, ``min 3``  one-sided limit without nominal
=================================  ==========================================================

Not tolerances, removed before matching: thread designations (``M8x1.25``, ``M8x1.25-6H``,
``M8``), datum references after a geometric tolerance. A number alone (``Bore depth 18``) is a
nominal without tolerance: :func:`parse_tolerance_text` returns None for it.

Limits are computed in decimal arithmetic from the digits as written, so 42 + 0.025 gives
42.025 exactly as the long CSV writes it, not 42.025000000000006.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pilotqa.read.limits import add_decimal  # re-exported: the one limit-arithmetic helper

__all__ = [
    "ToleranceTextError",
    "TextTolerance",
    "GEOMETRIC_KINDS",
    "geometric_kind",
    "parse_tolerance_text",
    "iso286_limits",
    "add_decimal",
]


class ToleranceTextError(ValueError):
    """The text holds a tolerance that cannot be read without guessing (message says why)."""


@dataclass(frozen=True)
class TextTolerance:
    """A tolerance read from text.

    Attributes
    ----------
    nominal : float | None
        Nominal size (0 for geometric tolerances and roughness; None for bare max/min).
    lsl, usl : float | None
        Absolute limits; None = no limit on that side.
    kind : str
        ``bilateral``, ``deviations``, ``fit``, ``limits``, ``geometric``, ``max`` or ``min``.
    geometric : str | None
        Geometric characteristic (``position``, ``flatness`` …, ``roughness``) or None.
    lower_bound_zero : bool
        True for geometric tolerances and roughness (the value cannot be below 0).
    matched : str
        The part of the text that gave the tolerance.
    """

    nominal: float | None
    lsl: float | None
    usl: float | None
    kind: str
    geometric: str | None
    lower_bound_zero: bool
    matched: str


#: Geometric characteristic symbols (ISO 1101 / ASME Y14.5 glyphs as Unicode writes them) and
#: words, mapped to a name. Every one of them is a one-sided zone bounded below by 0.
_GEOMETRIC_SYMBOLS: dict[str, str] = {
    "⌖": "position", "⏥": "flatness", "⏤": "straightness", "○": "circularity",
    "⌭": "cylindricity", "⌒": "profile", "⌓": "profile", "⟂": "perpendicularity",
    "⊥": "perpendicularity", "∥": "parallelism", "//": "parallelism", "∠": "angularity",
    "◎": "concentricity", "⌯": "symmetry", "↗": "runout", "⌰": "total runout",
}
_GEOMETRIC_WORDS: dict[str, str] = {
    "true position": "position", "position": "position", "tp": "position",
    "flatness": "flatness", "straightness": "straightness", "circularity": "circularity",
    "roundness": "circularity", "cylindricity": "cylindricity",
    "profile of a surface": "profile", "profile of a line": "profile",
    "surface profile": "profile", "line profile": "profile", "profile": "profile",
    "perpendicularity": "perpendicularity", "squareness": "perpendicularity",
    "parallelism": "parallelism", "angularity": "angularity", "concentricity": "concentricity",
    "coaxiality": "concentricity", "symmetry": "symmetry", "total runout": "total runout",
    "circular runout": "runout", "runout": "runout", "run-out": "runout",
    # German (DIN EN ISO 1101 names as CMM software and drawings write them)
    "ebenheit": "flatness", "geradheit": "straightness", "rundheit": "circularity",
    "zylindrizität": "cylindricity", "zylinderform": "cylindricity", "profil": "profile",
    "linienprofil": "profile", "flächenprofil": "profile", "linienform": "profile",
    "flächenform": "profile", "rechtwinkligkeit": "perpendicularity",
    "parallelität": "parallelism", "neigung": "angularity", "positionstoleranz": "position",
    "konzentrizität": "concentricity", "koaxialität": "concentricity", "symmetrie": "symmetry",
    "rundlauf": "runout", "planlauf": "runout", "gesamtrundlauf": "total runout",
    "gesamtplanlauf": "total runout",
}
_ROUGHNESS = ("ra", "rz", "rq", "rt", "rmax")
#: Names :func:`geometric_kind` can return.
GEOMETRIC_KINDS: frozenset[str] = frozenset(
    set(_GEOMETRIC_SYMBOLS.values()) | set(_GEOMETRIC_WORDS.values()) | {"roughness"}
)

_N = r"\d+(?:[.,]\d+)?|[.,]\d+"  # unsigned number
_SN = rf"[+\-]?\s?(?:{_N})"  # signed number (sign may be followed by one space)
_DEC = r"\d+[.,]\d+"  # number with decimals
_PREFIX = r"(?:(?:Ø|⌀|∅|SØ|S⌀|SR|R|dia\.?|diameter)\s?)?"

_THREAD_RE = re.compile(
    r"\b(?:M|MF|UNC|UNF)\s?\d+(?:[.,]\d+)?(?:\s?[x×]\s?\d+(?:[.,]\d+)?)?(?:\s?-\s?\d[A-Za-z]{1,2})?\b",
)
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in sorted(_GEOMETRIC_SYMBOLS, key=len, reverse=True)))
_WORD_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(re.escape(w) for w in sorted(_GEOMETRIC_WORDS, key=len, reverse=True))
    + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_ROUGH_RE = re.compile(r"(?<![A-Za-z])(R(?:a|z|q|t|max))(?![A-Za-z])")
# after a geometric symbol/word: optional "Ø", optional "≤"/"max", then the tolerance
_GEO_VALUE_RE = re.compile(rf"^[\s|:=]*(?:max\.?\s*|≤\s*|<=\s*)?(?:Ø|⌀|∅)?\s*({_N})")
_U = r"(?:\s?(?:mm|°|deg|µm|um|in)(?![A-Za-z]))?"  # unit written after a number
_BILATERAL_RE = re.compile(rf"{_PREFIX}({_N}){_U}\s*(?:±|\+/-|\+-)\s*({_N}){_U}", re.IGNORECASE)
_DEVIATIONS_RE = re.compile(
    rf"{_PREFIX}({_N}){_U}\s*([+\-]\s?(?:{_N}))\s*(?:/\s*|\s+)({_SN})(?![\d.,])", re.IGNORECASE
)
_SINGLE_DEV_RE = re.compile(rf"{_PREFIX}({_N})\s+([+\-]\s?(?:{_N}))(?![\d.,/\s]*[+\-/\d])", re.IGNORECASE)
# ISO 286-1 fundamental-deviation letters (holes upper case, shafts lower case); grades 4–13
_FIT_LETTERS = "ZC|ZB|ZA|CD|EF|FG|JS|A|B|C|D|E|F|G|H|J|K|M|N|P|R|S|T|U|V|X|Y|Z"
_FIT_RE = re.compile(
    rf"{_PREFIX}({_N})\s?({_FIT_LETTERS}|{_FIT_LETTERS.lower()})(1[0-3]|[4-9])(?![\w.,])"
)
_LIMITS_RE = re.compile(rf"(?<![\d.,])({_DEC})\s*(?:/|\.\.\.|…)\s*({_DEC})(?![\d.,])")
_MAXMIN_RE = re.compile(rf"(?<![A-Za-z])(max\.?|min\.?|≤|≥|<=|>=)\s*({_N})", re.IGNORECASE)

# ISO 286-1:2010, Table 1 — standard tolerance grades IT5…IT11 in µm for nominal sizes
# "above … up to and including" the bounds below (mm).
_IT_BOUNDS: tuple[float, ...] = (3, 6, 10, 18, 30, 50, 80, 120, 180, 250, 315, 400, 500)
_IT_UM: dict[int, tuple[int, ...]] = {
    5: (4, 5, 6, 8, 9, 11, 13, 15, 18, 20, 23, 25, 27),
    6: (6, 8, 9, 11, 13, 16, 19, 22, 25, 29, 32, 36, 40),
    7: (10, 12, 15, 18, 21, 25, 30, 35, 40, 46, 52, 57, 63),
    8: (14, 18, 22, 27, 33, 39, 46, 54, 63, 72, 81, 89, 97),
    9: (25, 30, 36, 43, 52, 62, 74, 87, 100, 115, 130, 140, 155),
    10: (40, 48, 58, 70, 84, 100, 120, 140, 160, 185, 210, 230, 250),
    11: (60, 75, 90, 110, 130, 160, 190, 220, 250, 290, 320, 360, 400),
}


def _dec(s: str) -> Decimal:
    return Decimal(s.replace(" ", "").replace(",", "."))


def iso286_limits(size: float, letter: str, grade: int) -> tuple[float, float]:
    """Limits of an ISO 286 tolerance class ``size letter grade`` (e.g. 42 H7 -> 42.000/42.025).

    Only classes whose fundamental deviation is fixed by definition (ISO 286-1:2010 §5.3):
    ``H`` holes (lower deviation EI = 0, upper ES = IT), ``h`` shafts (es = 0, ei = −IT) and
    ``JS``/``js`` (±IT/2). IT values: ISO 286-1:2010 Table 1, grades IT5–IT11, sizes above 0
    up to and including 500 mm.

    Raises
    ------
    ToleranceTextError
        for any other letter, grade or size (pilotqa does not guess a fit it has no table for).
    """
    if grade not in _IT_UM:
        raise ToleranceTextError(f"tolerance grade IT{grade} is outside IT5–IT11 that pilotqa knows")
    if not 0 < size <= _IT_BOUNDS[-1]:
        raise ToleranceTextError(f"nominal size {size:g} mm is outside ISO 286's 0–500 mm table")
    idx = next(i for i, b in enumerate(_IT_BOUNDS) if size <= b)
    it = Decimal(_IT_UM[grade][idx]) / Decimal(1000)
    if letter == "H":
        lo, hi = Decimal(0), it
    elif letter == "h":
        lo, hi = -it, Decimal(0)
    elif letter.lower() == "js":
        lo, hi = -it / 2, it / 2
    else:
        raise ToleranceTextError(
            f"fit '{letter}{grade}' needs ISO 286-2 deviation tables pilotqa does not carry "
            "(only H, h and JS/js are computed)"
        )
    d = _dec(repr(float(size)))
    return float(d + lo), float(d + hi)


def geometric_kind(text: str | None) -> str | None:
    """The geometric characteristic a text names (``position``, ``flatness`` …, ``roughness``).

    Looks for a GD&T symbol, a geometric word, or a roughness parameter (``Ra``, ``Rz`` …
    written with capital R); None when the text names none.
    """
    if not text:
        return None
    if (m := _SYMBOL_RE.search(text)) is not None:
        return _GEOMETRIC_SYMBOLS[m.group(0)]
    if (m := _WORD_RE.search(text)) is not None:
        return _GEOMETRIC_WORDS[m.group(1).lower()]
    if _ROUGH_RE.search(text) is not None:
        return "roughness"
    return None


def _geometric(text: str) -> TextTolerance | None:
    for rx, name_of in (
        (_SYMBOL_RE, lambda m: _GEOMETRIC_SYMBOLS[m.group(0)]),
        (_WORD_RE, lambda m: _GEOMETRIC_WORDS[m.group(1).lower()]),
        (_ROUGH_RE, lambda m: "roughness"),
    ):
        for m in rx.finditer(text):
            v = _GEO_VALUE_RE.match(text[m.end():])
            if v is not None:
                tol = float(_dec(v.group(1)))
                if tol <= 0:
                    raise ToleranceTextError(f"geometric tolerance '{text.strip()}' is not positive")
                return TextTolerance(0.0, None, tol, "geometric", name_of(m), True,
                                     (m.group(0) + text[m.end():m.end() + v.end()]).strip())
    return None


def parse_tolerance_text(text: str | None) -> TextTolerance | None:
    """Read the tolerance a characteristic's text states (see the module docstring).

    Returns None when the text states no tolerance (a plain name, a nominal alone, a thread).

    Raises
    ------
    ToleranceTextError
        when the text states a tolerance that cannot be read without guessing.
    """
    if not text or not str(text).strip():
        return None
    s = str(text).replace("\u2212", "-").replace("\u2013", "-").replace("\u00a0", " ")
    s = _THREAD_RE.sub(" ", s)
    geo = _geometric(s)
    if geo is not None:
        return geo
    rough = geometric_kind(s) == "roughness"
    if (m := _BILATERAL_RE.search(s)) is not None:
        nom, tol = _dec(m.group(1)), _dec(m.group(2))
        return TextTolerance(float(nom), float(nom - tol), float(nom + tol), "bilateral", None,
                             False, m.group(0).strip())
    if (m := _DEVIATIONS_RE.search(s)) is not None:
        nom, up = _dec(m.group(1)), _dec(m.group(2))
        lo_txt = m.group(3).replace(" ", "")
        lo = _dec(lo_txt)
        if lo != 0 and lo_txt[0] not in "+-":
            raise ToleranceTextError(
                f"'{m.group(0).strip()}': the second deviation '{lo_txt}' has no sign, so it "
                f"could mean −{lo_txt} or +{lo_txt}; write it signed (e.g. '-{lo_txt}')"
            )
        hi_d, lo_d = max(up, lo), min(up, lo)
        return TextTolerance(float(nom), float(nom + lo_d), float(nom + hi_d), "deviations", None,
                             False, m.group(0).strip())
    if (m := _SINGLE_DEV_RE.search(s)) is not None:
        raise ToleranceTextError(
            f"'{m.group(0).strip()}' gives one deviation only; write both, e.g. "
            f"'{m.group(1)} {m.group(2).replace(' ', '')}/0'"
        )
    if (m := _LIMITS_RE.search(s)) is not None:
        a, b = float(_dec(m.group(1))), float(_dec(m.group(2)))
        if a == b:
            raise ToleranceTextError(f"'{m.group(0)}': both limits are equal")
        return TextTolerance(None, min(a, b), max(a, b), "limits", None, False, m.group(0))
    if (m := _FIT_RE.search(s)) is not None:
        lo_f, hi_f = iso286_limits(float(_dec(m.group(1))), m.group(2), int(m.group(3)))
        return TextTolerance(float(_dec(m.group(1))), lo_f, hi_f, "fit", None, False,
                             m.group(0).strip())
    if (m := _MAXMIN_RE.search(s)) is not None:
        op, val = m.group(1).lower().rstrip("."), float(_dec(m.group(2)))
        is_max = op in {"max", "≤", "<="}
        if is_max:
            return TextTolerance(0.0 if rough else None, None, val, "max",
                                 "roughness" if rough else None, rough, m.group(0).strip())
        return TextTolerance(None, val, None, "min", None, False, m.group(0).strip())
    return None
