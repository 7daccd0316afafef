"""Hostile responses: every broken, oversized or malicious answer becomes a typed MimecastError,
never a hang (each call runs under ``asyncio.wait_for``) and never a foreign exception.

The hypothesis test feeds generated bodies to the pure envelope parser; ``MIMECAST_FUZZ_EXAMPLES``
sets its example count (300 in ``make test``, 10,000 in ``make soak``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mimecast_async as mc
from mimecast_async.envelope import decode_envelope, error_for_status, raise_for_failures
from mimecast_async.models.logs import AttachmentLog, AuditEvent, TtpUrlLog
from mimecast_async.pagination import nested_items
from mimecast_async.siem import parse_siem_file
from tests.helpers import FakeClock, canary_hmac, canary_oauth2, local_server, ok_envelope

FUZZ_EXAMPLES = int(os.environ.get("MIMECAST_FUZZ_EXAMPLES", "300"))
HANG_BOUND = 15.0  # seconds: far beyond any honest answer here, so hitting it means a hang
START = datetime(2024, 3, 1, tzinfo=timezone.utc)
END = START + timedelta(hours=6)
CAP = 4096


def _retry() -> mc.RetryPolicy:
    clock = FakeClock()  # rate-limit waits and backoff cost no wall time
    return mc.RetryPolicy(max_attempts=2, max_rate_limit_retries=1, sleep=clock.sleep, clock=clock)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _always(body: bytes, status: int = 200, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return web.json_response({"access_token": "t", "expires_in": 1800})
        headers.setdefault("Content-Type", "application/json")
        return web.Response(body=body, status=status, headers=headers)

    return handler


async def _chunked_big(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)  # no Content-Length: chunked transfer
    await response.write(b'{"meta": {"status": 200}, "data": ["')
    for _ in range(64):
        await response.write(b"x" * 1024)
    await response.write(b'"]}')
    await response.write_eof()
    return response


async def _lying_length(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = 3000
    await response.prepare(request)
    await response.write(b'{"meta": {}, "data": []}')  # far less than announced, then hang up
    await asyncio.sleep(0.01)
    assert request.transport is not None
    request.transport.close()
    return response


def _enc(payload: Any) -> bytes:
    return msgspec.json.encode(payload)


_DEEP = b'{"meta": {"status": 200}, "data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
_FAIL_NO_DATA = _enc({"meta": {"status": 200}, "fail": [{"errors": [{"code": "err_x"}]}]})

#: name -> (handler, the error classes acceptable for it)
HOSTILE: dict[str, tuple[Handler, tuple[type[mc.MimecastError], ...]]] = {
    "oversized with length": (_always(b" " * (CAP * 4)), (mc.ResponseDecodeError,)),
    "oversized chunked": (_chunked_big, (mc.ResponseDecodeError,)),
    "gzip bomb": (
        _always(
            gzip.compress(_enc(ok_envelope(["0" * 2_000_000]))), **{"Content-Encoding": "gzip"}
        ),
        (mc.ResponseDecodeError,),
    ),
    "deeply nested": (_always(_DEEP[: CAP - 10] + b"]}"), (mc.ResponseDecodeError,)),
    "wrong types": (
        _always(_enc({"meta": {"status": "ok", "pagination": []}, "data": [{"clickLogs": 5}]})),
        (mc.ResponseDecodeError,),
    ),
    "missing meta": (_always(_enc({"data": []})), (mc.ResponseDecodeError,)),
    "data not a list": (_always(_enc({"meta": {}, "data": {"a": 1}})), (mc.ResponseDecodeError,)),
    "html error page": (
        _always(b"<html><h1>502 Bad Gateway</h1></html>", 502, **{"Content-Type": "text/html"}),
        (mc.ServerError,),
    ),
    "html 200": (
        _always(b"<!doctype html><p>maintenance", **{"Content-Type": "text/html"}),
        (mc.ResponseDecodeError,),
    ),
    "empty 200": (_always(b""), (mc.ResponseDecodeError,)),
    "empty 500": (_always(b"", 500), (mc.ServerError,)),
    "invalid utf-8": (
        _always(b'{"meta": {"status": 200}, "data": ["\xff\xfe"]}'),
        (mc.ResponseDecodeError,),
    ),
    "200 with fail and no data": (
        _always(_FAIL_NO_DATA),
        (mc.FailedRequestError, mc.ResponseDecodeError),
    ),
    "huge numbers": (
        _always(
            b'{"meta": {"status": 1e999, "pagination": {"pageSize": 1'
            + b"0" * 400
            + b'}}, "data": []}'
        ),
        (mc.ResponseDecodeError,),
    ),
    "unknown status 299 garbage": (_always(b"\x00\x01", 299), (mc.ResponseDecodeError,)),
    "status 600": (_always(b"{}", 600), (mc.APIError,)),
    "huge rate-limit reset": (
        _always(_enc(ok_envelope()), 429, **{"X-RateLimit-Reset": "1" + "0" * 30}),
        (mc.RateLimitError,),
    ),
    "nan rate-limit reset": (
        _always(b"", 429, **{"X-RateLimit-Reset": "nan", "X-RateLimit-Remaining": "-4"}),
        (mc.RateLimitError,),
    ),
    "lying content-length": (_lying_length, (mc.TransportError,)),
}

# the hostile shapes that make sense for every kind of call; "wrong types" etc. are only
# wrong for typed calls (a raw request() accepts any JSON object)
_TYPED_ONLY = {"wrong types", "200 with fail and no data"}


async def _siem_events(client: mc.MimecastClient) -> list[Any]:
    return [event async for event in client.logs.siem()]


CALLS: dict[str, Callable[[mc.MimecastClient], Awaitable[Any]]] = {
    "request": lambda c: c.request("/api/account/get-account"),
    "pager": lambda c: c.groups.find(page_size=10).to_list(),
    "stream": lambda c: c.logs.ttp_url(start=START, end=END, concurrency=4).to_list(),
    "unordered": lambda c: c.logs.audit(start=START, end=END, ordered=False).to_list(),
    "one-shot": lambda c: c.users.aliases("alice@example.com"),
    "mutation": lambda c: c.senders.block("bad@evil.example", "me@corp.example"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_answers_become_typed_errors(name: str) -> None:
    handler, acceptable = HOSTILE[name]
    outcomes: dict[str, str] = {}
    async with local_server(handler) as url:
        for auth in (canary_hmac(), canary_oauth2()):
            async with mc.MimecastClient(
                auth, base_url=url, retry=_retry(), max_response_bytes=CAP, timeout=0.3
            ) as client:
                for call_name, call in CALLS.items():
                    try:
                        await asyncio.wait_for(call(client), HANG_BOUND)
                    except asyncio.TimeoutError:
                        pytest.fail(f"{name}: {call_name} hung")
                    except mc.MimecastError as error:
                        outcomes[call_name] = type(error).__name__
                        if call_name != "request" or name not in _TYPED_ONLY:
                            assert isinstance(error, acceptable), (call_name, error)
                        assert str(error) and len(str(error)) < 2_000
                    else:
                        outcomes[call_name] = "ok"
    # a raw request() may accept odd-but-valid JSON; every typed call must refuse
    refused = {call for call, outcome in outcomes.items() if outcome != "ok"}
    assert refused >= set(CALLS) - {"request"}, outcomes


def _log_page(records: list[dict[str, Any]], next_token: str | None) -> bytes:
    pagination = {"pageSize": 10, **({"next": next_token} if next_token else {})}
    return _enc(
        {"meta": {"status": 200, "pagination": pagination}, "data": [{"clickLogs": records}]}
    )


def _click(moment: datetime, n: int) -> dict[str, Any]:
    return {
        "date": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "url": f"https://e.example/{n}",
        "userEmailAddress": "a@b.example",
        "action": "allow",
        "scanResult": "clean",
        "route": "inbound",
    }


@pytest.mark.parametrize("loop", [["A", "A"], ["A", "B", "A"], ["A", "B", "C", "B"]])
async def test_a_next_token_that_loops_raises_pagination_error(loop: list[str]) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        token = body.get("meta", {}).get("pagination", {}).get("pageToken")
        index = 0 if token is None else loop.index(token) + 1
        next_token = loop[index] if index < len(loop) else loop[-1]
        moment = START + timedelta(minutes=index)
        if request.path == "/api/ttp/url/get-logs":
            return web.Response(body=_log_page([_click(moment, index)], next_token))
        page = {"meta": {"status": 200, "pagination": {"next": next_token}}, "data": [{}]}
        return web.json_response(page)

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_retry()) as client:
            for call in (
                lambda: client.groups.find(page_size=1).to_list(),
                lambda: client.logs.ttp_url(start=START, end=END, concurrency=1).to_list(),
                lambda: client.logs.ttp_url(
                    start=START, end=END, concurrency=1, ordered=False
                ).to_list(),
            ):
                with pytest.raises(mc.PaginationError):
                    await asyncio.wait_for(call(), HANG_BOUND)


async def test_a_token_that_changes_the_query_cannot_smuggle_records_in() -> None:
    """Page 2 answers for another window: those records are not the pull's, so none is kept."""
    inside = [_click(START + timedelta(minutes=n), n) for n in range(5)]
    outside = [_click(END + timedelta(days=3, minutes=n), 100 + n) for n in range(5)]
    counter = itertools.count()

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        token = body.get("meta", {}).get("pagination", {}).get("pageToken")
        if token is None:
            return web.Response(body=_log_page(inside, f"other-query-{next(counter)}"))
        return web.Response(body=_log_page(outside, f"more-{next(counter)}"))

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_retry()) as client:
            for ordered in (True, False):
                records = await asyncio.wait_for(
                    client.logs.ttp_url(
                        start=START, end=END, concurrency=1, ordered=ordered
                    ).to_list(),
                    HANG_BOUND,
                )
                assert sorted(record.url for record in records) == sorted(r["url"] for r in inside)


