"""Results of batch calls: what Mimecast did, and what it refused, item by item.

Mimecast answers a multi-item request with ``data[]`` for the items it processed and ``fail[]``
for the ones it refused, each failure carrying the request item as ``key``. A batch call keeps
both instead of raising on partial failure. An HTTP-level error raises only when no chunk had
been answered yet; after that, it stops the batch and the items it left unconfirmed become
failures that carry the error (see ``BatchFailure.error``), so that what was applied is known.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .errors import ErrorDetail, FailedRequestError, Failure

__all__ = ["NOT_SENT", "REQUEST_FAILED", "BatchFailure", "BatchResult"]

T = TypeVar("T")


#: The code of an item whose chunk failed at the HTTP level after earlier chunks were applied
#: (``.error`` holds the exception), and of an item never sent because the batch stopped there.
#: Mimecast's own codes start with ``err_``.
REQUEST_FAILED = "sdk_request_failed"
NOT_SENT = "sdk_not_sent"


class BatchFailure(Failure):
    """A refused item: the caller's ``item``, the wire ``key`` and Mimecast's ``errors``.

    ``error`` is the exception that stopped the batch for an item Mimecast never answered
    (codes ``sdk_request_failed`` or ``sdk_not_sent``), else None.
    """

    __slots__ = ("error", "item")

    def __init__(
        self,
        item: Any,
        key: Any,
        errors: Sequence[ErrorDetail],
        error: Exception | None = None,
    ) -> None:
        super().__init__(key, errors)
        self.item = item
        self.error = error

    def __repr__(self) -> str:
        return f"BatchFailure(item={self.item!r}, codes={self.codes!r})"


@dataclass
class BatchResult(Generic[T]):
    """``succeeded`` holds the typed results, ``failed`` one :class:`BatchFailure` per item."""

    succeeded: list[T] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return not self.failed

    @property
    def codes(self) -> list[str]:
        """Every Mimecast error code of the failed items, in order."""
        return [code for failure in self.failed for code in failure.codes]

    def __iter__(self) -> Iterator[T]:
        return iter(self.succeeded)

    def __len__(self) -> int:
        return len(self.succeeded) + len(self.failed)

    def extend(self, other: BatchResult[T]) -> None:
        """Append another chunk's results."""
        self.succeeded.extend(other.succeeded)
        self.failed.extend(other.failed)

    def raise_for_failures(self) -> None:
        """Raise :class:`FailedRequestError` when any item failed (for all-or-nothing callers)."""
        if self.failed:
            raise FailedRequestError(
                f"{len(self.failed)} of {len(self)} items were refused",
                status=200,
                failures=self.failed,
            )
