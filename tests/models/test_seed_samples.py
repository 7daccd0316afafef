"""Every response shape in the seeds decodes into our models without losing a documented field.

The samples in ``seed_samples/`` are the JSON blocks of the two seed documents, verbatim. The
FortiSOAR schemas put ``""`` in every leaf, so those placeholders are first replaced by a typed
sample value chosen from the model's own field type; the LogicHub examples decode as they are.
Then the decoded records are encoded back (Mimecast's names) and every non-empty leaf path of
the sample must still be there.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mimecast_async.envelope import decode_envelope
from mimecast_async.models import (
    AliasList,
    ArchiveMessage,
    BlockedSenderPolicy,
    DecodedUrl,
    DeletedGroup,
    DeletedPolicy,
    Group,
    GroupMember,
    GroupMemberChange,
    GroupSearch,
    ManagedSender,
    ManagedUrl,
    MessageDetail,
    MessageInfo,
    TrackedEmail,
)
from mimecast_async.pagination import nested_items
from mimecast_async.resources.archive import _SearchEntry

SAMPLES = Path(__file__).parent / "seed_samples"
MEMBER_PAGE, _ = nested_items("groupMembers", GroupMember)
TRACKING_PAGE, _ = nested_items("trackedEmails", TrackedEmail)

#: sample file -> the type each ``data`` item decodes as.
FORTISOAR: dict[str, Any] = {
    "fortisoar_create_blocked_sender_policy": BlockedSenderPolicy,
    "fortisoar_get_blocked_sender_policy": BlockedSenderPolicy,
    "fortisoar_update_blocked_sender_policy": BlockedSenderPolicy,
    "fortisoar_delete_blocked_sender_policy": DeletedPolicy,
    "fortisoar_create_group": Group,
    "fortisoar_find_groups": GroupSearch,
    "fortisoar_update_group": Group,
    "fortisoar_delete_group": DeletedGroup,
    "fortisoar_add_group_member": GroupMemberChange,
    "fortisoar_get_group_member": MEMBER_PAGE,
    "fortisoar_remove_group_member": GroupMemberChange,
    "fortisoar_block_sender": ManagedSender,
    "fortisoar_unblock_sender": ManagedSender,
    # The seed prints the get-message-list schema under "Get Managed URL" (a doc slip); the
    # managed-URL shape is the one under Blacklist/Whitelist URL.
    "fortisoar_get_managed_url": ArchiveMessage,
    "fortisoar_blacklist_url": ManagedUrl,
    "fortisoar_whitelist_url": ManagedUrl,
    "fortisoar_get_message_list": ArchiveMessage,
    "fortisoar_get_archive_search_message_details": MessageDetail,
    "fortisoar_get_message_info": MessageInfo,
    "fortisoar_archive_search": _SearchEntry,
    "fortisoar_message_search": TRACKING_PAGE,
    "fortisoar_get_aliases": AliasList,
    "fortisoar_decode_url": DecodedUrl,
    # The seed prints the find-groups schema under "Get TTP URL Logs" (another doc slip).
    "fortisoar_get_ttp_url_logs": GroupSearch,
}
#: Log samples belong to the log models (client.logs), tested with them.
NOT_ADMIN = {"fortisoar_get_search_url_logs"}

SAMPLE_VALUES = {
    str: "sample-text",
    int: 7,
    float: 7.5,
    bool: True,
    datetime: "2021-06-01T04:47:53+0000",
}
#: Fields the SOAR platforms add around Mimecast's answer.
SOAR_FIELDS = {"has_error", "error"}


def _unwrap(info: Any) -> Any:
    """The non-None member of an Optional type."""
    if isinstance(info, msgspec.inspect.UnionType):
        members = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return members[0] if len(members) == 1 else info
    return info


def _typed(sample: Any, info: Any) -> Any:
    """``sample`` with each ``""`` placeholder replaced by a value of the field's type."""
    info = _unwrap(info)
    if isinstance(sample, dict):
        if isinstance(info, msgspec.inspect.StructType):
            fields = {field.encode_name: field.type for field in info.fields}
            return {key: _typed(value, fields.get(key)) for key, value in sample.items()}
        if isinstance(info, msgspec.inspect.DictType):
            return {key: _typed(value, info.value_type) for key, value in sample.items()}
        return sample
    if isinstance(sample, list):
        item = info.item_type if isinstance(info, msgspec.inspect.ListType) else None
        return [_typed(value, item) for value in sample]
    if sample == "" and info is not None:
        for python_type, value in SAMPLE_VALUES.items():
            kind = getattr(msgspec.inspect, f"{python_type.__name__.title()}Type", None)
            if python_type is datetime:
                kind = msgspec.inspect.DateTimeType
            if kind is not None and isinstance(info, kind):
                return value
    return sample


