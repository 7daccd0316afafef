"""Archive search, message lists and message details: ``client.archive`` (``/api/archive/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/archive/
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, get_args
from xml.sax.saxutils import escape, quoteattr

from ..dates import require_aware
from ..errors import InvalidInputError
from ..models.archive import ArchiveMessage, ArchiveSearchResult, ArchiveView, MessageDetail
from ..pagination import AsyncPager
from ..validation import (
    optional_datetime,
    require_bool,
    require_choice,
    require_email,
    require_id,
    require_items,
    require_text,
)
from ._admin import first_item
from ._base import Resource

__all__ = ["ArchiveQuery", "ArchiveResource", "DocumentType", "SearchPeriod"]

_SEARCH = "/api/archive/search"
_LIST = "/api/archive/get-message-list"
_DETAIL = "/api/archive/get-message-detail"

#: ``<date select=...>`` presets of the XML query language (``between`` = start/end).
SearchPeriod = Literal["today", "yesterday", "last_week", "last_month", "last_year"]
#: ``<docs select=...>``: the attachment kinds a search can require.
DocumentType = Literal[
    "optional",
    "any",
    "documents",
    "spreadsheets",
    "presentations",
    "text",
    "images",
    "media",
    "zips",
    "none",
]
RETURN_FIELDS = (
    "id",
    "status",
    "subject",
    "displayfrom",
    "displayfromaddress",
    "displayto",
    "displaytoaddresslist",
    "receiveddate",
    "size",
    "attachmentcount",
    "smash",
)
_VIEWS: tuple[str, ...] = get_args(ArchiveView)


def _xml_text(argument: str, value: Any) -> str:
    text = require_text(argument, value, max_length=2000)
    if any(ord(char) < 0x20 and char not in "\t\r\n" for char in text):
        raise InvalidInputError(argument, value, "must not contain control characters")
    return text


def _xml_date(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ArchiveQuery:
    """A small builder for the archive XML query (the FortiSOAR "Archive Search" inputs).

    ``mailboxes`` limit the search (omit for a whole-archive admin search); ``text`` is free
    text; ``period`` is a preset or ``start``/``end`` a range; ``document_type`` requires an
    attachment kind. Validated on creation; ``to_xml()`` renders the query.
    https://integrations.mimecast.com/documentation/tutorials/building-search-queries/
    """

    mailboxes: Sequence[str] = ()
    text: str | None = None
    period: SearchPeriod | None = None
    start: datetime | None = None
    end: datetime | None = None
    document_type: DocumentType | None = None
    include_aliases: bool = True
    page_size: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mailboxes", tuple(require_items("mailboxes", self.mailboxes, require_email))
        )
        if self.text is not None:
            _xml_text("text", self.text)
        if self.period is not None:
            require_choice("period", self.period, get_args(SearchPeriod))
            if self.start is not None or self.end is not None:
                raise InvalidInputError("period", self.period, "pass a period or start/end")
        if (self.start is None) != (self.end is None):
            raise InvalidInputError("start", self.start, "pass both start and end")
        if self.start is not None and self.end is not None:
            require_aware(self.start, "start")
            require_aware(self.end, "end")
            if self.start >= self.end:
                raise InvalidInputError("end", self.end, "must be after start")
        if self.document_type is not None:
            require_choice("document_type", self.document_type, get_args(DocumentType))
        require_bool("include_aliases", self.include_aliases)
        if isinstance(self.page_size, bool) or not isinstance(self.page_size, int):
            raise InvalidInputError("page_size", self.page_size, "must be an integer")
        if not 1 <= self.page_size <= 500:
            raise InvalidInputError("page_size", self.page_size, "must be from 1 to 500")

    def to_xml(self) -> str:
        """The ``<xmlquery>`` document Mimecast's ``archive/search`` expects."""
        aliases = quoteattr("true" if self.include_aliases else "false")
        lines = [
            '<?xml version="1.0"?>',
            '<xmlquery trace="iql,muse">',
            f'  <metadata query-type="emailarchive" archive="true" active="false" '
            f'page-size="{self.page_size}" startrow="0">',
        ]
        if self.mailboxes:
            lines.append("    <mailboxes>")
            for mailbox in self.mailboxes:
                lines.append(
                    f"      <mailbox include-aliases={aliases}>{escape(mailbox)}</mailbox>"
                )
            lines.append("    </mailboxes>")
        lines.append("    <smartfolders/>")
        lines.append("    <return-fields>")
        lines += [f"      <return-field>{name}</return-field>" for name in RETURN_FIELDS]
        lines += ["    </return-fields>", "  </metadata>", "  <muse>"]
        if self.text is not None:
            lines.append(f"    <text>{escape(self.text)}</text>")
        if self.period is not None:
            lines.append(f"    <date select={quoteattr(self.period)}/>")
        elif self.start is not None and self.end is not None:
            lines.append(
                f'    <date select="between" from="{_xml_date(self.start)}" '
                f'to="{_xml_date(self.end)}"/>'
            )
        if self.document_type is not None:
            lines.append(f"    <docs select={quoteattr(self.document_type)}></docs>")
        lines += ["  </muse>", "</xmlquery>"]
        return "\n".join(lines)


