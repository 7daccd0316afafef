"""Pure properties of the lazy log generator: monotonic timestamps, O(log n) windows, filters."""

from __future__ import annotations

import gc
from collections import Counter

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from mimecast_async.testing import MimecastEmulator
from mimecast_async.testing.logdata import PROFILE_COUNT, Selection, Timeline, build_sources
from mimecast_async.testing.wire import format_epoch, parse_body_date, parse_header_date

START = 1_700_000_000
WEEK = 7 * 86400


@settings(max_examples=60, deadline=None)
@given(
    records=st.integers(1, 5_000),
    seed=st.integers(0, 2**32),
    a=st.integers(-10, WEEK + 10),
    b=st.integers(-10, WEEK + 10),
    inclusive=st.booleans(),
)
def test_timeline_bounds_match_brute_force(
    records: int, seed: int, a: int, b: int, inclusive: bool
) -> None:
    timeline = Timeline(START, WEEK, records, seed)
    seconds = [timeline.second(i) for i in range(records)]
    assert seconds == sorted(seconds)
    # the emulator's page-at-a-time path agrees with the per-record one, in either order
    assert timeline.seconds(range(records)) == seconds
    assert timeline.seconds(range(records - 1, -1, -1)) == seconds[::-1]
    assert seconds[0] >= START and seconds[-1] < START + WEEK
    low, high = timeline.bounds(START + a, START + b, inclusive_end=inclusive)
    brute = [
        i
        for i, t in enumerate(seconds)
        if t >= START + a and (t <= START + b if inclusive else t < START + b)
    ]
    assert list(range(low, high)) == brute


def test_density_is_uneven_and_ties_exist() -> None:
    timeline = Timeline(START, WEEK, 100_000, 5)
    hour_low, hour_high = timeline.dense_hour
    in_hour = timeline.first_at_or_after(hour_high) - timeline.first_at_or_after(hour_low)
    assert in_hour >= 40_000  # 40% (plus the burst minute) of the records in 1/168 of the range
    ties = Counter(timeline.second(i) for i in range(100_000))
    assert max(ties.values()) > 100


@settings(max_examples=60, deadline=None)
@given(
    low=st.integers(0, 3 * PROFILE_COUNT),
    span=st.integers(0, 3 * PROFILE_COUNT),
    residues=st.sets(st.integers(0, PROFILE_COUNT - 1), max_size=50),
)
def test_selection_indexes_match_brute_force(low: int, span: int, residues: set[int]) -> None:
    ordered = sorted(residues)
    selection = Selection(low, low + span, ordered)
    brute = [i for i in range(low, low + span) if i % PROFILE_COUNT in residues]
    assert selection.total == len(brute)
    assert [selection.index(p) for p in range(selection.total)] == brute
    assert selection.indices(range(selection.total)) == brute
    everything = Selection(low, low + span, list(range(PROFILE_COUNT)))  # no filter
    assert everything.indices(range(everything.total)) == list(range(low, low + span))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), first=st.integers(0, 4_000), oldest_first=st.booleans())
def test_pages_are_the_records_one_by_one(seed: int, first: int, oldest_first: bool) -> None:
    sources = build_sources(seed, 5_000, START, WEEK)
    for name, source in sources.items():
        filters = {"route": "inbound"} if name == "ttp_url" else {}
        selection = source.select(START, START + WEEK, filters, inclusive_end=True)
        stop = min(first + 500, selection.total)
        page = source.page(selection, first, stop, oldest_first=oldest_first)
        if oldest_first:
            positions = range(first, stop)
        else:
            positions = range(selection.total - 1 - first, selection.total - 1 - stop, -1)
        assert page == [source.record(selection.index(p)) for p in positions]


def test_records_are_deterministic_and_unique() -> None:
    first = build_sources(3, 5_000, START, WEEK)
    second = build_sources(3, 5_000, START, WEEK)
    other = build_sources(4, 5_000, START, WEEK)
    for name, source in first.items():
        records = [source.record(i) for i in range(0, 5_000, 7)]
        assert records == [second[name].record(i) for i in range(0, 5_000, 7)]
        assert records != [other[name].record(i) for i in range(0, 5_000, 7)]
        assert len({repr(record) for record in records}) == len(records)


def test_records_stay_out_of_the_garbage_collector() -> None:
    # a page of containers the collector tracks made its pauses (10 to 30 ms) delay the
    # emulator's answers beyond their latency; the builders share parts encoded once
    for name, source in build_sources(2, 5_000, START, WEEK).items():
        selection = source.select(START, START + WEEK, {}, inclusive_end=True)
        page = source.page(selection, 0, 500, oldest_first=True)
        assert page and not any(map(gc.is_tracked, page)), name


def test_expected_records_are_plain_json() -> None:
    emulator = MimecastEmulator(seed=2, records=2_000)
    start, end = emulator.time_range
    for name in ("ttp_url", "ttp_impersonation"):
        records = emulator.expected(name, start, end)
        assert records == msgspec.json.decode(msgspec.json.encode(records))
        nested = [value for value in records[0].values() if not isinstance(value, str | int)]
        assert nested and all(type(value) is list for value in nested)


def test_wire_dates() -> None:
    assert format_epoch(0) == "1970-01-01T00:00:00+0000"
    for text in ("2011-12-03T10:15:30+0000", "2011-12-03T10:15:30Z", "2011-12-03T10:15:30+00:00"):
        assert format_epoch(int(parse_body_date(text))) == "2011-12-03T10:15:30+0000"
    assert parse_body_date("2011-12-03T11:15:30+0100") == parse_body_date("2011-12-03T10:15:30Z")
    utc = parse_header_date("Sun, 21 Aug 2022 13:49:40 UTC")
    assert utc == parse_header_date("Sun, 21 Aug 2022 13:49:40 GMT")
    assert format_epoch(int(utc)) == "2022-08-21T13:49:40+0000"
