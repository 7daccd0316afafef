"""Raw request helpers for emulator tests: hand-made HMAC signing and a retrying pager."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from typing import Any

import aiohttp

from mimecast_async.testing import MimecastEmulator

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def header_date(moment: datetime | None = None, zone: str = "UTC") -> str:
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return (
        f"{DAYS[moment.weekday()]}, {moment.day:02d} {MONTHS[moment.month - 1]} {moment.year} "
        f"{moment:%H:%M:%S} {zone}"
    )


def body_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def sign(
    emu: MimecastEmulator,
    path: str,
    *,
    date: str | None = None,
    request_id: str | None = None,
    secret_key: str | None = None,
) -> dict[str, str]:
    """Headers signed by hand (MIMECAST_API.md §1), independent of the SDK and the emulator."""
    auth = emu.hmac_auth
    date = date or header_date()
    request_id = request_id or str(uuid.uuid4())
    key = base64.b64decode(secret_key or auth.secret_key)
    message = f"{date}:{request_id}:{path}:{auth.app_key}".encode()
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha1).digest()).decode()
    return {
        "Authorization": f"MC {auth.access_key}:{signature}",
        "x-mc-app-id": auth.app_id,
        "x-mc-date": date,
        "x-mc-req-id": request_id,
        "Content-Type": "application/json",
    }


async def post(
    http: aiohttp.ClientSession,
    emu: MimecastEmulator,
    path: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """POST a signed request; (status, headers, decoded JSON or raw bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(
        emu.base_url + path, data=data, headers=headers or sign(emu, path)
    ) as response:
        raw = await response.read()
        try:
            decoded: Any = json.loads(raw)
        except ValueError:
            decoded = raw
        return response.status, dict(response.headers), decoded


RETRY_ERRORS = (aiohttp.ClientError, ValueError)


async def collect(
    http: aiohttp.ClientSession,
    emu: MimecastEmulator,
    path: str,
    item: dict[str, Any],
    *,
    page_size: int,
    list_key: str | None,
    attempts: int = 50,
) -> list[dict[str, Any]]:
    """Follow ``next`` to the end, retrying any transient failure like a correct client."""
    records: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        pagination: dict[str, Any] = {"pageSize": page_size}
        if token:
            pagination["pageToken"] = token
        body = {"meta": {"pagination": pagination}, "data": [item]}
        for _ in range(attempts):
            try:
                status, _, envelope = await post(http, emu, path, body)
            except RETRY_ERRORS:
                continue
            if status != 200 or not isinstance(envelope, dict):
                continue
            fail = envelope["fail"]
            if fail and all(error["retryable"] for entry in fail for error in entry["errors"]):
                continue
            assert not fail, fail
            break
        else:
            raise AssertionError("too many failures")
        data = envelope["data"]
        records.extend(data[0][list_key] if list_key else data)
        token = envelope["meta"]["pagination"].get("next")
        if not token:
            return records
