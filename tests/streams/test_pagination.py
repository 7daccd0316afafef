"""AsyncPager and LogStream edge cases against hand-written servers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from mimecast_async.pagination import AsyncPager
from tests.helpers import local_server, ok_envelope
from tests.streams.conftest import DecodeWatch, fast_retry

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)


async def test_pager_follows_next_and_resends_the_original_data() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        token = body["meta"]["pagination"].get("pageToken")
        page = {None: ("p2", [1, 2]), "p2": ("p3", [3]), "p3": (None, [4, 5])}[token]
        pagination = {"pageSize": 2, "next": page[0]} if page[0] else {"pageSize": 2}
        return web.json_response(ok_envelope([{"n": n} for n in page[1]], pagination=pagination))

    async with local_server(handler) as url:
        async with mc.MimecastClient(mc.OAuth2Auth("a", "b"), base_url=url) as client:
            client.engine.tokens = None  # the test server needs no token
            client.engine.auth = mc.HmacAuth("a", "b", "c", "U2VjcmV0S2V5")
            pager: AsyncPager[Any] = AsyncPager(client, "/api/x", {"q": 1}, page_size=2)
            records = await pager.to_list()
    assert [record["n"] for record in records] == [1, 2, 3, 4, 5]
    assert all(body["data"] == [{"q": 1}] for body in seen)
    assert [body["meta"]["pagination"].get("pageToken") for body in seen] == [None, "p2", "p3"]


async def test_a_token_that_comes_back_raises_pagination_error() -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        token = body["meta"]["pagination"].get("pageToken")
        following = {None: "a", "a": "b", "b": "a"}[token]
        return web.json_response(ok_envelope([{"n": 1}], pagination={"next": following}))

    async with local_server(handler) as url:
        async with mc.MimecastClient(
            mc.HmacAuth("a", "b", "c", "U2VjcmV0S2V5"), base_url=url
        ) as client:
            with pytest.raises(mc.PaginationError):
                await AsyncPager(client, "/api/x", {}, page_size=1).to_list()


def _click(moment: datetime, n: int) -> dict[str, Any]:
    return {"date": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"), "url": f"https://x/{n}"}


async def test_log_stream_refuses_records_out_of_time_order() -> None:
    async def handler(request: web.Request) -> web.Response:
        logs = [_click(T0 + timedelta(seconds=s), s) for s in (5, 1, 9)]
        return web.json_response(ok_envelope([{"clickLogs": logs}]))

    async with local_server(handler) as url:
        async with mc.MimecastClient(
            mc.HmacAuth("a", "b", "c", "U2VjcmV0S2V5"), base_url=url
        ) as client:
            stream = client.logs.ttp_url(start=T0, end=T0 + timedelta(minutes=1), concurrency=1)
            with pytest.raises(mc.PaginationError, match="order"):
                await stream.to_list()


async def test_a_server_with_inclusive_windows_and_fat_overlaps_gives_each_record_once() -> None:
    """A server that ignores the window's upper bound entirely still yields each record once."""
    records = [_click(T0 + timedelta(seconds=s // 3), s) for s in range(300)]  # 3 per second

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        item = body["data"][0]
        low = mc.dates.parse_datetime(item["from"])
        chosen = [r for r in records if mc.dates.parse_datetime(r["date"]) >= low]
        token = body["meta"]["pagination"].get("pageToken")
        offset = int(token) if token else 0
        size = body["meta"]["pagination"]["pageSize"]
        page = chosen[offset : offset + size]
        pagination = {"next": str(offset + size)} if offset + size < len(chosen) else {}
        return web.json_response(ok_envelope([{"clickLogs": page}], pagination=pagination))

    async with local_server(handler) as url:
        async with mc.MimecastClient(
            mc.HmacAuth("a", "b", "c", "U2VjcmV0S2V5"), base_url=url, retry=fast_retry()
        ) as client:
            stream = client.logs.ttp_url(
                start=T0, end=T0 + timedelta(seconds=100), page_size=7, concurrency=5
            )
            got = await stream.to_list()
    assert sorted(record.url for record in got) == sorted(r["url"] for r in records)


async def test_pager_drops_a_delivered_page_before_decoding_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        token = (await request.json())["meta"]["pagination"].get("pageToken")
        number = int(token or 0)
        pagination = {"pageSize": 3, "next": str(number + 1)} if number < 4 else {}
        page = [{"page": number, "n": n} for n in range(3)]
        return web.json_response(ok_envelope(page, pagination=pagination))

    watch = DecodeWatch(monkeypatch)
    async with local_server(handler) as url:
        async with mc.MimecastClient(
            mc.HmacAuth("a", "b", "c", "U2VjcmV0S2V5"), base_url=url
        ) as client:
            async for record in AsyncPager[Any](client, "/api/x", {}, page_size=3):
                if record["n"] == 0:
                    watch.firsts.append(record)
    assert len(watch.firsts) == 5
    assert len(watch.held_at_decode) == 4 and not any(watch.held_at_decode)
