"""Suite-wide guards: no secret in any log record, no task or session left behind."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.helpers import CANARIES


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1]) + " " + str(record.exc_info[1])
        self.texts.append(text)


_CAPTURE = _Capture()


@pytest.fixture(scope="session", autouse=True)
def _secrets_never_logged() -> Iterator[None]:
    """Capture every mimecast_async log record at DEBUG during the run; fail on a canary."""
    logger = logging.getLogger("mimecast_async")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_CAPTURE)
    try:
        yield
    finally:
        logger.removeHandler(_CAPTURE)
        logger.setLevel(previous)
    leaked = [text for text in _CAPTURE.texts if any(c in text for c in CANARIES)]
    assert not leaked, f"{len(leaked)} log records contain a canary secret: {leaked[:3]}"


@pytest.fixture
def captured_logs() -> list[str]:
    """The log texts captured so far in this session (tests may read the tail)."""
    return _CAPTURE.texts


@pytest.fixture(autouse=True)
async def _no_tasks_left_behind() -> AsyncIterator[None]:
    """Fail a test that leaves a pending task behind (connections close with their session)."""
    before = set(asyncio.all_tasks())
    yield
    await asyncio.sleep(0)
    gc.collect()
    leftover = [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and task is not asyncio.current_task()
    ]
    for task in leftover:
        task.cancel()
    assert not leftover, f"tasks left pending: {leftover}"
