"""Paginated log endpoints: every record in the window exactly once, filters, ordering."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

import mimecast_async as mc
from mimecast_async.testing import FaultPlan, MimecastEmulator
from tests.testing.helpers import body_date, collect, post

URL = "/api/ttp/url/get-logs"

# path, log type, start field, end field, list key, honours oldestFirst, time field
ENDPOINTS = [
    ("/api/ttp/url/get-logs", "ttp_url", "from", "to", "clickLogs", True, "date"),
    (
        "/api/ttp/impersonation/get-logs",
        "ttp_impersonation",
        "from",
        "to",
        "impersonationLogs",
        True,
        "eventTime",
    ),
    (
        "/api/ttp/attachment/get-logs",
        "ttp_attachment",
        "from",
        "to",
        "attachmentLogs",
        True,
        "date",
    ),
    ("/api/archive/get-search-logs", "search", "start", "end", "logs", False, "createTime"),
    ("/api/archive/get-archive-search-logs", "search", "start", "end", "logs", False, "createTime"),
    (
        "/api/audit/get-audit-events",
        "audit",
        "startDateTime",
        "endDateTime",
        None,
        False,
        "eventTime",
    ),
]

FILTERS: dict[str, dict[str, Any]] = {
    "ttp_url": {"route": "inbound", "scanResult": "malicious"},
    "ttp_impersonation": {
        "taggedMalicious": True,
        "identifiers": ["newly_observed_domain", "internal_user_name"],
        "searchField": "subject",
        "query": "invoice",
    },
    "ttp_attachment": {"route": "inbound", "result": "clean"},
    "search": {"query": "invoice"},
    "audit": {"categories": ["authentication_logs"], "query": "failed"},
}


def by_hand(log_type: str, record: dict[str, Any], filters: dict[str, Any]) -> bool:
    """The filter semantics, written out independently of the emulator."""
    if log_type == "ttp_url":
        return record["route"] == filters["route"] and record["scanResult"] == filters["scanResult"]
    if log_type == "ttp_attachment":
        return record["route"] == filters["route"] and record["result"] == filters["result"]
    if log_type == "ttp_impersonation":
        return (
            record["taggedMalicious"] is True
            and bool(set(record["identifiers"]) & set(filters["identifiers"]))
            and "invoice" in record["subject"].lower()
        )
    if log_type == "search":
        fields = (record["emailAddr"], record["searchText"], record["searchReason"])
        return any("invoice" in value.lower() for value in fields)
    text = (record["auditType"] + record["eventInfo"]).lower()
    return record["category"] == "authentication_logs" and "failed" in text


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def window(emu: MimecastEmulator, log_type: str) -> tuple[datetime, datetime]:
    """A window that starts and ends on record timestamps inside the dense hour's burst."""
    source = emu.sources[log_type]
    low, high = source.timeline.burst_minute
    lo = source.timeline.first_at_or_after(low)
    hi = source.timeline.first_at_or_after(high)
    start = source.timeline.second(max(0, lo - 400))
    end = source.timeline.second((lo + hi) // 2)
    return (
        datetime.fromtimestamp(start, timezone.utc),
        datetime.fromtimestamp(end, timezone.utc),
    )


@pytest.fixture(scope="module")
def plan_seed() -> int:
    return 11


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("inclusive_end", [False, True])
async def test_pages_return_the_window_exactly_once(
    http: aiohttp.ClientSession, endpoint: tuple[Any, ...], inclusive_end: bool
) -> None:
    path, log_type, start_field, end_field, list_key, ordered, time_field = endpoint
    async with MimecastEmulator(seed=5, records=4_000, inclusive_end=inclusive_end) as emu:
        start, end = window(emu, log_type)
        expected = emu.expected(log_type, start, end)
        other = emu.expected(log_type, start, end, inclusive_end=not inclusive_end)
        assert len(expected) != len(other), "the window must end on a shared timestamp"
        if path.endswith("get-archive-search-logs"):
            for record in expected:
                record.pop("museQuery")
        times = [parse(record[time_field]) for record in expected]
        assert times == sorted(times) and times[0] >= start
        assert times[-1] <= end if inclusive_end else times[-1] < end
        assert max(Counter(times).values()) > 1, "records must share timestamps"
        assert len({str(sorted(record.items())) for record in expected}) == len(expected)
        for page_size, oldest_first in ((7, True), (100, False), (500, True), (33, False)):
            item: dict[str, Any] = {start_field: body_date(start), end_field: body_date(end)}
            if ordered:
                item["oldestFirst"] = oldest_first
            got = await collect(http, emu, path, item, page_size=page_size, list_key=list_key)
            newest_first = not (ordered and oldest_first)
            assert got == (expected[::-1] if newest_first else expected)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
async def test_filters_really_filter(
    emu: MimecastEmulator, http: aiohttp.ClientSession, endpoint: tuple[Any, ...]
) -> None:
    path, log_type, start_field, end_field, list_key, ordered, _ = endpoint
    start, end = emu.time_range
    filters = FILTERS[log_type]
    everything = emu.expected(log_type, start, end)
    expected = emu.expected(log_type, start, end, **filters)
    assert expected == [r for r in everything if by_hand(log_type, r, filters)]
    assert 0 < len(expected) < len(everything)
    if path.endswith("get-archive-search-logs"):
        for record in expected:
            record.pop("museQuery")
    item = {start_field: body_date(start), end_field: body_date(end), **filters}
    if ordered:
        item["oldestFirst"] = True
    got = await collect(http, emu, path, item, page_size=50, list_key=list_key)
    assert got == (expected if ordered else expected[::-1])


async def test_snake_case_filters_in_expected(emu: MimecastEmulator) -> None:
    start, end = emu.time_range
    assert emu.expected("ttp_url", start, end, scan_result="malicious") == emu.expected(
        "ttp_url", start, end, scanResult="malicious"
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
async def test_pages_survive_a_fault_plan(
    http: aiohttp.ClientSession, endpoint: tuple[Any, ...]
) -> None:
    path, log_type, start_field, end_field, list_key, ordered, _ = endpoint
    plan = FaultPlan(seed=13, rate=0.3, burst_reset_ms=1, slow_body_seconds=0.01)
    async with MimecastEmulator(seed=5, records=2_000, faults=plan) as emu:
        start, end = emu.time_range
        expected = emu.expected(log_type, start, end)
        if path.endswith("get-archive-search-logs"):
            for record in expected:
                record.pop("museQuery")
        item: dict[str, Any] = {start_field: body_date(start), end_field: body_date(end)}
        if ordered:
            item["oldestFirst"] = True
        got = await collect(http, emu, path, item, page_size=100, list_key=list_key)
        assert got == (expected if ordered else expected[::-1])
        assert sum(emu.stats.faults.values()) > 3


async def test_page_size_is_capped_and_defaults(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    start, end = emu.time_range
    item = {"from": body_date(start), "to": body_date(end)}
    path = "/api/ttp/url/get-logs"
    _, _, envelope = await post(http, emu, path, {"data": [item]})
    assert len(envelope["data"][0]["clickLogs"]) == 25
    assert envelope["meta"]["pagination"]["pageSize"] == 25
    assert "previous" not in envelope["meta"]["pagination"]
    body = {"meta": {"pagination": {"pageSize": 5000}}, "data": [item]}
    _, _, envelope = await post(http, emu, path, body)
    assert len(envelope["data"][0]["clickLogs"]) == 500
    assert envelope["meta"]["pagination"]["next"]


async def test_token_is_bound_to_its_query(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    start, end = emu.time_range
    path = "/api/ttp/url/get-logs"
    item = {"from": body_date(start), "to": body_date(end)}
    _, _, envelope = await post(http, emu, path, {"data": [item]})
    token = envelope["meta"]["pagination"]["next"]
    other = {**item, "route": "inbound"}
    body = {"meta": {"pagination": {"pageToken": token}}, "data": [other]}
    status, _, envelope = await post(http, emu, path, body)
    assert status == 200 and envelope["data"] == []
    assert envelope["fail"][0]["errors"][0]["code"] == "err_validation_invalid_page_token"
    body = {"meta": {"pagination": {"pageToken": "garbage"}}, "data": [item]}
    _, _, envelope = await post(http, emu, path, body)
    assert envelope["fail"][0]["errors"][0]["code"] == "err_validation_invalid_page_token"


async def test_last_page_has_no_next(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    start, _ = emu.time_range
    item = {"from": body_date(start), "to": body_date(start + timedelta(hours=1))}
    _, _, envelope = await post(http, emu, "/api/ttp/url/get-logs", {"data": [item]})
    assert "next" not in envelope["meta"]["pagination"]


async def test_impersonation_result_count_and_audit_record_start(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    start, end = emu.time_range
    item = {"from": body_date(start), "to": body_date(end)}
    body = {"meta": {"pagination": {"pageSize": 10}}, "data": [item]}
    _, _, envelope = await post(http, emu, "/api/ttp/impersonation/get-logs", body)
    assert envelope["data"][0]["resultCount"] == 10
    audit = {"startDateTime": body_date(start), "endDateTime": body_date(end)}
    body = {"meta": {"pagination": {"pageSize": 10}}, "data": [audit]}
    _, _, envelope = await post(http, emu, "/api/audit/get-audit-events", body)
    assert envelope["meta"]["pagination"]["recordStart"] == 0
    token = envelope["meta"]["pagination"]["next"]
    body = {"meta": {"pagination": {"pageSize": 10, "pageToken": token}}, "data": [audit]}
    _, _, envelope = await post(http, emu, "/api/audit/get-audit-events", body)
    assert envelope["meta"]["pagination"]["recordStart"] == 10
    assert envelope["meta"]["pagination"]["previous"]


@pytest.mark.parametrize("zone", ["+0000", "Z", "+00:00"])
async def test_date_forms_accepted(
    emu: MimecastEmulator, http: aiohttp.ClientSession, zone: str
) -> None:
    start, end = emu.time_range
    item = {
        "from": start.strftime("%Y-%m-%dT%H:%M:%S") + zone,
        "to": end.strftime("%Y-%m-%dT%H:%M:%S") + zone,
    }
    _, _, envelope = await post(http, emu, "/api/ttp/url/get-logs", {"data": [item]})
    assert not envelope["fail"] and envelope["data"][0]["clickLogs"]


async def test_time_range_is_fixed_and_plausible() -> None:
    first = MimecastEmulator(seed=9, records=10)
    second = MimecastEmulator(seed=9, records=10)
    assert first.time_range == second.time_range
    start, end = first.time_range
    assert datetime(2000, 1, 1, tzinfo=timezone.utc) <= start < end
    assert end <= datetime.now(timezone.utc) + timedelta(days=1)


@pytest.mark.parametrize("scheme", ["hmac", "oauth2"])
async def test_sdk_client_pages_through_a_random_fault_plan(scheme: str) -> None:
    plan = FaultPlan(seed=21, rate=0.25, burst_reset_ms=5, slow_body_seconds=0.01)
    async with MimecastEmulator(seed=1, records=3_000, faults=plan) as emu:
        start, end = emu.time_range
        auth = emu.hmac_auth if scheme == "hmac" else emu.oauth2_auth
        item = {"from": body_date(start), "to": body_date(end), "oldestFirst": True}
        got: list[dict[str, Any]] = []
        token = None
        retry = mc.RetryPolicy(backoff_initial=0.001, seed=1)
        async with mc.MimecastClient(
            auth, base_url=emu.base_url, timeout=10, retry=retry
        ) as client:
            while True:
                pagination: dict[str, Any] = {"pageSize": 100}
                if token:
                    pagination["pageToken"] = token
                envelope = await client.request(URL, [item], meta={"pagination": pagination})
                got += envelope["data"][0]["clickLogs"]
                token = envelope["meta"]["pagination"].get("next")
                if not token:
                    break
        assert got == emu.expected("ttp_url", start, end)
        assert len(emu.stats.faults) >= 5
