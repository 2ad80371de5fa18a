"""HTML report: structure, self-containment, escaping of hostile input, figure content."""
from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pilotqa.report import figures
from pilotqa.report.html import _PLAN_LABELS, render_html, write_html
from pilotqa.report.safe import css_string, json_for_script, xlsx_text
from pilotqa.report.text import fmt_value, ordered_features, value_decimals
from pilotqa.results import Plan, Series, Violation
from tests.report_fixtures import (BREAKOUT, INJECTION, SAMPLE_WIDE, make_result, parse_report,
                                   pipeline_result, with_feature)

URL_ATTRS = ("src", "href", "action", "data", "poster", "srcset", "xlink:href", "formaction",
             "background", "manifest", "ping")


@pytest.fixture(scope="module")
def fake12() -> object:
    return make_result(12)


@pytest.fixture(scope="module")
def html12(fake12: object) -> str:
    return render_html(fake12)  # type: ignore[arg-type]


def _figures(p) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {str(a.get("id")): json.loads(c) for a, c in p.scripts
            if a.get("type") == "application/json"}


def _executable_scripts(p) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for a, c in p.scripts if a.get("type") in (None, "", "text/javascript", "module")]


# ---------------------------------------------------------------- structure
def test_one_section_per_feature_and_summary_rows(fake12, html12) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(html12)
    names = [f.feature for f in fake12.features]
    assert len(p.sections) == len(names) == 12
    assert len(set(p.sections)) == 12
    assert sorted(p.fnames) == sorted(names)
    assert len(p.summary_rows) == 12
    assert sorted(r[1] for r in p.summary_rows) == sorted(names)
    # critical characteristics come first, in the summary and in the sections
    classes = [r[2] for r in p.summary_rows]
    assert classes == sorted(classes, key=["critical", "major", "minor"].index)
    assert p.fnames[: classes.count("critical")] == [r[1] for r in p.summary_rows
                                                     if r[2] == "critical"]


def test_every_section_has_its_figure_block(html12) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(html12)
    figs = _figures(p)
    divs = [a["data-fig"] for t, a in p.tags if t == "div" and a.get("data-fig")]
    assert len(divs) == 12 and set(divs) == set(figs)
    for spec in figs.values():
        assert {"data", "layout"} <= set(spec)
        kinds = {t["type"] for t in spec["data"]}
        assert {"bar", "scatter", "box"} <= kinds


def test_self_contained_no_external_resources(html12) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(html12)
    for tag, attrs in p.tags:
        for name in URL_ATTRS:
            v = (attrs.get(name) or "").strip().lower()
            assert not v.startswith(("http:", "https:", "//", "ftp:")), (tag, name, v)
            if v and tag != "a":
                assert v.startswith(("data:", "#")), (tag, name, v)
        assert not (tag == "link" and (attrs.get("rel") or "") == "stylesheet")
    for css in p.styles:
        assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    # the only executable scripts: plotly.js and the report's own script, no src attributes
    assert len(_executable_scripts(p)) == 2
    assert all("src" not in a for a, _ in p.scripts)
    # MathJax is off; no font or image is fetched
    assert "typesetMath: false" in html12
    assert "<img" not in html12.lower()


def test_plotly_js_embedded_exactly_once(html12) -> None:  # type: ignore[no-untyped-def]
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert html12.count(js[:300]) == 1
    p = parse_report(html12)
    assert sum(1 for c in _executable_scripts(p) if js[:300] in c) == 1


def test_generator_meta_and_cover(fake12, html12) -> None:  # type: ignore[no-untyped-def]
    # pilotqa.report.outputs recognises its own HTML by this tag in the first 4096 bytes
    assert '<meta name="generator" content="pilotqa' in html12[:4096]
    for text in ("HSG-4711", "Pump housing, AlSi9Cu3", "Example Precision GmbH", "ab" * 32,
                 "2026-10-05 06:00", "2026-11-02 08:30:00 UTC", fake12.overall):
        assert text in html12, text
    # policy and settings are in the appendix, in plain words
    appendix = html12[html12.index('id="appendix"'):]
    assert "Fewest parts for a release" in appendix
    assert "Lot effect relevant from (% of tolerance)" in appendix
    assert "min_parts" not in html12 and "Fewest parts" not in html12[:html12.index('id="summary"')]


