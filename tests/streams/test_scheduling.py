"""How the fan-out schedules cursors: the buffering bound, dense seconds, learnt query margins."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async.checkpoint import Checkpoint, Segment
from mimecast_async.fanout import (
    ORDERED_BUFFER_PAGES,
    UNORDERED_BUFFER_PAGES,
    LogStream,
    piece_margin,
    split_near,
    whole_page_slices,
)
from mimecast_async.resources.logs import LOG_SPECS
from mimecast_async.testing import MimecastEmulator
from tests.streams.conftest import (
    SLOW_CONCURRENCY,
    SLOW_PAGE_SIZE,
    assert_exactly,
    pull_slowly,
    stamp_of,
    wire_stamp,
)
from tests.streams.virtual import _Client, _Engine


@pytest.mark.parametrize("name", ["ttp_url", "audit"])
@pytest.mark.parametrize("ordered", [True, False])
async def test_a_slow_consumer_keeps_buffering_within_the_bound(name: str, ordered: bool) -> None:
    """Cursors stop fetching ahead once the bound of undelivered records is reached."""
    pages = ORDERED_BUFFER_PAGES if ordered else UNORDERED_BUFFER_PAGES
    bound = pages * SLOW_CONCURRENCY * SLOW_PAGE_SIZE
    peaks = [0]

    def watch(stream: Any) -> None:
        peaks.append(stream._undelivered)

    await pull_slowly(name, ordered, watch)
    # the slot being delivered may fetch past the bound by the pages it is reading
    assert 0 < max(peaks) <= bound + SLOW_CONCURRENCY * SLOW_PAGE_SIZE


@pytest.mark.parametrize("name", ["ttp_url", "audit"])
@pytest.mark.parametrize("ordered", [True, False])
async def test_dense_seconds_spanning_many_pages(name: str, ordered: bool) -> None:
    """Hundreds of records share each second, so most pages hold a single timestamp."""
    async with MimecastEmulator(seed=8, records=150_000) as emu:
        busiest, count = busiest_second(emu, name)
        low, high = busiest - timedelta(seconds=4), busiest + timedelta(seconds=4)
        assert count > 150  # many pages of 25 within one second
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream: Any = getattr(client.logs, name)(
                start=low, end=high, page_size=25, concurrency=8, ordered=ordered
            )
            records = await stream.to_list()
        expected = emu.expected(name, low, high)
    assert_exactly(records, expected)
    if ordered:
        stamps = [stamp_of(record) for record in records]
        assert stamps == sorted(stamps)


@pytest.mark.parametrize("inclusive_end", [True, False])
async def test_query_margins_are_dropped_only_for_bounds_seen_to_be_inclusive(
    inclusive_end: bool,
) -> None:
    """The emulator includes ``from``; it includes ``to`` only when told to."""
    async with MimecastEmulator(seed=3, records=6_000, inclusive_end=inclusive_end) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream: Any = client.logs.ttp_url(start=start, end=end, page_size=30, concurrency=8)
            records = await stream.to_list()
        expected = emu.expected("ttp_url", start, end)
    assert_exactly(records, expected)
    assert stream._inclusive_low is True
    assert stream._inclusive_high is inclusive_end


def busiest_second(emu: MimecastEmulator, name: str) -> tuple[datetime, int]:
    """The second holding the most records of ``name``, and how many it holds."""
    start, end = emu.time_range
    seconds = Counter(wire_stamp(record) for record in emu.expected(name, start, end))
    busiest = max(seconds, key=lambda second: seconds[second])
    return busiest, seconds[busiest]


@pytest.mark.parametrize("name", ["ttp_url", "audit"])
async def test_checkpoints_inside_a_second_longer_than_many_pages(name: str) -> None:
    """Resuming mid-run where one second holds many pages of records (hashes are folded)."""
    async with MimecastEmulator(seed=8, records=150_000) as emu:
        busiest, count = busiest_second(emu, name)
        low, high = busiest - timedelta(seconds=2), busiest + timedelta(seconds=2)
        expected = emu.expected(name, low, high)
        before = sum(1 for record in expected if wire_stamp(record) < busiest)
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            for stop_after in (before + 1, before + 60, before + count - 1):
                options = {"start": low, "end": high, "page_size": 25, "concurrency": 4}
                stream: Any = getattr(client.logs, name)(**options)
                iterator = stream.__aiter__()
                delivered = [await iterator.__anext__() for _ in range(stop_after)]
                saved = stream.checkpoint.to_json()
                await iterator.aclose()
                resumed: Any = getattr(client.logs, name)(
                    **options, checkpoint=Checkpoint.from_json(saved)
                )
                delivered.extend(await resumed.to_list())
                assert_exactly(delivered, expected)


@pytest.mark.parametrize("ordered", [True, False])
async def test_the_event_loop_runs_between_delivered_pages(ordered: bool) -> None:
    """A run of buffered pages does not hold the loop: cursors read and send between pages."""
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async with MimecastEmulator(seed=5, records=3_000) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(
                start=start, end=end, page_size=100, concurrency=4, ordered=ordered
            )
            ticker = asyncio.ensure_future(count_turns())
            try:
                seen = [turns async for _ in stream.pages()]
            finally:
                ticker.cancel()
    assert len(seen) >= 30
    assert all(later > earlier for earlier, later in itertools.pairwise(seen))


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("by_page", [False, True])
async def test_aclose_from_another_task_stops_a_consumer_that_is_waiting(
    ordered: bool, by_page: bool
) -> None:
    """A shutdown handler closing the stream must not leave its reader waiting forever."""
    async with MimecastEmulator(seed=5, records=3_000, latency=0.05) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(
                start=start, end=end, page_size=100, concurrency=4, ordered=ordered
            )
            received: list[Any] = []

            async def read() -> None:
                source = stream.pages() if by_page else stream
                async for item in source:
                    received.append(item)

            reader = asyncio.ensure_future(read())
            await asyncio.sleep(0.2)  # a few pages delivered, the reader waits for more
            await stream.aclose()
            with pytest.raises(mc.PaginationError, match="closed"):
                await asyncio.wait_for(reader, 2)
            assert received
            resumed = client.logs.ttp_url(
                start=start, end=end, page_size=100, concurrency=4, checkpoint=stream.checkpoint
            )
            rest = [record async for record in resumed]
        delivered = len(received) if not by_page else sum(len(page) for page in received)
        assert delivered + len(rest) == len(emu.expected("ttp_url", start, end))


@pytest.mark.parametrize(
    ("records_per_second", "count", "expected"),
    [
        (0.1, 16, [5.75] * 17 + [2.41]),  # 6.26 pages each at equal time: 6 pages less a quarter
        (0.01, 16, [0.75] * 13 + [0.27]),  # under a page each: pieces of three quarters
        (500.0, 4, None),  # a burst's density: about ``count`` slices still, not thousands
    ],
)
def test_starting_slices_are_cut_into_whole_pages_at_the_first_density(
    records_per_second: float, count: int, expected: list[float] | None
) -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    whole = Segment(start, start + timedelta(seconds=count * 31_300))
    parts = whole_page_slices(whole, count, records_per_second, 500)
    assert parts[0].start == whole.start and parts[-1].end == whole.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    pages = [
        round(records_per_second * (part.end - part.start).total_seconds() / 500, 2)
        for part in parts
    ]
    if expected is None:
        assert count <= len(parts) <= 2 * count + 1, pages
    else:
        assert pages == pytest.approx(expected, abs=0.01)


def test_only_adjacent_unread_starting_slices_are_cut_again() -> None:
    """A resumed checkpoint's gaps stay gaps, and a segment with a skip list stays as it is."""
    emulator = MimecastEmulator(seed=1, records=1_000)
    start = emulator.time_range[0]
    hour = timedelta(hours=1)

    def at(hours: int) -> datetime:
        return start + hours * hour

    segments = [
        Segment(at(0), at(1)),
        Segment(at(1), at(2)),
        Segment(at(2), at(3)),
        Segment(at(5), at(6)),  # after a gap: its own run, of one, kept
        Segment(at(6), at(7), at(6), Counter({"digest": 1})),  # records already delivered
        Segment(at(7), at(8)),
        Segment(at(8), at(9)),
    ]
    client: Any = _Client(_Engine(emulator))
    probe: Any = LogStream(client, LOG_SPECS["ttp_url"], {}, start=at(0), end=at(9))
    checkpoint = Checkpoint(kind="ttp_url", query=probe.query, segments=segments)
    stream: Any = LogStream(
        client, LOG_SPECS["ttp_url"], {}, start=at(0), end=at(9), checkpoint=checkpoint
    )
    stream._size_unread(500 / 600)  # a page every ten minutes: 6 pages an hour
    cut = [slot.segment for slot in stream._order]
    piece = timedelta(seconds=3450)  # 5.75 pages: three of them, then the rest
    assert [(part.start, part.end) for part in cut if part.end <= at(3)] == [
        (at(0), at(0) + piece),
        (at(0) + piece, at(0) + 2 * piece),
        (at(0) + 2 * piece, at(0) + 3 * piece),
        (at(0) + 3 * piece, at(3)),
    ]
    assert cut[-5:] == segments[3:5] + cut[-3:]  # the gap and the skip list are untouched
    assert (cut[-3].start, cut[-1].end) == (at(7), at(9))


