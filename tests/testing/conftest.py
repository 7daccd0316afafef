"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from mimecast_async.testing import MimecastEmulator


@pytest.fixture
async def emu() -> AsyncIterator[MimecastEmulator]:
    async with MimecastEmulator(seed=7, records=3_000) as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
