"""The emulator's paginated log endpoints (TTP URL/impersonation/attachment, search, audit).

Each endpoint takes exactly one request item (``data: []`` means defaults), validates it as
Mimecast does (``fail[]`` with ``err_validation_*`` codes), selects the window lazily from
:mod:`.logdata` and pages it with query-bound tokens from :mod:`.paging`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .logdata import FilterError, LogSource
from .operations import Operation, OperationResult, failure, validation_failure
from .paging import TokenError, page_window
from .wire import parse_body_date

__all__ = ["LOG_ENDPOINTS", "LogEndpoint", "LogOperations"]


@dataclass(frozen=True)
class LogEndpoint:
    """How one path maps onto a log type: its window fields, list key and ordering."""

    path: str
    log_type: str
    start_field: str
    end_field: str
    list_key: str | None
    required_window: bool = False
    default_end_of_day: bool = False
    honours_oldest_first: bool = True
    drop_fields: tuple[str, ...] = ()
    result_count: bool = False
    record_start: bool = False


LOG_ENDPOINTS = (
    LogEndpoint("/api/ttp/url/get-logs", "ttp_url", "from", "to", "clickLogs"),
    LogEndpoint(
        "/api/ttp/impersonation/get-logs",
        "ttp_impersonation",
        "from",
        "to",
        "impersonationLogs",
        result_count=True,
    ),
    LogEndpoint("/api/ttp/attachment/get-logs", "ttp_attachment", "from", "to", "attachmentLogs"),
    LogEndpoint(
        "/api/archive/get-search-logs",
        "search",
        "start",
        "end",
        "logs",
        default_end_of_day=True,
        honours_oldest_first=False,
    ),
    LogEndpoint(
        "/api/archive/get-archive-search-logs",
        "search",
        "start",
        "end",
        "logs",
        default_end_of_day=True,
        honours_oldest_first=False,
        drop_fields=("museQuery",),
    ),
    LogEndpoint(
        "/api/audit/get-audit-events",
        "audit",
        "startDateTime",
        "endDateTime",
        None,
        required_window=True,
        honours_oldest_first=False,
        record_start=True,
    ),
)


class LogOperations:
    """Operations for every log path over a set of lazily generated :class:`LogSource`."""

    def __init__(
        self,
        sources: dict[str, LogSource],
        *,
        secret: str,
        now: Callable[[], float],
        inclusive_end: bool,
    ) -> None:
        self.sources = sources
        self.secret = secret
        self.now = now
        self.inclusive_end = inclusive_end

    def operations(self) -> dict[str, Operation]:
        """Path -> operation for every log endpoint."""
        return {endpoint.path: self._operation(endpoint) for endpoint in LOG_ENDPOINTS}

    def _operation(self, endpoint: LogEndpoint) -> Operation:
        def run(items: list[dict[str, Any]], meta: dict[str, Any]) -> OperationResult:
            return self.answer(endpoint, items, meta)

        return run

    def window(self, endpoint: LogEndpoint, item: dict[str, Any]) -> tuple[float, float]:
        """The request's time window; FilterError for a missing or malformed date."""
        now = self.now()
        day_start = now - now % 86400
        bounds = []
        for name, default in (
            (endpoint.start_field, day_start),
            (endpoint.end_field, day_start + 86400 if endpoint.default_end_of_day else now),
        ):
            value = item.get(name)
            if value is None or value == "":
                if endpoint.required_window:
                    raise FilterError(name, "null")
                bounds.append(default)
                continue
            try:
                bounds.append(parse_body_date(value))
            except ValueError:
                raise FilterError(name, "invalid_date") from None
        return bounds[0], bounds[1]

    def answer(
        self, endpoint: LogEndpoint, items: list[dict[str, Any]], meta: dict[str, Any]
    ) -> OperationResult:
        """One page of ``endpoint`` for the single request item."""
        if len(items) > 1:
            return OperationResult(
                fail=[failure(item, "err_validation_max_items", "only one item") for item in items]
            )
        item: Any = items[0] if items else {}
        if not isinstance(item, dict):
            return OperationResult(fail=[validation_failure(item, "data", "invalid_type")])
        source = self.sources[endpoint.log_type]
        try:
            start, end = self.window(endpoint, item)
            oldest_first = (
                item.get("oldestFirst", False) if endpoint.honours_oldest_first else False
            )
            if not isinstance(oldest_first, bool):
                raise FilterError("oldestFirst", "invalid_value")
            selection = source.select(start, end, item, inclusive_end=self.inclusive_end)
        except FilterError as error:
            return OperationResult(fail=[validation_failure(item, error.field, error.problem)])
        try:
            window = page_window(
                selection.total, meta, item, secret=self.secret, path=endpoint.path
            )
        except TokenError as error:
            return OperationResult(
                fail=[
                    failure(
                        item,
                        "err_validation_invalid_page_token",
                        str(error),
                        field_name="pageToken",
                    )
                ]
            )
        except ValueError:
            return OperationResult(fail=[validation_failure(item, "pageSize", "invalid_value")])
        records = source.page(selection, window.start, window.stop, oldest_first=oldest_first)
        for field_name in endpoint.drop_fields:
            for record in records:
                record.pop(field_name, None)
        pagination = window.pagination
        if endpoint.record_start:
            pagination["recordStart"] = window.start
        if endpoint.list_key is None:
            return OperationResult(data=records, pagination=pagination)
        body: dict[str, Any] = {endpoint.list_key: records}
        if endpoint.result_count:
            body["resultCount"] = len(records)
        return OperationResult(data=[body], pagination=pagination)
