"""The emulator's admin operations, called directly (pure, no event loop, no HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mimecast_async.testing.admin import HOLD_REJECT_REASONS, PATHS, AdminState
from mimecast_async.testing.admin_data import ANCHOR
from mimecast_async.testing.operations import OperationResult

POLICY = "/api/policy/blockedsenders/"
DIRECTORY = "/api/directory/"
URLS = "/api/ttp/url/"
NOW = datetime(2024, 3, 2, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> AdminState:
    return AdminState(seed=7, secret="test-secret", clock=clock)


def call(
    state: AdminState, path: str, *items: Any, meta: dict[str, Any] | None = None
) -> OperationResult:
    return state.operations()[path](list(items), meta or {})


def codes(result: OperationResult) -> list[str]:
    return [entry["errors"][0]["code"] for entry in result.fail]


def fields(result: OperationResult) -> list[str | None]:
    return [entry["errors"][0].get("field") for entry in result.fail]


def all_pages(
    state: AdminState, path: str, item: dict[str, Any], size: int, unwrap: str | None = None
) -> tuple[list[Any], int]:
    """Follow ``next`` tokens to the end; (every item, number of pages)."""
    collected: list[Any] = []
    token: str | None = None
    pages = 0
    while True:
        pagination: dict[str, Any] = {"pageSize": size}
        if token:
            pagination["pageToken"] = token
        result = call(state, path, item, meta={"pagination": pagination})
        assert result.fail == [], result.fail
        assert result.pagination is not None
        pages += 1
        page = result.data[0][unwrap] if unwrap else result.data
        assert len(page) <= size
        collected.extend(page)
        token = result.pagination.get("next")
        if not token:
            return collected, pages


def blocked_sender(**policy: Any) -> dict[str, Any]:
    body = {
        "description": "Block a phisher",
        "from": {"type": "individual_email_address", "emailAddress": "bad@evil.example"},
        "to": {"type": "everyone"},
    }
    body.update(policy)
    return {"option": "block_sender", "policy": body}


def first_group(state: AdminState, source: str = "cloud") -> str:
    return next(gid for gid, group in state.groups.items() if group["source"] == source)


# -- the surface ---------------------------------------------------------------------------


def test_operations_cover_every_admin_path(state: AdminState) -> None:
    assert set(state.operations()) == set(PATHS)
    assert len(PATHS) == 26


def test_seeded_data_is_deterministic() -> None:
    one, two, other = AdminState(seed=3), AdminState(seed=3), AdminState(seed=4)
    for name in ("policies", "groups", "group_members", "held_messages", "archive_messages"):
        assert getattr(one, name) == getattr(two, name)
    assert one.message_info == two.message_info
    assert one.encoded_urls == two.encoded_urls
    assert set(one.groups) != set(other.groups)
    assert set(one.held_messages) != set(other.held_messages)


def test_seeded_timestamps_lie_before_the_anchor(state: AdminState) -> None:
    for record in state.held_messages.values():
        stamp = datetime.strptime(record["dateReceived"], "%Y-%m-%dT%H:%M:%S%z")
        assert ANCHOR - timedelta(days=31) < stamp < ANCHOR


def test_non_object_items_and_empty_data_fail(state: AdminState) -> None:
    result = call(state, DIRECTORY + "create-group", "nope", {"description": "ok"})
    assert codes(result) == ["err_validation_invalid_value"]
    assert result.fail[0]["key"] == "nope"
    assert len(result.data) == 1
    empty = call(state, DIRECTORY + "create-group")
    assert codes(empty) == ["err_validation_null"]


# -- blocked-sender policies ---------------------------------------------------------------


def test_create_policy_answers_both_nested_and_flat_forms(state: AdminState) -> None:
    result = call(
        state,
        POLICY + "create-policy",
        blocked_sender(fromPart="both", conditions={"sourceIPs": ["203.0.113.0/24"]}),
    )
    assert result.fail == []
    (record,) = result.data
    policy = record["policy"]
    assert record["option"] == "block_sender"
    assert policy["from"] == {
        "type": "individual_email_address",
        "emailAddress": "bad@evil.example",
    }
    assert policy["fromType"] == "individual_email_address"
    assert policy["fromValue"] == "bad@evil.example"
    assert policy["to"] == {"type": "everyone"}
    assert policy["toType"] == "everyone"
    assert policy["fromPart"] == "both"
    assert policy["fromDate"] == "1900-01-01T00:00:00+0000"
    assert policy["toDate"] == "2100-01-01T23:59:59+0000"
    assert policy["fromEternal"] is True and policy["toEternal"] is True
    assert policy["override"] is False and policy["bidirectional"] is False
    assert policy["enabled"] is True and policy["enforced"] is False
    assert policy["conditions"] == {"sourceIPs": ["203.0.113.0/24"]}
    assert policy["createTime"] == policy["lastUpdated"] == "2024-03-02T12:00:00+0000"
    assert state.policies[record["id"]] == record
    assert state.mutations[POLICY + "create-policy"] == 1
    assert state.calls[POLICY + "create-policy"] == 1


def test_create_policy_accepts_the_flat_form(state: AdminState) -> None:
    item = {
        "option": "no_action",
        "policy": {
            "description": "Domain",
            "fromType": "email_domain",
            "fromValue": "spam.example",
            "toType": "individual_email_address",
            "toValue": "someone@example.com",
        },
    }
    (record,) = call(state, POLICY + "create-policy", item).data
    assert record["policy"]["from"] == {"type": "email_domain", "emailDomain": "spam.example"}
    assert record["policy"]["to"] == {
        "type": "individual_email_address",
        "emailAddress": "someone@example.com",
    }
    assert record["policy"]["toValue"] == "someone@example.com"


def test_create_policy_with_profile_group(state: AdminState) -> None:
    group_id = first_group(state)
    item = blocked_sender(**{"from": {"type": "profile_group", "groupId": group_id}})
    (record,) = call(state, POLICY + "create-policy", item).data
    assert record["policy"]["from"] == {"type": "profile_group", "groupId": group_id}
    unknown = blocked_sender(**{"from": {"type": "profile_group", "groupId": "eNoMissing"}})
    assert codes(call(state, POLICY + "create-policy", unknown)) == ["err_folder_not_found"]


def test_update_via_create_policy_with_id(state: AdminState, clock: Clock) -> None:
    (created,) = call(state, POLICY + "create-policy", blocked_sender()).data
    clock.now = NOW + timedelta(hours=1)
    item = {"id": created["id"], "policy": {"description": "Renamed", "fromPart": "header_from"}}
    result = call(state, POLICY + "create-policy", item)
    assert result.fail == []
    (updated,) = result.data
    assert updated["id"] == created["id"]
    assert updated["option"] == "block_sender"
    assert updated["policy"]["description"] == "Renamed"
    assert updated["policy"]["fromPart"] == "header_from"
    assert updated["policy"]["from"] == created["policy"]["from"]
    assert updated["policy"]["fromValue"] == "bad@evil.example"
    assert updated["policy"]["createTime"] == "2024-03-02T12:00:00+0000"
    assert updated["policy"]["lastUpdated"] == "2024-03-02T13:00:00+0000"
    count = len(state.policies)
    (changed,) = call(
        state,
        POLICY + "create-policy",
        {"id": created["id"], "option": "no_action", "policy": {"fromType": "internal_addresses"}},
    ).data
    assert len(state.policies) == count
    assert changed["option"] == "no_action"
    assert changed["policy"]["from"] == {"type": "internal_addresses"}
    assert "fromValue" not in changed["policy"]
    assert state.policies[created["id"]] == changed
    assert state.mutations[POLICY + "create-policy"] == 3


def test_update_of_an_unknown_policy_fails(state: AdminState) -> None:
    result = call(state, POLICY + "create-policy", dict(blocked_sender(), id="eNoUnknown"))
    assert codes(result) == ["err_policy_not_found"]
    assert result.fail[0]["key"]["id"] == "eNoUnknown"
    assert state.mutations[POLICY + "create-policy"] == 0


@pytest.mark.parametrize(
    ("item", "code", "field"),
    [
        ({"policy": blocked_sender()["policy"]}, "err_validation_null", "option"),
        (dict(blocked_sender(), option="drop"), "err_validation_invalid_value", "option"),
        ({"option": "block_sender"}, "err_validation_null", "policy"),
        (blocked_sender(description=None), "err_validation_null", "policy.description"),
        (blocked_sender(description="  "), "err_validation_blank", "policy.description"),
        (blocked_sender(fromPart="body"), "err_validation_invalid_value", "policy.fromPart"),
        (
            blocked_sender(**{"from": {"type": "martians"}}),
            "err_validation_invalid_value",
            "policy.from.type",
        ),
        (
            blocked_sender(**{"from": {"type": "email_domain"}}),
            "err_validation_null",
            "policy.from.emailDomain",
        ),
        (
            blocked_sender(**{"from": {"type": "email_domain", "emailDomain": "a@b.com"}}),
            "err_validation_invalid_domain",
            "policy.from.emailDomain",
        ),
        (
            blocked_sender(
                **{"from": {"type": "individual_email_address", "emailAddress": "nope"}}
            ),
            "err_validation_invalid_email_address",
            "policy.from.emailAddress",
        ),
        (
            blocked_sender(
                **{"to": {"type": "individual_email_address", "emailAddress": "a@b.com\r\n"}}
            ),
            "err_validation_invalid_email_address",
            "policy.to.emailAddress",
        ),
        (blocked_sender(to=None), "err_validation_null", "policy.to"),
        (
            blocked_sender(conditions={"sourceIPs": ["10.0.0.1"]}),
            "err_validation_invalid_cidr",
            "policy.conditions.sourceIPs",
        ),
        (
            blocked_sender(conditions={"sourceIPs": ["300.1.1.0/24"]}),
            "err_validation_invalid_cidr",
            "policy.conditions.sourceIPs",
        ),
        (blocked_sender(fromDate="yesterday"), "err_validation_invalid_date", "policy.fromDate"),
        (
            blocked_sender(bidirectional="maybe"),
            "err_validation_invalid_value",
            "policy.bidirectional",
        ),
    ],
)
def test_create_policy_validation(
    state: AdminState, item: dict[str, Any], code: str, field: str
) -> None:
    before = dict(state.policies)
    result = call(state, POLICY + "create-policy", item)
    assert result.data == []
    assert codes(result) == [code]
    assert fields(result) == [field]
    assert result.fail[0]["key"] == item
    assert state.policies == before


def test_create_policy_dates_accept_three_zone_forms(state: AdminState) -> None:
    for stamp in ("2024-01-02T03:04:05+0000", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"):
        (record,) = call(state, POLICY + "create-policy", blocked_sender(fromDate=stamp)).data
        assert record["policy"]["fromDate"] == "2024-01-02T03:04:05+0000"
        assert record["policy"]["fromEternal"] is False


def test_one_bad_item_does_not_spoil_the_others(state: AdminState) -> None:
    good, bad = blocked_sender(), blocked_sender(description="")
    result = call(state, POLICY + "create-policy", good, bad, good)
    assert len(result.data) == 2
    assert [entry["key"] for entry in result.fail] == [bad]
    assert state.mutations[POLICY + "create-policy"] == 2


def test_get_policy_one_and_unknown(state: AdminState) -> None:
    policy_id = next(iter(state.policies))
    result = call(state, POLICY + "get-policy", {"id": policy_id})
    assert result.data == [state.policies[policy_id]]
    missing = call(state, POLICY + "get-policy", {"id": "eNoMissing"})
    assert codes(missing) == ["err_policy_not_found"]


def test_get_policy_answers_copies(state: AdminState) -> None:
    policy_id = next(iter(state.policies))
    (record,) = call(state, POLICY + "get-policy", {"id": policy_id}).data
    record["policy"]["description"] = "mutated by a caller"
    assert state.policies[policy_id]["policy"]["description"] != "mutated by a caller"


def test_get_policy_lists_all_with_pagination(state: AdminState) -> None:
    for number in range(4):
        call(state, POLICY + "create-policy", blocked_sender(description=f"p{number}"))
    assert len(state.policies) == 7
    everything = call(state, POLICY + "get-policy")
    assert len(everything.data) == 7
    assert call(state, POLICY + "get-policy", {}).data == everything.data
    collected, pages = all_pages(state, POLICY + "get-policy", {}, 3)
    assert pages == 3
    assert sorted(record["id"] for record in collected) == sorted(state.policies)


def test_pagination_refuses_foreign_tokens_and_bad_sizes(state: AdminState) -> None:
    members = call(
        state,
        DIRECTORY + "get-group-members",
        {"id": first_group(state)},
        meta={"pagination": {"pageSize": 1}},
    )
    token = members.pagination["next"]  # type: ignore[index]
    foreign = call(state, POLICY + "get-policy", meta={"pagination": {"pageToken": token}})
    assert codes(foreign) == ["err_validation_invalid_page_token"]
    garbage = call(state, POLICY + "get-policy", meta={"pagination": {"pageToken": "xx!"}})
    assert codes(garbage) == ["err_validation_invalid_page_token"]
    size = call(state, POLICY + "get-policy", meta={"pagination": {"pageSize": 0}})
    assert codes(size) == ["err_validation_invalid_page_size"]
    other_secret = AdminState(seed=7, secret="another")
    first = call(other_secret, POLICY + "get-policy", meta={"pagination": {"pageSize": 1}})
    replay = {"pagination": {"pageSize": 1, "pageToken": first.pagination["next"]}}  # type: ignore[index]
    assert codes(call(state, POLICY + "get-policy", meta=replay)) == [
        "err_validation_invalid_page_token"
    ]


def test_paginated_calls_take_one_item(state: AdminState) -> None:
    result = call(state, DIRECTORY + "find-groups", {}, {"query": "x"})
    assert codes(result) == ["err_validation_too_many_items"] * 2


def test_delete_policy(state: AdminState) -> None:
    policy_id = next(iter(state.policies))
    result = call(state, POLICY + "delete-policy", {"id": policy_id})
    assert result.data == [{"id": policy_id, "deleted": True}]
    assert policy_id not in state.policies
    again = call(state, POLICY + "delete-policy", {"id": policy_id})
    assert codes(again) == ["err_policy_not_found"]
    assert state.mutations[POLICY + "delete-policy"] == 1


# -- groups and members ------------------------------------------------------------------


def test_create_find_update_delete_group(state: AdminState) -> None:
    (group,) = call(state, DIRECTORY + "create-group", {"description": "Incident 42"}).data
    assert group["source"] == "cloud"
    assert group["parentId"] == state.root_group_id
    assert group["folderCount"] == 0 and group["userCount"] == 0
    (child,) = call(
        state, DIRECTORY + "create-group", {"description": "Sub", "parentId": group["id"]}
    ).data
    assert child["parentId"] == group["id"]

    found = call(state, DIRECTORY + "find-groups", {"query": "incident"})
    assert found.data[0]["query"] == "incident"
    assert found.data[0]["source"] == "cloud"
    (folder,) = found.data[0]["folders"]
    assert folder["id"] == group["id"] and folder["folderCount"] == 1

    (renamed,) = call(
        state, DIRECTORY + "update-group", {"id": group["id"], "description": "Incident 43"}
    ).data
    assert renamed["description"] == "Incident 43"
    assert state.groups[group["id"]]["description"] == "Incident 43"
    cycle = call(state, DIRECTORY + "update-group", {"id": group["id"], "parentId": child["id"]})
    assert codes(cycle) == ["err_validation_invalid_value"]

    deleted = call(state, DIRECTORY + "delete-group", {"id": group["id"]})
    assert deleted.data == [{"id": group["id"], "status": "deleted"}]
    assert group["id"] not in state.groups and child["id"] not in state.groups
    assert codes(call(state, DIRECTORY + "delete-group", {"id": group["id"]})) == [
        "err_folder_not_found"
    ]
    for path, count in (("create-group", 2), ("update-group", 1), ("delete-group", 1)):
        assert state.mutations[DIRECTORY + path] == count


def test_group_validation(state: AdminState) -> None:
    assert codes(call(state, DIRECTORY + "create-group", {"description": ""})) == [
        "err_validation_blank"
    ]
    assert codes(
        call(state, DIRECTORY + "create-group", {"description": "x", "parentId": "eNoNope"})
    ) == ["err_folder_not_found"]
    assert codes(call(state, DIRECTORY + "update-group", {"id": "eNoNope"})) == [
        "err_folder_not_found"
    ]
    assert codes(call(state, DIRECTORY + "find-groups", {"source": "x500"})) == [
        "err_validation_invalid_value"
    ]


def test_find_groups_by_source_and_pages(state: AdminState) -> None:
    ldap = call(state, DIRECTORY + "find-groups", {"source": "ldap"}).data[0]["folders"]
    assert ldap and all(folder["source"] == "ldap" for folder in ldap)
    cloud_ids = {gid for gid, group in state.groups.items() if group["source"] == "cloud"}
    collected, pages = all_pages(state, DIRECTORY + "find-groups", {}, 2, unwrap="folders")
    assert pages == 3
    assert [folder["id"] for folder in collected] == [
        gid for gid in state.groups if gid in cloud_ids
    ]


def test_add_get_remove_members(state: AdminState) -> None:
    group_id = first_group(state)
    before = len(state.group_members[group_id])
    result = call(
        state,
        DIRECTORY + "add-group-member",
        {"id": group_id, "emailAddress": "new.person@example.com", "notes": "ticket 7"},
        {"id": group_id, "domain": "Evil.Example"},
    )
    assert result.fail == []
    email, domain = result.data
    assert email["folderId"] == group_id and email["emailAddress"] == "new.person@example.com"
    assert email["internal"] is True and email["id"] != group_id
    assert domain == {
        "id": domain["id"],
        "folderId": group_id,
        "domain": "evil.example",
        "internal": False,
    }
    assert state.mutations[DIRECTORY + "add-group-member"] == 2

    members, _ = all_pages(
        state, DIRECTORY + "get-group-members", {"id": group_id}, 2, unwrap="groupMembers"
    )
    assert len(members) == before + 2
    added = next(m for m in members if m["emailAddress"] == "new.person@example.com")
    assert added["notes"] == "ticket 7" and added["domain"] == ""
    assert set(added) == {"emailAddress", "domain", "internal", "type", "name", "notes"}

    removed = call(
        state,
        DIRECTORY + "remove-group-member",
        {"id": group_id, "emailAddress": "NEW.person@example.com"},
    )
    assert removed.data == [
        {
            "folderId": group_id,
            "emailAddress": "new.person@example.com",
            "id": email["id"],
            "internal": True,
        }
    ]
    assert len(state.group_members[group_id]) == before + 1
    assert state.mutations[DIRECTORY + "remove-group-member"] == 1


def test_member_failures(state: AdminState) -> None:
    group_id = first_group(state)
    existing = state.group_members[group_id][0]["emailAddress"]
    good = {"id": group_id, "emailAddress": "fresh@partner.example.net"}
    items = [
        {"id": group_id, "emailAddress": existing},
        {"id": "eNoNope", "emailAddress": "x@example.com"},
        {"id": group_id, "emailAddress": "not-an-address"},
        {"id": group_id, "domain": "bad@domain.com"},
        {"id": group_id, "emailAddress": "a@example.com", "domain": "example.com"},
        {"id": group_id},
        good,
    ]
    result = call(state, DIRECTORY + "add-group-member", *items)
    assert codes(result) == [
        "err_folder_group_member_already_exists",
        "err_folder_not_found",
        "err_validation_invalid_email_address",
        "err_validation_invalid_domain",
        "err_validation_invalid_value",
        "err_validation_null",
    ]
    assert [entry["key"] for entry in result.fail] == items[:-1]
    assert [record["emailAddress"] for record in result.data] == [good["emailAddress"]]
    assert state.mutations[DIRECTORY + "add-group-member"] == 1

    missing = call(
        state, DIRECTORY + "remove-group-member", {"id": group_id, "emailAddress": "zz@example.com"}
    )
    assert codes(missing) == ["err_folder_email_address_not_found"]
    assert codes(call(state, DIRECTORY + "get-group-members", {"id": "eNoNope"})) == [
        "err_folder_not_found"
    ]


# -- managed senders -----------------------------------------------------------------------


def test_permit_or_block_sender(state: AdminState) -> None:
    path = "/api/managedsender/permit-or-block-sender"
    item = {"sender": "spammer@evil.example", "to": "bob@example.com", "action": "block"}
    (blocked,) = call(state, path, item).data
    assert blocked["type"] == "Block"
    assert set(blocked) == {"id", "sender", "to", "type"}
    (permitted,) = call(state, path, dict(item, action="permit")).data
    assert permitted["type"] == "Permit" and permitted["id"] == blocked["id"]
    assert state.managed_senders[("spammer@evil.example", "bob@example.com")]["type"] == "Permit"
    assert state.mutations[path] == 2

    bad = call(
        state,
        path,
        dict(item, action="quarantine"),
        dict(item, sender="nobody"),
        {"sender": "a@b.example", "action": "block"},
    )
    assert codes(bad) == [
        "err_validation_invalid_value",
        "err_validation_invalid_email_address",
        "err_validation_null",
    ]
    too_many = call(state, path, *[item] * 101)
    assert codes(too_many) == ["err_validation_too_many_items"] * 101
    assert state.mutations[path] == 2
    assert len(call(state, path, *[item] * 100).data) == 100


# -- managed URLs and decoding -------------------------------------------------------------


def test_list_managed_urls(state: AdminState) -> None:
    everything = call(state, URLS + "get-all-managed-urls").data
    assert len(everything) == len(state.managed_urls) == 3
    assert set(everything[0]) == {
        "id",
        "scheme",
        "domain",
        "port",
        "path",
        "queryString",
        "matchType",
        "action",
        "comment",
        "disableRewrite",
        "disableUserAwareness",
        "disableLogClick",
    }
    partial = call(state, URLS + "get-all-managed-urls", {"domainOrUrl": "phish"}).data
    assert [record["domain"] for record in partial] == ["phish.example"]
    assert (
        call(
            state, URLS + "get-all-managed-urls", {"domainOrUrl": "phish", "exactMatch": True}
        ).data
        == []
    )
    exact = call(
        state,
        URLS + "get-all-managed-urls",
        {"domainOrUrl": "https://malware.example/payload", "exactMatch": True},
    ).data
    assert [record["path"] for record in exact] == ["/payload"]


def test_create_and_delete_managed_url(state: AdminState) -> None:
    item = {
        "url": "https://bad.example:8443/login?x=1",
        "action": "block",
        "comment": "phish",
        "disableLogClick": True,
    }
    (record,) = call(state, URLS + "create-managed-url", item).data
    assert record["scheme"] == "https" and record["domain"] == "bad.example"
    assert record["port"] == 8443 and record["path"] == "/login"
    assert record["queryString"] == "x=1" and record["matchType"] == "explicit"
    assert record["disableLogClick"] is True and record["disableRewrite"] is False
    assert state.managed_urls[record["id"]] == record
    exists = call(state, URLS + "create-managed-url", dict(item, action="permit"))
    assert codes(exists) == ["err_managed_url_exists_code"]
    (domain,) = call(
        state,
        URLS + "create-managed-url",
        {"url": "bad.example", "action": "permit", "matchType": "domain"},
    ).data
    assert domain["matchType"] == "domain" and domain["scheme"] == ""

    deleted = call(state, URLS + "delete-managed-url", {"id": record["id"]})
    assert deleted.data == [] and deleted.fail == []
    assert record["id"] not in state.managed_urls
    gone = call(state, URLS + "delete-managed-url", {"id": record["id"]})
    assert codes(gone) == ["err_managed_url_not_found"]
    assert state.mutations[URLS + "create-managed-url"] == 2
    assert state.mutations[URLS + "delete-managed-url"] == 1


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"url": "https://x.example/#top", "action": "block"}, "err_validation_invalid_url"),
        ({"url": "https://x.example/", "action": "quarantine"}, "err_validation_invalid_value"),
        ({"url": "https://x.example/"}, "err_validation_null"),
        ({"action": "block"}, "err_validation_null"),
        ({"url": "https://", "action": "block"}, "err_validation_invalid_url"),
        ({"url": "https://x.example/\r\n", "action": "block"}, "err_validation_invalid_value"),
        (
            {"url": "https://x.example/", "action": "block", "matchType": "regex"},
            "err_validation_invalid_value",
        ),
    ],
)
def test_create_managed_url_validation(state: AdminState, item: dict[str, Any], code: str) -> None:
    assert codes(call(state, URLS + "create-managed-url", item)) == [code]


def test_decode_url(state: AdminState) -> None:
    seeded = next(iter(state.encoded_urls))
    encoded = state.encode_url("https://intranet.example.com/a?b=c")
    assert encoded.startswith("https://protect-eu.mimecast.com/s/")
    assert "domain=intranet.example.com" in encoded
    result = call(
        state, URLS + "decode-url", {"url": encoded}, {"url": "https://elsewhere.example/x"}, {}
    )
    assert result.data == [{"url": "https://intranet.example.com/a?b=c", "success": True}]
    assert codes(result) == ["err_url_decode_failed", "err_validation_null"]
    assert (
        call(state, URLS + "decode-url", {"url": seeded}).data[0]["url"]
        == (state.encoded_urls[seeded])
    )
    assert (
        codes(call(state, URLS + "decode-url", *[{"url": encoded}] * 26))
        == ["err_validation_too_many_items"] * 26
    )
    assert AdminState(seed=7).encode_url("https://a.example/") == state.encode_url(
        "https://a.example/"
    )


# -- archive -------------------------------------------------------------------------------


#: MIMECAST_API.md §5.6: the return-field names of archive/search
RETURN_FIELDS = (
    "attachmentcount",
    "status",
    "subject",
    "size",
    "receiveddate",
    "displayfrom",
    "displayfromaddress",
    "id",
    "displayto",
    "displaytoaddresslist",
    "smash",
)


def xml(
    muse: str = "", mailbox: str = "", page_size: int = 25, returns: Sequence[str] = RETURN_FIELDS
) -> str:
    mailboxes = f'<mailboxes><mailbox include-aliases="true">{mailbox}</mailbox></mailboxes>'
    fields = "".join(f"<return-field>{name}</return-field>" for name in returns)
    return (
        '<?xml version="1.0"?><xmlquery trace="iql,muse">'
        f'<metadata query-type="emailarchive" archive="true" active="false" '
        f'page-size="{page_size}" startrow="0">'
        f"{mailboxes if mailbox else ''}<smartfolders/><return-fields>{fields}</return-fields>"
        f"</metadata><muse>{muse}</muse></xmlquery>"
    )


def test_archive_search_pages_every_message_once(state: AdminState) -> None:
    item = {"admin": True, "query": xml()}
    collected, pages = all_pages(state, "/api/archive/search", item, 15)
    assert pages == 3
    assert [hit["id"] for hit in collected] == list(state.archive_messages)
    assert list(collected[0]) == list(RETURN_FIELDS)  # what the query asked for, no more
    record = state.archive_messages[collected[0]["id"]]
    assert collected[0]["displayfromaddress"] == record["from"]["emailAddress"]
    to = [party["emailAddress"] for party in record["to"]]
    assert collected[0]["displaytoaddresslist"] == ", ".join(to)
    (hit, *_) = call(state, "/api/archive/search", {"query": xml(returns=("id", "subject"))}).data
    assert list(hit) == ["id", "subject"]
    no_fields = xml().replace("<return-fields>", "<!--").replace("</return-fields>", "-->")
    (hit, *_) = call(state, "/api/archive/search", {"query": no_fields}).data
    assert "id" in hit and "receiveddate" in hit  # no return-fields: the usual row
    second = call(state, "/api/archive/search", item, meta={"pagination": {"pageSize": 15}})
    assert second.pagination is not None and second.pagination["recordStart"] == 0


def test_archive_search_page_size_from_the_query(state: AdminState) -> None:
    result = call(state, "/api/archive/search", {"query": xml(page_size=5)})
    assert len(result.data) == 5 and result.pagination["pageSize"] == 5  # type: ignore[index]


def test_archive_search_filters(state: AdminState) -> None:
    mailbox = state.default_mailbox
    aliases = {a["emailAddress"] for a in state.users[mailbox]["aliases"]} | {mailbox}
    hits = call(state, "/api/archive/search", {"query": xml(mailbox=mailbox)}).data
    expected = [
        record["id"]
        for record in state.archive_messages.values()
        if aliases & {p["emailAddress"] for p in [record["from"], *record["to"], *record["cc"]]}
    ]
    assert [hit["id"] for hit in hits] == expected and expected

    target = list(state.archive_messages.values())[5]
    number = target["subject"].rsplit("#", 1)[1]
    by_subject = call(
        state, "/api/archive/search", {"query": xml(f"<text>(subject: #{number})</text>")}
    ).data
    assert target["id"] in [hit["id"] for hit in by_subject]

    between = '<date select="between" from="2024-02-10T00:00:00Z" to="2024-02-20T00:00:00Z"/>'
    dated = call(state, "/api/archive/search", {"query": xml(between)}).data
    assert dated
    assert all("2024-02-10" <= hit["receiveddate"][:10] < "2024-02-20" for hit in dated)

    none = call(state, "/api/archive/search", {"query": xml('<docs select="none"/>')}).data
    assert all(hit["attachmentcount"] == 0 for hit in none)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (None, "err_validation_null"),
        ("", "err_validation_blank"),
        ("<xmlquery><muse>", "err_validation_invalid_query"),
        ("<search/>", "err_validation_invalid_query"),
        (xml('<date select="between" from="soon" to="later"/>'), "err_validation_invalid_date"),
        (xml('<date select="someday"/>'), "err_validation_invalid_query"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><xmlquery/>', "err_validation_invalid_query"),
    ],
)
def test_archive_search_validation(state: AdminState, query: Any, code: str) -> None:
    assert codes(call(state, "/api/archive/search", {"query": query})) == [code]


def test_message_list_inbox_and_sent(state: AdminState) -> None:
    mailbox = state.default_mailbox
    inbox, _ = all_pages(state, "/api/archive/get-message-list", {"view": "INBOX"}, 4)
    assert inbox
    for entry in inbox:
        record = state.archive_messages[entry["id"]]
        parties = {p["emailAddress"] for p in [*record["to"], *record["cc"]]}
        assert mailbox in parties or parties & {
            a["emailAddress"] for a in state.users[mailbox]["aliases"]
        }
    assert set(inbox[0]) == {
        "id",
        "subject",
        "size",
        "received",
        "from",
        "to",
        "attachmentCount",
        "status",
        "read",
        "ccm",
        "smash",
        "expired",
        "recalled",
    }
    sender = next(
        r["from"]["emailAddress"]
        for r in state.archive_messages.values()
        if r["from"]["emailAddress"].endswith("@example.com")
    )
    sent = call(state, "/api/archive/get-message-list", {"view": "sent", "mailbox": sender}).data
    assert sent and all(entry["from"]["emailAddress"] == sender for entry in sent)
    windowed = call(
        state,
        "/api/archive/get-message-list",
        {"view": "INBOX", "start": "2024-02-20T00:00:00+0000", "end": "2024-03-01T00:00:00Z"},
    ).data
    assert all(entry["received"] >= "2024-02-20" for entry in windowed)
    assert codes(call(state, "/api/archive/get-message-list", {})) == ["err_validation_null"]
    assert codes(
        call(state, "/api/archive/get-message-list", {"view": "INBOX", "start": "2024-02-31"})
    ) == ["err_validation_invalid_date"]
    assert codes(
        call(state, "/api/archive/get-message-list", {"view": "INBOX", "mailbox": "bob"})
    ) == ["err_validation_invalid_email_address"]


def test_message_list_defaults_to_a_calendar_month_back_until_the_end_of_today(
    state: AdminState, clock: Clock
) -> None:
    """MIMECAST_API.md §5.6: start defaults to the last calendar month, end to end of today."""
    clock.now = datetime(2024, 2, 15, 9, 30, tzinfo=timezone.utc)
    everything = {"view": "INBOX", "start": "2023-01-01T00:00:00+0000"}
    everything["end"] = "2025-01-01T00:00:00+0000"
    every, _ = all_pages(state, "/api/archive/get-message-list", everything, 50)
    defaulted, _ = all_pages(state, "/api/archive/get-message-list", {"view": "INBOX"}, 50)
    expected = [
        entry
        for entry in every
        if "2024-01-15T09:30:00" <= entry["received"][:19] <= "2024-02-15T23:59:59"
    ]
    assert defaulted == expected and 0 < len(expected) < len(every)


def test_message_detail(state: AdminState) -> None:
    message_id = next(iter(state.archive_messages))
    (detail,) = call(state, "/api/archive/get-message-detail", {"id": message_id}).data
    for key in (
        "id",
        "status",
        "smash",
        "mimeMessageId",
        "hasHtmlBody",
        "hasTextBody",
        "isPassthrough",
        "subject",
        "size",
        "received",
        "processed",
        "headerDate",
        "from",
        "to",
        "cc",
        "replyTo",
        "envelopeFrom",
        "headers",
        "attachments",
        "messageBodyPreview",
    ):
        assert key in detail
    assert set(detail["from"]) == {"emailAddress", "displayableName"}
    assert codes(call(state, "/api/archive/get-message-detail", {"id": "eNoNope"})) == [
        "err_message_not_found"
    ]


# -- message tracking ----------------------------------------------------------------------


def test_track_search(state: AdminState) -> None:
    path = "/api/message-finder/search"
    everything = call(state, path, {}).data[0]["trackedEmails"]
    assert len(everything) == len(state.tracked_emails)
    assert set(everything[0]) == {
        "id",
        "fromEnv",
        "fromHdr",
        "to",
        "received",
        "sent",
        "subject",
        "senderIP",
        "route",
        "status",
        "attachments",
        "spamScore",
        "detectionLevel",
    }
    target = everything[3]
    message_id = state.tracked_message_ids[target["id"]]
    by_id = call(state, path, {"messageId": message_id}).data[0]["trackedEmails"]
    assert [tracked["id"] for tracked in by_id] == [target["id"]]
    sender_domain = target["fromEnv"]["emailAddress"].split("@")[1]
    advanced = {"from": sender_domain, "senderIP": target["senderIP"], "route": "all"}
    found = call(state, path, {"advancedTrackAndTraceOptions": advanced}).data[0]["trackedEmails"]
    assert target["id"] in [tracked["id"] for tracked in found]
    assert all(tracked["senderIP"] == target["senderIP"] for tracked in found)
    both = call(state, path, {"messageId": message_id, "advancedTrackAndTraceOptions": advanced})
    assert codes(both) == ["err_validation_invalid_value"]
    windowed = call(
        state, path, {"start": "2024-02-25T00:00:00+0000", "end": "2024-03-01T00:00:00+0000"}
    ).data[0]["trackedEmails"]
    assert all(tracked["received"] >= "2024-02-25" for tracked in windowed)
    assert codes(call(state, path, {"start": "25/02/2024"})) == ["err_validation_invalid_date"]


def test_message_info(state: AdminState) -> None:
    path = "/api/message-finder/get-message-info"
    tracked_id = next(iter(state.tracked_emails))
    (info,) = call(state, path, {"id": tracked_id}).data
    assert info["id"] == tracked_id
    assert set(info) >= {"status", "deliveredMessage", "recipientInfo", "retentionInfo", "spamInfo"}
    (delivered,) = info["deliveredMessage"].values()
    assert set(delivered) == {"messageInfo", "policyInfo", "deliveryMetaInfo"}
    assert set(info["recipientInfo"]) == {"messageInfo", "recipientMetaInfo"}
    assert "spamProcessingDetail" in info["spamInfo"]
    assert "litigationHoldInfo" in info["retentionInfo"]
    assert codes(call(state, path, {"id": "eNoNope"})) == ["err_message_not_found"]


# -- held messages -------------------------------------------------------------------------


def test_hold_list_pages_every_held_message_once(state: AdminState) -> None:
    collected, pages = all_pages(state, "/api/gateway/get-hold-message-list", {"admin": True}, 7)
    assert pages == 5
    assert [record["id"] for record in collected] == list(state.held_messages)
    assert set(collected[0]) >= {
        "id",
        "dateReceived",
        "from",
        "fromHeader",
        "to",
        "subject",
        "reason",
        "reasonCode",
        "reasonId",
        "policyInfo",
        "route",
        "size",
        "hasAttachments",
    }


def test_hold_list_filters(state: AdminState) -> None:
    path = "/api/gateway/get-hold-message-list"
    mine = call(state, path, {"admin": False}).data
    assert all(record["to"]["emailAddress"] == state.default_mailbox for record in mine)
    sample = next(iter(state.held_messages.values()))
    by_sender = call(
        state,
        path,
        {
            "admin": True,
            "searchBy": {"fieldName": "sender", "value": sample["from"]["emailAddress"]},
        },
    ).data
    assert sample["id"] in [record["id"] for record in by_sender]
    ip = state.hold_extras[sample["id"]]["senderIP"]
    by_ip = call(state, path, {"admin": True, "searchBy": {"fieldName": "senderIP", "value": ip}})
    assert sample["id"] in [record["id"] for record in by_ip.data]
    reason = call(
        state,
        path,
        {"admin": True, "searchBy": {"fieldName": "reason_code", "value": sample["reasonCode"]}},
    ).data
    assert all(record["reasonCode"] == sample["reasonCode"] for record in reason)
    with_files = call(
        state, path, {"admin": True, "filterBy": [{"fieldName": "attachments", "value": True}]}
    ).data
    assert with_files and all(record["hasAttachments"] for record in with_files)
    windowed = call(
        state, path, {"admin": True, "start": "2024-02-20T00:00:00Z", "end": "2024-02-25T00:00:00Z"}
    ).data
    assert all("2024-02-20" <= record["dateReceived"][:10] < "2024-02-25" for record in windowed)
    bad = call(state, path, {"searchBy": {"fieldName": "colour", "value": "red"}})
    assert codes(bad) == ["err_validation_invalid_value"]
    assert fields(bad) == ["searchBy.fieldName"]


def test_hold_release(state: AdminState) -> None:
    hold_id = next(iter(state.held_messages))
    path = "/api/gateway/hold-release"
    assert call(state, path, {"id": hold_id}).data == [{"id": hold_id, "release": True}]
    assert hold_id not in state.held_messages and state.released == [hold_id]
    listed = call(
        state,
        "/api/gateway/get-hold-message-list",
        {"admin": True},
        meta={"pagination": {"pageSize": 500}},
    ).data
    assert hold_id not in [record["id"] for record in listed]
    again = call(state, path, {"id": hold_id}, {"id": "eNoNope"})
    assert again.data == [{"id": hold_id, "release": False}, {"id": "eNoNope", "release": False}]
    assert again.fail == []
    assert state.mutations[path] == 1 and state.calls[path] == 2


def test_hold_reject(state: AdminState) -> None:
    first, second = list(state.held_messages)[:2]
    path = "/api/gateway/hold-reject"
    item = {
        "ids": [first, "eNoNope", second],
        "message": "Not allowed",
        "reasonType": HOLD_REJECT_REASONS[0],
        "notify": True,
    }
    result = call(state, path, item)
    assert result.data == [
        {"id": first, "reject": True},
        {"id": "eNoNope", "reject": False},
        {"id": second, "reject": True},
    ]
    assert state.rejected == [first, second]
    assert first not in state.held_messages
    assert state.mutations[path] == 2
    assert codes(call(state, path, {"ids": [first], "reasonType": "BECAUSE"})) == [
        "err_validation_invalid_value"
    ]
    assert codes(call(state, path, {"message": "x"})) == ["err_validation_null"]
    assert codes(call(state, path, {"ids": []})) == ["err_validation_blank"]
    assert codes(call(state, path, {"ids": "abc"})) == ["err_validation_invalid_value"]


# -- users ---------------------------------------------------------------------------------


def test_get_aliases(state: AdminState) -> None:
    path = "/api/user/get-aliases"
    user = next(u for u in state.users.values() if u["aliases"])
    (answer,) = call(state, path, {"emailAddress": user["emailAddress"].upper()}).data
    assert answer["emailAddress"] == user["emailAddress"]
    assert answer["aliases"] == user["aliases"]
    assert set(answer["aliases"][0]) == {
        "emailAddress",
        "domain",
        "type",
        "displayName",
        "isInternal",
    }
    assert codes(call(state, path, {"emailAddress": "ghost@example.com"})) == ["err_user_not_found"]
    assert codes(call(state, path, {"emailAddress": "ghost"})) == [
        "err_validation_invalid_email_address"
    ]
