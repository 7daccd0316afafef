"""Held messages and their release/reject answers (``/api/gateway/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from .archive import Address
from .base import Model

__all__ = ["HeldMessage", "RejectReason", "RejectResult", "ReleaseResult"]

#: ``reasonType`` of ``hold-reject``: the five values Mimecast documents.
RejectReason = Literal[
    "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    "MESSAGE CONTAINS CONFIDENTIAL INFORMATION",
    "REVIEWER DISAPPROVES OF CONTENT",
    "INAPPROPRIATE COMMUNICATION",
    "MESSAGE GOES AGAINST EMAIL POLICIES",
]


class HeldMessage(Model):
    """One ``get-hold-message-list`` record."""

    id: str = ""
    date_received: datetime | None = None
    from_: Address | None = msgspec.field(default=None, name="from")
    from_header: Address | None = None
    to: Address | None = None
    to_header: Address | None = None
    subject: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    reason_id: str | None = None
    policy_info: str | None = None
    route: str | None = None
    size: int | None = None
    has_attachments: bool | None = None


class ReleaseResult(Model):
    """The answer of ``hold-release``: ``release`` False is an answer, not an error."""

    id: str = ""
    release: bool | None = None


class RejectResult(Model):
    """The answer of ``hold-reject`` for one message id."""

    id: str = ""
    reject: bool | None = None
