"""Lazy, deterministic synthetic logs for the emulator.

Record ``i`` of a log type is computed on demand from ``(seed, log type, i)``; nothing is stored
per record, so a million-record emulator costs kilobytes.

* Timestamps: :class:`Timeline` maps ``i`` to a whole epoch second, monotonic non-decreasing in
  ``i``, with uneven density (half the records in the background, 40% in one dense hour, 10% in
  one burst minute inside it), so many records share a second. Ties are ordered by index.
* Filterable fields depend only on ``i mod PROFILE_COUNT`` (a seeded "profile"), so a filter is a
  sorted set of residues and the ``k``-th matching record in a window is found in O(log n).
* Unique fields (ids, URLs, message ids) carry the index.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from .wire import encode, format_epoch

__all__ = [
    "LOG_TYPES",
    "PROFILE_COUNT",
    "FilterError",
    "LogSource",
    "Selection",
    "Timeline",
    "build_sources",
]

PROFILE_COUNT = 1000
LOG_TYPES = ("ttp_url", "ttp_impersonation", "ttp_attachment", "search", "audit")

_MASK = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _seed_int(*parts: object) -> int:
    text = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class FilterError(ValueError):
    """A filter value Mimecast would refuse; ``field`` names the request field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Timeline:
    """Whole-second timestamps for ``records`` indices over ``[start, start + duration)``.

    The density is a seeded piecewise-constant mix; :meth:`second` inverts its CDF at
    ``(i + 0.5) / records``, so it is monotonic, and window bounds are found by bisection.
    """

    def __init__(self, start: int, duration: int, records: int, seed: int) -> None:
        self.start = start
        self.duration = duration
        self.records = records
        rng = random.Random(seed)
        hour = rng.randrange(0, max(1, duration - 3600))
        minute = hour + rng.randrange(0, 3600 - 60)
        parts = [
            (0.0, float(duration), 0.5),
            (hour, hour + 3600.0, 0.4),
            (minute, minute + 60.0, 0.1),
        ]
        edges = sorted({edge for low, high, _ in parts for edge in (low, high)})
        cumulative = [0.0]
        for low, high in itertools.pairwise(edges):
            mass = 0.0
            for part_low, part_high, part_mass in parts:
                if part_low <= low and high <= part_high:
                    mass += part_mass * (high - low) / (part_high - part_low)
            cumulative.append(cumulative[-1] + mass)
        self._edges = [float(edge) for edge in edges]
        self._cumulative = cumulative
        self.dense_hour = (start + hour, start + hour + 3600)
        self.burst_minute = (start + minute, start + minute + 60)

    def second(self, index: int) -> int:
        """Epoch second of record ``index``."""
        return self.seconds((index,))[0]

    def seconds(self, indices: Sequence[int]) -> list[int]:
        """Epoch seconds of ``indices`` (in index order, either way), in one pass.

        The density piece is searched again only when an index leaves the current one: a page
        of a thousand records costs one search.
        """
        records, cumulative, edges = self.records, self._cumulative, self._edges
        last_piece = len(cumulative) - 2
        start, latest = self.start, self.duration - 1
        piece, low, high = -1, 1.0, 0.0  # no piece yet: the first index searches
        out = []
        for index in indices:
            u = (index + 0.5) / records
            if not low <= u < high:
                piece = min(bisect.bisect_right(cumulative, u) - 1, last_piece)
                low = cumulative[piece]
                high = cumulative[piece + 1] if piece < last_piece else float("inf")
                span = cumulative[piece + 1] - low
                edge, width = edges[piece], edges[piece + 1] - edges[piece]
            fraction = (u - low) / span if span > 0 else 0.0
            out.append(start + min(int(edge + fraction * width), latest))
        return out

    def first_at_or_after(self, epoch: float) -> int:
        """The first index whose second is >= ``epoch`` (``records`` when none)."""
        low, high = 0, self.records
        while low < high:
            middle = (low + high) // 2
            if self.second(middle) < epoch:
                low = middle + 1
            else:
                high = middle
        return low

    def first_after(self, epoch: float) -> int:
        """The first index whose second is > ``epoch``."""
        low, high = 0, self.records
        while low < high:
            middle = (low + high) // 2
            if self.second(middle) <= epoch:
                low = middle + 1
            else:
                high = middle
        return low

    def bounds(self, start: float, end: float, *, inclusive_end: bool) -> tuple[int, int]:
        """Index range ``[lo, hi)`` of records with ``start <= t < end`` (``<=`` if inclusive)."""
        low = self.first_at_or_after(start)
        high = self.first_after(end) if inclusive_end else self.first_at_or_after(end)
        return low, max(low, high)


