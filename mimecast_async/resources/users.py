"""User aliases: ``client.users`` (``/api/user/get-aliases``).

https://integrations.mimecast.com/documentation/endpoint-reference/user-management/
"""

from __future__ import annotations

from ..models.users import Alias, AliasList
from ..validation import require_email
from ._base import Resource

__all__ = ["UsersResource"]

_ALIASES = "/api/user/get-aliases"


class UsersResource(Resource):
    """Read user directory details."""

    async def aliases(self, email: str) -> list[Alias]:
        """The alias addresses of the user whose primary address is ``email``.

        https://integrations.mimecast.com/documentation/endpoint-reference/user-management/get-aliases/
        """
        item = {"emailAddress": require_email("email", email)}
        response = await self._engine.call(_ALIASES, [item], item_type=AliasList)
        entries: list[AliasList] = response.envelope.data
        return [alias for entry in entries for alias in entry.aliases]