async def test_a_hostile_bearer_token_is_refused_not_sent() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.extend(name for name in request.headers if name.lower().startswith("x-injected"))
        if request.path == "/oauth/token":
            return web.json_response({"access_token": "t\r\nX-Injected: 1", "expires_in": 60})
        return web.json_response(ok_envelope())

    async with local_server(handler) as url:
        async with mc.MimecastClient(canary_oauth2(), base_url=url, retry=_retry()) as client:
            with pytest.raises(mc.ResponseDecodeError):
                await asyncio.wait_for(client.request("/api/x"), HANG_BOUND)
    assert seen == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"\xff\xfe"),
        (200, b'{"access_token": "\xff"}'),
        (200, b'{"access_token": ' + b"[" * 100_000),
        (200, b"<html>login</html>"),
        (200, b'{"access_token": 5, "expires_in": "soon"}'),
        (200, b'{"access_token": "", "expires_in": 10}'),
        (200, b'{"access_token": "' + b"a" * 10_000 + b'", "expires_in": 1e999}'),
        (401, b'{"error": "' + b"[" * 100_000),
        (400, b'{"error": "\xff"}'),
        (503, b"<html>down</html>"),
    ],
)
async def test_hostile_token_responses_become_typed_errors(status: int, body: bytes) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return web.Response(body=body, status=status, content_type="application/json")
        return web.json_response(ok_envelope())

    async with local_server(handler) as url:
        async with mc.MimecastClient(
            canary_oauth2(), base_url=url, retry=_retry(), max_response_bytes=200_000
        ) as client:
            with contextlib.suppress(mc.MimecastError):
                await asyncio.wait_for(client.request("/api/x"), HANG_BOUND)


