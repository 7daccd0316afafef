"""Log streams: TTP URL/impersonation/attachment logs, archive search logs, audit events, SIEM.

Every call returns a stream without ``await``; see :mod:`mimecast_async.fanout` for how a window
is split over concurrent cursors and checkpointed.
https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from ..checkpoint import Checkpoint
from ..errors import InvalidInputError
from ..fanout import LogSpec, LogStream
from ..models.logs import AttachmentLog, AuditEvent, ImpersonationLog, SearchLog, TtpUrlLog
from ..siem import FileFormat, SiemStream
from ._base import Resource

__all__ = [
    "ATTACHMENT_RESULTS",
    "IDENTIFIERS",
    "LOG_SPECS",
    "ROUTES",
    "SCAN_RESULTS",
    "SEARCH_FIELDS",
    "LogsResource",
]

Route = Literal["all", "inbound", "outbound", "internal"]
ScanResult = Literal["all", "clean", "malicious"]
AttachmentResult = Literal[
    "all", "safe", "clean", "malicious", "unsafe", "unknown", "timeout", "error"
]
SearchField = Literal["all", "senderAddress", "recipientAddress", "subject", "policy", "definition"]
Identifier = Literal[
    "newly_observed_domain",
    "internal_user_name",
    "repeatedly_impersonated",
    "custom_external_domain",
    "mimecast_external_domain",
    "advanced_impersonation_analysis",
    "reply_address_mismatch",
    "similar_internal_domain",
    "targeted_threat_dictionary",
    "custom_name_list",
]

ROUTES: tuple[str, ...] = get_args(Route)
SCAN_RESULTS: tuple[str, ...] = get_args(ScanResult)
ATTACHMENT_RESULTS: tuple[str, ...] = get_args(AttachmentResult)
SEARCH_FIELDS: tuple[str, ...] = get_args(SearchField)
IDENTIFIERS: tuple[str, ...] = get_args(Identifier)

LOG_SPECS = {
    "ttp_url": LogSpec(
        "ttp_url",
        "/api/ttp/url/get-logs",
        TtpUrlLog,
        "date",
        ("from", "to"),
        collection="clickLogs",
        order_field="oldestFirst",
    ),
    "ttp_impersonation": LogSpec(
        "ttp_impersonation",
        "/api/ttp/impersonation/get-logs",
        ImpersonationLog,
        "event_time",
        ("from", "to"),
        collection="impersonationLogs",
        order_field="oldestFirst",
    ),
    "ttp_attachment": LogSpec(
        "ttp_attachment",
        "/api/ttp/attachment/get-logs",
        AttachmentLog,
        "date",
        ("from", "to"),
        collection="attachmentLogs",
        order_field="oldestFirst",
    ),
    "search": LogSpec(
        "search",
        "/api/archive/get-search-logs",
        SearchLog,
        "create_time",
        ("start", "end"),
        collection="logs",
    ),
    "archive_search": LogSpec(
        "search",
        "/api/archive/get-archive-search-logs",
        SearchLog,
        "create_time",
        ("start", "end"),
        collection="logs",
    ),
    "audit": LogSpec(
        "audit",
        "/api/audit/get-audit-events",
        AuditEvent,
        "event_time",
        ("startDateTime", "endDateTime"),
    ),
}


def _choice(argument: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInputError(argument, value, "must be one of " + ", ".join(allowed))
    return str(value)


def _text(argument: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(argument, value, "must be a non-empty string")
    if "\x00" in value or len(value) > 1024:
        raise InvalidInputError(argument, value, "must be at most 1024 characters without NUL")
    return value


def _text_list(argument: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidInputError(argument, values, "must be a list of strings")
    return [_text(argument, value) for value in values]


class LogsResource(Resource):
    """Paginated logs as streams, fanned out over concurrent time slices."""

    def _stream(
        self,
        name: str,
        filters: dict[str, Any],
        start: datetime,
        end: datetime | None,
        page_size: int,
        concurrency: int,
        ordered: bool,
        checkpoint: Checkpoint | None,
    ) -> LogStream[Any]:
        return LogStream(
            self._client,
            LOG_SPECS[name],
            filters,
            start=start,
            end=end,
            page_size=page_size,
            concurrency=concurrency,
            ordered=ordered,
            checkpoint=checkpoint,
        )

    def ttp_url(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        route: Route = "all",
        scan_result: ScanResult = "all",
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> LogStream[TtpUrlLog]:
        """URL Protect click logs (``/api/ttp/url/get-logs``, ``data[0].clickLogs``)."""
        filters = {
            "route": _choice("route", route, ROUTES),
            "scanResult": _choice("scan_result", scan_result, SCAN_RESULTS),
        }
        return self._stream(
            "ttp_url", filters, start, end, page_size, concurrency, ordered, checkpoint
        )

    def ttp_impersonation(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        route: Route = "all",
        tagged_malicious: bool | None = None,
        search_field: SearchField | None = None,
        query: str | None = None,
        identifiers: Sequence[Identifier] = (),
        actions: Sequence[str] = (),
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> LogStream[ImpersonationLog]:
        """Impersonation Protect logs (``/api/ttp/impersonation/get-logs``).

        ``route`` is sent only when it narrows the pull (Mimecast's default is ``all``).
        """
        filters: dict[str, Any] = {}
        if _choice("route", route, ROUTES) != "all":
            filters["route"] = route
        if tagged_malicious is not None:
            if not isinstance(tagged_malicious, bool):
                raise InvalidInputError("tagged_malicious", tagged_malicious, "must be a bool")
            filters["taggedMalicious"] = tagged_malicious
        if search_field is not None:
            filters["searchField"] = _choice("search_field", search_field, SEARCH_FIELDS)
            if query is None:
                raise InvalidInputError("query", query, "is required when search_field is set")
        if query is not None:
            filters["query"] = _text("query", query)
            filters.setdefault("searchField", "all")
        if identifiers:
            filters["identifiers"] = [
                _choice("identifiers", value, IDENTIFIERS)
                for value in _text_list("identifiers", identifiers)
            ]
        if actions:
            filters["actions"] = _text_list("actions", actions)
        return self._stream(
            "ttp_impersonation", filters, start, end, page_size, concurrency, ordered, checkpoint
        )

    def ttp_attachment(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        route: Route = "all",
        result: AttachmentResult = "all",
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> LogStream[AttachmentLog]:
        """Attachment Protect logs (``/api/ttp/attachment/get-logs``)."""
        filters = {
            "route": _choice("route", route, ROUTES),
            "result": _choice("result", result, ATTACHMENT_RESULTS),
        }
        return self._stream(
            "ttp_attachment", filters, start, end, page_size, concurrency, ordered, checkpoint
        )

    def search(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        query: str | None = None,
        endpoint: Literal["get-search-logs", "get-archive-search-logs"] = "get-search-logs",
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> LogStream[SearchLog]:
        """Archive search logs (``/api/archive/get-search-logs``, or the ``get-archive-...``
        twin with ``endpoint="get-archive-search-logs"``)."""
        name = {"get-search-logs": "search", "get-archive-search-logs": "archive_search"}.get(
            endpoint
        )
        if name is None:
            raise InvalidInputError(
                "endpoint", endpoint, "must be get-search-logs or get-archive-search-logs"
            )
        filters = {"query": _text("query", query)} if query is not None else {}
        return self._stream(name, filters, start, end, page_size, concurrency, ordered, checkpoint)

    def audit(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        query: str | None = None,
        categories: Sequence[str] = (),
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> LogStream[AuditEvent]:
        """Audit events (``/api/audit/get-audit-events``)."""
        filters: dict[str, Any] = {}
        if query is not None:
            filters["query"] = _text("query", query)
        if categories:
            filters["categories"] = _text_list("categories", categories)
        return self._stream(
            "audit", filters, start, end, page_size, concurrency, ordered, checkpoint
        )

    def siem(
        self,
        *,
        log_type: str = "MTA",
        file_format: FileFormat = "json",
        compress: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> SiemStream:
        """SIEM files (``/api/audit/get-siem-logs``) as a stream of events, file after file."""
        return SiemStream(
            self._client,
            log_type=log_type,
            file_format=file_format,
            compress=compress,
            checkpoint=checkpoint,
        )
