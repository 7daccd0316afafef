"""Log pulls in virtual time: every request takes exactly one virtual second, CPU takes none.

The scheduler's quality is then a deterministic number (rounds of requests) instead of a
wall-clock measurement: the pages come from the emulator's own log operations, called in
process, and the event loop jumps straight to the next timer instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mimecast_async._engine import ApiResponse
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.envelope import decode_envelope
from mimecast_async.fanout import LogStream
from mimecast_async.resources.logs import LOG_SPECS
from mimecast_async.retry import RateGate
from mimecast_async.testing import MimecastEmulator
from mimecast_async.testing.wire import encode, envelope


class _JumpingSelector(selectors.DefaultSelector):
    """Never waits: a wait for the next timer moves the loop's clock to it instead."""

    def __init__(self, loop: VirtualLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("nothing is scheduled and nothing can happen: a deadlock")
        self._loop.now += max(0.0, timeout)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock only moves when every task waits for a timer."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.now


class _Engine:
    """Answers from the emulator's log operations, one virtual second after each call."""

    def __init__(self, emulator: MimecastEmulator, *, quota_known: bool = False) -> None:
        self._operations = emulator._operations()
        self.requests = 0
        self.first_round = 0  # requests sent at virtual time 0
        self.last_answer = 0.0
        # the client's gate, as in Engine: the first request goes alone until it is answered
        # (the emulator's log answers carry no quota headers, so then it opens for good)
        self.gate = RateGate()
        if quota_known:  # a client that has had an answer already
            self.gate.release(None, status=200)

    async def call(
        self,
        path: str,
        data: Sequence[Any] | None = None,
        meta: dict[str, Any] | None = None,
        *,
        item_type: Any = Any,
        keep_body: bool = False,
        **_: Any,
    ) -> ApiResponse:
        await self.gate.acquire()
        self.requests += 1
        self.first_round += asyncio.get_running_loop().time() == 0.0
        try:
            await asyncio.sleep(1.0)
        finally:
            self.gate.release(None, status=200)
        self.last_answer = asyncio.get_running_loop().time()
        result = self._operations[path](list(data or []), dict(meta or {}))
        body = encode(envelope(result.data, result.fail, pagination=result.pagination))
        kept = body if keep_body else b""
        return ApiResponse(decode_envelope(body, item_type), 200, {}, kept, None, None)


@dataclass
class _Client:
    engine: _Engine


@dataclass(frozen=True)
class VirtualPull:
    records: int
    rounds: float  # virtual seconds: the pull's length in request latencies
    requests: int
    # records delivered at the virtual time of the last answer or later: what waited for the
    # slice finished last (in real time, the consumer delivers them after the pull is over)
    delivered_at_end: int
    first_round: int  # requests sent at once at the start


def pull_in_virtual_time(
    emulator: MimecastEmulator,
    *,
    start: datetime,
    end: datetime,
    concurrency: int,
    ordered: bool,
    page_size: int,
    checkpoint: Callable[[LogStream[Any]], Checkpoint] | None = None,
    log: str = "ttp_url",
    quota_known: bool = False,
) -> VirtualPull:
    """Pull ``log`` records of ``[start, end)``; ``checkpoint`` builds one to resume from.

    ``log`` is a key of ``LOG_SPECS``: ``search`` and ``audit`` page newest first. The first
    request goes alone, as through a new client's gate, unless ``quota_known``.
    """
    engine = _Engine(emulator, quota_known=quota_known)
    client: Any = _Client(engine)
    options: dict[str, Any] = {"start": start, "end": end, "page_size": page_size}

    async def pull() -> tuple[int, int]:
        resume = (
            checkpoint(LogStream(client, LOG_SPECS[log], {}, **options)) if checkpoint else None
        )
        stream: LogStream[Any] = LogStream(
            client,
            LOG_SPECS[log],
            {},
            **options,
            concurrency=concurrency,
            ordered=ordered,
            checkpoint=resume,
        )
        moments = [loop.now async for _record in stream]
        return len(moments), sum(moment >= engine.last_answer for moment in moments)

    loop = VirtualLoop()
    try:
        records, at_end = loop.run_until_complete(pull())
    finally:
        loop.close()
    return VirtualPull(records, loop.now, engine.requests, at_end, engine.first_round)
