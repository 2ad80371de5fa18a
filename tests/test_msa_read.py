"""Reading gauge studies: long and wide tables (English and German headings), AQDEF GC files,
and refusal of unbalanced or incomplete designs with the place named."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pilotqa.errors import InputError
from pilotqa.msa.kfields import read_gc_file
from pilotqa.msa.read import ReadSettings, read_studies

DATA = Path(__file__).resolve().parent / "data" / "msa"


@pytest.fixture(scope="module")
def aiag() -> np.ndarray:
    return read_studies([DATA / "aiag4_grr_long.csv"])[0][0].data


def _long_rows(aiag: np.ndarray) -> list[list[object]]:
    return [[j + 1, "ABC"[i], k + 1, float(aiag[i, j, k])]
            for i in range(3) for j in range(10) for k in range(3)]


def _write_csv(path: Path, header: list[str], rows: list[list[object]], sep: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_german_long_csv_with_decimal_comma(tmp_path: Path, aiag: np.ndarray) -> None:
    rows = [[p, a, str(v).replace(".", ","), "8"] for p, a, _, v in _long_rows(aiag)]
    f = _write_csv(tmp_path / "studie.csv", ["Teil", "Prüfer", "Messwert", "Toleranz"], rows,
                   ";")
    [s], _, _ = read_studies([f])
    assert s.kind == "crossed" and s.tolerance == 8.0
    assert s.appraisers == ("A", "B", "C") and s.parts[:2] == ("1", "2")
    np.testing.assert_array_equal(s.data, aiag)  # trials numbered in row order
    assert "row order" in s.source


def test_long_with_feature_and_limits(tmp_path: Path, aiag: np.ndarray) -> None:
    rows = [["Bore", *r, 9.0, 11.0] for r in _long_rows(aiag)]
    rows += [["Slot", p, a, t, v * 2, 9.0, 11.0] for p, a, t, v in _long_rows(aiag)]
    f = _write_csv(tmp_path / "two.csv", ["Characteristic", "Part", "Operator", "Trial",
                                          "Measurement", "LSL", "USL"], rows)
    studies, _, _ = read_studies([f])
    assert [s.feature for s in studies] == ["Bore", "Slot"]
    assert studies[0].tolerance == 2.0 and studies[1].lsl == 9.0
    np.testing.assert_allclose(studies[1].data, 2 * aiag)
    # the command line wins over the file
    over, _, _ = read_studies([f], ReadSettings(tolerance=4.0))
    assert over[0].tolerance == 4.0


def test_wide_sheets(tmp_path: Path, aiag: np.ndarray) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "GRR"
    ws.append(["Part"] + [f"Operator {o} Trial {t}" for o in "ABC" for t in (1, 2, 3)])
    for p in range(10):
        ws.append([f"P{p + 1}"] + [float(aiag[i, p, t]) for i in range(3) for t in range(3)])
    ws2 = wb.create_sheet("Prüfung")
    ws2.append(["Teil", "Prüfer A", None, None, "Prüfer B", None, None, "Prüfer C", None, None])
    ws2.append([None, 1, 2, 3, 1, 2, 3, 1, 2, 3])
    for p in range(10):
        ws2.append([p + 1] + [float(aiag[i, p, t]) for i in range(3) for t in range(3)])
    ws3 = wb.create_sheet("short")
    ws3.append(["Part", "A1", "A2", "B1", "B2"])
    for p in range(4):
        ws3.append([p + 1, 1.0 + p, 1.1 + p, 1.05 + p, 0.95 + p])
    f = tmp_path / "wide.xlsx"
    wb.save(f)
    studies, _, _ = read_studies([f], ReadSettings(lsl=-3.0, usl=3.0))
    assert [s.feature for s in studies] == ["GRR", "Prüfung", "short"]
    for s in studies[:2]:
        np.testing.assert_array_equal(s.data, aiag)
        assert s.appraisers == ("A", "B", "C") and s.tolerance == 6.0
    assert studies[0].parts[0] == "P1"
    assert studies[2].shape == (2, 4, 2)
    only, _, _ = read_studies([f], ReadSettings(sheet="short"))
    assert len(only) == 1
    with pytest.raises(InputError, match="no sheet 'nope'"):
        read_studies([f], ReadSettings(sheet="nope"))


def test_type1_column(tmp_path: Path) -> None:
    f = _write_csv(tmp_path / "t1.csv", ["Messwert", "Referenz", "USG", "OSG"],
                   [[10.001, 10.0, 9.95, 10.05], [9.999, "", "", ""], [10.002, "", "", ""]])
    [s], _, _ = read_studies([f])
    assert s.kind == "type1" and s.reference == 10.0 and s.tolerance == 0.1
    [s2], _, _ = read_studies([f], ReadSettings(reference=9.9))
    assert s2.reference == 9.9


@pytest.mark.parametrize(("drop", "edit", "match", "where"), [
    # a reading missing: appraiser C, part 10 has 2 trials instead of 3
    (89, None, "appraiser 'C', part '10' has trials 1, 2 but the study has 3", "row 90"),
    # a blank reading
    (None, (5, 3, ""), "blank reading", "row 6, column 'Value'"),
    # text instead of a number
    (None, (5, 3, "OK"), "'OK' is an attribute", "row 6, column 'Value'"),
    # a trial given twice
    (None, (3, 2, 2), "appraiser 'A', part '1', trial 2 given twice", "row 4, column 'Trial'"),
])
def test_bad_designs_are_refused_with_the_place(tmp_path: Path, aiag: np.ndarray,
                                                drop: int | None,
                                                edit: tuple[int, int, object] | None,
                                                match: str, where: str) -> None:
    rows = _long_rows(aiag)
    if drop is not None:
        del rows[drop]
    if edit is not None:
        rows[edit[0] - 1][edit[1]] = edit[2]
    f = _write_csv(tmp_path / "bad.csv", ["Part", "Operator", "Trial", "Value"], rows)
    with pytest.raises(InputError, match=match) as exc:
        read_studies([f])
    assert where in str(exc.value) and "bad.csv" in str(exc.value)


def test_missing_cell_is_named(tmp_path: Path, aiag: np.ndarray) -> None:
    rows = [r for r in _long_rows(aiag) if not (r[0] == 4 and r[1] == "B")]
    f = _write_csv(tmp_path / "gap.csv", ["Part", "Operator", "Trial", "Value"], rows)
    with pytest.raises(InputError, match="appraiser 'B' has no reading of part '4'"):
        read_studies([f])


def test_wide_blank_cell_is_named(tmp_path: Path) -> None:
    f = _write_csv(tmp_path / "w.csv", ["Part", "A1", "A2", "B1", "B2"],
                   [[1, 1.0, 1.1, 1.0, ""], [2, 2.0, 2.1, 2.0, 2.05]])
    with pytest.raises(InputError, match=r"row 2, column 'B2': blank reading"):
        read_studies([f])


# ---------------------------------------------------------------- Q-DAS GC examples
GC_READ = {  # file -> [(kind, shape)] of the studies read (K2202 = 1, 2, 3)
    "GC_AIAG.DFQ": [("crossed", (3, 10, 2))],
    "MSA_2_Edition/MSA2_TYP2.DFQ": [("crossed", (3, 10, 2))],
    "MSA_3_Edition/MSA3_TYP2.DFQ": [("crossed", (3, 10, 3))],
    "TEST_14.DFQ": [("type1", (50,))],
    "TEST_14M.DFQ": [("type1", (50,))] * 4,
    "TEST_15.DFQ": [("type1", (50,))],
    "TEST_16.DFQ": [("crossed", (3, 10, 2))],
    "TEST_16M.DFQ": [("crossed", (3, 10, 2))] * 4,
    "TEST_17.DFQ": [("crossed", (1, 25, 2))],
    "TEST_17M.DFQ": [("crossed", (1, 25, 2))] * 4,
    "BOSCH_Booklet-2003/Bosch_V1.DFQ": [("type1", (50,))],
    "BOSCH_Booklet-2003/Bosch_V2_ARM.DFQ": [("crossed", (3, 10, 2))],
    "BOSCH_Booklet-2003/Bosch_V3_ARM.DFQ": [("crossed", (1, 25, 2))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_1.dfq": [("type1", (50,))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_1_UNILATERAL.dfq": [("type1", (50,))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_1_POSITION.dfq": [("type1", (25,))] * 6,
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_2.dfq": [("crossed", (3, 10, 2))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_2_UNILATERAL.dfq": [("crossed", (3, 10, 2))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_3.dfq": [("crossed", (1, 25, 2))],
    "BOSCH_Booklet-2010/BOSCH_BOOKLET10_TYPE_3_UNILATERAL.dfq": [("crossed", (1, 25, 2))],
    "DaimlerChrysler/LF-05 Beispiel 1.DFQ": [("type1", (50,))],
    "DaimlerChrysler/LF-05 Beispiel 4.DFQ": [("type1", (50,)), ("crossed", (3, 10, 3))],
    "FORD_EU1880/FORD_1.DFQ": [("type1", (50,))],
    "FORD_EU1880/FORD_2.DFQ": [("crossed", (3, 10, 3))],
    "FORD_EU1880/FORD_3.DFQ": [("crossed", (1, 25, 2))],
    "Reference_manual/GC_AIAG1.DFQ": [("crossed", (2, 10, 2))],
    "Reference_manual/GC_AIAGV.DFQ": [("crossed", (2, 10, 2))],
    "Reference_manual/QDAS2ADV.DFQ": [("crossed", (2, 10, 2))],
    "Reference_manual/QDAS_2AD.DFQ": [("crossed", (2, 10, 2))],
    "Reference_manual/QDAS3ADM.DFQ": [("crossed", (1, 25, 2))],
    "Reference_manual/QDAS3ADN.DFQ": [("crossed", (1, 25, 2))],
    "Reference_manual/QDAS_3AD.DFQ": [("crossed", (1, 25, 2))],
    "Reference_manual/QDAS_3BD.DFQ": [("crossed", (1, 25, 2))],
    "Reference_manual/QDAS_1AD.DFQ": [("type1", (50,))],
    "Reference_manual/QDAS_1BD.DFQ": [("type1", (50,))],
    "MU/VDA_5/VDA5_BEISPIEL_4.DFQ": [("crossed", (3, 10, 2)), ("type1", (25,))],
}


@pytest.fixture(scope="module")
def gc(shared_dir: Path) -> Path:
    return shared_dir / "real_exports" / "qdas_examples" / "ENG" / "GC"


@pytest.mark.parametrize("name", sorted(GC_READ))
def test_qdas_gc_studies_are_read(gc: Path, name: str) -> None:
    studies, _ = read_gc_file(gc / name)
    assert [(s.kind, s.shape) for s in studies] == GC_READ[name]
    for s in studies:
        assert np.isfinite(s.data).all()


def test_every_type_1_2_3_file_of_the_set_is_covered(gc: Path) -> None:
    """Each GC example holding a K2202 = 1, 2 or 3 characteristic with values is in GC_READ,
    except the GUM measurement-uncertainty examples (coded Type 1, no reference, no limits),
    which are read too but only assessed as far as their data allow."""
    found = set()
    for f in sorted(p for p in gc.rglob("*") if p.is_file()):
        studies, _ = read_gc_file(f)
        if studies:
            found.add(f.relative_to(gc).as_posix())
    gum = {n for n in found if n.startswith("MU/GUM/")}
    assert found - gum == set(GC_READ)
    assert len(gum) == 3


def test_qdas_files_hold_the_aiag_examples(gc: Path, aiag: np.ndarray) -> None:
    # MSA3_TYP2.DFQ is the AIAG 3rd/4th ed. example, stored appraiser → part → trial
    [s], _ = read_gc_file(gc / "MSA_3_Edition" / "MSA3_TYP2.DFQ")
    np.testing.assert_array_equal(s.data, aiag)
    # GC_AIAG.DFQ is the AIAG 2nd ed. gasket example (tolerance 0.60 … 1.00): appraiser A
    # trial 1 0.65, 1.00, 0.85, 0.85, 0.55, 1.00, 0.95, 0.85, 1.00, 0.60; trial 2 0.60, 1.00,
    # 0.80, 0.95, 0.45, 1.00, 0.95, 0.80, 1.00, 0.70
    [g], _ = read_gc_file(gc / "GC_AIAG.DFQ")
    np.testing.assert_allclose(g.data[0, :, 0], [0.65, 1.00, 0.85, 0.85, 0.55, 1.00, 0.95, 0.85,
                                                 1.00, 0.60])
    np.testing.assert_allclose(g.data[0, :, 1], [0.60, 1.00, 0.80, 0.95, 0.45, 1.00, 0.95, 0.80,
                                                 1.00, 0.70])
    assert g.tolerance == pytest.approx(0.4) and g.lsl == 0.6


def test_qdas_type1_reference_and_skipped_types(gc: Path) -> None:
    [s], notes = read_gc_file(gc / "BOSCH_Booklet-2010" / "BOSCH_BOOKLET10_TYPE_1.dfq")
    assert s.reference == 6.002 and s.tolerance == 0.06 and s.data.size == 50
    studies, notes = read_gc_file(gc / "BOSCH_Booklet-2010" / "BOSCH_BOOKLET10_TYPE_4.dfq")
    assert studies == [] and "K2202 = 94" in notes[0]


def test_qdas_incomplete_design_is_refused(gc: Path, tmp_path: Path) -> None:
    lines = (gc / "GC_AIAG.DFQ").read_bytes().split(b"\n")
    last_value = max(i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith(b"K"))
    del lines[last_value]
    f = tmp_path / "short.dfq"
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"3 × 10 × 2 needs 60 values, the file holds 59"):
        read_gc_file(f)
    lines = (gc / "GC_AIAG.DFQ").read_bytes().split(b"\n")
    lines[last_value - 3] = lines[last_value - 3].replace(b"\x140\x14", b"\x14256\x14", 1)
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"appraiser 3, part 9, trial 1 is not measured") as exc:
        read_gc_file(f)
    assert f"line {last_value - 3 + 1}" in str(exc.value)


def test_folder_input_and_unique_names(gc: Path) -> None:
    studies, notes, files = read_studies([gc / "Reference_manual"])
    names = [s.feature for s in studies]
    assert len(names) == len(set(names)) == 10
    assert "Verfahren 2 (2)" in names
    assert any("K2202" in n for n in notes)  # linearity / stability files skipped with a note


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(2, 5), st.integers(2, 3), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(tmp_path_factory: pytest.TempPathFactory, a: int, p: int,
                                   r: int, rnd: Any) -> None:
    """With a trial column the rows may come in any order: the same design is read."""
    y = np.round(np.array([[[rnd.uniform(-1, 1) for _ in range(r)] for _ in range(p)]
                           for _ in range(a)]), 4)
    rows = [[f"P{j}", f"Op{i}", k + 1, float(y[i, j, k])]
            for i in range(a) for j in range(p) for k in range(r)]
    rnd.shuffle(rows)
    f = _write_csv(tmp_path_factory.mktemp("order") / "s.csv", ["part", "operator", "trial",
                                                                "value"], rows)
    [s], _, _ = read_studies([f])
    order_a = [int(x[2:]) for x in s.appraisers]
    order_p = [int(x[1:]) for x in s.parts]
    np.testing.assert_array_equal(s.data, y[np.ix_(order_a, order_p, list(range(r)))])
