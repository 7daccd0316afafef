"""Deterministic sample data for the emulator's admin state (see :mod:`.admin`).

Everything here is a pure function of the seed: the same seed gives the same ids, addresses,
subjects and timestamps. Timestamps are spread over the 30 days before :data:`ANCHOR`, a fixed
instant, so tests can rely on them; the organisation's own domain is :data:`INTERNAL_DOMAIN`.
Record shapes follow the seeds' JSON schemas (FortiSOAR and LogicHub connector docs).
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..dates import format_datetime

__all__ = [
    "ANCHOR",
    "INTERNAL_DOMAIN",
    "SeedData",
    "build_seed_data",
    "format_time",
    "is_internal",
    "make_id",
]

#: Seeded timestamps lie in the 30 days before this instant.
ANCHOR = datetime(2024, 3, 1, tzinfo=timezone.utc)
INTERNAL_DOMAIN = "example.com"
ALIAS_DOMAINS = ("example.co.uk", "mail.example.com")
EXTERNAL_DOMAINS = ("partner.example.net", "vendor.example.org", "news.example.io", "spam.example")

_FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
_LAST = ("smith", "jones", "brown", "taylor", "wilson", "evans", "clark", "lewis")
_SUBJECTS = (
    "Quarterly report",
    "Invoice overdue",
    "Team lunch on Friday",
    "Password reset requested",
    "Contract draft for review",
    "Your parcel is on its way",
    "Meeting notes",
    "Urgent wire transfer",
)
_FILES = (
    ("report.pdf", "pdf", "application/pdf"),
    ("budget.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("slides.pptx", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.sheet"),
    ("notes.txt", "txt", "text/plain"),
    ("photo.png", "png", "image/png"),
    ("archive.zip", "zip", "application/zip"),
    ("letter.docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml"),
)
_HOLD_REASONS = (
    ("Spam Detection", "spam", "default_spam_policy"),
    ("Attachment Protection", "attachment", "attachment_protect"),
    ("Content Examination", "content", "content_policy"),
    ("Impersonation Protection", "impersonation", "impersonation_protect"),
)
_HELD_GROUPS = ("administrator", "user", "moderator")


def make_id(seed: int, kind: str, number: int) -> str:
    """A Mimecast-looking opaque id (``eNo...``), unique per (seed, kind, number)."""
    digest = hashlib.sha256(f"{seed}:{kind}:{number}".encode()).digest()
    return "eNo" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def format_time(value: datetime) -> str:
    """Mimecast's response timestamp form, ``2011-12-03T10:15:30+0000``."""
    return format_datetime(value)


def is_internal(address_or_domain: str) -> bool:
    """Whether an address or domain belongs to the emulated organisation."""
    domain = address_or_domain.rsplit("@", 1)[-1].lower()
    return domain == INTERNAL_DOMAIN or domain.endswith("." + INTERNAL_DOMAIN)


def _party(address: str, name: str = "") -> dict[str, Any]:
    return {"emailAddress": address, "displayableName": name}


