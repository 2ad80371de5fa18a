"""``pilotqa.compare`` on the bundled before/after runs and on constructed cases: what it finds,
that its numbers are scipy's on the same readings, that the document validates, and that the HTML
and XLSX outputs are safe."""
from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pilotqa.compare import compare
from pilotqa.compare.core import ComparisonResult, analysis_view
from pilotqa.compare.outputs import schema_path, write_comparison
from pilotqa.errors import InputError
from pilotqa.model import Inspection
from pilotqa.read import read
from pilotqa.settings import Settings

from .conftest import SAMPLE

BEFORE = SAMPLE / "compare" / "housing_pilot_before.csv"
AFTER = SAMPLE / "compare" / "housing_pilot_after.csv"
FIXED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample() -> ComparisonResult:
    return compare(read([BEFORE]), read([AFTER]), Settings(lot_size=500), generated_at=FIXED)


@pytest.fixture(scope="session")
def validate_comparison() -> Callable[[dict[str, Any]], None]:
    import jsonschema

    from pilotqa.compare.outputs import dumps

    validator = jsonschema.Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))

    def check(doc: dict[str, Any]) -> None:
        dumps(doc)  # raises on NaN / Infinity
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return check


def _by(result: ComparisonResult) -> dict[str, dict[str, Any]]:
    return {e["feature"]: e for e in result.document["features"]}


# ---------------------------------------------------------------- the bundled runs
def test_sample_names_the_improved_characteristic_and_its_verdict_change(sample: ComparisonResult) -> None:
    # planted by sample_data/make_compare_runs.py: BORE_B_DIA sigma x 0.6, nothing else changed
    e = _by(sample)["BORE_B_DIA"]
    assert e["change"] == "improved"
    assert e["sigma_significant"] and not e["mean_significant"]
    assert 0.5 < e["sigma_ratio"] < 0.7 and e["sigma_ratio_ci"][1] < 1.0
    assert e["verdict_before"] == "keep_100" and e["verdict_after"] != "keep_100"
    assert e["ppk_diff_ci"][0] > 0
    assert e["conclusion"].startswith("improved: σ −")
    assert "(p < 0.001)" in e["conclusion"] and "keep 100 % →" in e["conclusion"]
    assert sample.document["summary"]["improved"] == ["BORE_B_DIA"]
    assert sample.document["summary"]["worse"] == []
    assert len(sample.document["summary"]["no_change"]) == 11
    assert sample.document["overall"].startswith("improved: BORE_B_DIA")


def test_sample_reports_no_change_where_none_was_planted(sample: ComparisonResult) -> None:
    for name, e in _by(sample).items():
        if name == "BORE_B_DIA":
            continue
        assert e["change"] == "no_change", (name, e["conclusion"])
        assert e["conclusion"].startswith("no change: ")
        assert not e["mean_significant"] and not e["sigma_significant"]


def test_document_validates_against_the_shipped_schema(
        sample: ComparisonResult, validate_comparison: Callable[[dict[str, Any]], None]) -> None:
    validate_comparison(sample.document)
    doc = sample.document
    assert doc["schema"] == "pilotqa.comparison/1"
    assert doc["generated_at"] == FIXED.isoformat()
    assert doc["before"]["parts"] == 150 and doc["after"]["parts"] == 150
    assert doc["after"]["lots"] == ["L04", "L05", "L06"]
    assert doc["settings"]["multiplicity"] == "holm" and doc["settings"]["lot_size"] == 500
    required = json.loads(schema_path().read_text(encoding="utf-8"))["properties"]["features"]["items"]["required"]
    for key in ("feature", "mean_diff", "mean_p", "sigma_ratio", "sigma_p", "ppk_before", "ppk_after",
                "ppk_diff_ci", "verdict_before", "verdict_after", "change", "conclusion"):
        assert key in required


def test_every_result_field_is_in_the_schema_and_back() -> None:
    from dataclasses import fields

    from pilotqa.compare.core import FeatureComparison

    props = json.loads(schema_path().read_text(encoding="utf-8"))["properties"]["features"]["items"]["properties"]
    names = {"class" if f.name == "class_" else f.name for f in fields(FeatureComparison)}
    assert names == set(props)


def _csv_values(path: Path) -> dict[str, np.ndarray]:
    """The readings of a long CSV, read with the csv module (independent of pilotqa's reader)."""
    out: dict[str, list[float]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: int(r["sequence"]))
        for r in rows:
            out.setdefault(r["feature"], []).append(float(r["value"]))
    return {k: np.array(v) for k, v in out.items()}


