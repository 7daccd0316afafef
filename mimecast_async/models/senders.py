"""Managed (permitted or blocked) senders (``/api/managedsender/permit-or-block-sender``).

https://integrations.mimecast.com/documentation/endpoint-reference/managed-senders/permit-or-block-sender/
"""

from __future__ import annotations

from typing import Literal

from .base import Model

__all__ = ["ManagedSender", "SenderAction"]

#: ``action`` of ``permit-or-block-sender``.
SenderAction = Literal["permit", "block"]


class ManagedSender(Model):
    """A permitted or blocked sender entry; ``type`` is ``Permit`` or ``Block``."""

    id: str = ""
    sender: str | None = None
    to: str | None = None
    type: str | None = None
