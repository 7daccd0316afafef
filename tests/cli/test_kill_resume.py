"""The real console script, SIGKILLed at seeded random moments and rerun, writes each record once.

``MIMECAST_KILL_POINTS`` (default 20) sets how many kills; ``make soak`` runs it with 100.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from mimecast_async.testing import MimecastEmulator
from tests.cli.helpers import (
    CLI,
    assert_exactly_once,
    emulator_process,
    hmac_env,
    read_lines,
)

KILL_POINTS = int(os.environ.get("MIMECAST_KILL_POINTS", "20"))
SEED = 11


def test_sigkill_at_random_moments_then_rerun_gives_every_record_once(tmp_path: Path) -> None:
    records = 700 * KILL_POINTS  # enough work that every kill lands in a pull still running
    rng = random.Random(20261122)
    out, state = tmp_path / "ttp_url.jsonl", tmp_path / "ttp_url.state.json"
    with emulator_process(
        "--records", str(records), "--seed", str(SEED), "--latency-ms", "25"
    ) as info:
        start, end = info["time_range"]
        command = [
            *CLI,
            "pull",
            "ttp-url",
            "--start",
            start,
            "--end",
            end,
            "--out",
            str(out),
            "--checkpoint",
            str(state),
            "--concurrency",
            "3",
            "--page-size",
            "40",
            "--progress",
            "off",
        ]
        env = hmac_env(info)
        killed = finished = 0
        for _ in range(KILL_POINTS):
            interval = rng.choice(["0", "0.05", "0.5"])
            process = subprocess.Popen(
                [*command, "--commit-interval", interval],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(rng.uniform(0.05, 1.2))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
            _, stderr = process.communicate(timeout=60)
            if process.returncode == 0:
                finished += 1
            else:
                assert process.returncode == -signal.SIGKILL, stderr.decode()
        final = subprocess.run(command, env=env, capture_output=True, timeout=300)
        assert final.returncode == 0, final.stderr.decode()
        assert final.stderr.decode().count("\n") == 1  # the one-line summary
    assert killed >= KILL_POINTS * 3 // 4, f"only {killed} of {KILL_POINTS} runs were killed"
    expected = MimecastEmulator(seed=SEED, records=records).expected("ttp_url", start, end)
    lines = read_lines(out)
    assert_exactly_once(lines, expected)
    stamps = [line["date"] for line in lines]
    assert stamps == sorted(stamps)  # ordered pull: oldest first, across every resume
