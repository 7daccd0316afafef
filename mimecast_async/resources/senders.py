"""Permitted and blocked senders: ``client.senders`` (``/api/managedsender/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/managed-senders/permit-or-block-sender/
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..batch import BatchResult
from ..errors import InvalidInputError
from ..models.senders import ManagedSender, SenderAction
from ..validation import require_email
from ._admin import first_item, run_batch
from ._base import Resource

__all__ = ["SENDERS_PER_CALL", "SendersResource"]

_PATH = "/api/managedsender/permit-or-block-sender"
#: Sender/recipient pairs per call (Mimecast's documented 1-100 items).
SENDERS_PER_CALL = 100


def _item(action: SenderAction, sender: Any, to: Any) -> dict[str, str]:
    return {
        "sender": require_email("sender", sender),
        "to": require_email("to", to),
        "action": action,
    }


def _pairs(action: SenderAction, pairs: Any) -> list[tuple[Any, Any]]:
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise InvalidInputError("pairs", pairs, "expected (sender, to) pairs")
    requests: list[tuple[Any, Any]] = []
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidInputError("pairs", pair, "each entry must be a (sender, to) tuple")
        requests.append((pair, _item(action, *pair)))
    if not requests:
        raise InvalidInputError("pairs", pairs, "pass at least one (sender, to) pair")
    return requests


class SendersResource(Resource):
    """Block or permit a sender for a recipient (the seeds' block/unblock sender)."""

    async def _one(self, action: SenderAction, sender: str, to: str) -> ManagedSender:
        item = _item(action, sender, to)
        response = await self._engine.call(_PATH, [item], idempotent=False, item_type=ManagedSender)
        result: ManagedSender = first_item(response, _PATH)
        return result

    async def block(self, sender: str, to: str) -> ManagedSender:
        """Block mail from ``sender`` to the recipient ``to``.

        https://integrations.mimecast.com/documentation/endpoint-reference/managed-senders/permit-or-block-sender/
        """
        return await self._one("block", sender, to)

    async def permit(self, sender: str, to: str) -> ManagedSender:
        """Permit mail from ``sender`` to the recipient ``to`` (the seeds' "unblock sender").

        https://integrations.mimecast.com/documentation/endpoint-reference/managed-senders/permit-or-block-sender/
        """
        return await self._one("permit", sender, to)

    async def block_many(self, pairs: Iterable[tuple[str, str]]) -> BatchResult[ManagedSender]:
        """Block several ``(sender, to)`` pairs, 100 per call; refusals land in ``.failed``."""
        requests = _pairs("block", pairs)
        return await run_batch(
            self._engine, _PATH, requests, item_type=ManagedSender, chunk_size=SENDERS_PER_CALL
        )

    async def permit_many(self, pairs: Iterable[tuple[str, str]]) -> BatchResult[ManagedSender]:
        """Permit several ``(sender, to)`` pairs, 100 per call; refusals land in ``.failed``."""
        requests = _pairs("permit", pairs)
        return await run_batch(
            self._engine, _PATH, requests, item_type=ManagedSender, chunk_size=SENDERS_PER_CALL
        )
