"""``make soak``: the long reliability run (not in CI).

1. 2,000 seeded fault plans (tests/reliability/plans.py) over every log stream, HMAC and OAuth2,
   five concurrency levels, ordered and unordered, plus SIEM plans; prints plans, records
   checked, lost, duplicated and unexpected, and fails unless all three are 0.
2. The hypothesis fuzz of the envelope parser with 10,000 examples.
3. The CLI kill-and-resume test with 100 kill points.

Options: ``--plans N`` (default 2000), ``--siem-plans N`` (100), ``--workers N`` (processes,
default: CPU count), ``--fuzz-examples N`` (10000), ``--kill-points N`` (100), ``--skip-fuzz``,
``--skip-kill``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.plans import (  # noqa: E402
    PlanConfig,
    PlanResult,
    run_plan,
    run_siem_plan,
)


def _run_batch(job: tuple[str, list[int]]) -> tuple[str, list[PlanResult]]:
    kind, indexes = job

    async def batch() -> list[PlanResult]:
        results = []
        for index in indexes:
            if kind == "logs":
                results.append(await run_plan(PlanConfig.from_index(index)))
            else:
                auth = ("hmac", "oauth2")[index % 2]
                results.append(await run_siem_plan(index, auth_kind=auth))
        return results

    return kind, asyncio.run(batch())


def fault_soak(plans: int, siem_plans: int, workers: int) -> bool:
    started = time.monotonic()
    jobs: list[tuple[str, list[int]]] = []
    step = 25
    jobs += [("logs", list(range(i, min(i + step, plans)))) for i in range(0, plans, step)]
    jobs += [
        ("siem", list(range(i, min(i + step, siem_plans)))) for i in range(0, siem_plans, step)
    ]
    results: list[PlanResult] = []
    by_stream: Counter[str] = Counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for kind, batch in pool.imap_unordered(_run_batch, jobs):
            results += batch
            by_stream.update(r.config.stream if kind == "logs" else "siem" for r in batch)
            done = len(results)
            if done % 250 < step:
                print(f"  ... {done}/{plans + siem_plans} plans", flush=True)
    elapsed = time.monotonic() - started
    faults: Counter[str] = Counter()
    for result in results:
        faults += result.faults
    checked = sum(r.expected for r in results)
    lost = sum(r.lost for r in results)
    duplicated = sum(r.duplicated for r in results)
    unexpected = sum(r.unexpected for r in results)
    errors = [r for r in results if r.error]
    print()
    print("fault soak")
    print(f"  plans:            {len(results)} ({plans} log-stream, {siem_plans} SIEM)")
    print(f"  records checked:  {checked}")
    print(f"  records lost:     {lost}")
    print(f"  duplicated:       {duplicated}")
    print(f"  unexpected:       {unexpected}")
    print(f"  plans that raised:{len(errors):>6}")
    print(f"  requests served:  {sum(r.requests for r in results)}")
    print(f"  faults injected:  {sum(faults.values())} {dict(sorted(faults.items()))}")
    print(f"  plans per stream: {dict(sorted(by_stream.items()))}")
    print(f"  wall time:        {elapsed:.1f}s on {workers} processes")
    for result in [r for r in results if not r.ok][:10]:
        print("  FAILED", result.describe())
    return not (lost or duplicated or unexpected or errors)


def pytest_run(label: str, env: dict[str, str], *args: str) -> bool:
    print(f"\n{label}", flush=True)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    print(f"  {label}: exit {completed.returncode} in {time.monotonic() - started:.1f}s")
    return completed.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=2000)
    parser.add_argument("--siem-plans", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fuzz-examples", type=int, default=10_000)
    parser.add_argument("--kill-points", type=int, default=100)
    parser.add_argument("--skip-fuzz", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    options = parser.parse_args()

    ok = fault_soak(options.plans, options.siem_plans, options.workers)
    if not options.skip_fuzz:
        ok &= pytest_run(
            f"envelope fuzz: {options.fuzz_examples} hypothesis examples",
            {"MIMECAST_FUZZ_EXAMPLES": str(options.fuzz_examples)},
            "tests/reliability/test_hostile_responses.py",
            "-k",
            "generated_bodies",
        )
    if not options.skip_kill:
        kill_test = ROOT / "tests" / "cli" / "test_kill_resume.py"
        if kill_test.exists():
            ok &= pytest_run(
                f"CLI kill-and-resume: {options.kill_points} kill points",
                {"MIMECAST_KILL_POINTS": str(options.kill_points)},
                str(kill_test),
            )
        else:
            print("\nCLI kill-and-resume: tests/cli/test_kill_resume.py does not exist; skipped")
            ok = False
    print("\nSOAK " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
