"""Shared plumbing of the resource classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._engine import Engine
    from ..client import MimecastClient

__all__ = ["Resource"]


class Resource:
    """A group of related calls bound to one client."""

    def __init__(self, client: MimecastClient) -> None:
        self._client = client

    @property
    def _engine(self) -> Engine:
        return self._client.engine
