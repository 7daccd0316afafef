"""Directory groups and their members (``/api/directory/*``).

https://integrations.mimecast.com/documentation/endpoint-reference/directory/
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .base import Model

__all__ = [
    "DeletedGroup",
    "Group",
    "GroupMember",
    "GroupMemberChange",
    "GroupSearch",
    "GroupSource",
]

#: ``source`` of a group: Mimecast's own directory or a synchronised LDAP one.
GroupSource = Literal["cloud", "ldap"]


class Group(Model):
    """A group (folder): ``create-group``, ``update-group`` and ``find-groups`` records."""

    id: str = ""
    description: str | None = None
    source: str | None = None
    parent_id: str | None = None
    folder_count: int | None = None
    user_count: int | None = None


class GroupSearch(Model):
    """One ``find-groups`` data item: the matching ``folders`` and the query echoed."""

    folders: list[Group] = msgspec.field(default_factory=list)
    query: str | None = None
    source: str | None = None


class DeletedGroup(Model):
    """The answer of ``delete-group``."""

    id: str = ""
    status: str | None = None


class GroupMember(Model):
    """A ``get-group-members`` record: an address or a domain."""

    email_address: str | None = None
    domain: str | None = None
    internal: bool | None = None
    type: str | None = None
    name: str | None = None
    notes: str | None = None


class GroupMemberChange(Model):
    """The answer of ``add-group-member`` / ``remove-group-member`` for one member."""

    id: str | None = None
    folder_id: str | None = None
    email_address: str | None = None
    domain: str | None = None
    internal: bool | None = None
