"""Server-side authentication as Mimecast does it: HMAC-SHA1 request signatures and bearer tokens.

The signature check is written from MIMECAST_API.md §1 with ``hmac``/``hashlib``/``base64`` only,
never the SDK's signer, so the emulator cross-checks the SDK:
``base64(HMAC-SHA1(base64decode(secret), "x-mc-date:x-mc-req-id:path:appKey"))``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .wire import parse_header_date

__all__ = ["AuthFailure", "HmacCredentials", "HmacVerifier", "TokenStore"]


class AuthFailure(Exception):
    """The request is not authenticated: ``status`` (401/418), Mimecast ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class HmacCredentials:
    """One API 1.0 binding the emulator accepts."""

    app_id: str
    app_key: str
    access_key: str
    secret_key: str


def _unauthorised(message: str, code: str = "err_xdk_unauthorised") -> AuthFailure:
    return AuthFailure(401, code, message)


class HmacVerifier:
    """Checks ``Authorization: MC access:sig`` plus the ``x-mc-*`` headers of one request."""

    def __init__(
        self,
        credentials: HmacCredentials,
        *,
        now: Callable[[], float],
        max_clock_skew: float,
        binding_expired: Callable[[], bool],
    ) -> None:
        self.credentials = credentials
        self._secret = base64.b64decode(credentials.secret_key)
        self._now = now
        self._max_skew = max_clock_skew
        self._binding_expired = binding_expired

    def check_app_headers(self, headers: Mapping[str, str]) -> None:
        """The headers even unauthenticated calls (discover-authentication) need."""
        for name in ("x-mc-app-id", "x-mc-date", "x-mc-req-id"):
            if not headers.get(name, "").strip():
                raise _unauthorised(f"0001 Missing header {name}", "err_xdk_missing_header")
        if headers["x-mc-app-id"] != self.credentials.app_id:
            raise _unauthorised("0002 Unknown application id", "err_xdk_invalid_app_id")
        try:
            sent = parse_header_date(headers["x-mc-date"])
        except ValueError:
            raise _unauthorised("0005 Invalid x-mc-date", "err_xdk_invalid_date") from None
        if abs(self._now() - sent) > self._max_skew:
            raise _unauthorised(
                "0006 x-mc-date is outside the accepted clock skew", "err_xdk_request_expired"
            )

    def verify(self, path: str, headers: Mapping[str, str]) -> str:
        """Verify one signed request; return the access key (the quota key)."""
        authorization = headers.get("Authorization", "")
        if not authorization:
            raise _unauthorised("0001 Missing Authorization header", "err_xdk_missing_header")
        self.check_app_headers(headers)
        realm, _, credentials = authorization.partition(" ")
        access_key, colon, signature = credentials.rpartition(":")
        if realm != "MC" or not colon or not access_key or not signature:
            raise _unauthorised("0001 Authorization type not supported", "err_xdk_auth_type")
        if not hmac.compare_digest(access_key.encode(), self.credentials.access_key.encode()):
            raise _unauthorised("0007 Unknown access key", "err_xdk_invalid_access_key")
        message = ":".join(
            (headers["x-mc-date"], headers["x-mc-req-id"], path, self.credentials.app_key)
        ).encode()
        expected = base64.b64encode(hmac.new(self._secret, message, hashlib.sha1).digest())
        if not hmac.compare_digest(expected, signature.encode()):
            raise _unauthorised("0004 Invalid Signature", "err_xdk_invalid_signature")
        if self._binding_expired():
            raise AuthFailure(418, "err_xdk_binding_expired", "AccessKey Has Expired")
        return access_key


@dataclass
class _Token:
    client_id: str
    expires_at: float
    uses: int = 0


class TokenStore:
    """Issues and checks API 2.0 bearer tokens (client credentials), expiring on ``now``."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        now: Callable[[], float],
        lifetime: float,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self._now = now
        self._tokens: dict[str, _Token] = {}
        self.issued = 0

    def issue(self, form: Mapping[str, str]) -> tuple[str, float]:
        """A new token for a valid client-credentials form; AuthFailure otherwise."""
        if form.get("grant_type") != "client_credentials":
            raise AuthFailure(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        client_ok = hmac.compare_digest(form.get("client_id", "").encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        )
        if not (client_ok and secret_ok):
            raise AuthFailure(401, "invalid_client", "client authentication failed")
        now = self._now()
        for value in [v for v, token in self._tokens.items() if token.expires_at <= now]:
            del self._tokens[value]
        value = hashlib.sha256(f"{self.client_secret}:{self.issued}".encode()).hexdigest()
        self._tokens[value] = _Token(self.client_id, now + self.lifetime)
        self.issued += 1
        return value, self.lifetime

    def verify(self, authorization: str) -> tuple[str, str]:
        """(client id, token) for a valid ``Bearer`` header; AuthFailure (401) otherwise."""
        scheme, _, value = authorization.partition(" ")
        token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise _unauthorised("invalid or unknown bearer token", "err_xdk_invalid_token")
        if token.expires_at <= self._now():
            raise _unauthorised("bearer token expired", "err_xdk_token_expired")
        token.uses += 1
        return token.client_id, value.strip()

    def uses(self, value: str) -> int:
        """Requests ``value`` has been accepted for (0 for an unknown token)."""
        token = self._tokens.get(value)
        return token.uses if token is not None else 0

    def expire(self, value: str) -> None:
        """Expire ``value`` now (the token_expiry fault)."""
        token = self._tokens.get(value)
        if token is not None:
            token.expires_at = min(token.expires_at, self._now())
