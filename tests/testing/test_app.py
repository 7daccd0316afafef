"""Validation, quotas, SIEM files, scripted faults, latency and the standalone server."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import zipfile
from typing import Any

import aiohttp
import pytest

import mimecast_async as mc
from mimecast_async.testing import FaultPlan, MimecastEmulator, RateLimit
from mimecast_async.testing.app import _learn_oversleep
from tests.testing.helpers import body_date, post, sign

URL_LOGS = "/api/ttp/url/get-logs"
SIEM = "/api/audit/get-siem-logs"


def codes(envelope: Any) -> list[tuple[str, str | None]]:
    return [
        (error["code"], error.get("field"))
        for entry in envelope["fail"]
        for error in entry["errors"]
    ]


# -- validation ----------------------------------------------------------------------------


async def test_wrong_verb_and_unknown_path(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(emu.base_url + URL_LOGS, headers=sign(emu, URL_LOGS)) as response:
        assert response.status == 405
    status, _, _ = await post(http, emu, "/api/nothing/here", {"data": []})
    assert status == 404


async def test_malformed_json_is_400(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    status, headers, envelope = await post(http, emu, URL_LOGS, b"{not json")
    assert status == 400 and envelope["fail"]
    assert "X-RateLimit-Remaining" in headers


@pytest.mark.parametrize(
    "path", [URL_LOGS, "/api/login/discover-authentication", "/api/directory/find-groups"]
)
async def test_a_python_dict_literal_body_is_read_like_json(
    emu: MimecastEmulator, http: aiohttp.ClientSession, path: str
) -> None:
    """MIMECAST_API.md §1.7: several public clients post ``str(payload)``, single quotes."""
    item = {"emailAddress": "user@example.com"} if "discover" in path else {"oldestFirst": True}
    literal = await post(http, emu, path, str({"data": [item]}).encode())
    as_json = await post(http, emu, path, {"data": [item]})
    assert literal[0] == as_json[0] == 200
    assert literal[2]["data"] == as_json[2]["data"] and not literal[2]["fail"]


@pytest.mark.parametrize("body", [b"{'data': [len]}", b"['data']", b"{'data': [1,}"])
async def test_a_body_that_is_neither_json_nor_a_dict_literal_is_400(
    emu: MimecastEmulator, http: aiohttp.ClientSession, body: bytes
) -> None:
    status, _, envelope = await post(http, emu, URL_LOGS, body)
    assert status == 400 and envelope["fail"]


@pytest.mark.parametrize("body", [{}, {"data": {"from": "x"}}, [1, 2], {"meta": {}}])
async def test_body_without_data_array(
    emu: MimecastEmulator, http: aiohttp.ClientSession, body: Any
) -> None:
    status, _, envelope = await post(http, emu, URL_LOGS, body)
    assert status == 200 and codes(envelope) == [("err_validation_null", "data")]


@pytest.mark.parametrize(
    ("path", "item", "expected"),
    [
        ("/api/audit/get-audit-events", {}, ("err_validation_null", "startDateTime")),
        (
            "/api/audit/get-audit-events",
            {"startDateTime": "2024-01-01T00:00:00+0000"},
            ("err_validation_null", "endDateTime"),
        ),
        (URL_LOGS, {"from": "yesterday"}, ("err_validation_invalid_date", "from")),
        (URL_LOGS, {"to": "2024-01-01 00:00"}, ("err_validation_invalid_date", "to")),
        (URL_LOGS, {"route": "sideways"}, ("err_validation_invalid_value", "route")),
        (URL_LOGS, {"oldestFirst": "yes"}, ("err_validation_invalid_value", "oldestFirst")),
        (
            "/api/ttp/impersonation/get-logs",
            {"searchField": "subject"},
            ("err_validation_null", "query"),
        ),
        (
            "/api/ttp/attachment/get-logs",
            {"result": "dirty"},
            ("err_validation_invalid_value", "result"),
        ),
        ("/api/archive/get-search-logs", {"start": 5}, ("err_validation_invalid_date", "start")),
    ],
)
async def test_validation_codes(
    emu: MimecastEmulator,
    http: aiohttp.ClientSession,
    path: str,
    item: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    status, _, envelope = await post(http, emu, path, {"data": [item]})
    assert status == 200 and envelope["data"] == []
    assert codes(envelope) == [expected]
    assert envelope["fail"][0]["key"] == item


async def test_default_window_is_today(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    """``from`` defaults to the start of the current day: the synthetic past is not in it."""
    status, _, envelope = await post(http, emu, URL_LOGS, {"data": []})
    assert status == 200 and envelope["data"] == [{"clickLogs": []}]


# -- quotas --------------------------------------------------------------------------------


async def test_quota_headers_and_429(http: aiohttp.ClientSession) -> None:
    async with MimecastEmulator(seed=2, records=100, rate_limit=(3, 60.0)) as emu:
        remaining = []
        for _ in range(3):
            status, headers, _ = await post(http, emu, URL_LOGS, {"data": []})
            assert status == 200 and headers["X-RateLimit-Limit"] == "3"
            remaining.append(int(headers["X-RateLimit-Remaining"]))
            assert 0 < int(headers["X-RateLimit-Reset"]) <= 60_000
        assert remaining == [2, 1, 0]
        status, headers, envelope = await post(http, emu, URL_LOGS, {"data": []})
        assert status == 429 and headers["X-RateLimit-Remaining"] == "0"
        assert 0 < int(headers["X-RateLimit-Reset"]) <= 60_000
        assert envelope["fail"]
        assert emu.stats.rate_limited == 1
        # another credential has its own bucket
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            await client.request(URL_LOGS, [])
            assert client.rate_limit is not None and client.rate_limit.remaining == 2


async def test_quota_window_refills(http: aiohttp.ClientSession) -> None:
    # a window wide enough that two back-to-back posts fall in it even on a loaded machine
    async with MimecastEmulator(seed=2, records=100, rate_limit=RateLimit(1, 0.5)) as emu:
        assert (await post(http, emu, URL_LOGS, {"data": []}))[0] == 200
        assert (await post(http, emu, URL_LOGS, {"data": []}))[0] == 429
        await asyncio.sleep(0.55)
        assert (await post(http, emu, URL_LOGS, {"data": []}))[0] == 200


async def test_headers_without_rate_limit(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    _, headers, _ = await post(http, emu, URL_LOGS, {"data": []})
    assert int(headers["X-RateLimit-Limit"]) >= 100_000
    assert int(headers["X-RateLimit-Remaining"]) >= 100_000
    assert headers["X-RateLimit-Reset"].isdigit()


# -- SIEM ----------------------------------------------------------------------------------


def parse_member(name: str, data: bytes, file_format: str) -> list[tuple[str, dict[str, str]]]:
    if file_format == "json":
        events = []
        for line in data.splitlines():
            if line.strip():
                document = json.loads(line)
                events += [(document["type"], event) for event in document["data"]]
        return events
    pairs = []
    for line in data.decode().splitlines():
        if line:
            assert line.startswith("datetime=")
            event = dict(part.split("=", 1) for part in line.split("|"))
            pairs.append((event["logType"], event))
    return pairs


@pytest.mark.parametrize("file_format", ["json", "key_value"])
@pytest.mark.parametrize("compress", [True, False])
async def test_siem_sequence(http: aiohttp.ClientSession, file_format: str, compress: bool) -> None:
    async with MimecastEmulator(seed=4, records=10, siem_files=3) as emu:
        events: list[tuple[str, dict[str, str]]] = []
        token = None
        files = 0
        while True:
            item: dict[str, Any] = {"type": "MTA", "fileFormat": file_format, "compress": compress}
            if token:
                item["token"] = token
            async with http.post(
                emu.base_url + SIEM, json={"data": [item]}, headers=sign(emu, SIEM)
            ) as response:
                body = await response.read()
                if response.content_type == "application/json":
                    envelope = json.loads(body)
                    assert envelope["meta"]["isLastToken"] is True
                    assert response.headers["isLastToken"] == "true"  # R7 reads the header
                    assert "mc-siem-token" not in response.headers
                    break
                assert response.content_type == "application/octet-stream"
                disposition = response.headers["Content-Disposition"]
                filename = disposition.split('="')[1].rstrip('"')
                token = response.headers["mc-siem-token"]
            files += 1
            if compress:
                assert filename.endswith(".zip")
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    for name in archive.namelist():
                        member = parse_member(name, archive.read(name), file_format)
                        assert all(name.startswith(kind + "_") for kind, _ in member)
                        events += member
            else:
                events += parse_member(filename, body, file_format)
        assert files == 3
        assert events == emu.expected_siem_events()
        assert len(events) >= 600 and len({kind for kind, _ in events}) >= 4
        assert len({event["aCode"] for _, event in events}) == len(events)


async def test_siem_invalid_token(emu: MimecastEmulator, http: aiohttp.ClientSession) -> None:
    body = {"data": [{"type": "MTA", "token": "1-forged", "fileFormat": "json"}]}
    status, headers, envelope = await post(http, emu, SIEM, body)
    assert status == 200 and codes(envelope) == [("err_audit_siem_invalid_token", "token")]
    assert "mc-siem-token" not in {name.lower() for name in headers}


# -- faults --------------------------------------------------------------------------------


async def _raw(http: aiohttp.ClientSession, emu: MimecastEmulator) -> tuple[int, Any]:
    start, end = emu.time_range
    body = {"data": [{"from": body_date(start), "to": body_date(end)}]}
    status, _, envelope = await post(http, emu, URL_LOGS, body)
    return status, envelope


async def test_scripted_faults_hit_exact_requests(http: aiohttp.ClientSession) -> None:
    plan = FaultPlan.script(
        {
            1: "server_error",
            2: "retryable_fail",
            3: "binding_expired",
            (URL_LOGS, 4): "rate_limit_burst",
        },
        burst_length=2,
        burst_reset_ms=1234,
    )
    async with MimecastEmulator(seed=1, records=500, faults=plan) as emu:
        status, _ = await _raw(http, emu)
        assert status in (500, 502, 503)
        status, envelope = await _raw(http, emu)
        assert status == 200 and envelope["fail"][0]["errors"][0]["retryable"] is True
        assert envelope["data"] == []
        status, envelope = await _raw(http, emu)
        assert status == 418 and codes(envelope)[0][0] == "err_xdk_binding_expired"
        for _ in range(2):
            start, end = emu.time_range
            body = {"data": [{"from": body_date(start), "to": body_date(end)}]}
            status, headers, _ = await post(http, emu, URL_LOGS, body)
            assert status == 429 and headers["X-RateLimit-Reset"] == "1234"
        status, envelope = await _raw(http, emu)
        assert status == 200 and not envelope["fail"]
        assert emu.stats.faults == {
            "server_error": 1,
            "retryable_fail": 1,
            "binding_expired": 1,
            "rate_limit_burst": 2,
        }
        assert emu.stats.rate_limited == 2


async def test_a_burst_stays_on_the_paths_faults_may_hit(http: aiohttp.ClientSession) -> None:
    # README: ``paths=`` narrows faults, e.g. to keep mutations clean; a burst of 429s too
    plan = FaultPlan(seed=1, rate=1.0, kinds=("rate_limit_burst",), paths=(URL_LOGS,))
    async with MimecastEmulator(seed=1, records=500, faults=plan) as emu:
        status, _ = await _raw(http, emu)
        assert status == 429
        status, _, envelope = await post(
            http, emu, "/api/directory/create-group", {"data": [{"description": "clean"}]}
        )
        assert status == 200 and not envelope["fail"]
        assert emu.stats.faults["rate_limit_burst"] == 1


async def test_a_scripted_fault_is_not_swallowed_by_a_burst(http: aiohttp.ClientSession) -> None:
    group = "/api/directory/create-group"
    plan = FaultPlan.script({(URL_LOGS, 1): "rate_limit_burst", (group, 1): "server_error"})
    async with MimecastEmulator(seed=1, records=500, faults=plan) as emu:
        status, _ = await _raw(http, emu)
        assert status == 429
        status, _, _ = await post(http, emu, group, {"data": [{"description": "g"}]})
        assert status in (500, 502, 503)
        status, _ = await _raw(http, emu)  # the burst goes on where it started
        assert status == 429


async def test_expired_binding_faults_spare_api_2_requests() -> None:
    # 418 is API 1.0's (MIMECAST_API.md §1.7): a bearer request gets no such fault
    plan = FaultPlan(seed=1, rate=1.0, kinds=("binding_expired",))
    async with MimecastEmulator(seed=1, records=100, faults=plan) as emu:
        start, end = emu.time_range
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            assert len(await client.logs.ttp_url(start=start, end=end).to_list()) == 100
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            with pytest.raises(mc.BindingExpiredError):
                await client.logs.ttp_url(start=start, end=end).to_list()


async def test_a_page_token_is_refused_at_another_endpoint(
    emu: MimecastEmulator, http: aiohttp.ClientSession
) -> None:
    start, end = emu.time_range
    item = {"from": body_date(start), "to": body_date(end)}
    body = {"meta": {"pagination": {"pageSize": 10}}, "data": [item]}
    _, _, first = await post(http, emu, URL_LOGS, body)
    token = first["meta"]["pagination"]["next"]
    follow = {"meta": {"pagination": {"pageSize": 10, "pageToken": token}}, "data": [item]}
    _, _, same = await post(http, emu, URL_LOGS, follow)
    assert not same["fail"]
    for data in ([item], []):  # with the query, and without it (a token-only follow-up)
        _, _, other = await post(
            http, emu, "/api/ttp/attachment/get-logs", {**follow, "data": data}
        )
        assert codes(other) == [("err_validation_invalid_page_token", "pageToken")]


@pytest.mark.parametrize("kind", ["drop_before", "drop_after", "truncate"])
async def test_connection_faults_disconnect(http: aiohttp.ClientSession, kind: str) -> None:
    async with MimecastEmulator(seed=1, records=500, faults=FaultPlan.script({1: kind})) as emu:
        with pytest.raises(aiohttp.ClientError):
            await _raw(http, emu)
        status, envelope = await _raw(http, emu)
        assert status == 200 and envelope["data"][0]["clickLogs"]


async def test_slow_body_is_complete(http: aiohttp.ClientSession) -> None:
    plan = FaultPlan.script({1: "slow_body"}, slow_body_seconds=0.05)
    async with MimecastEmulator(seed=1, records=500, faults=plan) as emu:
        status, envelope = await _raw(http, emu)
        assert status == 200 and len(envelope["data"][0]["clickLogs"]) == 25


async def test_token_expiry_fault_forces_a_refresh() -> None:
    path = "/api/audit/get-audit-events"
    plan = FaultPlan.script({(path, 2): "token_expiry"})
    async with MimecastEmulator(seed=1, records=100, faults=plan) as emu:
        item = {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2024-01-02T00:00:00Z"}
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            first = await client.request(path, [item])
            second = await client.request(path, [item])
        assert first["data"] == second["data"]
        assert emu.stats.tokens_issued == 2 and emu.stats.faults["token_expiry"] == 1


async def test_random_token_expiry_spares_a_token_s_first_uses() -> None:
    path = "/api/audit/get-audit-events"
    plan = FaultPlan(seed=1, rate=1.0, kinds=("token_expiry",), token_min_uses=3)
    async with MimecastEmulator(seed=1, records=100, faults=plan) as emu:
        item = {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2024-01-02T00:00:00Z"}
        async with mc.MimecastClient(emu.oauth2_auth, base_url=emu.base_url) as client:
            for _ in range(3):
                await client.request(path, [item])
            assert emu.stats.faults["token_expiry"] == 0 and emu.stats.tokens_issued == 1
            # the 4th use expires it; the renewed token is spared, so the request goes through
            await client.request(path, [item])
        assert emu.stats.faults["token_expiry"] == 1 and emu.stats.tokens_issued == 2
    with pytest.raises(ValueError):
        FaultPlan(token_min_uses=-1)


async def test_drop_after_runs_the_operation(http: aiohttp.ClientSession) -> None:
    """A mutation dropped after processing has taken effect (needs the admin state)."""
    path = "/api/directory/create-group"
    async with MimecastEmulator(
        seed=1, records=10, faults=FaultPlan.script({1: "drop_after"})
    ) as emu:
        if emu.admin is None or path not in emu.paths:
            pytest.skip("admin state not available")
        body = {"data": [{"description": "dropped-after-group"}]}
        with pytest.raises(aiohttp.ClientError):
            await post(http, emu, path, body)
        find = {"data": [{"query": "dropped-after-group"}]}
        status, _, envelope = await post(http, emu, "/api/directory/find-groups", find)
        assert status == 200
        folders = envelope["data"][0]["folders"]
        assert [folder["description"] for folder in folders] == ["dropped-after-group"]


async def test_random_plan_is_deterministic() -> None:
    first = FaultPlan(seed=3, rate=0.5)
    second = FaultPlan(seed=3, rate=0.5)
    decisions = [first.decide(n, URL_LOGS, n) for n in range(1, 200)]
    assert decisions == [second.decide(n, URL_LOGS, n) for n in range(1, 200)]
    kinds = {fault.kind for fault in decisions if fault is not None}
    assert "binding_expired" not in kinds and len(kinds) >= 6
    restricted = FaultPlan(seed=3, rate=1.0, paths=["/api/ttp/"])
    assert restricted.decide(1, "/api/directory/create-group", 1) is None
    assert restricted.decide(2, URL_LOGS, 1) is not None
    with pytest.raises(ValueError):
        FaultPlan(kinds=["meteor_strike"])


# -- latency, stats, lifecycle -------------------------------------------------------------


def test_the_emulator_learns_how_late_its_timers_fire() -> None:
    average = 0.0
    for _ in range(100):
        average = _learn_oversleep(average, 0.0011)
    assert average == pytest.approx(0.0011, rel=1e-3)  # wakes that much early from now on
    assert _learn_oversleep(0.0015, 1.0) == 0.002  # a busy loop is load, not timer lateness
    assert _learn_oversleep(0.0, -0.001) == 0.0  # never waits longer than asked


async def test_latency_and_stats(http: aiohttp.ClientSession) -> None:
    async with MimecastEmulator(seed=1, records=10, latency=0.01, latency_jitter=0.01) as emu:
        for _ in range(3):
            await post(http, emu, URL_LOGS, {"data": []})
        assert emu.stats.requests[URL_LOGS] == 3
        assert [path for path, _ in emu.stats.log] == [URL_LOGS] * 3


async def test_requests_that_arrive_together_are_all_stamped_before_any_is_worked_on(
    http: aiohttp.ClientSession,
) -> None:
    """Latency counts from arrival: one request's page building does not delay another's clock."""
    async with MimecastEmulator(seed=1, records=100, latency=0.01) as emu:
        operations = emu.app.operations
        answer = operations[URL_LOGS]
        stamped_at_work: list[int] = []

        def watched(items: Any, meta: Any) -> Any:
            stamped_at_work.append(len(emu.stats.log))
            return answer(items, meta)

        operations[URL_LOGS] = watched
        body = {"data": [{"from": "2024-01-01T00:00:00+0000", "to": "2024-01-02T00:00:00+0000"}]}
        await asyncio.gather(*(post(http, emu, URL_LOGS, body) for _ in range(4)))  # connect
        stamped_at_work.clear()
        await asyncio.gather(*(post(http, emu, URL_LOGS, body) for _ in range(4)))
        assert stamped_at_work == [8, 8, 8, 8]


async def test_start_stop_without_context_manager(http: aiohttp.ClientSession) -> None:
    emu = MimecastEmulator(seed=1, records=10)
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    await emu.start()
    try:
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert "/oauth/token" in emu.paths and URL_LOGS in emu.paths
    finally:
        await emu.stop()
        await emu.stop()


async def test_standalone_server_prints_one_json_line() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mimecast_async.testing",
        "--port",
        "0",
        "--records",
        "100",
        "--seed",
        "3",
        "--latency-ms",
        "0",
        "--rate-limit",
        "50/60",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        info = json.loads(line)
        assert set(info) == {"base_url", "hmac", "oauth2", "time_range"}
        auth = mc.HmacAuth(**info["hmac"])
        async with mc.MimecastClient(auth, base_url=info["base_url"]) as client:
            await client.request(URL_LOGS, [])
            assert client.rate_limit is not None and client.rate_limit.limit == 50
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0
