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

import msgspec

__all__ = ["Model"]


class Model(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """Base of all typed Mimecast records (msgspec Struct, camelCase on the wire)."""

    def to_dict(self) -> dict[str, object]:
        """The record with Mimecast's own field names, as JSON-ready builtins."""
        result: dict[str, object] = msgspec.to_builtins(self)
        return result
