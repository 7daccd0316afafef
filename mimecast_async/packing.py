"""Compact storage for log pages that wait for ordered delivery.

An ordered log stream buffers the pages of every time slice but the one being delivered
(DESIGN.md §3 "Log streams"). Decoded, a 500-record TTP URL page is about 700 KB of small
Python objects, which the garbage collector traverses again and again while they wait; the
response body it came in is 280 KB of bytes it never looks at, and zlib-compressed a few tens of
kilobytes. So a page that waits is kept as its body (:class:`RawPage`: the stream decodes only
the timestamps it schedules by, and the records when the page is delivered), and one that will
wait long is compressed. The stream keeps the waiting pages it will deliver next uncompressed,
within a small budget (``fanout.DECODED_PAGES`` decoded pages per cursor, in memory), and packs
those that will wait longest, so the peak memory of an ordered pull is the pages in flight plus
that budget, whatever the pull's size.

A page decoded already (:class:`PackedPage`: a resumed slice whose first records were delivered
before, which needs their content) is packed as its records' JSON. Both round trips are exact:
records are msgspec structs of JSON types and datetimes (offsets kept), decoded with the same
types and field names. Compressing costs about 1 ms of CPU per 500-record page (zlib level 1),
paid only for the pages packed.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, overload

import msgspec

from .pagination import Page
from .retry import RateLimitInfo

__all__ = ["PackedPage", "RawPage", "pack", "unpack"]

_LEVEL = 1  # the fastest deflate level: log JSON still shrinks several times over
_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True, repr=False)
class PackedPage:
    """A page's records as compressed JSON, plus what :class:`Page` says about the page."""

    data: bytes
    count: int
    next_token: str | None
    token: str | None
    rate_limit: RateLimitInfo | None
    request_id: str | None

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"PackedPage({self.count} records in {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True, repr=False)
class RawPage:
    """A page as the server sent it: records ``first:stop`` of the records its body decodes to.

    ``body`` is the response body, zlib-compressed once ``packed``.
    """

    body: bytes
    packed: bool
    first: int
    stop: int
    next_token: str | None
    token: str | None
    rate_limit: RateLimitInfo | None
    request_id: str | None

    def __len__(self) -> int:
        return self.stop - self.first

    def __repr__(self) -> str:
        state = "packed" if self.packed else "raw"
        return f"RawPage({len(self)} records in {len(self.body)} bytes, {state})"


@functools.lru_cache(maxsize=64)
def _decoder(record_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(list[record_type])


@overload
def pack(page: Page[Any]) -> PackedPage: ...
@overload
def pack(page: RawPage) -> RawPage: ...
def pack(page: Page[Any] | RawPage) -> PackedPage | RawPage:
    """``page`` compressed: a raw page's body, or a decoded page's records as JSON."""
    if isinstance(page, RawPage):
        return replace(page, body=zlib.compress(page.body, _LEVEL), packed=True)
    data = zlib.compress(_ENCODER.encode(page.items), _LEVEL)
    return PackedPage(
        data, len(page.items), page.next_token, page.token, page.rate_limit, page.request_id
    )


def unpack(
    chunk: Page[Any] | PackedPage | RawPage,
    record_type: Any,
    decode_body: Callable[[bytes], list[Any]] | None = None,
) -> Page[Any]:
    """The page ``chunk`` holds, with its records decoded as ``record_type``.

    ``decode_body`` turns a response body into its records (raising ResponseDecodeError); it
    is needed for a :class:`RawPage`.
    """
    if isinstance(chunk, Page):
        return chunk
    if isinstance(chunk, RawPage):
        if decode_body is None:
            raise TypeError("unpacking a RawPage needs decode_body")
        body = zlib.decompress(chunk.body) if chunk.packed else chunk.body
        records = decode_body(body)[chunk.first : chunk.stop]
    else:
        records = _decoder(record_type).decode(zlib.decompress(chunk.data))
    return Page(records, chunk.next_token, chunk.token, chunk.rate_limit, chunk.request_id)
