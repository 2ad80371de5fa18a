"""Limit arithmetic for every reader: specification limits from a nominal and a tolerance, in
decimal arithmetic on the numbers as written.

Binary floating point makes ``1.1 - 0.2`` equal to ``0.9000000000000001``; a reading of exactly
0.9 would then lie *below* that LSL and count as out of tolerance. Every reader that turns a
nominal and a tolerance (or allowance) into a limit calls :func:`add_decimal`, which adds the
shortest decimal representations (``repr``) of the two numbers, so the limit is the number the
drawing states.
"""
from __future__ import annotations

from decimal import Decimal

__all__ = ["add_decimal", "limit_from_tolerance"]


def _dec(x: float | str | Decimal) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, str):
        return Decimal(x.replace(" ", "").replace(",", "."))
    return Decimal(repr(float(x)))


def add_decimal(a: float | str | Decimal, b: float | str | Decimal) -> float:
    """``a + b`` in decimal arithmetic from the numbers' shortest repr.

    >>> add_decimal(1.1, -0.2), 1.1 - 0.2
    (0.9, 0.9000000000000001)
    >>> add_decimal(42, 0.025), add_decimal("12,5", "0,1")
    (42.025, 12.6)
    """
    return float(_dec(a) + _dec(b))


def limit_from_tolerance(nominal: float | None, tol: float | None) -> float | None:
    """``nominal + tol`` (tol signed: negative below the nominal) in decimal; None if either is.

    >>> limit_from_tolerance(1.1, -0.2), limit_from_tolerance(None, 0.1)
    (0.9, None)
    """
    if nominal is None or tol is None:
        return None
    return add_decimal(nominal, tol)
