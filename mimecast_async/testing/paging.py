"""Opaque, query-bound page tokens for the emulator.

A token encodes the offset of the next page and a fingerprint of the query (the endpoint's path
and the request's ``data`` item without pagination), so a token replayed with a different query
or at another endpoint is refused, as a cursor over a different result set would be
meaningless. A follow-up page that sends no query at all (Elastic's API 1.0 pager drops ``data``
after the first page, MIMECAST_API.md §3.4) gets the query its token was issued for:
:class:`TokenQueries` remembers it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections import OrderedDict
from typing import Any

from .operations import Operation, OperationResult

__all__ = [
    "MAX_PAGE_SIZE",
    "PageWindow",
    "TokenError",
    "TokenQueries",
    "page_token",
    "page_window",
    "query_fingerprint",
]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 25


class TokenError(ValueError):
    """The page token is malformed or belongs to another query."""


def query_fingerprint(item: Any, path: str = "") -> str:
    """A short stable hash of a request item sent to ``path`` (JSON with sorted keys)."""
    canonical = json.dumps([path, item], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(offset: int, fingerprint: str, secret: str) -> str:
    raw = f"{offset}:{fingerprint}"
    mac = hashlib.sha256(f"{secret}:{raw}".encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{raw}:{mac}".encode()).decode().rstrip("=")


def _open_token(token: str, secret: str) -> tuple[int, str]:
    """(offset, query fingerprint) of a token this emulator issued; TokenError otherwise."""
    try:
        padded = token + "=" * (-len(token) % 4)
        offset_text, token_fingerprint, mac = (
            base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        )
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError) as error:
        raise TokenError("malformed page token") from error
    expected = hashlib.sha256(f"{secret}:{offset_text}:{token_fingerprint}".encode()).hexdigest()
    if mac != expected[:12] or offset < 0:
        raise TokenError("malformed page token")
    return offset, token_fingerprint


def decode_token(token: str, fingerprint: str, secret: str) -> int:
    """The offset in ``token``; TokenError when it is malformed or for another query."""
    offset, token_fingerprint = _open_token(token, secret)
    if token_fingerprint != fingerprint:
        raise TokenError("page token belongs to a different query")
    return offset


class TokenQueries:
    """The query (request item) behind each page token issued, for follow-ups sent without one.

    Wrapped around an operation, it remembers the item of every answer that carries a ``next``
    or ``previous`` token, and a request with a page token and no query (``data`` empty or one
    empty item) is answered for the remembered item. A request that does send a query is left
    as it is: a token for another query is still refused. The most recent ``limit`` queries are
    kept.
    """

    def __init__(self, secret: str, limit: int = 4096) -> None:
        self._secret = secret
        self._limit = limit
        self._items: OrderedDict[str, Any] = OrderedDict()

    def wrap(self, operation: Operation, path: str) -> Operation:
        def answer(items: list[Any], meta: dict[str, Any]) -> OperationResult:
            token = page_token(meta)
            if token is not None and all(item == {} for item in items) and len(items) <= 1:
                remembered = self._recall(token)
                if remembered is not None:
                    items = [remembered]
            result = operation(items, meta)
            pagination = result.pagination or {}
            if len(items) <= 1 and ("next" in pagination or "previous" in pagination):
                self._remember(items[0] if items else {}, path)
            return result

        return answer

    def _remember(self, item: Any, path: str) -> None:
        fingerprint = query_fingerprint(item, path)
        if fingerprint in self._items:  # every page of a pull: already known
            self._items.move_to_end(fingerprint)
            return
        self._items[fingerprint] = copy.deepcopy(item)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def _recall(self, token: str) -> Any:
        try:
            _, fingerprint = _open_token(token, self._secret)
        except TokenError:
            return None  # the operation refuses it with its own message
        item = self._items.get(fingerprint)
        return copy.deepcopy(item) if item is not None else None


def page_token(meta: Any) -> str | None:
    """``meta.pagination.pageToken`` of a request, when it sends one."""
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    token = pagination.get("pageToken") if isinstance(pagination, dict) else None
    return token if isinstance(token, str) and token else None


class PageWindow:
    """The slice ``[start, stop)`` of a result list to answer, and the meta.pagination dict."""

    __slots__ = ("pagination", "start", "stop")

    def __init__(self, start: int, stop: int, pagination: dict[str, Any]) -> None:
        self.start = start
        self.stop = stop
        self.pagination = pagination


def page_window(
    total: int,
    meta: dict[str, Any],
    item: Any,
    *,
    secret: str,
    path: str,
    default_page_size: int = DEFAULT_PAGE_SIZE,
    first_row: int = 0,
) -> PageWindow:
    """Resolve ``meta.pagination`` (pageSize, pageToken) against ``total`` results.

    ``pageSize`` is capped at 500 and defaults to 25; ``next``/``previous`` appear only when such
    a page exists. Without a token the page starts at ``first_row`` (archive search's XML
    ``startrow``). Raises TokenError for a bad token and ValueError for a bad pageSize.
    """
    pagination = meta.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise ValueError("meta.pagination must be an object")
    size_value = pagination.get("pageSize", pagination.get("page_size", default_page_size))
    if isinstance(size_value, bool) or not isinstance(size_value, (int, str)):
        raise ValueError("pageSize must be a number")
    size = int(size_value)
    if size < 1:
        raise ValueError("pageSize must be at least 1")
    size = min(size, MAX_PAGE_SIZE)
    fingerprint = query_fingerprint(item, path)
    token = pagination.get("pageToken")
    start = decode_token(str(token), fingerprint, secret) if token else max(0, first_row)
    start = min(start, total)
    stop = min(total, start + size)
    answer: dict[str, Any] = {"pageSize": size}
    if stop < total:
        answer["next"] = encode_token(stop, fingerprint, secret)
    if start > 0:
        answer["previous"] = encode_token(max(0, start - size), fingerprint, secret)
    return PageWindow(start, stop, answer)
