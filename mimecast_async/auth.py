"""Credentials and request authorisation for both Mimecast API generations.

* :class:`HmacAuth` signs API 1.0 requests: ``Authorization: MC {accessKey}:{signature}`` where the
  signature is base64(HMAC-SHA1(base64decode(secretKey), "date:req-id:path:appKey")).
  https://integrations.mimecast.com/documentation/api-overview/authorization/
* :class:`OAuth2Auth` holds API 2.0 client credentials; :class:`TokenCache` keeps one bearer token
  per client and makes every coroutine share a single refresh.
  https://developer.services.mimecast.com/api-overview#authentication

Secrets are plain attributes (tests and the emulator read them) but never appear in a repr.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ._settings import require_setting
from .dates import format_header_date
from .errors import ClientClosedError, ConfigurationError, ResponseDecodeError

__all__ = ["HmacAuth", "OAuth2Auth", "Token", "TokenCache"]

Clock = Callable[[], datetime]
RequestIdFactory = Callable[[], str]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _new_request_id() -> str:
    return str(uuid.uuid4())


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    if any(char in value for char in "\r\n\x00"):
        raise ConfigurationError(f"{name} must not contain CR, LF or NUL characters")
    return value


def compute_signature(secret: bytes, date: str, request_id: str, path: str, app_key: str) -> str:
    """Return the base64 HMAC-SHA1 of ``date:request_id:path:app_key`` keyed by ``secret``."""
    message = f"{date}:{request_id}:{path}:{app_key}".encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha1).digest()).decode("ascii")


class HmacAuth:
    """API 1.0 credentials and a pure request signer.

    ``clock`` (returns an aware datetime) and ``request_id_factory`` are injectable so tests can
    reproduce a signature exactly; every call to :meth:`sign` uses a fresh date and request id.
    """

    __slots__ = ("_clock", "_new_id", "_secret", "access_key", "app_id", "app_key", "secret_key")

    def __init__(
        self,
        app_id: str,
        app_key: str,
        access_key: str,
        secret_key: str,
        *,
        clock: Clock | None = None,
        request_id_factory: RequestIdFactory | None = None,
    ) -> None:
        self.app_id = _require_text("app_id", app_id)
        self.app_key = _require_text("app_key", app_key)
        self.access_key = _require_text("access_key", access_key)
        self.secret_key = _require_text("secret_key", secret_key)
        try:
            self._secret = base64.b64decode(secret_key.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError("secret_key is not valid base64") from None
        if not self._secret:
            raise ConfigurationError("secret_key decodes to no bytes")
        self._clock = clock or _utc_now
        self._new_id = request_id_factory or _new_request_id

    def signature(self, date: str, request_id: str, path: str) -> str:
        """The signature for one request, from the exact header strings."""
        return compute_signature(self._secret, date, request_id, path, self.app_key)

    def sign(self, path: str) -> dict[str, str]:
        """Headers that authorise one request to ``path`` (fresh date and request id)."""
        date = format_header_date(self._clock())
        request_id = self._new_id()
        return {
            "Authorization": f"MC {self.access_key}:{self.signature(date, request_id, path)}",
            "x-mc-app-id": self.app_id,
            "x-mc-date": date,
            "x-mc-req-id": request_id,
        }

    def __repr__(self) -> str:
        return f"HmacAuth(app_id={self.app_id!r}, app_key=***, access_key=***, secret_key=***)"


class OAuth2Auth:
    """API 2.0 client credentials (``grant_type=client_credentials`` at ``/oauth/token``).

    ``refresh_margin`` is how many seconds before ``expires_in`` runs out a token is renewed
    (at most half the token's lifetime, so that a short-lived token is still used).
    """

    __slots__ = ("client_id", "client_secret", "refresh_margin", "token_path")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        refresh_margin: float = 60.0,
        token_path: str = "/oauth/token",
    ) -> None:
        self.client_id = _require_text("client_id", client_id)
        self.client_secret = _require_text("client_secret", client_secret)
        require_setting("refresh_margin", refresh_margin, minimum=0)
        self.refresh_margin = float(refresh_margin)
        if not isinstance(token_path, str) or not token_path.startswith("/"):
            raise ConfigurationError("token_path must start with '/'")
        if any(char in token_path for char in "\r\n\x00 ?#"):
            raise ConfigurationError("token_path must not contain spaces, CR, LF, NUL, ? or #")
        self.token_path = token_path

    def token_request_body(self) -> bytes:
        """The form-encoded body of a client-credentials token request."""
        from urllib.parse import urlencode

        return urlencode(
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "client_credentials",
            }
        ).encode("ascii")

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self.client_id!r}, client_secret=***)"


@dataclass(frozen=True, repr=False)
class Token:
    """A bearer token, when to renew it and when it expires (monotonic seconds)."""

    value: str
    refresh_at: float
    expires_at: float

    def __repr__(self) -> str:
        return f"Token(value=***, expires_at={self.expires_at:.1f})"


def _cancelling() -> bool:
    """Whether the current task itself is being cancelled (Python 3.11+ can tell)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling and cancelling())


def _consume_exception(future: asyncio.Future[Token]) -> None:
    if not future.cancelled():
        future.exception()


class TokenCache:
    """One bearer token per client, refreshed by exactly one coroutine at a time.

    Concurrent callers that find the token missing or near expiry all wait on the same refresh;
    a 401 invalidates only the token that was refused, so a burst of 401s causes one refresh.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[str, float]]],
        *,
        refresh_margin: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = refresh_margin
        self._clock = clock
        self._token: Token | None = None
        self._refresh: asyncio.Future[Token] | None = None
        self._closed = False
        self.refreshes = 0

    def _usable(self, token: Token | None) -> bool:
        return token is not None and self._clock() < token.refresh_at

    async def get(self) -> str:
        """Return a valid token, refreshing it (once, shared) when needed."""
        token = self._token
        if self._usable(token):
            assert token is not None
            return token.value
        if self._refresh is None:
            self._refresh = asyncio.ensure_future(self._do_refresh())
            self._refresh.add_done_callback(_consume_exception)
        refresh = self._refresh
        try:
            return (await asyncio.shield(refresh)).value
        except asyncio.CancelledError:
            if self._closed and refresh.cancelled() and not _cancelling():
                # the client closed while this caller waited for the token: say so, do not
                # pass the refresh's cancellation on as if this caller had been cancelled
                raise ClientClosedError("this MimecastClient is closed; create a new one") from None
            raise

    async def _do_refresh(self) -> Token:
        try:
            value, lifetime = await self._fetch()
            if not value.isascii() or not value.isprintable() or " " in value:
                # it goes into an Authorization header: never let a server inject a header line
                raise ResponseDecodeError("the token response's access_token is not header-safe")
            self.refreshes += 1
            lifetime = max(lifetime, 0.0)
            now = self._clock()
            margin = min(self._margin, lifetime / 2)
            self._token = Token(value, now + lifetime - margin, now + lifetime)
            return self._token
        finally:
            self._refresh = None

    def invalidate(self, value: str) -> bool:
        """Forget ``value`` if it is still the current token (called after a 401).

        Returns False when another coroutine already replaced it: that 401 was for a stale token
        and says nothing about whether the current one works.
        """
        if self._token is not None and self._token.value == value:
            self._token = None
            return True
        return False

    async def aclose(self) -> None:
        """Cancel a refresh still in flight; its waiters get ClientClosedError."""
        self._closed = True
        refresh = self._refresh
        if refresh is not None and not refresh.done():
            refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await refresh
