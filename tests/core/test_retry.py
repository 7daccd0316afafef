"""The retry decision table, backoff, and the RateGate on a fake clock."""

from __future__ import annotations

import asyncio
import random

import pytest

import mimecast_async as mc
from mimecast_async.errors import ErrorDetail, Failure
from mimecast_async.retry import RateGate, RateLimitInfo, should_retry
from tests.helpers import FakeClock

POLICY = mc.RetryPolicy(max_rate_limit_wait=60.0)


def _api(cls: type[mc.APIError], status: int, **kwargs: object) -> mc.APIError:
    return cls("x", status=status, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "read", "mutation"),
    [
        (mc.RateLimitError("x", retry_after=1.0, status=429), True, True),
        (mc.RateLimitError("x", retry_after=61.0, status=429), False, False),
        (mc.TransportError("refused", request_sent=False), True, True),
        (mc.TransportError("dropped", request_sent=True), True, False),
        (mc.RequestTimeout("slow", request_sent=True), True, False),
        (mc.TransportError("tls", request_sent=False, retryable=False), False, False),
        (_api(mc.ServerError, 500), True, False),
        (_api(mc.ServerError, 503), True, False),
        (mc.ResponseDecodeError("truncated"), True, False),
        (_api(mc.BadRequestError, 400), False, False),
        (_api(mc.AuthenticationError, 401), False, False),
        (_api(mc.PermissionDeniedError, 403), False, False),
        (_api(mc.NotFoundError, 404), False, False),
        (_api(mc.ConflictError, 409), False, False),
        (_api(mc.BindingExpiredError, 418), False, False),
        # err_xdk_binding_expired may come with a 5xx (or meta.status): expired all the same
        (_api(mc.BindingExpiredError, 503), False, False),
        (_api(mc.BindingExpiredError, 502), False, False),
        (
            mc.FailedRequestError(
                "x", status=200, failures=[Failure({}, [ErrorDetail("e", retryable=True)])]
            ),
            True,
            False,
        ),
        (
            mc.FailedRequestError(
                "x", status=200, failures=[Failure({}, [ErrorDetail("e", retryable=False)])]
            ),
            False,
            False,
        ),
    ],
)
def test_retry_decision_table(error: Exception, read: bool, mutation: bool) -> None:
    assert should_retry(error, True, POLICY) is read
    assert should_retry(error, False, POLICY) is mutation


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = mc.RetryPolicy(backoff_initial=1.0, backoff_multiplier=2.0, backoff_max=5.0)
    rng = random.Random(7)
    delays = [policy.backoff(n, rng) for n in range(1, 8)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(delay <= 5.0 for delay in delays)
    assert delays[3] >= 2.5  # 8 s capped to 5 s, minus at most half


def test_policy_validation() -> None:
    with pytest.raises(mc.ConfigurationError):
        mc.RetryPolicy(max_attempts=0)
    with pytest.raises(mc.ConfigurationError):
        mc.RetryPolicy(jitter=2.0)


async def test_policy_run_numbers_attempts_waits_and_gives_up_with_the_real_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attempts are numbered 1, 2, ...; each retry waits its backoff; the last error surfaces."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = mc.RetryPolicy(max_attempts=3, sleep=sleep, jitter=0.0, backoff_initial=0.5)
    seen: list[int] = []

    async def flaky(number: int) -> str:
        seen.append(number)
        if number < 3:
            raise _api(mc.ServerError, 503)
        return "ok"

    with caplog.at_level("INFO", logger="mimecast_async"):
        assert await policy.run(flaky, idempotent=True, rng=random.Random(1)) == "ok"
    assert seen == [1, 2, 3] and sleeps == [0.5, 1.0]
    failed = [record.args[2] for record in caplog.records if "retrying" in record.getMessage()]
    assert failed == [1, 2]

    seen.clear()

    async def always(number: int) -> str:
        seen.append(number)
        raise _api(mc.ServerError, 500)

    with pytest.raises(mc.ServerError):
        await policy.run(always, idempotent=True, rng=random.Random(1))
    assert seen == [1, 2, 3]  # max_attempts, the first one included
    seen.clear()
    with pytest.raises(mc.ServerError):  # a mutation is not retried after a 5xx
        await policy.run(always, idempotent=False, rng=random.Random(1))
    assert seen == [1]

    async def at_once(number: int) -> int:
        return number

    assert await policy.run(at_once, idempotent=False, rng=random.Random(1)) == 1


async def test_rate_limit_info_reads_both_spellings_in_milliseconds() -> None:
    info = RateLimitInfo.from_headers({"x-rate-limit-reset": "1500", "x-ratelimit-limit": "60"})
    assert info == RateLimitInfo(limit=60, remaining=None, reset_after=1.5)
    assert RateLimitInfo.from_headers({}) is None
    assert RateLimitInfo.from_headers({"x-ratelimit-reset": "soon"}) is None


async def test_gate_closed_by_429_holds_every_coroutine_until_reset() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    gate.release(RateLimitInfo(60, 0, 1.5), status=429)
    passed_at: list[float] = []

    async def one() -> None:
        await gate.acquire()
        passed_at.append(clock())
        gate.release(RateLimitInfo(60, 50, 10.0), status=200)

    await asyncio.gather(*(one() for _ in range(50)))
    assert len(passed_at) == 50
    assert min(passed_at) >= 1.5


async def test_gate_paces_when_remaining_runs_out() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    gate.release(RateLimitInfo(10, 0, 4.0), status=200)  # last call of the window
    await gate.acquire()
    assert clock() >= 4.0  # held until the window reset, without a 429
    gate.release(RateLimitInfo(10, 9, 10.0), status=200)


async def test_gate_budget_accounts_for_requests_in_flight() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()  # the first request probes alone for the quota
    gate.release(RateLimitInfo(10, 10, 5.0), status=200)
    for _ in range(3):
        await gate.acquire()
    gate.release(RateLimitInfo(10, 2, 5.0), status=200)  # 2 left, 2 still in flight
    assert gate.closed_for == pytest.approx(5.0)


async def test_gate_refuses_a_wait_longer_than_allowed() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=10)
    gate.close_for(30)
    with pytest.raises(mc.RateLimitError) as caught:
        await gate.acquire()
    assert caught.value.retry_after == pytest.approx(30)


