"""Request forms that MIMECAST_API.md or the seeds document and a client may use: each must work.

Where the sources disagree (MIMECAST_API.md §8, the seeds), a client written from any one of
them talks to the emulator; these tests send each variant the way such a client would.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mimecast_async.testing import MimecastEmulator
from mimecast_async.testing.admin import AdminState
from mimecast_async.testing.operations import OperationResult
from tests.testing.helpers import body_date, post

URL_LOGS = "/api/ttp/url/get-logs"
AUDIT = "/api/audit/get-audit-events"
ATTACHMENT_LOGS = "/api/ttp/attachment/get-logs"
IMPERSONATION_LOGS = "/api/ttp/impersonation/get-logs"
GROUP_FIND = "/api/directory/find-groups"


def window(emu: MimecastEmulator, start: str = "from", end: str = "to") -> dict[str, str]:
    low, high = emu.time_range
    return {start: body_date(low), end: body_date(high)}


async def page_through(
    http: aiohttp.ClientSession,
    emu: MimecastEmulator,
    path: str,
    item: dict[str, Any],
    follow_up: Any,
    list_key: str | None,
    page_size: int = 200,
) -> list[Any]:
    """Every record, sending ``item`` on the first page and ``follow_up`` after it.

    ``follow_up`` is the body's ``data`` on later pages, or ``...`` to leave ``data`` out.
    """
    records: list[Any] = []
    body: dict[str, Any] = {"meta": {"pagination": {"pageSize": page_size}}, "data": [item]}
    while True:
        status, _, envelope = await post(http, emu, path, body)
        assert status == 200 and envelope["fail"] == [], envelope["fail"]
        data = envelope["data"]
        records += data[0][list_key] if list_key else data
        token = envelope["meta"]["pagination"].get("next")
        if not token:
            return records
        body = {"meta": {"pagination": {"pageSize": page_size, "pageToken": token}}}
        if follow_up is not ...:
            body["data"] = follow_up


@pytest.mark.parametrize("follow_up", [[], [{}], ...], ids=["empty", "empty-item", "absent"])
async def test_follow_up_pages_need_not_repeat_the_query(
    emu: MimecastEmulator, http: aiohttp.ClientSession, follow_up: Any
) -> None:
    # Elastic's API 1.0 pager sends the query on the first page only (MIMECAST_API.md §3.4)
    item = {**window(emu), "oldestFirst": True}
    got = await page_through(http, emu, URL_LOGS, item, follow_up, "clickLogs")
    assert got == emu.expected("ttp_url", *emu.time_range)
    audit_item = window(emu, "startDateTime", "endDateTime")
    audit = await page_through(http, emu, AUDIT, audit_item, follow_up, None)
    assert len(audit) == len(emu.expected("audit", *emu.time_range)) == 3_000


async def test_a_token_sent_with_another_query_is_still_refused(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    body = {"meta": {"pagination": {"pageSize": 10}}, "data": [window(emu)]}
    _, _, first = await post(http, emu, URL_LOGS, body)
    token = first["meta"]["pagination"]["next"]
    other = {**window(emu), "route": "inbound"}
    body = {"meta": {"pagination": {"pageSize": 10, "pageToken": token}}, "data": [other]}
    _, _, envelope = await post(http, emu, URL_LOGS, body)
    assert envelope["fail"][0]["errors"][0]["code"] == "err_validation_invalid_page_token"


async def test_admin_follow_up_pages_need_not_repeat_the_query(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    item = {"query": "a"}
    with_query = await page_through(http, emu, GROUP_FIND, item, [item], "folders", page_size=2)
    without = await page_through(http, emu, GROUP_FIND, item, [], "folders", page_size=2)
    assert without == with_query and len(with_query) > 2


@pytest.mark.parametrize(
    ("seed_value", "api_value"), [("safe", "clean"), ("unsafe", "malicious"), ("error", "unknown")]
)
async def test_attachment_results_in_the_seeds_vocabulary(
    emu: MimecastEmulator, http: aiohttp.ClientSession, seed_value: str, api_value: str
) -> None:
    # LogicHub's seed filters by safe/unsafe/error; MIMECAST_API.md §5.5 by clean/malicious/unknown
    item = {**window(emu), "oldestFirst": True, "result": seed_value}
    got = await page_through(http, emu, ATTACHMENT_LOGS, item, [item], "attachmentLogs")
    expected = emu.expected("ttp_attachment", *emu.time_range, result=api_value)
    assert got == expected and expected


async def test_impersonation_search_by_definition(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    item = {**window(emu), "oldestFirst": True, "searchField": "definition", "query": "default"}
    got = await page_through(http, emu, IMPERSONATION_LOGS, item, [item], "impersonationLogs")
    assert got and all("default" in record["definition"].lower() for record in got)
    everything = emu.expected("ttp_impersonation", *emu.time_range)
    assert len(got) == sum("default" in record["definition"].lower() for record in everything)


# -- admin operations, called directly -------------------------------------------------------


@pytest.fixture
def state() -> AdminState:
    return AdminState(seed=7, secret="test-secret")


def call(
    state: AdminState, path: str, *items: Any, meta: dict[str, Any] | None = None
) -> OperationResult:
    return state.operations()[path](list(items), meta or {})


def test_archive_search_starts_at_the_xml_startrow(state: AdminState) -> None:
    def query(startrow: int) -> dict[str, Any]:
        return {
            "query": '<?xml version="1.0"?><xmlquery trace="iql,muse"><metadata query-type='
            f'"emergency" archive="true" active="false" page-size="3" startrow="{startrow}">'
            "</metadata></xmlquery>"
        }

    first = call(state, "/api/archive/search", query(0))
    assert first.pagination is not None and first.pagination["recordStart"] == 0
    second = call(state, "/api/archive/search", query(3))
    assert second.pagination is not None and second.pagination["recordStart"] == 3
    token = first.pagination["next"]
    by_token = call(
        state, "/api/archive/search", query(0), meta={"pagination": {"pageToken": token}}
    )
    assert [hit["id"] for hit in second.data] == [hit["id"] for hit in by_token.data]
    assert {hit["id"] for hit in first.data}.isdisjoint(hit["id"] for hit in second.data)


@pytest.mark.parametrize(
    ("url", "decoded"),
    [
        ("https://protect-eu.mimecast.com/s/abcdEFGH?domain=example.com", "https://example.com/"),
        (
            "https://protect-xx.mimecast.com/s/Zz09_-?domain=Mail.Example.org",
            "https://mail.example.org/",
        ),
    ],
)
def test_decode_url_of_a_link_from_outside(state: AdminState, url: str, decoded: str) -> None:
    result = call(state, "/api/ttp/url/decode-url", {"url": url})
    assert result.fail == [] and result.data == [{"url": decoded, "success": True}]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/page",
        "https://protect-eu.mimecast.com/other/abc?domain=example.com",
        "https://protect-eu.mimecast.com/s/abc",
        "https://protect-eu.mimecast.com/s/abc?domain=not a domain",
        "http://protect-eu.mimecast.com/s/abc?domain=example.com",
        "https://protect-eu.mimecast.com.evil.example/s/abc?domain=example.com",
    ],
)
def test_decode_url_refuses_what_is_not_a_rewritten_link(state: AdminState, url: str) -> None:
    result = call(state, "/api/ttp/url/decode-url", {"url": url})
    assert result.fail[0]["errors"][0]["code"] == "err_url_decode_failed"


def test_decode_url_of_its_own_links_gives_the_full_original(state: AdminState) -> None:
    original = "https://intranet.example.com/a/b?c=d"
    encoded = state.encode_url(original)
    assert call(state, "/api/ttp/url/decode-url", {"url": encoded}).data[0]["url"] == original


def test_hold_filters_in_either_documented_form(state: AdminState) -> None:
    path = "/api/gateway/get-hold-message-list"
    reference = {"admin": True, "filterBy": [{"fieldName": "attachments", "value": True}]}
    fields_form = {"admin": True, "filterBy": [{"attachments": True}]}
    meta = {"pagination": {"pageSize": 500}}
    by_reference = call(state, path, reference, meta=meta)
    by_fields = call(state, path, fields_form, meta=meta)
    assert by_reference.fail == by_fields.fail == []
    assert by_fields.data == by_reference.data and by_fields.data
    everything = call(state, path, {"admin": True}, meta=meta).data
    assert len(by_fields.data) < len(everything)


def test_get_policy_without_pagination_lists_every_policy(state: AdminState) -> None:
    path = "/api/policy/blockedsenders/create-policy"
    for number in range(30):
        policy = {
            "description": f"block {number}",
            "fromType": "individual_email_address",
            "fromValue": f"spam{number}@bad.example",
            "toType": "everyone",
        }
        assert call(state, path, {"option": "block_sender", "policy": policy}).fail == []
    listed = call(state, "/api/policy/blockedsenders/get-policy")
    assert listed.pagination is None and len(listed.data) == len(state.policies) >= 30
    paged = call(
        state, "/api/policy/blockedsenders/get-policy", meta={"pagination": {"pageSize": 25}}
    )
    assert len(paged.data) == 25 and paged.pagination is not None and "next" in paged.pagination


def test_tracking_search_answers_on_its_former_path(state: AdminState) -> None:
    item = {"advancedTrackAndTraceOptions": {"from": "a"}}
    former = call(state, "/api/tracking/search", item)
    current = call(state, "/api/message-finder/search", item)
    assert former.fail == current.fail == [] and former.data == current.data


def test_hold_summary_counts_held_messages_per_policy(state: AdminState) -> None:
    summary = call(state, "/api/gateway/get-hold-summary-list")
    assert summary.fail == [] and summary.data
    assert sum(entry["numberOfItems"] for entry in summary.data) == len(state.held_messages)
    assert {entry["policyInfo"] for entry in summary.data} == {
        record["policyInfo"] for record in state.held_messages.values()
    }
