"""Typed msgspec models of Mimecast responses, one module per API area."""

from __future__ import annotations

from .base import Model

__all__ = ["Model"]