def test_numbers_are_scipys_on_the_same_readings(sample: ComparisonResult) -> None:
    b, a = _csv_values(BEFORE), _csv_values(AFTER)
    for name, e in _by(sample).items():
        welch = stats.ttest_ind(a[name], b[name], equal_var=False)
        bf = stats.levene(a[name], b[name], center="median")
        assert e["mean_diff"] == pytest.approx(a[name].mean() - b[name].mean(), rel=1e-9, abs=1e-12)
        assert e["mean_t"] == pytest.approx(welch.statistic, rel=1e-9)
        assert e["mean_p"] == pytest.approx(welch.pvalue, rel=1e-8)
        assert e["sigma_p"] == pytest.approx(bf.pvalue, rel=1e-8)
        assert e["sigma_ratio"] == pytest.approx(a[name].std(ddof=1) / b[name].std(ddof=1), rel=1e-9)
    ps = [p for e in sample.document["features"] for p in (e["mean_p"], e["sigma_p"])]
    from statsmodels.stats.multitest import multipletests

    adj = multipletests(ps, method="holm")[1]
    got = [p for e in sample.document["features"] for p in (e["mean_p_adjusted"], e["sigma_p_adjusted"])]
    assert got == pytest.approx(list(adj), rel=1e-9)


def test_ppk_and_verdicts_are_each_sides_analysis(sample: ComparisonResult) -> None:
    for side, res in (("before", sample.before), ("after", sample.after)):
        for fr in res.features:
            v = analysis_view(fr)
            e = _by(sample)[fr.feature]
            assert e[f"verdict_{side}"] == v.verdict
            assert e[f"ppk_{side}"] == pytest.approx(v.ppk, rel=1e-9)
            assert e[f"ppk_{side}_ci"] == pytest.approx(list(v.ppk_ci or ()), rel=1e-9)


# ---------------------------------------------------------------- constructed cases
def _shifted(insp: Inspection, feature: str, *, add: float = 0.0, scale: float = 1.0) -> Inspection:
    m = insp.measurements
    mean = float(m.filter(pl.col("feature") == feature)["value"].mean())  # type: ignore[arg-type]
    insp.measurements = m.with_columns(
        pl.when(pl.col("feature") == feature)
        .then(mean + (pl.col("value") - mean) * scale + add)
        .otherwise(pl.col("value")).alias("value"))
    return insp


def test_identical_runs_change_nothing() -> None:
    r = compare(read([BEFORE]), read([BEFORE]))
    for e in r.document["features"]:
        assert e["change"] == "no_change" and e["mean_diff"] == 0.0
        assert e["sigma_ratio"] == pytest.approx(1.0) and e["mean_p"] == pytest.approx(1.0)
        assert e["verdict_before"] == e["verdict_after"]
        assert e["conclusion"].endswith("(unchanged)")


def test_a_mean_moved_towards_a_limit_is_worse_and_a_wider_spread_too() -> None:
    # PIN_HOLE_DIA 6.000..6.012, mean 6.0062: +0.003 mm moves it towards the USL (25 % of tol.)
    after = _shifted(read([BEFORE]), "PIN_HOLE_DIA", add=0.003)
    after = _shifted(after, "OVERALL_HEIGHT", scale=1.8)
    by = _by(compare(read([BEFORE]), after))
    e = by["PIN_HOLE_DIA"]
    assert e["change"] == "worse" and e["mean_significant"]
    assert e["mean_diff"] == pytest.approx(0.003, abs=1e-9)
    assert e["mean_diff_pct_tolerance"] == pytest.approx(25.0, abs=1e-6)
    assert e["conclusion"].startswith("worse: mean +0.0030")
    assert by["OVERALL_HEIGHT"]["change"] == "worse" and by["OVERALL_HEIGHT"]["sigma_significant"]
    assert by["OVERALL_HEIGHT"]["sigma_ratio"] == pytest.approx(1.8, rel=1e-9)


def test_a_mean_moved_towards_the_centre_is_improved() -> None:
    # THREAD_M8_DEPTH 16.0..16.5, mean about 16.22: +0.03 mm moves it to the centre
    by = _by(compare(read([BEFORE]), _shifted(read([BEFORE]), "THREAD_M8_DEPTH", add=0.03)))
    assert by["THREAD_M8_DEPTH"]["change"] == "improved"
    assert by["THREAD_M8_DEPTH"]["mean_significant"]
    assert by["THREAD_M8_DEPTH"]["ppk_diff"] > 0