def test_print_css(html12) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(html12)
    css = "\n".join(p.styles)
    assert re.search(r"\.feature\s*\{[^}]*break-before:\s*page", css)
    assert "break-inside: avoid" in css
    assert "counter(page)" in css and "@top-left" in css


def test_nulls_show_as_dash() -> None:
    res = make_result(3)
    dec = res.features[0].decision
    dec = dataclasses.replace(dec, evidence=dataclasses.replace(dec.evidence, ppk=None,
                                                                ppk_lower=None))
    res = with_feature(res, 0, cpk=None, cpk_ci=None, ppk=None, ppk_ci=None, mean=None,
                       decision=dec)
    p = parse_report(render_html(res))
    row = next(r for r in p.summary_rows if r[1] == res.features[0].feature)
    # columns: # name class nominal lsl usl unit n mean cpk cpk_lo ppk ppk_lo
    assert row[8:13] == ["—"] * 5


def test_html_numbers_come_from_the_results(fake12, html12) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(html12)
    by_name = {r[1]: r for r in p.summary_rows}
    assert {fr.decision.evidence.decision_basis for fr in fake12.features} >= {"normal",
                                                                               "percentile"}
    for fr in fake12.features:
        row, fs, ev = by_name[fr.feature], fr.stats, fr.decision.evidence
        # the Ppk and bound the decision used; a fitted model's are marked
        mark = " †" if ev.decision_basis == "percentile" else ""
        assert row[11] == fmt_value(ev.ppk, "idx") + mark
        assert row[12] == fmt_value(ev.ppk_lower, "idx") + mark
        if ev.decision_basis == "normal":
            assert row[11] == fmt_value(fs.ppk, "idx")
        assert row[9] == fmt_value(fs.cpk, "idx")
        assert row[8] == fmt_value(fs.mean, "val", value_decimals(fs) + 1)
        assert row[7] == str(fs.n)


def test_plan_details_on_the_characteristic_page(fake12, html12) -> None:  # type: ignore[no-untyped-def]
    # every plan label names a Plan field (no aliases for keys that do not exist)
    assert set(_PLAN_LABELS) <= {f.name for f in dataclasses.fields(Plan)}
    plans = {fr.decision.plan.method: fr.decision.plan for fr in fake12.features
             if fr.decision.plan is not None}
    assert set(plans) == {"variables", "attributes", "reduced_audit"}
    for plan in plans.values():
        assert plan.rule_text in html12
    assert "sample size n 25" in re.sub(r"<[^>]+>", "", html12)
    assert "accept (Ac) 1" in re.sub(r"<[^>]+>", "", html12)
    assert "reaction limits 1, 2" in re.sub(r"<[^>]+>", "", html12)


def test_write_html(tmp_path: Path, fake12) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.html"
    write_html(fake12, out)
    assert out.read_text(encoding="utf-8") == render_html(fake12)


# ---------------------------------------------------------------- hostile input
@pytest.fixture(scope="module")
def hostile() -> object:
    names = [INJECTION, BREAKOUT, "<img src=x onerror=alert(3)>", "a&b \"q\" 'q'",
             "</style><script>alert(4)</script>"]
    res = make_result(5, names=names, lots=[INJECTION, BREAKOUT, "L3"], unit="<i>mm</i>",
                      metadata={"part_number": INJECTION, "revision": BREAKOUT,
                                "description": "</title><script>alert(5)</script>",
                                "supplier": "\"; alert(6); \"", "operation": "<b>bold</b>"},
                      files=[{"path": f"C:/data/{INJECTION}.xlsx", "sha256": "0" * 64,
                              "format": "xlsx"}])
    for i, fr in enumerate(res.features):
        dec = dataclasses.replace(fr.decision, reasons=fr.decision.reasons + (INJECTION,))
        res = with_feature(res, i, notes=fr.stats.notes + (BREAKOUT,), decision=dec)
    res.inspection.notes.append(INJECTION)
    return dataclasses.replace(res, overall=BREAKOUT)


