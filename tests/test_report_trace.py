"""Traceability in the report (issues 12 and 13): the readiness block at the top of the HTML,
serial numbers in the out-of-tolerance and signal tables and in every chart's hover data,
1-based point numbers that match the charts, the parts-needed sentence and the Form 2 rule in
the verdict box, Cpm only with two limits — and every new string escaped.

The HTML is parsed (``html.parser``), never searched as raw markup, so a tag planted in a serial
number would show up as a tag here.
"""
from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pilotqa.report import figures
from pilotqa.report.html import MAX_SIGNAL_ROWS, READINESS_LABELS, render_html
from pilotqa.results import (NonconformingPart, OutOfSpec, Plan, Readiness, ReadinessItem,
                             Violation)
from tests.report_fixtures import (BREAKOUT, INJECTION, SAMPLE_WIDE, make_result,
                                   pipeline_result, with_feature)


class _Tables(HTMLParser):
    """Text of chosen elements: tables by class (rows of cell texts, with the id of the
    enclosing section), the readiness section's text, the verdict boxes' texts, and the JSON
    figure blocks by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, str, list[list[str]]]] = []  # (section id, class, rows)
        self.readiness_text = ""
        self.readiness_class = ""
        self.decisions: dict[str, str] = {}
        self.index_labels: dict[str, list[str]] = {}
        self.figs: dict[str, Any] = {}
        self.tags: list[str] = []
        self._section = ""
        self._in_readiness = 0
        self._decision: list[str] | None = None
        self._depth_div = 0
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._script: tuple[str, list[str]] | None = None
        self._first_th: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        self.tags.append(tag)
        if tag == "section" and a.get("id"):
            self._section = str(a["id"])
            if a["id"] == "readiness":
                self._in_readiness = 1
                self.readiness_class = cls
        elif tag == "section" and self._in_readiness:
            self._in_readiness += 1
        if tag == "div" and self._decision is not None:
            self._depth_div += 1
        if tag == "div" and cls.startswith("decision "):
            self._decision, self._depth_div = [], 0
        if tag == "table":
            self._rows = []
            self.tables.append((self._section, cls, self._rows))
        if tag == "tr" and self._rows is not None:
            self._rows.append([])
        if tag in ("td", "th") and self._rows is not None:
            self._cell = []
        if tag == "script" and a.get("type") == "application/json":
            self._script = (str(a.get("id")), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._in_readiness:
            self._in_readiness -= 1
        if tag == "div" and self._decision is not None:
            if self._depth_div == 0:
                self.decisions[self._section] = " ".join("".join(self._decision).split())
                self._decision = None
            else:
                self._depth_div -= 1
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._rows = None
        if tag == "script" and self._script is not None:
            self.figs[self._script[0]] = json.loads("".join(self._script[1]))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._in_readiness:
            self.readiness_text += data
        if self._decision is not None:
            self._decision.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._script is not None:
            self._script[1].append(data)

    def table(self, section: str, cls: str) -> list[list[str]]:
        """Body rows (header row dropped) of the table of class ``cls`` in ``section``."""
        for sec, c, rows in self.tables:
            if sec == section and cls in c.split():
                return rows[1:]
        return []


def _parse(html: str) -> _Tables:
    p = _Tables()
    p.feed(html)
    p.close()
    return p


def _anchor(result: Any, feature: str) -> str:
    return f"c{[fr.feature for fr in result.features].index(feature)}"


@pytest.fixture(scope="module")
def sample() -> tuple[Any, _Tables]:
    res = pipeline_result(SAMPLE_WIDE)
    return res, _parse(render_html(res))


# ---------------------------------------------------------------- readiness block
def test_readiness_block_of_the_sample(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    rd = res.readiness
    assert rd.nonconforming_parts and rd.kept_100  # the sample exercises both tables
    assert f"r-{rd.status}" in p.readiness_class.split()
    text = " ".join(p.readiness_text.split())
    assert READINESS_LABELS[rd.status] in text
    assert " ".join(rd.statement.split()) in text
    parts = p.table("readiness", "nc-parts")
    assert parts == [[n.part_id, n.lot or "—", ", ".join(n.features)]
                     for n in rd.nonconforming_parts]
    kept = p.table("readiness", "kept")
    by_name = {fr.feature: fr for fr in res.features}
    assert [r[0] for r in kept] == [k.feature for k in rd.kept_100]
    for row, item in zip(kept, rd.kept_100):
        assert row[2] == " ".join(item.reason.split())
        pn = by_name[item.feature].decision.parts_needed
        assert pn is not None and row[3] == " ".join(pn.sentence().split())


def test_readiness_block_comes_before_the_summary(sample) -> None:  # type: ignore[no-untyped-def]
    _, p = sample
    order = [sec for sec, _, _ in p.tables]
    assert order.index("readiness") < order.index("summary")


@pytest.mark.parametrize("status", list(READINESS_LABELS))
def test_every_readiness_status_is_shown_and_styled(status: str) -> None:
    res = make_result(2)
    item = ReadinessItem(feature=res.features[0].feature, class_="critical", verdict="keep_100",
                         reason="why " + INJECTION)
    rd = Readiness(status=status, statement=f"statement {BREAKOUT}", kept_100=(item,),
                   released=(), nonconforming_parts=(NonconformingPart(
                       part_id=INJECTION, lot=BREAKOUT, features=("<u>F</u>",)),))
    html = render_html(dataclasses.replace(res, readiness=rd))
    p = _parse(html)
    assert f"r-{status}" in p.readiness_class.split()
    assert READINESS_LABELS[status] in p.readiness_text
    assert f"statement {BREAKOUT}" in p.readiness_text
    assert p.table("readiness", "nc-parts") == [[INJECTION, BREAKOUT, "<u>F</u>"]]
    assert p.table("readiness", "kept")[0][2] == "why " + INJECTION
    assert "u" not in p.tags and "<script>alert" not in html


# ---------------------------------------------------------------- serials and 1-based points
def test_out_of_tolerance_table_names_serials_and_points(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    seen = 0
    for fr in res.features:
        rows = p.table(_anchor(res, fr.feature), "oos")
        assert len(rows) == len(fr.stats.out_of_spec)
        ids = list(fr.stats.series.part_id)
        for row, o in zip(rows, fr.stats.out_of_spec):
            assert row[1:3] == [o.part_id, o.lot]
            assert int(row[0]) == ids.index(o.part_id) + 1  # 1-based, time order
            assert float(row[3]) == pytest.approx(o.value) and float(row[4]) == o.limit
            seen += 1
    assert seen >= 3  # THREAD_M8_DEPTH: SN0082, SN0092, SN0112


def test_signal_table_names_serials_and_the_charts_points(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    checked = 0
    for fr in res.features:
        st = fr.stats.stability
        rows = p.table(_anchor(res, fr.feature), "signals")
        if st is None or not st.violations:
            assert rows == []
            continue
        assert len(rows) == min(len(st.violations), MAX_SIGNAL_ROWS)
        fig = p.figs[f"fig{_anchor(res, fr.feature)[1:]}"]
        marks = {t["yaxis"]: t for t in fig["data"] if t.get("name") == "rule broken"}
        want = {(str(v.point), v.part_id, "x" if v.chart == "x" else "range", str(v.rule))
                for v in st.violations}
        for row in rows:
            chart = "x" if row[3] in ("I", "X̄") else "range"
            assert (row[0], row[1], chart, row[4]) in want
            # the chart marks the same point, and its hover names the same serial
            trace = marks["y3" if chart == "x" else "y5"]
            k = trace["x"].index(int(row[0]))
            assert trace["customdata"][k] == row[1]
            checked += 1
    assert checked >= 10


def test_every_chart_hover_carries_the_serials(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    fr = res.features[0]
    fig = p.figs["fig0"]
    ids = list(fr.stats.series.part_id)
    values = np.asarray(fr.stats.series.values)
    by_axis: dict[str, list[dict[str, Any]]] = {}
    for t in fig["data"]:
        by_axis.setdefault(t.get("yaxis", "y"), []).append(t)
    main = next(t for t in by_axis["y3"] if t.get("mode", "").startswith("lines"))
    assert main["customdata"] == [ids[x - 1] for x in main["x"]]  # individuals: point i = part i
    mr = next(t for t in by_axis["y5"] if t.get("mode", "").startswith("lines"))
    assert mr["customdata"] == [ids[x - 1] for x in mr["x"]]  # MR point i: the later reading
    run = [t for t in by_axis["y4"] if t.get("mode") == "markers"]
    seq = list(fr.stats.series.sequence)
    assert sum(len(t["customdata"]) for t in run) == len(ids)
    for t in run:
        assert t["customdata"] == [ids[seq.index(x)] for x in t["x"]]
    prob = next(t for t in by_axis["y2"] if t.get("mode") == "markers")
    assert sorted(prob["customdata"]) == sorted(ids)
    for y, serial in zip(prob["y"], prob["customdata"]):
        assert values[ids.index(serial)] == pytest.approx(y)
    for t in fig["data"]:
        if "customdata" in t:
            assert "%{customdata}" in t["hovertemplate"]


def test_subgroup_points_are_named_by_their_parts() -> None:
    fs = make_result(1).features[0].stats
    ids = tuple(f"SN{i}" for i in range(1, 11))
    series = dataclasses.replace(fs.series, part_id=ids, values=np.arange(10.0),
                                 x_points=np.array([2.0, 7.0]), range_points=np.array([4.0, 4.0]))
    st = dataclasses.replace(fs.stability, subgroup_sizes=(5, 5), chart="xbar-r")
    sub = dataclasses.replace(fs, series=series, stability=st, sigma_within_method="pooled")
    assert figures.point_serials(sub) == (["SN1 … SN5", "SN6 … SN10"],) * 2
    ind = dataclasses.replace(fs, series=dataclasses.replace(series, x_points=np.arange(10.0)))
    assert figures.point_serials(ind) == (list(ids), list(ids[1:]))


def test_hostile_serials_are_escaped_in_tables_and_hover() -> None:
    res = make_result(2)
    fs = res.features[0].stats
    ids = list(fs.series.part_id)
    ids[4], ids[9] = INJECTION, BREAKOUT
    series = dataclasses.replace(fs.series, part_id=tuple(ids))
    st = dataclasses.replace(fs.stability, violations=(
        Violation("x", 1, 4, part_id=INJECTION, point=5),))
    oos = (OutOfSpec(part_id=BREAKOUT, lot="<i>L</i>", value=fs.usl, limit=fs.usl, side="upper"),)
    res = with_feature(res, 0, series=series, stability=st, out_of_spec=oos)
    html = render_html(res)
    p = _parse(html)
    assert p.table("c0", "signals")[0][:2] == ["5", INJECTION]
    assert p.table("c0", "oos")[0][1:3] == [BREAKOUT, "<i>L</i>"]
    assert "i" not in p.tags and "<script>alert" not in html
    blob = json.dumps(p.figs["fig0"])
    assert "<script>" not in blob  # reaches plotly entity-escaped, shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in blob
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in blob


# ---------------------------------------------------------------- verdict box, Cpm
def test_verdict_box_has_parts_needed_and_form2_rule(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    n_form2 = 0
    for fr in res.features:
        box = p.decisions[_anchor(res, fr.feature)]
        pn, plan = fr.decision.parts_needed, fr.decision.plan
        if pn is not None:
            assert " ".join(pn.sentence().split()) in box
        if plan is not None and plan.form == 2:
            assert f"M = {plan.m:g} %" in box and "Acceptance rule:" in box
            n_form2 += 1
    assert n_form2 >= 1


def test_form2_with_separate_aqls_names_both_m() -> None:
    res = make_result(1)
    plan = Plan(method="variables", sample_size=20, lot_size=500, rule_text="rule", form=2,
                m_upper=1.2, m_lower=0.4, aql_upper=0.65, aql_lower=0.25, k=None)
    dec = dataclasses.replace(res.features[0].decision, verdict="variables_plan", plan=plan)
    box = _parse(render_html(with_feature(res, 0, decision=dec))).decisions["c0"]
    assert "M_U = 1.2 %" in box and "M_L = 0.4 %" in box


def test_cpm_only_with_two_limits(sample) -> None:  # type: ignore[no-untyped-def]
    res, p = sample
    for fr in res.features:
        rows = p.table(_anchor(res, fr.feature), "compact")
        labels = [r[0] for r in rows]
        two = fr.stats.lsl is not None and fr.stats.usl is not None
        assert ("Cpm" in labels) == (two and fr.stats.cpm is not None), fr.feature


def test_hostile_serial_prefix_everywhere() -> None:
    """Every serial carries markup: tables, hover data and readiness stay text."""
    res = make_result(2, serial_prefix=INJECTION)
    fs = res.features[0].stats
    serial = fs.series.part_id[3]
    res = with_feature(res, 0, out_of_spec=(OutOfSpec(part_id=serial, lot="L01", value=fs.usl,
                                                      limit=fs.usl, side="upper"),))
    html = render_html(res)
    p = _parse(html)
    assert p.table("c0", "oos")[0][1] == serial
    assert "<script>alert" not in html
    for fig in p.figs.values():
        hover = [x for t in fig["data"] for x in t.get("customdata", [])]
        assert hover and all(x.startswith("&lt;script&gt;") for x in hover)


# ---------------------------------------------------------------- go/no-go characteristics
def _go_nogo_result(tmp_path: Path) -> Any:
    """A long CSV with a measured bore and a thread gauge (OK/NOK): SN017 fails the gauge."""
    import csv

    from pilotqa.analysis import analyze
    from pilotqa.read import read

    rng = np.random.default_rng(8)
    rows: list[list[Any]] = [["part_id", "lot", "feature", "value", "lsl", "usl"]]
    for i in range(1, 61):
        lot = "L1" if i <= 30 else "L2"
        rows.append([f"SN{i:03d}", lot, "BORE_DIA", round(10 + rng.normal(0, 0.006), 4), 9.95,
                     10.05])
        rows.append([f"SN{i:03d}", lot, "THREAD_M6", "NOK" if i == 17 else "OK", "", ""])
    path = tmp_path / "gonogo.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return analyze(read([path]))


def test_go_nogo_characteristic_has_its_own_section(tmp_path: Path) -> None:
    res = _go_nogo_result(tmp_path)
    k = [fr.feature for fr in res.features].index("THREAD_M6")
    fs = res.features[k].stats
    assert fs.type == "attribute" and fs.n_nonconforming == 1
    p = _parse(render_html(res))
    attr = next(rows for sec, cls, rows in p.tables if sec == f"c{k}" and "attr" in cls.split())
    got = {r[0]: r[1] for r in attr}
    assert got["parts checked n"] == "60" and got["nonconforming"] == "1"
    assert got["upper bound p (97.5 % confidence)"] == f"{100 * fs.p_upper:.3g} %"
    # no capability table on a go/no-go page; the nonconforming part is named
    assert not [r for sec, cls, r in p.tables if sec == f"c{k}" and cls == "grid compact"]
    assert p.table(f"c{k}", "oos")[0][1:4] == ["SN017", "L1", "NOK"]
    assert ["SN017", "L1", "THREAD_M6"] in p.table("readiness", "nc-parts")
    # run chart of nonconforming parts: every part in the hover, the NOK one marked
    fig = p.figs[f"fig{k}"]
    line, marks = fig["data"]
    assert line["customdata"] == list(fs.series.part_id) and line["y"][-1] == 1
    assert marks["customdata"] == ["SN017"] and marks["x"] == [17]


def test_go_nogo_reading_is_marked_in_the_readings_sheet(tmp_path: Path) -> None:
    import openpyxl

    from pilotqa.report.xlsx import write_xlsx

    res = _go_nogo_result(tmp_path)
    write_xlsx(res, tmp_path / "g.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "g.xlsx")["Readings"]
    head = [c.value for c in ws[1]]
    col = head.index("THREAD_M6")
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert len(rows) == 60
    assert rows["SN017"][col].value == "NOK" and rows["SN017"][col].fill.fill_type == "solid"
    assert rows["SN016"][col].value == "OK" and not rows["SN016"][col].fill.fill_type
