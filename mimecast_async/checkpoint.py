"""Checkpoints: JSON-serialisable, versioned resume points for log streams and SIEM pulls.

A log-stream checkpoint lists the work not yet delivered as time segments. A segment may carry a
*skip* set: content hashes of the records at its boundary timestamp that were already delivered,
so resuming at record k+1 works even in the middle of a run of identical timestamps and with
many concurrent cursors. A SIEM checkpoint is the token of the file being read (the
``mc-siem-token`` of the last fully consumed file) plus how many of its events were delivered.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

from .errors import InvalidInputError

__all__ = ["Checkpoint", "Segment", "query_fingerprint", "record_hash"]

VERSION = 1

_HASH_ENCODER = msgspec.json.Encoder()


def record_hash(record: Any) -> str:
    """A short stable content hash of a decoded record."""
    return hashlib.blake2b(_HASH_ENCODER.encode(record), digest_size=10).hexdigest()


def query_fingerprint(kind: str, query: dict[str, Any]) -> str:
    """Identify a query (endpoint, filters, window) so a checkpoint cannot resume another."""
    canonical = json.dumps([kind, query], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass
class Segment:
    """A half-open time range ``[start, end)`` of records still to deliver.

    ``skip`` counts the content hashes of records with timestamp ``skip_at`` that were already
    delivered (records outside the bounds were delivered or belong to other segments).
    """

    start: datetime
    end: datetime
    skip_at: datetime | None = None
    skip: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "skip_at": self.skip_at.isoformat() if self.skip_at is not None else None,
            "skip": dict(sorted(self.skip.items())),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Segment:
        if not isinstance(raw, dict):
            raise ValueError("segment must be an object")
        start, end = _instant(raw["start"]), _instant(raw["end"])
        if end <= start:
            raise ValueError("segment end must be after its start")
        skip_at = _instant(raw["skip_at"]) if raw.get("skip_at") is not None else None
        skip_raw = raw.get("skip") or {}
        if not isinstance(skip_raw, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in skip_raw.items()
        ):
            raise ValueError("segment skip must map hashes to positive counts")
        return cls(start, end, skip_at, Counter(skip_raw))


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("timestamps must be ISO 8601 strings")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamps must carry a UTC offset")
    return parsed.astimezone(timezone.utc)


class Checkpoint:
    """Where a stream stands: take it after any record, resume with ``checkpoint=``.

    ``Checkpoint.from_json(cp.to_json())`` round-trips; a checkpoint only resumes the query it was
    taken from (same endpoint, filters and window), anything else is refused.
    """

    __slots__ = ("kind", "offset", "query", "segments", "token")

    def __init__(
        self,
        *,
        kind: str,
        query: str,
        segments: Sequence[Segment] = (),
        token: str | None = None,
        offset: int = 0,
    ) -> None:
        self.kind = kind
        self.query = query
        self.segments = list(segments)
        self.token = token
        self.offset = offset

    @property
    def done(self) -> bool:
        """True when a log stream has delivered everything in its window."""
        return self.kind != "siem" and not self.segments

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "kind": self.kind,
            "query": self.query,
            "segments": [segment.to_dict() for segment in self.segments],
            "token": self.token,
            "offset": self.offset,
        }

    def to_json(self) -> str:
        """A compact JSON string (store it atomically alongside what you wrote)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: Any) -> Checkpoint:
        if not isinstance(raw, dict):
            raise InvalidInputError("checkpoint", raw, "must be a JSON object")
        if raw.get("version") != VERSION:
            raise InvalidInputError(
                "checkpoint", raw.get("version"), f"unsupported checkpoint version (want {VERSION})"
            )
        try:
            kind = raw["kind"]
            query = raw["query"]
            if not isinstance(kind, str) or not isinstance(query, str):
                raise ValueError("kind and query must be strings")
            segments = [Segment.from_dict(item) for item in raw.get("segments") or []]
            token = raw.get("token")
            if token is not None and not isinstance(token, str):
                raise ValueError("token must be a string")
            offset = raw.get("offset", 0)
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise ValueError("offset must be a non-negative integer")
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInputError("checkpoint", "<checkpoint>", f"malformed: {error}") from None
        return cls(kind=kind, query=query, segments=segments, token=token, offset=offset)

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Parse :meth:`to_json` output; InvalidInputError when it is not a valid checkpoint."""
        try:
            raw = json.loads(text)
        except (TypeError, ValueError) as error:
            raise InvalidInputError("checkpoint", "<text>", f"not JSON: {error}") from None
        except RecursionError:  # json.loads of a document nested thousands of levels deep
            raise InvalidInputError(
                "checkpoint", "<text>", "not a checkpoint: nested too deep"
            ) from None
        return cls.from_dict(raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Checkpoint(kind={self.kind!r}, segments={len(self.segments)}, "
            f"token={'set' if self.token else None})"
        )
