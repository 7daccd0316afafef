"""Seeded fault-soak plans, shared by ``make test`` (a few dozen) and ``make soak`` (thousands).

A plan is derived from its index alone: which log stream, HMAC or OAuth2, how many cursors,
ordered or not, which fault kinds at what rate, how many records and which window. Running it
pulls the window through the emulator's fault plan and compares the multiset of normalised
records with ``emu.expected``: every record exactly once, nothing else.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import mimecast_async as mc
from mimecast_async.testing import DEFAULT_FAULT_KINDS, FaultPlan, MimecastEmulator
from tests.helpers import FakeClock
from tests.streams.conftest import STREAMS, normalise

CONCURRENCY_LEVELS = (1, 2, 4, 8, 16)
#: Every fault kind a random plan may draw (``binding_expired`` is not recoverable).
SOAK_KINDS = DEFAULT_FAULT_KINDS


@dataclass(frozen=True)
class PlanConfig:
    """Everything a plan varies; a pure function of ``index``."""

    index: int
    stream: str
    auth: str
    concurrency: int
    ordered: bool
    rate: float
    kinds: tuple[str, ...]
    records: int
    page_size: int
    window: tuple[float, float]

    @classmethod
    def from_index(cls, index: int) -> PlanConfig:
        rng = random.Random(f"mimecast-soak-plan:{index}")
        # the low bits of the index walk every stream x auth x order; concurrency rotates too
        stream = STREAMS[index % len(STREAMS)]
        auth = ("hmac", "oauth2")[(index // 5) % 2]
        ordered = (index // 10) % 2 == 0
        concurrency = CONCURRENCY_LEVELS[(index + index // 5) % len(CONCURRENCY_LEVELS)]
        kinds = tuple(kind for kind in SOAK_KINDS if rng.random() < 0.6) or (
            rng.choice(SOAK_KINDS),
        )
        if auth == "oauth2" and "token_expiry" not in kinds and rng.random() < 0.5:
            kinds += ("token_expiry",)
        if rng.random() < 0.5:
            window = (0.0, 1.0)
        else:
            low = rng.uniform(0.0, 0.6)
            window = (low, rng.uniform(low + 0.1, 1.0))
        return cls(
            index=index,
            stream=stream,
            auth=auth,
            concurrency=concurrency,
            ordered=ordered,
            rate=round(rng.uniform(0.1, 0.25), 3),
            kinds=kinds,
            records=rng.randrange(300, 1200),
            page_size=rng.randrange(5, 25),
            window=window,
        )


@dataclass
class PlanResult:
    config: PlanConfig
    expected: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not (self.lost or self.duplicated or self.unexpected)

    def describe(self) -> str:
        c = self.config
        return (
            f"plan {c.index} ({c.stream}, {c.auth}, concurrency {c.concurrency}, "
            f"{'ordered' if c.ordered else 'unordered'}, rate {c.rate}, kinds {c.kinds}): "
            f"{self.received}/{self.expected} records, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.unexpected} unexpected, "
            f"faults {dict(self.faults)}" + (f", error {self.error}" if self.error else "")
        )


def soak_retry() -> mc.RetryPolicy:
    """Backoff and rate-limit waits on a fake clock: faults cost no wall time."""
    clock = FakeClock()
    return mc.RetryPolicy(
        sleep=clock.sleep, clock=clock, seed=5, max_attempts=12, max_rate_limit_retries=50
    )


def compare(got: list[bytes], expected: list[bytes], result: PlanResult) -> None:
    """Fill ``result`` with the multiset difference of normalised records."""
    got_counts, expected_counts = Counter(got), Counter(expected)
    result.expected, result.received = len(expected), len(got)
    result.lost = sum((expected_counts - got_counts).values())
    result.duplicated = sum(
        count - expected_counts[key]
        for key, count in got_counts.items()
        if count > expected_counts[key] > 0
    )
    result.unexpected = sum(count for key, count in got_counts.items() if expected_counts[key] == 0)


async def run_plan(config: PlanConfig, *, seed_offset: int = 0) -> PlanResult:
    """Pull the plan's window through its faults; never raises for a client failure."""
    result = PlanResult(config)
    plan = FaultPlan(
        seed=config.index + seed_offset,
        rate=config.rate,
        kinds=config.kinds,
        burst_length=2,
        burst_reset_ms=20,
        slow_body_seconds=0.004,
    )
    async with MimecastEmulator(
        seed=config.index % 97 + 1, records=config.records, faults=plan
    ) as emu:
        first, last = emu.time_range
        span = last - first
        start = first + timedelta(seconds=int(span.total_seconds() * config.window[0]))
        end = first + timedelta(seconds=int(span.total_seconds() * config.window[1]))
        auth: Any = emu.hmac_auth if config.auth == "hmac" else emu.oauth2_auth
        got: list[bytes] = []
        try:
            async with mc.MimecastClient(
                auth,
                base_url=emu.base_url,
                retry=soak_retry(),
                max_concurrency=max(config.concurrency, 2),
            ) as client:
                stream = getattr(client.logs, config.stream)(
                    start=start,
                    end=end,
                    page_size=config.page_size,
                    concurrency=config.concurrency,
                    ordered=config.ordered,
                )
                async for record in stream:
                    got.append(normalise(record.to_dict()))
        except mc.MimecastError as error:
            result.error = f"{type(error).__name__}: {error}"
        expected = [normalise(record) for record in emu.expected(config.stream, start, end)]
        compare(got, expected, result)
        result.faults = Counter(emu.stats.faults)
        result.requests = emu.stats.total_requests
    return result


async def run_siem_plan(index: int, *, auth_kind: str = "hmac") -> PlanResult:
    """The SIEM file stream through a random fault plan: events equal the feed, in order."""
    config = PlanConfig.from_index(index)
    result = PlanResult(config)
    rng = random.Random(f"mimecast-soak-siem:{index}")
    plan = FaultPlan(
        seed=index,
        rate=0.5,
        kinds=SOAK_KINDS,
        burst_length=2,
        burst_reset_ms=20,
        slow_body_seconds=0.004,
    )
    async with MimecastEmulator(
        seed=index % 50 + 1, siem_files=rng.randrange(3, 7), faults=plan
    ) as emu:
        auth: Any = emu.hmac_auth if auth_kind == "hmac" else emu.oauth2_auth
        got: list[bytes] = []
        try:
            async with mc.MimecastClient(auth, base_url=emu.base_url, retry=soak_retry()) as client:
                stream = client.logs.siem(
                    file_format=rng.choice(("json", "key_value")), compress=rng.random() < 0.5
                )
                async for event in stream:
                    got.append(normalise({"type": event.log_type, **event.fields}))
        except mc.MimecastError as error:
            result.error = f"{type(error).__name__}: {error}"
        expected = [
            normalise({"type": kind, **fields}) for kind, fields in emu.expected_siem_events()
        ]
        compare(got, expected, result)
        if result.ok and got != expected:
            result.error = "SIEM events out of order"
        result.faults = Counter(emu.stats.faults)
        result.requests = emu.stats.total_requests
    return result
