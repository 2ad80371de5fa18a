"""Gauge evidence for the release decision (pilotqa.msa.effect) read back from pilotqa.msa/1."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pilotqa.errors import InputError
from pilotqa.msa import Criteria, ReadSettings, run_msa
from pilotqa.msa.document import write_json
from pilotqa.msa.effect import GaugeEvidence, load_msa_results, process_sigma

DATA = Path(__file__).resolve().parent / "data" / "msa"


def _result(tmp_path: Path, name: str, tolerance: float, study_var: float = 6.0) -> Path:
    doc = run_msa([DATA / "aiag4_grr_long.csv"], ReadSettings(tolerance=tolerance),
                  criteria=Criteria(study_var=study_var))
    doc["characteristics"][0]["feature"] = name
    path = tmp_path / f"{name}.msa.json"
    write_json(doc, path)
    return path


def test_evidence_of_a_grr(tmp_path: Path) -> None:
    path = _result(tmp_path, "Bore A", 8.0)
    ev = load_msa_results([path])["Bore A"]
    assert isinstance(ev, GaugeEvidence) and ev.method == "anova"
    # GRR = 0.302372 (AIAG example); %GRR of T = 100·6·GRR/8
    assert ev.sigma_grr == pytest.approx(0.302372, abs=1e-6)
    assert ev.pct_grr_tolerance == pytest.approx(100 * 6 * ev.sigma_grr / 8, rel=1e-12)
    assert ev.ndc == 4 and ev.verdict == "not_acceptable" and ev.study_var == 6.0
    assert str(path) in ev.source and any("ndc = 4" in r for r in ev.reasons)


def test_several_results_and_duplicates(tmp_path: Path) -> None:
    a, b = _result(tmp_path, "A", 8.0), _result(tmp_path, "B", 40.0, 5.15)
    got = load_msa_results([a, b])
    assert sorted(got) == ["A", "B"] and got["B"].study_var == 5.15
    (tmp_path / "again").mkdir()
    again = _result(tmp_path / "again", "A", 8.0)
    with pytest.raises(InputError, match="'A' has gauge results in two files"):
        load_msa_results([a, again])


def test_type1_evidence_and_bad_files(tmp_path: Path) -> None:
    f = tmp_path / "t1.csv"
    f.write_text("value\n10.001\n9.999\n10.002\n9.998\n10.000\n", encoding="utf-8")
    doc = run_msa([f], ReadSettings(reference=10.0, tolerance=0.1))
    write_json(doc, tmp_path / "t1.json")
    ev = load_msa_results([tmp_path / "t1.json"])["t1"]
    assert ev.method == "type1" and ev.pct_grr_tolerance is None and ev.ndc is None
    assert ev.sigma_grr == pytest.approx(math.sqrt(1e-5 / 4), rel=1e-9)  # repeatability s_g
    other = tmp_path / "analysis.json"
    other.write_text(json.dumps({"schema": "pilotqa.analysis/1"}), encoding="utf-8")
    with pytest.raises(InputError, match="not a pilotqa.msa/1 document"):
        load_msa_results([other])
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read the MSA result"):
        load_msa_results([broken])


def test_process_sigma() -> None:
    # σ²_process = σ²_observed − σ²_GRR: 0.5² − 0.3² = 0.16
    assert process_sigma(0.5, 0.3) == pytest.approx(0.4, rel=1e-12)
    assert process_sigma(0.5, 0.0) == 0.5
    assert process_sigma(0.3, 0.5) is None  # gauge wider than the observed spread
    assert process_sigma(None, 0.1) is None and process_sigma(0.1, None) is None


@given(st.floats(0, 1e3), st.floats(0, 1e3))
@example(3.0308548010419617e-156, 0.0)  # σ² underflowed: √ gave 3.0308548010420445e-156 > σ_observed
@example(1e200, 5e199)  # σ² overflowed: the result was None
def test_process_sigma_properties(obs: float, grr: float) -> None:
    got = process_sigma(obs, grr)
    if grr > obs:
        assert got is None
    else:
        assert got is not None and 0 <= got <= obs
        assert got * got + grr * grr == pytest.approx(obs * obs, rel=1e-9, abs=1e-9)
