"""Rate-limit compliance: nothing is sent while the RateGate is closed, and a quota window costs
at most one 429 per credential, even when the cursors outnumber the quota."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async.retry import RateGate, RateLimitInfo
from mimecast_async.testing import MimecastEmulator
from tests.helpers import FakeClock
from tests.streams.conftest import assert_exactly


class QuotaRecorder:
    """Wraps the emulator's quota book: every call's credential, window and verdict."""

    def __init__(self, emu: MimecastEmulator) -> None:
        assert emu.app is not None
        self.quota = emu.app.quota
        self._take = self.quota.take
        self.calls: list[tuple[str, float, bool, float]] = []
        self.quota.take = self.take  # type: ignore[method-assign]

    def take(self, key: str) -> tuple[bool, dict[str, str]]:
        allowed, headers = self._take(key)
        window_end = self.quota._buckets[key].window_end
        self.calls.append((key, window_end, allowed, time.monotonic()))
        return allowed, headers

    def refusals_per_window(self) -> Counter[tuple[str, float]]:
        return Counter((key, end) for key, end, allowed, _ in self.calls if not allowed)

    @property
    def windows(self) -> int:
        return len({(key, end) for key, end, _, _ in self.calls})


def watch_gate(client: mc.MimecastClient) -> list[float]:
    """Record ``gate.closed_for`` at every send that happens while the gate is closed."""
    engine = client.engine
    send = engine.transport.send
    violations: list[float] = []

    async def checked_send(*args: Any, **kwargs: Any) -> Any:
        if engine.gate.closed_for > 0:
            violations.append(engine.gate.closed_for)
        return await send(*args, **kwargs)

    engine.transport.send = checked_send  # type: ignore[method-assign]
    return violations


@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
@pytest.mark.parametrize(("limit", "concurrency"), [(6, 4), (5, 16)])
async def test_at_most_one_429_per_window_and_none_sent_through_a_closed_gate(
    auth_kind: str, limit: int, concurrency: int
) -> None:
    async with MimecastEmulator(seed=3, records=700, rate_limit=(limit, 0.08)) as emu:
        recorder = QuotaRecorder(emu)
        start, end = emu.time_range
        auth: Any = emu.hmac_auth if auth_kind == "hmac" else emu.oauth2_auth
        async with mc.MimecastClient(
            auth, base_url=emu.base_url, max_concurrency=concurrency
        ) as client:
            violations = watch_gate(client)
            records = await client.logs.ttp_url(
                start=start, end=end, page_size=20, concurrency=concurrency
            ).to_list()
        assert_exactly(records, emu.expected("ttp_url", start, end))
        per_window = recorder.refusals_per_window()
    assert not violations, f"{len(violations)} requests sent while the gate was closed"
    assert recorder.windows >= 4  # the pull really spanned several quota windows
    assert max(per_window.values(), default=0) <= 1, per_window
    assert emu.stats.rate_limited == sum(per_window.values())


async def test_two_credentials_each_keep_their_own_quota() -> None:
    async with MimecastEmulator(seed=5, records=400, rate_limit=(4, 0.08)) as emu:
        recorder = QuotaRecorder(emu)
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as hmac_client:
            async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as oauth_client:
                import asyncio

                first, second = await asyncio.gather(
                    hmac_client.logs.audit(start=start, end=end, page_size=25).to_list(),
                    oauth_client.logs.ttp_url(start=start, end=end, page_size=25).to_list(),
                )
        assert_exactly(first, emu.expected("audit", start, end))
        assert_exactly(second, emu.expected("ttp_url", start, end))
    assert len({key for key, *_ in recorder.calls}) == 2
    assert max(recorder.refusals_per_window().values(), default=0) <= 1


async def test_the_first_request_probes_alone_until_the_quota_is_known() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    import asyncio

    second = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    assert not second.done()  # held until the probe's answer tells the budget
    gate.release(RateLimitInfo(10, 9, 1.0), status=200)
    await asyncio.wait_for(second, 1)
    gate.release(None, status=200)


async def test_a_response_without_quota_headers_does_not_serialise_requests() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    gate.release(None, status=200)  # the server sends no X-RateLimit-* headers
    for _ in range(20):
        await gate.acquire()
    assert gate.in_flight == 20
