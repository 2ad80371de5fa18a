"""Heading vocabulary (pilotqa.read.vocabulary): one table, no word with two meanings; German CMM
CSV exports read without --map; separate date and time columns; stream columns; the README and
the --map help name every canonical name."""
from __future__ import annotations

import random
from datetime import datetime, time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pilotqa.read import ReadOptions, read
from pilotqa.read.specs import CANONICAL_NAMES, METADATA_LABELS, norm_heading
from pilotqa.read.vocabulary import HEADINGS, LANGUAGES, report_roles, synonyms
from tests.workbooks import write_xlsx

REPO = Path(__file__).resolve().parents[1]
GERMAN_HEAD = "Datum;Uhrzeit;Teilenummer;Seriennummer;Merkmal;Nennmaß;OT;UT;Istwert;Abweichung;Einheit"


def test_no_heading_names_two_canonical_names() -> None:
    owner: dict[str, str] = {}
    for canon in HEADINGS:
        assert set(HEADINGS[canon]) <= set(LANGUAGES)
        for word in synonyms(canon):
            key = norm_heading(word)
            assert owner.setdefault(key, canon) == canon, f"'{word}': {owner[key]} and {canon}"
    assert len({norm_heading(k) for k in METADATA_LABELS}) == len(METADATA_LABELS)


def test_report_roles_take_the_german_spec_words() -> None:
    roles = report_roles()
    assert {"nennmaß", "ot", "ut", "ogw", "ugw", "einheit", "merkmal"} <= (
        roles["nominal"] | roles["plus_tol"] | roles["minus_tol"] | roles["usl"] | roles["lsl"]
        | roles["unit"] | roles["feature"])


def _german_csv(path: Path, encoding: str, signed_ut: bool) -> Path:
    """A German CMM export as CMM software writes it: semicolons, decimal commas, CR LF, the
    headings of issue 11; a bore Ø20 +0.021/0, a flatness 0/+0.05/0, a length 85 ±0.1."""
    rnd = random.Random(7)
    lines = [GERMAN_HEAD]
    for i in range(1, 31):
        stamp = (f"{5 + i // 20:02d}.10.2026", f"{8 + i // 6:02d}:{(7 * i) % 60:02d}:{i % 60:02d}")
        for name, nom, ot, ut, val in [
            ("Bohrung Ø20", "20,000", "0,021", "0,000", 20.01 + rnd.gauss(0, 0.002)),
            ("Ebenheit A", "0,000", "0,050", "0,000", abs(rnd.gauss(0.015, 0.004))),
            ("Länge 85", "85,000", "0,100", "-0,100" if signed_ut else "0,100",
             85 + rnd.gauss(0, 0.02)),
        ]:
            v = f"{val:.4f}".replace(".", ",")
            dev = f"{val - float(nom.replace(',', '.')):.4f}".replace(".", ",")
            lines.append(f"{stamp[0]};{stamp[1]};HSG-4711;SN{i:04d};{name};{nom};{ot};{ut};{v};{dev};mm")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
@pytest.mark.parametrize("signed_ut", [True, False])
def test_german_cmm_csv_reads_without_map(tmp_path: Path, encoding: str, signed_ut: bool) -> None:
    insp = read([_german_csv(tmp_path / "cmm.csv", encoding, signed_ut)])
    assert insp.layout == "long"
    assert insp.feature_names == ["Bohrung Ø20", "Ebenheit A", "Länge 85"]
    assert insp.n_parts == 30 and insp.metadata["part_number"] == "HSG-4711"
    spec = {r["feature"]: (r["nominal"], r["lsl"], r["usl"], r["unit"])
            for r in insp.specs.iter_rows(named=True)}
    assert spec["Bohrung Ø20"] == (20.0, 20.0, 20.021, "mm")
    assert spec["Länge 85"] == (85.0, 84.9, 85.1, "mm")
    m = insp.measurements.sort("sequence")
    # Datum + Uhrzeit combined: part 1 at 05.10.2026 08:07:01
    first = m.filter(pl.col("part_id") == "SN0001")["timestamp"].unique().to_list()
    assert first == [datetime(2026, 10, 5, 8, 7, 1)]
    assert m["timestamp"].dt.hour().n_unique() > 1
    assert any("'Abweichung' not used" in n for n in insp.notes)


