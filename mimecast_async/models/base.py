"""The base class of every response model.

Attributes are the snake_case of Mimecast's camelCase wire names (``scanResult`` ->
``scan_result``); names that do not round-trip (``senderIP``, ``from``) are fixed by hand with
``msgspec.field(name=...)``. Unknown fields are tolerated so new Mimecast fields never break a
decode; every field has a default because Mimecast omits empty ones.

Models are created with ``gc=False``: they hold only strings, numbers, datetimes and lists or
other models, so they never form reference cycles, and leaving them out of the cyclic garbage
collector halves the cost of decoding a 500-record page while other pages are buffered (a log
stream keeps tens of thousands of records alive). Do not store a model inside its own fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["Model"]


class Model(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """Base of all typed Mimecast records (msgspec Struct, camelCase on the wire)."""

    def to_dict(self) -> dict[str, object]:
        """The record as Mimecast sends it: its field names, and timestamps in its
        ``2011-12-03T10:15:30+0000`` form (the offset the record carried is kept)."""
        result: dict[str, object] = _wire_dates(
            msgspec.to_builtins(self, builtin_types=(datetime,))
        )
        return result


def _wire_dates(value: Any) -> Any:
    if isinstance(value, datetime):
        return _wire_date(value)
    if isinstance(value, dict):
        return {key: _wire_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire_dates(item) for item in value]
    return value


def _wire_date(moment: datetime) -> str:
    """``moment`` in Mimecast's form: whole seconds (a fraction only if it has one), ``+HHMM``."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    offset = moment.strftime("%z")
    return text + (offset[:5] if offset else "")
