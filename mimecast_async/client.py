"""MimecastClient: configuration, lifecycle, resources and the raw ``request()`` escape hatch.

API 1.0 regional hosts and API 2.0 gateway hosts are listed at
https://mimecastsupport.zendesk.com/hc/en-us/articles/34000632786067 and
https://mimecastsupport.zendesk.com/hc/en-us/articles/41019270938643.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import msgspec

from ._engine import Engine
from ._settings import require_setting
from .auth import HmacAuth, OAuth2Auth
from .errors import ClientClosedError, ConfigurationError, InvalidInputError, ResponseDecodeError
from .retry import RateLimitInfo, RetryPolicy
from .transport import DEFAULT_MAX_RESPONSE_BYTES, Transport

if TYPE_CHECKING:
    from .resources.archive import ArchiveResource
    from .resources.groups import GroupsResource
    from .resources.holds import HoldsResource
    from .resources.logs import LogsResource
    from .resources.policies import PoliciesResource
    from .resources.senders import SendersResource
    from .resources.tracking import TrackingResource
    from .resources.urls import UrlsResource
    from .resources.users import UsersResource

__all__ = ["HMAC_REGIONS", "OAUTH2_REGIONS", "MimecastClient"]

logger = logging.getLogger("mimecast_async")

#: API 1.0 (HMAC) regional hosts.
HMAC_REGIONS: Mapping[str, str] = {
    "eu": "https://eu-api.mimecast.com",
    "de": "https://de-api.mimecast.com",
    "us": "https://us-api.mimecast.com",
    "usb": "https://usb-api.mimecast.com",
    "ca": "https://ca-api.mimecast.com",
    "za": "https://za-api.mimecast.com",
    "au": "https://au-api.mimecast.com",
    "je": "https://je-api.mimecast.com",
}

#: API 2.0 (OAuth2) gateway hosts; ``global`` fails over between instances.
OAUTH2_REGIONS: Mapping[str, str] = {
    "global": "https://api.services.mimecast.com",
    "uk": "https://uk-api.services.mimecast.com",
    "us": "https://us-api.services.mimecast.com",
}

_HMAC_ENV = ("MIMECAST_APP_ID", "MIMECAST_APP_KEY", "MIMECAST_ACCESS_KEY", "MIMECAST_SECRET_KEY")
_OAUTH2_ENV = ("MIMECAST_CLIENT_ID", "MIMECAST_CLIENT_SECRET")


def _is_loopback(host: str) -> bool:
    """A loopback IP literal, or ``localhost`` itself (other names may be resolved by DNS)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_base_url(auth: HmacAuth | OAuth2Auth, base_url: str | None, region: str | None) -> str:
    """Pick the base URL: ``base_url`` wins over ``region``; API 2.0 defaults to ``global``."""
    if base_url is None:
        regions = HMAC_REGIONS if isinstance(auth, HmacAuth) else OAUTH2_REGIONS
        if region is None:
            if isinstance(auth, HmacAuth):
                raise ConfigurationError(
                    "API 1.0 needs base_url or region (one of: " + ", ".join(HMAC_REGIONS) + ")"
                )
            region = "global"
        if not isinstance(region, str):
            raise ConfigurationError(f"region must be text, one of: {', '.join(regions)}")
        key = region.strip().lower()
        if key not in regions:
            scheme = "API 1.0" if isinstance(auth, HmacAuth) else "API 2.0"
            raise ConfigurationError(
                f"unknown {scheme} region {region!r}; choose one of: " + ", ".join(regions)
            )
        return regions[key]
    if not isinstance(base_url, str) or any(
        char == " " or not char.isprintable() for char in base_url
    ):
        raise ConfigurationError("base_url must be a URL without spaces or control characters")
    if "?" in base_url or "#" in base_url:  # even empty: the API path would follow them
        raise ConfigurationError("base_url must not carry credentials, a query or a fragment")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an https:// URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"plain http:// is accepted only for loopback hosts; use https:// for {parts.hostname}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials, a query or a fragment")
    return base_url.strip().rstrip("/")


#: What client.request() sends as is: the path it signs is the path on the wire.
_API_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")


