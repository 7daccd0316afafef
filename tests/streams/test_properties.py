"""Property: any window, page size, concurrency, fault plan and resume points give every record
of the window exactly once (and in time order when ordered)."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mimecast_async as mc
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.testing import FaultPlan, MimecastEmulator
from tests.streams.conftest import STREAMS, assert_exactly, fast_retry, stamp_of

EXAMPLES = int(os.environ.get("MIMECAST_PROPERTY_EXAMPLES", "25"))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(st.sampled_from(STREAMS)),
        "records": draw(st.integers(min_value=0, max_value=1_200)),
        "offset": draw(st.floats(min_value=-0.05, max_value=0.95)),
        "length": draw(st.floats(min_value=0.0001, max_value=1.1)),
        "micros": draw(st.integers(min_value=0, max_value=999_999)),
        "page_size": draw(st.one_of(st.integers(1, 20), st.integers(21, 500))),
        "concurrency": draw(st.integers(min_value=1, max_value=16)),
        "ordered": draw(st.booleans()),
        "inclusive_end": draw(st.booleans()),
        "fault_seed": draw(st.one_of(st.none(), st.integers(0, 10_000))),
        "stops": draw(st.lists(st.integers(min_value=1, max_value=600), max_size=3)),
        "oauth": draw(st.booleans()),
    }


async def _run(case: dict[str, Any]) -> None:
    plan = None
    if case["fault_seed"] is not None:
        plan = FaultPlan(
            seed=case["fault_seed"],
            rate=0.15,
            kinds=(
                "server_error",
                "rate_limit_burst",
                "drop_before",
                "drop_after",
                "truncate",
                "retryable_fail",
                "token_expiry",
            ),
            slow_body_seconds=0.01,
        )
    async with MimecastEmulator(
        seed=case["records"] % 7,
        records=case["records"],
        faults=plan,
        inclusive_end=case["inclusive_end"],
    ) as emu:
        first, last = emu.time_range
        span = last - first
        start = first + span * case["offset"] + timedelta(microseconds=case["micros"])
        end = start + span * case["length"]
        expected = emu.expected(case["name"], start, end, inclusive_end=False)
        auth = emu.oauth2_auth if case["oauth"] else emu.hmac_auth
        options = {
            "start": start,
            "end": end,
            "page_size": case["page_size"],
            "concurrency": case["concurrency"],
            "ordered": case["ordered"],
        }
        delivered: list[Any] = []
        checkpoint: Checkpoint | None = None
        async with mc.MimecastClient(auth, base_url=emu.base_url, retry=fast_retry()) as client:
            for stop in case["stops"]:
                stream = getattr(client.logs, case["name"])(checkpoint=checkpoint, **options)
                iterator = stream.__aiter__()
                try:
                    for _ in range(stop):
                        delivered.append(await iterator.__anext__())
                except StopAsyncIteration:
                    pass
                checkpoint = Checkpoint.from_json(stream.checkpoint.to_json())
                await iterator.aclose()
            stream = getattr(client.logs, case["name"])(checkpoint=checkpoint, **options)
            delivered.extend(await stream.to_list())
    assert_exactly(delivered, expected)
    if case["ordered"]:
        stamps = [stamp_of(record) for record in delivered]
        assert stamps == sorted(stamps)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(scenarios())
def test_any_window_any_faults_any_resume_points_exactly_once(case: dict[str, Any]) -> None:
    asyncio.run(_run(case))
