"""HMAC signatures and OAuth2 bearer tokens, checked as Mimecast checks them."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import mimecast_api
import pytest
import requests
from mimecast_api.post_rest import simple_exchange

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator
from tests.testing.helpers import header_date, post, sign

PATH = "/api/audit/get-audit-events"
BODY = {
    "data": [{"startDateTime": "2024-01-01T00:00:00+0000", "endDateTime": "2024-01-02T00:00:00Z"}]
}


def fail_code(envelope: Any) -> str:
    code: str = envelope["fail"][0]["errors"][0]["code"]
    return code


class _FlipOneBit(requests.Session):
    """A requests session that flips one bit of the signature before sending."""

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers"))
        realm_key, signature = headers["Authorization"].rsplit(":", 1)
        raw = bytearray(base64.b64decode(signature))
        raw[0] ^= 0x01
        headers["Authorization"] = f"{realm_key}:{base64.b64encode(bytes(raw)).decode()}"
        return super().post(url, data=data, json=json, headers=headers, **kwargs)


async def test_independent_signer_is_accepted(emu: MimecastEmulator) -> None:
    auth = emu.hmac_auth
    api = mimecast_api.MimecastAPI(
        base_url=emu.base_url,
        access_key=auth.access_key,
        secret_key=auth.secret_key,
        app_id=auth.app_id,
        app_key=auth.app_key,
    )
    data = await asyncio.to_thread(api._all_request, PATH, **BODY["data"][0])
    assert data and {"id", "auditType", "category", "eventInfo", "eventTime"} <= set(data[0])


async def test_one_bit_changed_signature_is_refused(emu: MimecastEmulator) -> None:
    auth = emu.hmac_auth
    with _FlipOneBit() as session:
        with pytest.raises(mimecast_api.MimecastAPIFail) as raised:
            await asyncio.to_thread(
                simple_exchange,
                emu.base_url,
                auth.access_key,
                auth.secret_key,
                auth.app_id,
                auth.app_key,
                PATH,
                BODY,
                session,
            )
    envelope = raised.value.args[0]
    assert envelope["meta"]["status"] == 401
    assert fail_code(envelope) == "err_xdk_invalid_signature"
    assert envelope["fail"][0]["errors"][0]["message"] == "0004 Invalid Signature"


async def test_hand_signed_request_and_gmt_zone(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    status, _, envelope = await post(http, emu, PATH, BODY)
    assert status == 200 and not envelope["fail"]
    gmt = sign(emu, PATH, date=header_date(zone="GMT"))
    status, _, envelope = await post(http, emu, PATH, BODY, gmt)
    assert status == 200 and not envelope["fail"]


async def test_signature_covers_the_path(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    headers = sign(emu, "/api/ttp/url/get-logs")
    status, _, envelope = await post(http, emu, PATH, BODY, headers)
    assert status == 401 and fail_code(envelope) == "err_xdk_invalid_signature"


async def test_wrong_secret_is_refused(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    headers = sign(emu, PATH, secret_key=base64.b64encode(b"not the secret").decode())
    status, _, envelope = await post(http, emu, PATH, BODY, headers)
    assert status == 401 and fail_code(envelope) == "err_xdk_invalid_signature"


@pytest.mark.parametrize("missing", ["Authorization", "x-mc-app-id", "x-mc-date", "x-mc-req-id"])
async def test_missing_header_is_refused(
    emu: MimecastEmulator, http: aiohttp.ClientSession, missing: str
) -> None:
    headers = sign(emu, PATH)
    del headers[missing]
    status, rate_headers, envelope = await post(http, emu, PATH, BODY, headers)
    assert status == 401 and envelope["fail"]
    assert "X-RateLimit-Limit" in rate_headers


async def test_unknown_access_key_and_app_id(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    headers = sign(emu, PATH)
    headers["Authorization"] = "MC someone-else:" + headers["Authorization"].rsplit(":", 1)[1]
    assert (await post(http, emu, PATH, BODY, headers))[0] == 401
    headers = sign(emu, PATH)
    headers["x-mc-app-id"] = "another-app"
    assert (await post(http, emu, PATH, BODY, headers))[0] == 401


@pytest.mark.parametrize(("offset", "status"), [(-1000, 401), (-800, 200), (800, 200), (1000, 401)])
async def test_clock_skew(
    emu: MimecastEmulator, http: aiohttp.ClientSession, offset: int, status: int
) -> None:
    fixed = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
    emu.clock = lambda: fixed
    headers = sign(emu, PATH, date=header_date(fixed + timedelta(seconds=offset)))
    assert (await post(http, emu, PATH, BODY, headers))[0] == status


@pytest.mark.parametrize(
    "date", ["2024-03-01T12:00:00Z", "Fri, 01 Mar 2024 12:00:00", "Sat, 01 Mar 2024 12:00:00 UTC"]
)
async def test_unparseable_date_is_refused(
    emu: MimecastEmulator, http: aiohttp.ClientSession, date: str
) -> None:
    emu.clock = lambda: datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert (await post(http, emu, PATH, BODY, sign(emu, PATH, date=date)))[0] == 401


async def test_binding_expired(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    emu.binding_expired = True
    status, _, envelope = await post(http, emu, PATH, BODY)
    assert status == 418 and fail_code(envelope) == "err_xdk_binding_expired"
    async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
        with pytest.raises(mc.BindingExpiredError):
            await client.request(PATH, BODY["data"])


async def test_discover_authentication_needs_no_authorization(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    path = "/api/login/discover-authentication"
    headers = sign(emu, path)
    del headers["Authorization"]
    body = {"data": [{"emailAddress": "alice@example.com"}]}
    status, _, envelope = await post(http, emu, path, body, headers)
    assert status == 200
    answer = envelope["data"][0]
    assert answer["emailAddress"] == "alice@example.com" and answer["emailToken"]
    assert answer["authenticate"] and answer["region"]["api"] == emu.base_url


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


async def _token(http: aiohttp.ClientSession, emu: MimecastEmulator, **form: str) -> Any:
    async with http.post(emu.base_url + "/oauth/token", data=form) as response:
        return response.status, await response.json()


async def test_oauth2_token_lifecycle(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with MimecastEmulator(seed=3, records=100, clock=clock, token_lifetime=600) as emu:
        auth = emu.oauth2_auth
        status, payload = await _token(
            http,
            emu,
            client_id=auth.client_id,
            client_secret=auth.client_secret,
            grant_type="client_credentials",
        )
        assert status == 200 and payload["token_type"] == "Bearer"
        assert payload["expires_in"] == 600 and emu.stats.tokens_issued == 1
        bearer = {"Authorization": f"Bearer {payload['access_token']}"}
        assert (await post(http, emu, PATH, BODY, bearer))[0] == 200
        clock.now += timedelta(seconds=599)
        assert (await post(http, emu, PATH, BODY, bearer))[0] == 200
        clock.now += timedelta(seconds=1)
        status, _, envelope = await post(http, emu, PATH, BODY, bearer)
        assert status == 401 and envelope["fail"]
        unknown = {"Authorization": "Bearer not-a-token"}
        assert (await post(http, emu, PATH, BODY, unknown))[0] == 401


async def test_oauth2_bad_credentials(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    status, payload = await _token(
        http,
        emu,
        client_id=emu.oauth2_auth.client_id,
        client_secret="wrong",
        grant_type="client_credentials",
    )
    assert status == 401 and payload == {"error": "invalid_client"}


async def test_sdk_client_works_with_both_schemes(emu: MimecastEmulator) -> None:
    for auth in (emu.hmac_auth, emu.oauth2_auth):
        async with mc.MimecastClient(auth, base_url=emu.base_url) as client:
            envelope = await client.request(PATH, BODY["data"])
            assert envelope["data"]
    assert emu.stats.tokens_issued == 1


async def test_sdk_client_refreshes_after_token_expiry() -> None:
    clock = Clock()
    async with MimecastEmulator(seed=3, records=100, clock=clock) as emu:
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            await client.request(PATH, BODY["data"])
            clock.now += timedelta(hours=1)
            await client.request(PATH, BODY["data"])
        assert emu.stats.tokens_issued == 2
