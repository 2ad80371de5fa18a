"""The approval block (prepared by / approved by / date / signature) of the HTML report and the
XLSX Cover sheet: filled from ``analyze --prepared-by/--approved-by``, else from the export's
header (inspector), else blank lines to sign — and the names escaped like every input string."""
from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pilotqa.report.html import render_html
from pilotqa.report.xlsx import write_xlsx
from pilotqa.results import ReportMeta
from tests.report_fixtures import FORMULAS, INJECTION, SAMPLE_LONG, make_result

META = {"part_number": "HSG-4711", "revision": "C", "description": "d", "supplier": "s"}


class _Approval(HTMLParser):
    """Rows (cell texts) of the approval table, and every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._on = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table" and "approval-table" in (dict(attrs).get("class") or ""):
            self._on = True
        if self._on and tag == "tr":
            self.rows.append([])
        if self._on and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._on = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(html: str) -> tuple[list[list[str]], list[str]]:
    p = _Approval()
    p.feed(html)
    return p.rows[1:], p.tags


def _cover(result: object, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "a.xlsx"
    write_xlsx(result, path)  # type: ignore[arg-type]
    return {r[0]: r[1] for r in openpyxl.load_workbook(path)["Cover"].iter_rows(
        min_row=2, values_only=True)}


def test_filled_from_the_options(tmp_path: Path) -> None:
    res = dataclasses.replace(make_result(2, metadata=META),
                              report_meta=ReportMeta("Ann Example", "Bo Approver"))
    rows, _ = _rows(render_html(res))
    assert rows == [["Prepared by", "Ann Example (--prepared-by)", "2026-11-02", ""],
                    ["Approved by", "Bo Approver (--approved-by)", "", ""]]
    cover = _cover(res, tmp_path)
    assert cover["prepared by"] == "Ann Example (--prepared-by)"
    assert cover["prepared by: date"] == "2026-11-02"
    assert cover["approved by"] == "Bo Approver (--approved-by)"
    assert cover["approved by: date"] is None and cover["approved by: signature"] is None


def test_blank_lines_without_names(tmp_path: Path) -> None:
    rows, _ = _rows(render_html(make_result(2, metadata=META)))
    assert rows == [["Prepared by", "", "", ""], ["Approved by", "", "", ""]]
    cover = _cover(make_result(2, metadata=META), tmp_path)
    assert cover["prepared by"] is None and cover["approved by"] is None
    assert "prepared by: signature" in cover


def test_inspector_from_the_export_header_and_option_wins() -> None:
    res = make_result(2, metadata={**META, "Inspector": "Carla Prüfer"})
    rows, _ = _rows(render_html(res))
    assert rows[0][:3] == ["Prepared by", "Carla Prüfer (export header (inspector))", "2026-11-02"]
    over = dataclasses.replace(res, report_meta=ReportMeta(prepared_by="Dan"))
    assert _rows(render_html(over))[0][0][1] == "Dan (--prepared-by)"


def test_hostile_names_are_text(tmp_path: Path) -> None:
    res = dataclasses.replace(make_result(2, metadata=META),
                              report_meta=ReportMeta(INJECTION, "<u>x</u>"))
    html = render_html(res)
    rows, tags = _rows(html)
    assert rows[0][1] == f"{INJECTION} (--prepared-by)" and rows[1][1].startswith("<u>x</u>")
    assert "u" not in tags and "<script>alert" not in html
    for payload in FORMULAS[:4]:
        cover = _cover(dataclasses.replace(res, report_meta=ReportMeta(payload, payload)),
                       tmp_path)
        assert str(cover["prepared by"]).startswith(payload)
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    cell = next(c for row in wb["Cover"].iter_rows() for c in row if c.value == "approved by")
    value = wb["Cover"].cell(row=cell.row, column=2)
    assert value.data_type == "s" and value.quotePrefix  # "@SUM(1,1) …" stays text


def test_cli_options_reach_the_report(tmp_path: Path) -> None:
    from cli.main import cli

    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["analyze", str(SAMPLE_LONG), "--out", str(out), "--format",
                                 "html,json", "-q", "--prepared-by", "Ann Example",
                                 "--approved-by", "Bo Approver"])
    assert r.exit_code == 0, r.output
    rows, _ = _rows((out / "housing_pilot_long.html").read_text(encoding="utf-8"))
    assert rows[0][1] == "Ann Example (--prepared-by)"
    assert rows[1][1] == "Bo Approver (--approved-by)"
    # report metadata only: the JSON document does not carry it
    assert "Ann Example" not in (out / "housing_pilot_long.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("opt", ["--prepared-by", "--approved-by"])
def test_options_are_in_the_readme(opt: str) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{opt} NAME`" in readme
