"""Mimecast date formats in and out.

API 1.0 bodies carry ``yyyy-MM-dd'T'HH:mm:ssZ`` (``2011-12-03T10:15:30+0000``); responses use
the same form, and API 2.0 clients also see ``Z`` and ``+00:00``. The ``x-mc-date`` header is an
RFC 1123 date with the zone text ``UTC``, with English day and month names whatever the locale.
See https://integrations.mimecast.com/documentation/api-overview/authorization/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .errors import InvalidInputError

__all__ = [
    "format_datetime",
    "format_header_date",
    "parse_datetime",
    "parse_header_date",
    "require_aware",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Instants a request may carry: a log window is widened by a second each side and a UTC offset
# moves a date by up to a day, so both ends keep two days from what ``datetime`` can hold.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=2)

_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)


def require_aware(value: datetime, argument: str = "datetime") -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise InvalidInputError.

    Dates within two days of ``datetime.min``/``max`` are refused too: converted to UTC (and
    widened by a second for a log window) they would not fit in a ``datetime``.
    """
    if not isinstance(value, datetime):
        raise InvalidInputError(argument, value, "expected a timezone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidInputError(
            argument, value, "naive datetime: attach a timezone, e.g. tzinfo=timezone.utc"
        )
    try:
        in_range = _EARLIEST <= value <= _LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise InvalidInputError(argument, value, "is outside the dates Mimecast can be asked for")
    return value


def format_datetime(value: datetime, argument: str = "datetime") -> str:
    """Render an aware datetime as Mimecast's ``2011-12-03T10:15:30+0000`` (UTC, whole seconds)."""
    utc = require_aware(value, argument).astimezone(timezone.utc)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}+0000"
    )


def format_header_date(value: datetime) -> str:
    """Render the ``x-mc-date`` header: ``Sun, 21 Aug 2022 13:49:40 UTC``, locale-free."""
    utc = require_aware(value, "date").astimezone(timezone.utc)
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} UTC"
    )


def parse_header_date(text: str) -> datetime:
    """Parse an ``x-mc-date`` header value (``UTC`` or ``GMT`` zone text) into an aware datetime.

    Raises ValueError when the text is not in that form.
    """
    parts = text.strip().split(" ")
    if len(parts) != 6 or not parts[0].endswith(",") or parts[5] not in ("UTC", "GMT"):
        raise ValueError(f"not an x-mc-date value: {text!r}")
    day_name = parts[0][:-1]
    if day_name not in _DAYS or parts[2] not in _MONTHS:
        raise ValueError(f"not an x-mc-date value: {text!r}")
    hour, minute, second = (int(piece) for piece in parts[4].split(":"))
    parsed = datetime(
        int(parts[3]),
        _MONTHS.index(parts[2]) + 1,
        int(parts[1]),
        hour,
        minute,
        second,
        tzinfo=timezone.utc,
    )
    if _DAYS[parsed.weekday()] != day_name:
        raise ValueError(f"day name does not match the date: {text!r}")
    return parsed


def parse_datetime(text: str) -> datetime:
    """Parse a Mimecast timestamp (``+0000``, ``Z``, ``+00:00`` or no zone = UTC) to aware UTC.

    Raises ValueError on anything else.
    """
    match = _PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"not a Mimecast timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if zone and zone not in ("Z", "z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = timezone(sign * offset)
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:30:00+0100 is before datetime.min in UTC
        raise ValueError(f"timestamp out of range: {text!r}") from None
