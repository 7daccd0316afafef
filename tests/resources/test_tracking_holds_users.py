"""Message tracking, held messages and user aliases against the emulator."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator

T0 = datetime(2023, 1, 1, tzinfo=timezone.utc)
T1 = datetime(2025, 1, 1, tzinfo=timezone.utc)


async def test_tracking_search_by_filters(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    record = next(iter(emu.admin.tracked_emails.values()))
    sender = record["fromEnv"]["emailAddress"]
    found = await client.tracking.search(
        sender=sender, start=T0, end=T1, reason="phishing investigation"
    )
    assert isinstance(found, list) and record["id"] in {t.id for t in found}
    hit = next(t for t in found if t.id == record["id"])
    assert isinstance(hit, mc.TrackedEmail)
    assert hit.sender_ip == record["senderIP"]
    assert hit.from_env is not None and hit.from_env.email_address == sender
    assert hit.received is not None and hit.received.tzinfo is not None

    domain = record["to"][0]["emailAddress"].split("@")[1]
    by_domain = await client.tracking.search(recipient=domain)
    assert record["id"] in {t.id for t in by_domain}
    by_ip = await client.tracking.search(sender_ip=record["senderIP"])
    assert record["id"] in {t.id for t in by_ip}
    by_subject = await client.tracking.search(subject=record["subject"])
    assert record["id"] in {t.id for t in by_subject}


async def test_tracking_search_by_window_alone(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    # every criterion is optional (MIMECAST_API.md §5.7): a window alone finds what it holds
    received = sorted(record["received"] for record in emu.admin.tracked_emails.values())
    middle = datetime.strptime(received[len(received) // 2], "%Y-%m-%dT%H:%M:%S%z")
    found = await client.tracking.search(start=T0, end=middle)
    expected = {
        record["id"]
        for record in emu.admin.tracked_emails.values()
        if datetime.strptime(record["received"], "%Y-%m-%dT%H:%M:%S%z") <= middle
    }
    assert {t.id for t in found} == expected and 0 < len(expected) < len(received)
    assert len(await client.tracking.search()) == len(received)


async def test_tracking_by_message_id_and_info(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    tracked_id, internet_id = next(iter(emu.admin.tracked_message_ids.items()))
    found = await client.tracking.search(message_id=internet_id)
    assert [t.id for t in found] == [tracked_id]
    info = await client.tracking.message_info(tracked_id)
    assert isinstance(info, mc.MessageInfo) and info.id == tracked_id
    stored = emu.admin.message_info[tracked_id]
    assert set(info.delivered_message) == set(stored.get("deliveredMessage", {}))
    assert info.spam_info is not None
    assert info.spam_info.spam_score == stored["spamInfo"]["spamScore"]
    assert info.recipient_info is not None and info.recipient_info.message_info is not None
    assert info.recipient_info.message_info.sent_at is not None


async def test_hold_list_filters_and_limit(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    everything = await client.holds.list(start=T0, end=T1, page_size=3).to_list()
    assert len(everything) == len(emu.admin.held_messages)
    assert all(isinstance(h, mc.HeldMessage) for h in everything)
    assert len(await client.holds.list(limit=2).to_list()) == 2
    first = everything[0]
    assert first.from_ is not None and first.date_received is not None
    by_sender = await client.holds.list(sender=first.from_.email_address).to_list()
    assert first.id in {h.id for h in by_sender}
    by_code = await client.holds.list(reason_code=first.reason_code).to_list()
    assert first.id in {h.id for h in by_code}
    ip = emu.admin.hold_extras[first.id]["senderIP"]
    assert first.id in {h.id for h in await client.holds.list(sender_ip=ip).to_list()}
    assert first.subject
    assert first.id in {h.id for h in await client.holds.list(subject=first.subject).to_list()}


async def test_hold_list_uses_the_api2_field_name_under_oauth(emu: MimecastEmulator) -> None:
    async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
        held = next(iter(emu.admin.held_messages.values()))
        found = await client.holds.list(reason_code=held["reasonCode"]).to_list()
        assert held["id"] in {h.id for h in found}


async def test_release_returns_the_flag(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    hold_id = next(iter(emu.admin.held_messages))
    assert await client.holds.release(hold_id) is True
    assert hold_id in emu.admin.released and hold_id not in emu.admin.held_messages
    assert await client.holds.release(message_id=hold_id) is False  # an answer, not an error


async def test_reject_batch(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    first, second = list(emu.admin.held_messages)[:2]
    result = await client.holds.reject(
        f"{first},{second},missing-id",
        message="Not accepted",
        reason_type="MESSAGE GOES AGAINST EMAIL POLICIES",
        notify=True,
    )
    assert isinstance(result, mc.BatchResult)
    assert [r.id for r in result.succeeded] == [first, second]
    assert [f.item for f in result.failed] == ["missing-id"]
    assert emu.admin.rejected == [first, second]


async def test_aliases(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    address, user = next((a, u) for a, u in emu.admin.users.items() if u["aliases"])
    aliases = await client.users.aliases(address)
    assert [a.email_address for a in aliases] == [a["emailAddress"] for a in user["aliases"]]
    assert all(isinstance(a, mc.Alias) and a.is_internal is True for a in aliases)
    with pytest.raises(mc.FailedRequestError):
        await client.users.aliases("nobody@nowhere.example")
