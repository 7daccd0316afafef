"""SIEM log files from ``/api/audit/get-siem-logs``: parsing (pure) and the file-by-file stream.

Each call returns one file (``application/octet-stream``) and an ``mc-siem-token`` header naming
the next; a JSON answer (or ``meta.isLastToken``) means nothing is left for now. Files are ZIPs
of per-log-type members when ``compress`` is true; members are JSON ``{"type", "data": [...]}``
documents or ``|``-delimited ``key=value`` lines.
https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-siem-logs/
"""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from .checkpoint import Checkpoint, query_fingerprint
from .errors import InvalidInputError, PaginationError, ResponseDecodeError
from .validation import require_bool

if TYPE_CHECKING:
    from ._engine import ApiResponse
    from .client import MimecastClient

__all__ = ["SiemEvent", "SiemFile", "SiemStream", "parse_siem_file"]

SIEM_PATH = "/api/audit/get-siem-logs"
FileFormat = Literal["json", "key_value"]
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class SiemEvent:
    """One SIEM event: its log type (receipt, process, delivery, ttp_url, ...) and fields."""

    log_type: str
    fields: dict[str, Any]
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event's own fields, plus ``logType`` when the event does not carry it."""
        if "logType" in self.fields:
            return dict(self.fields)
        return {**self.fields, "logType": self.log_type}


@dataclass(frozen=True)
class SiemFile:
    """One downloaded file: the token that fetched it, the token of the next, its events."""

    name: str | None
    token: str | None
    next_token: str
    events: list[SiemEvent] = field(default_factory=list)


def _log_type_of(member: str) -> str:
    stem = member.rsplit("/", 1)[-1].split(".", 1)[0]
    for known in ("ttp_impersonation", "ttp_attachment", "ttp_url", "ttp_ip", "jrnl"):
        if stem.lower().startswith(known):
            return known
    return stem.split("_", 1)[0].lower() or "unknown"


def _parse_key_value(text: str, log_type: str, name: str | None) -> list[SiemEvent]:
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        fields: dict[str, Any] = {}
        for pair in line.split("|"):
            key, sep, value = pair.partition("=")
            if sep:
                fields[key.strip()] = value
        if fields:
            events.append(SiemEvent(str(fields.get("logType", log_type)), fields, name))
    return events


def _json_documents(text: str) -> list[Any]:
    try:
        return [msgspec.json.decode(text)]
    except msgspec.DecodeError:
        pass
    documents = []
    for line in text.splitlines():
        if line.strip():
            try:
                documents.append(msgspec.json.decode(line))
            except msgspec.DecodeError:
                raise ResponseDecodeError("SIEM file is neither JSON nor JSON Lines") from None
    return documents


def _parse_json(text: str, log_type: str, name: str | None) -> list[SiemEvent]:
    events = []
    for document in _json_documents(text):
        items: list[Any]
        kind = log_type
        if isinstance(document, dict) and isinstance(document.get("data"), list):
            kind = str(document.get("type") or log_type)
            items = document["data"]
        elif isinstance(document, list):
            items = document
        else:
            items = [document]
        for item in items:
            if not isinstance(item, dict):
                raise ResponseDecodeError("SIEM JSON event is not an object")
            events.append(SiemEvent(str(item.get("logType", kind)), item, name))
    return events


def _parse_text(text: str, log_type: str, name: str | None) -> list[SiemEvent]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _parse_json(text, log_type, name)
    return _parse_key_value(text, log_type, name)


def parse_siem_file(body: bytes, name: str | None = None) -> list[SiemEvent]:
    """Every event of one SIEM file (ZIP or plain; JSON or key_value, detected from content).

    A file that cannot be read raises ResponseDecodeError, whatever the zipfile, zlib or JSON
    layer underneath reported (corrupt deflate data, an unknown compression method, an
    encrypted member, JSON nested too deep).
    """
    try:
        return _parse_siem_file(body, name)
    except (zlib.error, NotImplementedError, RuntimeError) as error:  # RecursionError too
        raise ResponseDecodeError(f"SIEM file cannot be read: {type(error).__name__}") from None


