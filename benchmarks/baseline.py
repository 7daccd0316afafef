"""The sequential baseline: a log pull written the way existing integrations do it.

Synchronous ``requests.Session``, ``json`` decoding to dicts, one cursor following
``meta.pagination.next``, HMAC-SHA1 signing per MIMECAST_API.md §1 written out here (the SDK is
not imported), the shape of the XSOAR / Sentinel / Splunk connectors' loops.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests

PATH = "/api/ttp/url/get-logs"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def header_date(now: datetime | None = None) -> str:
    """``x-mc-date``: ``Tue, 24 Nov 2015 12:50:11 UTC`` (locale-free)."""
    now = now or datetime.now(timezone.utc)
    return (
        f"{_DAYS[now.weekday()]}, {now.day:02d} {_MONTHS[now.month - 1]} {now.year:04d} "
        f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} UTC"
    )


def body_date(iso: str) -> str:
    """An ISO-8601 time as Mimecast's ``2011-12-03T10:15:30+0000``."""
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def sign(creds: dict[str, str], path: str) -> dict[str, str]:
    """The API 1.0 headers for one request: date:req-id:uri:appKey, HMAC-SHA1, base64."""
    date = header_date()
    request_id = str(uuid.uuid4())
    message = f"{date}:{request_id}:{path}:{creds['app_key']}".encode()
    digest = hmac.new(base64.b64decode(creds["secret_key"]), message, hashlib.sha1).digest()
    return {
        "Authorization": f"MC {creds['access_key']}:{base64.b64encode(digest).decode()}",
        "x-mc-app-id": creds["app_id"],
        "x-mc-date": date,
        "x-mc-req-id": request_id,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def pull(
    emulator: dict[str, Any],
    *,
    page_size: int = 500,
    sink: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, int]:
    """Page the whole time range; returns (records, requests)."""
    creds = emulator["hmac"]
    start, end = emulator["time_range"]
    item = {"from": body_date(start), "to": body_date(end), "route": "all", "scanResult": "all"}
    url = emulator["base_url"] + PATH
    records = requests_sent = 0
    token = None
    with requests.Session() as session:
        while True:
            pagination: dict[str, Any] = {"pageSize": page_size}
            if token:
                pagination["pageToken"] = token
            body = json.dumps({"meta": {"pagination": pagination}, "data": [item]})
            response = session.post(url, data=body, headers=sign(creds, PATH), timeout=60)
            requests_sent += 1
            response.raise_for_status()
            payload = json.loads(response.content)
            if payload.get("fail"):
                raise RuntimeError(f"Mimecast refused the request: {payload['fail']}")
            for entry in payload["data"]:
                for log in entry.get("clickLogs", []):
                    records += 1
                    if sink is not None:
                        sink(log)
            token = payload["meta"].get("pagination", {}).get("next")
            if not token:
                return records, requests_sent
