"""Batch calls when a chunk fails at the HTTP level, and reads whose refusals are retryable."""

from __future__ import annotations

import pytest

import mimecast_async as mc
from mimecast_async.batch import NOT_SENT, REQUEST_FAILED
from mimecast_async.testing import FaultPlan, MimecastEmulator

ADD_MEMBER = "/api/directory/add-group-member"
DECODE = "/api/ttp/url/decode-url"


def _emails(count: int) -> list[str]:
    return [f"user{number}@evil.example" for number in range(count)]


async def _add_members(plan: FaultPlan, emails: list[str]) -> tuple[mc.BatchResult, int]:
    async with MimecastEmulator(seed=1, records=10, faults=plan) as emu:
        group_id = next(iter(emu.admin.groups))
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            result = await client.groups.add_members(group_id, emails=emails)
        return result, emu.stats.requests[ADD_MEMBER]


async def test_an_error_after_an_applied_chunk_returns_what_was_applied() -> None:
    emails = _emails(250)  # chunks of 100, 100 and 50: the second fails, the third is not sent
    result, sent = await _add_members(FaultPlan.script({(ADD_MEMBER, 2): "server_error"}), emails)

    assert sent == 2
    assert [member.email_address for member in result.succeeded] == emails[:100]
    assert [failure.item for failure in result.failed] == emails[100:]
    assert result.codes == [REQUEST_FAILED] * 100 + [NOT_SENT] * 50
    failed, unsent = result.failed[0], result.failed[-1]
    assert isinstance(failed.error, mc.ServerError) and failed.error is unsent.error
    assert not failed.retryable  # a mutation answered with a 5xx may have run
    assert unsent.retryable  # never sent: safe to send again
    assert failed.key["emailAddress"] == emails[100]  # the wire item that was sent


async def test_a_dropped_connection_after_an_applied_chunk_is_a_failure_not_an_exception() -> None:
    plan = FaultPlan.script({(ADD_MEMBER, 2): "drop_after"})
    result, _ = await _add_members(plan, _emails(150))
    assert len(result.succeeded) == 100
    assert {type(failure.error) for failure in result.failed} == {mc.TransportError}


async def test_an_error_before_any_chunk_was_answered_still_raises() -> None:
    with pytest.raises(mc.ServerError):
        await _add_members(FaultPlan.script({(ADD_MEMBER, 1): "server_error"}), _emails(150))


async def test_expired_keys_raise_on_any_chunk() -> None:
    plan = FaultPlan.script({(ADD_MEMBER, 2): "binding_expired"})
    with pytest.raises(mc.BindingExpiredError):
        await _add_members(plan, _emails(150))


async def test_decode_many_retries_a_chunk_whose_refusals_are_all_retryable() -> None:
    plan = FaultPlan.script({(DECODE, 1): "retryable_fail", (DECODE, 2): "retryable_fail"})
    async with MimecastEmulator(seed=1, records=10, faults=plan) as emu:
        async with mc.MimecastClient(
            emu.hmac_auth, base_url=emu.base_url, retry=mc.RetryPolicy(backoff_initial=0)
        ) as client:
            urls = ["https://www.example.com/a", "https://www.example.com/b"]
            encoded = [emu.admin.encode_url(url) for url in urls]
            result = await client.urls.decode_many(encoded)
        assert emu.stats.requests[DECODE] == 3
    assert result.ok and [item.url for item in result.succeeded] == urls


async def test_decode_many_keeps_retryable_refusals_once_the_attempts_run_out() -> None:
    plan = FaultPlan.script({(DECODE, number): "retryable_fail" for number in range(1, 10)})
    async with MimecastEmulator(seed=1, records=10, faults=plan) as emu:
        policy = mc.RetryPolicy(max_attempts=3, backoff_initial=0)
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url, retry=policy) as client:
            result = await client.urls.decode_many(["https://protect.example/s/abc"])
        assert emu.stats.requests[DECODE] == 3
    assert not result.succeeded and result.failed[0].retryable
    assert result.failed[0].item == "https://protect.example/s/abc"


async def test_reject_reports_each_id_of_a_chunk_that_failed_after_an_applied_one() -> None:
    reject = "/api/gateway/hold-reject"
    plan = FaultPlan.script({(reject, 2): "server_error"})
    async with MimecastEmulator(seed=1, records=10, faults=plan) as emu:
        ids = sorted(emu.admin.held_messages)[:2]
        ids += [f"missing-{number}" for number in range(101 - len(ids))]  # chunks of 100 and 1
        async with mc.MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
            result = await client.holds.reject(ids)
    assert [failure.item for failure in result.failed if failure.error] == ids[100:]
    assert {type(failure.error) for failure in result.failed if failure.error} == {mc.ServerError}
