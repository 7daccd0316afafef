"""The base class of every response model.

Attributes are the snake_case of Mimecast's camelCase wire names (``scanResult`` ->
``scan_result``); names that do not round-trip (``senderIP``, ``from``) are fixed by hand with
``msgspec.field(name=...)``. Unknown fields are tolerated so new Mimecast fields never break a
decode; every field has a default because Mimecast omits empty ones.
"""

from __future__ import annotations

import msgspec

__all__ = ["Model"]


class Model(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Base of all typed Mimecast records (msgspec Struct, camelCase on the wire)."""

    def to_dict(self) -> dict[str, object]:
        """The record with Mimecast's own field names, as JSON-ready builtins."""
        result: dict[str, object] = msgspec.to_builtins(self)
        return result
