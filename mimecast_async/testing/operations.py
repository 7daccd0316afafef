"""The emulator's operation interface, shared by the log, admin and archive handlers.

An operation takes the request's ``data`` items and ``meta`` (already authenticated, rate-limited
and fault-checked by the app) and returns an :class:`OperationResult`, which the app wraps in
Mimecast's envelope ``{"meta": {"status": 200, "pagination": ...}, "data": [...], "fail": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HTTPFault", "Operation", "OperationResult", "failure", "validation_failure"]


@dataclass
class OperationResult:
    """What an operation answers: ``data`` items, ``fail`` entries, and optional pagination."""

    data: list[Any] = field(default_factory=list)
    fail: list[dict[str, Any]] = field(default_factory=list)
    pagination: dict[str, Any] | None = None
    #: Extra ``meta`` keys (e.g. SIEM's ``isLastToken``).
    meta: dict[str, Any] | None = None


class HTTPFault(Exception):
    """Raised by an operation for a transport-level answer: HTTP ``status`` with one fail code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


#: (data items, meta) -> result. Operations may raise :class:`HTTPFault` (see app) for
#: transport-level answers; everything else is expressed as ``fail`` entries like Mimecast does.
Operation = Callable[[list[dict[str, Any]], dict[str, Any]], OperationResult]


def failure(
    key: Any, code: str, message: str, *, retryable: bool = False, field_name: str | None = None
) -> dict[str, Any]:
    """One Mimecast ``fail[]`` entry for request item ``key``."""
    error: dict[str, Any] = {"code": code, "message": message, "retryable": retryable}
    if field_name is not None:
        error["field"] = field_name
    return {"key": key, "errors": [error]}


def validation_failure(key: Any, field_name: str, problem: str = "null") -> dict[str, Any]:
    """A ``err_validation_<problem>`` failure for ``field_name`` (null, blank, invalid_...)."""
    return failure(
        key,
        f"err_validation_{problem}",
        f"{field_name} is {problem.replace('_', ' ')}",
        field_name=field_name,
    )