def test_characteristics_on_one_side_only_are_listed(
        validate_comparison: Callable[[dict[str, Any]], None]) -> None:
    before, after = read([BEFORE]), read([AFTER])
    before.measurements = before.measurements.filter(pl.col("feature") != "SLOT_WIDTH")
    before.specs = before.specs.filter(pl.col("feature") != "SLOT_WIDTH")
    after.measurements = after.measurements.filter(pl.col("feature") != "HOLE1_POS")
    after.specs = after.specs.filter(pl.col("feature") != "HOLE1_POS")
    r = compare(before, after, Settings(critical=("SLOT_WIDTH",)))
    validate_comparison(r.document)
    assert r.document["summary"]["only_before"] == ["HOLE1_POS"]
    assert r.document["summary"]["only_after"] == ["SLOT_WIDTH"]
    assert len(r.document["features"]) == 10
    assert "only before: HOLE1_POS" in r.document["overall"]
    assert "only after: SLOT_WIDTH" in r.document["overall"]


def test_nothing_in_common_is_an_input_error() -> None:
    before, after = read([BEFORE]), read([AFTER])
    after.measurements = after.measurements.with_columns(pl.col("feature") + "_X")
    after.specs = after.specs.with_columns(pl.col("feature") + "_X")
    with pytest.raises(InputError, match="no characteristic in common"):
        compare(before, after)
    with pytest.raises(InputError, match="unknown characteristic"):
        compare(read([BEFORE]), read([AFTER]), Settings(critical=("NOPE",)))


# ---------------------------------------------------------------- outputs
EVIL = '<script>alert("x")</script>&"'
FORMULA = '=HYPERLINK("http://example.invalid","x")'


def _evil_run(path: Path, seed: int, scale: float) -> Path:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["part_id", "lot", "feature", "value", "nominal", "lsl", "usl", "unit"])
        for i in range(40):
            w.writerow([f"P{i}", "L1", EVIL, f"{10 + rng.normal(0, 0.01 * scale):.5f}", "10", "9.95", "10.05", "mm"])
            w.writerow([f"P{i}", "L1", FORMULA, f"{5 + rng.normal(0, 0.01):.5f}", "5", "4.95", "5.05", "mm"])
    return path


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> tuple[ComparisonResult, Path]:
    d = tmp_path_factory.mktemp("evil")
    b, a = _evil_run(d / "b.csv", 1, 1.0), _evil_run(d / "a.csv", 2, 0.5)
    r = compare(read([b]), read([a]))
    out = d / "out"
    write_comparison(r, out, "cmp", ("html", "json", "xlsx"), inputs=[b, a])
    return r, out


def test_html_escapes_every_input_string_and_loads_nothing(evil: tuple[ComparisonResult, Path]) -> None:
    _r, out = evil
    html = (out / "cmp.html").read_text(encoding="utf-8")
    assert EVIL not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#34;" in html
    assert '<meta name="generator" content="pilotqa' in html[:2000]
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert html.count(js[:200]) == 1 and js[-200:] in html  # plotly.js inlined exactly once
    assert 'src="http' not in html and "src='http" not in html and "<link rel=\"stylesheet\"" not in html
    assert html.count('type="application/json"') == 4  # 2 characteristics x (histogram, run chart)
    # plotly reads labels as HTML: the name reaches it entity-escaped
    from pilotqa.compare.html import histogram_figure, run_figure

    e = next(x for x in _r.document["features"] if x["feature"] == EVIL)
    xb, xa = _r.series[EVIL]
    for fig in (histogram_figure(e, xb, xa), run_figure(e, xb, xa)):
        assert fig["layout"]["title"]["text"].startswith("&lt;script&gt;alert(&#34;x&#34;)")


def test_xlsx_neutralises_formulas(evil: tuple[ComparisonResult, Path]) -> None:
    from openpyxl import load_workbook

    _r, out = evil
    wb = load_workbook(out / "cmp.xlsx")
    ws = wb["Comparison"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == FORMULA]
    assert cells, "the formula-looking name must be in the sheet"
    for c in cells:
        assert c.data_type == "s" and c.quotePrefix
    with zipfile.ZipFile(out / "cmp.xlsx") as z:
        assert not any("<f>" in z.read(n).decode("utf-8", "replace")
                       for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert wb.properties.creator == "pilotqa"


def test_outputs_replace_their_own_files_and_refuse_others(
        evil: tuple[ComparisonResult, Path], tmp_path: Path,
        validate_comparison: Callable[[dict[str, Any]], None]) -> None:
    r, out = evil
    validate_comparison(json.loads((out / "cmp.json").read_text(encoding="utf-8")))
    write_comparison(r, out, "cmp")  # pilotqa's own files: replaced
    (tmp_path / "cmp.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="not written by pilotqa"):
        write_comparison(r, tmp_path, "cmp", ("json",))
    write_comparison(r, tmp_path, "cmp", ("json",), force=True)
    assert json.loads((tmp_path / "cmp.json").read_text(encoding="utf-8"))["schema"] == "pilotqa.comparison/1"
    with pytest.raises(InputError, match="over an input"):
        write_comparison(r, tmp_path, "cmp", ("json",), force=True, inputs=[tmp_path / "cmp.json"])
