"""Wire helpers for the emulator: Mimecast dates in and out, envelopes out.

Written independently of the SDK's ``dates``/``envelope`` modules so the emulator cross-checks
them instead of sharing their bugs.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from typing import Any

import msgspec

__all__ = [
    "encode",
    "envelope",
    "format_epoch",
    "parse_body_date",
    "parse_header_date",
]

_BODY_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$"
)
_HEADER_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) (UTC|GMT)$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_ENCODER = msgspec.json.Encoder()
_HOUR_CACHE: dict[int, str] = {}  # epoch hour -> "2017-10-13T23:"
_MINUTE_SECOND = tuple(
    f"{minute:02d}:{second:02d}+0000" for minute in range(60) for second in range(60)
)


def parse_body_date(text: object) -> float:
    """Epoch seconds of a body date (``+0000``, ``Z`` or ``+00:00`` form); ValueError if not."""
    if not isinstance(text, str):
        raise ValueError("date must be a string")
    match = _BODY_DATE.match(text)
    if match is None:
        raise ValueError(f"bad date {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc
    )
    epoch = float(calendar.timegm(moment.timetuple()))
    if fraction:
        epoch += float("0." + fraction)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:]) * 60
        epoch -= offset if zone[0] == "+" else -offset
    return epoch


def parse_header_date(text: str) -> float:
    """Epoch seconds of an ``x-mc-date`` value (``UTC`` or ``GMT``); ValueError if malformed."""
    match = _HEADER_DATE.match(text.strip())
    if match is None:
        raise ValueError(f"bad x-mc-date {text!r}")
    day_name, day, month, year, hour, minute, second, _zone = match.groups()
    moment = datetime(
        int(year),
        _MONTHS.index(month) + 1,
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=timezone.utc,
    )
    if _DAYS[moment.weekday()] != day_name:
        raise ValueError("day name does not match the date")
    return float(calendar.timegm(moment.timetuple()))


def format_epoch(second: int) -> str:
    """``2017-10-13T23:59:59+0000`` for a whole epoch second.

    Fast, as the emulator formats one per record: the hour's prefix is cached, and the minute
    and second come from a table.
    """
    hour, rest = divmod(second, 3600)
    prefix = _HOUR_CACHE.get(hour)
    if prefix is None:
        prefix = datetime.fromtimestamp(hour * 3600, timezone.utc).strftime("%Y-%m-%dT%H:")
        if len(_HOUR_CACHE) < 100_000:
            _HOUR_CACHE[hour] = prefix
    return prefix + _MINUTE_SECOND[rest]


def envelope(
    data: list[Any],
    fail: list[dict[str, Any]] | None = None,
    *,
    status: int = 200,
    pagination: dict[str, Any] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    """Mimecast's response envelope."""
    head: dict[str, Any] = {"status": status}
    if pagination is not None:
        head["pagination"] = pagination
    head.update(meta)
    return {"meta": head, "data": data, "fail": fail or []}


def encode(value: Any) -> bytes:
    """JSON bytes via msgspec."""
    return _ENCODER.encode(value)
