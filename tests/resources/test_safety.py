"""Safety properties of the admin calls: no request on bad input, mutations never repeated."""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async._engine import ApiResponse
from mimecast_async.envelope import Envelope, Meta
from mimecast_async.models.holds import RejectResult, ReleaseResult
from mimecast_async.testing import FaultPlan, MimecastEmulator

NAIVE = datetime(2024, 1, 1)
AWARE = datetime(2024, 1, 1, tzinfo=timezone.utc)
#: aware, but before datetime.min once converted to UTC (a raw OverflowError before the fix)
TOO_EARLY = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
TOO_LATE = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
GROUP = "eNoGroupId"

#: (description, call) pairs that must raise InvalidInputError before any request.
BAD_CALLS: list[tuple[str, Callable[[mc.MimecastClient], Any]]] = [
    ("policy: empty description", lambda c: c.policies.create_blocked_sender(description=" ")),
    (
        "policy: unknown option",
        lambda c: c.policies.create_blocked_sender(
            description="d", option="block", sender_value="a@b.example"
        ),
    ),
    (
        "policy: unknown sender type",
        lambda c: c.policies.create_blocked_sender(description="d", sender_type="someone"),
    ),
    (
        "policy: missing sender value",
        lambda c: c.policies.create_blocked_sender(description="d"),
    ),
    (
        "policy: bad sender address",
        lambda c: c.policies.create_blocked_sender(description="d", sender_value="not-an-email"),
    ),
    (
        "policy: domain with @",
        lambda c: c.policies.create_blocked_sender(
            description="d", sender_type="email_domain", sender_value="@evil.example"
        ),
    ),
    (
        "policy: value for a type without one",
        lambda c: c.policies.create_blocked_sender(
            description="d", sender_type="internal_addresses", sender_value="a@b.example"
        ),
    ),
    (
        "policy: receiver address with CRLF",
        lambda c: c.policies.create_blocked_sender(
            description="d",
            sender_value="a@b.example",
            receiver_type="individual_email_address",
            receiver_value="x@example.com\r\n",
        ),
    ),
    (
        "policy: source IP not CIDR",
        lambda c: c.policies.create_blocked_sender(
            description="d", sender_value="a@b.example", source_ips=["192.0.2.1"]
        ),
    ),
    (
        "policy: bad addresses_based_on",
        lambda c: c.policies.create_blocked_sender(
            description="d", sender_value="a@b.example", addresses_based_on="envelope"
        ),
    ),
    ("policy: empty id on get", lambda c: c.policies.get_blocked_sender("")),
    ("policy: id with LF on delete", lambda c: c.policies.delete_blocked_sender("id\n")),
    ("policy: update with nothing", lambda c: c.policies.update_blocked_sender("id1")),
    (
        "policy: update with bad CIDR",
        lambda c: c.policies.update_blocked_sender("id1", source_ips="10.0.0.1/8"),
    ),
    ("policy: page size 0", lambda c: c.policies.list_blocked_senders(page_size=0)),
    ("group: empty description", lambda c: c.groups.create("")),
    ("group: parent id with NUL", lambda c: c.groups.create("g", parent_id="p\x00")),
    ("group: unknown source", lambda c: c.groups.find(source="ad")),
    ("group: update with nothing", lambda c: c.groups.update(GROUP)),
    ("group: delete without id", lambda c: c.groups.delete(None)),
    ("group: add nobody", lambda c: c.groups.add_members(GROUP)),
    (
        "group: one bad email among good",
        lambda c: c.groups.add_members(GROUP, emails=["a@b.example", "bad@", "c@d.example"]),
    ),
    ("group: domain with @", lambda c: c.groups.add_members(GROUP, domains=["a@b.example"])),
    ("group: members of empty id", lambda c: c.groups.members(" ")),
    (
        "group: remove both email and domain",
        lambda c: c.groups.remove_member(GROUP, email="a@b.example", domain="b.example"),
    ),
    ("group: remove nothing", lambda c: c.groups.remove_member(GROUP)),
    ("sender: bad sender", lambda c: c.senders.block("evil.example", "a@example.com")),
    ("sender: bad recipient", lambda c: c.senders.permit("a@evil.example", "everyone")),
    ("sender: pairs not tuples", lambda c: c.senders.block_many(["a@evil.example"])),
    ("url: fragment", lambda c: c.urls.block("https://evil.example/#x")),
    ("url: no scheme", lambda c: c.urls.permit("evil.example/path")),
    ("url: javascript scheme", lambda c: c.urls.block("javascript:alert(1)")),
    ("url: bad match type", lambda c: c.urls.block("https://e.example/", match_type="regex")),
    ("url: flag as string", lambda c: c.urls.permit("https://e.example/", disable_rewrite="yes")),
    ("url: delete empty id", lambda c: c.urls.delete_managed("")),
    ("url: decode non-URL", lambda c: c.urls.decode("not a url")),
    ("url: decode nothing", lambda c: c.urls.decode_many([])),
    ("url: decode one bad among many", lambda c: c.urls.decode_many(["https://a.example/", "x"])),
    ("archive: malformed XML", lambda c: c.archive.search("<xmlquery>")),
    ("archive: wrong root", lambda c: c.archive.search("<query/>")),
    ("archive: bad view", lambda c: c.archive.messages(view="OUTBOX")),
    ("archive: naive start", lambda c: c.archive.messages(start=NAIVE)),
    ("archive: end before start", lambda c: c.archive.messages(start=AWARE, end=AWARE)),
    ("archive: bad mailbox", lambda c: c.archive.messages(mailbox="someone")),
    ("archive: detail id with CR", lambda c: c.archive.message_detail("m\r")),
    (
        "tracking: message id plus filters",
        lambda c: c.tracking.search(message_id="<a@b>", sender="a@b.example"),
    ),
    ("tracking: bad sender IP", lambda c: c.tracking.search(sender_ip="999.1.1.1")),
    ("tracking: naive end", lambda c: c.tracking.search(sender="b.example", end=NAIVE)),
    ("tracking: info without id", lambda c: c.tracking.message_info("")),
    ("holds: two filters", lambda c: c.holds.list(sender="a@b.example", subject="s")),
    ("holds: admin as string", lambda c: c.holds.list(admin="true")),
    ("holds: limit 0", lambda c: c.holds.list(limit=0)),
    ("holds: release empty id", lambda c: c.holds.release("")),
    ("holds: reject no ids", lambda c: c.holds.reject([])),
    ("holds: reject unknown reason", lambda c: c.holds.reject(["m1"], reason_type="SPAM")),
    ("users: bad email", lambda c: c.users.aliases("alice")),
    (
        "policy: update with a value no type accepts",
        lambda c: c.policies.update_blocked_sender("p1", sender_value="x\r\nX-Injected: 1"),
    ),
    (
        "policy: update with a receiver value that is not text",
        lambda c: c.policies.update_blocked_sender("p1", receiver_value=12345),
    ),
    ("tracking: start before year 1 in UTC", lambda c: c.tracking.search(start=TOO_EARLY)),
    ("tracking: end after year 9999 in UTC", lambda c: c.tracking.search(end=TOO_LATE)),
    ("holds: start out of range", lambda c: c.holds.list(start=TOO_EARLY)),
    ("archive: start out of range", lambda c: c.archive.messages(start=TOO_EARLY)),
    (
        "logs: window from year 1",
        lambda c: c.logs.ttp_url(start=datetime(1, 1, 1, tzinfo=timezone.utc), end=AWARE),
    ),
    ("logs: ordered as string", lambda c: c.logs.ttp_url(start=AWARE, ordered="false")),
    ("siem: compress as string", lambda c: c.logs.siem(compress="false")),
    ("request: data JSON cannot carry", lambda c: c.request("/api/x", data=[{"id": object()}])),
    ("request: data that holds itself", lambda c: c.request("/api/x", data=[_holds_itself()])),
    # paths the HTTP library would rewrite after signing: Mimecast would refuse the signature
    ("request: dot segment", lambda c: c.request("/api/ttp/url/./get-logs")),
    ("request: dot-dot segment", lambda c: c.request("/api/ttp/x/../url/get-logs")),
    ("request: tab in the path", lambda c: c.request("/api/ttp/url/get-logs\t")),
    ("request: non-ASCII path", lambda c: c.request("/api/ttp/url/gét-logs")),
    (
        "request: data nested past the recursion limit",
        lambda c: c.request("/api/x", data=[_nested(sys.getrecursionlimit() + 100)]),
    ),
]


