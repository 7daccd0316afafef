"""Held messages: ``client.holds`` (``/api/gateway/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any, get_args

from ..auth import OAuth2Auth
from ..batch import BatchFailure, BatchResult
from ..errors import InvalidInputError
from ..models.holds import HeldMessage, RejectReason, RejectResult, ReleaseResult
from ..pagination import AsyncPager
from ..validation import (
    optional_datetime,
    require_bool,
    require_choice,
    require_email_or_domain,
    require_id,
    require_ip,
    require_items,
    require_line,
    require_text,
)
from ._admin import first_item, run_batch
from ._base import Resource

__all__ = ["HOLDS_PER_REJECT", "HoldsResource"]

_LIST = "/api/gateway/get-hold-message-list"
_RELEASE = "/api/gateway/hold-release"
_REJECT = "/api/gateway/hold-reject"
#: Message ids per ``hold-reject`` call (no documented limit; 100 like the other batches).
HOLDS_PER_REJECT = 100
_REASONS: tuple[str, ...] = get_args(RejectReason)


class HoldsResource(Resource):
    """List held messages; release or reject them."""

    def _field_name(self, argument: str) -> str:
        """``searchBy.fieldName``: API 1.0 documents ``reason_code``, API 2.0 ``reasonCode``."""
        if argument == "reason_code":
            return "reasonCode" if isinstance(self._client.auth, OAuth2Auth) else "reason_code"
        return {"sender_ip": "senderIP"}.get(argument, argument)

    def list(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        admin: bool = True,
        sender: str | None = None,
        recipient: str | None = None,
        subject: str | None = None,
        sender_ip: str | None = None,
        reason_code: str | None = None,
        page_size: int = 100,
        limit: int | None = None,
    ) -> AsyncPager[HeldMessage]:
        """Held messages, for every recipient when ``admin`` (the caller's own otherwise).

        Mimecast filters by one field per search: pass at most one of ``sender``,
        ``recipient``, ``subject``, ``sender_ip`` and ``reason_code``.
        https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/get-hold-message-list/
        """
        item: dict[str, Any] = {"admin": require_bool("admin", admin)}
        for name, value in (("start", start), ("end", end)):
            text = optional_datetime(name, value)
            if text is not None:
                item[name] = text
        if start is not None and end is not None and start >= end:
            raise InvalidInputError("end", end, "must be after start")
        filters: dict[str, Any] = {
            name: value
            for name, value in (
                ("sender", sender),
                ("recipient", recipient),
                ("subject", subject),
                ("sender_ip", sender_ip),
                ("reason_code", reason_code),
            )
            if value is not None
        }
        if len(filters) > 1:
            raise InvalidInputError(
                builtins.list(filters)[1], filters, "Mimecast filters by one field at a time"
            )
        for name, value in filters.items():
            if name in ("sender", "recipient"):
                checked = require_email_or_domain(name, value)
            elif name == "sender_ip":
                checked = require_ip(name, value)
            else:
                checked = require_line(name, value)
            item["searchBy"] = {"fieldName": self._field_name(name), "value": checked}
        return AsyncPager(
            self._client, _LIST, item, item_type=HeldMessage, page_size=page_size, limit=limit
        )

    async def release(self, message_id: str) -> bool:
        """Release a held message; returns Mimecast's ``release`` flag (False is an answer).

        https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/release-message/
        """
        item = {"id": require_id("message_id", message_id)}
        response = await self._engine.call(
            _RELEASE, [item], idempotent=False, item_type=ReleaseResult
        )
        result: ReleaseResult = first_item(response, _RELEASE)
        return bool(result.release)

    async def reject(
        self,
        message_ids: Iterable[str] | str,
        *,
        message: str | None = None,
        reason_type: RejectReason | None = None,
        notify: bool = False,
    ) -> BatchResult[RejectResult]:
        """Reject held messages, optionally telling the sender why.

        ``message_ids`` is a list or a comma-separated string. Ids Mimecast answers with
        ``reject: false`` are in ``.failed`` with no code; refused ids with Mimecast's codes.
        https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/reject-message/
        """
        ids = require_items("message_ids", message_ids, require_id, min_items=1)
        options: dict[str, Any] = {"notify": require_bool("notify", notify)}
        if message is not None:
            options["message"] = require_text("message", message, max_length=2000)
        if reason_type is not None:
            options["reasonType"] = require_choice("reason_type", reason_type, _REASONS)
        requests = [
            (chunk, {"ids": chunk, **options})
            for chunk in (
                ids[start : start + HOLDS_PER_REJECT]
                for start in range(0, len(ids), HOLDS_PER_REJECT)
            )
        ]
        batch = await run_batch(
            self._engine, _REJECT, requests, item_type=RejectResult, chunk_size=1
        )
        return _split_rejects(batch)


def _split_rejects(batch: BatchResult[RejectResult]) -> BatchResult[RejectResult]:
    """One entry per message id: ``reject: true`` succeeded, the rest failed."""
    result: BatchResult[RejectResult] = BatchResult()
    for failure in batch.failed:
        ids = failure.item if isinstance(failure.item, list) else [failure.item]
        for message_id in ids:
            result.failed.append(
                BatchFailure(message_id, failure.key, failure.errors, failure.error)
            )
    for answer in batch.succeeded:
        if answer.reject:
            result.succeeded.append(answer)
        else:
            result.failed.append(BatchFailure(answer.id, {"id": answer.id}, []))
    return result
