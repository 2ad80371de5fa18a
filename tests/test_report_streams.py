"""The per-stream block of the report page (pilotqa.report.stream_html): box plot by stream and
per-stream table, self-contained (inline SVG, no script, no external resource)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pilotqa.analysis import analyze
from pilotqa.report.stream_html import box_stats, streams_block
from pilotqa.settings import Settings
from tests.test_streams import _pilot


def test_box_stats_by_hand() -> None:
    # quartiles of 1..9 (linear interpolation): 3, 5, 7; IQR 4, fences -3 and 13: 40 is an outlier
    b = box_stats([1, 2, 3, 4, 5, 6, 7, 8, 9, 40])
    assert b is not None
    assert (b["q1"], b["median"], b["q3"]) == pytest.approx((3.25, 5.5, 7.75))
    assert b["lo"] == 1 and b["hi"] == 9 and b["outliers"] == [40.0]
    assert box_stats([]) is None


def test_block_has_a_box_and_a_row_per_stream() -> None:
    fs = analyze(_pilot(0.012), Settings(lot_size=500)).features[0].stats
    html = str(streams_block(fs))
    assert html.count("<rect") == 2 and "<svg" in html and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    for p in fs.streams["fixture"].per_stream:
        assert f"<td>{p.stream}</td><td>{p.n}</td>" in html
    se = fs.streams["fixture"]
    assert se.offset is not None
    assert f"F2 sits {se.offset:+.3g} mm" in html and "significant and practically relevant" in html
    assert html.count("<line") >= 2 + 2 * 2  # LSL/USL and per stream whisker + median


def test_block_is_empty_without_streams_and_escapes_names() -> None:
    fs = analyze(_pilot(0.012), Settings(lot_size=500)).features[0].stats
    assert str(streams_block(dataclasses.replace(fs, streams={}))) == ""
    se = fs.streams["fixture"]
    evil = "<script>x</script>"
    per = tuple(dataclasses.replace(p, stream=evil if p.stream == "F2" else p.stream) for p in se.per_stream)
    labels = tuple(evil if v == "F2" else v for v in fs.series.streams["fixture"])
    fs2 = dataclasses.replace(fs, streams={"fixture": dataclasses.replace(se, per_stream=per, stream=evil)},
                              series=dataclasses.replace(fs.series, streams={"fixture": labels}))
    html = str(streams_block(fs2))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert np.isfinite(fs.series.values).all()
