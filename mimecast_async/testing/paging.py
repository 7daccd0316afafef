"""Opaque, query-bound page tokens for the emulator.

A token encodes the offset of the next page and a fingerprint of the query (the request's
``data`` item without pagination), so a token replayed with a different query is refused, as a
cursor over a different result set would be meaningless.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

__all__ = ["MAX_PAGE_SIZE", "PageWindow", "TokenError", "page_window", "query_fingerprint"]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 25


class TokenError(ValueError):
    """The page token is malformed or belongs to another query."""


def query_fingerprint(item: Any) -> str:
    """A short stable hash of a request item (JSON with sorted keys)."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(offset: int, fingerprint: str, secret: str) -> str:
    raw = f"{offset}:{fingerprint}"
    mac = hashlib.sha256(f"{secret}:{raw}".encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{raw}:{mac}".encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str, secret: str) -> int:
    """The offset in ``token``; TokenError when it is malformed or for another query."""
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
    if token_fingerprint != fingerprint:
        raise TokenError("page token belongs to a different query")
    return offset


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
    default_page_size: int = DEFAULT_PAGE_SIZE,
) -> PageWindow:
    """Resolve ``meta.pagination`` (pageSize, pageToken) against ``total`` results.

    ``pageSize`` is capped at 500 and defaults to 25; ``next``/``previous`` appear only when such
    a page exists. Raises TokenError for a bad token and ValueError for a bad pageSize.
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
    fingerprint = query_fingerprint(item)
    token = pagination.get("pageToken")
    start = decode_token(str(token), fingerprint, secret) if token else 0
    start = min(start, total)
    stop = min(total, start + size)
    answer: dict[str, Any] = {"pageSize": size}
    if stop < total:
        answer["next"] = encode_token(stop, fingerprint, secret)
    if start > 0:
        answer["previous"] = encode_token(max(0, start - size), fingerprint, secret)
    return PageWindow(start, stop, answer)
