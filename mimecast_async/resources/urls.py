"""Managed URLs and URL decoding: ``client.urls`` (``/api/ttp/url/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, get_args

from ..batch import BatchFailure, BatchResult
from ..errors import FailedRequestError
from ..models.urls import DecodedUrl, ManagedUrl, ManagedUrlAction, MatchType
from ..validation import (
    require_bool,
    require_choice,
    require_domain,
    require_id,
    require_items,
    require_line,
    require_text,
    require_url,
)
from ._admin import first_item, run_batch
from ._base import Resource

__all__ = ["URLS_PER_DECODE", "UrlsResource"]

_LIST = "/api/ttp/url/get-all-managed-urls"
_CREATE = "/api/ttp/url/create-managed-url"
_DELETE = "/api/ttp/url/delete-managed-url"
_DECODE = "/api/ttp/url/decode-url"
#: URLs per ``decode-url`` call (Mimecast's documented 1-25 items).
URLS_PER_DECODE = 25
_MATCH_TYPES: tuple[str, ...] = get_args(MatchType)


class UrlsResource(Resource):
    """List, block, permit and delete managed URLs; decode Mimecast-rewritten URLs."""

    async def list_managed(
        self, *, domain_or_url: str | None = None, exact: bool = False
    ) -> list[ManagedUrl]:
        """Managed URLs, optionally only those matching ``domain_or_url`` (exactly if ``exact``).

        https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/get-all-managed-urls/
        """
        item: dict[str, Any] = {"exactMatch": require_bool("exact", exact)}
        if domain_or_url is not None:
            item["domainOrUrl"] = require_line("domain_or_url", domain_or_url)
        response = await self._engine.call(_LIST, [item], item_type=ManagedUrl)
        return list(response.envelope.data)

    async def _create(
        self,
        action: ManagedUrlAction,
        url: str,
        match_type: MatchType,
        comment: str | None,
        flags: dict[str, bool],
    ) -> ManagedUrl:
        match = require_choice("match_type", match_type, _MATCH_TYPES)
        bare_domain = match == "domain" and isinstance(url, str) and "://" not in url
        item: dict[str, Any] = {
            # a domain match may name the domain alone ("evil.example")
            "url": require_domain("url", url) if bare_domain else require_url("url", url),
            "action": action,
            "matchType": match,
        }
        if comment is not None:
            item["comment"] = require_text("comment", comment, max_length=2000)
        for name, value in flags.items():
            wire = "disable" + "".join(part.title() for part in name.split("_")[1:])
            item[wire] = require_bool(name, value)
        response = await self._engine.call(_CREATE, [item], idempotent=False, item_type=ManagedUrl)
        result: ManagedUrl = first_item(response, _CREATE)
        return result

    async def block(
        self,
        url: str,
        *,
        match_type: MatchType = "explicit",
        comment: str | None = None,
        disable_log_click: bool = False,
    ) -> ManagedUrl:
        """Block a URL (or, with ``match_type="domain"``, every URL on its domain; the domain
        alone, ``"evil.example"``, is enough then).

        https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/create-managed-url/
        """
        flags = {"disable_log_click": disable_log_click}
        return await self._create("block", url, match_type, comment, flags)

    async def permit(
        self,
        url: str,
        *,
        match_type: MatchType = "explicit",
        comment: str | None = None,
        disable_rewrite: bool = False,
        disable_user_awareness: bool = False,
        disable_log_click: bool = False,
    ) -> ManagedUrl:
        """Permit a URL, optionally without rewriting, user awareness or click logging.

        https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/create-managed-url/
        """
        flags = {
            "disable_rewrite": disable_rewrite,
            "disable_user_awareness": disable_user_awareness,
            "disable_log_click": disable_log_click,
        }
        return await self._create("permit", url, match_type, comment, flags)

    async def delete_managed(self, url_id: str) -> None:
        """Delete a managed URL by its id.

        https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/delete-managed-url/
        """
        item = {"id": require_id("url_id", url_id)}
        await self._engine.call(_DELETE, [item], idempotent=False)

    async def decode(self, url: str) -> str:
        """The original URL behind a Mimecast-rewritten one.

        https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/decode-url/
        """
        item = {"url": require_url("url", url)}
        response = await self._engine.call(_DECODE, [item], item_type=DecodedUrl)
        decoded: DecodedUrl = first_item(response, _DECODE)
        if decoded.success is False:
            raise FailedRequestError(
                "Mimecast could not decode the URL (success=false)", status=200, path=_DECODE
            )
        return decoded.url

    async def decode_many(self, urls: Iterable[str]) -> BatchResult[DecodedUrl]:
        """Decode several URLs, 25 per call.

        Each result's ``encoded_url`` is the URL you passed. URLs Mimecast refuses are in
        ``.failed`` with its codes; those it answers with ``success=false`` are there too,
        with no code.
        """
        checked = require_items("urls", urls, require_url, min_items=1)
        requests = [(url, {"url": url}) for url in checked]
        batch = await run_batch(
            self._engine,
            _DECODE,
            requests,
            item_type=DecodedUrl,
            chunk_size=URLS_PER_DECODE,
            idempotent=True,  # decoding changes nothing: retried like any read
        )
        return _pair_decoded(checked, batch)


def _pair_decoded(urls: list[str], batch: BatchResult[DecodedUrl]) -> BatchResult[DecodedUrl]:
    """Attach each answer to the URL it decodes (Mimecast keeps request order in ``data``)."""
    refused = [failure.item for failure in batch.failed]
    pending = list(urls)
    for item in refused:
        if item in pending:
            pending.remove(item)
    result: BatchResult[DecodedUrl] = BatchResult(failed=list(batch.failed))
    paired = len(pending) == len(batch.succeeded)
    for index, decoded in enumerate(batch.succeeded):
        if paired:
            decoded.encoded_url = pending[index]
        if decoded.success is False:
            item = decoded.encoded_url or decoded.url
            result.failed.append(BatchFailure(item, {"url": item}, []))
        else:
            result.succeeded.append(decoded)
    return result
