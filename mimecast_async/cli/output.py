"""The JSON Lines output: a locked file, truncated back to the committed offset; or stdout."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from typing import BinaryIO

from .errors import EXIT_LOCKED, CliError

__all__ = ["Output", "open_output"]


class Output:
    """Where records go; ``sync()`` makes everything written durable and returns the offset."""

    def __init__(self, path: str | None, handle: BinaryIO, offset: int | None) -> None:
        self.path = path
        self._handle = handle
        self.start_offset = offset
        self.bytes_written = 0

    @property
    def display(self) -> str:
        return self.path or "<stdout>"

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self.bytes_written += len(data)

    def sync(self) -> int | None:
        """Flush (and for a file, fsync); the byte offset the output now ends at."""
        self._handle.flush()
        if self.path is None:
            return None
        os.fsync(self._handle.fileno())
        return self._handle.tell()

    def close(self) -> None:
        if self.path is not None:
            self._handle.close()  # also drops the lock
        else:
            with contextlib.suppress(OSError, ValueError):
                self._handle.flush()


def open_output(path: str, resume_offset: int | None) -> tuple[Output, str | None]:
    """Open ``path`` for writing without damaging it; returns the output and a note (or None).

    * ``-`` is stdout (no offset: a resume after a crash may repeat records there).
    * With ``resume_offset`` (from the state file) the file is truncated back to that offset:
      whatever lies beyond it was written after the last commit and is written again. A missing
      or empty file is taken as rotated away and started afresh; a file shorter than the offset
      is refused (exit 2), as records the state counts as written are gone.
    * Without it, an existing file is appended to.

    The file is locked (``flock``) so two pulls never write it at once (exit 75).
    """
    if path == "-":
        return Output(None, sys.stdout.buffer, None), None
    if os.path.isdir(path):
        raise CliError(f"cannot write --out {path}: it is a directory")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:
        raise CliError(f"cannot open --out {path}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CliError(
                f"another mimecast-async process is writing {path}; try again later", EXIT_LOCKED
            ) from None
        size = os.fstat(fd).st_size
        note = None
        if resume_offset is None:
            offset = size
        elif size >= resume_offset:
            offset = resume_offset
            if size > offset:
                os.ftruncate(fd, offset)
                note = f"dropped {size - offset} uncommitted bytes at the end of {path}"
        elif size == 0:
            offset = 0
            note = f"{path} was empty or missing (rotated?): writing a new file"
        else:
            raise CliError(
                f"--out {path} is {size} bytes but the checkpoint says {resume_offset} were "
                "written: it was truncated or replaced; restore it or use a new --checkpoint"
            )
        os.lseek(fd, offset, os.SEEK_SET)
        handle = open(fd, "wb", buffering=1 << 20, closefd=True)  # noqa: SIM115
    except BaseException:
        os.close(fd)
        raise
    return Output(os.path.abspath(path), handle, offset), note
