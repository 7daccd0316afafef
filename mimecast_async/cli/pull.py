"""``mimecast-async pull``: stream a log type to JSON Lines, exactly once, with resume and tail.

The loop: take a page from ``stream.pages()``, append its records to the output, remember the
stream checkpoint taken right after it; every ``--commit-interval`` seconds (and at the end, on
an error or on SIGINT/SIGTERM) fsync the output and atomically replace the state file with the
checkpoint and the output offset (see :mod:`.state`). A resume truncates the output back to the
committed offset and continues the stream from the committed checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import operator
import os
import signal
import sys
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import msgspec

from ..checkpoint import Checkpoint
from ..client import MimecastClient
from ..fanout import MAX_CONCURRENCY
from ..pagination import MAX_PAGE_SIZE
from ..resources.logs import (
    ATTACHMENT_RESULTS,
    IDENTIFIERS,
    ROUTES,
    SCAN_RESULTS,
    SEARCH_FIELDS,
)
from .config import Connection, add_connection_options, build_client, emulator_source
from .config import make_emulator as _make_emulator
from .errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError
from .output import Output, open_output
from .progress import Progress, Stats, make_progress
from .state import PullState, check_writable_dir, load_state, write_atomic
from .timespec import format_instant, parse_duration, parse_instant

__all__ = ["STREAMS", "StreamKind", "add_pull_parser", "run_pull"]


@dataclass(frozen=True)
class StreamKind:
    """One ``pull`` target: its ``client.logs`` method and the filter options it takes."""

    name: str
    method: str
    filters: tuple[str, ...]
    help: str

    @property
    def siem(self) -> bool:
        return self.method == "siem"


STREAMS: dict[str, StreamKind] = {
    kind.name: kind
    for kind in (
        StreamKind("ttp-url", "ttp_url", ("route", "scan_result"), "URL Protect click logs"),
        StreamKind(
            "ttp-impersonation",
            "ttp_impersonation",
            ("route", "tagged_malicious", "search_field", "query", "identifiers", "actions"),
            "Impersonation Protect logs",
        ),
        StreamKind(
            "ttp-attachment", "ttp_attachment", ("route", "result"), "Attachment Protect logs"
        ),
        StreamKind("search-logs", "search", ("query", "endpoint"), "archive search logs"),
        StreamKind("audit", "audit", ("query", "categories"), "audit events"),
        StreamKind(
            "siem", "siem", ("log_type", "file_format", "compress"), "SIEM log files (MTA events)"
        ),
    )
}

PULL_EPILOG = """\
Exactly once: with --checkpoint, the state file records the stream position and the output
byte offset together; rerun the same command after a crash or kill and the output is truncated
back to that offset and the pull resumes, so every record is in the file once. The state pins
the query (stream, filters, window, source and output): a --since 24h rerun resumes the window
the first run resolved. A finished pull is marked done: rerunning it writes nothing new (use
--catch-up or --follow to continue from where it ended). Without --checkpoint an existing
--out is appended to; --out - writes to stdout (a resume there may repeat records).
"""


def _add_filters(parser: argparse.ArgumentParser, kind: StreamKind) -> None:
    group = parser.add_argument_group(f"{kind.name} filters")
    wanted = set(kind.filters)
    if "route" in wanted:
        group.add_argument("--route", choices=ROUTES, default="all", help="(default all)")
    if "scan_result" in wanted:
        group.add_argument("--scan-result", choices=SCAN_RESULTS, default="all", help="(all)")
    if "result" in wanted:
        group.add_argument("--result", choices=ATTACHMENT_RESULTS, default="all", help="(all)")
    if "tagged_malicious" in wanted:
        group.add_argument(
            "--tagged-malicious",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="only logs tagged (or, with --no-..., not tagged) malicious",
        )
    if "search_field" in wanted:
        group.add_argument("--search-field", choices=SEARCH_FIELDS, help="field --query searches")
    if "query" in wanted:
        group.add_argument("--query", help="text to search for")
    if "identifiers" in wanted:
        group.add_argument(
            "--identifier",
            dest="identifiers",
            action="append",
            choices=IDENTIFIERS,
            help="repeatable",
        )
    if "actions" in wanted:
        group.add_argument("--action", dest="actions", action="append", help="repeatable")
    if "categories" in wanted:
        group.add_argument("--category", dest="categories", action="append", help="repeatable")
    if "endpoint" in wanted:
        group.add_argument(
            "--archive-search-logs",
            dest="endpoint",
            action="store_const",
            const="get-archive-search-logs",
            default="get-search-logs",
            help="read /api/archive/get-archive-search-logs instead of get-search-logs",
        )
    if "log_type" in wanted:
        group.add_argument("--log-type", default="MTA", help="SIEM log type (default MTA)")
    if "file_format" in wanted:
        group.add_argument(
            "--file-format", choices=("json", "key_value"), default="json", help="(json)"
        )
    if "compress" in wanted:
        group.add_argument(
            "--no-compress",
            dest="compress",
            action="store_false",
            help="ask for uncompressed files",
        )


def _add_common(parser: argparse.ArgumentParser, kind: StreamKind) -> None:
    if not kind.siem:
        window = parser.add_argument_group("window (default with --emulator: all its data)")
        exclusive = window.add_mutually_exclusive_group()
        exclusive.add_argument("--since", metavar="DURATION", help="e.g. 24h, 7d, 90m, 1h30m")
        exclusive.add_argument("--start", metavar="ISO", help="start (inclusive), e.g. 2024-05-01")
        window.add_argument("--end", metavar="ISO", help="end (exclusive; default now)")
    out = parser.add_argument_group("output and resume")
    out.add_argument("--out", "-o", required=True, metavar="FILE", help="JSON Lines file, or -")
    out.add_argument("--checkpoint", metavar="FILE", help="state file for exactly-once resume")
    out.add_argument(
        "--commit-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="commit the state at most this often (0: after every page; default 1)",
    )
    tail = parser.add_argument_group("tail mode")
    tail.add_argument(
        "--follow", "-f", action="store_true", help="keep pulling new records as time passes"
    )
    tail.add_argument(
        "--catch-up",
        action="store_true",
        help="finish, then pull what is new since the last window once and exit (for cron)",
    )
    tail.add_argument(
        "--poll-interval", type=float, default=60.0, metavar="S", help="--follow pause (60)"
    )
    if not kind.siem:
        tail.add_argument(
            "--lag",
            type=float,
            default=0.0,
            metavar="S",
            help="new windows end this many seconds before now (lets late logs arrive)",
        )
    perf = parser.add_argument_group("performance")
    if not kind.siem:
        perf.add_argument(
            "--concurrency", type=int, default=8, metavar="N", help="cursors (1-64, default 8)"
        )
        perf.add_argument(
            "--page-size", type=int, default=500, metavar="N", help="records per page (1-500)"
        )
        perf.add_argument(
            "--unordered", action="store_true", help="write records as they arrive (faster)"
        )
    ui = parser.add_argument_group("display")
    ui.add_argument(
        "--progress",
        choices=("auto", "rich", "plain", "off"),
        default="auto",
        help="progress on stderr (auto: a bar when stderr is a terminal)",
    )
    ui.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary")
    ui.add_argument("--debug", action="store_true", help="tracebacks on errors")
    add_connection_options(parser)


def add_pull_parser(subparsers: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    from .errors import EXIT_CODES_HELP

    pull = subparsers.add_parser(
        "pull",
        help="pull a log type to JSON Lines (exactly once with --checkpoint)",
        description="Pull Mimecast logs to JSON Lines, one record per line, Mimecast field names.",
        epilog=PULL_EPILOG + "\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    streams = pull.add_subparsers(dest="stream", metavar="STREAM", required=True)
    for kind in STREAMS.values():
        # the SDK's method name works too (``search`` for search-logs, ``ttp_url``, ...)
        aliases = sorted({kind.method, kind.method.replace("_", "-")} - {kind.name})
        sub = streams.add_parser(
            kind.name,
            aliases=aliases,
            help=kind.help,
            description=f"Pull {kind.help} to JSON Lines.",
            epilog=PULL_EPILOG + "\n" + EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        _add_filters(sub, kind)
        _add_common(sub, kind)
        sub.set_defaults(command="pull", stream=kind.name)


# -- planning (pure, before any output is opened) ------------------------------------------------


def filters_of(args: argparse.Namespace, kind: StreamKind) -> dict[str, Any]:
    """The ``client.logs.<method>`` keyword filters the command line asked for."""
    filters: dict[str, Any] = {}
    for name in kind.filters:
        value = getattr(args, name, None)
        if value is None or value == []:
            continue
        filters[name] = list(value) if isinstance(value, list) else value
    return filters


def requested_origin(args: argparse.Namespace) -> dict[str, Any] | None:
    """The window as given on the command line (None when no window option was given)."""
    since, start, end = (getattr(args, name, None) for name in ("since", "start", "end"))
    if since is None and start is None and end is None:
        return None
    if since is not None:
        parse_duration(since)
    return {
        "since": since.strip() if since else None,
        "start": format_instant(parse_instant(start, "--start")) if start else None,
        "end": format_instant(parse_instant(end, "--end")) if end else None,
    }


def resolve_window(origin: dict[str, Any], anchor: datetime) -> tuple[datetime, datetime]:
    """``origin`` (since/start/end) resolved against ``anchor`` (now, or the emulator's end)."""
    end = parse_instant(origin["end"], "--end") if origin.get("end") else anchor
    if origin.get("start"):
        start = parse_instant(origin["start"], "--start")
    elif origin.get("since"):
        start = end - parse_duration(origin["since"])
    else:
        raise CliError("pass --since (e.g. 24h) or --start to choose the window to pull")
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    if end <= start:
        raise CliError(
            f"the window is empty: --end {format_instant(end)} is not after "
            f"the start {format_instant(start)}"
        )
    return start, end


def _origin_text(origin: dict[str, Any]) -> str:
    shown = " ".join(f"--{key} {value}" for key, value in origin.items() if value)
    return shown or "all emulator data"


def check_pin(
    state: PullState, path: str, expected: dict[str, Any], origin: dict[str, Any] | None
) -> None:
    """Refuse (exit 2) a state file written for another query, source or output."""
    actual = {
        "stream": state.stream,
        "filters": state.filters,
        "source": state.source,
        "output": state.output_path,
    }
    differences = [
        f"{name} {actual[name]!r} (this run: {expected[name]!r})"
        for name in ("stream", "filters", "source", "output")
        if actual[name] != expected[name]
    ]
    if origin is not None and origin != state.origin:
        differences.append(
            f"window {_origin_text(state.origin)} (this run: {_origin_text(origin)})"
        )
    if differences:
        raise CliError(
            f"checkpoint file {path} was written for another pull: "
            + "; ".join(differences)
            + ". Use another --checkpoint, or remove it to start over"
        )


def _validate_numbers(args: argparse.Namespace, kind: StreamKind) -> None:
    if not kind.siem:
        if not 1 <= args.concurrency <= MAX_CONCURRENCY:
            raise CliError(f"--concurrency must be 1..{MAX_CONCURRENCY}")
        if not 1 <= args.page_size <= MAX_PAGE_SIZE:
            raise CliError(f"--page-size must be 1..{MAX_PAGE_SIZE}")
        if args.lag < 0:
            raise CliError("--lag must be >= 0")
    if args.commit_interval < 0 or args.poll_interval < 0:
        raise CliError("--commit-interval and --poll-interval must be >= 0")
    if args.follow and args.catch_up:
        raise CliError("--follow and --catch-up exclude each other")
    if (args.follow or args.catch_up) and getattr(args, "end", None):
        raise CliError("--end cannot be combined with --follow or --catch-up")
    if args.checkpoint and os.path.abspath(args.checkpoint) == os.path.abspath(args.out):
        raise CliError("--checkpoint and --out must be different files")


# -- committing -------------------------------------------------------------------------------


class Committer:
    """Pairs the output offset with the checkpoint that covers it and commits them together."""

    def __init__(self, path: str | None, state: PullState, output: Output, interval: float) -> None:
        self.path = path
        self.state = state
        self.output = output
        self.interval = interval
        self.pending: Checkpoint | None = None
        self.pending_records = 0
        self.writing = False
        self._last = time.monotonic()

    def write(self, data: bytes) -> None:
        self.writing = True  # until noted, the output holds bytes no checkpoint covers
        self.output.write(data)

    def note(self, checkpoint: Checkpoint, records: int) -> None:
        """The output now ends exactly where ``checkpoint`` stands."""
        self.pending = checkpoint
        self.pending_records += records
        self.writing = False
        if time.monotonic() - self._last >= self.interval:
            self.commit()

    def commit(self, *, force: bool = False) -> None:
        if self.writing:
            return  # a page was half written: the next run truncates back to the last commit
        if self.pending is None and not force:
            return
        offset = self.output.sync()
        if self.pending is not None:
            self.state.checkpoint = self.pending
        self.state.records += self.pending_records
        if self.state.offset is not None:
            self.state.offset = offset
        if self.path is not None:
            write_atomic(self.path, self.state.to_json())
        self.pending = None
        self.pending_records = 0
        self._last = time.monotonic()


# -- running ----------------------------------------------------------------------------------


@dataclass
class Plan:
    kind: StreamKind
    filters: dict[str, Any]
    state: PullState
    fresh: bool


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


async def _pull_window(
    client: MimecastClient,
    args: argparse.Namespace,
    plan: Plan,
    committer: Committer,
    stats: Stats,
    progress: Progress,
) -> None:
    """Pull the state's current window (or the SIEM feed) to its end, committing as it goes."""
    state, kind = plan.state, plan.kind
    encoder = msgspec.json.Encoder()
    gate = client.engine.gate
    base_waits = stats.rate_limit_waits - gate.waits
    base_waited = stats.rate_limit_waited - gate.waited

    def tick() -> None:
        stats.rate_limit_waits = base_waits + gate.waits
        stats.rate_limit_waited = base_waited + gate.waited
        progress.update()

    if kind.siem:
        siem = client.logs.siem(checkpoint=state.checkpoint, **plan.filters)
        stats.status = "reading SIEM files"
        async with contextlib.aclosing(cast(AsyncGenerator[Any, None], siem.files())) as files:
            async for siem_file in files:
                events = [event.to_dict() for event in siem_file.events]
                if events:
                    committer.write(encoder.encode_lines(events))
                stats.records += len(events)
                stats.pages += 1
                committer.note(siem.checkpoint, len(events))
                tick()
                del siem_file, events  # not held while the next file is fetched
        return
    assert state.window is not None
    start, end = state.window
    stream = getattr(client.logs, kind.method)(
        start=start,
        end=end,
        page_size=args.page_size,
        concurrency=args.concurrency,
        ordered=not args.unordered,
        checkpoint=state.checkpoint,
        **plan.filters,
    )
    stamp: Callable[[Any], datetime] = operator.attrgetter(stream.spec.timestamp)
    stats.window = state.window
    stats.status = "pulling"
    pages_before = stats.pages
    async with contextlib.aclosing(stream.pages()) as pages:
        async for page in pages:
            items = page.items
            if items:
                committer.write(encoder.encode_lines(items))
                last = stamp(items[-1])
                if stats.position is None or last > stats.position or not stream.ordered:
                    stats.position = max(last, stats.position or last)
            stats.records += len(items)
            stats.pages = pages_before + stream.pages_fetched
            committer.note(stream.checkpoint, len(items))
            tick()
            del page, items  # not held while the next page is decoded: it reuses their memory
    stats.pages = pages_before + stream.pages_fetched
    stats.position = end
    tick()


def _advance(plan: Plan, args: argparse.Namespace) -> bool:
    """Start the next tail window ([previous end, now - lag)); False when nothing is due yet."""
    state = plan.state
    if plan.kind.siem:
        state.done = False
        return True
    assert state.window is not None
    new_end = _now() - timedelta(seconds=args.lag)
    if (new_end - state.window[1]).total_seconds() < 1:
        return False
    state.window = (state.window[1], new_end)
    state.checkpoint = None
    state.done = False
    return True


async def _run(
    conn: Connection,
    args: argparse.Namespace,
    plan: Plan,
    output: Output,
    stats: Stats,
    progress: Progress,
) -> None:
    state = plan.state
    committer = Committer(args.checkpoint, state, output, args.commit_interval)
    committer.commit(force=True)  # pins the query and the output's start before any request
    tailing = args.follow or args.catch_up
    need_sleep = False
    advanced = False
    while True:
        if not state.done:
            try:
                await _pull_window(conn.client, args, plan, committer, stats, progress)
            finally:
                committer.commit()
            state.done = True
            state.windows += 1
            stats.windows += 1
            committer.commit(force=True)
            need_sleep = True
        if not tailing or (args.catch_up and advanced):
            return
        if args.follow and need_sleep:
            stats.status = f"waiting {args.poll_interval:g}s for new records"
            progress.update()
            await asyncio.sleep(args.poll_interval)
        need_sleep = False
        if _advance(plan, args):
            advanced = True
            committer.commit(force=True)  # the new window is pinned before it is pulled
        elif args.catch_up:
            return
        else:
            need_sleep = True


def _summary(stats: Stats, output: str, outcome: str) -> str:
    text = (
        f"{stats.label}: {stats.records:,} records, {stats.pages:,} "
        f"{'files' if stats.label == 'siem' else 'pages'} in {stats.elapsed:.1f}s "
        f"({stats.rate:,.0f} records/s) -> {output}; {outcome}"
    )
    if stats.rate_limit_waits:
        text += f"; {stats.rate_limit_waits} rate-limit waits ({stats.rate_limit_waited:.1f}s)"
    return text


def run_pull(args: argparse.Namespace) -> int:
    """Validate everything, then open the output, then pull (see the module docstring)."""
    kind = STREAMS[args.stream]
    _validate_numbers(args, kind)
    origin = None if kind.siem else requested_origin(args)
    filters = filters_of(args, kind)
    out_path = None if args.out == "-" else os.path.abspath(args.out)
    emulator = _make_emulator(args) if args.emulator else None
    source = emulator_source(args) if args.emulator else "api"
    concurrency = 1 if kind.siem else args.concurrency
    if emulator is None:
        build_client(args, None, concurrency)  # credentials are checked before anything else

    state = load_state(args.checkpoint) if args.checkpoint else None
    expected = {"stream": kind.name, "filters": filters, "source": source, "output": out_path}
    if state is not None:
        assert args.checkpoint is not None
        check_pin(state, args.checkpoint, expected, origin)
        if not kind.siem and state.window is None:
            raise CliError(f"checkpoint file {args.checkpoint} has no window", EXIT_USAGE)
        fresh = False
    else:
        window = None
        if not kind.siem:
            if origin is None and emulator is not None:
                window = emulator.time_range
                origin = {"since": None, "start": None, "end": None}
            elif origin is None:
                raise CliError("pass --since (e.g. 24h) or --start to choose the window to pull")
            else:
                anchor = emulator.time_range[1] if emulator is not None else _now()
                if emulator is None and not origin.get("end"):
                    anchor -= timedelta(seconds=args.lag)
                window = resolve_window(origin, anchor)
        state = PullState(
            stream=kind.name,
            filters=filters,
            source=source,
            origin=origin or {},
            window=window,
            checkpoint=None,
            output_path=out_path,
            offset=0 if out_path else None,
        )
        fresh = True
    if args.checkpoint:
        check_writable_dir(args.checkpoint, "--checkpoint")
    stats = Stats(kind.name)
    stats.window = state.window
    display = out_path or "<stdout>"
    if state.done and not (args.follow or args.catch_up):
        if not args.quiet:
            print(
                _summary(
                    stats,
                    display,
                    "nothing new: the checkpoint says this pull is done "
                    "(use --catch-up or --follow to continue past its end)",
                ),
                file=sys.stderr,
            )
        return EXIT_OK

    plan = Plan(kind, filters, state, fresh)
    output, note = open_output(args.out, None if fresh else state.offset)
    outcome = "failed"
    try:
        if state.offset is not None:
            state.offset = output.start_offset
        if note and not args.quiet:
            print(f"mimecast-async: note: {note}", file=sys.stderr)
        interrupted = asyncio.run(_execute(args, plan, emulator, output, stats, concurrency))
        if interrupted:
            outcome = "interrupted (the checkpoint covers everything written)"
        elif not fresh:
            outcome = "done (resumed)"
        else:
            outcome = "done"
    finally:
        output.close()
        if outcome != "failed" and not args.quiet:
            print(_summary(stats, display, outcome), file=sys.stderr)
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


async def _execute(
    args: argparse.Namespace,
    plan: Plan,
    emulator: Any | None,
    output: Output,
    stats: Stats,
    concurrency: int,
) -> bool:
    """Start the emulator (if any) and the client, then pull; True when interrupted."""
    async with contextlib.AsyncExitStack() as stack:
        if emulator is not None:
            await stack.enter_async_context(emulator)
        client = build_client(args, emulator, concurrency)
        await stack.enter_async_context(client)
        conn = Connection(client, emulator, plan.state.source)
        progress = make_progress(args.progress, args.quiet, stats)
        stack.callback(progress.stop)
        return await _guarded(_run(conn, args, plan, output, stats, progress))


async def _guarded(work: Any) -> bool:
    """Run ``work`` in a task that SIGINT/SIGTERM cancel; True when it was interrupted."""
    task: asyncio.Task[None] = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix or thread
            pass
    try:
        await task
    except asyncio.CancelledError:
        if not received:
            raise
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
    return bool(received)
