"""Groups, members and managed senders against the emulator, including partial failures."""

from __future__ import annotations

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator

ADD = "/api/directory/add-group-member"
SENDERS = "/api/managedsender/permit-or-block-sender"


async def test_group_lifecycle(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    parent = await client.groups.create("SOAR containment")
    assert isinstance(parent, mc.Group) and parent.source == "cloud"
    child = await client.groups.create(description="Quarantine", parent_id=parent.id)
    assert emu.admin.groups[child.id]["parentId"] == parent.id

    found = [group async for group in client.groups.find("containment")]
    assert [group.id for group in found] == [parent.id]
    assert found[0].folder_count == 1
    assert await client.groups.find(source="ldap").to_list()

    renamed = await client.groups.update(child.id, description="Quarantine v2")
    assert renamed.description == "Quarantine v2"
    assert emu.admin.groups[child.id]["description"] == "Quarantine v2"
    moved = await client.groups.update(child.id, parent_id=emu.admin.root_group_id)
    assert moved.parent_id == emu.admin.root_group_id

    assert await client.groups.delete(parent.id) is None
    assert parent.id not in emu.admin.groups


async def test_members_add_list_remove(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    group = await client.groups.create("Members")
    result = await client.groups.add_members(
        group.id, emails="a@evil.example, b@evil.example", domains=["evil.example"]
    )
    assert isinstance(result, mc.BatchResult) and result.ok
    assert {change.email_address or change.domain for change in result.succeeded} == {
        "a@evil.example",
        "b@evil.example",
        "evil.example",
    }
    assert all(change.folder_id == group.id for change in result.succeeded)

    members = await client.groups.members(group.id, page_size=2).to_list()
    assert {m.email_address or m.domain for m in members} == {
        "a@evil.example",
        "b@evil.example",
        "evil.example",
    }
    assert all(isinstance(m.internal, bool) for m in members)

    removed = await client.groups.remove_member(group.id, email="a@evil.example")
    assert removed.email_address == "a@evil.example"
    removed = await client.groups.remove_member(group.id, domain="evil.example")
    assert removed.domain == "evil.example"
    left = emu.admin.group_members[group.id]
    assert [m["emailAddress"] for m in left] == ["b@evil.example"]


async def test_batch_keeps_good_members_and_reports_bad_ones(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    group = await client.groups.create("Partial")
    await client.groups.add_members(group.id, emails=["old@evil.example"], domains=["evil.example"])
    result = await client.groups.add_members(
        group.id,
        emails=["new@evil.example", "old@evil.example"],
        domains=["evil.example", "other.example"],
    )
    assert {c.email_address or c.domain for c in result.succeeded} == {
        "new@evil.example",
        "other.example",
    }
    assert [failure.item for failure in result.failed] == ["old@evil.example", "evil.example"]
    assert result.codes == ["err_folder_group_member_already_exists"] * 2
    assert all(isinstance(failure, mc.Failure) for failure in result.failed)
    assert result.failed[0].key["emailAddress"] == "old@evil.example"
    assert len(emu.admin.group_members[group.id]) == 4


async def test_add_members_chunks_at_100(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    group = await client.groups.create("Big")
    emails = [f"user{n}@evil.example" for n in range(230)]
    result = await client.groups.add_members(group.id, emails=emails)
    assert len(result.succeeded) == 230 and result.ok
    assert emu.stats.requests[ADD] == 3
    assert len(emu.admin.group_members[group.id]) == 230


async def test_remove_missing_member_raises_with_code(client: mc.MimecastClient) -> None:
    group = await client.groups.create("Empty")
    try:
        await client.groups.remove_member(group.id, email="nobody@evil.example")
    except mc.FailedRequestError as error:
        assert error.codes == ["err_folder_email_address_not_found"]
    else:  # pragma: no cover
        raise AssertionError("expected FailedRequestError")


async def test_block_and_permit_sender(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    blocked = await client.senders.block("phisher@evil.example", "alice@example.com")
    assert isinstance(blocked, mc.ManagedSender) and blocked.type == "Block"
    key = ("phisher@evil.example", "alice@example.com")
    assert emu.admin.managed_senders[key]["type"] == "Block"
    permitted = await client.senders.permit(sender="phisher@evil.example", to="alice@example.com")
    assert permitted.type == "Permit" and permitted.id == blocked.id
    assert emu.admin.managed_senders[key]["type"] == "Permit"


async def test_block_many_chunks_at_100(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    pairs = [(f"s{n}@evil.example", "alice@example.com") for n in range(150)]
    result = await client.senders.block_many(pairs)
    assert len(result.succeeded) == 150 and result.ok
    assert emu.stats.requests[SENDERS] == 2
    permitted = await client.senders.permit_many(pairs[:3])
    assert [s.type for s in permitted.succeeded] == ["Permit"] * 3


def test_failures_pair_with_their_item_when_the_key_echoes_more_than_was_sent() -> None:
    from mimecast_async.errors import ErrorDetail, Failure
    from mimecast_async.resources._admin import match_failures

    chunk = [
        ("a@corp.example", {"id": "g", "emailAddress": "a@corp.example"}),
        ("Dup@Corp.Example", {"id": "g", "emailAddress": "Dup@Corp.Example"}),
        ("c@corp.example", {"id": "g", "emailAddress": "c@corp.example"}),
        ("d@corp.example", {"id": "g", "emailAddress": "d@corp.example"}),
    ]
    error = [ErrorDetail("err_folder_group_member_already_exists")]
    echoed_more = {"id": "g", "emailAddress": "dup@corp.example", "notes": ""}
    exact = {"id": "g", "emailAddress": "c@corp.example"}
    unknown = {"id": "g"}  # a or d, whichever failed: not pinned on a guess
    failed = match_failures(
        chunk, [Failure(echoed_more, error), Failure(exact, error), Failure(unknown, error)]
    )
    assert [failure.item for failure in failed] == ["Dup@Corp.Example", "c@corp.example", unknown]
    assert failed[0].codes == ["err_folder_group_member_already_exists"]
