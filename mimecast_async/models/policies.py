"""Blocked-sender policy records (``/api/policy/blockedsenders/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/blocked-sender-policies/
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from .base import Model

__all__ = [
    "AddressesBasedOn",
    "BlockedSenderPolicy",
    "DeletedPolicy",
    "Policy",
    "PolicyAddress",
    "PolicyConditions",
    "PolicyOption",
    "ReceiverType",
    "SenderType",
]

#: ``option``: what the policy does with matching mail.
PolicyOption = Literal["block_sender", "no_action"]
#: ``from.type``: who the policy applies to as sender.
SenderType = Literal[
    "individual_email_address",
    "email_domain",
    "profile_group",
    "internal_addresses",
    "external_addresses",
]
#: ``to.type``: who the policy protects as recipient.
ReceiverType = Literal[
    "everyone",
    "individual_email_address",
    "email_domain",
    "profile_group",
    "internal_addresses",
    "external_addresses",
]
#: ``fromPart``: which sender address the policy matches.
AddressesBasedOn = Literal["envelope_from", "header_from", "both"]


class PolicyAddress(Model):
    """The ``from`` / ``to`` object of a policy: a type plus the value that type needs."""

    type: str | None = None
    email_address: str | None = None
    email_domain: str | None = None
    group_id: str | None = None
    header_display_name: str | None = None
    attribute: dict[str, Any] | None = None

    @property
    def value(self) -> str | None:
        """The address, domain or group id, whichever this type carries."""
        return self.email_address or self.email_domain or self.group_id


class PolicyConditions(Model):
    """``conditions``: extra match conditions (source IP ranges in CIDR form, ...)."""

    source_ips: list[str] = msgspec.field(default_factory=list, name="sourceIPs")
    hostnames: list[str] = msgspec.field(default_factory=list)
    spf_domains: list[str] = msgspec.field(default_factory=list)


class Policy(Model):
    """The ``policy`` body: nested ``from``/``to`` plus the older flat ``fromType``/... form."""

    description: str | None = None
    from_part: str | None = None
    from_: PolicyAddress | None = msgspec.field(default=None, name="from")
    to: PolicyAddress | None = None
    from_type: str | None = None
    from_value: str | None = None
    to_type: str | None = None
    to_value: str | None = None
    bidirectional: bool | None = None
    comment: str | None = None
    conditions: PolicyConditions | None = None
    from_date: datetime | None = None
    to_date: datetime | None = None
    from_eternal: bool | None = None
    to_eternal: bool | None = None
    override: bool | None = None
    enabled: bool | None = None
    enforced: bool | None = None
    create_time: datetime | None = None
    last_updated: datetime | None = None


class BlockedSenderPolicy(Model):
    """One blocked-sender policy: ``id``, ``option`` and the ``policy`` body."""

    id: str = ""
    option: str | None = None
    policy: Policy | None = None


class DeletedPolicy(Model):
    """The answer of ``delete-policy``: the id echoed, and a ``deleted`` flag on some tenants."""

    id: str = ""
    deleted: bool | None = None
