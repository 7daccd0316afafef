"""Pure functions over Mimecast's JSON envelope: build request bodies, parse responses, map errors.

Request: ``{"meta": {...}, "data": [...]}``. Response: ``{"meta": {"status": ..., "pagination":
{...}}, "data": [...], "fail": [{"key": {...}, "errors": [{"code", "message", "retryable"}]}]}``.
A 200 can still carry failures, so ``fail[]`` is always inspected.
https://integrations.mimecast.com/documentation/api-overview/api-concepts/
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import msgspec

from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BindingExpiredError,
    ConflictError,
    ErrorDetail,
    FailedRequestError,
    Failure,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
)

__all__ = [
    "STATUS_ERRORS",
    "Envelope",
    "Meta",
    "Pagination",
    "WireError",
    "WireFailure",
    "decode_envelope",
    "encode_request",
    "envelope_decoder",
    "error_for_status",
    "failures_of",
    "raise_for_failures",
]

T = TypeVar("T")

#: HTTP status -> error class; 5xx not listed map to ServerError, other codes to APIError.
BINDING_EXPIRED_CODE = "err_xdk_binding_expired"
STATUS_ERRORS: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    418: BindingExpiredError,
    429: RateLimitError,
}


class WireError(msgspec.Struct, kw_only=True):
    """One ``errors[]`` entry as sent by Mimecast."""

    code: str = ""
    message: str = ""
    retryable: bool = False
    field: str | None = None


class WireFailure(msgspec.Struct, kw_only=True):
    """One ``fail[]`` entry as sent by Mimecast."""

    key: Any = None
    errors: list[WireError] = msgspec.field(default_factory=list)


class Pagination(msgspec.Struct, kw_only=True, rename="camel"):
    """``meta.pagination``: the cursor tokens for the next and previous pages."""

    page_size: int | None = None
    next: str | None = None
    previous: str | None = None
    record_start: int | None = None


class Meta(msgspec.Struct, kw_only=True, rename="camel"):
    """``meta``: function-level status, pagination, and the SIEM end-of-data flag."""

    status: int | None = None
    pagination: Pagination | None = None
    is_last_token: bool | None = None


class Envelope(msgspec.Struct, Generic[T], kw_only=True):
    """A decoded response: ``data`` items typed as ``T``."""

    meta: Meta
    data: list[T]
    fail: list[WireFailure] = msgspec.field(default_factory=list)

    @property
    def next_token(self) -> str | None:
        """The ``meta.pagination.next`` token, or None on the last page."""
        pagination = self.meta.pagination
        return pagination.next if pagination is not None and pagination.next else None


_ENCODER = msgspec.json.Encoder()


def encode_request(
    data: Sequence[Any] | None = None, meta: Mapping[str, Any] | None = None
) -> bytes:
    """Build a request body; ``data`` is always an array, ``meta`` is omitted when empty."""
    body: dict[str, Any] = {}
    if meta:
        body["meta"] = meta
    body["data"] = list(data) if data is not None else []
    try:
        return _ENCODER.encode(body)
    except (TypeError, ValueError, OverflowError) as error:  # msgspec: what JSON cannot carry
        raise InvalidInputError("data", body, f"cannot be sent as JSON: {error}") from None
    except RecursionError:  # a container that holds itself, or nested thousands deep
        raise InvalidInputError(
            "data", body, "cannot be sent as JSON: nested too deep (or holds itself)"
        ) from None


@functools.lru_cache(maxsize=256)
def envelope_decoder(item_type: Any) -> msgspec.json.Decoder[Any]:
    """A cached decoder for ``Envelope[item_type]`` (lenient about numbers sent as strings)."""
    return msgspec.json.Decoder(Envelope[item_type], strict=False)


def decode_envelope(
    body: bytes | memoryview, item_type: Any = Any, *, status: int = 200, path: str | None = None
) -> Envelope[Any]:
    """Decode a response body into an :class:`Envelope`, or raise ResponseDecodeError."""
    try:
        result: Envelope[Any] = envelope_decoder(item_type).decode(body)
    except msgspec.ValidationError as error:
        failures = _failures_without_data(body) if "`data`" in str(error) else []
        if failures:  # a refusal that carries no data at all: keep Mimecast's codes
            return Envelope(meta=Meta(status=status), data=[], fail=failures)
        raise ResponseDecodeError(
            f"response does not match the expected shape: {error}", status=status, path=path
        ) from None
    except msgspec.DecodeError as error:
        raise ResponseDecodeError(
            f"response is not valid JSON: {error}", status=status, path=path
        ) from None
    except RecursionError:
        raise ResponseDecodeError(
            "response JSON is nested too deeply", status=status, path=path
        ) from None
    except UnicodeDecodeError:
        raise ResponseDecodeError(
            "response JSON is not valid UTF-8", status=status, path=path
        ) from None
    return result


class _FailOnly(msgspec.Struct):
    fail: list[WireFailure] = msgspec.field(default_factory=list)
    data: None = None


def _failures_without_data(body: bytes | memoryview) -> list[WireFailure]:
    """The ``fail[]`` of a body that has no ``data`` member; empty when it does not apply."""
    try:
        return msgspec.json.decode(body, type=_FailOnly, strict=False).fail
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError):
        return []


def failures_of(wire: Sequence[WireFailure]) -> list[Failure]:
    """Convert wire ``fail[]`` entries to public :class:`Failure` objects."""
    return [
        Failure(
            item.key,
            [ErrorDetail(e.code, e.message, e.retryable, e.field) for e in item.errors],
        )
        for item in wire
    ]


class _LenientFailures(msgspec.Struct):
    fail: list[WireFailure] = msgspec.field(default_factory=list)


_LENIENT_DECODER = msgspec.json.Decoder(_LenientFailures, strict=False)


def _failures_from_error_body(body: bytes) -> list[Failure]:
    """Best-effort extraction of ``fail[]`` from an error response; never raises."""
    if not body or body[:1] not in (b"{", b" ", b"\n", b"\r", b"\t"):
        return []
    try:
        return failures_of(_LENIENT_DECODER.decode(body).fail)
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError):
        return []


_MESSAGES: Mapping[type[APIError], str] = {
    BadRequestError: "Bad request",
    AuthenticationError: "Authentication failed",
    PermissionDeniedError: "Permission denied",
    NotFoundError: "Not found",
    ConflictError: "Conflict",
    BindingExpiredError: "Binding expired: log in again to get new API 1.0 keys",
    RateLimitError: "Rate limit exceeded",
    ServerError: "Mimecast server error",
    FailedRequestError: "Mimecast refused the request",
    APIError: "Unexpected response status",
}


def error_for_status(
    status: int,
    body: bytes = b"",
    *,
    request_id: str | None = None,
    path: str | None = None,
    retry_after: float = 0.0,
) -> APIError:
    """The error an HTTP error ``status`` maps to, with any ``fail[]`` codes from ``body``."""
    failures = _failures_from_error_body(body)
    cls = STATUS_ERRORS.get(status) or (ServerError if 500 <= status <= 599 else APIError)
    if _binding_expired(failures):
        cls = BindingExpiredError
    kwargs: dict[str, Any] = {
        "status": status,
        "request_id": request_id,
        "failures": failures,
        "path": path,
    }
    if cls is RateLimitError:
        return RateLimitError(_MESSAGES[cls], retry_after=retry_after, **kwargs)
    return cls(_MESSAGES[cls], **kwargs)


def raise_for_failures(
    envelope: Envelope[Any],
    *,
    request_id: str | None = None,
    path: str | None = None,
    binding_only: bool = False,
) -> None:
    """Raise FailedRequestError when ``fail[]`` is not empty (HTTP 200 is not success).

    ``binding_only`` (batch calls, which report refused items instead of raising): raise only
    BindingExpiredError, since expired keys refuse the whole call, not an item.
    """
    if not envelope.fail:
        return
    failures = failures_of(envelope.fail)
    expired = _binding_expired(failures)
    if binding_only and not expired:
        return
    cls = BindingExpiredError if expired else FailedRequestError
    raise cls(
        _MESSAGES[cls],
        status=envelope.meta.status if envelope.meta.status is not None else 200,
        request_id=request_id,
        failures=failures,
        path=path,
    )


def _binding_expired(failures: Sequence[Failure]) -> bool:
    """Whether Mimecast said the API 1.0 keys expired, whatever the HTTP status (§1.7: "HTTP
    418 and/or fail code ``err_xdk_binding_expired``")."""
    return any(
        error.code == BINDING_EXPIRED_CODE or "accesskey has expired" in error.message.lower()
        for failure in failures
        for error in failure.errors
    )
