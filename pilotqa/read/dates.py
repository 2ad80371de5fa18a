"""Date and time parsing for every reader, in one place.

Exports write dates in a handful of ways; which ones a reader accepts, and in which order an
ambiguous ``01/02/2024`` is tried, is the reader's choice (a PC-DMIS report prints US
month/day/year, a German CMM day.month.year). The formats are data (:data:`DATE_FORMATS`,
:data:`TIME_FORMATS`); a reader names the families it accepts in its order of preference:

* ``iso``        — ``2024-03-01``, ``2024-03-01T08:00:00`` (anything :meth:`datetime.fromisoformat`
  reads; a time-zone offset is converted to UTC and dropped);
* ``dmy_dot``    — ``01.03.2024``, ``01.03.24`` (German, AQDEF);
* ``ymd_slash``  — ``2024/03/01``;
* ``mdy_slash``  — ``03/01/2024``, ``03/01/24`` (US);
* ``dmy_slash``  — ``01/03/2024``;
* ``long``       — ``Friday, March 01, 2024`` (PC-DMIS report header).

A date may be followed by a time, separated by a space, ``T`` or ``/`` (AQDEF
``dd.mm.yyyy/hh:mm:ss``); separate date and time cells are combined with
:func:`combine_date_time`.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timezone
from functools import lru_cache

__all__ = ["DATE_FORMATS", "TIME_FORMATS", "DEFAULT_ORDER", "parse_date", "parse_time",
           "parse_datetime", "combine_date_time", "naive_utc"]

#: date format families -> strptime formats
DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "iso": ("%Y-%m-%d",),
    "dmy_dot": ("%d.%m.%Y", "%d.%m.%y"),
    "ymd_slash": ("%Y/%m/%d",),
    "mdy_slash": ("%m/%d/%Y", "%m/%d/%y"),
    "dmy_slash": ("%d/%m/%Y", "%d/%m/%y"),
    "long": ("%A, %B %d, %Y",),
}
#: time formats, 24-hour first; fractions of a second allowed
TIME_FORMATS: tuple[str, ...] = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p")
#: families tried when a reader names none: unambiguous ones only (no slashed day/month guess)
DEFAULT_ORDER: tuple[str, ...] = ("iso", "dmy_dot", "ymd_slash")

_SPLIT = re.compile(r"^(\d{1,4}[./-]\d{1,2}[./-]\d{1,4})(?:[ T/]+(.*))?$")


def naive_utc(dt: datetime) -> datetime:
    """An aware datetime converted to UTC without tzinfo; a naive one unchanged."""
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


@lru_cache(maxsize=4096)
def parse_date(text: str, order: tuple[str, ...] = DEFAULT_ORDER) -> tuple[datetime, str] | None:
    """``(date at midnight, family)`` of a date text, trying the families in ``order``; None if
    no family reads it.

    >>> parse_date("07.05.1992")
    (datetime.datetime(1992, 5, 7, 0, 0), 'dmy_dot')
    >>> parse_date("03/01/2024", ("mdy_slash", "dmy_slash"))[0].month
    3
    """
    s = text.strip()
    for fam in order:
        for fmt in DATE_FORMATS[fam]:
            try:
                return datetime.strptime(s, fmt), fam
            except ValueError:
                continue
    return None


@lru_cache(maxsize=4096)
def parse_time(text: str) -> time | None:
    """A time of day (``13:43``, ``13:43:08``, ``1:43 PM`` …); None if not one.

    >>> parse_time("1:05:09 pm")
    datetime.time(13, 5, 9)
    """
    s = text.strip().upper()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(s, fmt).time()
        except ValueError:
            continue
    return None


@lru_cache(maxsize=65536)
def parse_datetime(text: str, order: tuple[str, ...] = DEFAULT_ORDER) -> datetime | None:
    """A date with an optional time in one text; None if not recognised.

    >>> parse_datetime("07.05.1992/13:43:08")
    datetime.datetime(1992, 5, 7, 13, 43, 8)
    >>> parse_datetime("2024-03-01T08:00:00+01:00")
    datetime.datetime(2024, 3, 1, 7, 0)
    >>> parse_datetime("1.2.2024 8:05"), parse_datetime("soon")
    (datetime.datetime(2024, 2, 1, 8, 5), None)
    """
    s = text.strip()
    if not s:
        return None
    if "iso" in order:
        try:
            return naive_utc(datetime.fromisoformat(s))
        except ValueError:
            pass
    m = _SPLIT.match(s)
    if m is None:
        got = parse_date(s, order)
        return got[0] if got else None
    return combine_date_time(m.group(1), m.group(2), order)


def combine_date_time(date: str | None, time_text: str | None,
                      order: tuple[str, ...] = DEFAULT_ORDER) -> datetime | None:
    """Combine a date text and a separate time text (a time of ``None``/blank = midnight); None
    when the date is blank or either is not recognised.

    >>> combine_date_time("05.10.2026", "14:30:05")
    datetime.datetime(2026, 10, 5, 14, 30, 5)
    """
    if not date or not date.strip():
        return None
    d = parse_date(date.strip(), order)
    if d is None:
        return None
    if not time_text or not time_text.strip():
        return d[0]
    t = parse_time(time_text)
    if t is None:
        return None
    return datetime.combine(d[0].date(), t)
