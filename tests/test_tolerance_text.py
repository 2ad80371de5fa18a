"""Tolerances written in characteristic text (pilotqa.read.tolerance_text)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilotqa.read.tolerance_text import (
    ToleranceTextError,
    add_decimal,
    geometric_kind,
    iso286_limits,
    parse_tolerance_text,
)


@pytest.mark.parametrize(
    ("text", "nominal", "lsl", "usl", "kind"),
    [
        ("Ø20 ±0.02", 20.0, 19.98, 20.02, "bilateral"),
        ("Slot 10 +/- 0,02", 10.0, 9.98, 10.02, "bilateral"),
        ("Angle 45° ±0.5°", 45.0, 44.5, 45.5, "bilateral"),
        ("10 +0.015/0", 10.0, 10.0, 10.015, "deviations"),
        ("R5 +0.1/-0.05", 5.0, 4.95, 5.1, "deviations"),
        ("Length 10 +0.015 −0.005", 10.0, 9.995, 10.015, "deviations"),
        ("Shaft Ø12 -0.01/-0.03", 12.0, 11.97, 11.99, "deviations"),
        ("M8x1.25-6H thread depth 16 +0.5/0", 16.0, 16.0, 16.5, "deviations"),
        ("Bore 42.000/42.025", None, 42.0, 42.025, "limits"),
        ("max 1.6", None, None, 1.6, "max"),
        ("Depth min 3", None, 3.0, None, "min"),
    ],
)
def test_dimensional_tolerances(text: str, nominal: float | None, lsl: float | None,
                                usl: float | None, kind: str) -> None:
    t = parse_tolerance_text(text)
    assert t is not None
    assert (t.nominal, t.lsl, t.usl, t.kind) == (nominal, lsl, usl, kind)
    assert t.lower_bound_zero is False


@pytest.mark.parametrize(
    ("text", "geometric", "usl"),
    [
        ("⌖ 0.05", "position", 0.05),
        ("Hole 1 position ⌖ Ø0.1 |A|B|C|", "position", 0.1),
        ("Position 0.2 A B", "position", 0.2),
        ("⏥ 0.05", "flatness", 0.05),
        ("Flatness 0.05", "flatness", 0.05),
        ("↗ 0.02 A", "runout", 0.02),
        ("⌓ 0.1", "profile", 0.1),
        ("⟂ 0.03 A", "perpendicularity", 0.03),
        ("∥ 0.03 B", "parallelism", 0.03),
        ("◎ Ø0.02 A", "concentricity", 0.02),
        ("Ra 1.6", "roughness", 1.6),
        ("Rz max 6.3", "roughness", 6.3),
        ("Roughness Ra ≤ 0.8 µm", "roughness", 0.8),
    ],
)
def test_geometric_tolerances_are_one_sided(text: str, geometric: str, usl: float) -> None:
    t = parse_tolerance_text(text)
    assert t is not None
    assert (t.nominal, t.lsl, t.usl, t.geometric) == (0.0, None, usl, geometric)
    assert t.lower_bound_zero is True


@pytest.mark.parametrize(
    "text",
    ["M8x1.25", "Thread M8x1.25-6H", "M10", "Bore depth 18", "BORE_A_DIA", "Hole 1 P3", "", None,
     "Hole 1 position", "Wall thickness"],
)
def test_texts_without_tolerance(text: str | None) -> None:
    assert parse_tolerance_text(text) is None


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("10 +0.1/0.05", "no sign"),          # −0.05 or +0.05?
        ("Bore depth 18 +0.1", "one deviation only"),
        ("Ø20 g6", "deviation tables"),       # g needs ISO 286-2 tables
        ("Ø700 H7", "0–500 mm"),
    ],
)
def test_ambiguous_texts_are_refused(text: str, match: str) -> None:
    with pytest.raises(ToleranceTextError, match=match):
        parse_tolerance_text(text)


@pytest.mark.parametrize(
    ("size", "letter", "grade", "lsl", "usl"),
    [
        # ISO 286-1:2010 Table 1: IT7 for sizes above 30 up to and including 50 mm = 25 µm
        (42.0, "H", 7, 42.000, 42.025),
        # ISO 286-1:2010 Table 1: IT7 above 3 up to and including 6 mm = 12 µm (6 is in 3–6)
        (6.0, "H", 7, 6.000, 6.012),
        # ISO 286-1:2010 Table 1: IT7 above 18 up to and including 30 mm = 21 µm
        (20.0, "H", 7, 20.000, 20.021),
        # ISO 286-1:2010 Table 1: IT6 above 18 up to and including 30 mm = 13 µm; h: es = 0
        (20.0, "h", 6, 19.987, 20.000),
        # ISO 286-1:2010 Table 1: IT7 above 6 up to and including 10 mm = 15 µm; js = ±IT/2
        (8.0, "js", 7, 7.9925, 8.0075),
        # ISO 286-1:2010 Table 1: IT11 above 80 up to and including 120 mm = 220 µm
        (100.0, "H", 11, 100.000, 100.220),
    ],
)
def test_iso286_fits(size: float, letter: str, grade: int, lsl: float, usl: float) -> None:
    lo, hi = iso286_limits(size, letter, grade)
    assert lo == pytest.approx(lsl, abs=1e-12)
    assert hi == pytest.approx(usl, abs=1e-12)
    t = parse_tolerance_text(f"Ø{size:g} {letter}{grade} bore")
    assert t is not None and t.kind == "fit"
    assert (t.lsl, t.usl) == (lo, hi)


def test_geometric_kind() -> None:
    assert geometric_kind("⌖ Position hole 1") == "position"
    assert geometric_kind("Surface roughness Ra top") == "roughness"
    assert geometric_kind("Total runout A-B") == "total runout"
    assert geometric_kind("Ø42 H7 bore A") is None
    assert geometric_kind("Radius 5") is None  # "Ra" inside a word is not roughness
    assert geometric_kind(None) is None


def test_limits_are_exact_decimals() -> None:
    # 42 + 0.025 in binary floating point is 42.025000000000006; the text means 42.025
    t = parse_tolerance_text("Ø42 +0.025/0")
    assert t is not None and t.usl == 42.025
    assert add_decimal(42.0, 0.025) == 42.025


_decimals = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999.999"), places=3)


@given(nom=_decimals, tol=_decimals)
def test_bilateral_roundtrip(nom: Decimal, tol: Decimal) -> None:
    t = parse_tolerance_text(f"Ø{nom} ±{tol}")
    assert t is not None
    assert (t.nominal, t.lsl, t.usl) == (float(nom), float(nom - tol), float(nom + tol))


@given(nom=_decimals, up=_decimals, lo=_decimals)
def test_deviations_roundtrip(nom: Decimal, up: Decimal, lo: Decimal) -> None:
    t = parse_tolerance_text(f"{nom} +{up}/-{lo}")
    assert t is not None
    assert (t.lsl, t.usl) == (float(nom - lo), float(nom + up))
    assert t.lsl is not None and t.usl is not None and t.lsl < t.nominal < t.usl


@given(st.text(max_size=40))
def test_any_text_gives_a_tolerance_none_or_a_typed_refusal(text: str) -> None:
    try:
        t = parse_tolerance_text(text)
    except ToleranceTextError:
        return
    if t is not None and t.lsl is not None and t.usl is not None:
        assert t.lsl <= t.usl
