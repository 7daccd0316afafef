"""HmacAuth signing (the MIMECAST_API.md §1.5 vector) and OAuth2 credentials."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import itertools
from datetime import datetime, timedelta, timezone

import pytest

import mimecast_async as mc
from mimecast_async.dates import format_header_date, parse_header_date
from tests.helpers import assert_no_canary, canary_hmac, canary_oauth2

VECTOR_DATE = datetime(2022, 8, 21, 13, 49, 40, tzinfo=timezone.utc)
VECTOR_ID = "3d796b76-4180-40e5-8f7c-6e0fd643b1a9"


def test_golden_vector_from_the_spec() -> None:
    auth = mc.HmacAuth(
        app_id="app-id",
        app_key="ApplicationKey",
        access_key="AccessKey",
        secret_key="U2VjcmV0S2V5",
        clock=lambda: VECTOR_DATE,
        request_id_factory=lambda: VECTOR_ID,
    )
    headers = auth.sign("/api/test/some-url")
    assert headers == {
        "Authorization": "MC AccessKey:WOywLsnZlsE+D6bp/ug6uch5kxc=",
        "x-mc-app-id": "app-id",
        "x-mc-date": "Sun, 21 Aug 2022 13:49:40 UTC",
        "x-mc-req-id": VECTOR_ID,
    }


def test_signature_matches_an_independent_computation() -> None:
    auth = canary_hmac()
    headers = auth.sign("/api/ttp/url/get-logs")
    data = ":".join(
        [headers["x-mc-date"], headers["x-mc-req-id"], "/api/ttp/url/get-logs", auth.app_key]
    )
    digest = hmac.new(base64.b64decode(auth.secret_key), data.encode(), hashlib.sha1).digest()
    assert headers["Authorization"] == f"MC {auth.access_key}:{base64.b64encode(digest).decode()}"


def test_every_sign_uses_a_fresh_date_and_request_id() -> None:
    ticks = itertools.count()
    auth = canary_hmac(
        clock=lambda: VECTOR_DATE + timedelta(seconds=next(ticks)),
    )
    first, second = auth.sign("/api/x"), auth.sign("/api/x")
    assert first["x-mc-req-id"] != second["x-mc-req-id"]
    assert first["x-mc-date"] != second["x-mc-date"]
    assert first["Authorization"] != second["Authorization"]


def test_header_date_is_english_for_every_day_and_month() -> None:
    # email.utils renders RFC 2822 dates from fixed English tables, independent of locale.
    start = datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
    for offset in range(0, 366, 3):
        moment = start + timedelta(days=offset, hours=offset % 24, seconds=offset)
        expected = email.utils.format_datetime(moment, usegmt=True).replace(" GMT", " UTC")
        assert format_header_date(moment) == expected
        assert parse_header_date(expected) == moment


def test_header_date_converts_other_zones_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2022, 8, 21, 15, 49, 40, tzinfo=plus_two)
    assert format_header_date(moment) == "Sun, 21 Aug 2022 13:49:40 UTC"


def test_header_date_independent_of_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    # Even if strftime were localised, the signer must not use it.
    import time

    def localised(*args: object, **kwargs: object) -> str:
        raise AssertionError("strftime must not be used for x-mc-date")

    monkeypatch.setattr(time, "strftime", localised)
    assert format_header_date(VECTOR_DATE) == "Sun, 21 Aug 2022 13:49:40 UTC"


@pytest.mark.parametrize("secret", ["not base64!", "abc", "====", ""])
def test_secret_that_is_not_base64_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(mc.ConfigurationError):
        mc.HmacAuth(app_id="a", app_key="b", access_key="c", secret_key=secret)


@pytest.mark.parametrize("field", ["app_id", "app_key", "access_key"])
def test_header_injection_in_credentials_is_refused(field: str) -> None:
    values = {"app_id": "a", "app_key": "b", "access_key": "c", "secret_key": "U2VjcmV0S2V5"}
    values[field] = "evil\r\nX-Injected: 1"
    with pytest.raises(mc.ConfigurationError) as caught:
        mc.HmacAuth(**values)
    assert "evil" not in str(caught.value)


def test_reprs_hide_secrets() -> None:
    assert_no_canary(repr(canary_hmac()))
    assert_no_canary(repr(canary_oauth2()))
    assert "canary-app-id" in repr(canary_hmac())


def test_oauth2_token_request_body_is_form_encoded() -> None:
    auth = mc.OAuth2Auth(client_id="id with space", client_secret="s&cret")
    assert auth.token_request_body() == (
        b"client_id=id+with+space&client_secret=s%26cret&grant_type=client_credentials"
    )


def test_oauth2_rejects_bad_settings() -> None:
    with pytest.raises(mc.ConfigurationError):
        mc.OAuth2Auth(client_id="", client_secret="x")
    with pytest.raises(mc.ConfigurationError):
        mc.OAuth2Auth(client_id="x", client_secret="y", refresh_margin=-1)