def test_injection_is_text_not_markup(hostile) -> None:  # type: ignore[no-untyped-def]
    html = render_html(hostile)
    p = parse_report(html)
    # No hostile tag was created: the only tags are the report's own.
    assert not [a for t, a in p.tags if t == "img"]
    assert not [a for t, a in p.tags if t == "i" or t == "b" and "bold" in str(a)]
    assert len(_executable_scripts(p)) == 2
    assert not any("alert(" in c for c in _executable_scripts(p))
    assert not any(name.startswith("on") for _, a in p.tags for name in a)
    # ... and the strings show literally as text
    assert INJECTION in p.fnames and BREAKOUT in p.fnames
    assert INJECTION in p.title
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_json_in_script_breakout_neutralised(hostile) -> None:  # type: ignore[no-untyped-def]
    html = render_html(hostile)
    p = parse_report(html)
    figs = _figures(p)
    assert len(figs) == 5  # no figure block was cut short by a "</script>" inside it
    for _, content in p.scripts:
        assert "</script" not in content.lower()
    blob = json.dumps(list(figs.values()))
    # lot names reach plotly entity-escaped (plotly renders &lt; as "<", never as a tag)
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in blob
    assert "<script>" not in blob


def test_css_running_header_cannot_break_out(hostile) -> None:  # type: ignore[no-untyped-def]
    p = parse_report(render_html(hostile))
    css = "\n".join(p.styles)
    page_rule = css[css.rindex("@page"):]
    assert "<" not in page_rule and "alert(1)" not in page_rule.replace("\\", "")


# ---------------------------------------------------------------- safe helpers (properties)
def _css_unescape(lit: str) -> str:
    """Decode a CSS string literal (CSS Syntax 3 §4.3.7: hex escape + one optional space)."""
    assert lit[0] == lit[-1] == '"'
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), lit[1:-1])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_json_for_script_roundtrip_and_inert(text: str) -> None:
    out = str(json_for_script({"k": text, "l": [text]}))
    assert not set("<>&") & set(out)
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"k": text, "l": [text]}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_css_string_roundtrip_and_inert(text: str) -> None:
    out = str(css_string(text))
    inner = out[1:-1]
    assert not set("\"'<>\n\r;{}") & set(inner)
    assert _css_unescape(out) == text


@pytest.mark.parametrize("text, quoted", [("=1+1", True), ("+1", True), ("-1", True),
                                          ("@SUM(1)", True), ("\t=1", True), ("\r=1", True),
                                          ("＝1", True), ("BORE_A", False), ("1=1", False),
                                          (" =1", False)])
def test_xlsx_text_flags_formula_triggers(text: str, quoted: bool) -> None:
    out, q = xlsx_text(text)
    assert q is quoted and out == text


def test_xlsx_text_strips_xml_illegal_characters() -> None:
    out, q = xlsx_text("a\x00b\x07c" + "x" * 40000)
    assert out.startswith("a\ufffdb\ufffdc") and len(out) == 32767 and not q


def test_json_for_script_refuses_nan() -> None:
    with pytest.raises(ValueError):
        json_for_script({"x": float("nan")})


# ---------------------------------------------------------------- figures
def test_decimate_minmax_keeps_extremes_and_bounds() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=50_000)
    y[12345], y[40000] = 99.0, -99.0
    keep = figures.decimate_minmax(y, 5000)
    assert keep.size <= 5000 and np.all(np.diff(keep) > 0)
    assert 12345 in keep and 40000 in keep
    assert np.array_equal(figures.decimate_minmax(y[:100], 5000), np.arange(100))


def test_histogram_counts_are_binned_and_complete() -> None:
    v = np.random.default_rng(2).normal(10, 1, 1000)
    counts, edges = figures.histogram_counts(v)
    assert counts.sum() == 1000 and 5 <= counts.size <= 60 and edges.size == counts.size + 1
    c1, e1 = figures.histogram_counts(np.full(7, 3.5))  # zero spread: one bin, all readings
    assert c1.sum() == 7 and e1[0] < 3.5 < e1[-1]


def test_box_stats_match_numpy_linear_quartiles() -> None:
    v = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    s = figures.box_stats(v)
    # numpy.percentile "linear" (Hyndman & Fan type 7), plotly's default quartile method
    assert (s["q1"], s["median"], s["q3"]) == pytest.approx((3.25, 5.5, 7.75))
    assert s["upperfence"] == 9.0 and list(s["outliers"]) == [100.0]


def test_median_ranks_benard() -> None:
    # Benard's approximation (i - 0.3)/(n + 0.4): n = 5 -> 0.1296, 0.3148, 0.5, 0.6852, 0.8704
    assert figures.median_ranks(5) == pytest.approx([0.1296, 0.3148, 0.5, 0.6852, 0.8704],
                                                    abs=5e-5)


