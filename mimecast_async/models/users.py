"""User aliases (``/api/user/get-aliases``).

https://integrations.mimecast.com/documentation/endpoint-reference/user-management/
"""

from __future__ import annotations

import msgspec

from .base import Model

__all__ = ["Alias", "AliasList"]


class Alias(Model):
    """One alias address of a user (``get-aliases`` and ``update-alias`` fields)."""

    email_address: str | None = None
    display_name: str | None = None
    domain: str | None = None
    type: str | None = None
    is_internal: bool | None = None
    alias: str | None = None
    alias_for: str | None = None
    alias_display_name: str | None = None


class AliasList(Model):
    """One ``get-aliases`` data item: the user's primary address and their aliases."""

    email_address: str | None = None
    aliases: list[Alias] = msgspec.field(default_factory=list)
