"""Deliberate leaks, run only in a subprocess by test_hygiene.py: each test must fail there.

The file name does not match ``test_*.py``, so the normal suite never collects it.
"""

from __future__ import annotations

import asyncio
import gc
import socket

import aiohttp

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator


async def test_leaks_a_pending_task() -> None:
    asyncio.ensure_future(asyncio.sleep(3600))  # noqa: RUF006


async def test_leaks_an_aiohttp_session() -> None:
    aiohttp.ClientSession()


async def test_leaks_a_client_that_was_used() -> None:
    async with MimecastEmulator(seed=1, records=10) as emu:
        client = mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url)
        await client.groups.find(limit=1).to_list()
    del client
    gc.collect()


async def test_leaks_a_socket() -> None:
    socket.socket()


async def test_leaks_an_open_connection() -> None:
    async with MimecastEmulator(seed=1, records=10) as emu:
        host, port = emu.base_url.rsplit("/", 1)[1].split(":")
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"")
    del writer


async def test_closes_everything() -> None:
    async with MimecastEmulator(seed=1, records=10) as emu:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            await client.groups.find(limit=1).to_list()
