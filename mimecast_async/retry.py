"""Retry decisions, backoff, and the client-wide rate gate.

* :func:`should_retry` is the whole retry rule as a pure decision over typed errors: reads retry on
  transport errors, 429, 5xx, undecodable bodies and ``fail[]`` entries marked retryable;
  mutations retry only when the request provably did not run (429, or a connection that failed
  before anything was sent).
* :class:`RetryPolicy` holds the knobs and drives tenacity; tenacity's own exceptions never
  escape (the last real error is re-raised).
* :class:`RateGate` is shared by every coroutine of a client. A 429 closes it for
  ``X-RateLimit-Reset`` milliseconds so concurrent cursors pause together; a low
  ``X-RateLimit-Remaining`` turns into a local call budget that paces requests before a 429.
  https://integrations.mimecast.com/documentation/api-overview/rate-limiting/
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from ._settings import require_setting
from .errors import (
    APIError,
    BindingExpiredError,
    ClientClosedError,
    ConfigurationError,
    FailedRequestError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)

__all__ = ["RateGate", "RateLimitInfo", "RetryPolicy", "should_retry"]

R = TypeVar("R")
Sleep = Callable[[float], Awaitable[Any]]
logger = logging.getLogger("mimecast_async")

_LIMIT_NAMES = ("x-ratelimit-limit", "x-rate-limit-limit")
_REMAINING_NAMES = ("x-ratelimit-remaining", "x-rate-limit-remaining")
_RESET_NAMES = ("x-ratelimit-reset", "x-rate-limit-reset")


def _header_number(headers: Mapping[str, str], names: tuple[str, ...]) -> float | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw.strip())
        except ValueError:
            return None
        return value if math.isfinite(value) and value >= 0 else None
    return None


@dataclass(frozen=True)
class RateLimitInfo:
    """Quota state from the latest response's ``X-RateLimit-*`` headers.

    ``reset_after`` is in seconds (the header is in milliseconds).
    """

    limit: int | None
    remaining: int | None
    reset_after: float | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitInfo | None:
        """Read both ``X-RateLimit-*`` and ``X-Rate-Limit-*`` (keys must be lower-case)."""
        limit = _header_number(headers, _LIMIT_NAMES)
        remaining = _header_number(headers, _REMAINING_NAMES)
        reset = _header_number(headers, _RESET_NAMES)
        if limit is None and remaining is None and reset is None:
            return None
        return cls(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset_after=None if reset is None else reset / 1000.0,
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How calls are retried. ``sleep``, ``clock`` and ``seed`` are injectable for tests.

    * ``max_attempts``: attempts per call for transient failures (5xx, transport, retryable
      ``fail[]``), the first one included.
    * ``max_rate_limit_retries``: how many 429s one call may absorb.
    * ``max_rate_limit_wait``: the longest single rate-limit wait (seconds) before giving up with
      :class:`RateLimitError`.
    * backoff: ``backoff_initial * backoff_multiplier**n`` capped at ``backoff_max``, with up to
      ``jitter`` (a fraction) taken off at random.
    """

    max_attempts: int = 5
    max_rate_limit_retries: int = 20
    max_rate_limit_wait: float = 120.0
    backoff_initial: float = 0.5
    backoff_multiplier: float = 2.0
    backoff_max: float = 30.0
    jitter: float = 0.5
    sleep: Sleep = field(default=asyncio.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    seed: int | None = None

    def __post_init__(self) -> None:
        for name, minimum, integer in (
            ("max_attempts", 1, True),
            ("max_rate_limit_retries", 0, True),
            ("backoff_initial", 0, False),
            ("backoff_multiplier", 0, False),
            ("backoff_max", 0, False),
            ("jitter", 0, False),
        ):
            value = getattr(self, name)
            require_setting(f"RetryPolicy.{name}", value, minimum=minimum, integer=integer)
        # math.inf is a valid choice here: wait for any reset, however long
        wait = self.max_rate_limit_wait
        if wait != math.inf:
            require_setting("RetryPolicy.max_rate_limit_wait", wait, minimum=0)
        if self.jitter > 1.0:
            raise ConfigurationError("RetryPolicy.jitter must be between 0 and 1")
        if self.seed is not None:
            require_setting("RetryPolicy.seed", self.seed, minimum=-math.inf, integer=True)
        for name in ("sleep", "clock"):
            if not callable(getattr(self, name)):
                raise ConfigurationError(f"RetryPolicy.{name} must be callable")

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based) of a transient failure."""
        base = min(
            self.backoff_max, self.backoff_initial * self.backoff_multiplier ** (retry_number - 1)
        )
        return base * (1.0 - self.jitter * rng.random())

    async def run(
        self,
        attempt: Callable[[int], Awaitable[R]],
        *,
        idempotent: bool,
        rng: random.Random,
        describe: str = "request",
        gated: bool = True,
    ) -> R:
        """Call ``attempt(n)`` until it succeeds or the policy stops; re-raise the last error.

        The first attempt runs directly: nearly every call succeeds at once, and setting up
        tenacity for it cost about 7% of the CPU of a log pull. Tenacity drives the retries.
        ``gated``: the attempts pass the client's RateGate, which holds them after a 429 until
        the quota resets; otherwise (the OAuth2 token request) the retry waits the reset itself.
        """
        try:
            return await attempt(1)
        except Exception as error:
            first_error = error
        counts = {"transient": 0, "rate_limited": 0}

        def retry(error: BaseException) -> bool:
            if not isinstance(error, Exception) or not should_retry(error, idempotent, self):
                return False
            kind = "rate_limited" if isinstance(error, RateLimitError) else "transient"
            counts[kind] += 1
            if kind == "rate_limited":
                return counts[kind] <= self.max_rate_limit_retries
            return counts[kind] < self.max_attempts

        def pause(error: BaseException | None) -> float:
            if isinstance(error, RateLimitError):
                # the RateGate holds a gated attempt until the quota resets
                return 0.0 if gated else error.retry_after
            return self.backoff(counts["transient"], rng)

        def announce(error: BaseException | None, failed: int, delay: float) -> None:
            logger.info(
                "retrying %s after %s (attempt %d failed, next in %.2fs)",
                describe,
                type(error).__name__,
                failed,
                delay,
            )

        if not retry(first_error):
            raise first_error
        delay = pause(first_error)
        announce(first_error, 1, delay)
        await self.sleep(delay)

        def wait(state: tenacity.RetryCallState) -> float:
            return pause(state.outcome.exception() if state.outcome else None)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            announce(error, state.attempt_number + 1, state.upcoming_sleep)

        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(retry),
            wait=wait,
            stop=tenacity.stop_never,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt_state in retrying:  # attempts 2, 3, ...
            with attempt_state:
                return await attempt(attempt_state.retry_state.attempt_number + 1)
        raise AssertionError("unreachable: tenacity stopped without an outcome")


def should_retry(error: Exception, idempotent: bool, policy: RetryPolicy) -> bool:
    """Whether ``error`` may be retried for a call that is (or is not) idempotent."""
    if isinstance(error, RateLimitError):
        return error.retry_after <= policy.max_rate_limit_wait
    if isinstance(error, TransportError):
        if not error.retryable:
            return False
        return idempotent or not error.request_sent
    if not idempotent or isinstance(error, BindingExpiredError):
        return False  # expired keys stay expired, whatever status the answer came with
    if isinstance(error, ServerError):
        return True
    if isinstance(error, FailedRequestError):
        return bool(error.failures) and all(failure.retryable for failure in error.failures)
    if isinstance(error, ResponseDecodeError):
        return True
    return isinstance(error, APIError) and error.status in (502, 503, 504)


class RateGate:
    """A client-wide gate in front of every request.

    * :meth:`close_for` (on a 429) holds every coroutine until the reset time has passed;
    * after a response, the budget is ``remaining`` minus the requests still in flight; at zero the
      gate stays closed until the quota resets, then lets one probe through to learn the new
      budget. This paces a burst of cursors so that a quota window costs at most one 429.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_wait: float = 120.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._closed_until = 0.0
        # Until a response tells us the quota, one probe goes alone: a burst of cursors that
        # outnumbers the quota would otherwise cost several 429s in the first window.
        self._budget: int | None = 1
        self._in_flight = 0
        self._waiters: list[asyncio.Future[None]] = []
        # the lowest X-RateLimit-Remaining seen, and until when it holds: an answer counted
        # earlier but received later carries a higher, stale count and must not reopen the budget
        self._lowest: int | None = None
        self._lowest_until = 0.0
        self._client_closed = False
        self._close_waiters: list[asyncio.Future[None]] = []  # sleepers woken only by close()
        self.waits = 0
        self.waited = 0.0

    @property
    def closed_for(self) -> float:
        """Seconds until the gate reopens (0 when open)."""
        return max(0.0, self._closed_until - self._clock())

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def admits_one(self) -> bool:
        """Whether the next request goes alone: no answer has shown the quota yet, or it ran out.

        Callers with many requests to send can use that round trip (a log stream sizes its
        slices from the first page).
        """
        return self._budget is not None and self._budget <= 1

    def close(self) -> None:
        """Wake every coroutine waiting here with ClientClosedError (the client was closed)."""
        self._client_closed = True
        for waiter in self._close_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._close_waiters.clear()
        self._wake()

    async def _sleep_unless_closed(self, delay: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._close_waiters.append(waiter)
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            if waiter in self._close_waiters:
                self._close_waiters.remove(waiter)
        if sleeper.done() and not sleeper.cancelled():
            sleeper.result()  # raises what the injected sleep raised, if anything

    async def acquire(self) -> None:
        """Wait until a request may be sent, then reserve it. Pair with :meth:`release`.

        ClientClosedError when the client is (or gets) closed while waiting.
        """
        while True:
            if self._client_closed:
                raise ClientClosedError("this MimecastClient is closed; create a new one")
            now = self._clock()
            if now < self._closed_until:
                delay = self._closed_until - now
                if delay > self._max_wait:
                    raise RateLimitError(
                        f"rate limit wait of {delay:.1f}s exceeds max_rate_limit_wait",
                        retry_after=delay,
                        status=429,
                    )
                self.waits += 1
                self.waited += delay
                logger.debug("rate gate closed: waiting %.3fs", delay)
                await self._sleep_unless_closed(delay)
                continue
            if self._closed_until:
                # The quota window has passed: let a single probe learn the new budget.
                self._closed_until = 0.0
                self._budget = 1
            if self._budget is None or self._budget > 0:
                if self._budget is not None:
                    self._budget -= 1
                self._in_flight += 1
                return
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self, info: RateLimitInfo | None, *, status: int | None) -> None:
        """Record the outcome of a request reserved by :meth:`acquire`."""
        self._in_flight = max(0, self._in_flight - 1)
        if status == 429:
            reset = info.reset_after if info and info.reset_after is not None else None
            self.close_for(reset if reset is not None else 1.0)
            # nothing was left; the count the probe brings after the reset is the fresh one
            self._lowest, self._lowest_until = 0, self._closed_until
        elif info is not None and info.remaining is not None:
            budget = max(0, self._fresh_remaining(info) - self._in_flight)
            self._budget = budget
            if budget == 0:
                reset = info.reset_after if info.reset_after is not None else 1.0
                self._closed_until = max(self._closed_until, self._clock() + reset)
        elif status is not None:
            if not self._closed_until:
                self._budget = None  # a response without quota headers: nothing to pace by
        elif self._budget == 0 and not self._closed_until and self._in_flight == 0:
            self._budget = 1  # no answer at all (transport error): let one request probe again
        self._wake()

    def _fresh_remaining(self, info: RateLimitInfo) -> int:
        """``info.remaining``, unless a lower count seen less than a reset interval ago holds.

        Quota only grows back once a reset interval has passed, so a higher count before then
        comes from an answer the server counted before the one that showed the lower count.
        """
        remaining = info.remaining
        assert remaining is not None
        now = self._clock()
        if self._lowest is not None and now < self._lowest_until and remaining > self._lowest:
            return self._lowest
        self._lowest = remaining
        reset = info.reset_after if info.reset_after is not None else 0.0
        self._lowest_until = now + reset
        return remaining

    def close_for(self, seconds: float) -> None:
        """Close the gate for ``seconds`` from now (a 429's ``X-RateLimit-Reset``)."""
        self._closed_until = max(self._closed_until, self._clock() + max(0.0, seconds))
        self._budget = 0
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
