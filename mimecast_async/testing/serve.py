"""Run the emulator standalone until SIGINT/SIGTERM, printing one JSON line of credentials."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from .emulator import MimecastEmulator
from .quota import RateLimit

__all__ = ["build_parser", "main", "serve"]


def _port(text: str) -> int:
    """A TCP port number, 0..65535 (argparse reports anything else as a usage error)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {port}")
    return port


def build_parser(
    prog: str = "python -m mimecast_async.testing",
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """The emulator's command-line options (reused by ``mimecast-async emulator``)."""
    parser = parser_class(prog=prog, description="Run a local Mimecast API emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0 = any free port)")
    parser.add_argument("--records", type=int, default=10_000, help="records per log type")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="time from a request to its answer (ms)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for data and credentials")
    parser.add_argument(
        "--rate-limit",
        type=RateLimit.parse,
        default=None,
        metavar="LIMIT/WINDOW",
        help="quota per credential, e.g. 100/60 (calls per seconds)",
    )
    parser.add_argument("--inclusive-end", action="store_true", help="treat to/end as inclusive")
    return parser


async def serve(emulator: MimecastEmulator, stop: asyncio.Event | None = None) -> None:
    """Start ``emulator``, print its JSON line, serve until ``stop`` or SIGINT/SIGTERM."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix loops
            pass
    async with emulator:
        sys.stdout.write(json.dumps(emulator.credentials()) + "\n")
        sys.stdout.flush()
        try:
            await stop.wait()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> int:
    """Parse ``argv`` and serve; returns the exit status."""
    parser = build_parser(prog or "python -m mimecast_async.testing", parser_class)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.records < 0 or args.latency_ms < 0:
        parser.error("--records and --latency-ms must be >= 0")
    emulator = MimecastEmulator(
        seed=args.seed,
        records=args.records,
        latency=args.latency_ms / 1000.0,
        rate_limit=args.rate_limit,
        inclusive_end=args.inclusive_end,
        host=args.host,
        port=args.port,
    )
    try:
        asyncio.run(serve(emulator))
    except OSError as error:
        print(f"emulator: cannot serve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover - signal handler normally catches it
        pass
    return 0