def _parse_siem_file(body: bytes, name: str | None) -> list[SiemEvent]:
    if body[:4] == b"PK\x03\x04":
        events: list[SiemEvent] = []
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                members = archive.infolist()
                if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
                    raise ResponseDecodeError("SIEM ZIP expands beyond the size limit")
                for member in members:
                    if member.is_dir():
                        continue
                    text = archive.read(member).decode("utf-8", errors="replace")
                    events.extend(_parse_text(text, _log_type_of(member.filename), member.filename))
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ResponseDecodeError(f"SIEM file is not a valid ZIP: {error}") from None
        return events
    text = body.decode("utf-8", errors="replace")
    return _parse_text(text, _log_type_of(name or "unknown"), name)


def _file_name(disposition: str | None) -> str | None:
    if not disposition or "=" not in disposition:
        return None
    value = disposition.split("=", 1)[1].strip()
    return value.strip('"') or None


class SiemStream:
    """Successive SIEM files as a stream of :class:`SiemEvent`.

    ``checkpoint`` names the file being read and how many of its events were delivered, so a
    resume neither skips nor repeats an event (the server answers a token with the same file).
    """

    def __init__(
        self,
        client: MimecastClient,
        *,
        log_type: str = "MTA",
        file_format: FileFormat = "json",
        compress: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        if file_format not in ("json", "key_value"):
            raise InvalidInputError("file_format", file_format, "must be 'json' or 'key_value'")
        if not isinstance(log_type, str) or not log_type or not log_type.isalnum():
            raise InvalidInputError("log_type", log_type, "must be an alphanumeric SIEM type")
        self._client = client
        self.log_type = log_type
        self.file_format = file_format
        self.compress = require_bool("compress", compress)
        self.query = query_fingerprint("siem", {"type": log_type})
        self._token: str | None = None
        self._offset = 0
        if checkpoint is not None:
            if not isinstance(checkpoint, Checkpoint) or checkpoint.kind != "siem":
                raise InvalidInputError("checkpoint", checkpoint, "is not a SIEM checkpoint")
            if checkpoint.query != self.query:
                raise InvalidInputError("checkpoint", checkpoint, "was taken for another type")
            self._token, self._offset = checkpoint.token, checkpoint.offset
        self._started = False
        self.files_read = 0
        self.last_token_reached = False

    @property
    def checkpoint(self) -> Checkpoint:
        """Resume point: the current file's token and the events of it already delivered."""
        return Checkpoint(kind="siem", query=self.query, token=self._token, offset=self._offset)

    async def files(self) -> AsyncIterator[SiemFile]:
        """Yield whole files until the server has nothing more; the checkpoint moves per file."""
        async with contextlib.aclosing(self._files()) as files:
            async for siem_file in files:
                events = siem_file.events[self._offset :]
                self._token, self._offset = siem_file.next_token, 0
                yield SiemFile(siem_file.name, siem_file.token, siem_file.next_token, events)
                del siem_file, events

    async def __aiter__(self) -> AsyncIterator[SiemEvent]:
        async with contextlib.aclosing(self._files()) as files:
            async for siem_file in files:
                for index in range(self._offset, len(siem_file.events)):
                    self._offset = index + 1
                    yield siem_file.events[index]
                self._token, self._offset = siem_file.next_token, 0
                del siem_file  # not held while the next file is fetched and decoded

    async def _files(self) -> AsyncGenerator[SiemFile, None]:
        if self._started:
            raise PaginationError("this SIEM stream was already iterated; create a new one")
        self._started = True
        seen: set[str] = set()
        while True:
            siem_file = await self.fetch(self._token)
            if siem_file is None:
                self.last_token_reached = True
                return
            if siem_file.next_token in seen or siem_file.next_token == self._token:
                raise PaginationError("get-siem-logs returned the same token twice")
            seen.add(siem_file.next_token)
            self.files_read += 1
            yield siem_file
            del siem_file

    async def fetch(self, token: str | None) -> SiemFile | None:
        """Fetch the file ``token`` names (the first when None); None when nothing is left."""
        item: dict[str, Any] = {
            "type": self.log_type,
            "fileFormat": self.file_format,
            "compress": self.compress,
        }
        if token:
            item["token"] = token
        parsed: list[SiemFile | None] = []

        def read(response: ApiResponse) -> None:  # inside the retry: a bad file is fetched again
            next_token = response.headers.get("mc-siem-token")
            content_type = response.headers.get("content-type", "").lower()
            if "json" in content_type or not next_token:
                parsed.append(None)
                return
            name = _file_name(response.headers.get("content-disposition"))
            parsed.append(SiemFile(name, token, next_token, parse_siem_file(response.body, name)))

        await self._client.engine.call_binary(SIEM_PATH, [item], check=read)
        return parsed[-1]
