"""Start time and peak RSS of a large emulator while a client pages through its logs.

Usage: .venv/bin/python benchmarks/emulator_memory.py [--records 1000000] [--pages 400]

The emulator runs in a child process (so its RSS is measured alone, from /proc); this process
pages ``/api/ttp/url/get-logs`` over the whole time range with pageSize 500, oldest first, using
the SDK's raw ``client.request``, and samples the child's VmRSS/VmHWM as it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import mimecast_async as mc
from mimecast_async.dates import format_datetime, parse_datetime


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of ``pid`` in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


async def run(records: int, pages: int) -> dict[str, float]:
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mimecast_async.testing",
        "--records",
        str(records),
        "--seed",
        "1",
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    info = json.loads(await child.stdout.readline())
    ready = time.perf_counter() - started
    rss_start, _ = rss_mb(child.pid)
    start, end = (parse_datetime(text) for text in info["time_range"])
    item = {"from": format_datetime(start), "to": format_datetime(end), "oldestFirst": True}
    fetched = 0
    peak = rss_start
    paging_started = time.perf_counter()
    try:
        async with mc.MimecastClient(mc.HmacAuth(**info["hmac"]), base_url=info["base_url"]) as c:
            token = None
            for _ in range(pages):
                pagination: dict[str, object] = {"pageSize": 500}
                if token:
                    pagination["pageToken"] = token
                envelope = await c.request(
                    "/api/ttp/url/get-logs", [item], meta={"pagination": pagination}
                )
                fetched += len(envelope["data"][0]["clickLogs"])
                token = envelope["meta"]["pagination"].get("next")
                peak = max(peak, rss_mb(child.pid)[0])
                if not token:
                    break
        _, high_water = rss_mb(child.pid)
    finally:
        child.terminate()
        await child.wait()
    elapsed = time.perf_counter() - paging_started
    return {
        "records": records,
        "ready_seconds": round(ready, 3),
        "rss_after_start_mb": round(rss_start, 1),
        "records_paged": fetched,
        "paging_seconds": round(elapsed, 2),
        "records_per_second": round(fetched / elapsed),
        "peak_rss_sampled_mb": round(peak, 1),
        "peak_rss_vmhwm_mb": round(high_water, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=400, help="pages of 500 to fetch")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.records, args.pages))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
