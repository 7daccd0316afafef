"""Log streams against the emulator: exactly-once, ordering, faults, checkpoints, cancellation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.testing import FaultPlan, MimecastEmulator
from tests.streams.conftest import STREAMS, DecodeWatch, assert_exactly, fast_retry, stamp_of


def _open(client: mc.MimecastClient, name: str, **options: Any) -> Any:
    return getattr(client.logs, name)(**options)


@pytest.mark.parametrize("name", STREAMS)
@pytest.mark.parametrize("concurrency", [1, 4, 16])
@pytest.mark.parametrize("ordered", [True, False])
async def test_every_record_once_for_every_stream(
    name: str, concurrency: int, ordered: bool
) -> None:
    async with MimecastEmulator(seed=11, records=2_500) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = _open(
                client,
                name,
                start=start,
                end=end,
                page_size=40,
                concurrency=concurrency,
                ordered=ordered,
            )
            records = await stream.to_list()
        expected = emu.expected(name, start, end)
    assert_exactly(records, expected)
    if ordered:
        stamps = [stamp_of(record) for record in records]
        assert stamps == sorted(stamps)
    assert stream.checkpoint.done


@pytest.mark.parametrize("inclusive_end", [True, False])
@pytest.mark.parametrize("name", ["ttp_url", "audit"])
async def test_window_edges_whatever_the_servers_inclusivity(
    name: str, inclusive_end: bool
) -> None:
    async with MimecastEmulator(seed=4, records=3_000, inclusive_end=inclusive_end) as emu:
        first, last = emu.time_range
        expected_all = emu.expected(name, first, last + timedelta(seconds=1), inclusive_end=False)
        # cut the window exactly on a record's timestamp, so both edges hold records
        stamps = sorted({record.get("date") or record["eventTime"] for record in expected_all})
        start = mc.dates.parse_datetime(stamps[len(stamps) // 4])
        end = mc.dates.parse_datetime(stamps[3 * len(stamps) // 4])
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            records = await _open(
                client, name, start=start, end=end, page_size=25, concurrency=6
            ).to_list()
        expected = emu.expected(name, start, end, inclusive_end=False)
    assert_exactly(records, expected)
    assert min(map(stamp_of, records)) == start
    assert max(map(stamp_of, records)) < end


async def test_filters_reach_the_server() -> None:
    async with MimecastEmulator(seed=2, records=2_000) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            urls = await client.logs.ttp_url(
                start=start, end=end, route="inbound", scan_result="malicious", page_size=50
            ).to_list()
            attachments = await client.logs.ttp_attachment(
                start=start, end=end, result="malicious", page_size=50
            ).to_list()
            impersonation = await client.logs.ttp_impersonation(
                start=start, end=end, tagged_malicious=True, page_size=50
            ).to_list()
            # §5.5: every TTP log endpoint takes route, impersonation included
            internal = await client.logs.ttp_impersonation(
                start=start, end=end, route="internal", page_size=50
            ).to_list()
        assert_exactly(
            urls, emu.expected("ttp_url", start, end, route="inbound", scanResult="malicious")
        )
        every = emu.expected("ttp_impersonation", start, end)
        assert 0 < len(internal) < len(every)
        assert_exactly(internal, emu.expected("ttp_impersonation", start, end, route="internal"))
        assert_exactly(attachments, emu.expected("ttp_attachment", start, end, result="malicious"))
        assert_exactly(
            impersonation, emu.expected("ttp_impersonation", start, end, taggedMalicious=True)
        )
    assert urls and all(r.route == "inbound" and r.scan_result == "malicious" for r in urls)


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("name", STREAMS)
async def test_exactly_once_through_faults(name: str, ordered: bool) -> None:
    plan = FaultPlan(
        seed=hash(name) % 1000,
        rate=0.2,
        kinds=("server_error", "rate_limit_burst", "drop_before", "drop_after", "truncate"),
    )
    async with MimecastEmulator(seed=7, records=2_000, faults=plan) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(
            emu.hmac_auth, base_url=emu.base_url, retry=fast_retry()
        ) as client:
            records = await _open(
                client, name, start=start, end=end, page_size=30, concurrency=8, ordered=ordered
            ).to_list()
        expected = emu.expected(name, start, end)
        injected = sum(emu.stats.faults.values())
    assert injected > 5
    assert_exactly(records, expected)


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("name", ["ttp_url", "audit"])
async def test_checkpoint_after_record_k_resumes_at_k_plus_one(name: str, ordered: bool) -> None:
    async with MimecastEmulator(seed=9, records=1_500) as emu:
        start, end = emu.time_range
        expected = emu.expected(name, start, end)
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            for stop_after in (1, 17, 40, 41, 333, 900, 1_499):
                delivered: list[Any] = []
                stream = _open(
                    client, name, start=start, end=end, page_size=40, concurrency=5, ordered=ordered
                )
                iterator = stream.__aiter__()
                for _ in range(stop_after):
                    delivered.append(await iterator.__anext__())
                saved = stream.checkpoint.to_json()
                await iterator.aclose()
                resumed = _open(
                    client,
                    name,
                    start=start,
                    end=end,
                    page_size=40,
                    concurrency=5,
                    ordered=ordered,
                    checkpoint=Checkpoint.from_json(saved),
                )
                delivered.extend(await resumed.to_list())
                assert_exactly(delivered, expected)
                if ordered:
                    stamps = [stamp_of(record) for record in delivered]
                    assert stamps == sorted(stamps)


async def test_chained_resumes_through_pages() -> None:
    async with MimecastEmulator(seed=5, records=2_000) as emu:
        start, end = emu.time_range
        expected = emu.expected("ttp_url", start, end)
        delivered: list[Any] = []
        checkpoint: Checkpoint | None = None
        rounds = 0
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            while checkpoint is None or not checkpoint.done:
                rounds += 1
                stream = client.logs.ttp_url(
                    start=start, end=end, page_size=60, concurrency=4, checkpoint=checkpoint
                )
                pages = stream.pages()
                async for page in pages:
                    delivered.extend(page.items)
                    if len(delivered) // 300 >= rounds:
                        break
                await pages.aclose()
                checkpoint = Checkpoint.from_json(stream.checkpoint.to_json())
        assert rounds > 3
        assert_exactly(delivered, expected)


async def test_checkpoint_for_another_query_is_refused() -> None:
    async with MimecastEmulator(seed=1, records=100) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end, route="inbound")
            saved = stream.checkpoint
            with pytest.raises(mc.InvalidInputError, match="different query"):
                client.logs.ttp_url(start=start, end=end, route="outbound", checkpoint=saved)
            with pytest.raises(mc.InvalidInputError, match="different query"):
                client.logs.ttp_url(
                    start=start + timedelta(seconds=1), end=end, route="inbound", checkpoint=saved
                )
            with pytest.raises(mc.InvalidInputError):
                client.logs.audit(start=start, end=end, checkpoint=saved)
            with pytest.raises(mc.InvalidInputError):
                Checkpoint.from_json('{"version": 99}')
            with pytest.raises(mc.InvalidInputError):
                Checkpoint.from_json("not json")
            with pytest.raises(mc.InvalidInputError):  # not a raw RecursionError
                Checkpoint.from_json("[" * 100_000 + "]" * 100_000)
            assert emu.stats.total_requests == 0


@pytest.mark.parametrize(
    "options",
    [
        {"start": datetime(2024, 1, 1)},  # naive
        {
            "start": datetime(2024, 1, 2, tzinfo=timezone.utc),
            "end": datetime(2024, 1, 1, tzinfo=timezone.utc),
        },
        {"page_size": 0},
        {"page_size": 501},
        {"concurrency": 0},
        {"concurrency": 1000},
        {"route": "sideways"},
        {"scan_result": "maybe"},
    ],
)
async def test_bad_stream_arguments_are_refused_before_io(options: dict[str, Any]) -> None:
    arguments = {"start": datetime(2024, 1, 1, tzinfo=timezone.utc), **options}
    async with mc.MimecastClient(
        mc.OAuth2Auth("id", "secret"), base_url="http://127.0.0.1:9"
    ) as client:
        with pytest.raises(mc.InvalidInputError):
            client.logs.ttp_url(**arguments)
        assert client.engine.requests_sent == 0


def _cursors() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and "LogStream._worker" in task.get_coro().__qualname__  # type: ignore[union-attr]
    ]


async def test_breaking_out_cancels_every_cursor() -> None:
    async with MimecastEmulator(seed=3, records=5_000, latency=0.01) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end, page_size=20, concurrency=8)
            count = 0
            async for _ in stream:
                count += 1
                if count == 50:
                    assert len(_cursors()) == 8
                    break
            for _ in range(10):  # the abandoned generator is finalised by the event loop
                await asyncio.sleep(0)
            assert _cursors() == []
            sent = emu.stats.total_requests
            await asyncio.sleep(0.05)
            assert emu.stats.total_requests == sent  # nothing keeps fetching


async def test_aclose_stops_cursors_deterministically() -> None:
    async with MimecastEmulator(seed=3, records=5_000, latency=0.01) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end, page_size=20, concurrency=8)
            iterator = stream.__aiter__()
            await iterator.__anext__()
            await iterator.aclose()
            assert _cursors() == []


async def test_cancelling_the_consumer_cancels_every_cursor() -> None:
    async with MimecastEmulator(seed=3, records=5_000, latency=0.02) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.audit(start=start, end=end, page_size=20, concurrency=8)
            consumer = asyncio.create_task(stream.to_list())
            while stream.pages_fetched < 3:
                await asyncio.sleep(0.005)
            assert _cursors()
            consumer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await consumer
            assert _cursors() == []


async def test_stream_is_iterated_once() -> None:
    async with MimecastEmulator(seed=3, records=10) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(start=start, end=end)
            await stream.to_list()
            with pytest.raises(mc.PaginationError):
                await stream.to_list()


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("by_page", [False, True])
async def test_a_delivered_page_is_freed_before_the_next_is_decoded(
    monkeypatch: pytest.MonkeyPatch, ordered: bool, by_page: bool
) -> None:
    # the next page's records then reuse its memory (measured: a quarter of a c=1 pull's CPU)
    watch = DecodeWatch(monkeypatch)
    async with MimecastEmulator(seed=11, records=400) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(
                start=start, end=end, page_size=50, concurrency=1, ordered=ordered
            )
            count = 0
            if by_page:
                async for page in stream.pages():
                    watch.firsts.append(page.items[0])
                    count += len(page)
                    del page  # as a consumer that keeps nothing would
            else:
                async for record in stream:
                    if count % 50 == 0:  # one slice of full pages: every 50th record starts one
                        watch.firsts.append(record)
                    count += 1
    assert count == 400
    assert len(watch.held_at_decode) >= 6 and not any(watch.held_at_decode)
