"""Cursor pagination over Mimecast's ``meta.pagination`` tokens.

:class:`AsyncPager` follows ``meta.pagination.next`` (re-sending the original ``data`` item with
``pageToken``) until ``next`` is absent, decodes each page with a cached msgspec decoder and
flattens nested collections such as ``data[0].clickLogs``. ``async for`` yields records;
:meth:`AsyncPager.pages` yields :class:`Page` objects for callers that commit per page.
https://integrations.mimecast.com/documentation/api-overview/pagination/
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from .checkpoint import Checkpoint
from .errors import InvalidInputError, PaginationError
from .retry import RateLimitInfo

if TYPE_CHECKING:
    from ._engine import ApiResponse
    from .client import MimecastClient

# Checkpoint lives in checkpoint.py and is re-exported here, where DESIGN.md's layout puts it
__all__ = ["MAX_PAGE_SIZE", "AsyncPager", "Checkpoint", "Page", "nested_items"]

T = TypeVar("T")
MAX_PAGE_SIZE = 500

#: Turns the decoded ``data`` list of one page into its records.
Extract = Callable[[Sequence[Any]], list[Any]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its records, the token of the page after it, and the quota state then."""

    items: list[T]
    next_token: str | None
    token: str | None
    rate_limit: RateLimitInfo | None
    request_id: str | None

    def __len__(self) -> int:
        return len(self.items)


def _plain(data: Sequence[Any]) -> list[Any]:
    return list(data)


@functools.lru_cache(maxsize=128)
def nested_items(field: str, item_type: Any) -> tuple[Any, Extract]:
    """Decode type and extractor for pages whose records sit in ``data[i].<field>``.

    Returns ``(wrapper_type, extract)``: decode the envelope's data items as ``wrapper_type``
    and call ``extract(data)`` to get the flattened records.
    """
    wrapper: Any = msgspec.defstruct(
        f"_{field}_page",
        [(field, list[item_type], msgspec.field(default_factory=list))],
        kw_only=True,
    )

    def extract(data: Sequence[Any]) -> list[Any]:
        records: list[Any] = []
        for entry in data:
            records.extend(getattr(entry, field))
        return records

    return wrapper, extract


def check_page_size(page_size: int) -> int:
    """Validate a page size (1..500) before any request."""
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise InvalidInputError("page_size", page_size, "must be an integer from 1 to 500")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError("page_size", page_size, "must be from 1 to 500")
    return page_size


class AsyncPager(Generic[T]):
    """Iterate every record of a paginated call; created without ``await``.

    ``async for record in pager`` yields typed records; ``pager.pages()`` yields :class:`Page`;
    ``await pager.to_list()`` collects everything. ``limit`` stops after that many records.
    """

    def __init__(
        self,
        client: MimecastClient,
        path: str,
        item: Mapping[str, Any] | None,
        *,
        item_type: Any = Any,
        extract: Extract = _plain,
        page_size: int = 100,
        limit: int | None = None,
        start_token: str | None = None,
    ) -> None:
        self._client = client
        self.path = path
        self._item = dict(item) if item is not None else None
        self._item_type = item_type
        self._extract = extract
        self.page_size = check_page_size(page_size)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidInputError("limit", limit, "must be a positive integer")
        self.limit = limit
        self._start_token = start_token
        self._started = False

    def _request_data(self) -> list[Any]:
        return [self._item] if self._item is not None else []

    async def fetch_page(self, token: str | None) -> Page[T]:
        """Fetch one page: the first when ``token`` is None, else the page ``token`` names."""
        pagination: dict[str, Any] = {"pageSize": self.page_size}
        if token:
            pagination["pageToken"] = token
        response: ApiResponse = await self._client.engine.call(
            self.path,
            self._request_data(),
            {"pagination": pagination},
            idempotent=True,
            item_type=self._item_type,
        )
        envelope = response.envelope
        return Page(
            items=self._extract(envelope.data),
            next_token=envelope.next_token,
            token=token,
            rate_limit=response.rate_limit,
            request_id=response.request_id,
        )

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages until ``next`` is absent; PaginationError if a token repeats."""
        if self._started:
            raise PaginationError("this pager was already iterated; create a new one")
        self._started = True
        seen: set[str] = set()
        token = self._start_token
        remaining = self.limit
        while True:
            page = await self.fetch_page(token)
            if remaining is not None:
                if len(page.items) >= remaining:
                    yield Page(
                        page.items[:remaining], None, token, page.rate_limit, page.request_id
                    )
                    return
                remaining -= len(page.items)
            yield page
            next_token = page.next_token
            del page  # not held while the next page is fetched and decoded
            if next_token is None:
                return
            if next_token in seen or next_token == token:
                raise PaginationError(
                    f"{self.path} returned the page token {next_token[:16]}... twice"
                )
            seen.add(next_token)
            token = next_token

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for record in page.items:
                yield record
            del page  # the next page's decode reuses this one's memory

    async def to_list(self) -> list[T]:
        """Every record, in server order."""
        return [record async for record in self]
