"""The private request engine every resource and pager calls.

One request is: take a concurrency slot, get a bearer token (API 2.0) if needed, pass the
client-wide :class:`RateGate`, sign (API 1.0, afresh on every attempt), send through the
:class:`Transport`, feed the quota headers back to the gate, map the status and ``fail[]`` to
typed errors. :class:`RetryPolicy` repeats attempts according to :func:`should_retry`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from .auth import HmacAuth, OAuth2Auth, TokenCache
from .envelope import (
    Envelope,
    Meta,
    decode_envelope,
    encode_request,
    error_for_status,
    raise_for_failures,
)
from .errors import AuthenticationError, MimecastError, ResponseDecodeError
from .retry import RateGate, RateLimitInfo, RetryPolicy
from .transport import RawResponse, Transport

__all__ = ["ApiResponse", "Engine"]

logger = logging.getLogger("mimecast_async")

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_BINARY_HEADERS = {"Content-Type": "application/json", "Accept": "*/*"}


@dataclass(frozen=True)
class ApiResponse:
    """A successful response: the decoded envelope plus what the headers said."""

    envelope: Envelope[Any]
    status: int
    headers: Mapping[str, str]
    body: bytes  # only for binary answers and ``call(keep_body=True)``
    request_id: str | None
    rate_limit: RateLimitInfo | None


class _TokenPayload(msgspec.Struct):
    access_token: str
    expires_in: float = 1800.0
    token_type: str = "Bearer"


class _OAuthError(msgspec.Struct):
    error: str = ""


_EMPTY_META = Meta()
_MAX_REAUTHENTICATIONS = 1  # renewals of the current token per attempt: "once on 401"
_MAX_RENEWALS_PER_ATTEMPT = 20  # 401s of any token per attempt (a stale one costs no renewal)
_TOKEN_DECODER = msgspec.json.Decoder(_TokenPayload, strict=False)
_OAUTH_ERROR_DECODER = msgspec.json.Decoder(_OAuthError, strict=False)


class Engine:
    """Sends signed, gated, retried requests for one client."""

    def __init__(
        self,
        *,
        auth: HmacAuth | OAuth2Auth,
        base_url: str,
        transport: Transport,
        policy: RetryPolicy,
        max_concurrency: int,
    ) -> None:
        self.auth = auth
        self.base_url = base_url
        self.transport = transport
        self.policy = policy
        self.gate = RateGate(
            clock=policy.clock, sleep=policy.sleep, max_wait=policy.max_rate_limit_wait
        )
        self.max_concurrency = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency)
        self._rng = random.Random(policy.seed)
        self.tokens: TokenCache | None = None
        if isinstance(auth, OAuth2Auth):
            self.tokens = TokenCache(
                self._fetch_token, refresh_margin=auth.refresh_margin, clock=policy.clock
            )
        self.rate_limit: RateLimitInfo | None = None
        self.requests_sent = 0

    async def call(
        self,
        path: str,
        data: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
        item_type: Any = Any,
        raise_on_fail: bool = True,
        keep_body: bool = False,
        check: Callable[[ApiResponse], None] | None = None,
    ) -> ApiResponse:
        """POST an envelope to ``path`` and decode ``data`` items as ``item_type``.

        The raw bytes are in ``body`` only with ``keep_body`` (copying a log page costs more
        than decoding it from the receive buffer). ``check`` runs inside each attempt: what it
        raises is retried (or not) like any other failure of the call.
        """
        return await self._call(
            path,
            data,
            meta,
            idempotent,
            _JSON_HEADERS,
            item_type,
            raise_on_fail,
            binary=False,
            keep_body=keep_body,
            check=check,
        )

    async def call_binary(
        self,
        path: str,
        data: Sequence[Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
        check: Callable[[ApiResponse], None] | None = None,
    ) -> ApiResponse:
        """POST to an endpoint that answers with a file (SIEM logs) or, when empty, JSON.

        ``envelope`` is decoded (and ``fail[]`` checked) only for JSON answers; for a file it is
        an empty envelope and the bytes are in ``body``. ``check`` runs inside each attempt, so
        a file it cannot read (ResponseDecodeError) is fetched again like any undecodable body.
        """
        return await self._call(
            path,
            data,
            meta,
            idempotent,
            _BINARY_HEADERS,
            Any,
            True,
            binary=True,
            keep_body=True,
            check=check,
        )

    async def _call(
        self,
        path: str,
        data: Sequence[Any] | None,
        meta: Mapping[str, Any] | None,
        idempotent: bool,
        headers: Mapping[str, str],
        item_type: Any,
        raise_on_fail: bool,
        *,
        binary: bool,
        keep_body: bool,
        check: Callable[[ApiResponse], None] | None = None,
    ) -> ApiResponse:
        body = encode_request(data, meta)

        async def attempt(number: int) -> ApiResponse:
            response, request_id, info = await self._send(path, body, number, headers)
            try:
                self._raise_for_status(response, request_id, info, path)
                if binary and "json" not in response.headers.get("content-type", "").lower():
                    envelope: Envelope[Any] = Envelope(meta=_EMPTY_META, data=[])
                else:
                    envelope = decode_envelope(
                        response.view(), item_type, status=response.status, path=path
                    )
                    raise_for_failures(
                        envelope,
                        request_id=request_id,
                        path=path,
                        binding_only=not raise_on_fail,
                    )
                raw = response.body if keep_body else b""
            finally:
                response.release()
            result = ApiResponse(envelope, response.status, response.headers, raw, request_id, info)
            if check is not None:
                check(result)
            return result

        try:
            return await self.policy.run(
                attempt, idempotent=idempotent, rng=self._rng, describe=f"POST {path}"
            )
        except _TokenFailure as failure:
            raise failure.error from None

    def _raise_for_status(
        self,
        response: RawResponse,
        request_id: str | None,
        info: RateLimitInfo | None,
        path: str,
    ) -> None:
        if 200 <= response.status < 300:
            return
        retry_after = info.reset_after if info and info.reset_after is not None else 1.0
        raise error_for_status(
            response.status,
            response.body,
            request_id=request_id,
            path=path,
            retry_after=retry_after,
        )

    async def _send(
        self, path: str, body: bytes, attempt: int, base_headers: Mapping[str, str]
    ) -> tuple[RawResponse, str | None, RateLimitInfo | None]:
        """One attempt; a 401 on a bearer token renews the token once and sends again.

        A 401 for the current token renews it; a second 401, for the token this attempt renewed,
        is an AuthenticationError (DESIGN.md: "once on 401"). A 401 for a token another
        coroutine already replaced costs no renewal: with many cursors in flight, one expiry
        answers all of them with a 401 for the same token. ``_MAX_RENEWALS_PER_ATTEMPT`` 401s
        of any token end the attempt too, so refused credentials cannot loop.
        """
        reauthentications = renewals = 0
        while True:
            async with self._slots:
                bearer = await self.tokens.get() if self.tokens is not None else None
                await self.gate.acquire()
                released = False
                try:
                    headers = dict(base_headers)
                    if bearer is not None:
                        request_id = str(uuid.uuid4())
                        headers["Authorization"] = f"Bearer {bearer}"
                        headers["x-request-id"] = request_id
                    else:
                        assert isinstance(self.auth, HmacAuth)
                        signed = self.auth.sign(path)
                        request_id = signed["x-mc-req-id"]
                        headers.update(signed)
                    self.requests_sent += 1
                    response = await self.transport.send(
                        "POST", self.base_url + path, headers, body
                    )
                    info = RateLimitInfo.from_headers(response.headers)
                    released = True
                    self.gate.release(info, status=response.status)
                finally:
                    if not released:
                        self.gate.release(None, status=None)
            if info is not None:
                self.rate_limit = info
            logger.debug(
                "POST %s -> %d (attempt %d, request id %s)",
                path,
                response.status,
                attempt,
                request_id,
            )
            if (
                response.status == 401
                and bearer is not None
                and self.tokens is not None
                and reauthentications < _MAX_REAUTHENTICATIONS
                and renewals < _MAX_RENEWALS_PER_ATTEMPT
            ):
                renewals += 1
                if self.tokens.invalidate(bearer):
                    # only a 401 for the current token counts: with many cursors in flight, one
                    # expiry answers all of them with a 401 for the same, already replaced token
                    reauthentications += 1
                response.release()
                continue
            return response, request_id, info

    async def _fetch_token(self) -> tuple[str, float]:
        """Ask ``/oauth/token`` for a client-credentials token: (access_token, expires_in)."""
        assert isinstance(self.auth, OAuth2Auth)
        auth = self.auth
        url = self.base_url + auth.token_path
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }

        async def attempt(number: int) -> tuple[str, float]:
            # Not through the API's rate gate: the token endpoint is not an API call, and its
            # answer carries no API quota (spent as the gate's first probe, it left the API
            # calls unpaced). A 429 here is retried after its own reset (gated=False below).
            self.requests_sent += 1
            response = await self.transport.send("POST", url, headers, auth.token_request_body())
            info = RateLimitInfo.from_headers(response.headers)
            logger.debug("POST %s -> %d (attempt %d)", auth.token_path, response.status, number)
            try:
                return self._read_token(response, info, auth.token_path)
            finally:
                response.release()

        try:
            return await self.policy.run(
                attempt,
                idempotent=True,
                rng=self._rng,
                describe="OAuth2 token request",
                gated=False,
            )
        except MimecastError as error:
            # already retried as the policy allows: the call waiting for this token must not
            # retry it again (max_attempts squared token requests); see _TokenFailure
            raise _TokenFailure(error) from None

    def _read_token(
        self, response: RawResponse, info: RateLimitInfo | None, path: str
    ) -> tuple[str, float]:
        """The (access_token, expires_in) of a token response, or the error it stands for."""
        if response.status in (400, 401, 403):
            code = _oauth_error_code(response.view())
            raise AuthenticationError(
                "OAuth2 token request refused" + (f" ({code})" if code else ""),
                status=response.status,
                path=path,
            )
        self._raise_for_status(response, None, info, path)
        try:
            payload = _TOKEN_DECODER.decode(response.view())
        except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError):
            raise ResponseDecodeError(
                "token response has no usable access_token", status=response.status, path=path
            ) from None
        if not payload.access_token:
            raise ResponseDecodeError("token response has an empty access_token", path=path)
        return payload.access_token, float(payload.expires_in)

    async def aclose(self) -> None:
        self.gate.close()
        if self.tokens is not None:
            await self.tokens.aclose()


class _TokenFailure(Exception):
    """A token request that failed after its own retries, carried through the call's retry loop.

    Not a MimecastError, so the call does not retry it (``should_retry`` knows only those); the
    call raises ``error`` itself.
    """

    def __init__(self, error: MimecastError) -> None:
        super().__init__(str(error))
        self.error = error


def _oauth_error_code(body: bytes | memoryview) -> str:
    try:
        code = _OAUTH_ERROR_DECODER.decode(body).error
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError):
        return ""
    return code if code.replace("_", "").isalnum() and len(code) < 64 else ""