def test_separate_date_and_time_cells_in_a_workbook(tmp_path: Path) -> None:
    """Excel: a date cell and a time cell (openpyxl writes datetime.time), a text time, a
    fraction-of-day number and a blank time (midnight)."""
    rows: list[list[Any]] = [["Datum", "Uhrzeit", "Seriennummer", "Merkmal", "Nennmaß", "OT", "UT", "Istwert"],
            [datetime(2026, 3, 2), time(14, 30, 5), "S1", "B", 10, 0.1, -0.1, 10.01],
            [datetime(2026, 3, 2), "15:00", "S2", "B", 10, 0.1, -0.1, 10.02],
            [datetime(2026, 3, 2), 0.75, "S3", "B", 10, 0.1, -0.1, 10.0],
            [datetime(2026, 3, 3), None, "S4", "B", 10, 0.1, -0.1, 9.99]]
    insp = read([write_xlsx(tmp_path / "d.xlsx", {"Messung": rows})])
    assert insp.measurements.sort("sequence")["timestamp"].to_list() == [
        datetime(2026, 3, 2, 14, 30, 5), datetime(2026, 3, 2, 15, 0), datetime(2026, 3, 2, 18, 0),
        datetime(2026, 3, 3)]


def test_bad_time_cell_names_its_cell(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("date,time,serial,feature,actual,nominal,+tol,-tol\n"
                 "2026-03-02,soon,S1,B,10.01,10,0.1,0.1\n", encoding="utf-8")
    from pilotqa.errors import InputError
    with pytest.raises(InputError, match="'soon' is not a time of day") as exc:
        read([p])
    assert exc.value.row == 2 and exc.value.column == "time"


def test_stream_columns_are_kept_per_reading(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    lines = ["Seriennummer;Merkmal;Istwert;Sollwert;OGW;UGW;Maschine;Prüfer;Nest;Spindel"]
    for i in range(6):
        lines.append(f"S{i};B;{10 + i / 1000:.3f};10;10,1;9,9;M{i % 2};Anna;{i % 3 + 1};1".replace(
            "10.0", "10,0"))
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    insp = read([p])
    m = insp.measurements.sort("sequence")
    assert m["machine"].to_list() == ["M0", "M1"] * 3
    assert m["nest"].to_list() == ["1", "2", "3"] * 2
    assert m["operator"].unique().to_list() == ["Anna"] and m["spindle"].unique().to_list() == ["1"]
    assert insp.metadata["operator"] == "Anna"  # one value: also metadata
    spec = insp.specs.row(0, named=True)
    assert (spec["nominal"], spec["lsl"], spec["usl"]) == (10.0, 9.9, 10.1)


@pytest.mark.parametrize("head", [
    "Numéro de série;Caractéristique;Valeur mesurée;Valeur nominale;Tolérance supérieure;"
    "Tolérance inférieure;Unité",
    "Numero di serie;Caratteristica;Valore misurato;Nominale;Tolleranza superiore;"
    "Tolleranza inferiore;Unità",
    "Número de serie;Característica;Valor medido;Valor nominal;Tolerancia superior;"
    "Tolerancia inferior;Unidad",
])
def test_french_italian_spanish_long_headings(tmp_path: Path, head: str) -> None:
    p = tmp_path / "r.csv"
    p.write_text(head + "\n" + "\n".join(f"S{i};B;10,0{i};10;0,1;-0,1;mm" for i in range(5)) + "\n",
                 encoding="utf-8")
    insp = read([p])
    spec = insp.specs.row(0, named=True)
    assert (spec["lsl"], spec["usl"], spec["unit"]) == (9.9, 10.1, "mm") and insp.n_parts == 5


@pytest.mark.parametrize("label", ["Drawing Rev.", "Dwg Rev", "Part Revision", "Index",
                                   "Änderungsstand", "Rev level"])
def test_revision_synonyms(tmp_path: Path, label: str) -> None:
    rows: list[list[Any]] = [["Part number:", "HSG-1"], [f"{label}:", "D"], [],
            ["Serial", "BORE"], ["Nominal", 10.0], ["USL", 10.1], ["LSL", 9.9],
            ["S1", 10.01], ["S2", 10.02]]
    insp = read([write_xlsx(tmp_path / "w.xlsx", {"S": rows})])
    assert insp.metadata["revision"] == "D"


def test_readme_and_map_help_name_every_canonical_name() -> None:
    from click.testing import CliRunner

    from pilotqa_cli.main import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    help_text = CliRunner().invoke(cli, ["inspect", "--help"], terminal_width=400).output
    help_text = " ".join(help_text.split())
    for name in CANONICAL_NAMES + ("ignore",):
        assert f"`{name}`" in readme, name
        assert name in help_text, name
