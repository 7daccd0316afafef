"""Secrets: canary credentials never appear in logs (DEBUG, every logger), reprs, exception texts
and tracebacks on every error path, checkpoint files, or the CLI's output and state files."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from mimecast_async.checkpoint import Checkpoint
from mimecast_async.testing import MimecastEmulator
from tests.helpers import (
    CANARIES,
    CANARY_ACCESS_KEY,
    CANARY_APP_KEY,
    CANARY_CLIENT_SECRET,
    CANARY_SECRET_KEY,
    assert_no_canary,
    canary_hmac,
    canary_oauth2,
    local_server,
    ok_envelope,
)

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
END = START + timedelta(hours=2)


def _json(payload: Any, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(payload, status=status, headers=headers)


def _fail(code: str, status: int, **headers: str) -> web.Response:
    body = {
        "meta": {"status": status},
        "data": [],
        "fail": [{"errors": [{"code": code, "message": "refused"}]}],
    }
    return _json(body, status, **headers)


async def _drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


async def _truncate(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = 1000
    await response.prepare(request)
    await response.write(b'{"meta": {"status": 20')
    assert request.transport is not None
    request.transport.close()
    return response


async def _slow(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(0.25)
    return _json(ok_envelope())


def _good_token() -> web.Response:
    return _json({"access_token": "good-token", "token_type": "Bearer", "expires_in": 1800})


Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _api(answer: Callable[[], web.StreamResponse]) -> Answer:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return _good_token()
        return answer()

    return handler


def _api_async(answer: Answer) -> Answer:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return _good_token()
        return await answer(request)

    return handler


async def _token_refused(request: web.Request) -> web.StreamResponse:
    if request.path == "/oauth/token":
        return _json({"error": "invalid_client", "error_description": "bad secret"}, 401)
    return _json(ok_envelope())


async def _token_garbage(request: web.Request) -> web.StreamResponse:
    if request.path == "/oauth/token":
        return web.Response(text="<html>oops</html>", content_type="text/html")
    return _json(ok_envelope())


#: every error path a call can take, by name
SCENARIOS: dict[str, Answer] = {
    "401": _api(lambda: _fail("err_xdk_client_update_required", 401)),
    "403": _api(lambda: _fail("err_forbidden", 403)),
    "418": _api(lambda: _fail("err_xdk_binding_expired", 418)),
    "429": _api(lambda: _fail("err_rate_limit_exceeded", 429, **{"X-RateLimit-Reset": "5"})),
    "500": _api(lambda: _fail("err_server", 500)),
    "502-html": _api(
        lambda: web.Response(status=502, text="<html>Bad gateway</html>", content_type="text/html")
    ),
    "200-fail": _api(lambda: _fail("err_validation_blocked", 200)),
    "200-garbage": _api(lambda: web.Response(body=b"\xff\xfe not json")),
    "200-deep": _api(lambda: web.Response(body=b"[" * 100_000)),
    "200-wrong-shape": _api(lambda: _json({"meta": {"status": "x"}, "data": {"a": 1}})),
    "drop": _api_async(_drop),
    "truncate": _api_async(_truncate),
    "timeout": _api_async(_slow),
    "token-refused": _token_refused,
    "token-garbage": _token_garbage,
}


def _texts_of(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts += [repr(failure) for failure in getattr(error, "failures", [])]
    texts += [repr(vars(error)) if hasattr(error, "__dict__") else ""]
    return texts


async def _siem_events(client: mc.MimecastClient) -> list[Any]:
    return [event async for event in client.logs.siem()]


async def _every_call(client: mc.MimecastClient) -> list[BaseException]:
    """Drive a read, a pager, a log stream, SIEM and a mutation; return what each raised."""
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: client.request("/api/account/get-account"),
        lambda: client.groups.find(limit=5).to_list(),
        lambda: client.logs.audit(start=START, end=END, concurrency=2).to_list(),
        lambda: client.logs.ttp_url(start=START, end=END, ordered=False).to_list(),
        lambda: _siem_events(client),
        lambda: client.senders.block("bad@evil.example", "me@corp.example"),
        lambda: client.holds.release("message-id-1"),
    ]
    errors: list[BaseException] = []
    for call in calls:
        try:
            await asyncio.wait_for(call(), 20)
        except mc.MimecastError as error:
            errors.append(error)
    return errors


def _client(auth: mc.HmacAuth | mc.OAuth2Auth, base_url: str) -> mc.MimecastClient:
    sleep_free = mc.RetryPolicy(
        max_attempts=2, max_rate_limit_retries=1, backoff_initial=0.0, backoff_max=0.0
    )
    return mc.MimecastClient(auth, base_url=base_url, retry=sleep_free, timeout=0.1)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("auth_kind", ["hmac", "oauth2"])
async def test_no_canary_on_any_error_path(
    scenario: str, auth_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    if scenario.startswith("token") and auth_kind == "hmac":
        pytest.skip("API 1.0 asks for no token")
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    auth = canary_hmac() if auth_kind == "hmac" else canary_oauth2()
    async with local_server(SCENARIOS[scenario]) as url:
        async with _client(auth, url) as client:
            errors = await _every_call(client)
            texts = [repr(client), str(client), repr(client.engine.tokens)]
    assert len(errors) >= 5, f"{scenario}: only {len(errors)} calls failed"
    for error in errors:
        texts += _texts_of(error)
    texts.append(caplog.text)
    texts += [
        "".join(traceback.format_exception(*r.exc_info)) for r in caplog.records if r.exc_info
    ]
    for text in texts:
        assert_no_canary(text)


async def test_no_canary_when_the_connection_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with local_server(_api(lambda: _json(ok_envelope()))) as url:
        pass  # the port is closed again: every connection is refused
    for auth in (canary_hmac(), canary_oauth2()):
        async with _client(auth, url) as client:
            errors = await _every_call(client)
        assert len(errors) == 7
        assert all(isinstance(error, mc.TransportError) for error in errors)
        for error in errors:
            for text in _texts_of(error):
                assert_no_canary(text)
    assert_no_canary(caplog.text)


async def test_no_canary_in_reprs_of_everything_a_user_holds() -> None:
    """Successful pulls with canary credentials (a server that accepts anything)."""
    record = {"eventTime": "2024-03-01T00:10:00+0000", "id": "e1", "user": "a@b.example"}

    async def anything(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return _good_token()
        if request.path == "/api/audit/get-audit-events":
            return _json(ok_envelope([record]))
        return _json(ok_envelope([{"id": "g1", "description": "group"}]))

    texts: list[str] = []
    for auth in (canary_hmac(), canary_oauth2()):
        texts += [repr(auth), str(auth)]
        async with local_server(anything) as url:
            async with mc.MimecastClient(auth, base_url=url) as client:
                stream = client.logs.audit(start=START, end=END, page_size=10)
                texts += [repr(stream), repr(stream.checkpoint), stream.checkpoint.to_json()]
                records = await stream.to_list()
                pager = client.groups.find(limit=1)
                groups = await pager.to_list()
                siem = client.logs.siem()
                texts += [repr(siem), repr(pager), repr(groups), repr(records)]
                texts += [
                    stream.checkpoint.to_json(),
                    repr(Checkpoint.from_json(siem.checkpoint.to_json())),
                ]
                engine = client.engine
                texts += [repr(engine), repr(engine.transport), repr(engine.gate)]
                texts += [repr(engine.policy), repr(engine.tokens), repr(client.rate_limit)]
                if engine.tokens is not None:
                    texts.append(repr(engine.tokens._token))
                texts += [repr(client), str(client)]
        assert records
    for text in texts:
        assert_no_canary(text)


async def test_checkpoint_files_hold_no_credential(tmp_path: Path) -> None:
    """Checkpoints taken mid-pull from the emulator never hold its (real) credentials."""
    async with MimecastEmulator(seed=4, records=500) as emu:
        secrets = [
            emu.hmac_auth.app_key,
            emu.hmac_auth.access_key,
            emu.hmac_auth.secret_key,
            emu.oauth2_auth.client_secret,
        ]
        start, end = emu.time_range
        for auth in (emu.hmac_auth, emu.oauth2_auth):
            async with mc.MimecastClient(auth, base_url=emu.base_url) as client:  # type: ignore[arg-type]
                stream = client.logs.ttp_url(start=start, end=end, page_size=20, concurrency=4)
                iterator = stream.__aiter__()
                for _ in range(37):
                    await iterator.__anext__()
                path = tmp_path / "state.json"
                path.write_text(stream.checkpoint.to_json())
                await iterator.aclose()
                siem = client.logs.siem()
                async for _event in siem:
                    break
                (tmp_path / "siem.json").write_text(siem.checkpoint.to_json())
            for file in (path, tmp_path / "siem.json"):
                saved = file.read_text()
                assert not any(secret in saved for secret in secrets), file


# -- the CLI ------------------------------------------------------------------------------------


def _canary_env(kind: str, base_url: str) -> dict[str, str]:
    from tests.cli.helpers import clean_env

    if kind == "hmac":
        creds = {
            "MIMECAST_APP_ID": "canary-app-id",
            "MIMECAST_APP_KEY": CANARY_APP_KEY,
            "MIMECAST_ACCESS_KEY": CANARY_ACCESS_KEY,
            "MIMECAST_SECRET_KEY": CANARY_SECRET_KEY,
        }
    else:
        creds = {
            "MIMECAST_CLIENT_ID": "canary-client-id",
            "MIMECAST_CLIENT_SECRET": CANARY_CLIENT_SECRET,
        }
    return clean_env(MIMECAST_BASE_URL=base_url, **creds)


async def _run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mimecast_async.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(errors="replace") + stderr.decode(errors="replace")


def _files_text(folder: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file())


@pytest.mark.parametrize("kind", ["hmac", "oauth2"])
async def test_cli_refused_with_canary_credentials_prints_no_secret(
    kind: str, tmp_path: Path
) -> None:
    async with MimecastEmulator(seed=2, records=50) as emu:  # it accepts only its own keys
        env = _canary_env(kind, emu.base_url)
        outputs: list[str] = []
        for extra in ([], ["--debug"]):
            code, output = await _run_cli(
                env,
                "pull",
                "audit",
                "--since",
                "1h",
                "--out",
                str(tmp_path / "out.jsonl"),
                "--checkpoint",
                str(tmp_path / "state.json"),
                "--progress",
                "plain",
                *extra,
            )
            assert code == 3, output  # authentication refused
            outputs.append(output)
        code, output = await _run_cli(
            env, "call", "users.aliases", "--email", "alice@example.com", "--debug"
        )
        assert code == 3, output
        outputs.append(output)
    for text in [*outputs, _files_text(tmp_path)]:
        for canary in CANARIES:
            assert canary not in text, f"{canary!r} leaked by the CLI: {text[-500:]!r}"
    assert "401" in outputs[0] or "uthentication" in outputs[0]


@pytest.mark.parametrize("kind", ["hmac", "oauth2"])
async def test_cli_successful_pull_with_canary_credentials_writes_no_secret(
    kind: str, tmp_path: Path
) -> None:
    record = {"eventTime": "2024-03-01T00:10:00+0000", "id": "e1", "user": "a@b.example"}

    async def anything(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return _good_token()
        return _json(ok_envelope([record]))

    async with local_server(anything) as url:
        code, output = await _run_cli(
            _canary_env(kind, url),
            "pull",
            "audit",
            "--start",
            "2024-03-01T00:00:00Z",
            "--end",
            "2024-03-01T01:00:00Z",
            "--out",
            str(tmp_path / "out.jsonl"),
            "--checkpoint",
            str(tmp_path / "state.json"),
            "--progress",
            "plain",
            "--debug",
        )
    assert code == 0, output
    assert "e1" in (tmp_path / "out.jsonl").read_text()
    for text in (output, _files_text(tmp_path)):
        for canary in CANARIES:
            assert canary not in text, f"{canary!r} leaked by the CLI"
