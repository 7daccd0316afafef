"""Managed URLs and decoded URLs (``/api/ttp/url/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/
"""

from __future__ import annotations

from typing import Literal

from .base import Model

__all__ = ["DecodedUrl", "ManagedUrl", "ManagedUrlAction", "MatchType"]

#: ``matchType``: only this URL, or every URL on its domain.
MatchType = Literal["explicit", "domain"]
#: ``action`` of a managed URL.
ManagedUrlAction = Literal["block", "permit"]


class ManagedUrl(Model):
    """A managed (blocked or permitted) URL."""

    id: str = ""
    scheme: str | None = None
    domain: str | None = None
    port: int | None = None
    path: str | None = None
    query_string: str | None = None
    match_type: str | None = None
    action: str | None = None
    comment: str | None = None
    disable_rewrite: bool | None = None
    disable_user_awareness: bool | None = None
    disable_log_click: bool | None = None


class DecodedUrl(Model):
    """One ``decode-url`` answer: the decoded ``url`` and whether decoding worked.

    ``encoded_url`` is not sent by Mimecast: ``decode_many`` fills it with the URL you passed.
    """

    url: str = ""
    success: bool | None = None
    encoded_url: str | None = None
