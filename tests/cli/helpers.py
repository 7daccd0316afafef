"""Helpers for CLI tests: run the real command, read JSON Lines, compare with the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from mimecast_async.dates import parse_datetime

CLI = [sys.executable, "-m", "mimecast_async.cli"]
TIME_FIELDS = ("date", "eventTime", "createTime")


def normalise(record: dict[str, Any]) -> bytes:
    """A canonical form of a record: timestamps as instants, keys sorted."""
    fixed = dict(record)
    for name in TIME_FIELDS:
        if isinstance(fixed.get(name), str):
            fixed[name] = parse_datetime(fixed[name]).isoformat()
    return msgspec.json.encode(fixed, order="sorted")


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSON Lines file; fails on a partial or non-JSON line."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "the file ends in a partial line"
    return [json.loads(line) for line in data.splitlines()]


def assert_exactly_once(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    got_counts = Counter(map(normalise, got))
    want_counts = Counter(map(normalise, expected))
    duplicates = sum(count - 1 for count in got_counts.values() if count > 1)
    missing = sum((want_counts - got_counts).values())
    extra = sum((got_counts - want_counts).values())
    assert (duplicates, missing, extra) == (0, 0, 0), (
        f"{len(got)} lines / {len(expected)} expected: {duplicates} duplicated, "
        f"{missing} missing, {extra} unexpected"
    )


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any MIMECAST_* variable, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIMECAST_")}
    env.update(extra)
    return env


@contextmanager
def emulator_process(*args: str) -> Iterator[dict[str, Any]]:
    """``python -m mimecast_async.testing --port 0 ...``; yields its first JSON line."""
    # stderr goes to a file, not a pipe nobody drains: the server logs a traceback for every
    # client killed mid-response, and a full pipe would freeze it (found by make soak)
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "mimecast_async.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=errors,
        env=clean_env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            errors.seek(0)
        assert line, errors.read().decode() or "no output"
        yield json.loads(line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        errors.close()


def hmac_env(info: dict[str, Any]) -> dict[str, str]:
    """Environment variables that point the CLI at an emulator subprocess."""
    keys = info["hmac"]
    return clean_env(
        MIMECAST_BASE_URL=info["base_url"],
        MIMECAST_APP_ID=keys["app_id"],
        MIMECAST_APP_KEY=keys["app_key"],
        MIMECAST_ACCESS_KEY=keys["access_key"],
        MIMECAST_SECRET_KEY=keys["secret_key"],
    )
