"""Small helpers shared by several stages: JSON-safe numbers and cell text."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np

__all__ = ["finite_or_none", "cell_text", "json_safe", "toml_module", "toml_long_line",
           "MAX_TOML_LINE_CHARS"]


def finite_or_none(x: Any) -> float | None:
    """``float(x)`` when it is a finite number, else None (bools, text, NaN, ±Infinity → None).

    >>> finite_or_none("1.5"), finite_or_none(float("nan")), finite_or_none(True)
    (1.5, None, None)
    """
    if type(x) is float:  # the common case, without the calls below (``x - x``: NaN unless finite)
        return x if x - x == 0.0 else None
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def toml_module() -> Any:
    """The TOML parser: ``tomllib`` (Python ≥ 3.11) or its backport ``tomli`` (Python 3.10,
    declared in pyproject.toml for ``python_version < '3.11'``); both have ``load``, ``loads`` and
    ``TOMLDecodeError``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
    return tomllib


#: Longest line of a TOML file pilotqa parses (a policy or spec file; a key cannot span lines,
#: and tomllib builds a dotted key in time quadratic in its parts).
MAX_TOML_LINE_CHARS = 10_000


def toml_long_line(text: str) -> int | None:
    """The 1-based number of the first line longer than :data:`MAX_TOML_LINE_CHARS`, else None.

    >>> toml_long_line("a = 1\\nb = 2"), toml_long_line("a = 1\\n" + "x" * 10_001)
    (None, 2)
    """
    for k, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_TOML_LINE_CHARS:
            return k
    return None


def cell_text(v: Any) -> str:
    """A spreadsheet cell as identifier text: ``7.0`` → ``'7'``, dates in ISO form, stripped.

    >>> cell_text(7.0), cell_text(" SN01 "), cell_text(datetime(2026, 1, 2, 3, 4))
    ('7', 'SN01', '2026-01-02 03:04:00')
    """
    if type(v) is str:
        return v.strip()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def json_safe(obj: Any, where: str = "$", bad: list[str] | None = None) -> Any:
    """Convert numpy/polars/datetime values to plain JSON types, recursively.

    A non-finite float becomes ``None``; when ``bad`` is given, its path is appended there so the
    caller can record it (the report stage does; the test-suite asserts it stays empty).

    >>> json_safe({"a": float("nan"), "b": np.float64(1.5), "c": (np.int64(2), np.inf)})
    {'a': None, 'b': 1.5, 'c': [2, None]}
    """
    if bad is None:  # nobody reads the paths: skip building them (same values, see _json_fast)
        return _json_fast(obj)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        if math.isfinite(x):
            return x
        if bad is not None:
            bad.append(where)
        return None
    if isinstance(obj, dict):
        return {str(k): json_safe(v, f"{where}.{k}", bad) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v, f"{where}[{i}]", bad) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return [json_safe(v, f"{where}[{i}]", bad) for i, v in enumerate(obj.tolist())]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    return str(obj)


def _json_fast(obj: Any) -> Any:
    """:func:`json_safe` without the paths of non-finite values: plain ``float``, ``int``,
    ``bool``, ``str``, ``None``, ``dict``, ``list``, ``tuple`` and ``ndarray`` by their exact
    type (the common case), anything else by :func:`json_safe` itself — the same result."""
    t = type(obj)
    if t is float:
        return obj if math.isfinite(obj) else None
    if obj is None or t is str or t is int or t is bool:
        return obj
    if t is np.float64:
        x = float(obj)
        return x if math.isfinite(x) else None
    if t is dict:
        return {str(k): _json_fast(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_json_fast(v) for v in obj]
    if t is np.ndarray:
        return [_json_fast(v) for v in obj.tolist()]
    return json_safe(obj, "$", [])
