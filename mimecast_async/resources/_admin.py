"""Helpers shared by the admin resources: one-item answers and chunked batch calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..batch import BatchFailure, BatchResult
from ..envelope import failures_of
from ..errors import Failure, ResponseDecodeError

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


def match_failures(
    chunk: Sequence[tuple[Any, Mapping[str, Any]]], failures: Sequence[Failure]
) -> list[BatchFailure]:
    """Pair each failure with the caller's item whose wire form its ``key`` echoes."""
    unmatched = list(chunk)
    matched: list[BatchFailure] = []
    for failure in failures:
        for index, (item, wire) in enumerate(unmatched):
            if _matches(wire, failure.key):
                del unmatched[index]
                matched.append(BatchFailure(item, failure.key, failure.errors))
                break
        else:
            matched.append(BatchFailure(failure.key, failure.key, failure.errors))
    return matched


async def run_batch(
    engine: Engine,
    path: str,
    requests: Sequence[tuple[Any, Mapping[str, Any]]],
    *,
    item_type: Any,
    chunk_size: int,
) -> BatchResult[Any]:
    """Send ``(caller item, wire item)`` pairs in chunks; keep per-item failures.

    Chunks go one after another as mutations (never retried once sent); an HTTP-level error
    raises and stops the batch.
    """
    result: BatchResult[Any] = BatchResult()
    for start in range(0, len(requests), chunk_size):
        chunk = requests[start : start + chunk_size]
        response = await engine.call(
            path,
            [wire for _, wire in chunk],
            idempotent=False,
            item_type=item_type,
            raise_on_fail=False,
        )
        result.succeeded.extend(response.envelope.data)
        result.failed.extend(match_failures(chunk, failures_of(response.envelope.fail)))
    return result
