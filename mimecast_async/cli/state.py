"""The pull state file: stream checkpoint and output byte offset, committed together atomically.

Format (JSON, one object)::

    {
      "format": "mimecast-async/pull-state", "version": 1,
      "stream": "ttp-url",                     # what is pulled ...
      "filters": {"route": "all", ...},        # ... with which filters (CLI names)
      "source": "api" | "emulator(seed=1,records=100000)",
      "origin": {"since": "24h", "start": null, "end": null},   # the window as first asked
      "window": {"start": "...Z", "end": "...Z"} | null,         # the window being pulled
      "checkpoint": {...},                      # mimecast_async.Checkpoint.to_dict()
      "output": {"path": "/abs/out.jsonl", "offset": 123456},   # path/offset null for stdout
      "done": false,                            # the window (or SIEM feed) was pulled to its end
      "records": 1000, "windows": 1,            # totals written under this state
      "updated": "...Z"
    }

A commit first flushes and fsyncs the output, then writes the state to a temporary file in the
same directory, fsyncs it, renames it over the old state (atomic on POSIX) and fsyncs the
directory. So the state on disk always describes a prefix of the output that is on disk, and a
resume truncates the output back to ``offset``: every record ends up in the file exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..checkpoint import Checkpoint
from ..errors import InvalidInputError
from .errors import CliError
from .timespec import format_instant, parse_instant

__all__ = ["FORMAT", "PullState", "load_state", "write_atomic"]

FORMAT = "mimecast-async/pull-state"
VERSION = 1


@dataclass
class PullState:
    """What a state file says (see the module docstring)."""

    stream: str
    filters: dict[str, Any]
    source: str
    origin: dict[str, Any]
    window: tuple[datetime, datetime] | None
    checkpoint: Checkpoint | None
    output_path: str | None
    offset: int | None
    done: bool = False
    records: int = 0
    windows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "stream": self.stream,
            "filters": self.filters,
            "source": self.source,
            "origin": self.origin,
            "window": (
                {"start": format_instant(self.window[0]), "end": format_instant(self.window[1])}
                if self.window
                else None
            ),
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "output": {"path": self.output_path, "offset": self.offset},
            "done": self.done,
            "records": self.records,
            "windows": self.windows,
            "updated": format_instant(datetime.now(timezone.utc).replace(microsecond=0)),
        }

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n").encode()


def _corrupt(path: str, why: str) -> CliError:
    return CliError(
        f"checkpoint file {path} is not a valid mimecast-async state ({why}); "
        "fix or remove it (removing restarts the pull; the output is left as is)"
    )


def parse_state(raw: Any, path: str) -> PullState:
    """Validate a decoded state document; CliError (exit 2) when anything is off."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise _corrupt(path, "not a pull state")
    if raw.get("version") != VERSION:
        raise _corrupt(path, f"version {raw.get('version')!r}, this tool writes {VERSION}")
    try:
        stream, filters, source = raw["stream"], raw["filters"], raw["source"]
        origin, output = raw["origin"], raw["output"]
        if not isinstance(stream, str) or not isinstance(source, str):
            raise ValueError("stream and source must be strings")
        if not isinstance(filters, dict) or not isinstance(origin, dict):
            raise ValueError("filters and origin must be objects")
        if not isinstance(output, dict):
            raise ValueError("output must be an object")
        output_path, offset = output.get("path"), output.get("offset")
        if output_path is not None and not isinstance(output_path, str):
            raise ValueError("output.path must be a string or null")
        if offset is not None and (
            isinstance(offset, bool) or not isinstance(offset, int) or offset < 0
        ):
            raise ValueError("output.offset must be a non-negative integer")
        if (output_path is None) != (offset is None):
            raise ValueError("output.path and output.offset go together")
        window_raw = raw.get("window")
        window: tuple[datetime, datetime] | None = None
        if window_raw is not None:
            if not isinstance(window_raw, dict):
                raise ValueError("window must be an object")
            start = parse_instant(str(window_raw["start"]), "window.start")
            end = parse_instant(str(window_raw["end"]), "window.end")
            if end <= start:
                raise ValueError("window end must be after its start")
            window = (start, end)
        checkpoint_raw = raw.get("checkpoint")
        checkpoint = Checkpoint.from_dict(checkpoint_raw) if checkpoint_raw is not None else None
        done, records, windows = raw.get("done"), raw.get("records", 0), raw.get("windows", 0)
        if not isinstance(done, bool):
            raise ValueError("done must be true or false")
        for name, value in (("records", records), ("windows", windows)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
    except (KeyError, TypeError, ValueError, InvalidInputError, CliError) as error:
        why = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise _corrupt(path, why) from None
    return PullState(
        stream=stream,
        filters=filters,
        source=source,
        origin=origin,
        window=window,
        checkpoint=checkpoint,
        output_path=output_path,
        offset=offset,
        done=done,
        records=records,
        windows=windows,
    )


def load_state(path: str) -> PullState | None:
    """The state at ``path``, None when there is none yet; CliError when it is unusable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(16 * 1024 * 1024 + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CliError(f"--checkpoint {path} is a directory") from None
    except OSError as error:
        raise CliError(f"cannot read --checkpoint {path}: {error.strerror}") from None
    if len(data) > 16 * 1024 * 1024:
        raise _corrupt(path, "larger than 16 MiB")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested too deep: corrupt too
        raise _corrupt(path, "not JSON") from None
    return parse_state(raw, path)


def check_writable_dir(path: str, option: str) -> None:
    """Fail early (exit 2) when the directory of ``path`` cannot take new files."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"cannot write {option} {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CliError(f"cannot write {option} {path}: directory {directory} is not writable")


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same directory, fsync, rename, fsync dir."""
    directory = os.path.dirname(os.path.abspath(path))
    # a new state file is private (it may hold a SIEM token, SECURITY.md); a replaced one keeps
    # the mode its owner gave it
    mode = 0o600
    with contextlib.suppress(OSError):
        mode = os.stat(path).st_mode & 0o777
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
