"""The fast paths of the report writers (issue 16) give exactly what the plain ones gave.

* :func:`pilotqa.report.safe.json_for_script` escapes with a chain of ``str.replace``; its output
  must equal the former ``str.translate`` escaping on any text, including ``</script>``,
  ``<!--``, U+2028/U+2029, ``&`` and quotes, and must never contain ``<``, ``>`` or ``&``.
* :mod:`pilotqa.report.figures` cleans a figure with type-checked fast paths
  (``_json_clean``) instead of :func:`pilotqa.util.json_safe` per element, rounds arrays in one
  comprehension (``_r``) and evaluates model densities and quantiles without freezing the scipy
  distribution (``_Model``): each must equal the plain computation.
* :mod:`pilotqa.report.xlsx` streams its sheets (write-only mode); formula-injection
  payloads must still be stored as text with ``quotePrefix``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pilotqa.report import figures
from pilotqa.report.safe import json_for_script
from pilotqa.util import json_safe
from tests.equality import type_tree

#: The escaping json_for_script used before the str.replace chain (the reference).
_TRANSLATE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
              0x2028: "\\u2028", 0x2029: "\\u2029"}

_PIECES = st.sampled_from(["</script>", "</SCRIPT >", "<!--", "-->", "<script>", "\u2028",
                           "\u2029", "&", "&amp;", '"', "'", "\\", "<", ">", "\x00", "é", "—",
                           "\ud7ff", "\U0001f600", " ", "\n", "\t"])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join)


def _reference(obj: object) -> str:
    return json.dumps(obj, allow_nan=False, ensure_ascii=False,
                      separators=(",", ":")).translate(_TRANSLATE)


@settings(max_examples=400, deadline=None)
@given(st.recursive(st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False,
                                                              allow_infinity=False),
                              st.booleans(), st.none()),
                    lambda kids: st.one_of(st.lists(kids, max_size=4),
                                           st.dictionaries(_TEXT, kids, max_size=4)),
                    max_leaves=12))
def test_json_for_script_equals_the_translate_escaping(obj: object) -> None:
    out = str(json_for_script(obj))
    assert out == _reference(obj)
    assert not any(ch in out for ch in "<>&\u2028\u2029")
    assert json.loads(out) == obj  # JSON.parse gives the same data back


def test_json_for_script_breakouts() -> None:
    for text in ("</script><script>alert(1)</script>", "<!--<script>", "a\u2028b\u2029c",
                 "&lt;&", "\"'`"):
        out = str(json_for_script({"k": text, "l": [text]}))
        assert out == _reference({"k": text, "l": [text]})
        assert "</" not in out and "<!--" not in out
        assert json.loads(out) == {"k": text, "l": [text]}


_LEAF = st.one_of(st.floats(), st.integers(), st.booleans(), st.none(), _TEXT,
                  st.floats().map(np.float64), st.integers(-2**31, 2**31).map(np.int64),
                  st.booleans().map(np.bool_))


@settings(max_examples=300, deadline=None)
@given(st.recursive(_LEAF, lambda kids: st.one_of(
    st.lists(kids, max_size=6), st.lists(kids, max_size=6).map(tuple),
    st.dictionaries(st.one_of(_TEXT, st.integers()), kids, max_size=4)), max_leaves=25))
def test_figure_clean_equals_json_safe(obj: object) -> None:
    got, ref = figures._json_clean(obj), json_safe(obj)
    assert json.dumps(got) == json.dumps(ref)  # the same JSON (NaN never appears)
    assert type_tree(got) == type_tree(ref)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(), max_size=40), st.sampled_from([6, 8, 10]))
def test_array_rounding_equals_scalar_rounding(values: list[float], sig: int) -> None:
    got = figures._r(np.asarray(values, dtype=float), sig)
    ref = [None if not math.isfinite(v) else float(f"{v:.{sig}g}") for v in values]
    assert got == ref
    assert figures._r(values, sig) == ref and figures._r(tuple(values), sig) == ref
    for v in values:
        assert figures._r(v, sig) == (None if not math.isfinite(v) else float(f"{v:.{sig}g}"))


@pytest.mark.parametrize("name, params", [
    ("normal", {"mean": 1.0, "sd": 0.5}),
    ("lognorm", {"s": 0.4, "loc": 0.0, "scale": math.exp(0.2)}),
    ("weibull_min", {"c": 2.0, "loc": 0.0, "scale": 1.5}),
    ("johnsonsu", {"a": 0.3, "b": 1.2, "loc": 1.0, "scale": 0.5}),
    ("gamma", {"a": 2.0, "loc": 0.1, "scale": 0.3}),
])
def test_unfrozen_model_equals_the_frozen_one(name: str, params: dict[str, float]) -> None:
    frozen = figures.frozen_model(name, params)
    light = figures._light_model(name, params)
    assert frozen is not None and light is not None
    x = np.linspace(-1, 4, 57)
    p = np.array([0.001, 0.01, 0.2, 0.5, 0.8, 0.99, 0.999])
    with np.errstate(all="ignore"):
        assert np.array_equal(light.pdf(x), frozen.pdf(x), equal_nan=True)
        assert np.array_equal(light.ppf(p), frozen.ppf(p), equal_nan=True)


def test_unfrozen_model_refuses_what_the_frozen_one_refuses() -> None:
    for name, params in (("mystery", {"a": 1.0}), ("lognorm", {"loc": 0.0, "scale": 1.0}),
                         ("gamma", {"a": 2.0, "scale": -1.0}),
                         ("normal", {"mean": 1.0, "sd": None})):
        assert figures.frozen_model(name, params) is None
        assert figures._light_model(name, params) is None
    ref = stats.norm(loc=2.0, scale=3.0)
    light = figures._light_model("normal", {"mean": 2.0, "sd": 3.0})
    assert light is not None and light.ppf(0.3) == ref.ppf(0.3)


def test_streamed_workbook_keeps_formula_injection_as_text(tmp_path: Path) -> None:
    from tests.report_fixtures import FORMULAS, make_result

    from pilotqa.report.xlsx import write_xlsx

    res = make_result(n_features=len(FORMULAS), n_parts=40, names=list(FORMULAS),
                      lots=["=L1", "+L2", "@L3"])
    path = tmp_path / "r.xlsx"
    write_xlsx(res, path)
    wb = openpyxl.load_workbook(path)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t",
                                                                    "\r")):
                    if ws.title == "Form 2 calculator" and c.data_type == "f":
                        continue  # the calculator's own formulas (numbers and references)
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
                    seen += 1
    assert seen >= 3 * len(FORMULAS)  # names on Summary, Readings header, Statistics ...
    # the sheets stream but keep their layout: frozen header, auto-filter, widths, fills
    ws = wb["Readings"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["C"].width == 20
    assert wb["Summary"].cell(1, 14).comment is not None
    assert wb["Summary"].cell(1, 1).font.b and wb["Summary"].cell(1, 1).fill.fgColor.rgb.endswith("1F3B73")