@pytest.mark.parametrize(
    "body",
    [b"PK\x03\x04broken zip", b"{not json", b"[1, 2, 3]", b'{"data": [1]}', b"\xff" * 100],
)
def test_hostile_siem_files_become_typed_errors(body: bytes) -> None:
    with contextlib.suppress(mc.MimecastError):
        parse_siem_file(body, "MTA_file.json")


# -- property test of the pure parser -------------------------------------------------------

_KEYS = [
    "meta",
    "data",
    "fail",
    "status",
    "pagination",
    "next",
    "pageSize",
    "errors",
    "code",
    "message",
    "retryable",
    "key",
    "clickLogs",
    "date",
    "eventTime",
    "isLastToken",
    "field",
]
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["2024-03-01T00:00:00+0000", "", "retryable", "\x00", "\ud7ff"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)


def _envelope_like() -> st.SearchStrategy[dict[str, Any]]:
    wire_error = st.fixed_dictionaries(
        {}, optional={"code": _JSON, "message": _JSON, "retryable": _JSON, "field": _JSON}
    )
    failure = st.fixed_dictionaries(
        {}, optional={"key": _JSON, "errors": st.lists(wire_error, max_size=3) | _JSON}
    )
    pagination = st.fixed_dictionaries(
        {}, optional={"next": _JSON, "pageSize": _JSON, "previous": _JSON}
    )
    meta = st.fixed_dictionaries(
        {}, optional={"status": _JSON, "pagination": pagination | _JSON, "isLastToken": _JSON}
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "meta": meta | _JSON,
            "data": st.lists(_JSON, max_size=4) | _JSON,
            "fail": st.lists(failure, max_size=3) | _JSON,
        },
    )


