"""Archive search results, message lists and message details (``/api/archive/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/archive/
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from .base import Model

__all__ = [
    "Address",
    "ArchiveMessage",
    "ArchiveSearchResult",
    "ArchiveView",
    "MessageAttachment",
    "MessageDetail",
    "MessageHeader",
]

#: ``view`` of ``get-message-list``.
ArchiveView = Literal["INBOX", "SENT"]


class Address(Model):
    """An address object: ``emailAddress`` and ``displayableName``."""

    email_address: str | None = None
    displayable_name: str | None = None


class ArchiveSearchResult(Model):
    """One ``archive/search`` hit; Mimecast sends these field names in lower case."""

    id: str = ""
    status: str | None = None
    subject: str | None = None
    display_from: str | None = msgspec.field(default=None, name="displayfrom")
    display_from_address: str | None = msgspec.field(default=None, name="displayfromaddress")
    display_to: str | None = msgspec.field(default=None, name="displayto")
    display_to_address_list: str | None = msgspec.field(default=None, name="displaytoaddresslist")
    received_date: datetime | None = msgspec.field(default=None, name="receiveddate")
    size: int | None = None
    attachment_count: int | None = msgspec.field(default=None, name="attachmentcount")
    smash: str | None = None

    # The wire names are one lower-case word each, so their snake_case is the name itself:
    # these read the same fields under those names.
    @property
    def displayfrom(self) -> str | None:
        return self.display_from

    @property
    def displayfromaddress(self) -> str | None:
        return self.display_from_address

    @property
    def displayto(self) -> str | None:
        return self.display_to

    @property
    def displaytoaddresslist(self) -> str | None:
        return self.display_to_address_list

    @property
    def receiveddate(self) -> datetime | None:
        return self.received_date

    @property
    def attachmentcount(self) -> int | None:
        return self.attachment_count


class ArchiveMessage(Model):
    """One ``get-message-list`` record."""

    id: str = ""
    subject: str | None = None
    status: str | None = None
    received: datetime | None = None
    size: int | None = None
    attachment_count: int | None = None
    from_: Address | None = msgspec.field(default=None, name="from")
    to: Address | None = None
    smash: str | None = None
    read: bool | None = None
    ccm: bool | None = None
    recalled: bool | None = None
    expired: bool | None = None


class MessageHeader(Model):
    """One header of a message: its name and every value it carried."""

    name: str = ""
    values: list[str] = msgspec.field(default_factory=list)


class MessageAttachment(Model):
    """One attachment or body part of an archived message."""

    id: str = ""
    filename: str | None = None
    extension: str | None = None
    content_type: str | None = None
    content_id: str | None = None
    body_type: str | None = None
    sha256: str | None = None
    size: int | None = None


class MessageDetail(Model):
    """``get-message-detail``: metadata, addresses, headers and attachments of one message."""

    id: str = ""
    status: str | None = None
    smash: str | None = None
    mime_message_id: str | None = None
    subject: str | None = None
    size: int | None = None
    received: datetime | None = None
    processed: datetime | None = None
    header_date: datetime | None = None
    has_html_body: bool | None = None
    has_text_body: bool | None = None
    is_passthrough: bool | None = None
    message_body_preview: str | None = None
    from_: Address | None = msgspec.field(default=None, name="from")
    to: list[Address] = msgspec.field(default_factory=list)
    cc: list[Address] = msgspec.field(default_factory=list)
    reply_to: Address | None = None
    envelope_from: Address | None = None
    headers: list[MessageHeader] = msgspec.field(default_factory=list)
    attachments: list[MessageAttachment] = msgspec.field(default_factory=list)
