"""Hostile inputs: CR, LF and NUL in every string argument of every public method, huge lists and
unicode addresses are refused before any request, or sent safely inside the JSON body; a
recording server proves no header was ever injected and every path stayed the documented one."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from tests.helpers import FakeClock, canary_hmac, canary_oauth2, local_server

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
END = START + timedelta(hours=1)
MARK = "X-Injected"
HOSTILE = [
    f"a@b.example\r\n{MARK}: 1",
    f"value\n{MARK}: 1",
    "value\r",
    "nul\x00byte",
    f"\r\n\r\nPOST /api/evil HTTP/1.1\r\n{MARK}: 1\r\n\r\n",
]
UNICODE = ["usér@exämple.com", "ü@例え.jp", "a\u202e@b.example", "a@b.example\u2028", "𝔞@b.example"]

#: header names a request may carry
ALLOWED_HEADERS = {
    "host",
    "user-agent",
    "content-type",
    "content-length",
    "accept",
    "accept-encoding",
    "authorization",
    "x-mc-app-id",
    "x-mc-date",
    "x-mc-req-id",
    "x-request-id",
}


@dataclass
class Recorder:
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def handler(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append((request.path, dict(request.headers), body))
        if request.path == "/oauth/token":
            return web.json_response({"access_token": "tok", "expires_in": 1800})
        return web.json_response({"meta": {"status": 200}, "data": [], "fail": []})

    def check(self) -> None:
        for path, headers, body in self.requests:
            assert path.startswith(("/api/", "/oauth/token")) and "\r" not in path, path
            names = {name.lower() for name in headers}
            assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
            for value in headers.values():
                assert MARK not in value and "\r" not in value and "\n" not in value
            if path != "/oauth/token":
                json.loads(body)  # the body is still one well-formed JSON document


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Recorder]]:
    recorder = Recorder()
    async with local_server(recorder.handler) as url:
        yield url, recorder
    recorder.check()


def _policy() -> mc.RetryPolicy:
    clock = FakeClock()
    return mc.RetryPolicy(max_attempts=1, sleep=clock.sleep, clock=clock)


#: (method, a call with valid arguments); string arguments get replaced one at a time
BASELINE: list[tuple[str, dict[str, Any]]] = [
    (
        "policies.create_blocked_sender",
        {
            "description": "d",
            "sender_value": "a@b.example",
            "receiver_type": "individual_email_address",
            "receiver_value": "c@d.example",
            "source_ips": ["10.0.0.0/8"],
        },
    ),
    ("policies.get_blocked_sender", {"policy_id": "p1"}),
    ("policies.list_blocked_senders", {}),
    ("policies.delete_blocked_sender", {"policy_id": "p1"}),
    ("policies.update_blocked_sender", {"policy_id": "p1", "description": "d"}),
    ("groups.create", {"description": "g", "parent_id": "p1"}),
    ("groups.find", {"query": "q"}),
    ("groups.update", {"group_id": "g1", "description": "d", "parent_id": "p2"}),
    ("groups.delete", {"group_id": "g1"}),
    ("groups.add_members", {"group_id": "g1", "emails": ["a@b.example"], "domains": ["b.example"]}),
    ("groups.members", {"group_id": "g1"}),
    ("groups.remove_member", {"group_id": "g1", "email": "a@b.example"}),
    ("groups.remove_member", {"group_id": "g1", "domain": "b.example"}),
    ("senders.block", {"sender": "a@evil.example", "to": "me@corp.example"}),
    ("senders.permit", {"sender": "a@evil.example", "to": "me@corp.example"}),
    ("senders.block_many", {"pairs": [("a@evil.example", "me@corp.example")]}),
    ("senders.permit_many", {"pairs": [("a@evil.example", "me@corp.example")]}),
    ("urls.list_managed", {"domain_or_url": "evil.example"}),
    ("urls.block", {"url": "https://evil.example/x", "comment": "c"}),
    ("urls.permit", {"url": "https://good.example/x", "comment": "c"}),
    ("urls.delete_managed", {"url_id": "u1"}),
    ("urls.decode", {"url": "https://protect.example/x"}),
    ("urls.decode_many", {"urls": ["https://protect.example/x"]}),
    ("archive.search", {"query": "<xmlquery><metadata/></xmlquery>"}),
    ("archive.messages", {"mailbox": "a@b.example"}),
    ("archive.message_detail", {"message_id": "m1"}),
    (
        "tracking.search",
        {"sender": "a@b.example", "recipient": "c@d.example", "subject": "s", "reason": "r"},
    ),
    ("tracking.search", {"message_id": "<m1@b.example>"}),
    ("tracking.search", {"sender": "a@b.example", "sender_ip": "192.0.2.1"}),
    ("tracking.message_info", {"message_id": "m1"}),
    ("holds.list", {"sender": "a@b.example"}),
    ("holds.list", {"subject": "s"}),
    ("holds.list", {"recipient": "a@b.example"}),
    ("holds.list", {"reason_code": "r"}),
    ("holds.list", {"sender_ip": "192.0.2.1"}),
    ("holds.release", {"message_id": "m1"}),
    ("holds.reject", {"message_ids": ["m1"], "message": "no"}),
    ("users.aliases", {"email": "a@b.example"}),
    ("logs.ttp_url", {"start": START, "end": END, "route": "all", "scan_result": "all"}),
    (
        "logs.ttp_impersonation",
        {
            "start": START,
            "end": END,
            "search_field": "all",
            "query": "q",
            "identifiers": ["custom_name_list"],
            "actions": ["hold"],
        },
    ),
    ("logs.ttp_attachment", {"start": START, "end": END, "route": "all", "result": "all"}),
    ("logs.search", {"start": START, "end": END, "query": "q", "endpoint": "get-search-logs"}),
    ("logs.audit", {"start": START, "end": END, "query": "q", "categories": ["c"]}),
    ("logs.siem", {"log_type": "MTA", "file_format": "json"}),
]


def _variants(kwargs: dict[str, Any], values: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every way to put one of ``values`` into one string argument (or one list element)."""
    out = []
    for name, value in kwargs.items():
        for bad in values:
            if isinstance(value, str):
                out.append((name, {**kwargs, name: bad}))
            elif isinstance(value, list) and value and isinstance(value[0], str):
                out.append((name, {**kwargs, name: [*value, bad]}))
            elif isinstance(value, list) and value and isinstance(value[0], tuple):
                out.append((f"{name}[0]", {**kwargs, name: [(bad, value[0][1])]}))
                out.append((f"{name}[1]", {**kwargs, name: [(value[0][0], bad)]}))
    return out


