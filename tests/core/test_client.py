"""MimecastClient end to end against small loopback servers: retries, gate, OAuth2, lifecycle."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import mimecast_async as mc
from tests.helpers import (
    FakeClock,
    assert_no_canary,
    canary_hmac,
    canary_oauth2,
    local_server,
    ok_envelope,
)

QUOTA_HEADERS = {
    "X-RateLimit-Limit": "1000",
    "X-RateLimit-Remaining": "900",
    "X-RateLimit-Reset": "60000",
}


def _json(payload: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    return web.json_response(payload, status=status, headers={**QUOTA_HEADERS, **headers})


def _fast_policy(**kwargs: Any) -> mc.RetryPolicy:
    clock = FakeClock()
    return mc.RetryPolicy(sleep=clock.sleep, clock=clock, seed=1, **kwargs)


# -- configuration -----------------------------------------------------------------------


def test_region_maps_and_base_url_precedence() -> None:
    hmac_auth, oauth = canary_hmac(), canary_oauth2()
    assert mc.MimecastClient(hmac_auth, region="eu").base_url == "https://eu-api.mimecast.com"
    assert mc.MimecastClient(hmac_auth, region="USB").base_url == "https://usb-api.mimecast.com"
    assert mc.MimecastClient(oauth).base_url == "https://api.services.mimecast.com"
    assert mc.MimecastClient(oauth, region="uk").base_url == "https://uk-api.services.mimecast.com"
    client = mc.MimecastClient(oauth, region="us", base_url="https://example.test/")
    assert client.base_url == "https://example.test"


@pytest.mark.parametrize(
    ("auth_kind", "kwargs"),
    [
        ("hmac", {}),  # API 1.0 has no default host
        ("hmac", {"region": "global"}),
        ("oauth", {"region": "eu"}),
        ("oauth", {"base_url": "http://example.com"}),  # plain http off loopback
        ("oauth", {"base_url": "ftp://example.com"}),
        ("oauth", {"base_url": "https://user:pw@example.com"}),
        ("oauth", {"base_url": "https://example.com/\r\nX: y"}),
        ("oauth", {"max_concurrency": 0}),
        ("oauth", {"timeout": 0}),
        # the wrong type is a ConfigurationError too, never a raw TypeError/AttributeError
        ("oauth", {"timeout": "5"}),
        ("oauth", {"timeout": float("inf")}),  # would overflow at the first request
        ("oauth", {"timeout": float("nan")}),
        ("oauth", {"max_concurrency": True}),
        ("oauth", {"max_response_bytes": "1MB"}),
        ("hmac", {"region": 5}),
        ("oauth", {"retry": "fast"}),
        ("oauth", {"session": "a session"}),
        ("oauth", {"verify_ssl": None}),  # not taken by truthiness: TLS stays a decision
        ("oauth", {"verify_ssl": "no"}),
        # names that DNS may resolve anywhere are not loopback, whatever they look like
        ("oauth", {"base_url": "http://evil.localhost"}),
        ("oauth", {"base_url": "http://localhost.localdomain"}),
        # control characters of any kind, and a query or fragment even when empty
        ("oauth", {"base_url": "https://api.example.com/\x01"}),
        ("oauth", {"base_url": "https://api.example.com/\t"}),
        ("oauth", {"base_url": "https://api.example.com/\x1b[2J"}),
        ("oauth", {"base_url": "https://api.example.com/\x85"}),
        ("oauth", {"base_url": "https://api.example.com?"}),
        ("oauth", {"base_url": "https://api.example.com#"}),
    ],
)
def test_bad_configuration_is_refused_before_io(auth_kind: str, kwargs: dict[str, Any]) -> None:
    auth = canary_hmac() if auth_kind == "hmac" else canary_oauth2()
    with pytest.raises(mc.ConfigurationError):
        mc.MimecastClient(auth, **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: mc.RetryPolicy(max_attempts="3"),
        lambda: mc.RetryPolicy(max_attempts=2.5),
        lambda: mc.RetryPolicy(backoff_max=float("nan")),
        lambda: mc.RetryPolicy(jitter=1.5),
        lambda: mc.RetryPolicy(seed="1"),
        lambda: mc.RetryPolicy(sleep=None),
        lambda: mc.RetryPolicy(clock=None),
        lambda: mc.OAuth2Auth("id", "secret", refresh_margin="60"),
    ],
)
def test_bad_settings_of_the_parts_are_configuration_errors(make: Callable[[], Any]) -> None:
    with pytest.raises(mc.ConfigurationError):
        make()


def test_waiting_for_any_rate_limit_reset_stays_allowed() -> None:
    assert mc.RetryPolicy(max_rate_limit_wait=float("inf")).max_rate_limit_wait == float("inf")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"])
def test_plain_http_is_accepted_for_loopback(url: str) -> None:
    assert mc.MimecastClient(canary_oauth2(), base_url=url).base_url == url


def test_from_env_picks_the_credentials_present() -> None:
    oauth_env = {
        "MIMECAST_CLIENT_ID": "cid",
        "MIMECAST_CLIENT_SECRET": "cs",
        "MIMECAST_REGION": "uk",
    }
    client = mc.MimecastClient.from_env(oauth_env)
    assert isinstance(client.auth, mc.OAuth2Auth)
    assert client.base_url == "https://uk-api.services.mimecast.com"
    hmac_env = {
        "MIMECAST_APP_ID": "a",
        "MIMECAST_APP_KEY": "b",
        "MIMECAST_ACCESS_KEY": "c",
        "MIMECAST_SECRET_KEY": "U2VjcmV0S2V5",
        "MIMECAST_BASE_URL": "https://de-api.mimecast.com",
    }
    client = mc.MimecastClient.from_env(hmac_env, max_concurrency=3)
    assert isinstance(client.auth, mc.HmacAuth) and client.max_concurrency == 3


def test_from_env_names_missing_variables() -> None:
    with pytest.raises(mc.ConfigurationError) as caught:
        mc.MimecastClient.from_env({"MIMECAST_APP_ID": "a", "MIMECAST_REGION": "eu"})
    message = str(caught.value)
    assert "MIMECAST_SECRET_KEY" in message and "MIMECAST_CLIENT_ID" in message


def test_disabling_tls_verification_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mimecast_async"):
        mc.MimecastClient(canary_oauth2(), verify_ssl=False)
    assert any("verification is disabled" in record.message for record in caplog.records)
    assert mc.MimecastClient(canary_oauth2()).verify_ssl is True


# -- request pipeline ----------------------------------------------------------------------


def _verify_hmac(request: web.Request, auth: mc.HmacAuth) -> bool:
    scheme, _, credentials = request.headers["Authorization"].partition(" ")
    access_key, _, signature = credentials.partition(":")
    data = ":".join(
        [request.headers["x-mc-date"], request.headers["x-mc-req-id"], request.path, auth.app_key]
    )
    digest = hmac.new(base64.b64decode(auth.secret_key), data.encode(), hashlib.sha1).digest()
    return (
        scheme == "MC"
        and access_key == auth.access_key
        and signature == base64.b64encode(digest).decode()
    )


async def test_request_returns_the_envelope_and_rate_limit() -> None:
    auth = canary_hmac()
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        assert _verify_hmac(request, auth)
        assert request.headers["Content-Type"] == "application/json"
        seen.append(await request.json())
        return _json(ok_envelope([{"echo": True}]), **{"X-RateLimit-Remaining": "41"})

    async with local_server(handler) as url, mc.MimecastClient(auth, base_url=url) as client:
        result = await client.request("/api/account/get-account", [{"x": 1}])
        assert result["data"] == [{"echo": True}]
        assert seen == [{"data": [{"x": 1}]}]
        assert client.rate_limit == mc.RateLimitInfo(limit=1000, remaining=41, reset_after=60.0)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, mc.BadRequestError),
        (401, mc.AuthenticationError),
        (403, mc.PermissionDeniedError),
        (404, mc.NotFoundError),
        (409, mc.ConflictError),
        (418, mc.BindingExpiredError),
        (429, mc.RateLimitError),
        (500, mc.ServerError),
        (503, mc.ServerError),
        (200, mc.FailedRequestError),
    ],
)
async def test_status_maps_to_error_with_request_id_and_codes(
    status: int, cls: type[mc.APIError]
) -> None:
    request_ids: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        request_ids.append(request.headers["x-mc-req-id"])
        body = {
            "meta": {"status": status},
            "data": [],
            "fail": [{"key": {}, "errors": [{"code": f"err_{status}", "message": "m"}]}],
        }
        return _json(body, status=status, **{"X-RateLimit-Reset": "500000"})

    policy = _fast_policy(max_attempts=1, max_rate_limit_wait=10)
    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=policy) as client:
            with pytest.raises(cls) as caught:
                await client.request("/api/x")
    error = caught.value
    assert error.status == status
    assert error.request_id == request_ids[-1]
    assert error.codes == [f"err_{status}"]
    assert_no_canary(str(error) + repr(error))


async def test_mutation_that_gets_a_500_is_not_retried_but_a_read_is() -> None:
    calls = {"read": 0, "mutation": 0}

    async def handler(request: web.Request) -> web.Response:
        kind = request.path.rsplit("/", 1)[-1]
        calls[kind] += 1
        if calls[kind] == 1:
            return _json({"meta": {"status": 500}, "data": [], "fail": []}, status=500)
        return _json(ok_envelope())

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_fast_policy()) as client:
            await client.request("/api/read")
            with pytest.raises(mc.ServerError):
                await client.request("/api/mutation", idempotent=False)
    assert calls == {"read": 2, "mutation": 1}


async def test_every_retry_attempt_is_signed_afresh() -> None:
    attempts: list[tuple[str, str, bool]] = []
    ticks = itertools.count()
    auth = mc.HmacAuth(
        app_id="app",
        app_key="key",
        access_key="access",
        secret_key="U2VjcmV0S2V5",
        clock=lambda: datetime(2024, 5, 1, tzinfo=timezone.utc) + timedelta(seconds=next(ticks)),
    )

    async def handler(request: web.Request) -> web.Response:
        attempts.append(
            (
                request.headers["x-mc-date"],
                request.headers["x-mc-req-id"],
                _verify_hmac(request, auth),
            )
        )
        if len(attempts) < 3:
            return _json({"meta": {"status": 503}, "data": []}, status=503)
        return _json(ok_envelope())

    async with local_server(handler) as url:
        async with mc.MimecastClient(auth, base_url=url, retry=_fast_policy()) as client:
            await client.request("/api/x")
    assert len(attempts) == 3
    assert all(valid for _, _, valid in attempts)
    assert len({date for date, _, _ in attempts}) == 3
    assert len({request_id for _, request_id, _ in attempts}) == 3


async def test_retryable_fail_entries_are_retried_for_reads_only() -> None:
    count = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        if count == 1:
            error = {"code": "err_busy", "message": "try later", "retryable": True}
            return _json({"meta": {"status": 200}, "data": [], "fail": [{"errors": [error]}]})
        return _json(ok_envelope([{"ok": 1}]))

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_fast_policy()) as client:
            assert (await client.request("/api/x"))["data"] == [{"ok": 1}]
    assert count == 2


async def test_retries_give_up_with_the_real_error_not_tenacitys() -> None:
    async def handler(request: web.Request) -> web.Response:
        return _json({"meta": {"status": 502}, "data": []}, status=502)

    async with local_server(handler) as url:
        policy = _fast_policy(max_attempts=3)
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=policy) as client:
            with pytest.raises(mc.ServerError) as caught:
                await client.request("/api/x")
    assert caught.value.status == 502
    assert len(policy.sleep.__self__.sleeps) == 2  # type: ignore[attr-defined]


async def test_429_closes_the_gate_for_every_coroutine_of_the_client() -> None:
    clock = FakeClock()
    arrivals: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        arrivals.append(clock())
        if len(arrivals) == 1:
            return _json(
                {"meta": {"status": 429}, "data": []},
                status=429,
                **{"X-RateLimit-Reset": "1500", "X-RateLimit-Remaining": "0"},
            )
        return _json(ok_envelope([{"n": len(arrivals)}]))

    policy = mc.RetryPolicy(sleep=clock.sleep, clock=clock, seed=3)
    async with (
        local_server(handler) as url,
        mc.MimecastClient(canary_hmac(), base_url=url, retry=policy, max_concurrency=50) as client,
    ):
        first = asyncio.create_task(client.request("/api/x"))
        while not arrivals:  # the first request reaches the server and gets the 429
            await asyncio.sleep(0.001)
        others = [asyncio.create_task(client.request("/api/x")) for _ in range(49)]
        results = await asyncio.gather(first, *others)
    assert len(results) == 50
    assert arrivals[0] == 0.0
    assert all(moment >= 1.5 for moment in arrivals[1:])  # nobody sent while the gate was shut
    assert len(arrivals) == 51  # the 429'd call was repeated once; nothing else was repeated


async def test_rate_limit_wait_beyond_the_policy_limit_raises() -> None:
    async def handler(request: web.Request) -> web.Response:
        return _json(
            {"meta": {"status": 429}, "data": []}, status=429, **{"X-RateLimit-Reset": "900000"}
        )

    async with local_server(handler) as url:
        policy = _fast_policy(max_rate_limit_wait=60)
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=policy) as client:
            with pytest.raises(mc.RateLimitError) as caught:
                await client.request("/api/x")
    assert caught.value.retry_after == pytest.approx(900)


async def test_dropped_connection_after_send_does_not_repeat_a_mutation() -> None:
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        await request.read()
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError  # no response is written

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_fast_policy()) as client:
            with pytest.raises(mc.TransportError) as caught:
                await client.request("/api/directory/add-group-member", idempotent=False)
            assert caught.value.request_sent
            assert calls == 1
            with pytest.raises(mc.TransportError):
                await client.request("/api/read")
            assert calls == 1 + 5  # a read is retried up to max_attempts


async def test_refused_connection_is_retried_even_for_a_mutation() -> None:
    async def handler(request: web.Request) -> web.Response:
        return _json(ok_envelope())

    async with local_server(handler) as url:
        pass  # the port is closed again: connections are refused
    policy = _fast_policy(max_attempts=3)
    async with mc.MimecastClient(canary_hmac(), base_url=url, retry=policy) as client:
        with pytest.raises(mc.TransportError) as caught:
            await client.request("/api/x", idempotent=False)
    assert caught.value.request_sent is False
    assert len(policy.sleep.__self__.sleeps) == 2  # type: ignore[attr-defined]


async def test_slow_server_raises_request_timeout() -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return _json(ok_envelope())

    async with local_server(handler) as url:
        policy = _fast_policy(max_attempts=1)
        async with mc.MimecastClient(
            canary_hmac(), base_url=url, retry=policy, timeout=0.2
        ) as client:
            with pytest.raises(mc.RequestTimeout):
                await client.request("/api/x")


async def test_oversized_body_is_refused_with_a_clear_error() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"{" + b" " * 10_000 + b"}", content_type="application/json")

    async with (
        local_server(handler) as url,
        mc.MimecastClient(
            canary_hmac(), base_url=url, retry=_fast_policy(max_attempts=1), max_response_bytes=4096
        ) as client,
    ):
        with pytest.raises(mc.ResponseDecodeError, match="limit"):
            await client.request("/api/x")


# -- OAuth2 ----------------------------------------------------------------------------------


class TokenServer:
    """Issues numbered tokens; API calls accept only the newest token."""

    def __init__(self, clock: FakeClock, lifetime: float = 1800) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.token_requests = 0
        self.current: str | None = None
        self.api_calls = 0
        self.rejected = 0

    async def __call__(self, request: web.Request) -> web.Response:
        if request.path == "/oauth/token":
            form = await request.post()
            assert form["grant_type"] == "client_credentials"
            if form["client_secret"] != "canary-client-secret-c40d95":
                return web.json_response({"error": "invalid_client"}, status=401)
            self.token_requests += 1
            self.current = f"token-{self.token_requests}"
            return web.json_response(
                {"access_token": self.current, "token_type": "Bearer", "expires_in": self.lifetime}
            )
        self.api_calls += 1
        assert "x-mc-date" not in request.headers
        if request.headers.get("Authorization") != f"Bearer {self.current}":
            self.rejected += 1
            return _json({"meta": {"status": 401}, "data": []}, status=401)
        return _json(ok_envelope())


async def test_oauth2_thousand_concurrent_requests_after_expiry_cause_one_token_request() -> None:
    clock = FakeClock()
    server = TokenServer(clock)
    policy = mc.RetryPolicy(sleep=clock.sleep, clock=clock)
    async with (
        local_server(server) as url,
        mc.MimecastClient(
            canary_oauth2(), base_url=url, retry=policy, max_concurrency=64
        ) as client,
    ):
        await client.request("/api/x")
        assert server.token_requests == 1
        clock.now += 1800  # the token has expired
        await asyncio.gather(*(client.request("/api/x") for _ in range(1000)))
    assert server.token_requests == 2
    assert server.rejected == 0


async def test_oauth2_401_refreshes_once_for_all_coroutines() -> None:
    clock = FakeClock()
    server = TokenServer(clock)
    policy = mc.RetryPolicy(sleep=clock.sleep, clock=clock)
    async with (
        local_server(server) as url,
        mc.MimecastClient(
            canary_oauth2(), base_url=url, retry=policy, max_concurrency=64
        ) as client,
    ):
        await client.request("/api/x")
        assert server.token_requests == 1
        server.current = "revoked-server-side"
        results = await asyncio.gather(*(client.request("/api/x") for _ in range(1000)))
    assert len(results) == 1000
    assert server.token_requests == 2  # one refresh shared by all 1000 refused calls


async def test_oauth2_refused_credentials_raise_authentication_error() -> None:
    clock = FakeClock()
    server = TokenServer(clock)
    bad = mc.OAuth2Auth(client_id="canary-client-id", client_secret="wrong-secret")
    async with local_server(server) as url:
        async with mc.MimecastClient(bad, base_url=url, retry=_fast_policy()) as client:
            with pytest.raises(mc.AuthenticationError, match="invalid_client") as caught:
                await client.request("/api/x")
    assert "wrong-secret" not in str(caught.value)
    assert server.token_requests == 0 and server.api_calls == 0


class ExpiringTokenServer(TokenServer):
    """Issues tokens, of which the API refuses the first ``refusals`` (expired on arrival)."""

    def __init__(self, clock: FakeClock, refusals: int) -> None:
        super().__init__(clock)
        self.refusals = refusals

    async def __call__(self, request: web.Request) -> web.Response:
        if request.path != "/oauth/token" and self.token_requests <= self.refusals:
            self.api_calls += 1
            return _json({"meta": {"status": 401}, "data": []}, status=401)
        return await super().__call__(request)


async def test_a_request_renews_its_token_once_on_401() -> None:
    """DESIGN.md: one refresh on a 401; a token refused right after its renewal is an error."""
    clock = FakeClock()
    policy = mc.RetryPolicy(sleep=clock.sleep, clock=clock)
    expiring = ExpiringTokenServer(clock, refusals=1)
    async with (
        local_server(expiring) as url,
        mc.MimecastClient(canary_oauth2(), base_url=url, retry=policy) as client,
    ):
        await client.request("/api/x")
    assert expiring.token_requests == 2 and expiring.api_calls == 2

    refusing = ExpiringTokenServer(clock, refusals=1_000)
    async with (
        local_server(refusing) as url,
        mc.MimecastClient(canary_oauth2(), base_url=url, retry=policy) as client,
    ):
        with pytest.raises(mc.AuthenticationError):
            await client.request("/api/x")
    assert refusing.token_requests == 2 and refusing.api_calls == 2  # first token, one renewal


# -- lifecycle -----------------------------------------------------------------------------


async def test_use_after_close_raises_a_clear_error() -> None:
    client = mc.MimecastClient(canary_oauth2(), base_url="http://127.0.0.1:9")
    await client.close()
    await client.close()  # idempotent
    assert client.closed
    with pytest.raises(mc.ClientClosedError):
        await client.request("/api/x")
    with pytest.raises(mc.ClientClosedError):
        async with client:
            pass


async def test_a_users_session_is_never_closed() -> None:
    async def handler(request: web.Request) -> web.Response:
        return _json(ok_envelope())

    async with local_server(handler) as url, aiohttp.ClientSession() as session:
        async with mc.MimecastClient(canary_hmac(), base_url=url, session=session) as client:
            await client.request("/api/x")
        assert not session.closed
        async with session.post(url + "/ping", data=b"{}") as response:
            assert response.status == 200


@pytest.mark.parametrize(
    "path", ["api/x", "https://evil.example/api", "/api/x\r\nX: y", "/api/x?q=1", "/api/ x"]
)
async def test_request_refuses_bad_paths_before_io(path: str) -> None:
    async with mc.MimecastClient(canary_hmac(), base_url="http://127.0.0.1:9") as client:
        with pytest.raises(mc.InvalidInputError):
            await client.request(path)
        assert client.engine.requests_sent == 0


async def test_secrets_absent_from_debug_logs_and_errors(captured_logs: list[str]) -> None:
    async def handler(request: web.Request) -> web.Response:
        return _json({"meta": {"status": 401}, "data": []}, status=401)

    start = len(captured_logs)
    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_fast_policy()) as client:
            with pytest.raises(mc.AuthenticationError) as caught:
                await client.request("/api/x")
            assert_no_canary(repr(client) + str(caught.value) + repr(caught.value))
    new = captured_logs[start:]
    assert any("/api/x" in text and "401" in text for text in new)
    assert_no_canary("\n".join(new))
    assert_no_canary(json.dumps(vars(caught.value), default=str))


async def test_a_batch_call_raises_when_mimecast_says_the_keys_expired() -> None:
    # a batch reports refused items in its BatchResult; expired keys refuse the whole call
    # (MIMECAST_API.md §1.7), so they raise BindingExpiredError as every other call does
    count = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        payload = await request.json()
        refused = [
            {"key": item, "errors": [{"code": code, "message": "no", "retryable": False}]}
            for item, code in zip(
                payload["data"], ["err_xdk_binding_expired", "err_other"], strict=False
            )
        ]
        return _json({"meta": {"status": 200}, "data": [], "fail": refused})

    pairs = [("a@evil.example", "b@corp.example")]
    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_fast_policy()) as client:
            with pytest.raises(mc.BindingExpiredError) as caught:
                await client.senders.block_many(pairs)
            assert caught.value.codes == ["err_xdk_binding_expired"]
    assert count == 1  # not retried: new keys are needed