def test_pieces_aim_a_quarter_under_whole_pages_until_the_pull_shows_better() -> None:
    assert piece_margin([], 4) == 0.25
    assert piece_margin([0.0] * 7, 4) == 0.25  # too few pieces to tell


def test_steady_traffic_aims_a_tenth_under_whole_pages() -> None:
    """Pieces that held what their density promised: a tenth of a page is margin enough."""
    steady = [0.004 * ((index % 5) - 2) for index in range(32)]  # within half a percent
    assert piece_margin(steady, 4) == 0.1


def test_uneven_traffic_keeps_a_wider_margin() -> None:
    """Sizes off by 5% either way: a 4-page piece aimed a tenth under would spill half the time."""
    spread = [0.05 * ((index % 9) - 4) / 4 for index in range(32)]  # -5% to +5%, evenly
    margin = piece_margin(spread, 4)
    assert 0.2 <= margin <= 0.25
    assert piece_margin(spread, 1) < margin  # a smaller piece misses by fewer records


def test_pieces_cut_across_a_change_of_density_do_not_set_the_margin() -> None:
    """A piece that ran into a burst (or out of one) misses by far more than any margin."""
    steady = [0.002 * ((index % 3) - 1) for index in range(16)]
    assert piece_margin(steady + [5.0, 40.0, -0.9, -0.97] * 4, 4) == 0.1


def test_pieces_round_to_whole_seconds_within_their_whole_pages() -> None:
    """Up, unless that pushes a piece past the time its whole pages take; then down."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    hour = Segment(start, start + timedelta(hours=1))
    span = timedelta(seconds=36.9)
    for longest, expected in [(None, 37), (timedelta(seconds=37.5), 37), (span, 36)]:
        parts = split_near(hour, span, 4, False, longest)
        assert [part.end - part.start for part in parts[:3]] == [timedelta(seconds=expected)] * 3
        assert parts[-1].end == hour.end