def _leaf_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every non-empty leaf (``[]`` and ``{}`` have nothing to lose)."""
    if isinstance(value, dict):
        paths: set[str] = set()
        for key, item in value.items():
            if key not in SOAR_FIELDS:
                paths |= _leaf_paths(item, f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(value, list):
        paths = set()
        for item in value:
            paths |= _leaf_paths(item, prefix + "[]")
        return paths
    return {prefix}


def _round_trip(items: list[Any], item_type: Any) -> list[Any]:
    body = msgspec.json.encode({"meta": {"status": 200}, "data": items, "fail": []})
    decoded = decode_envelope(body, item_type).data
    return [msgspec.to_builtins(record) for record in decoded]


def _load(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def test_every_sample_is_covered() -> None:
    names = {path.stem for path in SAMPLES.glob("*.json")}
    covered = set(FORTISOAR) | NOT_ADMIN | set(LOGICHUB) | LOGICHUB_NOT_ADMIN
    assert names == covered


@pytest.mark.parametrize("name", sorted(FORTISOAR))
def test_fortisoar_schema_decodes_without_loss(name: str) -> None:
    item_type = FORTISOAR[name]
    items = [_typed(item, msgspec.inspect.type_info(item_type)) for item in _load(name)["data"]]
    encoded = _round_trip(items, item_type)
    missing = _leaf_paths(items) - _leaf_paths(encoded)
    assert not missing, f"{name}: fields lost in decoding: {sorted(missing)}"


#: LogicHub examples: sample file -> (key holding the records, record type).
LOGICHUB: dict[str, tuple[str | None, Any]] = {
    "logichub_get_message_details": (None, MessageInfo),
    "logichub_get_group_members": (None, GroupMember),
    "logichub_add_group_member": ("data", GroupMemberChange),
    "logichub_get_policy": ("result", BlockedSenderPolicy),
    "logichub_create_policy": ("data", BlockedSenderPolicy),
}
#: TTP log examples (client.logs), and the "Find groups" example, which is an attachment log.
LOGICHUB_NOT_ADMIN = {
    "logichub_get_ttp_url_logs",
    "logichub_get_ttp_impersonation_protection_logs",
    "logichub_get_ttp_attachment_protection_logs",
    "logichub_find_groups",
}


@pytest.mark.parametrize("name", sorted(LOGICHUB))
def test_logichub_example_decodes_as_is(name: str) -> None:
    key, item_type = LOGICHUB[name]
    sample = _load(name)
    items = sample[key] if key else [sample]
    encoded = _round_trip(items, item_type)
    missing = _leaf_paths(items) - _leaf_paths(encoded)
    assert not missing, f"{name}: fields lost in decoding: {sorted(missing)}"


def test_logichub_policy_fields_are_typed() -> None:
    body = (SAMPLES / "logichub_create_policy.json").read_bytes()
    policy = decode_envelope(body, BlockedSenderPolicy).data[0]
    assert policy.option == "no_action"
    assert policy.policy.from_.email_address and policy.policy.from_.type == (
        "individual_email_address"
    )
    assert policy.policy.from_eternal is True and policy.policy.override is False
    assert policy.policy.create_time == datetime.fromisoformat("2022-05-12T06:24:39+00:00")
    assert policy.policy.to_date.year == 2100


def test_logichub_message_info_nesting() -> None:
    info = msgspec.convert(_load("logichub_get_message_details"), MessageInfo, strict=False)
    ((_address, delivered),) = info.delivered_message.items()
    assert delivered.policy_info[0].inherited is False
    assert delivered.delivery_meta_info.components[0].size == 4075
    assert info.spam_info.spam_processing_detail.verdict.categories[0].subcategories[0]
    assert info.spam_info.spam_processing_detail.rbl.allow is True
    assert info.retention_info.retention_adjustment_days == -1
    assert info.recipient_info.recipient_meta_info.message_expires_in == 3650
    assert info.recipient_info.message_info.sent_at is None  # "Date String" placeholder


def test_acronym_and_keyword_names() -> None:
    tracked = msgspec.convert(
        {"senderIP": "192.0.2.1", "fromEnv": {"emailAddress": "a@b.example"}},
        TrackedEmail,
        strict=False,
    )
    assert tracked.sender_ip == "192.0.2.1" and tracked.from_env.email_address == "a@b.example"
    hit = msgspec.convert(
        {"displayfrom": "A", "receiveddate": "2011-12-03T10:15:30+0000", "attachmentcount": "2"},
        _SearchEntry,
        strict=False,
    )
    assert hit.display_from == "A" and hit.attachment_count == 2
    assert hit.received_date is not None and hit.received_date.utcoffset() is not None
