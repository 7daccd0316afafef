"""Message tracking records (``/api/message-finder/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/

The ``get-message-info`` timestamps (``sent``, ``processed``, ``transmissionStart``, purge dates)
are kept as Mimecast's text, because Mimecast's own examples put placeholders there; the
``*_at`` properties parse them into aware datetimes (None when the text is not a timestamp).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..dates import parse_datetime
from .archive import Address
from .base import Model

__all__ = [
    "DeliveredMessage",
    "DeliveryMetaInfo",
    "MessageComponent",
    "MessageInfo",
    "MessageInfoDetail",
    "PolicyInfo",
    "RecipientInfo",
    "RecipientMetaInfo",
    "RetentionInfo",
    "SpamCheck",
    "SpamInfo",
    "SpamProcessingDetail",
    "SymbolGroup",
    "TrackedEmail",
    "Verdict",
    "VerdictAugmentation",
    "VerdictCategory",
    "VerdictSubcategory",
]


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


class TrackedEmail(Model):
    """One ``message-finder/search`` hit (``data[0].trackedEmails[]``)."""

    id: str = ""
    status: str | None = None
    subject: str | None = None
    received: datetime | None = None
    sent: datetime | None = None
    from_env: Address | None = None
    from_hdr: Address | None = None
    to: list[Address] = msgspec.field(default_factory=list)
    sender_ip: str | None = msgspec.field(default=None, name="senderIP")
    route: str | None = None
    attachments: bool | None = None
    spam_score: int | None = None
    detection_level: str | None = None


class MessageComponent(Model):
    """One MIME part listed in the transmission metadata."""

    name: str | None = None
    type: str | None = None
    mime_type: str | None = None
    extension: str | None = None
    size: int | None = None


class MessageInfoDetail(Model):
    """``messageInfo``: the message as Mimecast saw it (bodies, addresses, timestamps)."""

    subject: str | None = None
    from_header: str | None = None
    from_envelope: str | None = None
    to: list[str] = msgspec.field(default_factory=list)
    cc: list[str] = msgspec.field(default_factory=list)
    sent: str | None = None
    processed: str | None = None
    route: str | None = None
    html_body: str | None = None
    text_body: str | None = None
    transmission_info: str | None = None
    attachments: list[Any] = msgspec.field(default_factory=list)

    @property
    def sent_at(self) -> datetime | None:
        return _when(self.sent)

    @property
    def processed_at(self) -> datetime | None:
        return _when(self.processed)


class _TransmissionMeta(Model):
    remote_host: str | None = None
    remote_ip: str | None = None
    remote_server_greeting: str | None = None
    processing_server: str | None = None
    encryption_info: str | None = None
    receipt_acknowledgement: str | None = None
    transmission_start: str | None = None
    transmission_end: str | None = None
    transmission_size: int | None = None
    message_expires_in: int | None = None
    components: list[MessageComponent] = msgspec.field(default_factory=list)

    @property
    def transmission_start_at(self) -> datetime | None:
        return _when(self.transmission_start)

    @property
    def transmission_end_at(self) -> datetime | None:
        return _when(self.transmission_end)


class RecipientMetaInfo(_TransmissionMeta):
    """``recipientMetaInfo``: how the message was received."""

    receipt_event: str | None = None
    spam_event: str | None = None
    binary_email_size: int | None = None


class DeliveryMetaInfo(_TransmissionMeta):
    """``deliveryMetaInfo``: how the message was delivered to one recipient."""

    email_address: str | None = None
    delivery_event: str | None = None


class RecipientInfo(Model):
    """``recipientInfo``: the inbound copy."""

    message_info: MessageInfoDetail | None = None
    recipient_meta_info: RecipientMetaInfo | None = None


class PolicyInfo(Model):
    """A policy that applied to a delivery."""

    policy_name: str | None = None
    policy_type: str | None = None
    inherited: bool | None = None


class DeliveredMessage(Model):
    """One entry of ``deliveredMessage`` (keyed by recipient address)."""

    message_info: MessageInfoDetail | None = None
    policy_info: list[PolicyInfo] = msgspec.field(default_factory=list)
    delivery_meta_info: DeliveryMetaInfo | None = None


class RetentionInfo(Model):
    """``retentionInfo``: purge dates, holds and audits."""

    current_purge_date: str | None = None
    original_purge_date: str | None = None
    retention_adjustment_days: int | None = None
    purge_based_on: str | None = None
    litigation_hold_info: list[Any] = msgspec.field(default_factory=list)
    smart_tags: list[Any] = msgspec.field(default_factory=list)
    fbr_stamps: list[Any] = msgspec.field(default_factory=list)
    fbr_expire_check: list[Any] = msgspec.field(default_factory=list)
    audits: list[Any] = msgspec.field(default_factory=list)

    @property
    def current_purge_at(self) -> datetime | None:
        return _when(self.current_purge_date)


class SpamCheck(Model):
    """One check of the spam scan (RBL, SPF, DKIM, DMARC, ...): ``allow`` and ``info``."""

    allow: bool | None = None
    info: str | None = None


class SymbolGroup(Model):
    """A group of spam-scan symbols that fired."""

    name: str | None = None
    description: str | None = None


class VerdictAugmentation(Model):
    name: str | None = None
    risk: str | None = None


class VerdictSubcategory(Model):
    name: str | None = None
    risk: str | None = None
    augmentations: list[VerdictAugmentation] = msgspec.field(default_factory=list)


class VerdictCategory(Model):
    name: str | None = None
    risk: str | None = None
    subcategories: list[VerdictSubcategory] = msgspec.field(default_factory=list)


class Verdict(Model):
    """The spam verdict: decision, risk and the categories behind it."""

    decision: str | None = None
    description: str | None = None
    risk: str | None = None
    categories: list[VerdictCategory] = msgspec.field(default_factory=list)


class SpamProcessingDetail(Model):
    """``spamProcessingDetail``: the individual checks and the verdict."""

    rbl: SpamCheck | None = None
    spf: SpamCheck | None = None
    dkim: SpamCheck | None = None
    dmarc: SpamCheck | None = None
    permitted_sender: SpamCheck | None = None
    managed_sender: SpamCheck | None = None
    grey_email: bool | None = None
    symbol_groups: list[SymbolGroup] = msgspec.field(default_factory=list)
    verdict: Verdict | None = None


class SpamInfo(Model):
    """``spamInfo``: score, detection level and processing detail."""

    id: str | None = None
    spam_score: int | None = None
    detection_level: str | None = None
    spam_processing_detail: SpamProcessingDetail | None = None


class MessageInfo(Model):
    """``get-message-info``: the full tracking record of one message."""

    id: str = ""
    status: str | None = None
    recipient_info: RecipientInfo | None = None
    delivered_message: dict[str, DeliveredMessage] = msgspec.field(default_factory=dict)
    retention_info: RetentionInfo | None = None
    spam_info: SpamInfo | None = None