class MimecastClient:
    """An asyncio client for the Mimecast API (1.0 HMAC or 2.0 OAuth2).

    Use it as ``async with MimecastClient(auth, region="eu") as client: ...`` or call
    :meth:`close` yourself. A ``session`` you pass in is used as is and never closed by us.
    """

    def __init__(
        self,
        auth: HmacAuth | OAuth2Auth,
        *,
        base_url: str | None = None,
        region: str | None = None,
        max_concurrency: int = 8,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        session: aiohttp.ClientSession | None = None,
        verify_ssl: bool = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if not isinstance(auth, (HmacAuth, OAuth2Auth)):
            raise ConfigurationError("auth must be an HmacAuth or an OAuth2Auth")
        require_setting("max_concurrency", max_concurrency, minimum=1, integer=True)
        require_setting("timeout", timeout, minimum=0, above=True)
        require_setting("max_response_bytes", max_response_bytes, minimum=1024, integer=True)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError("session must be an aiohttp.ClientSession")
        if not isinstance(verify_ssl, bool):
            raise ConfigurationError("verify_ssl must be True or False")
        self.auth = auth
        self.base_url = resolve_base_url(auth, base_url, region)
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.timeout = float(timeout)
        self.verify_ssl = verify_ssl
        if not verify_ssl:
            logger.warning(
                "TLS certificate verification is disabled for %s; use only for testing",
                self.base_url,
            )
        self._transport = Transport(
            timeout=self.timeout,
            verify_ssl=verify_ssl,
            max_connections=max_concurrency + 2,
            session=session,
            max_response_bytes=max_response_bytes,
        )
        self._engine = Engine(
            auth=auth,
            base_url=self.base_url,
            transport=self._transport,
            policy=self.retry,
            max_concurrency=max_concurrency,
        )
        self._closed = False
        self._resources: dict[str, Any] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> MimecastClient:
        """Build a client from ``MIMECAST_*`` variables (API 2.0 wins when both sets are set).

        ``MIMECAST_BASE_URL`` or ``MIMECAST_REGION``, and either ``MIMECAST_CLIENT_ID`` +
        ``MIMECAST_CLIENT_SECRET`` or ``MIMECAST_APP_ID``, ``MIMECAST_APP_KEY``,
        ``MIMECAST_ACCESS_KEY`` + ``MIMECAST_SECRET_KEY``. ``options`` go to the constructor.
        """
        env = os.environ if environ is None else environ
        values = {name: env.get(name, "").strip() for name in _HMAC_ENV + _OAUTH2_ENV}
        auth: HmacAuth | OAuth2Auth
        if all(values[name] for name in _OAUTH2_ENV):
            auth = OAuth2Auth(values["MIMECAST_CLIENT_ID"], values["MIMECAST_CLIENT_SECRET"])
        elif all(values[name] for name in _HMAC_ENV):
            auth = HmacAuth(*(values[name] for name in _HMAC_ENV))
        else:
            have_oauth = [name for name in _OAUTH2_ENV if values[name]]
            have_hmac = [name for name in _HMAC_ENV if values[name]]
            if have_oauth and not have_hmac:
                missing = [name for name in _OAUTH2_ENV if not values[name]]
            elif have_hmac:
                missing = [name for name in _HMAC_ENV if not values[name]]
            else:
                missing = []
            hint = f" (missing: {', '.join(missing)})" if missing else ""
            raise ConfigurationError(
                "no Mimecast credentials in the environment: set MIMECAST_CLIENT_ID and "
                "MIMECAST_CLIENT_SECRET (API 2.0), or MIMECAST_APP_ID, MIMECAST_APP_KEY, "
                f"MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY (API 1.0){hint}"
            )
        options.setdefault("base_url", env.get("MIMECAST_BASE_URL", "").strip() or None)
        options.setdefault("region", env.get("MIMECAST_REGION", "").strip() or None)
        return cls(auth, **options)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> MimecastClient:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Release connections; the client cannot be used afterwards. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self._engine.aclose()
        await self._transport.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("this MimecastClient is closed; create a new one")

    @property
    def engine(self) -> Engine:
        """The private request engine (for resources and pagers)."""
        self._check_open()
        return self._engine

    # -- raw access ------------------------------------------------------------------------

    async def request(
        self,
        path: str,
        data: Sequence[Any] | None = None,
        *,
        meta: Mapping[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """POST ``{"meta": meta, "data": data}`` to ``path``; return the decoded envelope.

        Signed, gated, retried (as a read unless ``idempotent=False``) and error-mapped like
        every other call.
        """
        self._check_open()
        if not isinstance(path, str) or not path.startswith("/") or "://" in path:
            raise InvalidInputError("path", path, "must be an absolute API path like /api/...")
        if not _API_PATH.fullmatch(path) or any(
            segment in (".", "..") for segment in path.split("/")
        ):
            # anything else is rewritten on the way out (dot segments, spaces, tabs, non-ASCII),
            # and the signature covers the path as given: Mimecast would refuse it
            raise InvalidInputError(
                "path", path, "must be letters, digits and - _ . ~ between slashes, no . or .."
            )
        if data is not None and (isinstance(data, (str, bytes)) or not isinstance(data, Sequence)):
            raise InvalidInputError("data", data, "must be a list of request items")
        response = await self._engine.call(path, data, meta, idempotent=idempotent, keep_body=True)
        try:
            decoded: dict[str, Any] = msgspec.json.decode(response.body, type=dict[str, Any])
        except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as error:
            raise ResponseDecodeError(
                f"response is not a JSON object: {error}", path=path
            ) from None
        return decoded

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Quota state from the latest response (limit, remaining, reset_after seconds)."""
        return self._engine.rate_limit

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"MimecastClient({self.auth!r}, base_url={self.base_url!r}, {state})"

    # -- resources -------------------------------------------------------------------------

    def _resource(self, name: str, factory: Any) -> Any:
        self._check_open()
        resource = self._resources.get(name)
        if resource is None:
            resource = self._resources[name] = factory(self)
        return resource

    @property
    def policies(self) -> PoliciesResource:
        """Blocked-sender policies (/api/policy/blockedsenders/*)."""
        from .resources.policies import PoliciesResource

        resource: PoliciesResource = self._resource("policies", PoliciesResource)
        return resource

    @property
    def groups(self) -> GroupsResource:
        """Directory groups and members (/api/directory/*)."""
        from .resources.groups import GroupsResource

        resource: GroupsResource = self._resource("groups", GroupsResource)
        return resource

    @property
    def senders(self) -> SendersResource:
        """Permitted and blocked senders (/api/managedsender/*)."""
        from .resources.senders import SendersResource

        resource: SendersResource = self._resource("senders", SendersResource)
        return resource

    @property
    def urls(self) -> UrlsResource:
        """Managed URLs and URL decoding (/api/ttp/url/*)."""
        from .resources.urls import UrlsResource

        resource: UrlsResource = self._resource("urls", UrlsResource)
        return resource

    @property
    def logs(self) -> LogsResource:
        """Log streams: TTP, archive search, audit and SIEM logs."""
        from .resources.logs import LogsResource

        resource: LogsResource = self._resource("logs", LogsResource)
        return resource

    @property
    def archive(self) -> ArchiveResource:
        """Archive search, message list and detail (/api/archive/*)."""
        from .resources.archive import ArchiveResource

        resource: ArchiveResource = self._resource("archive", ArchiveResource)
        return resource

    @property
    def tracking(self) -> TrackingResource:
        """Message tracking (/api/message-finder/*)."""
        from .resources.tracking import TrackingResource

        resource: TrackingResource = self._resource("tracking", TrackingResource)
        return resource

    @property
    def holds(self) -> HoldsResource:
        """Held messages (/api/gateway/*)."""
        from .resources.holds import HoldsResource

        resource: HoldsResource = self._resource("holds", HoldsResource)
        return resource

    @property
    def users(self) -> UsersResource:
        """User aliases (/api/user/*)."""
        from .resources.users import UsersResource

        resource: UsersResource = self._resource("users", UsersResource)
        return resource
