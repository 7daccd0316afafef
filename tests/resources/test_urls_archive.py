"""Managed URLs, URL decoding and the archive against the emulator."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

import mimecast_async as mc
from mimecast_async.envelope import decode_envelope
from mimecast_async.resources.archive import _search_results, _SearchEntry
from mimecast_async.testing import MimecastEmulator

DECODE = "/api/ttp/url/decode-url"


async def test_managed_urls(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    before = await client.urls.list_managed()
    assert before and all(isinstance(url, mc.ManagedUrl) for url in before)
    blocked = await client.urls.block(
        "https://evil.example/login?x=1", comment="phish kit", disable_log_click=True
    )
    stored: dict[str, Any] = emu.admin.managed_urls[blocked.id]
    assert stored["action"] == "block" and stored["disableLogClick"] is True
    assert blocked.domain == "evil.example" and blocked.query_string == "x=1"
    assert blocked.comment == "phish kit" and blocked.match_type == "explicit"

    permitted = await client.urls.permit(
        "https://partner.example/",
        match_type="domain",
        disable_rewrite=True,
        disable_user_awareness=True,
    )
    assert permitted.action == "permit" and permitted.match_type == "domain"
    assert permitted.disable_rewrite is True and permitted.disable_user_awareness is True
    assert permitted.disable_log_click is False

    matching = await client.urls.list_managed(domain_or_url="evil.example")
    assert [url.id for url in matching] == [blocked.id]
    assert len(await client.urls.list_managed()) == len(before) + 2

    assert await client.urls.delete_managed(blocked.id) is None
    assert blocked.id not in emu.admin.managed_urls
    with pytest.raises(mc.FailedRequestError) as caught:
        await client.urls.block("https://partner.example/", match_type="domain")
    assert caught.value.codes == ["err_managed_url_exists_code"]


async def test_a_domain_block_may_name_the_domain_alone(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    blocked = await client.urls.block("bad-domain.example", match_type="domain")
    assert blocked.domain == "bad-domain.example" and blocked.match_type == "domain"
    assert emu.admin.managed_urls[blocked.id]["action"] == "block"
    for url, match_type in [("bad-domain.example", "explicit"), ("not a domain", "domain")]:
        with pytest.raises(mc.InvalidInputError):
            await client.urls.block(url, match_type=match_type)  # type: ignore[arg-type]


async def test_decode(client: mc.MimecastClient, emu: MimecastEmulator) -> None:
    encoded = emu.admin.encode_url("https://landing.example/path?q=1")
    assert await client.urls.decode(encoded) == "https://landing.example/path?q=1"
    with pytest.raises(mc.FailedRequestError) as caught:
        await client.urls.decode("https://protect-eu.mimecast.com/s/unknown")
    assert caught.value.codes == ["err_url_decode_failed"]


async def test_decode_many_chunks_at_25_and_keeps_failures(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    originals = [f"https://site{n}.example/page" for n in range(40)]
    encoded = [emu.admin.encode_url(url) for url in originals]
    bad = "https://protect-eu.mimecast.com/s/not-a-token"
    result = await client.urls.decode_many([*encoded[:10], bad, *encoded[10:]])
    assert emu.stats.requests[DECODE] == 2
    assert [d.url for d in result.succeeded] == originals
    assert [d.encoded_url for d in result.succeeded] == encoded
    assert [f.item for f in result.failed] == [bad]
    assert result.codes == ["err_url_decode_failed"]


async def test_archive_search_with_builder_and_raw_xml(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    record = next(iter(emu.admin.archive_messages.values()))
    mailbox = record["to"][0]["emailAddress"]
    query = mc.ArchiveQuery(
        mailboxes=[mailbox],
        text=record["subject"],
        start=datetime(2023, 1, 1, tzinfo=timezone.utc),
        end=datetime(2025, 1, 1, tzinfo=timezone.utc),
    )
    hits = await client.archive.search(query, admin=True).to_list()
    assert record["id"] in {hit.id for hit in hits}
    hit = next(h for h in hits if h.id == record["id"])
    assert isinstance(hit, mc.ArchiveSearchResult) and hit.subject == record["subject"]
    assert hit.received_date is not None and hit.received_date.tzinfo is not None

    raw = query.to_xml()
    again = await client.archive.search(raw, admin=True, limit=1).to_list()
    assert len(again) == 1


async def test_archive_messages_and_detail(
    client: mc.MimecastClient, emu: MimecastEmulator
) -> None:
    messages = await client.archive.messages(
        mailbox=emu.admin.default_mailbox,
        view="INBOX",
        start=datetime(2023, 1, 1, tzinfo=timezone.utc),
        end=datetime(2025, 1, 1, tzinfo=timezone.utc),
        page_size=3,
    ).to_list()
    assert messages and all(isinstance(m, mc.ArchiveMessage) for m in messages)
    first = messages[0]
    assert first.from_ is not None and first.from_.email_address
    detail = await client.archive.message_detail(first.id)
    assert isinstance(detail, mc.MessageDetail) and detail.id == first.id
    stored = emu.admin.archive_messages[first.id]
    assert detail.subject == stored["subject"]
    assert [h.name for h in detail.headers] == [h["name"] for h in stored["headers"]]
    assert len(detail.attachments) == len(stored["attachments"])
    assert detail.from_ is not None and detail.from_.email_address == stored["from"]["emailAddress"]
    sent = await client.archive.messages(view="SENT").to_list()
    assert isinstance(sent, list)


def test_search_handles_both_response_readings() -> None:
    hit = {"id": "m1", "displayfrom": "a", "receiveddate": "2021-06-01T04:47:53+0000"}
    documented = decode_envelope(b'{"meta":{},"data":[' + _json(hit) + b"]}", _SearchEntry).data
    xsoar = decode_envelope(
        b'{"meta":{},"data":[{"items":[' + _json(hit) + b"]}]}", _SearchEntry
    ).data
    empty = decode_envelope(b'{"meta":{},"data":[{"items":[]}]}', _SearchEntry).data
    for data in (documented, xsoar):
        (result,) = _search_results(data)
        assert type(result) is mc.ArchiveSearchResult
        assert result.display_from == "a" and result.received_date is not None
        # the wire names are single words, so their snake_case reads the same fields
        assert result.displayfrom == "a" and result.receiveddate == result.received_date
        assert result.attachmentcount is result.displaytoaddresslist is None
    assert _search_results(empty) == []


def test_search_keeps_hits_whose_return_fields_leave_out_id() -> None:
    # a hit carries the query's <return-fields> (§5.6), which need not include id
    hits = [{"subject": f"s{n}", "displayfrom": "a"} for n in range(3)]
    data = decode_envelope(b'{"meta":{},"data":' + _json([*hits, {}]) + b"}", _SearchEntry).data
    results = _search_results(data)
    assert [result.subject for result in results] == ["s0", "s1", "s2"]  # {} is no hit
    assert all(result.id == "" for result in results)


def _json(value: Any) -> bytes:
    import msgspec

    return msgspec.json.encode(value)


def test_archive_query_xml() -> None:
    query = mc.ArchiveQuery(
        mailboxes=["a@example.com"],
        text="invoice <urgent> & more",
        period="last_week",
        document_type="spreadsheets",
        include_aliases=False,
    )
    xml = query.to_xml()
    assert '<mailbox include-aliases="false">a@example.com</mailbox>' in xml
    assert "<text>invoice &lt;urgent&gt; &amp; more</text>" in xml
    assert '<date select="last_week"/>' in xml
    assert '<docs select="spreadsheets"></docs>' in xml
    between = mc.ArchiveQuery(
        start=datetime(2024, 1, 1, tzinfo=timezone.utc),
        end=datetime(2024, 2, 1, tzinfo=timezone.utc),
    ).to_xml()
    assert 'from="2024-01-01T00:00:00Z" to="2024-02-01T00:00:00Z"' in between


async def test_archive_presets_count_back_from_the_emulator_s_clock() -> None:
    # MIMECAST_API.md §5.6 date presets; the emulator's answers depend on its seed and clock,
    # never on the day the tests run (README: fixed per seed, not "now")
    query = mc.ArchiveQuery(period="last_month")
    async with MimecastEmulator(seed=1) as emu:
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            everything = await client.archive.search(mc.ArchiveQuery()).to_list()
            default = await client.archive.search(query).to_list()
    assert everything and len(default) == len(everything)  # the seeded month, any day
    for day, expected in ((datetime(2024, 3, 1), len(everything)), (datetime(2025, 1, 1), 0)):
        moment = day.replace(tzinfo=timezone.utc)
        async with MimecastEmulator(seed=1, clock=lambda moment=moment: moment) as emu:
            # the emulator's clock also checks x-mc-date: sign with the same clock
            keys = emu.hmac_auth
            auth = mc.HmacAuth(
                app_id=keys.app_id,
                app_key=keys.app_key,
                access_key=keys.access_key,
                secret_key=keys.secret_key,
                clock=lambda moment=moment: moment,
            )
            async with mc.MimecastClient(auth, base_url=emu.base_url) as client:
                found = await client.archive.search(query).to_list()
        assert len(found) == expected, day
