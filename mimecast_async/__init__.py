"""mimecast_async: an asyncio SDK for the Mimecast email-security API."""

from __future__ import annotations

from .auth import HmacAuth, OAuth2Auth
from .client import MimecastClient
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BindingExpiredError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    ErrorDetail,
    FailedRequestError,
    Failure,
    InvalidInputError,
    MimecastError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeout,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from .retry import RateGate, RateLimitInfo, RetryPolicy

__version__ = "0.1.0"

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
    "HmacAuth",
    "InvalidInputError",
    "MimecastClient",
    "MimecastError",
    "NotFoundError",
    "OAuth2Auth",
    "PaginationError",
    "PermissionDeniedError",
    "RateGate",
    "RateLimitError",
    "RateLimitInfo",
    "RequestTimeout",
    "ResponseDecodeError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
]