def _holds_itself() -> dict[str, Any]:
    item: dict[str, Any] = {}
    item["self"] = item
    return item


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
async def quiet_client(emu: MimecastEmulator) -> AsyncIterator[mc.MimecastClient]:
    async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
        yield client


@pytest.mark.parametrize(("label", "call"), BAD_CALLS, ids=[label for label, _ in BAD_CALLS])
async def test_bad_input_raises_before_any_request(
    quiet_client: mc.MimecastClient,
    emu: MimecastEmulator,
    label: str,
    call: Callable[[mc.MimecastClient], Any],
) -> None:
    with pytest.raises(mc.InvalidInputError) as caught:
        result = call(quiet_client)
        if inspect.isawaitable(result):
            await result
    assert caught.value.argument
    assert emu.stats.total_requests == 0
    assert quiet_client.engine.requests_sent == 0


def test_enough_distinct_bad_inputs() -> None:
    assert len({label for label, _ in BAD_CALLS}) >= 30


# -- a mutation is never repeated after a dropped connection --------------------------------


Action = Callable[[mc.MimecastClient, MimecastEmulator], Any]
Count = Callable[[MimecastEmulator], int]


def _first_group(emu: MimecastEmulator) -> str:
    return str(next(iter(emu.admin.groups)))


DROPPED: list[tuple[str, Action, Count]] = [
    (
        "/api/directory/create-group",
        lambda c, e: c.groups.create("Dropped once"),
        lambda e: sum(g["description"] == "Dropped once" for g in e.admin.groups.values()),
    ),
    (
        "/api/policy/blockedsenders/create-policy",
        lambda c, e: c.policies.create_blocked_sender(
            description="Dropped", sender_value="d@e.example"
        ),
        lambda e: sum(p["policy"]["description"] == "Dropped" for p in e.admin.policies.values()),
    ),
    (
        "/api/directory/add-group-member",
        lambda c, e: c.groups.add_members(_first_group(e), emails=["dropped@evil.example"]),
        lambda e: sum(
            m["emailAddress"] == "dropped@evil.example"
            for m in e.admin.group_members[_first_group(e)]
        ),
    ),
    (
        "/api/managedsender/permit-or-block-sender",
        lambda c, e: c.senders.block("dropped@evil.example", "alice@example.com"),
        lambda e: sum(
            s["sender"] == "dropped@evil.example" for s in e.admin.managed_senders.values()
        ),
    ),
    (
        "/api/ttp/url/create-managed-url",
        lambda c, e: c.urls.block("https://dropped.example/x"),
        lambda e: sum(u["domain"] == "dropped.example" for u in e.admin.managed_urls.values()),
    ),
    (
        "/api/gateway/hold-release",
        lambda c, e: c.holds.release(next(iter(e.admin.held_messages))),
        lambda e: len(e.admin.released),
    ),
    (
        "/api/gateway/hold-reject",
        lambda c, e: c.holds.reject([next(iter(e.admin.held_messages))]),
        lambda e: len(e.admin.rejected),
    ),
]


