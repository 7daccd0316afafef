"""TLS: certificates are verified by default (no retry on failure), ``verify_ssl=False`` warns
once, plain ``http://`` is refused for every non-loopback host, redirects are never followed."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from tests.helpers import CANARIES, canary_hmac, canary_oauth2, local_server, ok_envelope

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made now with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
async def https_server(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTPS server with the self-signed certificate; yields (base URL, paths it served)."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        if request.path == "/oauth/token":
            return web.json_response({"access_token": "t", "expires_in": 1800})
        return web.json_response(ok_envelope([{"ok": True}]))

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


def _count_sends(client: mc.MimecastClient) -> list[int]:
    transport = client.engine.transport
    send = transport.send
    calls: list[int] = []

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await send(*args, **kwargs)

    transport.send = counted  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
async def test_an_untrusted_certificate_fails_once_before_anything_is_sent(
    https_server: tuple[str, list[str]], auth_kind: str
) -> None:
    url, seen = https_server
    auth = canary_hmac() if auth_kind == "hmac" else canary_oauth2()
    async with mc.MimecastClient(auth, base_url=url) as client:  # default retry policy
        sends = _count_sends(client)
        with pytest.raises(mc.TransportError) as caught:
            await client.request("/api/account/get-account")
        with pytest.raises(mc.TransportError):
            await client.senders.block("bad@evil.example", "me@corp.example")
    error = caught.value
    assert error.request_sent is False and error.retryable is False
    assert "certificate" in str(error).lower()
    assert len(sends) == 2  # one attempt per call: no retry of a certificate failure
    assert seen == []  # the server never saw a request (or the credentials)
    assert not any(canary in str(error) for canary in CANARIES)


async def test_verify_ssl_false_connects_and_warns_exactly_once(
    https_server: tuple[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = https_server
    caplog.set_level(logging.WARNING, logger="mimecast_async")
    async with mc.MimecastClient(canary_oauth2(), base_url=url, verify_ssl=False) as client:
        for _ in range(5):
            assert (await client.request("/api/account/get-account"))["data"] == [{"ok": True}]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "verification is disabled" in warnings[0].getMessage()
    assert url in warnings[0].getMessage()
    assert seen.count("/api/account/get-account") == 5


async def test_verification_is_on_by_default_for_region_urls() -> None:
    client = mc.MimecastClient(canary_hmac(), region="eu")
    assert client.verify_ssl is True
    assert client.base_url.startswith("https://")
    await client.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://eu-api.mimecast.com",
        "http://example.com:8080",
        "HTTP://example.com",
        "http://10.0.0.1",
        "http://192.168.1.10:80",
        "http://[2001:db8::1]",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0",
        "ftp://eu-api.mimecast.com",
        "file:///etc/passwd",
        "//eu-api.mimecast.com",
        "https://user:pass@eu-api.mimecast.com",
        "https://eu-api.mimecast.com\r\nX-Injected: 1",
    ],
)
def test_plain_http_and_other_schemes_are_refused_for_remote_hosts(url: str) -> None:
    for auth in (canary_hmac(), canary_oauth2()):
        with pytest.raises(mc.ConfigurationError):
            mc.MimecastClient(auth, base_url=url)
    with pytest.raises(mc.ConfigurationError):
        mc.MimecastClient.from_env(
            {"MIMECAST_BASE_URL": url, "MIMECAST_CLIENT_ID": "i", "MIMECAST_CLIENT_SECRET": "s"}
        )


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"])
def test_plain_http_is_allowed_only_on_loopback(url: str) -> None:
    assert mc.MimecastClient(canary_hmac(), base_url=url).base_url == url


async def test_redirects_are_not_followed_so_credentials_stay_put() -> None:
    elsewhere: list[str] = []

    async def other(request: web.Request) -> web.StreamResponse:
        elsewhere.append(request.headers.get("Authorization", ""))
        return web.json_response(ok_envelope())

    async with local_server(other) as other_url:

        async def redirect(request: web.Request) -> web.StreamResponse:
            raise web.HTTPTemporaryRedirect(other_url + request.path)

        async with local_server(redirect) as url:
            async with mc.MimecastClient(canary_hmac(), base_url=url) as client:
                with pytest.raises(mc.APIError) as caught:
                    await client.request("/api/account/get-account")
    assert caught.value.status == 307
    assert elsewhere == []


async def test_proxy_environment_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    proxied: list[str] = []

    async def proxy(request: web.Request) -> web.StreamResponse:
        proxied.append(str(request.url))
        return web.json_response(ok_envelope())

    async def api(request: web.Request) -> web.StreamResponse:
        return web.json_response(ok_envelope([1]))

    async with local_server(proxy) as proxy_url, local_server(api) as url:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy_url)
        monkeypatch.setenv("NO_PROXY", "")
        async with mc.MimecastClient(canary_hmac(), base_url=url) as client:
            assert (await client.request("/api/x"))["data"] == [1]
    assert proxied == []
