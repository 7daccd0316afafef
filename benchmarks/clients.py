"""One measured pull in this process; prints one JSON line of measurements.

Usage (the runner, ``benchmarks/run.py``, calls this in a fresh subprocess per measurement):

    python benchmarks/clients.py MODE --emulator '<emulator JSON line>' [--concurrency 8]
        [--unordered] [--page-size 500]

MODE is one of:

* ``baseline``: what integrations do today (``baseline.py``): synchronous ``requests``, ``json``.
* ``sdk``: ``client.logs.ttp_url(start, end, page_size, concurrency, ordered)``.
* ``floor``: a bare aiohttp loop (one cursor, or ``--concurrency`` cursors each fetching full
  pages, see ``pull_floor``) over the same pages with the same signing, decoded by
  ``msgspec.json.decode`` into the SDK's envelope and ``TtpUrlLog`` structs: the least client CPU
  any asyncio client built on aiohttp + msgspec can spend.

Measured around the pull only (imports and start-up excluded): wall seconds
(``time.perf_counter``), client CPU seconds (``time.process_time``), minor page faults
(``getrusage``), peak RSS of this process (``VmHWM`` from /proc, which covers start-up too),
records received, HTTP requests sent and HTTP 429 answers received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

PATH = "/api/ttp/url/get-logs"


class Meter:
    """Wall seconds, CPU seconds and minor page faults of this process over a ``with`` block."""

    def __enter__(self) -> Meter:
        self._start = (time.perf_counter(), time.process_time(), _minor_faults())
        return self

    def __exit__(self, *exc_info: object) -> None:
        wall0, cpu0, faults0 = self._start
        self.result = {
            "wall": time.perf_counter() - wall0,
            "cpu": time.process_time() - cpu0,
            "minor_faults": _minor_faults() - faults0,
        }


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Count429(logging.Handler):
    """Counts the SDK's retry log lines for RateLimitError (one per 429 received)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "RateLimitError" in record.getMessage():
            self.count += 1


async def pull_sdk(emulator: dict[str, Any], concurrency: int, ordered: bool, page_size: int):
    import mimecast_async as mc
    from mimecast_async.dates import parse_datetime

    counter = _Count429()
    logger = logging.getLogger("mimecast_async")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    start, end = (parse_datetime(text) for text in emulator["time_range"])
    auth = mc.HmacAuth(**emulator["hmac"])
    records = 0
    async with mc.MimecastClient(
        auth, base_url=emulator["base_url"], max_concurrency=max(8, concurrency)
    ) as client:
        stream = client.logs.ttp_url(
            start=start, end=end, page_size=page_size, concurrency=concurrency, ordered=ordered
        )
        with Meter() as meter:
            async for _record in stream:
                records += 1
        requests_sent = client.engine.requests_sent
        gate_waits = client.engine.gate.waits
    return {
        "records": records,
        **meter.result,
        "requests": requests_sent,
        "http_429": counter.count,
        "gate_waits": gate_waits,
    }


async def pull_floor(emulator: dict[str, Any], page_size: int, concurrency: int) -> dict[str, Any]:
    """The least client work: one cursor, or ``concurrency`` cursors each fetching full pages.

    With ``concurrency`` > 1 each cursor fetches the first 500-record page of the whole window
    (the same server work as any full page) until as many pages as the pull needs were received:
    the transport ceiling of this machine and emulator, with no slicing, ordering or retries.
    """
    import aiohttp
    import msgspec
    from baseline import body_date, sign

    from mimecast_async.envelope import Envelope
    from mimecast_async.models.logs import TtpUrlLog

    click_logs = msgspec.defstruct(
        "ClickLogs", [("clickLogs", list[TtpUrlLog], msgspec.field(default_factory=list))]
    )
    decoder = msgspec.json.Decoder(Envelope[click_logs], strict=False)
    encoder = msgspec.json.Encoder()
    creds = emulator["hmac"]
    start, end = emulator["time_range"]
    item = {"from": body_date(start), "to": body_date(end), "route": "all", "scanResult": "all"}
    url = emulator["base_url"] + PATH
    counts = {"records": 0, "requests": 0}
    pages = [-(-emulator.get("records", 100_000) // page_size)]  # pages left to fetch (shared)

    async def fetch(session: aiohttp.ClientSession, token: str | None) -> str | None:
        pagination: dict[str, Any] = {"pageSize": page_size}
        if token:
            pagination["pageToken"] = token
        body = encoder.encode({"meta": {"pagination": pagination}, "data": [item]})
        async with session.post(url, data=body, headers=sign(creds, PATH)) as response:
            payload = await response.read()
        counts["requests"] += 1
        envelope = decoder.decode(payload)
        for entry in envelope.data:
            counts["records"] += len(entry.clickLogs)
        pagination_meta = envelope.meta.pagination
        return pagination_meta.next if pagination_meta else None

    async def cursor(session: aiohttp.ClientSession) -> None:
        if concurrency == 1:  # one cursor following next, like the baseline
            token = None
            while True:
                token = await fetch(session, token)
                if not token:
                    return
        while pages[0] > 0:  # c cursors, each fetching a full page, no slicing logic at all
            pages[0] -= 1
            await fetch(session, None)

    async with aiohttp.ClientSession() as session:
        with Meter() as meter:
            await asyncio.gather(*(cursor(session) for _ in range(concurrency)))
    return {**meter.result, "http_429": 0, **counts}


def pull_baseline(emulator: dict[str, Any], page_size: int) -> dict[str, Any]:
    import baseline

    with Meter() as meter:
        records, requests_sent = baseline.pull(emulator, page_size=page_size, sink=None)
    return {"records": records, **meter.result, "requests": requests_sent, "http_429": 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("baseline", "sdk", "floor"))
    parser.add_argument("--emulator", required=True, help="the emulator's JSON line")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--unordered", action="store_true")
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    emulator = json.loads(args.emulator)
    if args.mode == "baseline":
        result = pull_baseline(emulator, args.page_size)
    elif args.mode == "floor":
        result = asyncio.run(pull_floor(emulator, args.page_size, args.concurrency or 1))
    else:
        result = asyncio.run(
            pull_sdk(emulator, args.concurrency or 8, not args.unordered, args.page_size)
        )
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
