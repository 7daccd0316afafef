"""Helpers shared by the admin resources: one-item answers and chunked batch calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..batch import NOT_SENT, REQUEST_FAILED, BatchFailure, BatchResult
from ..envelope import failures_of
from ..errors import (
    APIError,
    BindingExpiredError,
    ErrorDetail,
    FailedRequestError,
    Failure,
    ResponseDecodeError,
    TransportError,
)
from ..retry import should_retry

if TYPE_CHECKING:
    from .._engine import ApiResponse, Engine

__all__ = ["first_item", "match_failures", "run_batch"]


def first_item(response: ApiResponse, path: str) -> Any:
    """The first ``data`` item of an answer; ResponseDecodeError when there is none."""
    data = response.envelope.data
    if not data:
        raise ResponseDecodeError("Mimecast answered without a data item", path=path)
    return data[0]


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _matches(wire: Mapping[str, Any], key: Any) -> bool:
    """Whether a ``fail[].key`` names this request item (every field it echoes agrees)."""
    if not isinstance(key, Mapping) or not key:
        return False
    return all(name in wire and _norm(wire[name]) == _norm(value) for name, value in key.items())


def _overlaps(wire: Mapping[str, Any], key: Any) -> bool:
    """Whether a ``fail[].key`` that echoes more than was sent (fields the server filled in)
    agrees with this request item on every field they share, and shares at least one."""
    if not isinstance(key, Mapping):
        return False
    shared = [name for name in key if name in wire]
    return bool(shared) and all(_norm(wire[name]) == _norm(key[name]) for name in shared)


def match_failures(
    chunk: Sequence[tuple[Any, Mapping[str, Any]]], failures: Sequence[Failure]
) -> list[BatchFailure]:
    """Pair each failure with the caller's item whose wire form its ``key`` echoes.

    A key that echoes exactly what was sent pairs first; one that adds fields pairs with the
    only item that agrees on every field both have. A failure that several different items
    could have caused stays keyed by what Mimecast echoed rather than be pinned on a guess.
    """
    unmatched = list(chunk)
    pending: list[tuple[int, Failure]] = []
    paired: dict[int, BatchFailure] = {}
    for number, failure in enumerate(failures):
        candidates = [i for i, (_, wire) in enumerate(unmatched) if _matches(wire, failure.key)]
        # several candidates pair only when they are the same request (an item sent twice)
        if candidates and all(unmatched[i][1] == unmatched[candidates[0]][1] for i in candidates):
            item, _ = unmatched.pop(candidates[0])
            paired[number] = BatchFailure(item, failure.key, failure.errors)
        else:
            pending.append((number, failure))
    for number, failure in pending:
        candidates = [i for i, (_, wire) in enumerate(unmatched) if _overlaps(wire, failure.key)]
        if len(candidates) == 1:
            item, _ = unmatched.pop(candidates[0])
            paired[number] = BatchFailure(item, failure.key, failure.errors)
        else:
            paired[number] = BatchFailure(failure.key, failure.key, failure.errors)
    return [paired[number] for number in range(len(failures))]


class _RetryableFailures(FailedRequestError):
    """A read's chunk whose every ``fail[]`` entry is marked retryable: retried by the policy."""

    def __init__(self, response: ApiResponse, failures: list[Failure], path: str) -> None:
        super().__init__(
            "every refused item is marked retryable",
            status=response.status,
            request_id=response.request_id,
            failures=failures,
            path=path,
        )
        self.response = response


async def run_batch(
    engine: Engine,
    path: str,
    requests: Sequence[tuple[Any, Mapping[str, Any]]],
    *,
    item_type: Any,
    chunk_size: int,
    idempotent: bool = False,
) -> BatchResult[Any]:
    """Send ``(caller item, wire item)`` pairs in chunks; keep per-item failures.

    Chunks go one after another, as mutations (never retried once sent) unless ``idempotent``
    (a read such as decode-url, retried like any read, also when every ``fail[]`` entry of a
    chunk is marked retryable). An HTTP-level error raises when no chunk has been answered
    yet. After one has, so that what was applied is never lost, the error stops the batch: the
    items of that chunk and of those not sent are returned in ``.failed``, with the error.
    """

    def retry_if_all_retryable(response: ApiResponse) -> None:
        failures = failures_of(response.envelope.fail)
        if failures and all(failure.retryable for failure in failures):
            raise _RetryableFailures(response, failures, path)

    result: BatchResult[Any] = BatchResult()
    answered = False
    for start in range(0, len(requests), chunk_size):
        chunk = requests[start : start + chunk_size]
        try:
            response = await engine.call(
                path,
                [wire for _, wire in chunk],
                idempotent=idempotent,
                item_type=item_type,
                raise_on_fail=False,
                check=retry_if_all_retryable if idempotent else None,
            )
        except _RetryableFailures as exhausted:  # retried as often as the policy allows
            response = exhausted.response
        except BindingExpiredError:
            raise  # the keys are refused for every chunk: log in again
        except (APIError, TransportError, ResponseDecodeError) as error:
            if not answered:
                raise
            retryable = should_retry(error, idempotent, engine.policy)
            failed = ErrorDetail(REQUEST_FAILED, str(error), retryable)
            result.failed.extend(BatchFailure(item, wire, [failed], error) for item, wire in chunk)
            unsent = ErrorDetail(NOT_SENT, "not sent: an earlier chunk of the batch failed", True)
            result.failed.extend(
                BatchFailure(item, wire, [unsent], error)
                for item, wire in requests[start + chunk_size :]
            )
            return result
        answered = True
        result.succeeded.extend(response.envelope.data)
        result.failed.extend(match_failures(chunk, failures_of(response.envelope.fail)))
    return result
