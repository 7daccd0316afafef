"""Progress on stderr: a rich bar on a terminal, plain lines as a fallback, or nothing."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import Any, Protocol, TextIO

from .timespec import format_instant

__all__ = ["Progress", "Stats", "make_progress"]


class Stats:
    """Counters of one command run, shared by the puller and the progress display."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.records = 0
        self.pages = 0
        self.windows = 0
        self.window: tuple[datetime, datetime] | None = None
        self.position: datetime | None = None
        self.rate_limit_waits = 0
        self.rate_limit_waited = 0.0
        self.status = "starting"

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.records / self.elapsed

    @property
    def fraction(self) -> float | None:
        """How far through the current window the delivered records are (0..1)."""
        if self.window is None:
            return None
        start, end = self.window
        if self.position is None:
            return 0.0
        span = (end - start).total_seconds()
        done = (self.position - start).total_seconds()
        return min(1.0, max(0.0, done / span)) if span > 0 else 1.0

    def describe_position(self) -> str:
        if self.window is None:
            return ""
        fraction = self.fraction or 0.0
        at = format_instant(self.position) if self.position else format_instant(self.window[0])
        return f"window {fraction:.0%} (at {at})"


class Progress(Protocol):
    def update(self) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    def update(self) -> None:
        pass

    def stop(self) -> None:
        pass


class PlainProgress:
    """One line every ``interval`` seconds (for terminals without rich, or --progress plain)."""

    def __init__(self, stats: Stats, stream: TextIO, interval: float = 2.0) -> None:
        self.stats = stats
        self.stream = stream
        self.interval = interval
        self._last = 0.0

    def update(self) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        s = self.stats
        parts = [
            f"{s.label}: {s.records:,} records ({s.rate:,.0f}/s)",
            f"{s.pages:,} pages",
            s.describe_position(),
            f"rate-limit waits {s.rate_limit_waits}",
            s.status,
        ]
        self.stream.write(", ".join(part for part in parts if part) + "\n")
        self.stream.flush()

    def stop(self) -> None:
        pass


class RichProgress:
    """A rich progress bar over the window (or a spinner for SIEM), refreshed by rich."""

    def __init__(self, stats: Stats, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self.stats = stats
        columns: list[Any] = [
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
        ]
        if stats.window is not None:
            columns += [BarColumn(), TaskProgressColumn()]
        columns += [
            TextColumn("{task.fields[records]} records"),
            TextColumn("{task.fields[rate]}/s"),
            TextColumn("{task.fields[pages]} pages"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
        ]
        self._bar = RichBar(
            *columns,
            console=Console(file=stream, force_terminal=True),
            refresh_per_second=8,
            transient=False,
        )
        self._task = self._bar.add_task(
            stats.label, total=1000 if stats.window else None, **self._fields()
        )
        self._bar.start()

    def _fields(self) -> dict[str, Any]:
        s = self.stats
        detail = s.status
        if s.position is not None:
            detail = f"at {format_instant(s.position)}"
        if s.rate_limit_waits:
            detail += f", {s.rate_limit_waits} rate-limit waits ({s.rate_limit_waited:.1f}s)"
        return {
            "records": f"{s.records:,}",
            "rate": f"{s.rate:,.0f}",
            "pages": f"{s.pages:,}",
            "detail": detail,
        }

    def update(self) -> None:
        fraction = self.stats.fraction
        completed = None if fraction is None else int(fraction * 1000)
        self._bar.update(self._task, completed=completed, **self._fields())

    def stop(self) -> None:
        self.update()
        self._bar.stop()


def make_progress(mode: str, quiet: bool, stats: Stats, stream: TextIO | None = None) -> Progress:
    """``mode``: auto (rich on a terminal, else nothing), rich, plain or off."""
    stream = stream or sys.stderr
    if quiet or mode == "off":
        return NoProgress()
    if mode == "auto":
        if not stream.isatty():
            return NoProgress()
        mode = "rich"
    if mode == "rich":
        try:
            return RichProgress(stats, stream)
        except ImportError:
            return PlainProgress(stats, stream)
    return PlainProgress(stats, stream)
