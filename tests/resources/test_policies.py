"""Blocked-sender policies against the emulator: create, get, list, update, delete."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator
from tests.helpers import canary_hmac, local_server

CREATE = "/api/policy/blockedsenders/create-policy"
DELETE = "/api/policy/blockedsenders/delete-policy"


async def test_create_sends_nested_parties_and_decodes_the_policy(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    policy = await client.policies.create_blocked_sender(
        description="Block the phisher",
        sender_type="individual_email_address",
        sender_value="ceo@evil.example",
        receiver_type="email_domain",
        receiver_value="example.com",
        addresses_based_on="both",
        source_ips="192.0.2.0/24, 198.51.100.0/25",
    )
    assert isinstance(policy, mc.BlockedSenderPolicy) and policy.id
    stored: dict[str, Any] = emu.admin.policies[policy.id]
    assert stored["option"] == "block_sender"
    assert stored["policy"]["from"] == {
        "type": "individual_email_address",
        "emailAddress": "ceo@evil.example",
    }
    assert stored["policy"]["to"] == {"type": "email_domain", "emailDomain": "example.com"}
    assert stored["policy"]["fromPart"] == "both"
    assert stored["policy"]["conditions"]["sourceIPs"] == ["192.0.2.0/24", "198.51.100.0/25"]
    assert emu.admin.mutations[CREATE] == 1
    body = policy.policy
    assert body is not None and body.from_ is not None and body.to is not None
    assert body.from_.email_address == "ceo@evil.example" and body.from_type == body.from_.type
    assert body.to.value == "example.com" and body.from_part == "both"
    assert body.conditions is not None and body.conditions.source_ips[0] == "192.0.2.0/24"
    assert body.create_time is not None and body.create_time.utcoffset() is not None


@pytest.mark.parametrize(
    ("sender_type", "sender_value", "wire"),
    [
        ("email_domain", "evil.example", {"emailDomain": "evil.example"}),
        ("internal_addresses", None, {}),
        ("external_addresses", None, {}),
    ],
)
async def test_every_sender_type(
    client: mc.MimecastClient,
    emu: MimecastEmulator,
    sender_type: Any,
    sender_value: str | None,
    wire: dict[str, str],
) -> None:
    policy = await client.policies.create_blocked_sender(
        description="t", option="no_action", sender_type=sender_type, sender_value=sender_value
    )
    stored = emu.admin.policies[policy.id]
    assert stored["policy"]["from"] == {"type": sender_type, **wire}
    assert stored["option"] == "no_action"


async def test_profile_group_sender(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    group_id = next(iter(emu.admin.groups))
    policy = await client.policies.create_blocked_sender(
        description="group", sender_type="profile_group", sender_value=group_id
    )
    assert emu.admin.policies[policy.id]["policy"]["from"]["groupId"] == group_id


async def test_get_and_list(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    created = await client.policies.create_blocked_sender(
        description="listed", sender_value="x@evil.example"
    )
    fetched = await client.policies.get_blocked_sender(created.id)
    assert fetched == created
    pager = client.policies.list_blocked_senders(page_size=2)
    assert isinstance(pager, mc.pagination.AsyncPager)
    everything = await pager.to_list()
    assert {p.id for p in everything} == set(emu.admin.policies)


async def test_update_changes_given_settings_and_keeps_the_rest(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    created = await client.policies.create_blocked_sender(
        description="before", sender_value="x@evil.example", source_ips=["192.0.2.0/24"]
    )
    updated = await client.policies.update_blocked_sender(
        created.id, description="after", receiver_type="internal_addresses", option="no_action"
    )
    assert updated.id == created.id
    stored = emu.admin.policies[created.id]
    assert stored["option"] == "no_action"
    assert stored["policy"]["description"] == "after"
    assert stored["policy"]["to"] == {"type": "internal_addresses"}
    assert stored["policy"]["from"]["emailAddress"] == "x@evil.example"
    assert stored["policy"]["conditions"]["sourceIPs"] == ["192.0.2.0/24"]
    assert len(emu.admin.policies) == len({created.id} | set(emu.admin.policies))
    # update posts to create-policy with the id (no update-policy endpoint exists)
    assert emu.admin.mutations[CREATE] == 2
    assert emu.stats.requests.get("/api/policy/blockedsenders/update-policy", 0) == 0


async def test_update_sender_value_only(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    created = await client.policies.create_blocked_sender(
        description="d", sender_value="x@evil.example"
    )
    await client.policies.update_blocked_sender(created.id, sender_value="y@evil.example")
    assert emu.admin.policies[created.id]["policy"]["from"]["emailAddress"] == "y@evil.example"


async def test_delete(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    created = await client.policies.create_blocked_sender(
        description="doomed", sender_value="x@evil.example"
    )
    assert await client.policies.delete_blocked_sender(created.id) is None
    assert created.id not in emu.admin.policies
    assert emu.admin.mutations[DELETE] == 1
    with pytest.raises(mc.FailedRequestError) as caught:
        await client.policies.get_blocked_sender(created.id)
    assert caught.value.codes == ["err_policy_not_found"]


def _policy_server(stored: dict[str, Any], sent: list[dict[str, Any]]) -> Any:
    """A server answering get-policy with ``stored`` and recording create-policy items."""

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        if request.path == CREATE:
            sent.append(body["data"][0])
            return web.json_response({"meta": {"status": 200}, "data": [body["data"][0]]})
        answer = {"id": "pol1", "option": "block_sender", "policy": stored}
        return web.json_response({"meta": {"status": 200}, "data": [answer], "fail": []})

    return handler


_EMPTY = {"emailDomain": "", "type": "", "groupId": "", "emailAddress": ""}


@pytest.mark.parametrize(
    ("stored", "sent_from", "sent_to"),
    [
        (  # the flat form only holds the sender's value (§5.1; seed 000's "from": {"type": ""})
            {
                "from": {"type": "individual_email_address"},
                "fromType": "individual_email_address",
                "fromValue": "x@evil.example",
                "to": {"type": ""},
                "toType": "everyone",
            },
            {"type": "individual_email_address", "emailAddress": "x@evil.example"},
            {"type": "everyone"},
        ),
        (  # unused fields come back as empty strings (seed 000)
            {
                "from": {**_EMPTY, "type": "email_domain", "emailDomain": "evil.example"},
                "to": {**_EMPTY, "type": "everyone"},
            },
            {"type": "email_domain", "emailDomain": "evil.example"},
            {"type": "everyone"},
        ),
        (  # types the SDK does not create are kept as Mimecast stored them
            {
                "from": {"type": "header_display_name", "headerDisplayName": "CEO Name"},
                "to": {"type": "everyone"},
            },
            {"type": "header_display_name", "headerDisplayName": "CEO Name"},
            {"type": "everyone"},
        ),
        (
            {
                "from": {
                    "type": "address_attribute_value",
                    "attribute": {"id": "a1", "name": "dept", "value": "x"},
                },
                "to": {"type": "free_mail_domains"},
            },
            {
                "type": "address_attribute_value",
                "attribute": {"id": "a1", "name": "dept", "value": "x"},
            },
            {"type": "free_mail_domains"},
        ),
    ],
    ids=["flat value", "empty strings", "header display name", "attribute value"],
)
async def test_update_keeps_a_side_it_does_not_change_in_any_documented_form(
    stored: dict[str, Any], sent_from: dict[str, Any], sent_to: dict[str, Any]
) -> None:
    sent: list[dict[str, Any]] = []
    stored = {"description": "old", "fromPart": "envelope_from", **stored}
    async with local_server(_policy_server(stored, sent)) as url:
        async with mc.MimecastClient(canary_hmac(), base_url=url) as client:
            await client.policies.update_blocked_sender("pol1", description="new")
    assert len(sent) == 1
    policy = sent[0]["policy"]
    assert policy["description"] == "new"
    assert policy["from"] == sent_from and policy["to"] == sent_to
