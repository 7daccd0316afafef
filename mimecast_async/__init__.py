"""mimecast_async: an asyncio SDK for the Mimecast email-security API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .auth import HmacAuth, OAuth2Auth
from .batch import BatchFailure, BatchResult
from .checkpoint import Checkpoint
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
from .fanout import LogStream
from .models import (
    Alias,
    ArchiveMessage,
    ArchiveSearchResult,
    BlockedSenderPolicy,
    DecodedUrl,
    Group,
    GroupMember,
    GroupMemberChange,
    HeldMessage,
    ManagedSender,
    ManagedUrl,
    MessageDetail,
    MessageInfo,
    RejectResult,
    TrackedEmail,
)
from .models.logs import AttachmentLog, AuditEvent, ImpersonationLog, SearchLog, TtpUrlLog
from .pagination import AsyncPager, Page
from .resources.archive import ArchiveQuery
from .retry import RateGate, RateLimitInfo, RetryPolicy
from .siem import SiemEvent, SiemFile, SiemStream

if TYPE_CHECKING:
    from . import testing as testing


if not TYPE_CHECKING:  # type checkers see `testing` above, and no other name is made up

    def __getattr__(name: str) -> Any:
        """Import ``mimecast_async.testing`` (the emulator, on aiohttp.web) when first used."""
        if name == "testing":
            import importlib

            return importlib.import_module(".testing", __name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Alias",
    "ArchiveMessage",
    "ArchiveQuery",
    "ArchiveSearchResult",
    "AsyncPager",
    "AttachmentLog",
    "AuditEvent",
    "AuthenticationError",
    "BadRequestError",
    "BatchFailure",
    "BatchResult",
    "BindingExpiredError",
    "BlockedSenderPolicy",
    "Checkpoint",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DecodedUrl",
    "ErrorDetail",
    "FailedRequestError",
    "Failure",
    "Group",
    "GroupMember",
    "GroupMemberChange",
    "HeldMessage",
    "HmacAuth",
    "ImpersonationLog",
    "InvalidInputError",
    "LogStream",
    "ManagedSender",
    "ManagedUrl",
    "MessageDetail",
    "MessageInfo",
    "MimecastClient",
    "MimecastError",
    "NotFoundError",
    "OAuth2Auth",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "RateGate",
    "RateLimitError",
    "RateLimitInfo",
    "RejectResult",
    "RequestTimeout",
    "ResponseDecodeError",
    "RetryPolicy",
    "SearchLog",
    "ServerError",
    "SiemEvent",
    "SiemFile",
    "SiemStream",
    "TrackedEmail",
    "TransportError",
    "TtpUrlLog",
]
