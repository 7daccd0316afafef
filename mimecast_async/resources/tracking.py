"""Message tracking: ``client.tracking`` (``/api/message-finder/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import InvalidInputError
from ..models.tracking import MessageInfo, TrackedEmail
from ..pagination import nested_items
from ..validation import (
    optional_datetime,
    require_email_or_domain,
    require_id,
    require_ip,
    require_line,
)
from ._admin import first_item
from ._base import Resource

__all__ = ["TrackingResource"]

_SEARCH = "/api/message-finder/search"
_INFO = "/api/message-finder/get-message-info"
_SEARCH_PAGE, _TRACKED = nested_items("trackedEmails", TrackedEmail)


class TrackingResource(Resource):
    """Find messages across the gateway and read one message's tracking record."""

    async def search(
        self,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        subject: str | None = None,
        message_id: str | None = None,
        sender_ip: str | None = None,
        reason: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TrackedEmail]:
        """Tracked messages by Internet ``message_id``, or by sender/recipient/subject/IP.

        ``sender``/``recipient`` take an address or a domain; ``reason`` is the search reason
        Mimecast records in its audit log. With no filter at all, every message of the window
        (Mimecast's own defaults when ``start``/``end`` are left out).
        https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/search/
        """
        item: dict[str, Any] = {}
        options: dict[str, str] = {}
        if sender is not None:
            options["from"] = require_email_or_domain("sender", sender)
        if recipient is not None:
            options["to"] = require_email_or_domain("recipient", recipient)
        if subject is not None:
            options["subject"] = require_line("subject", subject)
        if sender_ip is not None:
            options["senderIP"] = require_ip("sender_ip", sender_ip)
        if message_id is not None:
            item["messageId"] = require_id("message_id", message_id)
            if options:
                raise InvalidInputError(
                    "message_id", message_id, "search by message_id alone, or by the other filters"
                )
        elif options:
            item["advancedTrackAndTraceOptions"] = options
        if reason is not None:
            item["searchReason"] = require_line("reason", reason)
        for name, value in (("start", start), ("end", end)):
            text = optional_datetime(name, value)
            if text is not None:
                item[name] = text
        if start is not None and end is not None and start >= end:
            raise InvalidInputError("end", end, "must be after start")
        response = await self._engine.call(_SEARCH, [item], item_type=_SEARCH_PAGE)
        records: list[TrackedEmail] = _TRACKED(response.envelope.data)
        return records

    async def message_info(self, message_id: str) -> MessageInfo:
        """The full tracking record of one message (``message_id`` = the id ``search`` gave).

        https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/get-message-info/
        """
        item = {"id": require_id("message_id", message_id)}
        response = await self._engine.call(_INFO, [item], item_type=MessageInfo)
        result: MessageInfo = first_item(response, _INFO)
        return result
