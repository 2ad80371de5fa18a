"""Issue 15 item 4: `analyze --msa` — an unacceptable gauge keeps its characteristic at 100 % and
says why; a conditional one releases with a note; Ppk with the gauge variance removed is shown."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pilotqa.analysis import analyze
from pilotqa.read import read
from pilotqa.results import GaugeEvidence
from pilotqa.settings import Settings
from pilotqa_cli.main import cli

from .conftest import SAMPLE

WIDE = SAMPLE / "housing_pilot_wide.xlsx"


def _msa_doc(verdict: str, pct: float, ndc: int, grr: float) -> dict[str, object]:
    return {"schema": "pilotqa.msa/1", "settings": {"criteria": {"study_var": 6.0}},
            "characteristics": [{"feature": "BORE_A_DIA", "method": "anova", "grr": grr,
                                 "pct_tolerance": {"grr": pct}, "ndc": ndc, "verdict": verdict,
                                 "source": "gauge study G-17"}]}


def test_unacceptable_gauge_changes_the_verdict_and_says_why() -> None:
    insp = read([WIDE])
    base = analyze(insp, Settings(lot_size=500))
    before = next(f for f in base.features if f.feature == "BORE_A_DIA")
    assert before.verdict != "keep_100"
    bad = GaugeEvidence(feature="BORE_A_DIA", method="anova", pct_grr_tolerance=34.0, ndc=3,
                        verdict="not_acceptable", sigma_grr=0.0012, source="g.json")
    after = next(f for f in analyze(insp, Settings(lot_size=500), gauges={"BORE_A_DIA": bad}).features
                 if f.feature == "BORE_A_DIA")
    assert after.verdict == "keep_100"
    assert any("gauge that is not acceptable" in r and "34.0 %" in r and "ndc 3" in r for r in after.decision.reasons)
    ev = after.decision.evidence
    assert ev.gauge_verdict == "not_acceptable" and ev.gauge_pct_grr_tolerance == 34.0
    # σ_process = √(σ²_obs − σ²_GRR) < σ_obs, so the gauge-corrected Ppk is larger (AIAG MSA ch. I §E)
    assert ev.ppk_process is not None and after.stats.ppk is not None and ev.ppk_process > after.stats.ppk
    cond = GaugeEvidence(feature="BORE_A_DIA", method="anova", pct_grr_tolerance=18.0, ndc=6,
                         verdict="conditional", sigma_grr=0.0005, source="g.json")
    c = next(f for f in analyze(insp, Settings(lot_size=500), gauges={"BORE_A_DIA": cond}).features
             if f.feature == "BORE_A_DIA")
    assert c.verdict == before.verdict and any("conditionally acceptable" in r for r in c.decision.reasons)


def test_cli_msa_option_end_to_end(tmp_path: Path) -> None:
    msa = tmp_path / "gauge.json"
    msa.write_text(json.dumps(_msa_doc("not_acceptable", 34.0, 3, 0.0012)), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["analyze", str(WIDE), "--lot-size", "500", "--msa", str(msa), "--out",
                                   str(out), "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    doc = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    f = next(x for x in doc["features"] if x["feature"] == "BORE_A_DIA")
    assert f["decision"]["verdict"] == "keep_100" and f["decision"]["evidence"]["gauge_ndc"] == 3
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    res = CliRunner().invoke(cli, ["analyze", str(WIDE), "--msa", str(bad), "--out", str(out), "-q"])
    assert res.exit_code == 2 and "pilotqa.msa/1" in res.output
