"""MimecastEmulator: a local Mimecast API for tests and benchmarks (see DESIGN.md, Emulator).

Everything is derived from ``seed``: credentials, synthetic logs, SIEM files, admin state and
random fault plans. The log time range is fixed per seed (seven days ending at midnight of a
seeded day in 2024), never the wall clock, so data is reproducible.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

import msgspec
from aiohttp import web

from ..auth import HmacAuth, OAuth2Auth
from .admin import AdminState
from .app import EmulatorApp, EmulatorStats
from .auth_check import HmacCredentials, HmacVerifier, TokenStore
from .faults import FaultPlan
from .logdata import LOG_TYPES, LogSource, build_sources
from .logs import LogOperations
from .operations import Operation
from .paging import TokenQueries
from .quota import QuotaBook, RateLimit
from .siem import SiemFeed, SiemFile
from .wire import encode

__all__ = ["MimecastEmulator"]

Clock = Callable[[], datetime]


def _derive(seed: int, label: str, size: int = 32) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"mimecast-emulator:{seed}:{label}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def _epoch(value: datetime | str | float) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.timestamp()
    if isinstance(value, str):
        from .wire import parse_body_date

        return parse_body_date(value)
    return float(value)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class MimecastEmulator:
    """An aiohttp.web Mimecast API on a loopback port, deterministic from ``seed``.

    ``async with MimecastEmulator(seed=1) as emu:`` then point a client at ``emu.base_url``
    with ``emu.hmac_auth`` or ``emu.oauth2_auth``. Options:

    * ``records``: records per log type, spread over ``time_range`` (lazily generated);
    * ``latency`` / ``latency_jitter``: seconds from a request's arrival to its answer (jitter is
      seeded); the emulator's own work happens inside that time, as on Mimecast's many servers,
      and it wakes early by its timers' learnt lateness (at most 2 ms), so answers are on time;
    * ``rate_limit``: ``RateLimit(limit, window)`` or ``(limit, window)`` per credential;
    * ``faults``: a :class:`FaultPlan`;
    * ``clock``: wall clock (aware datetime) for x-mc-date skew and token expiry;
    * ``max_clock_skew`` (s, default 900), ``token_lifetime`` (s, default 1800);
    * ``inclusive_end``: whether ``to``/``end`` include records at exactly that second;
    * ``binding_expired``: every HMAC call answers 418;
    * ``siem_files``: how many SIEM files the feed holds (default 5);
    * ``host`` (default 127.0.0.1) and ``port`` (default 0 = chosen by the OS).
    """

    def __init__(
        self,
        seed: int = 1,
        records: int = 10_000,
        latency: float = 0.0,
        rate_limit: RateLimit | tuple[int, float] | None = None,
        faults: FaultPlan | None = None,
        *,
        latency_jitter: float = 0.0,
        clock: Clock | None = None,
        max_clock_skew: float = 900.0,
        token_lifetime: float = 1800.0,
        inclusive_end: bool = False,
        binding_expired: bool = False,
        siem_files: int = 5,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if records < 0 or latency < 0 or latency_jitter < 0 or siem_files < 0:
            raise ValueError("records, latency, latency_jitter and siem_files must be >= 0")
        self.seed = seed
        self.records = records
        self.latency = latency
        self.latency_jitter = latency_jitter
        if isinstance(rate_limit, tuple):
            rate_limit = RateLimit(*rate_limit)
        self.rate_limit = rate_limit
        self.faults = faults
        self.clock: Clock = clock or (lambda: datetime.now(timezone.utc))
        self._given_clock = clock  # admin state counts relative dates from it when given
        self.max_clock_skew = max_clock_skew
        self.token_lifetime = token_lifetime
        self.inclusive_end = inclusive_end
        self.binding_expired = binding_expired
        self.host = host
        self.port = port

        end = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(days=seed % 360)
        #: (start, end) of the synthetic logs: seven days, fixed per seed.
        self.time_range: tuple[datetime, datetime] = (end - timedelta(days=7), end)
        start_epoch = int(self.time_range[0].timestamp())
        duration = int((self.time_range[1] - self.time_range[0]).total_seconds())

        self._secret = _derive(seed, "page-secret", 16).hex()
        self._token_queries = TokenQueries(self._secret)
        self.hmac_auth = HmacAuth(
            app_id=str(uuid.UUID(bytes=_derive(seed, "app-id", 16))),
            app_key=str(uuid.UUID(bytes=_derive(seed, "app-key", 16))),
            access_key=base64.urlsafe_b64encode(_derive(seed, "access-key", 45)).decode(),
            secret_key=base64.b64encode(_derive(seed, "secret-key", 64)).decode(),
        )
        self.oauth2_auth = OAuth2Auth(
            client_id=_derive(seed, "client-id", 16).hex(),
            client_secret=_derive(seed, "client-secret", 24).hex(),
        )
        self.stats = EmulatorStats()
        self.sources: dict[str, LogSource] = build_sources(seed, records, start_epoch, duration)
        self.siem = SiemFeed(
            seed, secret=self._secret, files=siem_files, start=start_epoch, duration=duration
        )
        self.admin: AdminState = self._load_admin()
        self.app: EmulatorApp | None = None
        self._runner: web.AppRunner | None = None
        self._base_url = ""

    def _load_admin(self) -> AdminState:
        """The admin state: policies, groups, senders, URLs, holds, archive, tracking, users."""
        return AdminState(self.seed, secret=self._secret, clock=self._given_clock)

    def now(self) -> float:
        """The emulator's wall clock as epoch seconds."""
        return self.clock().timestamp()

    def _operations(self) -> dict[str, Operation]:
        operations: dict[str, Operation] = dict(self.admin.operations())
        logs = LogOperations(
            self.sources, secret=self._secret, now=self.now, inclusive_end=self.inclusive_end
        )
        operations.update(logs.operations())
        return {path: self._token_queries.wrap(op, path) for path, op in operations.items()}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> MimecastEmulator:
        """Bind the port and serve; returns self."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        if self.faults is not None:
            self.faults.reset()
        credentials = HmacCredentials(
            self.hmac_auth.app_id,
            self.hmac_auth.app_key,
            self.hmac_auth.access_key,
            self.hmac_auth.secret_key,
        )
        self.app = app = EmulatorApp(
            base_url=lambda: self._base_url,
            hmac=HmacVerifier(
                credentials,
                now=self.now,
                max_clock_skew=self.max_clock_skew,
                binding_expired=lambda: self.binding_expired,
            ),
            tokens=TokenStore(
                self.oauth2_auth.client_id,
                self.oauth2_auth.client_secret,
                now=self.now,
                lifetime=self.token_lifetime,
            ),
            quota=QuotaBook(self.rate_limit, clock=time.monotonic),
            operations=self._operations(),
            siem=self.siem,
            faults=self.faults,
            latency=self.latency,
            latency_jitter=self.latency_jitter,
            seed=self.seed,
            stats=self.stats,
        )
        runner = web.AppRunner(
            app.application(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{shown}:{port}"
        return self

    async def stop(self) -> None:
        """Close the server and every open connection. Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> MimecastEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` once started."""
        if not self._base_url:
            raise RuntimeError("the emulator is not started")
        return self._base_url

    @property
    def paths(self) -> list[str]:
        """Every POST path served (after start)."""
        if self.app is None:
            raise RuntimeError("the emulator is not started")
        return self.app.paths()

    # -- what a correct client should see --------------------------------------------------

    def expected(
        self,
        log_type: str,
        start: datetime | str | float,
        end: datetime | str | float,
        *,
        inclusive_end: bool | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Every record of ``log_type`` in the window that passes ``filters``, oldest first.

        ``log_type`` is one of ``LOG_TYPES`` ("ttp_url", "ttp_impersonation",
        "ttp_attachment", "search", "audit"); filters use the request's wire names
        (``route``, ``scanResult``, ``result``, ``taggedMalicious``, ``searchField``, ``query``,
        ``identifiers``, ``actions``, ``categories``) or their snake_case. ``inclusive_end``
        defaults to the emulator's. "search" records carry ``museQuery``, which only
        get-search-logs sends (get-archive-search-logs leaves it out).
        """
        if log_type not in self.sources:
            raise ValueError(f"unknown log type {log_type!r}; choose from {LOG_TYPES}")
        source = self.sources[log_type]
        wire = {_camel(name): value for name, value in filters.items()}
        inclusive = self.inclusive_end if inclusive_end is None else inclusive_end
        selection = source.select(_epoch(start), _epoch(end), wire, inclusive_end=inclusive)
        records = source.page(selection, 0, selection.total, oldest_first=True)
        # as a client decodes them: the builders share parts encoded once (msgspec.Raw, so the
        # collector never traverses a record); JSON has lists and objects
        decoded: list[dict[str, Any]] = msgspec.json.decode(encode(records))
        return decoded

    def siem_files(self) -> list[SiemFile]:
        """The SIEM files the feed serves, in order."""
        return self.siem.files()

    def expected_siem_events(self) -> list[tuple[str, dict[str, str]]]:
        """(log type, event) for every SIEM event, in file then member order."""
        return [pair for siem_file in self.siem.files() for pair in siem_file.events()]

    def credentials(self) -> dict[str, Any]:
        """The JSON-able startup line: base URL, credentials and time range."""
        return {
            "base_url": self.base_url,
            "hmac": {
                "app_id": self.hmac_auth.app_id,
                "app_key": self.hmac_auth.app_key,
                "access_key": self.hmac_auth.access_key,
                "secret_key": self.hmac_auth.secret_key,
            },
            "oauth2": {
                "client_id": self.oauth2_auth.client_id,
                "client_secret": self.oauth2_auth.client_secret,
            },
            "time_range": [moment.isoformat() for moment in self.time_range],
        }

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"MimecastEmulator(seed={self.seed}, records={self.records}, {where})"
