"""Concurrency hygiene: the suite-wide guards (tests/conftest.py plus ``error::ResourceWarning``)
really fail a test that leaks, and abandoning or cancelling a stream leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator

ROOT = Path(__file__).resolve().parents[2]
LEAKY = Path(__file__).parent / "leak_cases" / "leaky.py"

_AIOHTTP_LEAK = ("Unclosed client session", "ClientSession.__del__", "BaseConnector.__del__")

#: test name in leak_cases/leaky.py -> texts of which its failure must show one.
EXPECTED_FAILURES = {
    "test_leaks_a_pending_task": ("tasks left pending",),
    "test_leaks_an_aiohttp_session": _AIOHTTP_LEAK,
    "test_leaks_a_client_that_was_used": _AIOHTTP_LEAK,
    "test_leaks_a_socket": ("unclosed <socket.socket",),
    "test_leaks_an_open_connection": ("unclosed <StreamWriter", "unclosed transport"),
}


def test_the_guards_fail_every_deliberate_leak(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(LEAKY)),
            *(f"--junitxml={report}", "-o", "junit_logging=no"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-2000:]
    problems: dict[str, str] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = case.get("name", "")
        texts = [
            (element.get("message") or "") + (element.text or "")
            for element in case
            if element.tag in ("failure", "error")
        ]
        problems[name] = problems.get(name, "") + "\n".join(texts)
    assert set(problems) == {*EXPECTED_FAILURES, "test_closes_everything"}
    assert problems["test_closes_everything"] == "", "a clean test failed the guards"
    for name, expected in EXPECTED_FAILURES.items():
        caught = any(text in problems[name] for text in expected)
        assert caught, f"{name} was not caught: {problems[name][:500]!r}"


@pytest.mark.parametrize("ordered", [True, False])
async def test_breaking_out_of_a_stream_leaves_no_task_or_connection(ordered: bool) -> None:
    async with MimecastEmulator(seed=1, records=3_000) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            stream = client.logs.ttp_url(
                start=start, end=end, page_size=20, concurrency=8, ordered=ordered
            )
            async for _record in stream:
                break
            async for _event in client.logs.siem():
                break
    # the autouse guard now checks for pending tasks; ResourceWarnings would be errors


@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
async def test_cancelling_a_pull_mid_flight_leaves_nothing_open(auth_kind: str) -> None:
    async with MimecastEmulator(seed=1, records=3_000, latency=0.005) as emu:
        start, end = emu.time_range
        auth = emu.hmac_auth if auth_kind == "hmac" else emu.oauth2_auth
        async with mc.MimecastClient(auth, base_url=emu.base_url) as client:  # type: ignore[arg-type]
            task = asyncio.ensure_future(
                client.logs.audit(start=start, end=end, page_size=20, concurrency=8).to_list()
            )
            await asyncio.sleep(0.03)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # the client still works after a cancelled pull
            assert await client.groups.find(limit=1).to_list()


async def test_a_timeout_around_a_pull_leaves_nothing_open() -> None:
    async with MimecastEmulator(seed=2, records=3_000, latency=0.005) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    client.logs.ttp_url(start=start, end=end, page_size=10).to_list(), 0.03
                )
