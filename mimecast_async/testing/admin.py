"""The emulator's admin operations: in-memory state behind every admin path Mimecast documents.

:class:`AdminState` holds blocked-sender policies, groups and members, managed senders, managed
URLs, held messages, archive messages, tracked emails and users, seeded deterministically (see
:mod:`.admin_data`). :meth:`AdminState.operations` maps each Mimecast path to an
:data:`~.operations.Operation`; the app authenticates, rate-limits and parses the request before
calling it, and wraps the result in the response envelope.

Mimecast semantics kept here: every ``data`` item behaves like a separate call, so a bad item
becomes a ``fail[]`` entry keyed by that item while the others still succeed; list calls take one
item and page with opaque tokens bound to the query. Request and response fields are Mimecast's
own (MIMECAST_API.md §5 and the seeds' JSON schemas).

``fail[]`` codes (``field`` names the dotted request field, e.g. ``policy.from.emailAddress``):
``err_validation_null`` / ``_blank`` (missing / empty required field), ``_invalid_value`` (bad
enum, type, or combination), ``_invalid_email_address``, ``_invalid_domain``, ``_invalid_cidr``,
``_invalid_date``, ``_invalid_url`` (incl. a ``#`` fragment), ``_invalid_query`` (archive XML),
``_invalid_page_token``, ``_invalid_page_size``, ``_too_many_items`` (over an item limit);
``err_policy_not_found``, ``err_folder_not_found``, ``err_folder_group_member_already_exists``,
``err_folder_email_address_not_found``, ``err_managed_url_exists_code``,
``err_managed_url_not_found``, ``err_url_decode_failed``, ``err_message_not_found``,
``err_user_not_found``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import re
import xml.etree.ElementTree as ElementTree
from calendar import monthrange
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn
from urllib.parse import parse_qs, quote, urlsplit

from ..dates import parse_datetime
from .admin_data import ANCHOR, build_seed_data, format_time, is_internal, make_id
from .operations import Operation, OperationResult, failure, validation_failure
from .paging import TokenError, page_window

__all__ = ["HOLD_REJECT_REASONS", "PARTY_TYPES", "PATHS", "AdminState"]

POLICY_CREATE = "/api/policy/blockedsenders/create-policy"
POLICY_GET = "/api/policy/blockedsenders/get-policy"
POLICY_DELETE = "/api/policy/blockedsenders/delete-policy"
GROUP_CREATE = "/api/directory/create-group"
GROUP_FIND = "/api/directory/find-groups"
GROUP_UPDATE = "/api/directory/update-group"
GROUP_DELETE = "/api/directory/delete-group"
MEMBER_ADD = "/api/directory/add-group-member"
MEMBER_LIST = "/api/directory/get-group-members"
MEMBER_REMOVE = "/api/directory/remove-group-member"
SENDER_MANAGE = "/api/managedsender/permit-or-block-sender"
URL_LIST = "/api/ttp/url/get-all-managed-urls"
URL_CREATE = "/api/ttp/url/create-managed-url"
URL_DELETE = "/api/ttp/url/delete-managed-url"
URL_DECODE = "/api/ttp/url/decode-url"
ARCHIVE_SEARCH = "/api/archive/search"
ARCHIVE_LIST = "/api/archive/get-message-list"
ARCHIVE_DETAIL = "/api/archive/get-message-detail"
TRACK_SEARCH = "/api/message-finder/search"
TRACK_SEARCH_FORMER = "/api/tracking/search"  # the same search under its former path (§5.7)
TRACK_INFO = "/api/message-finder/get-message-info"
HOLD_LIST = "/api/gateway/get-hold-message-list"
HOLD_RELEASE = "/api/gateway/hold-release"
HOLD_REJECT = "/api/gateway/hold-reject"
HOLD_SUMMARY = "/api/gateway/get-hold-summary-list"
USER_ALIASES = "/api/user/get-aliases"

#: Every path :meth:`AdminState.operations` serves.
PATHS = (
    POLICY_CREATE,
    POLICY_GET,
    POLICY_DELETE,
    GROUP_CREATE,
    GROUP_FIND,
    GROUP_UPDATE,
    GROUP_DELETE,
    MEMBER_ADD,
    MEMBER_LIST,
    MEMBER_REMOVE,
    SENDER_MANAGE,
    URL_LIST,
    URL_CREATE,
    URL_DELETE,
    URL_DECODE,
    ARCHIVE_SEARCH,
    ARCHIVE_LIST,
    ARCHIVE_DETAIL,
    TRACK_SEARCH,
    TRACK_SEARCH_FORMER,
    TRACK_INFO,
    HOLD_LIST,
    HOLD_RELEASE,
    HOLD_REJECT,
    HOLD_SUMMARY,
    USER_ALIASES,
)

#: Blocked-sender ``from``/``to`` types, each with the nested field carrying its value (or None).
PARTY_TYPES: dict[str, str | None] = {
    "everyone": None,
    "internal_addresses": None,
    "external_addresses": None,
    "free_mail_domains": None,
    "email_domain": "emailDomain",
    "profile_group": "groupId",
    "individual_email_address": "emailAddress",
    "header_display_name": "headerDisplayName",
    "address_attribute_value": "attribute",
}
POLICY_OPTIONS = ("block_sender", "no_action")
FROM_PARTS = ("envelope_from", "header_from", "both")
ETERNAL_FROM = "1900-01-01T00:00:00+0000"
ETERNAL_TO = "2100-01-01T23:59:59+0000"
HOLD_REJECT_REASONS = (
    "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    "MESSAGE CONTAINS CONFIDENTIAL INFORMATION",
    "REVIEWER DISAPPROVES OF CONTENT",
    "INAPPROPRIATE COMMUNICATION",
    "MESSAGE GOES AGAINST EMAIL POLICIES",
)
HOLD_SEARCH_FIELDS = (
    "all",
    "subject",
    "sender",
    "recipient",
    "reason_code",
    "reasonCode",
    "senderIP",
)
HOLD_FILTER_FIELDS = ("route", "heldGroup", "attachments")
MAX_SENDER_ITEMS = 100
MAX_DECODE_ITEMS = 25
PROTECT_HOST = "protect-eu.mimecast.com"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
_PROTECT_HOST_PATTERN = re.compile(r"protect[a-z0-9-]*\.mimecast\.com")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_CONTROL = re.compile(r"[\r\n\x00]")
_DOC_TYPES: dict[str, tuple[str, ...]] = {
    "documents": ("pdf", "doc", "docx", "odt", "rtf"),
    "spreadsheets": ("xls", "xlsx", "csv", "ods"),
    "presentations": ("ppt", "pptx", "odp"),
    "text": ("txt",),
    "images": ("png", "jpg", "jpeg", "gif", "bmp"),
    "media": ("mp3", "mp4", "wav", "avi", "mov"),
    "zips": ("zip", "7z", "rar", "gz"),
}


class _Rejected(Exception):
    """One request item failed; ``entry`` is its ``fail[]`` entry."""

    def __init__(self, entry: dict[str, Any]) -> None:
        super().__init__(entry["errors"][0]["code"])
        self.entry = entry


def _refuse(key: Any, code: str, message: str, field_name: str | None = None) -> NoReturn:
    raise _Rejected(failure(key, code, message, field_name=field_name))


def _invalid(key: Any, field_name: str, problem: str) -> NoReturn:
    raise _Rejected(validation_failure(key, field_name, problem))


def is_email(value: str) -> bool:
    """A plain ``local@domain`` address, no display name, no control characters."""
    local, at, domain = value.rpartition("@")
    return bool(at and local and _LOCAL.match(local) and _DOMAIN.match(domain))


def is_domain(value: str) -> bool:
    """A host name without ``@``, e.g. ``example.com``."""
    return bool(_DOMAIN.match(value))


class _Fields:
    """Typed reads of one request item (or an object nested in it), failing like Mimecast.

    Every failure is keyed by the top-level request item ``key``; nested field names are dotted
    (``policy.description``).
    """

    def __init__(
        self, key: Any, source: Mapping[str, Any], prefix: str = "", path: str = ""
    ) -> None:
        self.key = key
        self.source = source
        self.prefix = prefix
        self.path = path  # the endpoint the item was sent to (page tokens are bound to it)

    def name(self, field_name: str) -> str:
        return self.prefix + field_name

    def has(self, field_name: str) -> bool:
        return self.source.get(field_name) is not None

    def fail(self, field_name: str, problem: str) -> NoReturn:
        _invalid(self.key, self.name(field_name), problem)

    def text(self, field_name: str, *, required: bool = False) -> str | None:
        """A string; None (or blank) is ``null`` (``blank``) when required, else absent."""
        value = self.source.get(field_name)
        if value is None:
            if required:
                self.fail(field_name, "null")
            return None
        if not isinstance(value, str):
            self.fail(field_name, "invalid_value")
        if not value.strip():
            if required:
                self.fail(field_name, "blank")
            return None
        return value

    def identifier(self, field_name: str, *, required: bool = True) -> str | None:
        """An id: a string without CR, LF or NUL."""
        value = self.text(field_name, required=required)
        if value is not None and _CONTROL.search(value):
            self.fail(field_name, "invalid_value")
        return value.strip() if value is not None else None

    def email(self, field_name: str, *, required: bool = False) -> str | None:
        value = self.text(field_name, required=required)
        if value is not None and (_CONTROL.search(value) or not is_email(value.strip())):
            self.fail(field_name, "invalid_email_address")
        return value.strip() if value is not None else None

    def domain(self, field_name: str, *, required: bool = False) -> str | None:
        value = self.text(field_name, required=required)
        if value is not None and (_CONTROL.search(value) or not is_domain(value.strip())):
            self.fail(field_name, "invalid_domain")
        return value.strip().lower() if value is not None else None

    def choice(
        self,
        field_name: str,
        choices: Iterable[str],
        *,
        required: bool = False,
        default: str | None = None,
        fold: bool = False,
    ) -> str | None:
        """One of ``choices`` (matched case-insensitively when ``fold``), returned canonical."""
        value = self.text(field_name, required=required)
        if value is None:
            return default
        for choice in choices:
            if value == choice or (fold and value.casefold() == choice.casefold()):
                return choice
        self.fail(field_name, "invalid_value")

    def boolean(self, field_name: str, default: bool) -> bool:
        value = self.source.get(field_name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.fail(field_name, "invalid_value")

    def date(self, field_name: str) -> datetime | None:
        value = self.source.get(field_name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.fail(field_name, "invalid_date")
        try:
            return parse_datetime(value)
        except ValueError:
            self.fail(field_name, "invalid_date")

    def nested(self, field_name: str) -> _Fields | None:
        value = self.source.get(field_name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(field_name, "invalid_value")
        return _Fields(self.key, value, self.name(field_name) + ".")

    def strings(self, field_name: str) -> list[str] | None:
        value = self.source.get(field_name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
            self.fail(field_name, "invalid_value")
        return list(value)


def _window_range(start: datetime | None, end: datetime | None) -> Callable[[str], bool]:
    """Whether a ``+0000`` timestamp lies in ``[start, end]`` (a missing edge is open)."""

    def accept(stamp: str) -> bool:
        moment = parse_datetime(stamp)
        return (start is None or moment >= start) and (end is None or moment <= end)

    return accept


def _month_before(moment: datetime) -> datetime:
    """The same time a calendar month earlier (the 31st of March gives the end of February)."""
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


class AdminState:
    """In-memory Mimecast admin state, deterministic from ``seed``.

    Inspect it directly in tests: ``policies``, ``groups``, ``group_members``,
    ``managed_senders``, ``managed_urls``, ``encoded_urls``, ``held_messages`` (still held),
    ``released`` / ``rejected`` (ids), ``archive_messages``, ``tracked_emails``,
    ``message_info``, ``users``. ``calls[path]`` counts operation invocations and
    ``mutations[path]`` counts state changes actually applied (one per changed item).
    """

    def __init__(
        self,
        seed: int = 1,
        *,
        secret: str = "emulator",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.seed = seed
        self.secret = secret
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        # archive search's relative dates (last_month, ...) count back from the given clock, or
        # else from the seeded data's own present (ANCHOR): a seed answers the same any day
        self._relative_now = clock or (lambda: ANCHOR)
        self._serial = 0
        seeded = build_seed_data(seed)
        self.root_group_id = make_id(seed, "root-folder", 0)
        self.users = seeded.users
        self.groups = seeded.groups
        self.group_members = seeded.group_members
        self.policies = seeded.policies
        self.managed_senders = seeded.managed_senders
        self.managed_urls = seeded.managed_urls
        self.encoded_urls: dict[str, str] = {}
        self.held_messages = seeded.held_messages
        self.hold_extras = seeded.hold_extras
        self.released: list[str] = []
        self.rejected: list[str] = []
        self.archive_messages = seeded.archive_messages
        self.tracked_emails = seeded.tracked_emails
        self.message_info = seeded.message_info
        self.tracked_message_ids = seeded.tracked_message_ids
        self.default_mailbox = next(iter(self.users))
        self.calls: Counter[str] = Counter()
        self.mutations: Counter[str] = Counter()
        for record in self.managed_urls.values():
            self.encode_url(_managed_url_text(record))
        self.encode_url("https://www.example.com/welcome?utm=newsletter")

    # -- helpers for tests and the app -------------------------------------------------------

    def encode_url(self, original: str) -> str:
        """The Mimecast-rewritten form of ``original``; decode-url maps it back."""
        digest = hashlib.sha256(f"{self.seed}:{original}".encode()).digest()
        token = base64.urlsafe_b64encode(digest[:18]).decode()
        host = urlsplit(original).hostname or ""
        encoded = f"https://{PROTECT_HOST}/s/{token}?domain={quote(host, safe='')}"
        self.encoded_urls[encoded] = original
        return encoded

    def new_id(self, kind: str) -> str:
        """A fresh deterministic id for a record created at run time."""
        self._serial += 1
        return make_id(self.seed, "runtime-" + kind, self._serial)

    def now(self) -> datetime:
        return self._clock()

    def operations(self) -> dict[str, Operation]:
        """Every admin path mapped to its operation."""
        each = self._each
        return {
            POLICY_CREATE: each(POLICY_CREATE, self._create_policy),
            POLICY_GET: self._paged(POLICY_GET, self._get_policies, single=False),
            POLICY_DELETE: each(POLICY_DELETE, self._delete_policy),
            GROUP_CREATE: each(GROUP_CREATE, self._create_group),
            GROUP_FIND: self._paged(GROUP_FIND, self._find_groups),
            GROUP_UPDATE: each(GROUP_UPDATE, self._update_group),
            GROUP_DELETE: each(GROUP_DELETE, self._delete_group),
            MEMBER_ADD: each(MEMBER_ADD, self._add_member),
            MEMBER_LIST: self._paged(MEMBER_LIST, self._list_members),
            MEMBER_REMOVE: each(MEMBER_REMOVE, self._remove_member),
            SENDER_MANAGE: each(SENDER_MANAGE, self._manage_sender, limit=MAX_SENDER_ITEMS),
            URL_LIST: each(URL_LIST, self._list_urls, empty_item=True),
            URL_CREATE: each(URL_CREATE, self._create_url),
            URL_DELETE: each(URL_DELETE, self._delete_url),
            URL_DECODE: each(URL_DECODE, self._decode_url, limit=MAX_DECODE_ITEMS),
            ARCHIVE_SEARCH: self._paged(ARCHIVE_SEARCH, self._archive_search),
            ARCHIVE_LIST: self._paged(ARCHIVE_LIST, self._message_list),
            ARCHIVE_DETAIL: each(ARCHIVE_DETAIL, self._message_detail),
            TRACK_SEARCH: each(TRACK_SEARCH, self._track_search, empty_item=True),
            TRACK_SEARCH_FORMER: each(TRACK_SEARCH_FORMER, self._track_search, empty_item=True),
            TRACK_INFO: each(TRACK_INFO, self._message_info),
            HOLD_LIST: self._paged(HOLD_LIST, self._hold_list),
            HOLD_RELEASE: each(HOLD_RELEASE, self._hold_release),
            HOLD_REJECT: each(HOLD_REJECT, self._hold_reject),
            HOLD_SUMMARY: each(HOLD_SUMMARY, self._hold_summary, empty_item=True),
            USER_ALIASES: each(USER_ALIASES, self._aliases),
        }

    # -- operation plumbing ------------------------------------------------------------------

    def _each(
        self,
        path: str,
        handler: Callable[[_Fields], Any],
        *,
        limit: int | None = None,
        empty_item: bool = False,
    ) -> Operation:
        """An operation running ``handler`` once per data item (a list answer is spread)."""

        def operation(items: list[dict[str, Any]], meta: dict[str, Any]) -> OperationResult:
            self.calls[path] += 1
            result = OperationResult()
            if not items and empty_item:
                items = [{}]
            if not items:
                result.fail.append(
                    failure({}, "err_validation_null", "data must hold an item", field_name="data")
                )
                return result
            if limit is not None and len(items) > limit:
                message = f"at most {limit} items per request"
                for item in items:
                    result.fail.append(
                        failure(item, "err_validation_too_many_items", message, field_name="data")
                    )
                return result
            entries: list[Any] = list(items)
            for item in entries:
                if not isinstance(item, dict):
                    result.fail.append(validation_failure(item, "data", "invalid_value"))
                    continue
                try:
                    answer = handler(_Fields(item, item))
                except _Rejected as rejected:
                    result.fail.append(rejected.entry)
                    continue
                if isinstance(answer, list):
                    result.data.extend(answer)
                elif answer is not None:
                    result.data.append(answer)
            return result

        return operation

    def _paged(
        self,
        path: str,
        handler: Callable[[_Fields, dict[str, Any]], OperationResult],
        *,
        single: bool = True,
    ) -> Operation:
        """A list operation taking one item (none means ``{}``) and answering one page."""

        def operation(items: list[dict[str, Any]], meta: dict[str, Any]) -> OperationResult:
            self.calls[path] += 1
            if not items:
                items = [{}]
            if single and len(items) > 1:
                message = "exactly one item per request"
                return OperationResult(
                    fail=[
                        failure(item, "err_validation_too_many_items", message, field_name="data")
                        for item in items
                    ]
                )
            results = OperationResult()
            entries: list[Any] = list(items)
            for item in entries:
                if not isinstance(item, dict):
                    results.fail.append(validation_failure(item, "data", "invalid_value"))
                    continue
                try:
                    answer = handler(_Fields(item, item, path=path), meta)
                except _Rejected as rejected:
                    results.fail.append(rejected.entry)
                    continue
                results.data.extend(answer.data)
                results.fail.extend(answer.fail)
                if answer.pagination is not None:
                    results.pagination = answer.pagination
            return results

        return operation

    def _page(
        self,
        fields: _Fields,
        meta: dict[str, Any],
        records: list[Any],
        *,
        default_size: int = 25,
        record_start: bool = False,
        first_row: int = 0,
    ) -> tuple[list[Any], dict[str, Any]]:
        """The page of ``records`` that ``meta.pagination`` asks for, and its pagination."""
        try:
            window = page_window(
                len(records),
                meta,
                fields.key,
                secret=self.secret,
                path=fields.path,
                default_page_size=default_size,
                first_row=first_row,
            )
        except TokenError as error:
            _refuse(fields.key, "err_validation_invalid_page_token", str(error), "pageToken")
        except ValueError as error:
            _refuse(fields.key, "err_validation_invalid_page_size", str(error), "pageSize")
        pagination = dict(window.pagination)
        if record_start:
            pagination["recordStart"] = window.start
        return records[window.start : window.stop], pagination

    def _mutated(self, path: str) -> None:
        self.mutations[path] += 1

    # -- blocked-sender policies -------------------------------------------------------------

    def _create_policy(self, fields: _Fields) -> dict[str, Any]:
        policy_id = fields.identifier("id", required=False)
        existing = None
        if policy_id is not None:
            existing = self.policies.get(policy_id)
            if existing is None:
                _refuse(fields.key, "err_policy_not_found", f"no policy {policy_id}", "id")
        option = fields.choice("option", POLICY_OPTIONS, required=existing is None)
        policy_fields = fields.nested("policy")
        if policy_fields is None:
            if existing is None:
                fields.fail("policy", "null")
            policy_fields = _Fields(fields.key, {}, "policy.")
        policy = self._build_policy(policy_fields, existing["policy"] if existing else None)
        stamp = format_time(self.now())
        if existing is None:
            policy_id = self.new_id("policy")
            policy["createTime"] = stamp
        else:
            policy["createTime"] = existing["policy"].get("createTime", stamp)
        assert policy_id is not None
        policy["lastUpdated"] = stamp
        record = {
            "id": policy_id,
            "option": option or (existing["option"] if existing else "block_sender"),
            "policy": policy,
        }
        self.policies[policy_id] = record
        self._mutated(POLICY_CREATE)
        return _copy(record)

    def _build_policy(self, fields: _Fields, existing: dict[str, Any] | None) -> dict[str, Any]:
        base = _copy(existing) if existing else {}
        description = fields.text("description", required=existing is None)
        policy: dict[str, Any] = {
            "description": description or base.get("description", ""),
            "fromPart": fields.choice(
                "fromPart", FROM_PARTS, default=base.get("fromPart", "envelope_from")
            ),
        }
        for side in ("from", "to"):
            party = self._party(fields, side)
            if party is None:
                if existing is None:
                    fields.fail(side, "null")
                party = {key: base[key] for key in _party_keys(side) if key in base}
            policy.update(party)
        for name, default in (
            ("fromDate", ETERNAL_FROM),
            ("toDate", ETERNAL_TO),
        ):
            moment = fields.date(name)
            policy[name] = format_time(moment) if moment else base.get(name, default)
        policy["fromEternal"] = fields.boolean(
            "fromEternal", base.get("fromEternal", not fields.has("fromDate"))
        )
        policy["toEternal"] = fields.boolean(
            "toEternal", base.get("toEternal", not fields.has("toDate"))
        )
        policy["override"] = fields.boolean("override", base.get("override", False))
        policy["bidirectional"] = fields.boolean("bidirectional", base.get("bidirectional", False))
        policy["conditions"] = self._conditions(fields, base.get("conditions", {}))
        comment = fields.text("comment")
        if comment is not None or "comment" in base:
            policy["comment"] = comment if comment is not None else base["comment"]
        policy["enabled"] = fields.boolean("enabled", base.get("enabled", True))
        policy["enforced"] = fields.boolean("enforced", base.get("enforced", False))
        return policy

    def _party(self, fields: _Fields, side: str) -> dict[str, Any] | None:
        """The ``from``/``to`` of a policy (nested or flat form) in both response forms."""
        nested = fields.nested(side)
        flat_name = side + "Value"
        if nested is None and fields.text(side + "Type") is None:
            return None
        if nested is not None:
            party_type = nested.choice("type", PARTY_TYPES, required=True)
        else:
            party_type = fields.choice(side + "Type", PARTY_TYPES, required=True)
        assert party_type is not None
        party: dict[str, Any] = {"type": party_type}
        answer: dict[str, Any] = {side: party, side + "Type": party_type}
        value_key = PARTY_TYPES[party_type]
        if value_key is None:
            return answer
        # The value sits in the nested object's own field, or in the flat ``fromValue``.
        source, name = fields, flat_name
        if nested is not None and (nested.has(value_key) or not fields.has(flat_name)):
            source, name = nested, value_key
        value: Any
        if value_key == "attribute" and source is nested:
            attribute = nested.nested("attribute")
            if attribute is None:
                nested.fail("attribute", "null")
            value = attribute.text("value", required=True)
            party["attribute"] = _copy(dict(attribute.source))
        elif value_key == "attribute":
            value = source.text(name, required=True)
            party["attribute"] = {"value": value}
        elif value_key == "emailAddress":
            value = source.email(name, required=True)
        elif value_key == "emailDomain":
            text = source.text(name, required=True)
            assert text is not None
            if "@" in text or not is_domain(text.strip()):
                source.fail(name, "invalid_domain")
            value = text.strip().lower()
        elif value_key == "groupId":
            value = source.identifier(name)
            if value not in self.groups:
                _refuse(fields.key, "err_folder_not_found", f"no group {value}", source.name(name))
        else:
            value = source.text(name, required=True)
        if value_key != "attribute":
            party[value_key] = value
        answer[flat_name] = value
        return answer

    def _conditions(self, fields: _Fields, current: dict[str, Any]) -> dict[str, Any]:
        conditions = fields.nested("conditions")
        if conditions is None:
            return _copy(current)
        answer: dict[str, Any] = {}
        source_ips = conditions.strings("sourceIPs")
        if source_ips is not None:
            for entry in source_ips:
                if "/" not in entry or _CONTROL.search(entry):
                    conditions.fail("sourceIPs", "invalid_cidr")
                try:
                    ipaddress.ip_network(entry.strip(), strict=False)
                except ValueError:
                    conditions.fail("sourceIPs", "invalid_cidr")
            answer["sourceIPs"] = [entry.strip() for entry in source_ips]
        for name in ("hostnames", "spfDomains"):
            values = conditions.strings(name)
            if values is not None:
                answer[name] = values
        return answer

    def _get_policies(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        policy_id = fields.identifier("id", required=False)
        if policy_id is None:
            records = [_copy(record) for record in self.policies.values()]
            if "pagination" not in meta:
                return OperationResult(data=records)  # `data: []` means all (§5.1)
            page, pagination = self._page(fields, meta, records)
            return OperationResult(data=page, pagination=pagination)
        record = self.policies.get(policy_id)
        if record is None:
            _refuse(fields.key, "err_policy_not_found", f"no policy {policy_id}", "id")
        return OperationResult(data=[_copy(record)])

    def _delete_policy(self, fields: _Fields) -> dict[str, Any]:
        policy_id = fields.identifier("id")
        assert policy_id is not None
        if self.policies.pop(policy_id, None) is None:
            _refuse(fields.key, "err_policy_not_found", f"no policy {policy_id}", "id")
        self._mutated(POLICY_DELETE)
        return {"id": policy_id, "deleted": True}

    # -- groups and members ------------------------------------------------------------------

    def _group_view(self, group_id: str) -> dict[str, Any]:
        group = self.groups[group_id]
        return {
            "id": group_id,
            "description": group["description"],
            "source": group["source"],
            "parentId": group["parentId"],
            "folderCount": sum(
                1 for other in self.groups.values() if other["parentId"] == group_id
            ),
            "userCount": len(self.group_members.get(group_id, [])),
        }

    def _parent(self, fields: _Fields) -> str | None:
        parent_id = fields.identifier("parentId", required=False)
        if (
            parent_id is not None
            and parent_id != self.root_group_id
            and parent_id not in self.groups
        ):
            _refuse(fields.key, "err_folder_not_found", f"no group {parent_id}", "parentId")
        return parent_id

    def _group(self, fields: _Fields) -> str:
        group_id = fields.identifier("id")
        assert group_id is not None
        if group_id not in self.groups:
            _refuse(fields.key, "err_folder_not_found", f"no group {group_id}", "id")
        return group_id

    def _create_group(self, fields: _Fields) -> dict[str, Any]:
        description = fields.text("description", required=True)
        parent_id = self._parent(fields) or self.root_group_id
        group_id = self.new_id("group")
        self.groups[group_id] = {
            "id": group_id,
            "description": description,
            "source": "cloud",
            "parentId": parent_id,
        }
        self.group_members[group_id] = []
        self._mutated(GROUP_CREATE)
        return self._group_view(group_id)

    def _find_groups(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        query = fields.text("query")
        source = fields.choice("source", ("cloud", "ldap"), default="cloud", fold=True)
        needle = (query or "").casefold()
        folders = [
            self._group_view(group_id)
            for group_id, group in self.groups.items()
            if group["source"] == source and needle in group["description"].casefold()
        ]
        page, pagination = self._page(fields, meta, folders)
        return OperationResult(
            data=[{"folders": page, "query": query or "", "source": source}],
            pagination=pagination,
        )

    def _update_group(self, fields: _Fields) -> dict[str, Any]:
        group_id = self._group(fields)
        description = fields.text("description")
        if fields.source.get("description") is not None and description is None:
            fields.fail("description", "blank")
        parent_id = self._parent(fields)
        if parent_id is not None:
            ancestor: str | None = parent_id
            while ancestor is not None and ancestor in self.groups:
                if ancestor == group_id:
                    _refuse(
                        fields.key,
                        "err_validation_invalid_value",
                        "a group cannot be moved under itself",
                        "parentId",
                    )
                ancestor = self.groups[ancestor]["parentId"]
        group = self.groups[group_id]
        if description is not None:
            group["description"] = description
        if parent_id is not None:
            group["parentId"] = parent_id
        self._mutated(GROUP_UPDATE)
        return self._group_view(group_id)

    def _delete_group(self, fields: _Fields) -> dict[str, Any]:
        group_id = self._group(fields)
        doomed = [group_id]
        for current in doomed:
            doomed.extend(
                other for other, group in self.groups.items() if group["parentId"] == current
            )
        for current in doomed:
            self.groups.pop(current, None)
            self.group_members.pop(current, None)
        self._mutated(GROUP_DELETE)
        return {"id": group_id, "status": "deleted"}

    def _member_target(self, fields: _Fields) -> tuple[str, str]:
        """("emailAddress" | "domain", value) of an add/remove request item."""
        has_email, has_domain = fields.has("emailAddress"), fields.has("domain")
        if has_email and has_domain:
            _refuse(
                fields.key,
                "err_validation_invalid_value",
                "give emailAddress or domain, not both",
                "domain",
            )
        if has_domain:
            domain = fields.domain("domain", required=True)
            assert domain is not None
            return "domain", domain
        email = fields.email("emailAddress", required=True)
        assert email is not None
        return "emailAddress", email

    def _find_member(self, group_id: str, kind: str, value: str) -> dict[str, Any] | None:
        for member in self.group_members.get(group_id, []):
            if member[kind] and member[kind].casefold() == value.casefold():
                return member
        return None

    def _add_member(self, fields: _Fields) -> dict[str, Any]:
        group_id = self._group(fields)
        kind, value = self._member_target(fields)
        notes = fields.text("notes") or ""
        if self._find_member(group_id, kind, value) is not None:
            _refuse(
                fields.key,
                "err_folder_group_member_already_exists",
                f"{value} is already a member of the group",
                kind,
            )
        member = {
            "id": self.new_id("member"),
            "emailAddress": value if kind == "emailAddress" else "",
            "domain": value if kind == "domain" else "",
            "internal": is_internal(value),
            "type": "created_manually" if kind == "emailAddress" else "",
            "name": self._display_name(value) if kind == "emailAddress" else "",
            "notes": notes,
        }
        self.group_members.setdefault(group_id, []).append(member)
        self._mutated(MEMBER_ADD)
        return {
            "id": member["id"],
            "folderId": group_id,
            kind: value,
            "internal": member["internal"],
        }

    def _display_name(self, address: str) -> str:
        user = self.users.get(address.lower())
        return str(user["displayName"]) if user else ""

    def _list_members(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        group_id = self._group(fields)
        members = [
            {key: value for key, value in member.items() if key != "id"}
            for member in self.group_members.get(group_id, [])
        ]
        page, pagination = self._page(fields, meta, members)
        return OperationResult(data=[{"groupMembers": page}], pagination=pagination)

    def _remove_member(self, fields: _Fields) -> dict[str, Any]:
        group_id = self._group(fields)
        kind, value = self._member_target(fields)
        member = self._find_member(group_id, kind, value)
        if member is None:
            _refuse(
                fields.key,
                "err_folder_email_address_not_found",
                f"{value} is not a member of the group",
                kind,
            )
        self.group_members[group_id].remove(member)
        self._mutated(MEMBER_REMOVE)
        return {
            "folderId": group_id,
            kind: member[kind],
            "id": member["id"],
            "internal": member["internal"],
        }

    # -- managed senders ---------------------------------------------------------------------

    def _manage_sender(self, fields: _Fields) -> dict[str, Any]:
        sender = fields.email("sender", required=True)
        recipient = fields.email("to", required=True)
        action = fields.choice("action", ("permit", "block"), required=True, fold=True)
        assert sender is not None and recipient is not None and action is not None
        key = (sender.lower(), recipient.lower())
        entry = self.managed_senders.get(key)
        record = {
            "id": entry["id"] if entry else self.new_id("managed-sender"),
            "sender": sender,
            "to": recipient,
            "type": action.title(),
        }
        self.managed_senders[key] = record
        self._mutated(SENDER_MANAGE)
        return dict(record)

    # -- managed URLs and decoding -----------------------------------------------------------

    def _list_urls(self, fields: _Fields) -> list[dict[str, Any]]:
        needle = fields.text("domainOrUrl")
        exact = fields.boolean("exactMatch", False)
        records = list(self.managed_urls.values())
        if needle is not None:
            wanted = needle.strip().casefold()

            def matches(record: dict[str, Any]) -> bool:
                texts = (record["domain"].casefold(), _managed_url_text(record).casefold())
                if exact:
                    return wanted in texts or wanted == _bare_url(record).casefold()
                return any(wanted in text for text in texts)

            records = [record for record in records if matches(record)]
        return [dict(record) for record in records]

    def _create_url(self, fields: _Fields) -> dict[str, Any]:
        url = fields.identifier("url")
        assert url is not None
        if "#" in url:
            _refuse(
                fields.key, "err_validation_invalid_url", "url must not contain a fragment", "url"
            )
        action = fields.choice("action", ("block", "permit"), required=True, fold=True)
        match_type = fields.choice(
            "matchType", ("explicit", "domain"), default="explicit", fold=True
        )
        parts = urlsplit(url if "://" in url else "//" + url)
        try:
            port = parts.port
        except ValueError:
            port = None
            fields.fail("url", "invalid_url")
        host = parts.hostname or ""
        if not is_domain(host) and not _is_ip(host):
            fields.fail("url", "invalid_url")
        record: dict[str, Any] = {
            "id": "",
            "scheme": parts.scheme,
            "domain": host,
            "port": port if port is not None else -1,
            "path": parts.path if match_type == "explicit" else "",
            "queryString": parts.query if match_type == "explicit" else "",
            "matchType": match_type,
            "action": action,
            "comment": fields.text("comment") or "",
            "disableRewrite": fields.boolean("disableRewrite", False),
            "disableUserAwareness": fields.boolean("disableUserAwareness", False),
            "disableLogClick": fields.boolean("disableLogClick", False),
        }
        identity = _url_identity(record)
        if any(_url_identity(other) == identity for other in self.managed_urls.values()):
            _refuse(fields.key, "err_managed_url_exists_code", f"{url} is already managed", "url")
        record["id"] = self.new_id("managed-url")
        self.managed_urls[record["id"]] = record
        self._mutated(URL_CREATE)
        return dict(record)

    def _delete_url(self, fields: _Fields) -> None:
        url_id = fields.identifier("id")
        assert url_id is not None
        if self.managed_urls.pop(url_id, None) is None:
            _refuse(fields.key, "err_managed_url_not_found", f"no managed URL {url_id}", "id")
        self._mutated(URL_DELETE)
        return None

    def _decode_url(self, fields: _Fields) -> dict[str, Any]:
        url = fields.identifier("url")
        assert url is not None
        original = self.encoded_urls.get(url)
        if original is None:
            token = urlsplit(url).path.rsplit("/", 1)[-1]
            for encoded, candidate in self.encoded_urls.items():
                if urlsplit(encoded).path.rsplit("/", 1)[-1] == token:
                    original = candidate
                    break
        if original is None:
            original = _rewritten_domain_root(url)
        if original is None:
            _refuse(fields.key, "err_url_decode_failed", "not a Mimecast-encoded URL", "url")
        return {"url": original, "success": True}

    # -- archive -----------------------------------------------------------------------------

    def _addresses_for(self, mailbox: str, *, aliases: bool) -> set[str]:
        addresses = {mailbox.casefold()}
        user = self.users.get(mailbox.lower())
        if aliases and user:
            addresses.update(alias["emailAddress"].casefold() for alias in user["aliases"])
        return addresses

    def _archive_search(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        fields.boolean("admin", False)
        query = fields.text("query", required=True)
        assert query is not None
        accept, page_size, first_row = self._compile_query(fields, query)
        returned = _return_fields(query)
        records = [
            _search_hit(record, returned)
            for record in self.archive_messages.values()
            if accept(record)
        ]
        page, pagination = self._page(
            fields, meta, records, default_size=page_size, record_start=True, first_row=first_row
        )
        return OperationResult(data=page, pagination=pagination)

    def _compile_query(
        self, fields: _Fields, query: str
    ) -> tuple[Callable[[dict[str, Any]], bool], int, int]:
        """A predicate over archive records from Mimecast's XML query; its page-size, startrow."""
        if "<!DOCTYPE" in query.upper() or "<!ENTITY" in query.upper():
            fields.fail("query", "invalid_query")
        try:
            root = ElementTree.fromstring(query)
        except ElementTree.ParseError:
            fields.fail("query", "invalid_query")
        if root.tag != "xmlquery":
            fields.fail("query", "invalid_query")
        tests: list[Callable[[dict[str, Any]], bool]] = []
        page_size = 25
        metadata = root.find(".//metadata")
        first_row = 0
        if metadata is not None and (metadata.get("page-size") or "").isdigit():
            page_size = max(1, int(metadata.get("page-size") or 25))
        if metadata is not None and (metadata.get("startrow") or "").isdigit():
            first_row = int(metadata.get("startrow") or 0)
        mailboxes: set[str] = set()
        for mailbox in root.iter("mailbox"):
            address = (mailbox.text or "").strip()
            if address:
                aliases = (mailbox.get("include-aliases") or "true").lower() == "true"
                mailboxes |= self._addresses_for(address, aliases=aliases)
        if mailboxes:
            tests.append(lambda record: bool(_participants(record) & mailboxes))
        for text in root.iter("text"):
            tests.append(_text_test((text.text or "").strip()))
        for date in root.iter("date"):
            tests.append(self._date_test(fields, date))
        for sent in root.iter("sent"):
            address = (sent.text or "").strip().casefold()
            if not address:
                continue
            tests.append(_sent_test(address, (sent.get("select") or "from").lower() == "to"))
        for docs in root.iter("docs"):
            tests.append(_docs_test(fields, (docs.get("select") or "optional").lower()))
        return (lambda record: all(test(record) for test in tests)), page_size, first_row

    def _date_test(
        self, fields: _Fields, element: ElementTree.Element
    ) -> Callable[[dict[str, Any]], bool]:
        select = (element.get("select") or "").lower()
        now = self._relative_now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        relative: dict[str, tuple[datetime, datetime | None]] = {
            "today": (today, None),
            "yesterday": (today - timedelta(days=1), today),
            "last_week": (now - timedelta(days=7), None),
            "last_month": (now - timedelta(days=31), None),
            "last_year": (now - timedelta(days=366), None),
        }
        start: datetime | None
        end: datetime | None
        if select == "between":
            try:
                start = parse_datetime(element.get("from") or "")
                end = parse_datetime(element.get("to") or "")
            except ValueError:
                fields.fail("query", "invalid_date")
        elif select in relative:
            start, end = relative[select]
        else:
            fields.fail("query", "invalid_query")
        within = _window_range(start, end)
        return lambda record: within(record["received"])

    def _message_list(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        view = fields.choice("view", ("INBOX", "SENT"), required=True, fold=True)
        mailbox = fields.email("mailbox") or self.default_mailbox
        start, end = fields.date("start"), fields.date("end")
        # MIMECAST_API.md §5.6: start defaults to a calendar month back, end to the end of today
        now = self._relative_now()
        if start is None:
            start = _month_before(now)
        if end is None:
            end = now.replace(hour=23, minute=59, second=59, microsecond=0)
        fields.boolean("includeDelegates", False)
        aliases = fields.boolean("includeAliases", True)
        addresses = self._addresses_for(mailbox, aliases=aliases)
        within = _window_range(start, end)
        records = []
        for record in self.archive_messages.values():
            if view == "SENT":
                mine = record["from"]["emailAddress"].casefold() in addresses
            else:
                recipients = {party["emailAddress"].casefold() for party in record["to"]}
                recipients |= {party["emailAddress"].casefold() for party in record["cc"]}
                mine = bool(recipients & addresses)
            if mine and within(record["received"]):
                records.append(_list_entry(record))
        page, pagination = self._page(fields, meta, records, record_start=True)
        return OperationResult(data=page, pagination=pagination)

    def _message_detail(self, fields: _Fields) -> dict[str, Any]:
        message_id = fields.identifier("id")
        assert message_id is not None
        record = self.archive_messages.get(message_id)
        if record is None:
            _refuse(fields.key, "err_message_not_found", f"no message {message_id}", "id")
        return _copy(record)

    # -- message tracking --------------------------------------------------------------------

    def _track_search(self, fields: _Fields) -> dict[str, Any]:
        start, end = fields.date("start"), fields.date("end")
        fields.text("searchReason")
        message_id = fields.text("messageId")
        options = fields.nested("advancedTrackAndTraceOptions")
        if message_id is not None and options is not None:
            _refuse(
                fields.key,
                "err_validation_invalid_value",
                "messageId and advancedTrackAndTraceOptions are mutually exclusive",
                "messageId",
            )
        tests: list[Callable[[dict[str, Any]], bool]] = []
        if message_id is not None:
            wanted = message_id.strip().strip("<>")
            tests.append(
                lambda record: self.tracked_message_ids[record["id"]].strip("<>") == wanted
            )
        if options is not None:
            tests.extend(_track_tests(options))
        within = _window_range(start, end)
        tracked = [
            _copy(record)
            for record in self.tracked_emails.values()
            if within(record["received"]) and all(test(record) for test in tests)
        ]
        return {"trackedEmails": tracked}

    def _message_info(self, fields: _Fields) -> dict[str, Any]:
        message_id = fields.identifier("id")
        assert message_id is not None
        info = self.message_info.get(message_id)
        if info is None:
            _refuse(fields.key, "err_message_not_found", f"no tracked message {message_id}", "id")
        return _copy(info)

    # -- held messages -----------------------------------------------------------------------

    def _hold_list(self, fields: _Fields, meta: dict[str, Any]) -> OperationResult:
        admin = fields.boolean("admin", False)
        within = _window_range(fields.date("start"), fields.date("end"))
        tests: list[Callable[[dict[str, Any]], bool]] = []
        search = fields.nested("searchBy")
        if search is not None:
            tests.append(self._hold_search(search))
        filters = fields.source.get("filterBy")
        if filters is not None:
            if not isinstance(filters, list):
                fields.fail("filterBy", "invalid_value")
            for number, entry in enumerate(filters):
                if not isinstance(entry, dict):
                    fields.fail(f"filterBy[{number}]", "invalid_value")
                tests.append(self._hold_filter(_Fields(fields.key, entry, f"filterBy[{number}].")))
        if not admin:
            mine = self._addresses_for(self.default_mailbox, aliases=True)
            tests.append(lambda record: record["to"]["emailAddress"].casefold() in mine)
        records = [
            dict(record)
            for record in self.held_messages.values()
            if within(record["dateReceived"]) and all(test(record) for test in tests)
        ]
        page, pagination = self._page(fields, meta, records)
        return OperationResult(data=page, pagination=pagination)

    def _hold_search(self, search: _Fields) -> Callable[[dict[str, Any]], bool]:
        field_name = search.choice("fieldName", HOLD_SEARCH_FIELDS, default="all")
        value = (search.text("value", required=True) or "").casefold()

        def texts(record: dict[str, Any]) -> dict[str, list[str]]:
            return {
                "subject": [record["subject"]],
                "sender": [record["from"]["emailAddress"], record["fromHeader"]["emailAddress"]],
                "recipient": [record["to"]["emailAddress"], record["toHeader"]["emailAddress"]],
                "reason_code": [record["reasonCode"]],
                "reasonCode": [record["reasonCode"]],
                "senderIP": [self.hold_extras[record["id"]]["senderIP"]],
            }

        def accept(record: dict[str, Any]) -> bool:
            fields_text = texts(record)
            chosen = (
                [text for values in fields_text.values() for text in values]
                if field_name == "all"
                else fields_text[str(field_name)]
            )
            return any(value in text.casefold() for text in chosen)

        return accept

    def _hold_filter(self, entry: _Fields) -> Callable[[dict[str, Any]], bool]:
        """One ``filterBy`` entry: ``{fieldName, value}`` (Mimecast's reference) or the fields
        themselves, ``{route?, heldGroup?, attachments?}`` (MIMECAST_API.md §5.9's notation)."""
        source = entry.source
        if "fieldName" not in source and any(name in source for name in HOLD_FILTER_FIELDS):
            tests = [
                self._hold_field_test(name, source[name])
                for name in HOLD_FILTER_FIELDS
                if source.get(name) is not None
            ]
            return lambda record: all(test(record) for test in tests)
        field_name = entry.choice("fieldName", HOLD_FILTER_FIELDS, required=True)
        assert field_name is not None
        raw = source.get("value")
        if raw is None:
            entry.fail("value", "null")
        return self._hold_field_test(field_name, raw)

    def _hold_field_test(self, field_name: str, raw: Any) -> Callable[[dict[str, Any]], bool]:
        value = str(raw).casefold()
        if field_name == "route":
            return lambda record: record["route"].casefold() == value
        if field_name == "heldGroup":
            return lambda record: self.hold_extras[record["id"]]["heldGroup"].casefold() == value
        return lambda record: str(record["hasAttachments"]).casefold() == value

    def _hold_summary(self, fields: _Fields) -> list[dict[str, Any]]:
        """Messages still held, counted per policy: ``[{policyInfo, numberOfItems}]``."""
        counts = Counter(str(record["policyInfo"]) for record in self.held_messages.values())
        return [
            {"policyInfo": policy, "numberOfItems": count}
            for policy, count in sorted(counts.items())
        ]

    def _hold_release(self, fields: _Fields) -> dict[str, Any]:
        hold_id = fields.identifier("id")
        assert hold_id is not None
        if self.held_messages.pop(hold_id, None) is None:
            return {"id": hold_id, "release": False}
        self.released.append(hold_id)
        self._mutated(HOLD_RELEASE)
        return {"id": hold_id, "release": True}

    def _hold_reject(self, fields: _Fields) -> list[dict[str, Any]]:
        ids = fields.source.get("ids")
        if ids is None:
            fields.fail("ids", "null")
        if not isinstance(ids, list) or not all(isinstance(entry, str) for entry in ids):
            fields.fail("ids", "invalid_value")
        if not ids:
            fields.fail("ids", "blank")
        if any(_CONTROL.search(entry) for entry in ids):
            fields.fail("ids", "invalid_value")
        fields.text("message")
        fields.choice("reasonType", HOLD_REJECT_REASONS, fold=True)
        fields.boolean("notify", False)
        answers = []
        for hold_id in ids:
            rejected = self.held_messages.pop(hold_id, None) is not None
            if rejected:
                self.rejected.append(hold_id)
                self._mutated(HOLD_REJECT)
            answers.append({"id": hold_id, "reject": rejected})
        return answers

    # -- users -------------------------------------------------------------------------------

    def _aliases(self, fields: _Fields) -> dict[str, Any]:
        address = fields.email("emailAddress", required=True)
        assert address is not None
        user = self.users.get(address.lower())
        if user is None:
            _refuse(fields.key, "err_user_not_found", f"no user {address}", "emailAddress")
        return {"emailAddress": user["emailAddress"], "aliases": _copy(user["aliases"])}


# -- pure helpers ----------------------------------------------------------------------------


_copy = copy.deepcopy  # answers never alias the state


def _party_keys(side: str) -> tuple[str, ...]:
    return (side, side + "Type", side + "Value")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _managed_url_text(record: dict[str, Any]) -> str:
    """The URL a managed-URL record stands for, e.g. ``https://host/path?query``."""
    port = f":{record['port']}" if record["port"] not in (-1, None) else ""
    scheme = f"{record['scheme']}://" if record["scheme"] else ""
    query = f"?{record['queryString']}" if record["queryString"] else ""
    return f"{scheme}{record['domain']}{port}{record['path']}{query}"


def _bare_url(record: dict[str, Any]) -> str:
    query = f"?{record['queryString']}" if record["queryString"] else ""
    return f"{record['domain']}{record['path']}{query}"


def _url_identity(record: dict[str, Any]) -> tuple[Any, ...]:
    if record["matchType"] == "domain":
        return ("domain", record["domain"].casefold())
    return (
        "explicit",
        record["domain"].casefold(),
        record["port"],
        record["path"],
        record["queryString"],
    )


def _participants(record: dict[str, Any]) -> set[str]:
    parties = [record["from"], *record["to"], *record["cc"]]
    return {party["emailAddress"].casefold() for party in parties}


def _text_test(text: str) -> Callable[[dict[str, Any]], bool]:
    """Free text, or Mimecast's ``(subject: x)`` / ``(body: x)`` forms."""
    match = re.fullmatch(r"\(?\s*(subject|body)\s*:\s*(.*?)\s*\)?", text, re.IGNORECASE)
    if match:
        where, needle = match.group(1).lower(), match.group(2).casefold()
        key = "subject" if where == "subject" else "messageBodyPreview"
        return lambda record: needle in record[key].casefold()
    needle = text.casefold()

    def accept(record: dict[str, Any]) -> bool:
        haystack = " ".join(
            [
                record["subject"],
                record["messageBodyPreview"],
                record["from"]["emailAddress"],
                record["from"]["displayableName"],
                *(party["emailAddress"] for party in record["to"]),
            ]
        )
        return needle in haystack.casefold()

    return accept


def _sent_test(address: str, to: bool) -> Callable[[dict[str, Any]], bool]:
    """``<sent select="from|to">addr</sent>``: the sender, or one of the recipients, is addr."""
    if to:
        return lambda record: address in {p["emailAddress"].casefold() for p in record["to"]}
    return lambda record: bool(record["from"]["emailAddress"].casefold() == address)


def _docs_test(fields: _Fields, select: str) -> Callable[[dict[str, Any]], bool]:
    if select == "optional":
        return lambda record: True
    if select == "any":
        return lambda record: bool(record["attachments"])
    if select == "none":
        return lambda record: not record["attachments"]
    if select not in _DOC_TYPES:
        fields.fail("query", "invalid_query")
    extensions = _DOC_TYPES[select]
    return lambda record: any(
        attachment["extension"].lower() in extensions for attachment in record["attachments"]
    )


def _track_tests(options: _Fields) -> list[Callable[[dict[str, Any]], bool]]:
    """Predicates for ``advancedTrackAndTraceOptions`` (address or domain matches)."""
    tests: list[Callable[[dict[str, Any]], bool]] = []

    def address_test(wanted: str, addresses: Callable[[dict[str, Any]], list[str]]) -> Any:
        needle = wanted.strip().casefold()
        if "@" in needle:
            return lambda record: needle in [a.casefold() for a in addresses(record)]
        return lambda record: any(
            a.casefold().rsplit("@", 1)[-1] == needle.lstrip("@") for a in addresses(record)
        )

    sender = options.text("from")
    if sender is not None:
        tests.append(
            address_test(
                sender,
                lambda record: [
                    record["fromEnv"]["emailAddress"],
                    record["fromHdr"]["emailAddress"],
                ],
            )
        )
    recipient = options.text("to")
    if recipient is not None:
        tests.append(
            address_test(recipient, lambda record: [p["emailAddress"] for p in record["to"]])
        )
    subject = options.text("subject")
    if subject is not None:
        needle = subject.casefold()
        tests.append(lambda record: needle in record["subject"].casefold())
    sender_ip = options.text("senderIP")
    if sender_ip is not None:
        tests.append(lambda record: record["senderIP"] == sender_ip.strip())
    route = options.choice("route", ("all", "inbound", "outbound", "internal"), fold=True)
    if route not in (None, "all"):
        tests.append(lambda record: record["route"] == route)
    return tests


#: What an archive/search row holds when the query names no ``<return-fields>``.
_DEFAULT_HIT_FIELDS = (
    "id",
    "status",
    "subject",
    "displayfrom",
    "displayto",
    "receiveddate",
    "size",
    "attachmentcount",
    "smash",
)


def _return_fields(query: str) -> tuple[str, ...]:
    """The ``<return-field>`` names of a query (already parsed once), else the default row."""
    names = tuple(
        (element.text or "").strip().lower()
        for element in ElementTree.fromstring(query).iter("return-field")
    )
    return tuple(name for name in names if name) or _DEFAULT_HIT_FIELDS


def _search_hit(record: dict[str, Any], returned: tuple[str, ...]) -> dict[str, Any]:
    """An archive/search result row with the fields the query asked for (lower-case names, as
    Mimecast answers); a name it does not know is left out."""
    sender = record["from"]
    known = {
        "id": record["id"],
        "status": record["status"],
        "subject": record["subject"],
        "displayfrom": sender["displayableName"] or sender["emailAddress"],
        "displayfromaddress": sender["emailAddress"],
        "displayto": ", ".join(
            party["displayableName"] or party["emailAddress"] for party in record["to"]
        ),
        "displaytoaddresslist": ", ".join(party["emailAddress"] for party in record["to"]),
        "receiveddate": record["received"],
        "size": record["size"],
        "attachmentcount": len(record["attachments"]),
        "smash": record["smash"],
    }
    return {name: known[name] for name in returned if name in known}


def _list_entry(record: dict[str, Any]) -> dict[str, Any]:
    """An archive/get-message-list row."""
    return {
        "id": record["id"],
        "subject": record["subject"],
        "size": record["size"],
        "received": record["received"],
        "from": dict(record["from"]),
        "to": dict(record["to"][0]),
        "attachmentCount": len(record["attachments"]),
        "status": record["status"],
        "read": False,
        "ccm": False,
        "smash": record["smash"],
        "expired": False,
        "recalled": False,
    }


def _rewritten_domain_root(url: str) -> str | None:
    """``https://<domain>/`` for a well-formed rewritten link this emulator did not issue.

    A link of Mimecast's form (``https://protect-<region>.mimecast.com/s/<code>?domain=<host>``)
    from outside (another test's fixture, the documentation's example) decodes to the root of
    the host it names: the original path is not in the link, only in Mimecast's records.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not _PROTECT_HOST_PATTERN.fullmatch(host):
        return None
    code = parts.path.removeprefix("/s/")
    domains = parse_qs(parts.query).get("domain", [])
    if not parts.path.startswith("/s/") or not code or "/" in code or len(domains) != 1:
        return None
    domain = domains[0].strip().lower()
    if not _DOMAIN.match(domain):
        return None
    return f"https://{domain}/"
