"""Fixtures for the admin resources: an emulator and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator


@pytest.fixture
async def emu() -> AsyncIterator[MimecastEmulator]:
    async with MimecastEmulator(seed=1, records=100) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: MimecastEmulator) -> AsyncIterator[mc.MimecastClient]:
    async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as session:
        yield session
