"""How well the fan-out keeps its cursors busy, counted in rounds of requests (virtual time).

The emulator's default day is uneven on purpose: half the records lie in one dense hour, a tenth
in one minute of it. A pull is as short as it can be when every cursor reads a page in every
round: ``pages / concurrency`` rounds. These bounds fail for a scheduler that finds a burst
late or leaves cursors idle (the previous one scored 83% unordered at 8 cursors, 88% at 4, and
took 200 rounds to resume a one-segment checkpoint).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mimecast_async.checkpoint import Checkpoint, Segment
from mimecast_async.testing import MimecastEmulator
from tests.streams.virtual import VirtualPull, pull_in_virtual_time

RECORDS = 20_000
PAGE_SIZE = 100


def _whole_range(seed: int, records: int, **options: Any) -> VirtualPull:
    """Pull every record of an emulator's time range in virtual time (and check the count)."""
    emulator = MimecastEmulator(seed=seed, records=records)
    start, end = emulator.time_range
    pull = pull_in_virtual_time(emulator, start=start, end=end, **options)
    assert pull.records == records
    return pull


@pytest.mark.parametrize(
    ("concurrency", "ordered", "efficiency"),
    [(4, False, 0.9), (4, True, 0.8), (8, False, 0.85), (8, True, 0.8), (16, False, 0.7)],
)
def test_an_uneven_week_keeps_every_cursor_busy(
    concurrency: int, ordered: bool, efficiency: float
) -> None:
    pull = _whole_range(1, RECORDS, concurrency=concurrency, ordered=ordered, page_size=PAGE_SIZE)
    ideal = math.ceil(RECORDS / PAGE_SIZE) / concurrency
    assert ideal / pull.rounds >= efficiency, pull


@pytest.mark.parametrize("ordered", [True, False])
def test_a_checkpoint_of_one_segment_resumes_with_every_cursor(ordered: bool) -> None:
    emulator = MimecastEmulator(seed=1, records=RECORDS)
    start, end = emulator.time_range

    def one_segment(stream: Any) -> Checkpoint:
        return Checkpoint(kind="ttp_url", query=stream.query, segments=[Segment(start, end)])

    pull = pull_in_virtual_time(
        emulator,
        start=start,
        end=end,
        concurrency=8,
        ordered=ordered,
        page_size=PAGE_SIZE,
        checkpoint=one_segment,
    )
    assert pull.records == RECORDS
    assert pull.rounds <= 1.5 * math.ceil(RECORDS / PAGE_SIZE) / 8, pull


def test_the_slice_being_delivered_does_not_finish_last_alone() -> None:
    """Ordered, every record read after the slice being delivered waits for it.

    On the emulator's day with a burst minute, that slice used to be read by one cursor to the
    very end (it never held 1.5 shares of the pages left), so 75 pages of later records waited
    for it and were delivered only after the last answer: in real time, 50-90 ms of unpacking
    and yielding once the pull was over. It is now cut like any straggler, at one share, and
    already once it holds four pages. (Seed 1 alone went from 75 pages to 9, and to 22 once the
    starting slices were sized by the first page, which saves a round; 14, 2 and 3 pages for
    seeds 2 to 4, where it was 53, 6 and 12.)
    """
    pulls = [
        _whole_range(seed, 100_000, concurrency=8, ordered=True, page_size=500)
        for seed in range(1, 5)
    ]
    at_end = sum(pull.delivered_at_end for pull in pulls) / len(pulls)
    assert at_end <= 2 * 8 * 500, pulls  # two pages per cursor on average
    assert all(pull.rounds <= 31 for pull in pulls), pulls


def test_the_first_page_sizes_the_starting_slices() -> None:
    """The first request goes alone (the client's gate); its page sizes the other slices.

    Slices of equal time end in a partial page each, half a request wasted on average; cut at
    the first page's density into whole pages less a quarter, they waste about a quarter
    wherever that density holds. Ordered pulls of these six days cost 225 requests (180 rounds)
    in all with equal slices, 219 (176 rounds) sized so, and 216 (171 rounds) once the pieces
    aim under whole pages by the margin the pull's own pieces show (``piece_margin``).
    """
    pulls = [
        _whole_range(seed, 100_000, concurrency=8, ordered=True, page_size=500)
        for seed in range(1, 7)
    ]
    assert all(pull.first_round == 1 for pull in pulls), pulls
    assert sum(pull.requests for pull in pulls) <= 6 * 218, pulls
    assert sum(pull.rounds for pull in pulls) <= 177, pulls


@pytest.mark.parametrize("ordered", [True, False])
def test_a_client_that_knows_its_quota_starts_every_cursor_at_once(ordered: bool) -> None:
    pull = _whole_range(
        1, 20_000, concurrency=8, ordered=ordered, page_size=PAGE_SIZE, quota_known=True
    )
    assert pull.first_round == 8, pull


def test_an_unordered_pull_starts_one_slice_per_cursor() -> None:
    """Every slice ends in a partial page: unordered, one starting slice per cursor is enough.

    Starting with two per cursor cost 222-225 requests for 200 pages on these days; one per
    cursor costs 214-226 (218 on average), because an unordered slice is cut for the other
    cursors as soon as it holds more than its share.
    """
    requests = [
        _whole_range(seed, 100_000, concurrency=8, ordered=False, page_size=500).requests
        for seed in range(1, 5)
    ]
    assert sum(requests) <= 4 * 220, requests


@pytest.mark.parametrize(
    ("log", "records", "page_size", "seed", "factor"),
    [
        ("search", 100_000, 100, 11, 1.6),
        ("audit", 20_000, 20, 11, 1.5),
        ("search", 20_000, 20, 3, 2.2),
        ("search", 100_000, 100, 3, 2.1),
    ],
)
def test_an_ordered_newest_first_pull_keeps_its_cursors_busy(
    log: str, records: int, page_size: int, seed: int, factor: float
) -> None:
    """Newest first, the pieces next to a cut are delivered last, so they are cut evenly.

    Cutting them like an oldest-first slice (a few small pieces at the cut, then the rest)
    left the oldest part as one slice to deliver first, cut again at every page while the
    buffer was full: 464 and 307 rounds for the first two pulls, where even pieces take 196
    and 164. A newest-first slice being delivered is only delivered once finished, so it is
    not cut sooner than the slices waiting behind it: doing so took the third pull (a slow
    case, 334 rounds) to 449. Nor are the starting slices sized by the first page, as they are
    oldest first: that took the fourth pull from 386 rounds to 475. Once the first page shows
    the order, the starting slices no cursor has read are merged in pairs, one per cursor:
    every slice after the oldest waits whole, so each extra one only costs a partial page. The
    four pulls took 184, 176, 352 and 366 rounds with two per cursor, 185, 164, 263 and 234 so.
    """
    pull = _whole_range(seed, records, concurrency=8, ordered=True, page_size=page_size, log=log)
    assert pull.rounds <= factor * records / page_size / 8, pull
