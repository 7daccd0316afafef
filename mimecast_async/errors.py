"""The exception tree of mimecast_async.

Every error the SDK raises derives from :class:`MimecastError`; no aiohttp, msgspec or tenacity
exception ever reaches a caller::

    MimecastError
    ├── ConfigurationError        bad or missing settings, before any I/O
    ├── ClientClosedError         the client was used after close()
    ├── InvalidInputError         also a ValueError: bad argument, before any I/O
    ├── TransportError            connection failures; RequestTimeout below it
    │   └── RequestTimeout
    ├── APIError                  .status, .request_id, .failures, .codes
    │   ├── BadRequestError 400 · AuthenticationError 401 · PermissionDeniedError 403
    │   ├── NotFoundError 404 · ConflictError 409 · BindingExpiredError 418
    │   ├── RateLimitError 429    .retry_after seconds
    │   ├── ServerError 5xx
    │   └── FailedRequestError    HTTP 200 with a non-empty fail[]
    ├── ResponseDecodeError       body is not the JSON we expect
    └── PaginationError           e.g. the same page token twice

Messages never contain credentials, tokens or signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BindingExpiredError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ErrorDetail",
    "FailedRequestError",
    "Failure",
    "InvalidInputError",
    "MimecastError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeout",
    "ResponseDecodeError",
    "ServerError",
    "TransportError",
]


class ErrorDetail:
    """One entry of a ``fail[].errors[]`` list: Mimecast's code, message and retry hint."""

    __slots__ = ("code", "field", "message", "retryable")

    def __init__(
        self, code: str, message: str = "", retryable: bool = False, field: str | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.retryable = retryable
        self.field = field

    def __repr__(self) -> str:
        return f"ErrorDetail(code={self.code!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ErrorDetail):
            return NotImplemented
        return (self.code, self.message, self.retryable, self.field) == (
            other.code,
            other.message,
            other.retryable,
            other.field,
        )

    __hash__ = None  # type: ignore[assignment]


class Failure:
    """One ``fail[]`` entry: the request item Mimecast refused and why."""

    __slots__ = ("errors", "key")

    def __init__(self, key: Any, errors: Sequence[ErrorDetail]) -> None:
        self.key = key
        self.errors = list(errors)

    @property
    def codes(self) -> list[str]:
        return [error.code for error in self.errors]

    @property
    def retryable(self) -> bool:
        """True when Mimecast marked every error of this item retryable."""
        return bool(self.errors) and all(error.retryable for error in self.errors)

    def __repr__(self) -> str:
        return f"Failure(key={self.key!r}, codes={self.codes!r})"


class MimecastError(Exception):
    """Base class of every error raised by mimecast_async."""


class ConfigurationError(MimecastError):
    """Settings are missing or invalid; raised before any request is sent."""


class ClientClosedError(MimecastError, RuntimeError):
    """The client was used after :meth:`MimecastClient.close`."""


class InvalidInputError(MimecastError, ValueError):
    """An argument is invalid; raised before any request is sent.

    ``argument`` names the offending parameter and ``value`` holds what was given.
    """

    def __init__(self, argument: str, value: Any, reason: str) -> None:
        self.argument = argument
        self.value = value
        self.reason = reason
        try:
            shown = repr(value)
        except Exception:  # nested too deep to show, or a __repr__ that fails
            shown = f"<{type(value).__name__}>"
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"{argument}={shown}: {reason}")


class TransportError(MimecastError):
    """The request could not be completed at the connection level.

    ``request_sent`` is False only when the failure provably happened before any byte of the
    request reached the server (for example, the connection was refused), which makes it safe
    to retry a mutation. ``retryable`` is False for failures a retry cannot mend (a TLS
    certificate that does not verify, an invalid URL).
    """

    def __init__(self, message: str, *, request_sent: bool = True, retryable: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.retryable = retryable


class RequestTimeout(TransportError):
    """The server did not answer within the configured timeout."""


class APIError(MimecastError):
    """Mimecast answered with an error status or a non-empty ``fail[]``."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        request_id: str | None = None,
        failures: Sequence[Failure] = (),
        path: str | None = None,
    ) -> None:
        self.status = status
        self.request_id = request_id
        self.failures = list(failures)
        self.path = path
        details = "; ".join(
            f"{error.code}: {error.message}" if error.message else error.code
            for failure in self.failures
            for error in failure.errors
        )
        text = f"{message} (HTTP {status}"
        if path:
            text += f", {path}"
        if request_id:
            text += f", request id {request_id}"
        text += ")"
        if details:
            text += f": {details}"
        super().__init__(text)

    @property
    def codes(self) -> list[str]:
        """Every Mimecast error code in ``failures``, in order."""
        return [code for failure in self.failures for code in failure.codes]


class BadRequestError(APIError):
    """HTTP 400: the request was malformed."""


class AuthenticationError(APIError):
    """HTTP 401: the signature, keys or token were refused."""


class PermissionDeniedError(APIError):
    """HTTP 403: the credentials lack the permission this call needs."""


class NotFoundError(APIError):
    """HTTP 404: no such endpoint."""


class ConflictError(APIError):
    """HTTP 409: the request conflicts with the current state."""


class BindingExpiredError(APIError):
    """HTTP 418: the API 1.0 access key binding has expired; log in again for new keys."""


class RateLimitError(APIError):
    """HTTP 429, or a rate-limit wait longer than ``RetryPolicy.max_rate_limit_wait``."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIError):
    """HTTP 5xx: Mimecast failed to process the request."""


class FailedRequestError(APIError):
    """HTTP 200 whose ``fail[]`` is not empty: Mimecast refused some or all request items."""


class ResponseDecodeError(MimecastError):
    """The response body is not the JSON this endpoint should return."""

    def __init__(self, message: str, *, status: int | None = None, path: str | None = None):
        self.status = status
        self.path = path
        super().__init__(message if path is None else f"{message} ({path})")


class PaginationError(MimecastError):
    """Pagination went wrong, for example the server returned the same page token twice."""
