"""Shared test helpers: canary credentials, a fake clock, and a tiny loopback server."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

import mimecast_async as mc

# Canary secrets: they must never appear in a log record, repr, exception text or file.
CANARY_APP_KEY = "canary-app-key-3f9a1c"
CANARY_ACCESS_KEY = "canary-access-key-7b2e44"
CANARY_SECRET_BYTES = b"canary-secret-key-d81f0e"
CANARY_SECRET_KEY = base64.b64encode(CANARY_SECRET_BYTES).decode()
CANARY_CLIENT_SECRET = "canary-client-secret-c40d95"
CANARIES = (
    CANARY_APP_KEY,
    CANARY_ACCESS_KEY,
    CANARY_SECRET_KEY,
    CANARY_CLIENT_SECRET,
)


def canary_hmac(**kwargs: Any) -> mc.HmacAuth:
    return mc.HmacAuth(
        app_id="canary-app-id",
        app_key=CANARY_APP_KEY,
        access_key=CANARY_ACCESS_KEY,
        secret_key=CANARY_SECRET_KEY,
        **kwargs,
    )


def canary_oauth2(**kwargs: Any) -> mc.OAuth2Auth:
    return mc.OAuth2Auth(client_id="canary-client-id", client_secret=CANARY_CLIENT_SECRET, **kwargs)


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"secret leaked: {canary!r} in {text[:200]!r}"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it.

    Concurrent sleepers all wake at their own target time: the clock jumps to the largest
    target reached, so fifty coroutines sleeping 1.5 s advance it by 1.5 s, not 75 s.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def local_server(handler: Handler) -> AsyncIterator[str]:
    """Serve ``handler`` for every path on an OS-chosen loopback port; yield the base URL."""

    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def ok_envelope(data: list[Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {"meta": {"status": 200, **meta}, "data": data or [], "fail": []}
