"""Blocked-sender policies: ``client.policies`` (``/api/policy/blockedsenders/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, get_args

from ..dates import format_datetime
from ..errors import InvalidInputError
from ..models.policies import (
    AddressesBasedOn,
    BlockedSenderPolicy,
    Policy,
    PolicyAddress,
    PolicyOption,
    ReceiverType,
    SenderType,
)
from ..pagination import AsyncPager
from ..validation import (
    require_choice,
    require_cidrs,
    require_domain,
    require_email,
    require_id,
    require_text,
)
from ._admin import first_item
from ._base import Resource

__all__ = ["PoliciesResource"]

_CREATE = "/api/policy/blockedsenders/create-policy"
_GET = "/api/policy/blockedsenders/get-policy"
_DELETE = "/api/policy/blockedsenders/delete-policy"

_OPTIONS: tuple[str, ...] = get_args(PolicyOption)
_SENDER_TYPES: tuple[str, ...] = get_args(SenderType)
_RECEIVER_TYPES: tuple[str, ...] = get_args(ReceiverType)
_FROM_PARTS: tuple[str, ...] = get_args(AddressesBasedOn)
#: The types that need a value, and the wire field that carries it.
_VALUE_FIELDS = {
    "individual_email_address": "emailAddress",
    "email_domain": "emailDomain",
    "profile_group": "groupId",
}


def party(
    kind: str, type_argument: str, value_argument: str, type_: Any, value: Any
) -> dict[str, str]:
    """Validate a sender/receiver type + value and build its ``from``/``to`` object."""
    choices = _SENDER_TYPES if kind == "from" else _RECEIVER_TYPES
    type_ = require_choice(type_argument, type_, choices)
    field = _VALUE_FIELDS.get(type_)
    if field is None:
        if value is not None:
            raise InvalidInputError(
                value_argument, value, f"not used with {type_argument}={type_!r}"
            )
        return {"type": type_}
    if value is None:
        raise InvalidInputError(value_argument, value, f"required with {type_argument}={type_!r}")
    if type_ == "individual_email_address":
        value = require_email(value_argument, value)
    elif type_ == "email_domain":
        value = require_domain(value_argument, value)
    else:
        value = require_id(value_argument, value)
    return {"type": type_, field: value}


def _current(policy: Policy | None, direction: str) -> tuple[str | None, str | None]:
    """The (type, value) of a fetched policy's ``from`` or ``to`` side.

    Mimecast answers with the nested object, the flat ``fromType``/``fromValue`` fields or both,
    and leaves unused fields as empty strings (MIMECAST_API.md §5.1, seed 000): each half is
    taken from whichever form has it, and an empty string counts as absent.
    """
    if policy is None:
        return None, None
    nested: PolicyAddress | None = policy.from_ if direction == "from" else policy.to
    flat_type, flat_value = (
        (policy.from_type, policy.from_value)
        if direction == "from"
        else (policy.to_type, policy.to_value)
    )
    kind = (nested.type if nested is not None else None) or flat_type or None
    value = (nested.value if nested is not None else None) or flat_value or None
    return kind, value


def _carried(policy: Policy | None, direction: str, kind: str, value: str | None) -> dict[str, Any]:
    """An unchanged side, sent back as Mimecast stored it.

    The SDK creates five types but Mimecast has more (``free_mail_domains``,
    ``header_display_name``, ``address_attribute_value``): an update that does not touch a side
    keeps it, with whatever fields it carries, instead of checking it as new input.
    """
    nested: PolicyAddress | None = None
    if policy is not None:
        nested = policy.from_ if direction == "from" else policy.to
    side: dict[str, Any] = {}
    if nested is not None:  # its fields under Mimecast's names, the empty ones left out
        side = {wire: stored for wire, stored in nested.to_dict().items() if stored}
    side["type"] = kind
    field = _VALUE_FIELDS.get(kind)
    if field is not None and field not in side and value:
        side[field] = value  # only in the flat fromValue / toValue
    return side


def _kept_fields(policy: Policy | None) -> dict[str, Any]:
    """Settings an update keeps from the current policy (the SDK does not manage them)."""
    if policy is None:
        return {}
    kept: dict[str, Any] = {}
    for name, wire in (
        ("bidirectional", "bidirectional"),
        ("comment", "comment"),
        ("override", "override"),
        ("from_eternal", "fromEternal"),
        ("to_eternal", "toEternal"),
    ):
        value = getattr(policy, name)
        if value is not None:
            kept[wire] = value
    for name, wire in (("from_date", "fromDate"), ("to_date", "toDate")):
        value = getattr(policy, name)
        if value is not None:
            kept[wire] = format_datetime(value, name)
    return kept


class PoliciesResource(Resource):
    """Create, read, update and delete blocked-sender policies."""

    async def create_blocked_sender(
        self,
        *,
        description: str,
        option: PolicyOption = "block_sender",
        sender_type: SenderType = "individual_email_address",
        sender_value: str | None = None,
        receiver_type: ReceiverType = "everyone",
        receiver_value: str | None = None,
        addresses_based_on: AddressesBasedOn = "envelope_from",
        source_ips: Iterable[str] | str = (),
    ) -> BlockedSenderPolicy:
        """Create a blocked-sender policy.

        https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/create-blocked-sender-policy/
        """
        item = {
            "option": require_choice("option", option, _OPTIONS),
            "policy": {
                "description": require_text("description", description),
                "fromPart": require_choice("addresses_based_on", addresses_based_on, _FROM_PARTS),
                "from": party("from", "sender_type", "sender_value", sender_type, sender_value),
                "to": party("to", "receiver_type", "receiver_value", receiver_type, receiver_value),
                "conditions": {"sourceIPs": require_cidrs("source_ips", source_ips)},
            },
        }
        response = await self._engine.call(
            _CREATE, [item], idempotent=False, item_type=BlockedSenderPolicy
        )
        result: BlockedSenderPolicy = first_item(response, _CREATE)
        return result

    async def get_blocked_sender(self, policy_id: str) -> BlockedSenderPolicy:
        """Fetch one blocked-sender policy by id.

        https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/get-blocked-sender-policy/
        """
        item = {"id": require_id("policy_id", policy_id)}
        response = await self._engine.call(_GET, [item], item_type=BlockedSenderPolicy)
        result: BlockedSenderPolicy = first_item(response, _GET)
        return result

    def list_blocked_senders(
        self, *, page_size: int = 100, limit: int | None = None
    ) -> AsyncPager[BlockedSenderPolicy]:
        """Every blocked-sender policy of the account (``get-policy`` with no id).

        https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/get-blocked-sender-policy/
        """
        return AsyncPager(
            self._client,
            _GET,
            None,
            item_type=BlockedSenderPolicy,
            page_size=page_size,
            limit=limit,
        )

    async def update_blocked_sender(
        self,
        policy_id: str,
        *,
        description: str | None = None,
        option: PolicyOption | None = None,
        sender_type: SenderType | None = None,
        sender_value: str | None = None,
        receiver_type: ReceiverType | None = None,
        receiver_value: str | None = None,
        addresses_based_on: AddressesBasedOn | None = None,
        source_ips: Iterable[str] | str | None = None,
    ) -> BlockedSenderPolicy:
        """Change the given settings of a policy, keeping the others.

        Mimecast documents no ``update-policy``: this reads the policy, then posts the merged
        policy to ``create-policy`` with its ``id`` (as public clients do).
        https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/create-blocked-sender-policy/
        """
        policy_id = require_id("policy_id", policy_id)
        changes: dict[str, Any] = {}
        if option is not None:
            changes["option"] = require_choice("option", option, _OPTIONS)
        if description is not None:
            changes["description"] = require_text("description", description)
        if addresses_based_on is not None:
            changes["fromPart"] = require_choice(
                "addresses_based_on", addresses_based_on, _FROM_PARTS
            )
        if sender_type is not None:
            changes["from"] = party(
                "from", "sender_type", "sender_value", sender_type, sender_value
            )
        if receiver_type is not None:
            changes["to"] = party(
                "to", "receiver_type", "receiver_value", receiver_type, receiver_value
            )
        if source_ips is not None:
            changes["conditions"] = {"sourceIPs": require_cidrs("source_ips", source_ips)}
        if not changes and sender_value is None and receiver_value is None:
            raise InvalidInputError("policy_id", policy_id, "nothing to update: pass a setting")
        # A value given without its type is checked against the policy's current type once it
        # is read; what no type accepts (not text, empty, control characters) is refused now.
        for argument, value, given in (
            ("sender_value", sender_value, sender_type),
            ("receiver_value", receiver_value, receiver_type),
        ):
            if value is not None and given is None:
                require_id(argument, value)

        current = await self.get_blocked_sender(policy_id)
        item = self._merged(policy_id, current, changes, sender_value, receiver_value)
        response = await self._engine.call(
            _CREATE, [item], idempotent=False, item_type=BlockedSenderPolicy
        )
        result: BlockedSenderPolicy = first_item(response, _CREATE)
        return result

    @staticmethod
    def _merged(
        policy_id: str,
        current: BlockedSenderPolicy,
        changes: dict[str, Any],
        sender_value: str | None,
        receiver_value: str | None,
    ) -> dict[str, Any]:
        """The full ``create-policy`` item: the current policy with ``changes`` applied."""
        old = current.policy
        policy: dict[str, Any] = _kept_fields(old)
        policy["description"] = changes.get("description", old.description if old else None)
        policy["fromPart"] = changes.get(
            "fromPart", (old.from_part if old else None) or "envelope_from"
        )
        for direction, value, type_arg, value_arg in (
            ("from", sender_value, "sender_type", "sender_value"),
            ("to", receiver_value, "receiver_type", "receiver_value"),
        ):
            if direction in changes:
                policy[direction] = changes[direction]
                continue
            old_type, old_value = _current(old, direction)
            if value is None and old_type is not None:
                policy[direction] = _carried(old, direction, old_type, old_value)
                continue
            policy[direction] = party(
                direction,
                type_arg,
                value_arg,
                old_type or ("individual_email_address" if direction == "from" else "everyone"),
                value if value is not None else old_value,
            )
        if "conditions" in changes:
            policy["conditions"] = changes["conditions"]
        elif old is not None and old.conditions is not None:
            policy["conditions"] = {"sourceIPs": list(old.conditions.source_ips)}
        if not policy["description"]:
            raise InvalidInputError("description", None, "the policy has none: pass one")
        return {
            "id": policy_id,
            "option": changes.get("option", current.option or "block_sender"),
            "policy": policy,
        }

    async def delete_blocked_sender(self, policy_id: str) -> None:
        """Delete a blocked-sender policy.

        https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/delete-blocked-sender-policy/
        """
        item = {"id": require_id("policy_id", policy_id)}
        await self._engine.call(_DELETE, [item], idempotent=False)
