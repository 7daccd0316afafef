"""Parse ``--since 24h`` durations and ``--start``/``--end`` instants (pure)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..dates import require_aware
from ..errors import InvalidInputError
from .errors import CliError

__all__ = ["format_instant", "parse_duration", "parse_instant"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")


def parse_duration(text: str, option: str = "--since") -> timedelta:
    """``90m``, ``24h``, ``7d``, ``1h30m``, ``2w`` -> a positive timedelta; CliError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    if not _WHOLE.fullmatch(compact):
        raise CliError(
            f"bad {option} {text!r}: use a number and a unit s, m, h, d or w (e.g. 24h, 7d, 1h30m)"
        )
    seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(compact))
    if seconds <= 0:
        raise CliError(f"bad {option} {text!r}: must be more than zero")
    if seconds > 3650 * 86400:
        raise CliError(f"bad {option} {text!r}: at most ten years")
    return timedelta(seconds=seconds)


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 date or date-time; without a UTC offset it is taken as UTC."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"bad {option} {text!r}: use ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return require_aware(parsed, option).astimezone(timezone.utc)
    except InvalidInputError:
        problem = "outside the dates Mimecast can be asked for"
        raise CliError(f"bad {option} {text!r}: {problem}") from None


def format_instant(moment: datetime) -> str:
    """``2024-05-01T12:00:00Z`` (microseconds kept when present)."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