async def _call(client: mc.MimecastClient, method: str, kwargs: dict[str, Any]) -> Any:
    resource, name = method.split(".")
    result = getattr(getattr(client, resource), name)(**kwargs)
    if inspect.isawaitable(result):
        return await asyncio.wait_for(result, 10)
    if hasattr(result, "to_list"):
        return await asyncio.wait_for(result.to_list(), 10)
    return await asyncio.wait_for(_drain(result), 10)


async def _drain(stream: Any) -> list[Any]:
    return [item async for item in stream]


def test_the_baseline_names_every_public_method() -> None:
    client = mc.MimecastClient(canary_hmac(), base_url="http://127.0.0.1:9")
    public = set()
    for resource in ("policies", "groups", "senders", "urls", "logs", "archive"):
        public |= {
            f"{resource}.{name}"
            for name, _ in inspect.getmembers(getattr(client, resource), inspect.ismethod)
            if not name.startswith("_")
        }
    for resource in ("tracking", "holds", "users"):
        public |= {
            f"{resource}.{name}"
            for name, _ in inspect.getmembers(getattr(client, resource), inspect.ismethod)
            if not name.startswith("_")
        }
    assert public == {method for method, _ in BASELINE}


@pytest.mark.parametrize(("method", "kwargs"), BASELINE, ids=[m for m, _ in BASELINE])
async def test_control_characters_in_every_string_argument(
    method: str, kwargs: dict[str, Any], server: tuple[str, Recorder]
) -> None:
    url, recorder = server
    async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_policy()) as client:
        try:  # the baseline itself runs (or fails on the empty answer, after sending)
            await _call(client, method, kwargs)
        except mc.MimecastError as error:
            assert not isinstance(error, mc.InvalidInputError), error
        for argument, bad_kwargs in _variants(kwargs, HOSTILE):
            before = len(recorder.requests)
            try:
                await _call(client, method, bad_kwargs)
            except (mc.InvalidInputError, mc.ConfigurationError):
                assert len(recorder.requests) == before, f"{argument}: refused after sending"
                continue
            except mc.MimecastError:
                pass
            # accepted: only free text may be, and only inside the JSON body
            sent = recorder.requests[before:]
            assert sent, f"{method}({argument}=...) neither refused nor sent"
    recorder.check()


