"""The transport reads bodies into receive buffers it reuses, and never lends one twice."""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from mimecast_async import transport as transport_module
from mimecast_async.transport import RawResponse, Transport
from tests.helpers import local_server


def _glibc_with_mallinfo2() -> bool:
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return False
    return name == "glibc" and tuple(map(int, version.split(".")[:2])) >= (2, 33)


BODIES = {
    "/big": bytes(random.Random(1).randbytes(300_000)),
    "/small": b'{"meta":{"status":200}}',
    "/medium": bytes(random.Random(2).randbytes(100_000)),
    "/huge": bytes(5 * 1024 * 1024),
}


async def _handler(request: web.Request) -> web.StreamResponse:
    if request.path == "/chunked":  # no Content-Length: the length is only known at the end
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in range(5):
            await response.write(bytes([part]) * 70_000)
        await response.write_eof()
        return response
    if request.path == "/gzip":
        return web.Response(
            body=gzip.compress(BODIES["/big"]), headers={"Content-Encoding": "gzip"}
        )
    if request.path.startswith("/echo/"):
        await asyncio.sleep(0.01)  # keep every request in flight at once
        return web.Response(body=request.path.encode() * 10_000)
    return web.Response(body=BODIES[request.path])


class Served:
    """A transport with up to 8 connections to the local server."""

    def __init__(self, transport: Transport, url: str) -> None:
        self.transport = transport
        self.url = url

    async def send(self, path: str) -> RawResponse:
        return await self.transport.send("POST", self.url + path, {}, b"")


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    transport = Transport(timeout=5, max_connections=8)
    try:
        async with local_server(_handler) as url:
            yield Served(transport, url)
    finally:
        await transport.close()


async def test_bodies_of_every_size_and_framing_come_through_one_reused_buffer(
    served: Served,
) -> None:
    expected = {
        **BODIES,
        "/chunked": b"".join(bytes([part]) * 70_000 for part in range(5)),
        "/gzip": BODIES["/big"],
    }
    buffers = set()
    for path in ["/big", "/small", "/chunked", "/medium", "/gzip", "/big", "/small"]:
        response = await served.send(path)
        view = response.view()
        assert isinstance(view, memoryview)
        assert bytes(view) == expected[path], path
        buffers.add(id(view.obj))
        response.release()
    assert len(buffers) == 1  # one request at a time: the same buffer every time


async def test_a_released_response_keeps_its_copy_and_refuses_its_view(served: Served) -> None:
    copied = await served.send("/medium")
    body = copied.body
    copied.release()
    assert copied.body is body == BODIES["/medium"]
    assert copied.view() is body

    forgotten = await served.send("/medium")
    forgotten.release()
    with pytest.raises(RuntimeError, match="released"):
        forgotten.view()
    # the next response reuses the buffer: the copy above must not change
    again = await served.send("/small")
    assert bytes(again.view()) == BODIES["/small"]
    assert body == BODIES["/medium"]
    again.release()


async def test_responses_in_flight_together_never_share_a_buffer(served: Served) -> None:
    paths = [f"/echo/{index}" for index in range(8)]
    responses = await asyncio.gather(*(served.send(path) for path in paths))
    for path, response in zip(paths, responses, strict=True):
        assert bytes(response.view()) == path.encode() * 10_000
    assert len({id(response.view().obj) for response in responses}) == 8
    for response in responses:
        response.release()


async def test_a_buffer_grown_by_a_huge_body_is_not_kept(served: Served) -> None:
    huge = await served.send("/huge")
    huge_buffer = huge.view().obj
    assert bytes(huge.view()) == BODIES["/huge"]
    huge.release()
    small = await served.send("/small")
    assert small.view().obj is not huge_buffer  # 5 MB is not held for the next page
    small.release()


def test_malloc_is_settled_once_per_process_and_only_on_glibc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    libc = {"name": "glibc 2.36"}

    def confstr(name: str) -> str:
        assert name == "CS_GNU_LIBC_VERSION"
        if not libc["name"]:
            raise ValueError("unrecognized configuration name")
        return libc["name"]

    monkeypatch.setattr(transport_module.os, "confstr", confstr)
    monkeypatch.setattr(transport_module, "_malloc_settled", False)
    assert transport_module.settle_malloc() is True
    assert transport_module.settle_malloc() is False  # once per process
    Transport(timeout=5)  # every transport asks; the first one settled it
    assert transport_module.settle_malloc() is False
    for other in ("", "musl"):  # not glibc: nothing to settle
        libc["name"] = other
        monkeypatch.setattr(transport_module, "_malloc_settled", False)
        assert transport_module.settle_malloc() is False


_MMAPPED_AFTER_ALLOCATING_1_MIB = """
import ctypes, sys
from mimecast_async.transport import settle_malloc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "settle":
    settle_malloc()
before = mallinfo2().hblkhd
block = bytearray(1024 * 1024)
print(mallinfo2().hblkhd - before)
"""


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc 2.33 or newer (mallinfo2)")
@pytest.mark.parametrize("settle", [False, True])
def test_settled_malloc_serves_megabyte_blocks_from_its_heap(settle: bool) -> None:
    # each case in a fresh interpreter: nothing else has moved its malloc thresholds yet
    result = subprocess.run(
        [sys.executable, "-c", _MMAPPED_AFTER_ALLOCATING_1_MIB, "settle" if settle else "no"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GLIBC_TUNABLES": ""},
    )
    mmapped = int(result.stdout)
    if settle:
        assert mmapped == 0  # from the heap: no mmap and munmap (and page faults) per block
    else:
        assert mmapped >= 1024 * 1024  # glibc's starting threshold (128 KB) mmaps it