@pytest.mark.parametrize(("path", "action", "count"), DROPPED, ids=[d[0] for d in DROPPED])
async def test_mutation_dropped_after_sending_is_not_repeated(
    path: str, action: Action, count: Count
) -> None:
    plan = FaultPlan.script({(path, 1): "drop_after"})
    async with (
        MimecastEmulator(seed=1, records=10, faults=plan) as emu,
        mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client,
    ):
        before = count(emu)
        with pytest.raises(mc.TransportError):
            await action(client, emu)
        assert emu.stats.requests[path] == 1  # sent once, never retried
        assert emu.admin.mutations[path] == 1
        assert count(emu) == before + 1  # the server applied it exactly once


async def test_read_dropped_after_sending_is_retried(emu: MimecastEmulator) -> None:
    path = "/api/user/get-aliases"
    plan = FaultPlan.script({(path, 1): "drop_after"})
    async with (
        MimecastEmulator(seed=1, records=10, faults=plan) as faulty,
        mc.MimecastClient(
            faulty.hmac_auth, base_url=faulty.base_url, retry=mc.RetryPolicy(seed=1)
        ) as client,
    ):
        address = next(a for a, u in faulty.admin.users.items() if u["aliases"])
        assert await client.users.aliases(address)
        assert faulty.stats.requests[path] == 2


