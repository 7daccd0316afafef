"""OAuth2 with the rate gate and retries, and closing a client while calls wait."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from tests.helpers import FakeClock, canary_hmac, canary_oauth2, local_server

_OK = {"meta": {"status": 200}, "data": [], "fail": []}


def _token() -> web.Response:
    return web.json_response({"access_token": "tok", "token_type": "Bearer", "expires_in": 1800})


@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
async def test_a_client_started_on_an_exhausted_quota_meets_one_429(auth_kind: str) -> None:
    # README "Retries and rate limits": the first API request goes alone until a response has
    # shown the quota. The token request is not that request: it carries no API quota.
    state = {"429": 0, "open_at": time.monotonic() + 0.3}

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/oauth/token":
            return _token()
        left = state["open_at"] - time.monotonic()
        if left > 0:
            state["429"] += 1
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(left * 1000) + 1)}
            return web.json_response({**_OK, "meta": {"status": 429}}, status=429, headers=headers)
        return web.json_response(_OK, headers={"X-RateLimit-Remaining": "90"})

    auth = canary_hmac() if auth_kind == "hmac" else canary_oauth2()
    async with local_server(handler) as url:
        async with mc.MimecastClient(auth, base_url=url) as client:
            await asyncio.gather(*(client.request("/api/x") for _ in range(8)))
    assert state["429"] == 1


@pytest.mark.parametrize("status", [500, 429])
async def test_a_failing_token_endpoint_is_retried_once_by_the_policy(status: int) -> None:
    # the token request's own retries are the policy's; the call that waits for the token
    # does not repeat them (that made max_attempts squared token requests)
    token_requests = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal token_requests
        assert request.path == "/oauth/token"
        token_requests += 1
        headers = {"X-RateLimit-Reset": "1500"} if status == 429 else {}
        return web.json_response({"error": "busy"}, status=status, headers=headers)

    clock = FakeClock()
    policy = mc.RetryPolicy(
        max_attempts=3, max_rate_limit_retries=2, sleep=clock.sleep, clock=clock, seed=1
    )
    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_oauth2(), base_url=url, retry=policy) as client:
            with pytest.raises((mc.ServerError, mc.RateLimitError)):
                await client.request("/api/x")
    # max_attempts=3 attempts for a 5xx; one attempt plus max_rate_limit_retries=2 for a 429
    assert token_requests == 3
    if status == 429:  # the token request is not behind the rate gate: it waits the reset itself
        assert clock.sleeps == [1.5, 1.5]


async def test_calls_waiting_when_the_client_closes_raise_client_closed() -> None:
    # README "Client options": a closed client raises ClientClosedError; nothing is sent after
    # close() returns, and no new session is opened for it
    arrived: list[float] = []
    closed_at: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        arrived.append(time.monotonic())
        await asyncio.sleep(0.2)
        return web.json_response(_OK)

    async with local_server(handler) as url:
        client = mc.MimecastClient(canary_hmac(), base_url=url, max_concurrency=2)
        calls = [asyncio.ensure_future(client.request("/api/x")) for _ in range(6)]
        await asyncio.sleep(0.05)
        await client.close()
        closed_at.append(time.monotonic())
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        await asyncio.sleep(0.3)
    assert all(moment < closed_at[0] for moment in arrived)
    waiting = [outcome for outcome in outcomes if isinstance(outcome, mc.ClientClosedError)]
    assert len(waiting) >= 4  # the two in flight may end either way; none is sent later
    assert not any(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


async def test_closing_wakes_calls_parked_in_the_rate_gate_at_once() -> None:
    # the gate is closed for a minute by a 429: close() must not leave them asleep that long
    async def handler(request: web.Request) -> web.Response:
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60000"}
        return web.json_response(
            {"meta": {"status": 429}, "data": [], "fail": []}, status=429, headers=headers
        )

    async with local_server(handler) as url:
        policy = mc.RetryPolicy(max_rate_limit_wait=600)
        client = mc.MimecastClient(canary_hmac(), base_url=url, retry=policy, max_concurrency=2)
        calls = [asyncio.ensure_future(client.request("/api/x")) for _ in range(4)]
        await asyncio.sleep(0.2)  # the first call met the 429: all four wait in the gate
        await client.close()
        outcomes = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 2)
    assert all(isinstance(outcome, mc.ClientClosedError) for outcome in outcomes), outcomes


async def test_closing_while_calls_wait_for_a_token_raises_client_closed() -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0 if request.path == "/oauth/token" else 0)
        return _token() if request.path == "/oauth/token" else web.json_response(_OK)

    async with local_server(handler) as url:
        client = mc.MimecastClient(canary_oauth2(), base_url=url)
        calls = [asyncio.ensure_future(client.request("/api/x")) for _ in range(5)]
        await asyncio.sleep(0.2)
        await client.close()
        outcomes: list[Any] = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(outcome, mc.ClientClosedError) for outcome in outcomes), outcomes
    assert not any(call.cancelled() for call in calls)