def _encode(value: Any) -> bytes:
    try:
        return msgspec.json.encode(value)
    except (msgspec.EncodeError, OverflowError, UnicodeEncodeError):
        return b"{}"


_BODIES = (
    _envelope_like().map(_encode)
    | _JSON.map(_encode)
    | st.binary(max_size=200)
    | _envelope_like()
    .map(_encode)
    .flatmap(lambda raw: st.integers(0, max(0, len(raw))).map(lambda cut: raw[:cut]))
)
_ITEM_TYPES = [
    Any,
    TtpUrlLog,
    AuditEvent,
    AttachmentLog,
    dict[str, Any],
    nested_items("clickLogs", TtpUrlLog)[0],
]


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(body=_BODIES, item_type=st.sampled_from(_ITEM_TYPES), status=st.integers(100, 999))
def test_generated_bodies_only_ever_raise_mimecast_errors(
    body: bytes, item_type: Any, status: int
) -> None:
    try:
        envelope = decode_envelope(body, item_type, status=200, path="/api/x")
    except mc.MimecastError as error:
        assert isinstance(error, mc.ResponseDecodeError)
        str(error)
    else:
        assert isinstance(envelope.data, list)
        envelope.next_token  # noqa: B018 - must not raise
        try:
            raise_for_failures(envelope, request_id="r", path="/api/x")
        except mc.FailedRequestError as error:
            assert error.failures and str(error) and error.codes is not None
    mapped = error_for_status(status, body, request_id="r", path="/api/x", retry_after=1.0)
    assert isinstance(mapped, mc.APIError) and mapped.status == status
    str(mapped), repr(mapped), mapped.codes


@pytest.mark.parametrize("ordered", [True, False])
async def test_log_timestamps_without_an_offset_are_a_decode_error(ordered: bool) -> None:
    # every record of the page lacks the offset (a mixed page fails on comparison already)
    naive = [
        {**_click(START + timedelta(minutes=n), n), "date": f"2024-03-01T00:{n:02d}:00"}
        for n in range(5)
    ]
    async with local_server(_always(_log_page(naive, None))) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_retry()) as client:
            stream = client.logs.ttp_url(start=START, end=END, concurrency=2, ordered=ordered)
            with pytest.raises(mc.ResponseDecodeError, match="UTC offset"):
                await stream.to_list()


def _zip_with(member: bytes, method: int = 8, flags: int = 0) -> bytes:
    """A one-member ZIP whose member data is ``member`` as stored, under ``method``/``flags``."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("MTA_1.json", member)
    data = bytearray(buffer.getvalue())
    for header, method_at, flags_at in ((b"PK\x03\x04", 8, 6), (b"PK\x01\x02", 10, 8)):
        at = data.index(header)
        data[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
        data[at + flags_at : at + flags_at + 2] = flags.to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize(
    "body",
    [
        _zip_with(b"\xff\xfe not deflate data at all"),  # zlib.error before the fix
        _zip_with(b'{"data": []}', method=99),  # NotImplementedError
        _zip_with(b'{"data": []}', method=0, flags=1),  # encrypted member: RuntimeError
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in the JSON decoder
    ],
    ids=["corrupt deflate", "unknown method", "encrypted", "nested too deep"],
)
def test_unreadable_siem_files_are_decode_errors(body: bytes) -> None:
    with pytest.raises(mc.ResponseDecodeError):
        parse_siem_file(body, "MTA_file.json")


_BOMB = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)  # ~64 KiB on the wire


async def test_a_bomb_beyond_aiohttp_s_own_limit_is_a_decode_error() -> None:
    # SECURITY.md: a gzip bomb is refused with ResponseDecodeError. aiohttp's own decompression
    # limit (32 MiB) fires before the SDK's cap; it is the body, not a transport failure
    async with local_server(_always(_BOMB, **{"Content-Encoding": "gzip"})) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url, retry=_retry()) as client:
            with pytest.raises(mc.ResponseDecodeError, match="decompresses beyond"):
                await client.request("/api/x")
