"""Pure envelope functions: request bodies, response decoding, the status/fail -> error table."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

import mimecast_async as mc
from mimecast_async.envelope import (
    decode_envelope,
    encode_request,
    error_for_status,
    raise_for_failures,
)


def test_request_body_always_has_a_data_array() -> None:
    assert json.loads(encode_request()) == {"data": []}
    assert json.loads(encode_request([{"id": "x"}], {"pagination": {"pageSize": 5}})) == {
        "meta": {"pagination": {"pageSize": 5}},
        "data": [{"id": "x"}],
    }


def test_decode_reads_pagination_and_failures() -> None:
    body = json.dumps(
        {
            "meta": {"status": 200, "pagination": {"pageSize": 2, "next": "abc"}},
            "data": [{"a": 1}],
            "fail": [
                {
                    "key": {"id": "g1"},
                    "errors": [{"code": "err_x", "message": "bad", "retryable": True}],
                }
            ],
        }
    ).encode()
    envelope = decode_envelope(body)
    assert envelope.next_token == "abc"
    assert envelope.data == [{"a": 1}]
    with pytest.raises(mc.FailedRequestError) as caught:
        raise_for_failures(envelope, request_id="rid-1", path="/api/p")
    error = caught.value
    assert error.status == 200 and error.request_id == "rid-1"
    assert error.codes == ["err_x"]
    assert error.failures[0].key == {"id": "g1"} and error.failures[0].retryable


class Item(msgspec.Struct):
    name: str


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"data": []}',  # missing meta
        b'{"meta": {}, "data": {"a": 1}}',  # data not a list
        b'{"meta": {}, "data": [{"name": 5}]}',  # wrong type in a field
        b'{"meta": {"status": "x"}, "data": []}',
        b"[1, 2]",
        b"[" * 100_000,
        b'{"meta": {}, "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
)
def test_hostile_bodies_become_response_decode_errors(body: bytes) -> None:
    with pytest.raises(mc.ResponseDecodeError):
        decode_envelope(body, Item, path="/api/x")


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
        (502, mc.ServerError),
        (503, mc.ServerError),
        (422, mc.APIError),
    ],
)
def test_status_table(status: int, cls: type[mc.APIError]) -> None:
    body = json.dumps(
        {
            "meta": {"status": status},
            "data": [],
            "fail": [{"errors": [{"code": "err_code_here", "message": "why"}]}],
        }
    ).encode()
    error = error_for_status(status, body, request_id="rid", path="/api/p", retry_after=1.5)
    assert type(error) is cls
    assert error.status == status and error.request_id == "rid"
    assert error.codes == ["err_code_here"]
    assert "err_code_here" in str(error) and "rid" in str(error)
    if isinstance(error, mc.RateLimitError):
        assert error.retry_after == 1.5


def _failing(status: int, code: str, message: str = "") -> bytes:
    fail = [{"key": {}, "errors": [{"code": code, "message": message}]}]
    return json.dumps({"meta": {"status": status}, "data": [], "fail": fail}).encode()


@pytest.mark.parametrize("status", [401, 403, 418])
@pytest.mark.parametrize(
    ("code", "message"),
    [("err_xdk_binding_expired", ""), ("err_xdk_other", "0018 AccessKey Has Expired")],
)
def test_an_expired_binding_is_named_whatever_the_status(
    status: int, code: str, message: str
) -> None:
    # MIMECAST_API.md §1.7: "HTTP 418 and/or fail code err_xdk_binding_expired"
    error = error_for_status(status, _failing(status, code, message), path="/api/p")
    assert type(error) is mc.BindingExpiredError and error.status == status
    with pytest.raises(mc.BindingExpiredError) as caught:
        raise_for_failures(decode_envelope(_failing(200, code, message), Item), path="/api/p")
    assert caught.value.status == 200 and caught.value.codes == [code]
    ordinary = error_for_status(status, _failing(status, "err_other"))
    assert type(ordinary) is not mc.BindingExpiredError or status == 418


def test_batch_calls_raise_only_for_an_expired_binding() -> None:
    ordinary = decode_envelope(_failing(200, "err_other"), Item)
    raise_for_failures(ordinary, binding_only=True)  # a refused item is the batch's to report
    expired = decode_envelope(_failing(200, "err_xdk_binding_expired"), Item)
    with pytest.raises(mc.BindingExpiredError):
        raise_for_failures(expired, binding_only=True)


def test_request_data_json_cannot_carry_is_invalid_input() -> None:
    with pytest.raises(mc.InvalidInputError) as caught:
        encode_request([{"id": object()}])
    assert caught.value.argument == "data"
    with pytest.raises(mc.InvalidInputError):
        encode_request(None, {"pagination": {"pageSize": complex(1, 2)}})


def test_error_body_that_is_not_json_still_maps() -> None:
    error = error_for_status(503, b"<html>oops</html>")
    assert isinstance(error, mc.ServerError) and error.codes == []


def test_every_api_error_is_a_mimecast_error() -> None:
    classes: list[Any] = [
        mc.BadRequestError,
        mc.AuthenticationError,
        mc.PermissionDeniedError,
        mc.NotFoundError,
        mc.ConflictError,
        mc.BindingExpiredError,
        mc.RateLimitError,
        mc.ServerError,
        mc.FailedRequestError,
    ]
    for cls in classes:
        assert issubclass(cls, mc.APIError) and issubclass(cls, mc.MimecastError)
    assert issubclass(mc.RequestTimeout, mc.TransportError)
    assert issubclass(mc.InvalidInputError, ValueError)


def test_a_refusal_without_data_keeps_mimecasts_codes() -> None:
    body = (
        b'{"meta": {"status": 200}, "fail": [{"key": {"id": "x"}, "errors": [{"code": "err_x"}]}]}'
    )
    envelope = decode_envelope(body, Item)
    with pytest.raises(mc.FailedRequestError) as caught:
        raise_for_failures(envelope)
    assert caught.value.codes == ["err_x"]
    with pytest.raises(mc.ResponseDecodeError):
        decode_envelope(b'{"meta": {"status": 200}, "fail": []}', Item)