def _query_xml(query: Any) -> str:
    """The XML of an :class:`ArchiveQuery`, or a caller's XML string checked for well-formedness."""
    if isinstance(query, ArchiveQuery):
        return query.to_xml()
    text = require_text("query", query, max_length=100_000)
    try:
        root = ElementTree.fromstring(text.strip())
    except ElementTree.ParseError as error:
        raise InvalidInputError("query", query, f"not well-formed XML ({error})") from None
    if root.tag != "xmlquery":
        raise InvalidInputError("query", query, "the root element must be <xmlquery>")
    return text


class _SearchEntry(ArchiveSearchResult):
    """A ``data`` item that is a hit itself (documented) or wraps ``items`` (XSOAR's reading)."""

    items: list[ArchiveSearchResult] | None = None


_RESULT_FIELDS = ArchiveSearchResult.__struct_fields__


def _search_results(data: Sequence[Any]) -> list[Any]:
    """The hits of one page. A hit carries the query's ``<return-fields>``, which need not
    include ``id``: any field makes it a hit; only an empty wrapper object is skipped."""
    records: list[Any] = []
    for entry in data:
        if entry.items is not None:
            records.extend(entry.items)
            continue
        fields = {name: getattr(entry, name) for name in _RESULT_FIELDS}
        if any(value not in (None, "") for value in fields.values()):
            records.append(ArchiveSearchResult(**fields))
    return records


class ArchiveResource(Resource):
    """Search the archive, list a mailbox's messages, and read one message's metadata."""

    def search(
        self,
        query: str | ArchiveQuery,
        *,
        admin: bool = False,
        page_size: int = 100,
        limit: int | None = None,
    ) -> AsyncPager[ArchiveSearchResult]:
        """Messages matching an XML query string or an :class:`ArchiveQuery`.

        ``admin=True`` searches every mailbox (needs the admin permission).
        https://integrations.mimecast.com/documentation/endpoint-reference/archive/search/
        """
        item = {"admin": require_bool("admin", admin), "query": _query_xml(query)}
        return AsyncPager(
            self._client,
            _SEARCH,
            item,
            item_type=_SearchEntry,
            extract=_search_results,
            page_size=page_size,
            limit=limit,
        )

    def messages(
        self,
        *,
        mailbox: str | None = None,
        view: ArchiveView = "INBOX",
        start: datetime | None = None,
        end: datetime | None = None,
        include_delegates: bool = False,
        include_aliases: bool = True,
        page_size: int = 100,
        limit: int | None = None,
    ) -> AsyncPager[ArchiveMessage]:
        """The INBOX or SENT messages of ``mailbox`` (the caller's own when None).

        https://integrations.mimecast.com/documentation/endpoint-reference/archive/get-message-list/
        """
        item: dict[str, Any] = {
            "view": require_choice("view", view, _VIEWS),
            "includeDelegates": require_bool("include_delegates", include_delegates),
            "includeAliases": require_bool("include_aliases", include_aliases),
        }
        if mailbox is not None:
            item["mailbox"] = require_email("mailbox", mailbox)
        for name, wire, value in (("start", "start", start), ("end", "end", end)):
            text = optional_datetime(name, value)
            if text is not None:
                item[wire] = text
        if start is not None and end is not None and start >= end:
            raise InvalidInputError("end", end, "must be after start")
        return AsyncPager(
            self._client, _LIST, item, item_type=ArchiveMessage, page_size=page_size, limit=limit
        )

    async def message_detail(self, message_id: str) -> MessageDetail:
        """Metadata, addresses, headers and attachments of one archived message.

        https://integrations.mimecast.com/documentation/endpoint-reference/archive/get-message-detail/
        """
        item = {"id": require_id("message_id", message_id)}
        response = await self._engine.call(_DETAIL, [item], item_type=MessageDetail)
        result: MessageDetail = first_item(response, _DETAIL)
        return result
