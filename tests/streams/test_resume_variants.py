"""Checkpoint resumes that change what is allowed to change, and checkpoints kept as objects.

DESIGN.md §3: a checkpoint taken after record k resumes at record k+1. A resume may use another
``page_size``, ``concurrency`` or ``ordered`` (only the endpoint, filters and window are bound
to the checkpoint), and a ``Checkpoint`` object must not change after it was taken.
"""

from __future__ import annotations

from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.testing import MimecastEmulator
from tests.streams.conftest import assert_exactly, stamp_of

#: (page_size, concurrency, ordered) of each run of a chain of resumes
Run = tuple[int, int, bool]


async def _chain(emu: MimecastEmulator, name: str, runs: list[tuple[Run, int | None]]) -> list[Any]:
    """Pull ``name`` in runs, each stopping after its count of records (None: to the end) and
    resuming from the previous run's checkpoint through JSON, in a new client each time."""
    start, end = emu.time_range
    delivered: list[Any] = []
    saved: str | None = None
    for (page_size, concurrency, ordered), stop_after in runs:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = getattr(client.logs, name)(
                start=start,
                end=end,
                page_size=page_size,
                concurrency=concurrency,
                ordered=ordered,
                checkpoint=Checkpoint.from_json(saved) if saved else None,
            )
            iterator = stream.__aiter__()
            count = 0
            async for record in iterator:
                delivered.append(record)
                count += 1
                if count == stop_after:
                    break
            saved = stream.checkpoint.to_json()
            await iterator.aclose()
    return delivered


@pytest.mark.parametrize("name", ["audit", "search"])  # served newest first
@pytest.mark.parametrize("stop_after", [1, 150, 1_100, 1_170, 1_190, 1_199])
async def test_newest_first_slices_cut_after_a_resume_repeat_nothing(
    name: str, stop_after: int
) -> None:
    # a cut of a newest-first slice queues its older remainder; the records already
    # delivered at the resume point lie there, so the remainder must take their skip list
    async with MimecastEmulator(seed=3, records=1_200) as emu:
        expected = emu.expected(name, *emu.time_range)
        for resume in ((20, 8, True), (7, 1, True), (20, 8, False)):
            delivered = await _chain(emu, name, [((20, 8, True), stop_after), (resume, None)])
            assert_exactly(delivered, expected)


@pytest.mark.parametrize("name", ["audit", "ttp_url"])
@pytest.mark.parametrize("first_ordered", [True, False])
async def test_resumes_may_switch_ordered(name: str, first_ordered: bool) -> None:
    # a segment can then hold records delivered at both of its ends (two skip lists)
    async with MimecastEmulator(seed=4, records=600) as emu:
        expected = emu.expected(name, *emu.time_range)
        for concurrency in (1, 4):
            for first, second in ((2, 3), (37, 1), (250, 40)):
                runs = [
                    ((25, concurrency, first_ordered), first),
                    ((25, concurrency, not first_ordered), second),
                    ((25, concurrency, first_ordered), None),
                ]
                assert_exactly(await _chain(emu, name, runs), expected)


async def test_a_checkpoint_does_not_change_after_it_is_taken() -> None:
    async with MimecastEmulator(seed=2, records=3_000) as emu:
        start, end = emu.time_range
        expected = emu.expected("ttp_url", start, end)
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end, page_size=20)
            delivered: list[Any] = []
            kept: Checkpoint | None = None
            async for record in stream:
                delivered.append(record)
                if kept is None:
                    kept, taken = stream.checkpoint, stream.checkpoint.to_json()
            assert kept is not None
            assert kept.to_json() == taken  # the slices cut since did not reach into it
            resumed = await client.logs.ttp_url(
                start=start, end=end, page_size=20, checkpoint=kept
            ).to_list()
        assert_exactly(delivered[:1] + resumed, expected)
        stamps = [stamp_of(record) for record in resumed]
        assert stamps == sorted(stamps)
