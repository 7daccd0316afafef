"""SIEM log files for ``/api/audit/get-siem-logs`` (MIMECAST_API.md §5.10).

A deterministic sequence of files, each a few hundred events of mixed log types. One file per
call; ``mc-siem-token`` names the next one. ``compress: true`` gives a ZIP with one member per
log type; ``fileFormat: "json"`` members are ``{"type": ..., "data": [events]}``, ``key_value``
members are ``|``-delimited ``key=value`` lines starting ``datetime=``. Without compression the
members are concatenated (JSON Lines of member documents, or all key_value lines). Event values
are strings, so both formats decode to the same events.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .operations import OperationResult, failure, validation_failure
from .wire import encode, format_epoch

__all__ = ["SIEM_LOG_TYPES", "SiemFeed", "SiemFile"]

SIEM_LOG_TYPES = (
    "receipt",
    "process",
    "delivery",
    "ttp_url",
    "ttp_attachment",
    "ttp_impersonation",
)
_WEIGHTS = (30, 25, 30, 8, 4, 3)
_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank")


@dataclass(frozen=True)
class SiemFile:
    """One SIEM file: its name stem, start second and events grouped by log type."""

    number: int
    stem: str
    members: dict[str, list[dict[str, str]]]

    def events(self) -> list[tuple[str, dict[str, str]]]:
        """(log type, event) pairs in member order."""
        return [(kind, event) for kind, events in self.members.items() for event in events]


def _event(kind: str, rng: random.Random, when: str, code: str) -> dict[str, str]:
    sender = f"{rng.choice(_NAMES)}{rng.randrange(50)}@mail.example.net"
    recipient = f"{rng.choice(_NAMES)}{rng.randrange(50)}@example.com"
    event = {"datetime": when, "aCode": code, "acc": "C0A0", "logType": kind}
    if kind == "receipt":
        event |= {"Sender": sender, "Rcpt": recipient, "Act": rng.choice(("Acc", "Rej"))}
        event |= {"IP": f"198.51.100.{rng.randrange(256)}", "SpamScore": str(rng.randrange(20))}
    elif kind == "process":
        event |= {
            "Sender": sender,
            "Act": rng.choice(("Acc", "Hld")),
            "AttCnt": str(rng.randrange(4)),
        }
    elif kind == "delivery":
        event |= {"Sender": sender, "Rcpt": recipient, "Delivered": rng.choice(("true", "false"))}
        event |= {"Latency": str(rng.randrange(50, 5000))}
    elif kind == "ttp_url":
        event |= {"Sender": sender, "Rcpt": recipient, "url": f"https://promo.example.org/{code}"}
        event |= {"urlCategory": rng.choice(("Phishing", "Business")), "route": "inbound"}
    elif kind == "ttp_attachment":
        event |= {"Sender": sender, "Rcpt": recipient, "fileName": f"invoice_{code}.pdf"}
        event |= {"Result": rng.choice(("clean", "malicious"))}
    else:
        event |= {"Sender": sender, "Rcpt": recipient, "Action": rng.choice(("none", "hold"))}
    return event


class SiemFeed:
    """The file sequence of one emulator and the ``get-siem-logs`` operation over it."""

    def __init__(self, seed: int, *, secret: str, files: int, start: int, duration: int) -> None:
        self.seed = seed
        self.secret = secret
        self.count = files
        self.start = start
        self.step = max(1, duration // max(1, files))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one feed per emulator, bounded cache
    def file(self, number: int) -> SiemFile:
        """File ``number`` (0-based), generated from the seed."""
        digest = hashlib.sha256(f"{self.seed}:siem:{number}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        first = self.start + number * self.step
        members: dict[str, list[dict[str, str]]] = {kind: [] for kind in SIEM_LOG_TYPES}
        total = rng.randint(200, 400)
        seconds = sorted(rng.randrange(self.step) for _ in range(total))
        for position, offset in enumerate(seconds):
            kind = rng.choices(SIEM_LOG_TYPES, _WEIGHTS)[0]
            code = f"{number}x{position}x{rng.getrandbits(24):06x}"
            members[kind].append(_event(kind, rng, format_epoch(first + offset), code))
        stamp = datetime.fromtimestamp(first, timezone.utc).strftime("%Y%m%d%H%M%S")
        kept = {kind: events for kind, events in members.items() if events}
        return SiemFile(number, f"{stamp}_{number:05d}", kept)

    def files(self) -> list[SiemFile]:
        """Every file of the feed, in order."""
        return [self.file(number) for number in range(self.count)]

    def token(self, number: int) -> str:
        """The opaque ``mc-siem-token`` that asks for file ``number``."""
        mac = hmac.new(self.secret.encode(), f"siem:{number}".encode(), hashlib.sha256)
        return f"{number:x}-{mac.hexdigest()[:20]}"

    def _number(self, token: str) -> int:
        text, _, _mac = token.partition("-")
        try:
            number = int(text, 16)
        except ValueError:
            raise ValueError("malformed token") from None
        if number < 0 or number > self.count or not hmac.compare_digest(self.token(number), token):
            raise ValueError("unknown token")
        return number

    def render(self, number: int, file_format: str, compress: bool) -> tuple[bytes, str]:
        """(body, filename) of file ``number`` in the requested form."""
        siem_file = self.file(number)
        extension = "json" if file_format == "json" else "log"
        bodies = {}
        for kind, events in siem_file.members.items():
            if file_format == "json":
                bodies[kind] = encode({"type": kind, "data": events})
            else:
                bodies[kind] = "\n".join(
                    "|".join(f"{key}={value}" for key, value in event.items()) for event in events
                ).encode()
        if not compress:
            return b"\n".join(bodies.values()) + b"\n", f"MTA_{siem_file.stem}.{extension}"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for kind, body in bodies.items():
                info = zipfile.ZipInfo(
                    f"{kind}_{siem_file.stem}.{extension}", (2020, 1, 1, 0, 0, 0)
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, body)
        return buffer.getvalue(), f"MTA_{siem_file.stem}.zip"

    def answer(self, items: list[Any]) -> OperationResult | tuple[bytes, dict[str, str]]:
        """A file (body, headers) for the request, or a JSON answer (end of data, fail[])."""
        item = items[0] if items else {}
        if len(items) > 1 or not isinstance(item, dict):
            return OperationResult(fail=[validation_failure(item, "data", "invalid_value")])
        if item.get("type", "MTA") != "MTA":
            return OperationResult(fail=[validation_failure(item, "type", "invalid_value")])
        file_format = item.get("fileFormat", "key_value")
        if file_format not in ("json", "key_value"):
            return OperationResult(fail=[validation_failure(item, "fileFormat", "invalid_value")])
        compress = item.get("compress", False)
        if not isinstance(compress, bool):
            return OperationResult(fail=[validation_failure(item, "compress", "invalid_value")])
        token = item.get("token")
        number = 0
        if token not in (None, ""):
            try:
                number = self._number(str(token))
            except ValueError:
                return OperationResult(
                    fail=[
                        failure(
                            item,
                            "err_audit_siem_invalid_token",
                            "The token supplied is not valid",
                            field_name="token",
                        )
                    ]
                )
        if number >= self.count:
            return OperationResult(meta={"isLastToken": True})
        body, filename = self.render(number, file_format, compress)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "mc-siem-token": self.token(number + 1),
        }
        return body, headers
