"""The emulator's aiohttp.web application: routing, auth, quotas, latency, faults, envelopes.

Every request goes through the same steps, in Mimecast's order: route (404/405), latency,
authentication (401/418), quota (429), fault plan, body validation (400 / ``fail[]``), the
operation, and the response (possibly slowed, truncated or dropped by a post-processing fault).
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .auth_check import AuthFailure, HmacVerifier, TokenStore
from .faults import Fault, FaultPlan
from .operations import HTTPFault, Operation, OperationResult, failure
from .paging import page_token
from .quota import QuotaBook
from .siem import SiemFeed
from .wire import encode, envelope

__all__ = ["EmulatorApp", "EmulatorStats"]

logger = logging.getLogger("mimecast_async.testing")

TOKEN_PATH = "/oauth/token"
DISCOVER_PATH = "/api/login/discover-authentication"
SIEM_PATH = "/api/audit/get-siem-logs"
_ANONYMOUS = "anonymous"


@dataclass
class EmulatorStats:
    """Counters a test can read."""

    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    tokens_issued: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    auth_failures: int = 0
    log: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=100_000), repr=False)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        """Zero every counter."""
        self.requests.clear()
        self.faults.clear()
        self.log.clear()
        self.rate_limited = self.tokens_issued = self.auth_failures = 0


def _json(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=encode(payload),
        status=status,
        content_type="application/json",
        headers=dict(headers or {}),
    )


def _error(status: int, code: str, message: str, headers: Mapping[str, str]) -> web.Response:
    body = envelope([], [failure(None, code, message)], status=status)
    return _json(body, status, headers)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without (the rest of) a response."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


@dataclass
class _Pending:
    """An answer to write once the latency has passed (possibly spoiled by ``fault``)."""

    body: bytes
    headers: dict[str, str]
    fault: Fault | None


def read_body(raw: bytes) -> Any:
    """A request body: JSON, or the Python ``str(dict)`` form several public clients send.

    MIMECAST_API.md §1.7: XSOAR (old), Rapid7, Sentinel v1 and Mimecast's own sample post
    ``str(payload)``, single quotes and ``True``/``False`` included, and Mimecast answers them.
    ValueError (UnicodeDecodeError is one) when the body is neither.
    """
    try:
        return json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8")
        if not text.lstrip().startswith("{"):
            raise
    try:
        literal = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        literal = None
    if not isinstance(literal, dict):
        raise ValueError("neither JSON nor a Python dict literal")
    return literal


#: The most the emulator wakes early for its timers' lateness: timer granularity, not load.
_MAX_OVERSLEEP = 0.002


def _learn_oversleep(average: float, late: float) -> float:
    """The running average of how late a timer fired (kept within 0.._MAX_OVERSLEEP)."""
    return min(_MAX_OVERSLEEP, max(0.0, 0.9 * average + 0.1 * late))


class EmulatorApp:
    """Holds the emulator's parts and answers HTTP requests with them."""

    def __init__(
        self,
        *,
        base_url: Callable[[], str],
        hmac: HmacVerifier,
        tokens: TokenStore,
        quota: QuotaBook,
        operations: dict[str, Operation],
        siem: SiemFeed,
        faults: FaultPlan | None,
        latency: float,
        latency_jitter: float,
        seed: int,
        stats: EmulatorStats,
    ) -> None:
        self.base_url = base_url
        self.hmac = hmac
        self.tokens = tokens
        self.quota = quota
        self.operations = operations
        self.siem = siem
        self.faults = faults
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.stats = stats
        self._rng = random.Random(seed)
        self._oversleep = 0.0  # how late this loop's timers fire, on average (seconds)
        self._numbers = 0
        self._path_numbers: Counter[str] = Counter()

    def application(self) -> web.Application:
        """A fresh aiohttp application routing every path to :meth:`handle`."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    def paths(self) -> list[str]:
        """Every POST path the emulator answers."""
        return sorted([TOKEN_PATH, DISCOVER_PATH, SIEM_PATH, *self.operations])

    async def _delay(self, arrived: float) -> None:
        """Hold the answer until ``latency`` (plus seeded jitter) has passed since ``arrived``.

        The emulator's own work happens inside that time, as it would on Mimecast's many
        servers: concurrent requests are not queued behind each other's CPU time, which a
        single-process emulator would otherwise add to every request. An asyncio timer fires
        late (epoll waits in whole milliseconds, about 1 ms late on a quiet machine), so the
        emulator wakes that much early, as learnt from its own timers: the answer leaves at
        ``latency``, not a millisecond or two after it.
        """
        delay = self.latency
        if self.latency_jitter > 0:
            delay += self._rng.uniform(0, self.latency_jitter)
        now = time.monotonic()
        remaining = delay - (now - arrived) - self._oversleep
        if remaining > 0:
            await asyncio.sleep(remaining)
            late = time.monotonic() - now - remaining
            self._oversleep = _learn_oversleep(self._oversleep, late)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every request."""
        path = request.path
        known = path in self.operations or path in (TOKEN_PATH, DISCOVER_PATH, SIEM_PATH)
        anonymous = self.quota.peek(_ANONYMOUS)
        if not known:
            return _error(404, "err_not_found", f"no such endpoint {path}", anonymous)
        if request.method != "POST":
            return _error(405, "err_method_not_allowed", "only POST is allowed", anonymous)
        arrived = time.monotonic()
        self.stats.requests[path] += 1
        self.stats.log.append((path, arrived))
        if self.latency > 0:
            # let requests that arrived together all be stamped before any is worked on
            await asyncio.sleep(0)
        outcome = await self._process(request, path, anonymous)
        await self._delay(arrived)
        if isinstance(outcome, _Pending):
            return await self._respond(request, outcome.body, outcome.headers, outcome.fault)
        return outcome

    async def _process(
        self, request: web.Request, path: str, anonymous: dict[str, str]
    ) -> web.StreamResponse | _Pending:
        """Everything but the latency: an answer ready to send, or one still to be written."""
        if path == TOKEN_PATH:
            return await self._token(request)
        try:
            if path == DISCOVER_PATH:
                authorization = request.headers.get("Authorization", "")
                if authorization[:7].lower() == "bearer ":
                    self.tokens.verify(authorization)
                else:
                    self.hmac.check_app_headers(request.headers)
                return await self._discover(request, anonymous)
            quota_key, bearer = self._authenticate(path, request)
        except AuthFailure as refused:
            self.stats.auth_failures += 1
            return _error(refused.status, refused.code, refused.message, anonymous)
        allowed, headers = self.quota.take(quota_key)
        if not allowed:
            self.stats.rate_limited += 1
            return _error(429, "err_rate_limit_exceeded", "Quota Exceeded", headers)
        fault = self._next_fault(path, bearer)
        if fault is not None:
            if fault.kind == "drop_before":
                return _Pending(b"", headers, fault)
            early = await self._early_fault(request, fault, bearer, headers)
            if early is not None:
                return early
        try:
            raw = await request.read()
            payload = read_body(raw) if raw.strip() else None
        except ConnectionResetError:
            # the client went away mid-request (e.g. a cancelled cursor): nobody reads an answer
            return web.Response(status=400)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "err_bad_request", "request body is not valid JSON", headers)
        if isinstance(payload, dict) and "data" not in payload and page_token(payload.get("meta")):
            payload["data"] = []  # a follow-up page sent without its query (see paging.py)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            fail = [failure(None, "err_validation_null", "data is null", field_name="data")]
            return _json(envelope([], fail), 200, headers)
        items: list[Any] = payload["data"]
        meta = payload.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        try:
            if path == SIEM_PATH:
                answer = self.siem.answer(items)
            else:
                answer = self.operations[path](items, meta)
        except HTTPFault as refused:
            return _error(refused.status, refused.code, refused.message, headers)
        except Exception:
            logger.exception("emulator operation %s failed", path)
            return _error(500, "err_server", "internal error", headers)
        if isinstance(answer, tuple):
            body, file_headers = answer
            return _Pending(body, {**headers, **file_headers}, fault)
        if answer.meta and answer.meta.get("isLastToken"):
            headers = {**headers, "isLastToken": "true"}  # R7 reads the header, GO the body
        return _Pending(encode(self._envelope(answer)), headers, fault)

    @staticmethod
    def _envelope(result: OperationResult) -> dict[str, Any]:
        return envelope(
            result.data, result.fail, pagination=result.pagination, **(result.meta or {})
        )

    def _authenticate(self, path: str, request: web.Request) -> tuple[str, str | None]:
        """(quota key, bearer token or None); AuthFailure when refused."""
        authorization = request.headers.get("Authorization", "")
        if authorization[:7].lower() == "bearer ":
            client_id, token = self.tokens.verify(authorization)
            return f"oauth2:{client_id}", token
        return f"hmac:{self.hmac.verify(path, request.headers)}", None

    def _next_fault(self, path: str, bearer: str | None) -> Fault | None:
        if self.faults is None:
            return None
        self._numbers += 1
        self._path_numbers[path] += 1
        fault = self.faults.decide(self._numbers, path, self._path_numbers[path])
        if fault is not None and fault.kind == "token_expiry":
            if bearer is None:
                return None
            if not fault.scripted and self.tokens.uses(bearer) <= self.faults.token_min_uses:
                return None  # a token just issued is never refused at once (see faults.py)
        if fault is not None and fault.kind == "binding_expired" and bearer is not None:
            return None  # 418 is API 1.0's: keys bound to a login expire, 2.0 tokens do not
        if fault is not None:
            self.stats.faults[fault.kind] += 1
        return fault

    async def _early_fault(
        self, request: web.Request, fault: Fault, bearer: str | None, headers: dict[str, str]
    ) -> web.StreamResponse | None:
        """The answer for a fault that prevents processing, or None to go on."""
        kind = fault.kind
        if kind == "server_error":
            return _error(fault.status, "err_server", "Internal Server Error", headers)
        if kind == "rate_limit_burst":
            assert self.faults is not None
            self.stats.rate_limited += 1
            burst = {
                **headers,
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(self.faults.burst_reset_ms),
            }
            return _error(429, "err_rate_limit_exceeded", "Quota Exceeded", burst)
        if kind == "binding_expired":
            return _error(418, "err_xdk_binding_expired", "AccessKey Has Expired", headers)
        if kind == "token_expiry" and bearer is not None:
            self.tokens.expire(bearer)
            return _error(401, "err_xdk_token_expired", "bearer token expired", headers)
        if kind == "retryable_fail":
            try:
                payload = read_body(await request.read())
                items = payload.get("data") if isinstance(payload, dict) else None
            except ValueError:
                items = None
            keys = items if isinstance(items, list) and items else [None]
            fail = [
                failure(key, "err_service_unavailable", "temporarily unavailable", retryable=True)
                for key in keys
            ]
            return _json(envelope([], fail), 200, headers)
        return None

    async def _respond(
        self, request: web.Request, body: bytes, headers: dict[str, str], fault: Fault | None
    ) -> web.StreamResponse:
        headers.setdefault("Content-Type", "application/json")
        kind = fault.kind if fault is not None else None
        if kind in ("drop_before", "drop_after"):
            return _drop(request)
        if kind not in ("truncate", "slow_body"):
            return web.Response(body=body, headers=headers)
        response = web.StreamResponse(headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        if kind == "truncate":
            await response.write(body[: len(body) // 2])
            return self._close_after(request, response)
        assert self.faults is not None
        chunks = 8
        size = max(1, -(-len(body) // chunks))
        for offset in range(0, len(body), size):
            await response.write(body[offset : offset + size])
            await asyncio.sleep(self.faults.slow_body_seconds / chunks)
        await response.write_eof()
        return response

    @staticmethod
    def _close_after(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return response

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {name: str(value) for name, value in form.items()}
        quota_headers = self.quota.peek(f"oauth2:{fields.get('client_id', '')}")
        try:
            token, lifetime = self.tokens.issue(fields)
        except AuthFailure as refused:
            self.stats.auth_failures += 1
            return _json({"error": refused.code}, refused.status, quota_headers)
        self.stats.tokens_issued += 1
        payload = {"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime)}
        return _json(payload, 200, quota_headers)

    async def _discover(self, request: web.Request, headers: dict[str, str]) -> web.Response:
        try:
            payload = read_body(await request.read())
        except ValueError:
            return _error(400, "err_bad_request", "request body is not valid JSON", headers)
        items = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            fail = [failure(None, "err_validation_null", "data is null", field_name="data")]
            return _json(envelope([], fail), 200, headers)
        email = items[0].get("emailAddress")
        if not isinstance(email, str) or "@" not in email:
            fail = [
                failure(
                    items[0],
                    "err_validation_invalid_email_address",
                    "emailAddress is not valid",
                    field_name="emailAddress",
                )
            ]
            return _json(envelope([], fail), 200, headers)
        answer = {
            "emailAddress": email,
            "emailToken": hashlib.sha256(email.encode()).hexdigest()[:24],
            "authenticate": ["Basic-Cloud", "Basic-AD"],
            "region": {"code": "EMU", "name": "Emulator", "api": self.base_url()},
        }
        return _json(envelope([answer]), 200, headers)
