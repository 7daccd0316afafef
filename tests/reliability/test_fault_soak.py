"""Fault soak: seeded fault plans over every log stream and the SIEM feed lose and repeat nothing.

``make soak`` runs the same plans by the thousand (benchmarks/soak.py); here a few dozen keep
``make test`` fast. Backoff runs on a fake clock, so injected faults cost no wall time.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.reliability.plans import (
    CONCURRENCY_LEVELS,
    SOAK_KINDS,
    PlanConfig,
    PlanResult,
    run_plan,
    run_siem_plan,
)
from tests.streams.conftest import STREAMS

#: Plans run by ``make test`` (``make soak`` runs 2,000).
TEST_PLANS = 40


def test_the_test_plans_cover_every_stream_auth_order_and_concurrency() -> None:
    configs = [PlanConfig.from_index(index) for index in range(TEST_PLANS)]
    combos = {(c.stream, c.auth, c.ordered) for c in configs}
    assert len(combos) == len(STREAMS) * 2 * 2
    for stream in STREAMS:
        assert {c.concurrency for c in configs if c.stream == stream} == set(CONCURRENCY_LEVELS)
    assert set().union(*(c.kinds for c in configs)) == set(SOAK_KINDS)
    assert PlanConfig.from_index(7) == PlanConfig.from_index(7)  # a pure function of the index


async def test_every_plan_returns_the_window_exactly_once() -> None:
    results: list[PlanResult] = []
    for index in range(TEST_PLANS):
        results.append(await run_plan(PlanConfig.from_index(index)))
    failed = [result.describe() for result in results if not result.ok]
    assert not failed, "\n".join(failed)
    injected: Counter[str] = Counter()
    for result in results:
        injected += result.faults
    # every kind was really injected, and overall plenty of faults happened
    assert set(injected) == set(SOAK_KINDS), injected
    assert sum(injected.values()) > 200
    assert sum(result.expected for result in results) > 10_000
    assert sum(1 for result in results if result.faults) >= TEST_PLANS - 5


@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
async def test_siem_events_through_faults_equal_the_feed(auth_kind: str) -> None:
    results = [await run_siem_plan(index, auth_kind=auth_kind) for index in range(4)]
    failed = [result.describe() for result in results if not result.ok]
    assert not failed, "\n".join(failed)
    assert sum(sum(result.faults.values()) for result in results) >= 4
    assert all(result.expected > 0 for result in results)


def test_the_comparison_counts_loss_duplication_and_strangers() -> None:
    from tests.reliability.plans import compare

    result = PlanResult(PlanConfig.from_index(0))
    compare([b"a", b"a", b"b", b"x"], [b"a", b"b", b"c"], result)
    assert (result.lost, result.duplicated, result.unexpected) == (1, 1, 1)
    assert not result.ok


@pytest.mark.parametrize("ordered", [True, False])
async def test_repeated_token_expiry_with_many_cursors_in_flight(ordered: bool) -> None:
    """One expiry answers every in-flight cursor with a 401 for the same token; only the first
    of those may count as a renewal, or a few expiries abort the pull (found by ``make soak``)."""
    import mimecast_async as mc
    from mimecast_async.testing import FaultPlan, MimecastEmulator
    from tests.reliability.plans import soak_retry
    from tests.streams.conftest import assert_exactly

    # each token is spared only as many requests as there are cursors: just enough that the
    # request which renewed it is answered before the token can expire again
    plan = FaultPlan(seed=1308, rate=0.2, kinds=("token_expiry",), token_min_uses=16)
    async with MimecastEmulator(seed=3, records=3_000, faults=plan) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(
            emu.oauth2_auth, base_url=emu.base_url, retry=soak_retry(), max_concurrency=16
        ) as client:
            records = await client.logs.audit(
                start=start, end=end, page_size=10, concurrency=16, ordered=ordered
            ).to_list()
        assert emu.stats.faults["token_expiry"] >= 10, emu.stats.faults
        assert_exactly(records, emu.expected("audit", start, end))