# -- mutations are marked non-idempotent, reads idempotent ----------------------------------


class _RecordingEngine:
    """Stands in for the engine: records (path, idempotent) and answers one data item."""

    def __init__(self, answer: Any) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.answer = answer

    async def call(self, path: str, data: Any = None, meta: Any = None, **options: Any) -> Any:
        self.calls.append((path, options.get("idempotent", True)))
        items = [self.answer] if self.answer is not None else []
        envelope: Envelope[Any] = Envelope(meta=Meta(), data=items)
        return ApiResponse(envelope, 200, {}, b"", None, None)


async def _run(answer: Any, call: Callable[[mc.MimecastClient], Any]) -> list[tuple[str, bool]]:
    auth = mc.HmacAuth("app", "key", "access", "c2VjcmV0")
    async with mc.MimecastClient(auth, base_url="http://127.0.0.1:9") as client:
        real, engine = client._engine, _RecordingEngine(answer)
        client._engine = engine  # type: ignore[assignment]
        try:
            await call(client)
        finally:
            client._engine = real
    return engine.calls


MUTATIONS: list[tuple[str, Any, Callable[[mc.MimecastClient], Any]]] = [
    (
        "create-policy",
        mc.BlockedSenderPolicy(id="p"),
        lambda c: c.policies.create_blocked_sender(description="d", sender_value="a@b.example"),
    ),
    ("delete-policy", None, lambda c: c.policies.delete_blocked_sender("p")),
    ("create-group", mc.Group(id="g"), lambda c: c.groups.create("g")),
    ("update-group", mc.Group(id="g"), lambda c: c.groups.update("g", description="x")),
    ("delete-group", None, lambda c: c.groups.delete("g")),
    (
        "add-group-member",
        mc.GroupMemberChange(),
        lambda c: c.groups.add_members("g", emails=["a@b.example"]),
    ),
    (
        "remove-group-member",
        mc.GroupMemberChange(),
        lambda c: c.groups.remove_member("g", email="a@b.example"),
    ),
    (
        "permit-or-block-sender",
        mc.ManagedSender(),
        lambda c: c.senders.block("a@b.example", "c@d.example"),
    ),
    (
        "permit-or-block-sender",
        mc.ManagedSender(),
        lambda c: c.senders.permit("a@b.example", "c@d.example"),
    ),
    ("create-managed-url", mc.ManagedUrl(), lambda c: c.urls.block("https://e.example/")),
    ("create-managed-url", mc.ManagedUrl(), lambda c: c.urls.permit("https://e.example/")),
    ("delete-managed-url", None, lambda c: c.urls.delete_managed("u")),
    ("hold-release", ReleaseResult(id="m", release=True), lambda c: c.holds.release("m")),
    ("hold-reject", RejectResult(id="m", reject=True), lambda c: c.holds.reject(["m"])),
]
READS: list[tuple[str, Any, Callable[[mc.MimecastClient], Any]]] = [
    ("get-policy", mc.BlockedSenderPolicy(), lambda c: c.policies.get_blocked_sender("p")),
    ("get-all-managed-urls", None, lambda c: c.urls.list_managed()),
    ("decode-url", mc.DecodedUrl(url="x"), lambda c: c.urls.decode("https://e.example/")),
    (
        "decode-url",
        mc.DecodedUrl(url="x"),
        lambda c: c.urls.decode_many(["https://e.example/", "https://f.example/"]),
    ),
    ("get-message-detail", mc.MessageDetail(), lambda c: c.archive.message_detail("m")),
    ("get-message-info", mc.MessageInfo(), lambda c: c.tracking.message_info("m")),
    ("get-aliases", None, lambda c: c.users.aliases("a@b.example")),
]


@pytest.mark.parametrize(("name", "answer", "call"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
async def test_mutations_are_not_idempotent(name: str, answer: Any, call: Any) -> None:
    calls = await _run(answer, call)
    assert calls and all(path.endswith(name) and not idempotent for path, idempotent in calls)


@pytest.mark.parametrize(("name", "answer", "call"), READS, ids=[r[0] for r in READS])
async def test_reads_are_idempotent(name: str, answer: Any, call: Any) -> None:
    calls = await _run(answer, call)
    assert calls and all(path.endswith(name) and idempotent for path, idempotent in calls)
