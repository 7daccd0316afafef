"""Pages waiting for ordered delivery are held packed, and unpack to the very same records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

import mimecast_async as mc
from mimecast_async import fanout
from mimecast_async.fanout import DECODED_PAGES
from mimecast_async.models.logs import ImpersonationLog, ImpersonationResult, TtpUrlLog
from mimecast_async.packing import PackedPage, RawPage, pack, unpack
from mimecast_async.pagination import Page
from mimecast_async.resources.logs import LOG_SPECS
from mimecast_async.retry import RateLimitInfo
from mimecast_async.testing import MimecastEmulator
from tests.streams.conftest import SLOW_CONCURRENCY, SLOW_PAGE_SIZE, STREAMS, pull_slowly


def _page(records: list[Any]) -> Page[Any]:
    return Page(
        records,
        "next-token",
        "this-token",
        RateLimitInfo(limit=60, remaining=59, reset_after=1.0),
        "req-1",
    )


def _emulator_records(name: str, count: int) -> tuple[Any, list[Any], list[Any]]:
    """(spec, wire records, decoded records): the first ``count`` records of ``name``."""
    spec = LOG_SPECS[name]
    emulator = MimecastEmulator(seed=4, records=300)
    start, end = emulator.time_range
    wire = emulator.expected(name, start, end)[:count]
    assert len(wire) == count
    return spec, wire, msgspec.convert(wire, list[spec.record_type], strict=False)


@pytest.mark.parametrize("name", STREAMS)
def test_every_log_record_type_survives_packing_exactly(name: str) -> None:
    spec, _, records = _emulator_records(name, 200)

    packed = pack(_page(records))
    page = unpack(packed, spec.record_type)

    assert page.items == records
    assert (page.next_token, page.token, page.request_id) == ("next-token", "this-token", "req-1")
    assert page.rate_limit == RateLimitInfo(limit=60, remaining=59, reset_after=1.0)
    assert len(packed) == len(records)
    assert len(packed.data) < len(msgspec.json.encode(records)) // 3


def test_offsets_naive_datetimes_and_nested_models_are_kept() -> None:
    plus_one = timezone(timedelta(hours=1))
    records = [
        TtpUrlLog(date=datetime(2024, 5, 1, 9, 30, 1, 250, tzinfo=plus_one), url="https://a"),
        TtpUrlLog(date=datetime(2024, 5, 1, 9, 30, 2), email_parts_description=[]),
        TtpUrlLog(),
    ]
    page = unpack(pack(_page(records)), TtpUrlLog)
    assert page.items == records
    assert page.items[0].date is not None and page.items[0].date.utcoffset() == timedelta(hours=1)
    assert page.items[1].date is not None and page.items[1].date.tzinfo is None

    nested = [
        ImpersonationLog(
            hits=3,
            identifiers=["similar_internal_domain"],
            impersonation_results=[ImpersonationResult(similar_domain="examp1e.com")],
        )
    ]
    assert unpack(pack(_page(nested)), ImpersonationLog).items == nested


def test_a_plain_page_passes_through_and_the_repr_shows_no_content() -> None:
    plain = _page([TtpUrlLog(subject="secret subject")])
    assert unpack(plain, TtpUrlLog) is plain
    packed = pack(plain)
    assert isinstance(packed, PackedPage)
    assert "secret" not in repr(packed) and "1 records" in repr(packed)


@pytest.mark.parametrize("name", ["ttp_url", "audit"])
@pytest.mark.parametrize("ordered", [True, False])
async def test_waiting_pages_beyond_the_decoded_budget_are_packed(
    name: str, ordered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow consumer of an ordered stream finds the pages far ahead of it packed.

    Packing is deferred until the cursor has sent its next request, never further.
    """
    budget = DECODED_PAGES * SLOW_CONCURRENCY * SLOW_PAGE_SIZE
    streams: list[Any] = []
    packed_pages = []
    peak_decoded = 0

    def checked_pack(page: Any) -> Any:
        head = streams[0]._order[0]
        # the ascending slice being delivered streams as it comes: none of its pages is packed
        assert not (head.direction > 0 and any(chunk is page for chunk in head.chunks))
        packed_pages.append(page)
        return pack(page)

    def watch(stream: Any) -> None:
        nonlocal peak_decoded
        if not streams:
            streams.append(stream)
        # in decoded records: a page kept as its response body counts for its share
        decoded_waiting = sum(
            fanout._decoded_size(chunk)
            for slot in stream._order
            if stream._waits(slot)
            for chunk in slot.chunks
            if isinstance(chunk, Page) or (isinstance(chunk, RawPage) and not chunk.packed)
        )
        # packing runs once the cursor that read a page has sent its next request: until
        # then, each cursor may have added one page beyond the budget
        pending = SLOW_CONCURRENCY * SLOW_PAGE_SIZE if stream._packing_scheduled else 0
        assert decoded_waiting <= budget + pending
        peak_decoded = max(peak_decoded, decoded_waiting)

    monkeypatch.setattr(fanout, "pack", checked_pack)
    await pull_slowly(name, ordered, watch)
    if ordered:
        assert packed_pages and peak_decoded > 0
    else:
        assert not packed_pages


