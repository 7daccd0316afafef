"""The HTTP seam: the only module that imports aiohttp's client.

``Transport.send(method, url, headers, body) -> RawResponse(status, headers, body)``. Every
aiohttp, OS and timeout failure becomes :class:`TransportError` or :class:`RequestTimeout`,
marked with whether the request may have reached the server (which decides whether a mutation
may be retried). Response bodies are capped so a hostile or broken server cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import NamedTuple

import aiohttp

from .errors import RequestTimeout, ResponseDecodeError, TransportError

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "RawResponse", "Transport"]

DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
_CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", None)


class RawResponse(NamedTuple):
    """Status, lower-cased headers (first value of each) and the full body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """A thin wrapper over one aiohttp ``ClientSession`` (ours, or the caller's, never closed)."""

    def __init__(
        self,
        *,
        timeout: float,
        verify_ssl: bool = True,
        max_connections: int = 10,
        session: aiohttp.ClientSession | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        user_agent: str = "mimecast_async",
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._verify_ssl = verify_ssl
        self._max_connections = max_connections
        self._session = session
        self._owns_session = session is None
        self._max_bytes = max_response_bytes
        self._user_agent = user_agent

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = (
                aiohttp.TCPConnector(limit=self._max_connections)
                if self._verify_ssl
                else aiohttp.TCPConnector(limit=self._max_connections, ssl=False)
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": self._user_agent},
                trust_env=False,
            )
        return self._session

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> RawResponse:
        """Send one request and read the whole response; raise TransportError on failure."""
        session = self._open_session()
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=self._timeout,
            ) as response:
                payload = await self._read_capped(response)
                return RawResponse(
                    response.status,
                    _lower_headers(response.headers),
                    payload,
                )
        except ResponseDecodeError:
            raise
        except aiohttp.ClientConnectorCertificateError as error:
            raise _not_retryable(
                f"TLS certificate verification failed: {error.certificate_error}"
            ) from None
        except aiohttp.ClientConnectorError as error:
            raise TransportError(
                f"cannot connect to {error.host}:{error.port}: {error.strerror or error}",
                request_sent=False,
            ) from None
        except asyncio.TimeoutError as error:
            sent = _CONNECT_TIMEOUT is None or not isinstance(error, _CONNECT_TIMEOUT)
            raise RequestTimeout(
                f"{method} {_path_of(url)} timed out after {self._timeout.total}s",
                request_sent=sent,
            ) from None
        except aiohttp.ServerDisconnectedError:
            raise TransportError(
                f"server closed the connection during {method} {_path_of(url)}"
            ) from None
        except aiohttp.ClientPayloadError as error:
            raise TransportError(
                f"incomplete response body for {method} {_path_of(url)}: {error}"
            ) from None
        except aiohttp.InvalidURL as error:
            raise _not_retryable(f"invalid URL: {error}") from None
        except (aiohttp.ClientError, OSError) as error:
            raise TransportError(
                f"{type(error).__name__} during {method} {_path_of(url)}: {error}"
            ) from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        length = response.content_length
        if length is not None:
            if length > self._max_bytes:
                raise ResponseDecodeError(
                    f"response body of {length} bytes exceeds the {self._max_bytes}-byte limit",
                    status=response.status,
                )
            if not response.headers.get("Content-Encoding"):
                return await response.read()
            # a compressed body's length says nothing about its decoded size: count as we read
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.content.iter_chunked(1 << 16):
            total += len(chunk)
            if total > self._max_bytes:
                raise ResponseDecodeError(
                    f"response body exceeds the {self._max_bytes}-byte limit",
                    status=response.status,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close the session if we created it; a caller's session is left open."""
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names, keeping the first value of a repeated header."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), value)
    return lowered


def _not_retryable(message: str) -> TransportError:
    return TransportError(message, request_sent=False, retryable=False)


def _path_of(url: str) -> str:
    """The path of ``url``, for messages (never the query or credentials)."""
    start = url.find("://")
    rest = url[start + 3 :] if start >= 0 else url
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else "/"
    return path.split("?", 1)[0]
