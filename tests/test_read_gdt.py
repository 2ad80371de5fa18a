"""The GD&T rule (pilotqa.read.validate.one_sided_geometric): form, orientation, location and
runout tolerances written as nominal 0 / +t / lower 0 are one-sided, bounded at zero, with a
note; --two-sided NAME and a --spec file override it; inspect shows the decision."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotqa.errors import InputError
from pilotqa.read import ReadOptions, read

HEAD = "Seriennummer;Merkmal;Istwert;Nennmaß;OT;UT;Einheit"


def _csv(tmp_path: Path, features: list[tuple[str, str, str, str]], n: int = 6) -> Path:
    """A German CMM CSV: one row per part and feature (name, nominal, OT, UT)."""
    lines = [HEAD]
    for i in range(n):
        for name, nom, ot, ut in features:
            val = float(nom.replace(",", ".")) + 0.001 * (i + 1)
            v = f"{val:.4f}".replace(".", ",")
            lines.append(f"S{i};{name};{v};{nom};{ot};{ut};mm")
    p = tmp_path / "cmm.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _spec(insp: object, name: str) -> tuple[object, object, object, object]:
    r = next(x for x in insp.specs.iter_rows(named=True) if x["feature"] == name)  # type: ignore[attr-defined]
    return r["nominal"], r["lsl"], r["usl"], r["lower_bound_zero"]


@pytest.mark.parametrize("name", [
    "Ebenheit A", "Flatness top", "FLATNESS_TOP", "Position Bohrung 2", "True position B",
    "Rundlauf Welle", "Planlauf", "Rundheit", "Roundness 3", "Rechtwinkligkeit A-B",
    "Perpendicularity", "Parallelität", "Parallelism", "Profil Fläche", "Surface profile",
    "Konzentrizität", "Concentricity", "Zylindrizität", "Cylindricity", "Geradheit",
    "Straightness", "⏥ 0.05", "⌖ Ø0.1 A B C",
])
def test_geometric_tolerance_with_lower_limit_zero_is_one_sided(tmp_path: Path, name: str) -> None:
    insp = read([_csv(tmp_path, [(name, "0", "0,05", "0"), ("Bohrung Ø20", "20", "0,021", "0")])])
    assert _spec(insp, name) == (0.0, None, 0.05, True)
    # a size dimension with the same 0 lower tolerance stays two-sided
    assert _spec(insp, "Bohrung Ø20") == (20.0, 20.0, 20.021, False)
    note = next(n for n in insp.notes if n.startswith("GD&T rule"))
    assert name in note and "--two-sided" in note
    src = next(r["source"] for r in insp.specs.iter_rows(named=True) if r["feature"] == name)
    assert "one-sided by the GD&T rule" in src


@pytest.mark.parametrize(("name", "nom", "ot", "ut", "lsl"), [
    ("Position X", "25", "0,05", "-0,05", 24.95),  # a coordinate, not a zone
    ("Spalt", "0", "0,1", "0", 0.0),               # not a geometric word: LSL 0 is a limit
    ("Ebenheit", "0,02", "0,03", "-0,01", 0.01),   # lower limit not 0
])
def test_rule_does_not_touch_other_specs(tmp_path: Path, name: str, nom: str, ot: str, ut: str,
                                         lsl: float) -> None:
    insp = read([_csv(tmp_path, [(name, nom, ot, ut)])])
    assert _spec(insp, name)[1] == pytest.approx(lsl)
    assert not any(n.startswith("GD&T rule") for n in insp.notes)


def test_two_sided_option_and_spec_file_override(tmp_path: Path) -> None:
    p = _csv(tmp_path, [("Ebenheit A", "0", "0,05", "0"), ("Position B", "0", "0,1", "0"),
                        ("Rundlauf C", "0", "0,02", "0")])
    insp = read([p], ReadOptions(two_sided=("Ebenheit A",)))
    assert _spec(insp, "Ebenheit A") == (0.0, 0.0, 0.05, False)
    assert _spec(insp, "Position B") == (0.0, None, 0.1, True)
    assert any("kept two-sided with --two-sided" in n and "Ebenheit A" in n for n in insp.notes)
    spec = tmp_path / "spec.csv"
    spec.write_text("feature,nominal,lsl,usl\nPosition B,0,0,0.1\n", encoding="utf-8")
    insp = read([p], ReadOptions(spec_file=str(spec)))
    assert _spec(insp, "Position B")[1:3] == (0.0, 0.1)
    assert _spec(insp, "Rundlauf C") == (0.0, None, 0.02, True)
    with pytest.raises(InputError, match="--two-sided 'Ebenheit': no characteristic") as exc:
        read([p], ReadOptions(two_sided=("Ebenheit",)))
    assert "\n" not in str(exc.value)


def test_aqdef_position_with_limit_zero(tmp_path: Path) -> None:
    """AQDEF writes a position as K2110 0 / K2111 t with K2120 1 (an ordinary limit)."""
    text = ("K0100 1\nK2001/1 4\nK2002/1 Position Bohrung\nK2101/1 0\nK2110/1 0\nK2111/1 0.1\n"
            "K2120/1 1\nK2121/1 1\n" + "\n".join(f"0.0{k}" for k in range(1, 9)) + "\n")
    p = tmp_path / "pos.dfq"
    p.write_bytes(text.replace("\n", "\r\n").encode())
    insp = read([p])
    assert _spec(insp, "Position Bohrung") == (0.0, None, 0.1, True)


def test_inspect_shows_the_decision_per_feature(tmp_path: Path) -> None:
    from pilotqa_cli.main import cli

    p = _csv(tmp_path, [("Ebenheit A", "0", "0,05", "0"), ("Position B", "0", "0,1", "0")])
    r = CliRunner().invoke(cli, ["inspect", str(p), "--two-sided", "Position B"])
    assert r.exit_code == 0, r.output
    line_a = next(x for x in r.output.splitlines() if x.strip().startswith("Ebenheit A"))
    line_b = next(x for x in r.output.splitlines() if x.strip().startswith("Position B"))
    assert "one-sided by the GD&T rule" in line_a and "kept two-sided (--two-sided)" in line_b
    r = CliRunner().invoke(cli, ["inspect", str(p), "--two-sided", "Nope"])
    assert r.exit_code == 2 and "--two-sided 'Nope'" in r.output


def test_one_sided_reading_raises_the_flatness_ppk(tmp_path: Path) -> None:
    """The issue's effect: a flatness near 0 judged against LSL 0 looks incapable; read
    one-sided, Ppk = Ppu = (USL − mean) / 3σ."""
    from pilotqa.settings import Settings
    from pilotqa.stats.capability import capability_all

    lines = [HEAD] + [f"S{i};Ebenheit A;{0.008 + 0.0005 * (i % 7):.4f};0;0,05;0;mm".replace(
        ".", ",") for i in range(40)]
    p = tmp_path / "flat.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = read([p])
    two = read([p], ReadOptions(two_sided=("Ebenheit A",)))
    ppk_one = capability_all(one.measurements, one.specs, Settings())["ppk"][0]
    ppk_two = capability_all(two.measurements, two.specs, Settings())["ppk"][0]
    x = one.measurements["value"]
    assert ppk_one == pytest.approx((0.05 - x.mean()) / (3 * x.std()), rel=1e-9)
    assert ppk_two == pytest.approx(x.mean() / (3 * x.std()), rel=1e-9) and ppk_two < ppk_one