@pytest.mark.parametrize(("method", "kwargs"), BASELINE, ids=[m for m, _ in BASELINE])
async def test_unicode_in_every_string_argument_is_refused_or_sent_intact(
    method: str, kwargs: dict[str, Any], server: tuple[str, Recorder]
) -> None:
    url, recorder = server
    async with mc.MimecastClient(canary_oauth2(), base_url=url, retry=_policy()) as client:
        for argument, bad_kwargs in _variants(kwargs, UNICODE):
            before = len(recorder.requests)
            try:
                await _call(client, method, bad_kwargs)
            except (mc.InvalidInputError, mc.ConfigurationError):
                assert len(recorder.requests) == before, f"{argument}: refused after sending"
                continue
            except mc.MimecastError:
                continue  # failed on the empty answer (maybe before the value was sent)
            bodies = [
                body for path, _, body in recorder.requests[before:] if path != "/oauth/token"
            ]
            text = json.dumps([json.loads(body) for body in bodies], ensure_ascii=False)
            value = bad_kwargs[argument.split("[")[0]]
            values = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
            if isinstance(value, list) and value and isinstance(value[0], tuple):
                values = [v for pair in value for v in pair]
            assert any(v in text for v in values if v in UNICODE), (argument, text[:300])


async def test_raw_request_and_auth_constructors_refuse_control_characters(
    server: tuple[str, Recorder],
) -> None:
    url, recorder = server
    async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_policy()) as client:
        for bad in HOSTILE:
            with pytest.raises(mc.InvalidInputError):
                await client.request("/api/x" + bad)
            # data and meta travel in the JSON body, escaped
            await client.request("/api/x", [{"v": bad}], meta={"m": bad})
    assert len(recorder.requests) == len(HOSTILE)
    for bad in HOSTILE:
        for kwargs in (
            {"app_id": bad},
            {"app_key": bad},
            {"access_key": bad},
            {"secret_key": "c2VjcmV0" + bad},
        ):
            base = {"app_id": "i", "app_key": "k", "access_key": "a", "secret_key": "c2VjcmV0"}
            with pytest.raises(mc.ConfigurationError):
                mc.HmacAuth(**{**base, **kwargs})
        with pytest.raises(mc.ConfigurationError):
            mc.OAuth2Auth(client_id=bad, client_secret="s")
        with pytest.raises(mc.ConfigurationError):
            mc.OAuth2Auth(client_id="i", client_secret=bad)
        with pytest.raises(mc.ConfigurationError):
            mc.OAuth2Auth(client_id="i", client_secret="s", token_path="/oauth/token" + bad)
        with pytest.raises(mc.ConfigurationError):
            mc.MimecastClient(canary_hmac(), base_url="https://eu-api.mimecast.com" + bad)
        env = {
            "MIMECAST_CLIENT_ID": "i" + bad,
            "MIMECAST_CLIENT_SECRET": "s",
            "MIMECAST_REGION": "us",
        }
        if bad.strip() != bad.replace("\x00", ""):
            continue
        with pytest.raises(mc.ConfigurationError):
            mc.MimecastClient.from_env(env)
    recorder.check()


async def test_unicode_credentials_never_break_a_header(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    for auth in (
        mc.HmacAuth(app_id="ïd-€", app_key="ключ", access_key="açcess", secret_key="c2VjcmV0"),
        mc.OAuth2Auth(client_id="clïent", client_secret="sécret"),
    ):
        async with mc.MimecastClient(auth, base_url=url, retry=_policy()) as client:
            with contextlib.suppress(mc.MimecastError):
                await client.request("/api/x")
    recorder.check()


@pytest.mark.parametrize(
    ("call", "chunk"),
    [
        (
            lambda c, n: c.groups.add_members("g1", emails=[f"u{i}@b.example" for i in range(n)]),
            100,
        ),
        (lambda c, n: c.urls.decode_many([f"https://p.example/{i}" for i in range(n)]), 25),
        (
            lambda c, n: c.senders.block_many(
                [(f"s{i}@e.example", "me@c.example") for i in range(n)]
            ),
            100,
        ),
        (lambda c, n: c.holds.reject([f"m{i}" for i in range(n)]), None),
    ],
)
async def test_huge_lists_are_chunked_or_refused_never_one_giant_request(
    call: Callable[[mc.MimecastClient, int], Any], chunk: int | None, server: tuple[str, Recorder]
) -> None:
    url, recorder = server
    async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_policy()) as client:
        with contextlib.suppress(mc.MimecastError):
            await asyncio.wait_for(call(client, 2_000), 30)
    sizes = [len(json.loads(body)["data"]) for path, _, body in recorder.requests]
    if chunk is not None:
        assert sizes and max(sizes) <= chunk, sizes[:5]
    assert all(len(body) < 1_000_000 for _, _, body in recorder.requests)
