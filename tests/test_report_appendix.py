"""The report's appendix (settings and policy in plain words, glossary), the lot-size statement
when no lot size was given (cover, appendix, each plan, XLSX), and readable lot-table headings."""
from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
import pytest

from pilotqa.report.html import render_html
from pilotqa.report.labels import (CLASS_FIELD_LABELS, GLOSSARY, POLICY_LABELS, plain_label,
                                   policy_rows, settings_rows)
from pilotqa.report.text import flat_items, settings_display
from pilotqa.report.xlsx import write_xlsx
from tests.report_fixtures import SAMPLE_WIDE, make_result, pipeline_result


def _text(markup: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture(scope="module")
def sample_html() -> str:
    return render_html(pipeline_result(SAMPLE_WIDE))


def test_policy_in_plain_words(sample_html: str) -> None:
    appendix = sample_html[sample_html.index('id="appendix"'):]
    text = _text(appendix)
    assert "Ppk lower bound required, critical 1.67" in text
    assert "Ppk lower bound required, major 1.33" in text
    assert "Attributes plan, critical c = 0 (Squeglia)" in text
    # no policy or settings key on the cover or in the appendix, only their labels
    res = pipeline_result(SAMPLE_WIDE)
    settings, policy = settings_display(res)
    shown = _text(sample_html[:sample_html.index('id="summary"')]) + text
    for key, _ in flat_items(policy) + flat_items(settings):
        if "." in key or "_" in key:
            assert key not in shown, key


def test_every_built_in_policy_key_has_a_label() -> None:
    _, policy = settings_display(pipeline_result(SAMPLE_WIDE))
    for key, _ in flat_items(policy):
        parts = key.split(".")
        labelled = key in POLICY_LABELS or (parts[0] == "class" and parts[-1] in CLASS_FIELD_LABELS)
        assert labelled, key
    assert plain_label("some.new_key") == "Some · new key"  # a future key is shown, not dropped


def test_settings_and_policy_left_the_first_page(sample_html: str) -> None:
    cover = sample_html[:sample_html.index('id="summary"')]
    assert "Analysis settings" not in cover and "Release policy" not in cover
    assert 'href="#appendix"' in cover
    res = pipeline_result(SAMPLE_WIDE)
    appendix = _text(sample_html[sample_html.index('id="appendix"'):])
    for label, value in settings_rows(res) + policy_rows(res):
        assert f"{label} {value}" in appendix, label


def test_glossary(sample_html: str) -> None:
    appendix = _text(sample_html[sample_html.index('id="appendix"'):])
    for term in ("Cp, Cpk", "Pp, Ppk", "Cpm", "Bissell", "Anderson–Darling", "Nelson rules",
                 "Welch ANOVA", "Brown–Forsythe", "Form 1 / Form 2", "c = 0"):
        assert term in appendix, term
    assert len(GLOSSARY) == len({t for t, _ in GLOSSARY})


def test_assumed_lot_size_is_stated(sample_html: str, tmp_path: Path) -> None:
    res = pipeline_result(SAMPLE_WIDE)
    assert res.settings.lot_size is None  # the sample is analysed without --lot-size
    cover = _text(sample_html[:sample_html.index('id="summary"')])
    want = f"the sampling plans assume lots of {res.lot_size} parts — {res.lot_size_source}"
    assert want in cover
    assert want in _text(sample_html[sample_html.index('id="appendix"'):])
    # each characteristic with a plan says which lot size its plan assumes
    boxes = re.findall(r'<div class="plan-lot">([^<]*)</div>', sample_html)
    n_plans = sum(fr.decision.plan is not None for fr in res.features)
    assert len(boxes) == n_plans > 0
    assert all(f"lots of {res.lot_size} parts" in b for b in boxes)
    path = tmp_path / "s.xlsx"
    write_xlsx(res, path)
    cover_x = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Cover"].iter_rows(
        min_row=2, values_only=True)}
    assert want in str(cover_x["lot size assumed"])
    plan = openpyxl.load_workbook(path)["Inspection plan"]
    head = [c.value for c in plan[1]]
    sources = {r[head.index("Lot size from")] for r in plan.iter_rows(min_row=2, values_only=True)
               if r[head.index("Inspection")] == "sampling"}
    assert sources == {res.lot_size_source}


def test_no_statement_when_the_lot_size_was_given(tmp_path: Path) -> None:
    res = make_result(4)  # Settings(lot_size=500)
    html = render_html(res)
    assert "lot-size-note" not in html.replace(".lot-size-note", "")
    assert 'class="plan-lot"' not in html
    path = tmp_path / "g.xlsx"
    write_xlsx(res, path)
    keys = {r[0] for r in openpyxl.load_workbook(path)["Cover"].iter_rows(min_row=2,
                                                                          values_only=True)}
    assert "lot size assumed" not in keys


def test_lot_table_headings_are_readable(sample_html: str) -> None:
    assert "<th>Std. dev.</th>" in sample_html and "<th>First part (sequence)</th>" in sample_html
    assert "<th>first_sequence</th>" not in sample_html