@pytest.mark.parametrize("name", ["ttp_url", "audit"])
async def test_pages_that_wait_are_kept_as_their_response_body(name: str) -> None:
    """Ordered, only the ascending slice being delivered holds decoded records.

    Every other page waits as the body it came in (decoded for its timestamps only), so no
    waiting record sits under the garbage collector; audit events page newest first, so even
    the slice being delivered waits (it is reversed once finished).
    """
    kept_raw = 0

    def watch(stream: Any) -> None:
        nonlocal kept_raw
        for position, slot in enumerate(stream._order):
            for chunk in slot.chunks:
                if isinstance(chunk, RawPage):
                    kept_raw += 1
                else:  # decoded: only the slice being delivered (newest first: once reversed)
                    assert position == 0 and (slot.direction > 0 or slot.reversed), chunk

    await pull_slowly(name, True, watch)
    assert kept_raw


@pytest.mark.parametrize("name", STREAMS)
def test_a_raw_page_unpacks_to_the_records_it_keeps(name: str) -> None:
    spec, wire, records = _emulator_records(name, 60)
    data = [{spec.collection: wire}] if spec.collection else wire
    body = msgspec.json.encode({"meta": {"status": 200}, "data": data, "fail": []})

    def decode_body(raw: bytes) -> list[Any]:
        decode_type, extract = spec.page_types(spec.record_type)
        return extract(fanout.decode_envelope(raw, decode_type).data)

    meta = "next-token", "this-token", None, "req-1"
    raw = RawPage(body, False, 10, 50, *meta)
    packed = pack(raw)
    assert packed.packed and len(packed.body) < len(body) // 3 and len(packed) == 40
    for chunk in (raw, packed):
        page = unpack(chunk, spec.record_type, decode_body)
        assert page.items == records[10:50]
        assert (page.next_token, page.token, page.request_id) == meta[:2] + meta[3:]
    assert "RawPage(40 records" in repr(packed)
    with pytest.raises(TypeError):
        unpack(raw, spec.record_type)


async def test_a_waiting_page_whose_records_do_not_decode_is_a_typed_error() -> None:
    """Decoded at delivery, a record of the wrong shape raises ResponseDecodeError there."""
    async with MimecastEmulator(seed=21, records=4_000) as emu:
        source = emu.sources["ttp_url"]
        build = source.builder
        start, end = emu.time_range
        middle = (start + (end - start) / 2).timestamp()

        def broken(index: int, when: str, profile: Any, hashed: int) -> dict[str, Any]:
            record = build(index, when, profile, hashed)
            if source.timeline.second(index) > middle:
                record["emailPartsDescription"] = 5  # not a list of strings
            return record

        source.builder = broken
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end, page_size=20, concurrency=4)
            records = []
            with pytest.raises(mc.ResponseDecodeError) as caught:
                async for record in stream:
                    records.append(record)
    assert records and all(
        record.date <= datetime.fromtimestamp(middle, timezone.utc) for record in records
    )
    assert caught.value.path == "/api/ttp/url/get-logs"