async def test_a_late_answer_with_a_higher_remaining_does_not_reopen_the_budget() -> None:
    """An answer counted before a newer one arrives after it: its count is stale."""
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    gate.release(RateLimitInfo(40, 39, 5.0), status=200)
    for _ in range(7):
        await gate.acquire()
    for _ in range(6):  # six fast answers: 20 calls left in this window
        gate.release(RateLimitInfo(40, 20, 5.0), status=200)
    gate.release(RateLimitInfo(40, 38, 5.0), status=200)  # the slow one, counted first
    assert await _sendable_now(gate) == 20  # not 38
    clock.now += 5.0  # a reset interval later the quota may have grown back: believed again
    for _ in range(20):
        gate.release(RateLimitInfo(40, 30, 5.0), status=200)
    assert await _sendable_now(gate) == 30


async def _sendable_now(gate: RateGate) -> int:
    """How many requests the gate lets through (and leaves in flight) before one must wait."""
    sent = 0
    while True:
        task = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0)
        if not task.done():
            task.cancel()
            return sent
        sent += 1


async def test_closing_the_gate_wakes_every_waiter_with_client_closed() -> None:
    gate = RateGate(max_wait=600)  # real sleeps: only close() can end these waits in time
    gate.close_for(300)
    parked = [asyncio.ensure_future(gate.acquire()) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.close()
    outcomes = await asyncio.wait_for(asyncio.gather(*parked, return_exceptions=True), 1)
    assert all(isinstance(outcome, mc.ClientClosedError) for outcome in outcomes)
    with pytest.raises(mc.ClientClosedError):
        await gate.acquire()


async def test_the_count_after_a_429_reset_is_believed_at_once() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep, max_wait=60)
    await gate.acquire()
    gate.release(RateLimitInfo(40, 20, 5.0), status=200)  # a low count, holding for 5 s
    await gate.acquire()
    gate.release(RateLimitInfo(40, 0, 1.0), status=429)  # someone else used it up
    await gate.acquire()  # the probe, once the 1 s reset has passed
    assert clock.now == pytest.approx(1.0)
    gate.release(RateLimitInfo(40, 30, 5.0), status=200)
    assert await _sendable_now(gate) == 30  # not held at 20 for the rest of those 5 s