def test_frozen_model_scipy_names() -> None:
    x = np.linspace(0.1, 3, 7)
    ref = stats.lognorm(0.4, loc=0, scale=math.exp(0.2)).pdf(x)
    a = figures.frozen_model("lognorm", {"s": 0.4, "loc": 0.0, "scale": math.exp(0.2)})
    assert a.pdf(x) == pytest.approx(ref)
    w = figures.frozen_model("weibull_min", {"c": 2.0, "loc": 0.0, "scale": 1.5})
    assert w.pdf(x) == pytest.approx(stats.weibull_min(2.0, scale=1.5).pdf(x))
    j = figures.frozen_model("johnsonsu", {"a": 0.3, "b": 1.2, "loc": 1.0, "scale": 0.5})
    assert j.ppf(0.3) == pytest.approx(stats.johnsonsu(0.3, 1.2, loc=1.0, scale=0.5).ppf(0.3))
    n = figures.frozen_model("normal", {"mean": 1.0, "sd": 0.5})  # the normal model's names
    assert n.ppf(0.5) == pytest.approx(1.0) and n.std() == pytest.approx(0.5)
    assert figures.frozen_model("mystery", {"a": 1.0}) is None
    assert figures.frozen_model("lognorm", {"loc": 0.0, "scale": 1.0}) is None  # no shape
    assert figures.frozen_model("gamma", {"a": 2.0, "scale": -1.0}) is None
    assert figures.frozen_model("normal", {"mean": 1.0, "sd": None}) is None


def _with_series(fs, values: np.ndarray, lots: list[str] | None = None):  # type: ignore[no-untyped-def]
    """``fs`` plotting other readings (an individuals chart of them)."""
    n = values.size
    lots = lots if lots is not None else ["L01"] * n
    empty = np.array([], dtype=float)
    series = Series(values=values, sequence=np.arange(1, n + 1), lot=tuple(lots),
                    part_id=tuple(f"SN{i}" for i in range(n)), x_points=values,
                    range_points=np.abs(np.diff(values)) if n > 1 else empty,
                    x_lcl=empty, x_ucl=empty, range_lcl=empty, range_ucl=empty)
    return dataclasses.replace(fs, series=series)


def test_sixpack_content_and_violations() -> None:
    fs = make_result(1).features[0].stats
    st = dataclasses.replace(fs.stability, violations=(Violation("x", 1, 5), Violation("x", 2, 5),
                                                       Violation("range", 1, 0)))
    fig = figures.sixpack(dataclasses.replace(fs, stability=st))
    json_for_script(fig)  # JSON-safe
    marked = [t for t in fig["data"] if t.get("name") == "rule broken"]
    x_marks = next(t for t in marked if t["yaxis"] == "y3")
    assert x_marks["x"] == [6] and x_marks["text"] == ["rule 1, 2"]
    r_marks = next(t for t in marked if t["yaxis"] == "y5")
    assert r_marks["x"] == [2]  # moving range i = |x[i+1] - x[i]| is plotted at observation i+2
    bars = next(t for t in fig["data"] if t["type"] == "bar")
    assert sum(bars["y"]) == fs.n
    # the overall-sigma normal density is scaled to counts: its area / bin width ≈ n
    dens = next(t for t in fig["data"] if t.get("name") == "normal (overall σ)")
    area = np.trapezoid(dens["y"], dens["x"]) / bars["width"]
    assert area == pytest.approx(fs.n, rel=0.05)
    lots = [t for t in fig["data"] if t.get("yaxis") == "y4" and t.get("mode") == "markers"]
    assert [t["name"] for t in lots] == ["L01", "L02", "L03"]
    assert sum(len(t["x"]) for t in lots) == fs.n
    # control limits are the statistics' own
    ucl = next(a for a in fig["layout"]["annotations"] if a.get("text") == "UCL"
               and a.get("yref") == "y3")
    assert ucl["y"] == pytest.approx(fs.stability.ucl, rel=1e-9)


