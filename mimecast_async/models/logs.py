"""Log records: TTP URL clicks, impersonation, attachments, archive search logs, audit events.

Shapes follow the endpoint references (and the LogicHub examples):
https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/
"""

from __future__ import annotations

from datetime import datetime

from .base import Model

__all__ = [
    "AttachmentLog",
    "AuditEvent",
    "ImpersonationLog",
    "ImpersonationResult",
    "SearchLog",
    "TtpUrlLog",
]


class TtpUrlLog(Model):
    """One URL click from ``data[0].clickLogs`` of ``/api/ttp/url/get-logs``."""

    date: datetime | None = None
    url: str | None = None
    user_email_address: str | None = None
    from_user_email_address: str | None = None
    action: str | None = None
    actions: str | None = None
    admin_override: str | None = None
    user_override: str | None = None
    scan_result: str | None = None
    category: str | None = None
    route: str | None = None
    user_awareness_action: str | None = None
    ttp_definition: str | None = None
    email_parts_description: list[str] | None = None
    subject: str | None = None
    sending_ip: str | None = None
    message_id: str | None = None
    creation_method: str | None = None


class ImpersonationResult(Model):
    """Why a message looked like an impersonation attempt."""

    impersonation_domain_source: str | None = None
    similar_domain: str | None = None
    string_similar_to_domain: str | None = None
    checker_result: str | None = None


class ImpersonationLog(Model):
    """One entry of ``data[0].impersonationLogs`` of ``/api/ttp/impersonation/get-logs``."""

    id: str | None = None
    event_time: datetime | None = None
    action: str | None = None
    definition: str | None = None
    hits: int | None = None
    identifiers: list[str] | None = None
    impersonation_results: list[ImpersonationResult] | None = None
    message_id: str | None = None
    recipient_address: str | None = None
    sender_address: str | None = None
    sender_ip_address: str | None = None
    subject: str | None = None
    tagged_external: bool | None = None
    tagged_malicious: bool | None = None


class AttachmentLog(Model):
    """One entry of ``data[0].attachmentLogs`` of ``/api/ttp/attachment/get-logs``."""

    date: datetime | None = None
    result: str | None = None
    sender_address: str | None = None
    recipient_address: str | None = None
    file_name: str | None = None
    file_type: str | None = None
    file_hash: str | None = None
    action_triggered: str | None = None
    route: str | None = None
    details: str | None = None
    subject: str | None = None
    message_id: str | None = None
    definition: str | None = None


class SearchLog(Model):
    """One archive search log from ``data[0].logs`` of ``/api/archive/get-search-logs``."""

    create_time: datetime | None = None
    email_addr: str | None = None
    source: str | None = None
    search_text: str | None = None
    search_reason: str | None = None
    description: str | None = None
    is_admin: bool | None = None
    search_path: str | None = None
    muse_query: str | None = None


class AuditEvent(Model):
    """One event from ``data[]`` of ``/api/audit/get-audit-events``."""

    id: str | None = None
    audit_type: str | None = None
    category: str | None = None
    event_info: str | None = None
    event_time: datetime | None = None
    user: str | None = None
