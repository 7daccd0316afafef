"""The HTTP seam: the only module that imports aiohttp's client.

``Transport.send(method, url, headers, body) -> RawResponse(status, headers, body)``. Every
aiohttp, OS and timeout failure becomes :class:`TransportError` or :class:`RequestTimeout`,
marked with whether the request may have reached the server (which decides whether a mutation
may be retried). Response bodies are capped so a hostile or broken server cannot exhaust memory.

Bodies are read into receive buffers that the transport reuses. A log page is a few hundred KB:
allocating and freeing that much per page makes glibc's malloc give the top of its heap back
to the kernel after every page and fault it in again on the next (tens of thousands of page
faults and about a fifth of the CPU of a log pull, measured in ``benchmarks/``). The engine
decodes straight from the lent buffer and returns it with :meth:`RawResponse.release`.
asyncio still reads each socket into a fresh 256 KB ``bytes``; :func:`settle_malloc` keeps
those reads from being faulted in afresh for every page.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping

import aiohttp

from .errors import ClientClosedError, RequestTimeout, ResponseDecodeError, TransportError

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "RawResponse", "Transport"]

DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
_CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", None)
#: A receive buffer that grew beyond this is dropped after use instead of kept for reuse.
_MAX_KEPT_BUFFER = 4 * 1024 * 1024
#: The block :func:`settle_malloc` frees: glibc then serves smaller blocks from its heap and
#: keeps up to twice this much free at the heap's top instead of giving it back to the kernel.
_SETTLE_BLOCK = 4 * 1024 * 1024
_malloc_settled = False


def settle_malloc() -> bool:
    """Once per process, on glibc: free one 4 MiB block so malloc stops trimming every page.

    glibc starts with 128 KB mmap and trim thresholds and raises them as a program runs, to the
    size of the largest mmapped block freed so far and twice that (mallopt(3), "dynamic mmap
    threshold"). In a log pull that largest block is asyncio's 256 KB socket read, and with a
    512 KB trim threshold the heap's top is given back to the kernel and faulted in again for
    every page, in some runs and not others: about 100 page faults per page and a tenth to a
    fifth of the pull's CPU (``benchmarks/RESULTS.md``). Freeing one 4 MiB block is the signal
    glibc itself takes to raise them to 4 and 8 MiB, as any program that once frees a large
    buffer gets. ``bytes(n)`` comes from calloc, so the block's pages are never touched.
    Thresholds a process set itself (``mallopt``, ``GLIBC_TUNABLES``) switch the adjustment
    off and are kept.
    Returns whether the block was freed now.
    """
    global _malloc_settled
    if _malloc_settled:
        return False
    _malloc_settled = True
    libc = ""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    if not libc.startswith("glibc"):
        return False
    block = bytes(_SETTLE_BLOCK)
    del block
    return True


class _BufferPool:
    """Receive buffers kept between responses, at most one per connection."""

    def __init__(self, keep: int) -> None:
        self._free: list[bytearray] = []
        self._keep = keep

    def take(self) -> bytearray:
        return self._free.pop() if self._free else bytearray()

    def give(self, buffer: bytearray) -> None:
        if len(self._free) < self._keep and len(buffer) <= _MAX_KEPT_BUFFER:
            self._free.append(buffer)


class RawResponse:
    """Status, lower-cased headers (first value of each) and the body.

    ``view()`` lends the transport's receive buffer until :meth:`release` (decode from it
    without copying); ``body`` is a copy that stays valid, made on first use.
    """

    __slots__ = ("_body", "_buffer", "_pool", "_view", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        *,
        buffer: bytearray,
        size: int,
        pool: _BufferPool,
    ) -> None:
        self.status = status
        self.headers = headers
        self._body: bytes | None = None
        self._buffer: bytearray | None = buffer
        self._view: memoryview | None = memoryview(buffer)[:size]
        self._pool = pool

    def view(self) -> memoryview | bytes:
        """The body without a copy: valid until :meth:`release`."""
        if self._view is not None:
            return self._view
        if self._body is None:
            raise RuntimeError("the response body was released")
        return self._body

    @property
    def body(self) -> bytes:
        """The body as bytes (a copy of the receive buffer, kept after :meth:`release`)."""
        if self._body is None:
            self._body = bytes(self.view())
        return self._body

    def release(self) -> None:
        """Give the receive buffer back for the next response (``body`` stays usable if read)."""
        view, buffer = self._view, self._buffer
        self._view = self._buffer = None
        if view is not None:
            view.release()
        if buffer is not None:
            self._pool.give(buffer)

    def __repr__(self) -> str:
        size = len(self._view) if self._view is not None else len(self._body or b"")
        return f"RawResponse(status={self.status}, {size} bytes)"


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
        self._buffers = _BufferPool(keep=max_connections)
        self._closed = False
        settle_malloc()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._closed:  # a call that waited for a slot while the client closed
            raise ClientClosedError("this MimecastClient is closed; create a new one")
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
        """Send one request and read the whole response; raise TransportError on failure.

        The body is in a lent receive buffer: call ``release()`` on the response when done.
        """
        buffer = self._buffers.take()
        try:
            return await self._exchange(method, url, headers, body, buffer)
        except BaseException:
            self._buffers.give(buffer)
            raise

    async def _exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, buffer: bytearray
    ) -> RawResponse:
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
                size = await self._read_into(response, buffer)
                return RawResponse(
                    response.status,
                    _lower_headers(response.headers),
                    buffer=buffer,
                    size=size,
                    pool=self._buffers,
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
            if _decompression_limit(error):  # a gzip/deflate bomb: the body, not the network
                raise ResponseDecodeError(
                    f"{method} {_path_of(url)}: the response body decompresses beyond the limit"
                ) from None
            raise TransportError(
                f"incomplete response body for {method} {_path_of(url)}: {error}"
            ) from None
        except aiohttp.InvalidURL as error:
            raise _not_retryable(f"invalid URL: {error}") from None
        except (aiohttp.ClientError, OSError) as error:
            raise TransportError(
                f"{type(error).__name__} during {method} {_path_of(url)}: {error}"
            ) from None

    async def _read_into(self, response: aiohttp.ClientResponse, buffer: bytearray) -> int:
        """Read the body into ``buffer`` (grown as needed); return its size."""
        length = response.content_length
        if length is not None and length > self._max_bytes:
            raise ResponseDecodeError(
                f"response body of {length} bytes exceeds the {self._max_bytes}-byte limit",
                status=response.status,
            )
        # a compressed body's length says nothing about its decoded size: count as we read
        size = 0
        while chunk := await response.content.readany():
            end = size + len(chunk)
            if end > self._max_bytes:
                raise ResponseDecodeError(
                    f"response body exceeds the {self._max_bytes}-byte limit",
                    status=response.status,
                )
            buffer[size:end] = chunk  # grows the buffer when it is too small
            size = end
        return size

    async def close(self) -> None:
        """Close the session if we created it; a caller's session is left open.

        No request is sent afterwards: one still waiting for a slot raises ClientClosedError
        instead of opening a new session.
        """
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()


_DECOMPRESS_SIZE_ERROR: type[BaseException] | None = getattr(
    getattr(aiohttp, "http_exceptions", None), "DecompressSizeError", None
)


def _decompression_limit(error: BaseException) -> bool:
    """Whether aiohttp refused a body for decompressing beyond its limit (a compression bomb)."""
    seen: BaseException | None = error
    for _ in range(8):  # the cause chain is short; never loop on a cycle
        if seen is None:
            return False
        if _DECOMPRESS_SIZE_ERROR is not None and isinstance(seen, _DECOMPRESS_SIZE_ERROR):
            return True
        if "Decompressed data exceeds" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