def test_sixpack_large_n_is_decimated_and_light() -> None:
    fs = make_result(1).features[0].stats
    values = np.random.default_rng(5).normal(42.0125, 0.003, 40_000)
    values[[7, 100]] = np.nan  # NaN never reaches JSON
    fig = figures.sixpack(_with_series(fs, values), max_points=5000)
    text = str(json_for_script(fig))
    for t in fig["data"]:
        if t["type"] == "scatter" and t.get("mode") != "lines":
            assert len(t["x"]) <= 5000 + 1, t.get("name")
    assert next(t for t in fig["data"] if t["type"] == "bar")["x"].__len__() <= 60
    assert len(text) < 1_200_000


def test_ordered_features_critical_first() -> None:
    feats = [SimpleNamespace(class_=c) for c in ("minor", "critical", "", "major", "critical")]
    assert ordered_features(feats) == [1, 4, 3, 0, 2]  # type: ignore[arg-type]


def test_value_decimals_resolve_a_thousandth_of_the_tolerance(fake12) -> None:  # type: ignore[no-untyped-def]
    fs = {fr.feature: fr.stats for fr in fake12.features}
    assert value_decimals(fs["BORE_A_DIA"]) == 5   # tolerance 0.025: 1/1000 = 0.000025
    assert value_decimals(fs["FACE_LENGTH"]) == 4  # tolerance 0.2
    assert value_decimals(fs["ROUGHNESS_RA"]) == 3  # one-sided: |USL - nominal| = 1.6
    one_sided = dataclasses.replace(fs["ROUGHNESS_RA"], nominal=None, lower_bound_zero=False)
    assert value_decimals(one_sided) == 3  # no tolerance width: the size of the limit
    assert value_decimals(dataclasses.replace(one_sided, usl=1e308)) == 2
    assert value_decimals(dataclasses.replace(fs["BORE_A_DIA"], lsl=-1e308, usl=1e308)) == 4


# ---------------------------------------------------------------- the real pipeline
def test_report_of_the_sample_pipeline() -> None:
    # the wide sample carries the header block (part number, revision, ...) for the cover
    res = pipeline_result(SAMPLE_WIDE)
    html = render_html(res)
    p = parse_report(html)
    names = [fr.feature for fr in res.features]
    assert len(p.sections) == len(names) == 12
    assert sorted(r[1] for r in p.summary_rows) == sorted(names)
    assert len(_figures(p)) == 12
    # each fitted non-normal model's page lists the models the decision weighed
    n_fitted = sum(bool(fr.stats.capability_model and fr.stats.capability_model.alternatives)
                   for fr in res.features)
    assert n_fitted >= 1 and html.count("fitted models: ΔAIC, Ppk (lower bound)") == n_fitted
    by_name = {r[1]: r for r in p.summary_rows}
    for fr in res.features:
        row, cm, ev = by_name[fr.feature], fr.stats.capability_model, fr.decision.evidence
        if cm is not None and cm.decision_basis == "percentile":
            # the summary shows the Ppk and bound the decision used: the fitted model's
            assert row[11] == fmt_value(cm.ppk, "idx") + " †"
            assert row[12] == fmt_value(ev.ppk_lower, "idx") + " †"
            # the decision's bound: the lowest among the plausible models, at most the chosen one's
            assert cm.ppk_ci is not None and ev.ppk_lower is not None
            assert ev.ppk_lower <= cm.ppk_ci[0]
        else:
            assert fr.stats.ppk_ci is not None
            assert row[11] == fmt_value(fr.stats.ppk, "idx")
            assert row[12] == fmt_value(fr.stats.ppk_ci[0], "idx")
        assert row[p.summary_head.index("Verdict")] != "—"
    p_cover = html[: html.index('id="summary"')]
    for text in ("HSG-4711", "rev. C", "Pump housing, AlSi9Cu3", "Example Precision GmbH",
                 res.inspection.files[0].sha256, res.overall):
        assert text in p_cover, text


def test_degenerate_features_render() -> None:
    """n = 0, n = 1 and zero spread give a report (empty or partial plots), never a crash or
    a NaN in the embedded JSON."""
    res = make_result(3)
    series = (np.array([]), np.array([42.01]), np.full(150, 18.0))
    for i, values in enumerate(series):
        fs = _with_series(res.features[i].stats, values)
        res = with_feature(res, i, series=fs.series, sigma_within=None, sigma_overall=0.0,
                           capability_model=None, cpk=None, cpk_ci=None, ppk=None, ppk_ci=None)
    p = parse_report(render_html(res))
    assert len(p.sections) == 3 and len(_figures(p)) == 3