class Selection:
    """The records of a window ``[lo, hi)`` whose profile residue is in ``residues``."""

    __slots__ = ("_before", "_residues", "high", "low", "total")

    def __init__(self, low: int, high: int, residues: Sequence[int]) -> None:
        self.low = low
        self.high = high
        self._residues = residues
        self._before = self._count_below(low)
        self.total = self._count_below(high) - self._before if residues else 0

    def _count_below(self, limit: int) -> int:
        cycles, rest = divmod(limit, PROFILE_COUNT)
        return cycles * len(self._residues) + bisect.bisect_left(self._residues, rest)

    def index(self, position: int) -> int:
        """The record index of the ``position``-th match (0-based, oldest first)."""
        return self.indices(range(position, position + 1))[0]

    def indices(self, positions: range) -> list[int]:
        """The record indices of the matches at ``positions``."""
        residues, before = self._residues, self._before
        count = len(residues)
        if count == PROFILE_COUNT:  # no filter: every record matches
            return [before + position for position in positions]
        return [
            (before + position) // count * PROFILE_COUNT + residues[(before + position) % count]
            for position in positions
        ]


Matcher = Callable[[dict[str, Any]], bool]
Builder = Callable[[int, str, dict[str, Any], int], dict[str, Any]]


@dataclass
class LogSource:
    """One log type: its timeline, seeded profiles, record builder and filter parser."""

    name: str
    timeline: Timeline
    profiles: list[dict[str, Any]]
    builder: Builder
    parse_filters: Callable[[dict[str, Any]], tuple[Any, Matcher]]
    salt: int
    _residue_cache: dict[Any, list[int]]

    def record(self, index: int) -> dict[str, Any]:
        """Record ``index`` as Mimecast sends it."""
        when = format_epoch(self.timeline.second(index))
        profile = self.profiles[index % PROFILE_COUNT]
        return self.builder(index, when, profile, _mix(self.salt ^ index))

    def residues(self, filters: dict[str, Any]) -> list[int]:
        """Sorted profile residues matching ``filters`` (FilterError for a bad value)."""
        key, matcher = self.parse_filters(filters)
        cached = self._residue_cache.get(key)
        if cached is None:
            cached = [r for r, profile in enumerate(self.profiles) if matcher(profile)]
            if len(self._residue_cache) > 256:
                self._residue_cache.clear()
            self._residue_cache[key] = cached
        return cached

    def select(
        self, start: float, end: float, filters: dict[str, Any], *, inclusive_end: bool
    ) -> Selection:
        """The matching records of a time window."""
        low, high = self.timeline.bounds(start, end, inclusive_end=inclusive_end)
        return Selection(low, high, self.residues(filters))

    def page(self, selection: Selection, first: int, stop: int, *, oldest_first: bool) -> list[Any]:
        """Records at positions ``[first, stop)`` of ``selection`` in the requested order."""
        if oldest_first:
            positions = range(first, stop)
        else:
            positions = range(selection.total - 1 - first, selection.total - 1 - stop, -1)
        # what record() does, a page at a time: the emulator builds a page per request, and its
        # CPU time would otherwise delay the answers to concurrent requests
        numbers = selection.indices(positions)
        builder, profiles, salt = self.builder, self.profiles, self.salt
        records = []
        moment, when = -1, ""
        for number, stamp in zip(numbers, self.timeline.seconds(numbers), strict=True):
            if stamp != moment:  # dense seconds hold many records
                moment, when = stamp, format_epoch(stamp)
            records.append(
                builder(number, when, profiles[number % PROFILE_COUNT], _mix(salt ^ number))
            )
        return records