@dataclass
class SeedData:
    """The seeded records, keyed by id (or by lower-cased address for users)."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    managed_senders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    managed_urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    encoded_urls: dict[str, str] = field(default_factory=dict)
    held_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    hold_extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    archive_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracked_emails: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracked_message_ids: dict[str, str] = field(default_factory=dict)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.numbers: dict[str, int] = {}
        self.data = SeedData()
        self.people: list[tuple[str, str]] = []  # (address, display name), internal users
        self.outsiders: list[tuple[str, str]] = []

    def new_id(self, kind: str) -> str:
        number = self.numbers.get(kind, 0)
        self.numbers[kind] = number + 1
        return make_id(self.seed, "seed-" + kind, number)

    def when(self, max_days: int = 30) -> datetime:
        return ANCHOR - timedelta(seconds=self.rng.randint(60, max_days * 86400))

    def build(self) -> SeedData:
        self.build_users()
        self.build_groups()
        self.build_policies()
        self.build_senders_and_urls()
        self.build_holds()
        self.build_archive()
        self.build_tracking()
        return self.data

    def build_users(self) -> None:
        names = [(first, last) for first in _FIRST for last in _LAST]
        self.rng.shuffle(names)
        for first, last in names[:6]:
            address = f"{first}.{last}@{INTERNAL_DOMAIN}"
            display = f"{first.title()} {last.title()}"
            self.people.append((address, display))
            aliases = []
            for number, domain in enumerate(ALIAS_DOMAINS[: self.rng.randint(0, 2)]):
                local = f"{first}.{last}" if number == 0 else first
                alias = f"{local}@{domain}"
                aliases.append(
                    {
                        "emailAddress": alias,
                        "domain": domain,
                        "type": "alias",
                        "displayName": display,
                        "isInternal": True,
                    }
                )
            self.data.users[address] = {
                "emailAddress": address,
                "displayName": display,
                "aliases": aliases,
            }
        for first, last in names[6:12]:
            domain = self.rng.choice(EXTERNAL_DOMAINS)
            self.outsiders.append((f"{first}{last[0]}@{domain}", f"{first.title()} {last.title()}"))

    def build_groups(self) -> None:
        root = make_id(self.seed, "root-folder", 0)
        plan = (
            ("Blocked Senders", "cloud", None),
            ("VIP Users", "cloud", None),
            ("Finance Team", "cloud", None),
            ("Finance Contractors", "cloud", "Finance Team"),
            ("Permitted Partners", "cloud", None),
            ("All Staff", "ldap", None),
            ("Engineering", "ldap", None),
        )
        by_name: dict[str, str] = {}
        for description, source, parent in plan:
            group_id = self.new_id("group")
            by_name[description] = group_id
            self.data.groups[group_id] = {
                "id": group_id,
                "description": description,
                "source": source,
                "parentId": by_name[parent] if parent else root,
            }
            members: list[dict[str, Any]] = []
            count = self.rng.randint(2, 5)
            pool = self.outsiders if description in ("Blocked Senders",) else self.people
            for address, display in self.rng.sample(pool, min(count, len(pool))):
                members.append(self.member(address=address, name=display))
            if description in ("Blocked Senders", "Permitted Partners"):
                members.append(self.member(domain=self.rng.choice(EXTERNAL_DOMAINS)))
            self.data.group_members[group_id] = members

    def member(self, *, address: str = "", domain: str = "", name: str = "") -> dict[str, Any]:
        return {
            "id": self.new_id("member"),
            "emailAddress": address,
            "domain": domain,
            "internal": is_internal(address or domain),
            "type": "created_manually" if address else "",
            "name": name,
            "notes": "",
        }

    def build_policies(self) -> None:
        created = format_time(ANCHOR - timedelta(days=40))
        outsider = self.outsiders[0][0]
        blocked_group = next(iter(self.data.groups))
        plans = (
            (
                "block_sender",
                "Block a known phisher",
                {"type": "individual_email_address", "emailAddress": outsider},
                outsider,
            ),
            (
                "block_sender",
                "Block a spam domain",
                {"type": "email_domain", "emailDomain": "spam.example"},
                "spam.example",
            ),
            (
                "no_action",
                "Monitor the blocked-senders group",
                {"type": "profile_group", "groupId": blocked_group},
                blocked_group,
            ),
        )
        for number, (option, description, sender, value) in enumerate(plans):
            policy_id = self.new_id("policy")
            self.data.policies[policy_id] = {
                "id": policy_id,
                "option": option,
                "policy": {
                    "description": description,
                    "fromPart": "envelope_from" if number != 1 else "both",
                    "from": sender,
                    "to": {"type": "everyone"},
                    "fromType": sender["type"],
                    "fromValue": value,
                    "toType": "everyone",
                    "fromEternal": True,
                    "toEternal": True,
                    "fromDate": "1900-01-01T00:00:00+0000",
                    "toDate": "2100-01-01T23:59:59+0000",
                    "override": False,
                    "bidirectional": False,
                    "conditions": {"sourceIPs": ["203.0.113.0/24"]} if number == 1 else {},
                    "enabled": True,
                    "enforced": False,
                    "createTime": created,
                    "lastUpdated": created,
                },
            }

    def build_senders_and_urls(self) -> None:
        for (sender, _), (recipient, _), kind in zip(
            self.outsiders[:2], self.people[:2], ("Block", "Permit"), strict=True
        ):
            entry_id = self.new_id("managed-sender")
            self.data.managed_senders[(sender.lower(), recipient.lower())] = {
                "id": entry_id,
                "sender": sender,
                "to": recipient,
                "type": kind,
            }
        plans = (
            ("https", "malware.example", "/payload", "", "explicit", "block", "Known dropper"),
            ("http", "phish.example", "", "", "domain", "block", "Phishing kit"),
            ("https", "intranet.example.com", "/wiki", "page=1", "explicit", "permit", ""),
        )
        for scheme, domain, path, query, match, action, comment in plans:
            url_id = self.new_id("managed-url")
            self.data.managed_urls[url_id] = {
                "id": url_id,
                "scheme": scheme,
                "domain": domain,
                "port": -1,
                "path": path,
                "queryString": query,
                "matchType": match,
                "action": action,
                "comment": comment,
                "disableRewrite": action == "permit",
                "disableUserAwareness": False,
                "disableLogClick": False,
            }

    def build_holds(self) -> None:
        for _ in range(30):
            hold_id = self.new_id("held")
            sender, sender_name = self.rng.choice(self.outsiders)
            recipient, recipient_name = self.rng.choice(self.people)
            policy, reason, reason_id = self.rng.choice(_HOLD_REASONS)
            has_attachments = self.rng.random() < 0.4
            self.data.held_messages[hold_id] = {
                "id": hold_id,
                "dateReceived": format_time(self.when()),
                "from": _party(sender, sender_name),
                "fromHeader": _party(sender, sender_name),
                "to": _party(recipient, recipient_name),
                "toHeader": _party(recipient, recipient_name),
                "subject": self.rng.choice(_SUBJECTS),
                "reason": f"{policy} triggered",
                "reasonCode": reason,
                "reasonId": reason_id,
                "policyInfo": policy,
                "route": "inbound",
                "size": self.rng.randint(2_000, 900_000),
                "hasAttachments": has_attachments,
            }
            self.data.hold_extras[hold_id] = {
                "senderIP": f"198.51.100.{self.rng.randint(1, 254)}",
                "heldGroup": self.rng.choice(_HELD_GROUPS),
            }
        ordered = sorted(
            self.data.held_messages.values(), key=lambda record: record["dateReceived"]
        )
        self.data.held_messages = {record["id"]: record for record in reversed(ordered)}

    def build_archive(self) -> None:
        records: list[dict[str, Any]] = []
        for number in range(40):
            outbound = self.rng.random() < 0.3
            if outbound:
                sender = self.rng.choice(self.people)
                recipients = [self.rng.choice(self.outsiders)]
            else:
                sender = self.rng.choice(self.outsiders + self.people[:1])
                recipients = self.rng.sample(self.people, self.rng.randint(1, 2))
            copies = self.rng.sample(self.people, self.rng.randint(0, 1))
            received = self.when()
            subject = f"{self.rng.choice(_SUBJECTS)} #{number}"
            files = self.rng.sample(_FILES, self.rng.choice((0, 0, 1, 2)))
            message_id = self.new_id("archive")
            attachments: list[dict[str, Any]] = [
                {
                    "id": self.new_id("attachment"),
                    "filename": name,
                    "extension": extension,
                    "contentType": content_type,
                    "contentId": "",
                    "bodyType": "ATTACHMENT",
                    "sha256": hashlib.sha256(f"{message_id}:{name}".encode()).hexdigest(),
                    "size": self.rng.randint(1_000, 500_000),
                }
                for name, extension, content_type in files
            ]
            size = 2_000 + sum(attachment["size"] for attachment in attachments)
            mime_id = f"<{message_id[3:19]}@mail.{sender[0].split('@')[1]}>"
            stamp = format_time(received)
            records.append(
                {
                    "id": message_id,
                    "status": "ARCHIVED",
                    "smash": hashlib.sha1(message_id.encode()).hexdigest(),
                    "mimeMessageId": mime_id,
                    "hasHtmlBody": self.rng.random() < 0.5,
                    "hasTextBody": True,
                    "isPassthrough": False,
                    "subject": subject,
                    "size": size,
                    "received": stamp,
                    "processed": stamp,
                    "headerDate": format_time(received - timedelta(seconds=5)),
                    "from": _party(*sender),
                    "envelopeFrom": _party(sender[0]),
                    "replyTo": _party(*sender),
                    "to": [_party(*recipient) for recipient in recipients],
                    "cc": [_party(*copy) for copy in copies],
                    "headers": [
                        {"name": "Message-ID", "values": [mime_id]},
                        {"name": "Subject", "values": [subject]},
                        {"name": "From", "values": [f"{sender[1]} <{sender[0]}>"]},
                    ],
                    "attachments": attachments,
                    "messageBodyPreview": f"Hello, please see: {subject.lower()}.",
                }
            )
        records.sort(key=lambda record: record["received"], reverse=True)
        self.data.archive_messages = {record["id"]: record for record in records}

    def build_tracking(self) -> None:
        for number in range(20):
            tracked_id = self.new_id("tracked")
            route = self.rng.choice(("inbound", "inbound", "outbound", "internal"))
            if route == "inbound":
                sender, recipient = self.rng.choice(self.outsiders), self.rng.choice(self.people)
            elif route == "outbound":
                sender, recipient = self.rng.choice(self.people), self.rng.choice(self.outsiders)
            else:
                sender, recipient = self.rng.sample(self.people, 2)
            received = self.when()
            sent = format_time(received - timedelta(seconds=3))
            subject = f"{self.rng.choice(_SUBJECTS)} ({number})"
            status = self.rng.choice(("Delivered", "Delivered", "Held", "Bounced", "Rejected"))
            spam_score = self.rng.randint(0, 10)
            level = self.rng.choice(("relaxed", "moderate", "aggressive"))
            ip = f"192.0.2.{self.rng.randint(1, 254)}"
            has_attachments = self.rng.random() < 0.3
            self.data.tracked_message_ids[tracked_id] = (
                f"<{tracked_id[3:21]}@mail.{sender[0].split('@')[1]}>"
            )
            self.data.tracked_emails[tracked_id] = {
                "id": tracked_id,
                "fromEnv": _party(*sender),
                "fromHdr": _party(*sender),
                "to": [_party(*recipient)],
                "received": format_time(received),
                "sent": sent,
                "subject": subject,
                "senderIP": ip,
                "route": route,
                "status": status,
                "attachments": has_attachments,
                "spamScore": spam_score,
                "detectionLevel": level,
            }
            self.data.message_info[tracked_id] = self.message_info(
                tracked_id, sender, recipient, received, subject, status, route, ip, level
            )
            self.data.message_info[tracked_id]["spamInfo"]["spamScore"] = spam_score

    def message_info(
        self,
        tracked_id: str,
        sender: tuple[str, str],
        recipient: tuple[str, str],
        received: datetime,
        subject: str,
        status: str,
        route: str,
        ip: str,
        level: str,
    ) -> dict[str, Any]:
        stamp = format_time(received)
        start = format_time(received - timedelta(seconds=2))
        body: dict[str, Any] = {
            "mimeType": "text/plain",
            "type": "Email Primary Body Plain Text",
            "name": "body.txt",
            "extension": "txt",
            "size": self.rng.randint(500, 9000),
        }
        message_info = {
            "attachments": [],
            "cc": [],
            "htmlBody": "",
            "transmissionInfo": "TLS 1.2",
            "fromHeader": sender[0],
            "subject": subject,
            "textBody": f"Hello, please see: {subject.lower()}.",
            "to": [recipient[0]],
            "processed": stamp,
            "fromEnvelope": sender[0],
            "sent": format_time(received - timedelta(seconds=3)),
        }
        verdict_risk = "negligible" if level == "relaxed" else "low"
        check = {"allow": True, "info": "pass"}
        return {
            "id": tracked_id,
            "status": status,
            "recipientInfo": {
                "messageInfo": dict(message_info),
                "recipientMetaInfo": {
                    "remoteServerGreeting": f"220 mx.{sender[0].split('@')[1]} ESMTP",
                    "encryptionInfo": "TLS 1.2",
                    "receiptAcknowledgement": "250 2.0.0 Ok",
                    "receiptEvent": "Receipt",
                    "transmissionEnd": stamp,
                    "spamEvent": "Passed",
                    "messageExpiresIn": 3650,
                    "processingServer": "eu-smtp-1.mimecast.example",
                    "binaryEmailSize": body["size"] + 700,
                    "transmissionSize": body["size"] + 700,
                    "remoteHost": f"mx.{sender[0].split('@')[1]}",
                    "transmissionStart": start,
                    "remoteIp": ip,
                    "components": [dict(body)],
                },
            },
            "deliveredMessage": {
                recipient[0]: {
                    "messageInfo": dict(message_info, route=route),
                    "policyInfo": [
                        {
                            "policyName": "Default Anti-Spoofing",
                            "policyType": "Anti-Spoofing",
                            "inherited": False,
                        }
                    ],
                    "deliveryMetaInfo": {
                        "remoteServerGreeting": "220 mailstore.example.com ESMTP",
                        "encryptionInfo": "TLS 1.2",
                        "receiptAcknowledgement": "250 2.0.0 Ok: queued",
                        "emailAddress": recipient[0],
                        "messageExpiresIn": 3650,
                        "processingServer": "eu-smtp-2.mimecast.example",
                        "transmissionSize": body["size"] + 700,
                        "remoteHost": "mailstore.example.com",
                        "transmissionStart": stamp,
                        "remoteIp": "10.0.0.25",
                        "components": [dict(body)],
                        "transmissionEnd": stamp,
                        "deliveryEvent": "Delivered" if status == "Delivered" else status,
                    },
                }
            },
            "retentionInfo": {
                "currentPurgeDate": format_time(received + timedelta(days=3650)),
                "originalPurgeDate": format_time(received + timedelta(days=3650)),
                "retentionAdjustmentDays": 0,
                "fbrExpireCheck": [],
                "fbrStamps": [],
                "audits": [],
                "litigationHoldInfo": [],
                "smartTags": [],
                "purgeBasedOn": "received",
            },
            "spamInfo": {
                "spamScore": 0,
                "detectionLevel": level,
                "spamProcessingDetail": {
                    "rbl": dict(check),
                    "greyEmail": False,
                    "spf": dict(check),
                    "dkim": dict(check),
                    "dmarc": dict(check),
                    "permittedSender": {"allow": False, "info": ""},
                    "managedSender": {"allow": False, "info": ""},
                    "symbolGroups": [{"name": "headers", "description": "Header checks"}],
                    "verdict": {
                        "decision": "allow",
                        "description": "No spam indicators",
                        "risk": verdict_risk,
                        "categories": [
                            {
                                "name": "spam",
                                "risk": verdict_risk,
                                "subcategories": [
                                    {
                                        "name": "content",
                                        "risk": verdict_risk,
                                        "augmentations": [
                                            {"name": "reputation", "risk": verdict_risk}
                                        ],
                                    }
                                ],
                            }
                        ],
                    },
                },
                "id": tracked_id,
            },
        }


def build_seed_data(seed: int) -> SeedData:
    """All seeded admin records for ``seed``."""
    return _Builder(seed).build()
