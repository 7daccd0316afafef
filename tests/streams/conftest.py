"""Shared helpers for log-stream tests against the emulator."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import pytest

import mimecast_async as mc
from mimecast_async import _engine as engine_module
from mimecast_async.dates import parse_datetime
from mimecast_async.testing import MimecastEmulator
from tests.helpers import FakeClock

TIME_FIELDS = ("date", "eventTime", "createTime")
STREAMS = ("ttp_url", "ttp_impersonation", "ttp_attachment", "search", "audit")


def normalise(record: dict[str, Any]) -> bytes:
    """A canonical form of a record: timestamps as instants, keys sorted."""
    fixed = dict(record)
    for name in TIME_FIELDS:
        if isinstance(fixed.get(name), str):
            fixed[name] = parse_datetime(fixed[name]).isoformat()
    return msgspec.json.encode(fixed, order="sorted")


def wire_stamp(record: dict[str, Any]) -> datetime:
    """The timestamp of a record as the emulator sends it."""
    for name in TIME_FIELDS:
        if name in record:
            return parse_datetime(record[name])
    raise AssertionError(f"no timestamp in {record!r}")


def stamp_of(record: Any) -> datetime:
    for name in ("date", "event_time", "create_time"):
        value = getattr(record, name, None)
        if value is not None:
            return value  # type: ignore[no-any-return]
    raise AssertionError(f"no timestamp on {record!r}")


def assert_exactly(got: list[Any], expected: list[dict[str, Any]]) -> None:
    """``got`` (typed records) holds every expected record exactly once, and nothing else."""
    got_counts = Counter(normalise(record.to_dict()) for record in got)
    expected_counts = Counter(normalise(record) for record in expected)
    duplicates = sum(count - 1 for count in got_counts.values() if count > 1)
    missing = expected_counts - got_counts
    extra = got_counts - expected_counts
    assert not duplicates and not missing and not extra, (
        f"{len(got)} got / {len(expected)} expected: {duplicates} duplicated, "
        f"{sum(missing.values())} missing, {sum(extra.values())} unexpected"
    )


def fast_retry(**kwargs: Any) -> mc.RetryPolicy:
    clock = FakeClock()
    return mc.RetryPolicy(sleep=clock.sleep, clock=clock, seed=5, max_attempts=8, **kwargs)


SLOW_PAGE_SIZE = 20
SLOW_CONCURRENCY = 4


async def pull_slowly(name: str, ordered: bool, watch: Callable[[Any], None]) -> None:
    """Pull 4,000 records of ``name`` with a consumer that pauses after every page.

    Page size ``SLOW_PAGE_SIZE`` and ``SLOW_CONCURRENCY`` cursors, so the cursors read as far
    ahead as the stream lets them; ``watch(stream)`` runs before the first record and after
    each one. Asserts that exactly the emulator's records came out.
    """
    async with MimecastEmulator(seed=21, records=4_000) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream: Any = getattr(client.logs, name)(
                start=start,
                end=end,
                page_size=SLOW_PAGE_SIZE,
                concurrency=SLOW_CONCURRENCY,
                ordered=ordered,
            )
            watch(stream)
            records = []
            async for record in stream:
                records.append(record)
                watch(stream)
                if len(records) % SLOW_PAGE_SIZE == 0:
                    await asyncio.sleep(0.002)  # let every cursor read ahead as far as it may
        expected = emu.expected(name, start, end)
    assert_exactly(records, expected)


class DecodeWatch:
    """At every page decode, notes whether the first record of the last page is still held.

    The first record of each page goes to ``firsts``: appended by the consumer, or taken from
    the decoder's result by ``first_of``. ``held_at_decode`` then says, per later decode, whether
    anything but that list still referred to it. The decoder watched is ``module.name`` (by
    default the engine's envelope decoder).
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        module: Any = engine_module,
        name: str = "decode_envelope",
        first_of: Callable[[Any], Any] | None = None,
    ) -> None:
        self.firsts: list[Any] = []
        self.held_at_decode: list[bool] = []
        decode = getattr(module, name)

        def watching_decode(*args: Any, **kwargs: Any) -> Any:
            if self.firsts:
                referrers = gc.get_referrers(self.firsts[-1])
                self.held_at_decode.append(any(r is not self.firsts for r in referrers))
            result = decode(*args, **kwargs)
            if first_of is not None:
                self.firsts.append(first_of(result))
            return result

        monkeypatch.setattr(module, name, watching_decode)
