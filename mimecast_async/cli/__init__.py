"""The ``mimecast-async`` command: ``pull`` logs to JSON Lines, ``call`` admin operations,
serve the ``emulator``. ``main(argv)`` returns the exit code (documented in ``--help``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from .errors import EXIT_CODES_HELP, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, exit_code, one_line

__all__ = ["build_parser", "main"]

PROG = "mimecast-async"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mimecast_async")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def build_parser(*, with_operations: bool = False) -> argparse.ArgumentParser:
    """The whole command line; ``with_operations`` adds one sub-parser per admin operation."""
    from .call import add_call_parser
    from .pull import add_pull_parser

    parser = _Parser(
        prog=PROG,
        description="Pull Mimecast logs to JSON Lines (exactly once, resumable), call admin "
        "operations, or run the bundled emulator.",
        epilog="examples:\n"
        "  mimecast-async pull ttp-url --since 24h --out urls.jsonl --checkpoint urls.state\n"
        "  mimecast-async pull ttp-url --emulator --out demo.jsonl     # no credentials needed\n"
        "  mimecast-async call senders.block --sender bad@evil.example --to me@corp.example\n"
        "  mimecast-async emulator --port 8080 --records 100000\n\n"
        "credentials: MIMECAST_CLIENT_ID + MIMECAST_CLIENT_SECRET (API 2.0), or MIMECAST_APP_ID,\n"
        "MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY + MIMECAST_SECRET_KEY (API 1.0), with\n"
        "MIMECAST_BASE_URL or MIMECAST_REGION; or --config FILE (TOML).\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    add_pull_parser(commands, _Parser)
    add_call_parser(commands, _Parser, with_operations=with_operations)
    commands.add_parser(
        "emulator",
        help="serve the bundled Mimecast emulator (--port, --records, --latency-ms, --seed)",
        add_help=False,
    )
    return parser


def _emulator(argv: list[str]) -> int:
    from ..testing.serve import main as serve

    try:
        return serve(argv, prog=f"{PROG} emulator", parser_class=_Parser)
    except SystemExit as exit_:  # a usage error (one line, see _Parser) or --help
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        try:
            return _emulator(arguments[1:])
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    parser = build_parser(with_operations=arguments[:1] == ["call"])
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    debug = getattr(args, "debug", False)
    try:
        if args.command == "pull":
            from .pull import run_pull

            return run_pull(args)
        from .call import run_call

        return asyncio.run(run_call(args))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of stdout went away (e.g. `| head`): stop quietly, no second error at exit
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        print(f"{PROG}: error: stdout was closed by its reader (broken pipe)", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # every error leaves as one line and a documented code
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {one_line(error)}", file=sys.stderr)
        return exit_code(error)


def run() -> None:  # pragma: no cover - console entry convenience
    sys.exit(main())
