"""SIEM files: json and key_value, zipped or not, end of data, faults, and mid-file resume."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from mimecast_async import siem as siem_module
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.siem import parse_siem_file
from mimecast_async.testing import FaultPlan, MimecastEmulator
from tests.helpers import canary_hmac, local_server
from tests.streams.conftest import DecodeWatch, fast_retry


def _pairs(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(event.log_type, event.fields) for event in events]


@pytest.mark.parametrize("file_format", ["json", "key_value"])
@pytest.mark.parametrize("compress", [True, False])
async def test_every_event_of_every_file_once(file_format: str, compress: bool) -> None:
    async with MimecastEmulator(seed=6, siem_files=4) as emu:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.siem(file_format=file_format, compress=compress)  # type: ignore[arg-type]
            events = [event async for event in stream]
        expected = emu.expected_siem_events()
    assert _pairs(events) == expected
    assert stream.files_read == 4 and stream.last_token_reached


async def test_siem_through_faults() -> None:
    siem = "/api/audit/get-siem-logs"
    plan = FaultPlan.script(
        {
            (siem, 1): "server_error",
            (siem, 3): "truncate",
            (siem, 5): "drop_before",
            (siem, 6): "rate_limit_burst",
            (siem, 10): "slow_body",
            (siem, 11): "retryable_fail",
        }
    )
    async with MimecastEmulator(seed=6, siem_files=6, faults=plan) as emu:
        async with mc.MimecastClient(
            emu.hmac_auth, base_url=emu.base_url, retry=fast_retry()
        ) as client:
            events = [event async for event in client.logs.siem()]
        assert sum(emu.stats.faults.values()) >= 6
        assert _pairs(events) == emu.expected_siem_events()


@pytest.mark.parametrize("stop_after", [1, 150, 299, 300, 301, 777])
async def test_siem_checkpoint_resumes_mid_file(stop_after: int) -> None:
    async with MimecastEmulator(seed=8, siem_files=5) as emu:
        expected = emu.expected_siem_events()
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.siem()
            iterator = stream.__aiter__()
            delivered = [await iterator.__anext__() for _ in range(min(stop_after, len(expected)))]
            saved = stream.checkpoint.to_json()
            await iterator.aclose()
            resumed = client.logs.siem(checkpoint=Checkpoint.from_json(saved))
            delivered.extend([event async for event in resumed])
    assert _pairs(delivered) == expected


async def test_siem_files_view_and_checkpoint_per_file() -> None:
    async with MimecastEmulator(seed=8, siem_files=3) as emu:
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            stream = client.logs.siem(file_format="key_value")
            files = []
            async for siem_file in stream.files():
                files.append(siem_file)
                assert stream.checkpoint.token == siem_file.next_token
                assert stream.checkpoint.offset == 0
            assert [f.name for f in files] and all(f.name for f in files)
            assert sum(len(f.events) for f in files) == len(emu.expected_siem_events())


def test_parse_siem_file_formats() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "receipt_20240101.json",
            '{"type": "receipt", "data": [{"datetime": "x", "Act": "Acc"}]}',
        )
        archive.writestr(
            "process_20240101.log", "datetime=y|aCode=abc|Act=Hld\ndatetime=z|aCode=def\n"
        )
    events = parse_siem_file(buffer.getvalue(), "batch.zip")
    assert [(e.log_type, e.fields) for e in events] == [
        ("receipt", {"datetime": "x", "Act": "Acc"}),
        ("process", {"datetime": "y", "aCode": "abc", "Act": "Hld"}),
        ("process", {"datetime": "z", "aCode": "def"}),
    ]
    lines = (
        b'{"type": "delivery", "data": [{"a": "1"}]}\n{"type": "ttp_url", "data": [{"b": "2"}]}\n'
    )
    assert [(e.log_type, e.fields) for e in parse_siem_file(lines)] == [
        ("delivery", {"a": "1"}),
        ("ttp_url", {"b": "2"}),
    ]
    with pytest.raises(mc.ResponseDecodeError):
        parse_siem_file(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(mc.ResponseDecodeError):
        parse_siem_file(b'{"data": [1, 2]}')


async def test_siem_checkpoint_for_another_type_is_refused() -> None:
    async with MimecastEmulator(seed=1, siem_files=1) as emu:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            saved = client.logs.siem(log_type="MTA").checkpoint
            with pytest.raises(mc.InvalidInputError):
                client.logs.siem(log_type="OTHER", checkpoint=saved)
            with pytest.raises(mc.InvalidInputError):
                client.logs.siem(file_format="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize("by_file", [False, True])
async def test_a_read_file_is_freed_before_the_next_is_parsed(
    monkeypatch: pytest.MonkeyPatch, by_file: bool
) -> None:
    watch = DecodeWatch(monkeypatch, siem_module, "parse_siem_file")
    async with MimecastEmulator(seed=6, siem_files=4) as emu:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.siem()
            if by_file:
                async for siem_file in stream.files():
                    watch.firsts.append(siem_file.events[0])
                    del siem_file  # as a consumer that keeps nothing would
            else:
                async for event in stream:
                    if stream.checkpoint.offset == 1:  # the first event of a file
                        watch.firsts.append(event)
    assert len(watch.firsts) == 4
    assert len(watch.held_at_decode) == 3 and not any(watch.held_at_decode)


async def test_a_file_that_cannot_be_read_once_is_fetched_again() -> None:
    # README "Retries": undecodable bodies are retried for reads, SIEM files included
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MTA_1.json", '{"type": "MTA", "data": [{"aCode": "a1"}]}')
    answers = [good.getvalue()[:30], good.getvalue()]  # truncated once, then whole
    requests: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        token = (await request.json())["data"][0].get("token")
        requests.append(token)
        if token == "t1":  # the file after the first: nothing more
            return web.json_response({"meta": {"status": 200}, "data": [], "fail": []})
        headers = {"mc-siem-token": "t1", "Content-Disposition": "attachment; filename=MTA_1.zip"}
        return web.Response(
            body=answers.pop(0), headers=headers, content_type="application/octet-stream"
        )

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=fast_retry()) as client:
            events = [event async for event in client.logs.siem()]
    assert [event.fields for event in events] == [{"aCode": "a1"}]
    assert requests == [None, None, "t1"]