# -- shared vocabulary ---------------------------------------------------------------------

_DOMAINS = ("example.com", "contoso.example", "fabrikam.example", "northwind.example")
_EXTERNAL = ("mail.example.net", "promo.example.org", "secure-login.example.io", "cdn.example.biz")
_FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
_SUBJECTS = (
    "Quarterly report",
    "Invoice overdue",
    "Password reset required",
    "Team lunch",
    "Your parcel is waiting",
    "Contract draft v2",
    "Security alert",
    "Meeting notes",
)
_ROUTES = ("inbound", "inbound", "inbound", "outbound", "internal")


def _user(rng: random.Random, domains: Sequence[str] = _DOMAINS) -> str:
    return f"{rng.choice(_FIRST)}{rng.randrange(100)}@{rng.choice(domains)}"


def _ip(hashed: int) -> str:
    return f"203.0.{(hashed >> 8) & 0xFF}.{hashed & 0xFF}"


def _choice_filter(field: str, value: Any, allowed: Sequence[str], default: str = "all") -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise FilterError(field, "invalid_value")
    return value


def _bool_filter(field: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FilterError(field, "invalid_value")
    return value


def _text_filter(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FilterError(field, "invalid_value")
    return value.lower()


def _list_filter(field: str, value: Any, allowed: Sequence[str] | None = None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FilterError(field, "invalid_value")
    if allowed is not None and any(item not in allowed for item in value):
        raise FilterError(field, "invalid_value")
    return frozenset(value)


# -- TTP URL -------------------------------------------------------------------------------


def _url_profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles: list[dict[str, Any]] = []
    for _ in range(PROFILE_COUNT):
        malicious = rng.random() < 0.12
        profiles.append(
            {
                "user": _user(rng),
                "sender": _user(rng, _EXTERNAL),
                "domain": rng.choice(_EXTERNAL),
                "route": rng.choice(_ROUTES),
                "scanResult": "malicious" if malicious else "clean",
                "category": rng.choice(("Phishing", "Malware")) if malicious else "Business",
                "action": "block" if malicious else "allow",
                "subject": rng.choice(_SUBJECTS),
                "definition": rng.choice(("Default URL Protection", "Strict URL Protection")),
                "awareness": rng.choice(("NA", "Continue", "NA", "Stop")),
            }
        )
        profiles[-1]["template"] = _url_template(profiles[-1])
    return profiles


#: encoded once and shared: a list per record would make every record a container the garbage
#: collector traverses, and its pauses (10 to 30 ms a pull) delayed the emulator's answers
_BODY = msgspec.Raw(encode(["Body"]))


def _url_record(i: int, when: str, p: dict[str, Any], h: int) -> dict[str, Any]:
    record: dict[str, Any] = p["template"].copy()  # the fields every record of p shares
    record["date"] = when
    record["url"] = f"https://{p['domain']}/r/{i:x}/{h & 0xFFFFFF:06x}"
    record["emailPartsDescription"] = _BODY
    record["sendingIp"] = _ip(h)
    record["messageId"] = f"<url.{i}.{h & 0xFFFFFFFF:08x}@{p['domain']}>"
    return record


def _url_template(p: dict[str, Any]) -> dict[str, Any]:
    """A URL log record of profile ``p`` in wire order; ``None`` marks the per-record fields."""
    return {
        "date": None,
        "url": None,
        "userEmailAddress": p["user"],
        "fromUserEmailAddress": p["sender"],
        "action": p["action"],
        "adminOverride": "N/A",
        "userOverride": "None",
        "scanResult": p["scanResult"],
        "category": p["category"],
        "route": p["route"],
        "userAwarenessAction": p["awareness"],
        "ttpDefinition": p["definition"],
        "emailPartsDescription": None,
        "subject": p["subject"],
        "sendingIp": None,
        "messageId": None,
        "creationMethod": "User Click",
        "actions": "Block" if p["action"] == "block" else "Allow",
    }


def _url_filters(item: dict[str, Any]) -> tuple[Any, Matcher]:
    route = _choice_filter("route", item.get("route"), ("inbound", "outbound", "internal", "all"))
    scan = _choice_filter("scanResult", item.get("scanResult"), ("clean", "malicious", "all"))

    def matcher(p: dict[str, Any]) -> bool:
        return route in ("all", p["route"]) and scan in ("all", p["scanResult"])

    return (route, scan), matcher


# -- TTP impersonation ---------------------------------------------------------------------

_IDENTIFIERS = (
    "newly_observed_domain",
    "internal_user_name",
    "reply_address_mismatch",
    "targeted_threat_dictionary",
    "similar_internal_domain",
)
_IMPERSONATION_ACTIONS = ("none", "hold", "bounce", "tag", "none", "none")
#: ``policy`` per MIMECAST_API.md §5.5, ``definition`` per the LogicHub seed: both name the
#: record's ``definition`` (the profile's ``policy``).
_SEARCH_FIELDS = ("senderAddress", "recipientAddress", "subject", "policy", "definition", "all")


def _impersonation_profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles: list[dict[str, Any]] = []
    for number in range(PROFILE_COUNT):
        identifiers = sorted(rng.sample(_IDENTIFIERS, rng.randint(1, 3)))
        malicious = rng.random() < 0.3
        profiles.append(
            {
                "senderAddress": _user(rng, _EXTERNAL),
                "recipientAddress": _user(rng),
                "subject": rng.choice(_SUBJECTS),
                "policy": rng.choice(("Impersonation Protection", "Default Impersonation")),
                "identifiers": identifiers,
                "hits": len(identifiers),
                "action": rng.choice(_IMPERSONATION_ACTIONS),
                "taggedMalicious": malicious,
                "taggedExternal": rng.random() < 0.8,
                "similar": rng.choice(_DOMAINS),
                # the message's route: filterable (§5.5: every TTP log takes ``route``), not a
                # field of the record; taken from the profile number so the seeded draws above
                # (and so every other field) stay what they were
                "route": _ROUTES[_mix(number) % len(_ROUTES)],
            }
        )
        similar = profiles[-1]["similar"]
        # encoded once, as _BODY: lists would put every record of this profile under the
        # garbage collector
        profiles[-1]["identifiers_wire"] = msgspec.Raw(encode(identifiers))
        profiles[-1]["results"] = msgspec.Raw(
            encode(
                [
                    {
                        "impersonationDomainSource": "similar_internal_domain",
                        "stringSimilarToDomain": similar.split(".")[0],
                        "similarDomain": similar,
                        "checkerResult": "hit",
                    }
                ]
            )
        )
    return profiles


def _impersonation_record(i: int, when: str, p: dict[str, Any], h: int) -> dict[str, Any]:
    return {
        "id": f"imp-{i}-{h & 0xFFFFFF:06x}",
        "eventTime": when,
        "action": p["action"],
        "definition": p["policy"],
        "hits": p["hits"],
        "identifiers": p["identifiers_wire"],
        "impersonationResults": p["results"],
        "messageId": f"<imp.{i}.{h & 0xFFFFFFFF:08x}@{p['senderAddress'].split('@')[1]}>",
        "recipientAddress": p["recipientAddress"],
        "senderAddress": p["senderAddress"],
        "senderIpAddress": _ip(h),
        "subject": p["subject"],
        "taggedExternal": p["taggedExternal"],
        "taggedMalicious": p["taggedMalicious"],
    }


def _impersonation_filters(item: dict[str, Any]) -> tuple[Any, Matcher]:
    route = _choice_filter("route", item.get("route"), ("inbound", "outbound", "internal", "all"))
    malicious = _bool_filter("taggedMalicious", item.get("taggedMalicious"))
    field = item.get("searchField")
    query = _text_filter("query", item.get("query"))
    if field is not None:
        field = _choice_filter("searchField", field, _SEARCH_FIELDS)
        if query is None:
            raise FilterError("query", "null")
    elif query is not None:
        field = "all"
    identifiers = _list_filter("identifiers", item.get("identifiers"), _IDENTIFIERS)
    actions = _list_filter("actions", item.get("actions"))
    fields: tuple[str, ...] = (
        ("senderAddress", "recipientAddress", "subject", "policy")
        if field in (None, "all")
        else ("policy",)
        if field == "definition"
        else (str(field),)
    )

    def matcher(p: dict[str, Any]) -> bool:
        if route not in ("all", p["route"]):
            return False
        if malicious is not None and p["taggedMalicious"] != malicious:
            return False
        if identifiers and not identifiers.intersection(p["identifiers"]):
            return False
        if actions and p["action"] not in actions:
            return False
        return query is None or any(query in str(p[name]).lower() for name in fields)

    key = (route, malicious, field, query, tuple(sorted(identifiers)), tuple(sorted(actions)))
    return key, matcher


# -- TTP attachment ------------------------------------------------------------------------

_FILES = (
    ("invoice", "pdf", "application/pdf"),
    ("report", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("payload", "exe", "application/x-dosexec"),
    ("sheet", "xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"),
    ("archive", "zip", "application/zip"),
)
_ATTACHMENT_RESULTS = ("clean", "malicious", "unknown", "timeout", "all")
#: The LogicHub seed's filter values for the same results (safe, unsafe, error).
_ATTACHMENT_RESULT_SYNONYMS = {"safe": "clean", "unsafe": "malicious", "error": "unknown"}


def _attachment_profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles = []
    for _ in range(PROFILE_COUNT):
        result = rng.choices(("clean", "malicious", "unknown", "timeout"), (80, 10, 7, 3))[0]
        stem, extension, file_type = rng.choice(_FILES)
        profiles.append(
            {
                "result": result,
                "senderAddress": _user(rng, _EXTERNAL),
                "recipientAddress": _user(rng),
                "stem": stem,
                "extension": extension,
                "fileType": file_type,
                "route": rng.choice(_ROUTES),
                "actionTriggered": "block, sandbox" if result == "malicious" else "none, none",
                "details": "Malicious Detection" if result == "malicious" else "Safe",
                "subject": rng.choice(_SUBJECTS),
                "definition": rng.choice(("Default Attachment Protection", "Safe File")),
            }
        )
    return profiles


def _attachment_record(i: int, when: str, p: dict[str, Any], h: int) -> dict[str, Any]:
    digest = f"{_mix(h):016x}{_mix(h ^ 1):016x}{_mix(h ^ 2):016x}{_mix(h ^ 3):016x}"
    return {
        "date": when,
        "result": p["result"],
        "senderAddress": p["senderAddress"],
        "recipientAddress": p["recipientAddress"],
        "fileName": f"{p['stem']}_{i}.{p['extension']}",
        "fileType": p["fileType"],
        "fileHash": digest,
        "actionTriggered": p["actionTriggered"],
        "route": p["route"],
        "details": p["details"],
        "subject": p["subject"],
        "messageId": f"<att.{i}.{h & 0xFFFFFFFF:08x}@{p['senderAddress'].split('@')[1]}>",
        "definition": p["definition"],
    }


def _attachment_filters(item: dict[str, Any]) -> tuple[Any, Matcher]:
    route = _choice_filter("route", item.get("route"), ("inbound", "outbound", "internal", "all"))
    requested = item.get("result")
    if isinstance(requested, str):
        requested = _ATTACHMENT_RESULT_SYNONYMS.get(requested, requested)
    result = _choice_filter("result", requested, _ATTACHMENT_RESULTS)

    def matcher(p: dict[str, Any]) -> bool:
        return route in ("all", p["route"]) and result in ("all", p["result"])

    return (route, result), matcher


# -- archive search logs -------------------------------------------------------------------

_SEARCH_TEXTS = (
    "invoice",
    "contract",
    "from:ceo",
    "password",
    "",
    "quarterly results",
    "legal hold",
)
_SEARCH_REASONS = ("Legal request", "HR investigation", "", "Security incident", "Audit")


def _search_profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles = []
    for _ in range(PROFILE_COUNT):
        text = rng.choice(_SEARCH_TEXTS)
        profiles.append(
            {
                "emailAddr": _user(rng),
                "source": rng.choice(("archive", "archive", "ediscovery", "api", "mobile")),
                "searchText": text,
                "searchReason": rng.choice(_SEARCH_REASONS),
                "isAdmin": rng.random() < 0.3,
                "searchPath": rng.choice(("/", "/Inbox", "/Sent Items", "/Archive")),
                "museQuery": f"(text: {text})" if text else "",
            }
        )
    return profiles


def _search_record(i: int, when: str, p: dict[str, Any], h: int) -> dict[str, Any]:
    return {
        "createTime": when,
        "emailAddr": p["emailAddr"],
        "source": p["source"],
        "searchText": p["searchText"],
        "searchReason": p["searchReason"],
        "description": f"Search {i}-{h & 0xFFFF:04x} by {p['emailAddr']}",
        "isAdmin": p["isAdmin"],
        "searchPath": p["searchPath"],
        "museQuery": p["museQuery"],
    }


def _search_filters(item: dict[str, Any]) -> tuple[Any, Matcher]:
    query = _text_filter("query", item.get("query"))

    def matcher(p: dict[str, Any]) -> bool:
        return query is None or any(
            query in p[name].lower() for name in ("emailAddr", "searchText", "searchReason")
        )

    return query, matcher


# -- audit events --------------------------------------------------------------------------

_AUDIT_TYPES = (
    ("authentication_logs", "Logon Authenticated"),
    ("authentication_logs", "Logon Failed"),
    ("account_logs", "Account Settings Changed"),
    ("user_logs", "User Created"),
    ("policy_logs", "Policy Updated"),
    ("archive_search_logs", "Search Executed"),
    ("case_review_logs", "Case Reviewed"),
    ("remediation_logs", "Message Remediated"),
)
AUDIT_CATEGORIES = tuple(sorted({category for category, _ in _AUDIT_TYPES}))


def _audit_profiles(rng: random.Random) -> list[dict[str, Any]]:
    profiles = []
    for _ in range(PROFILE_COUNT):
        category, audit_type = rng.choice(_AUDIT_TYPES)
        user = _user(rng)
        application = rng.choice(("Administration Console", "API", "Mimecast Personal Portal"))
        profiles.append(
            {
                "category": category,
                "auditType": audit_type,
                "eventInfo": f"{audit_type}, Email: {user}, Application: {application}",
            }
        )
    return profiles


def _audit_record(i: int, when: str, p: dict[str, Any], h: int) -> dict[str, Any]:
    return {
        "id": f"eNo{i:x}x{h & 0xFFFFFFFF:08x}",
        "auditType": p["auditType"],
        "category": p["category"],
        "eventInfo": p["eventInfo"],
        "eventTime": when,
    }


def _audit_filters(item: dict[str, Any]) -> tuple[Any, Matcher]:
    query = _text_filter("query", item.get("query"))
    categories = _list_filter("categories", item.get("categories"))

    def matcher(p: dict[str, Any]) -> bool:
        if categories and p["category"] not in categories:
            return False
        return query is None or any(query in p[name].lower() for name in ("auditType", "eventInfo"))

    return (query, tuple(sorted(categories))), matcher


_KINDS: dict[str, tuple[Callable[[random.Random], list[dict[str, Any]]], Builder, Any]] = {
    "ttp_url": (_url_profiles, _url_record, _url_filters),
    "ttp_impersonation": (_impersonation_profiles, _impersonation_record, _impersonation_filters),
    "ttp_attachment": (_attachment_profiles, _attachment_record, _attachment_filters),
    "search": (_search_profiles, _search_record, _search_filters),
    "audit": (_audit_profiles, _audit_record, _audit_filters),
}


def build_sources(seed: int, records: int, start: int, duration: int) -> dict[str, LogSource]:
    """One :class:`LogSource` per log type, all over ``[start, start + duration)``."""
    sources = {}
    for name, (make_profiles, builder, parse_filters) in _KINDS.items():
        rng = random.Random(_seed_int(seed, name, "profiles"))
        sources[name] = LogSource(
            name=name,
            timeline=Timeline(start, duration, records, _seed_int(seed, name, "timeline")),
            profiles=make_profiles(rng),
            builder=builder,
            parse_filters=parse_filters,
            salt=_seed_int(seed, name, "salt"),
            _residue_cache={},
        )
    return sources
