"""Directory groups and members: ``client.groups`` (``/api/directory/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/directory/
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, get_args

from ..batch import BatchResult
from ..errors import InvalidInputError
from ..models.groups import Group, GroupMember, GroupMemberChange, GroupSearch, GroupSource
from ..pagination import AsyncPager, nested_items
from ..validation import (
    require_choice,
    require_domain,
    require_email,
    require_id,
    require_items,
    require_line,
    require_text,
)
from ._admin import first_item, run_batch
from ._base import Resource

__all__ = ["MEMBERS_PER_CALL", "GroupsResource"]

_CREATE = "/api/directory/create-group"
_FIND = "/api/directory/find-groups"
_UPDATE = "/api/directory/update-group"
_DELETE = "/api/directory/delete-group"
_ADD = "/api/directory/add-group-member"
_MEMBERS = "/api/directory/get-group-members"
_REMOVE = "/api/directory/remove-group-member"

#: Members sent per ``add-group-member`` call (the FortiSOAR connector's documented maximum).
MEMBERS_PER_CALL = 100
_SOURCES: tuple[str, ...] = get_args(GroupSource)
_MEMBER_PAGE, _MEMBER_RECORDS = nested_items("groupMembers", GroupMember)


def _groups(data: Sequence[Any]) -> list[Any]:
    return [group for entry in data for group in entry.folders]


class GroupsResource(Resource):
    """Create, find, update and delete groups; add, list and remove their members."""

    async def create(self, description: str, parent_id: str | None = None) -> Group:
        """Create a group, under ``parent_id`` or at the root.

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/create-group/
        """
        item = {"description": require_text("description", description, max_length=255)}
        if parent_id is not None:
            item["parentId"] = require_id("parent_id", parent_id)
        response = await self._engine.call(_CREATE, [item], idempotent=False, item_type=Group)
        result: Group = first_item(response, _CREATE)
        return result

    def find(
        self,
        query: str | None = None,
        source: GroupSource = "cloud",
        *,
        page_size: int = 100,
        limit: int | None = None,
    ) -> AsyncPager[Group]:
        """Groups whose description matches ``query`` (every group when None).

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/find-groups/
        """
        item = {"source": require_choice("source", source, _SOURCES)}
        if query is not None:
            item["query"] = require_line("query", query)
        return AsyncPager(
            self._client,
            _FIND,
            item,
            item_type=GroupSearch,
            extract=_groups,
            page_size=page_size,
            limit=limit,
        )

    async def update(
        self, group_id: str, *, description: str | None = None, parent_id: str | None = None
    ) -> Group:
        """Rename a group and/or move it under another parent.

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/update-group/
        """
        item = {"id": require_id("group_id", group_id)}
        if description is not None:
            item["description"] = require_text("description", description, max_length=255)
        if parent_id is not None:
            item["parentId"] = require_id("parent_id", parent_id)
        if len(item) == 1:
            raise InvalidInputError("description", None, "pass description and/or parent_id")
        response = await self._engine.call(_UPDATE, [item], idempotent=False, item_type=Group)
        result: Group = first_item(response, _UPDATE)
        return result

    async def delete(self, group_id: str) -> None:
        """Delete a group.

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/delete-group/
        """
        item = {"id": require_id("group_id", group_id)}
        await self._engine.call(_DELETE, [item], idempotent=False)

    async def add_members(
        self,
        group_id: str,
        emails: Iterable[str] | str = (),
        domains: Iterable[str] | str = (),
    ) -> BatchResult[GroupMemberChange]:
        """Add addresses and/or domains to a group, 100 per call.

        Members Mimecast refuses (e.g. ``err_folder_group_member_already_exists``) are in
        ``.failed`` with their address or domain as ``item``.
        https://integrations.mimecast.com/documentation/endpoint-reference/directory/add-group-member/
        """
        group_id = require_id("group_id", group_id)
        requests: list[tuple[Any, dict[str, Any]]] = [
            (email, {"id": group_id, "emailAddress": email})
            for email in require_items("emails", emails, require_email)
        ]
        requests += [
            (domain, {"id": group_id, "domain": domain})
            for domain in require_items("domains", domains, require_domain)
        ]
        if not requests:
            raise InvalidInputError("emails", emails, "pass at least one email or domain")
        return await run_batch(
            self._engine,
            _ADD,
            requests,
            item_type=GroupMemberChange,
            chunk_size=MEMBERS_PER_CALL,
        )

    def members(
        self, group_id: str, *, page_size: int = 100, limit: int | None = None
    ) -> AsyncPager[GroupMember]:
        """The members of a group.

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/get-group-members/
        """
        item = {"id": require_id("group_id", group_id)}
        return AsyncPager(
            self._client,
            _MEMBERS,
            item,
            item_type=_MEMBER_PAGE,
            extract=_MEMBER_RECORDS,
            page_size=page_size,
            limit=limit,
        )

    async def remove_member(
        self, group_id: str, email: str | None = None, domain: str | None = None
    ) -> GroupMemberChange:
        """Remove one address or one domain from a group.

        https://integrations.mimecast.com/documentation/endpoint-reference/directory/remove-group-member/
        """
        item = {"id": require_id("group_id", group_id)}
        if (email is None) == (domain is None):
            raise InvalidInputError("email", email, "pass exactly one of email or domain")
        if email is not None:
            item["emailAddress"] = require_email("email", email)
        else:
            item["domain"] = require_domain("domain", domain)
        response = await self._engine.call(
            _REMOVE, [item], idempotent=False, item_type=GroupMemberChange
        )
        result: GroupMemberChange = first_item(response, _REMOVE)
        return result
