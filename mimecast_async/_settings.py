"""Checks for client settings: a bad one is a ConfigurationError before any I/O (DESIGN.md §3)."""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigurationError

__all__ = ["require_setting"]


def require_setting(
    name: str, value: Any, *, minimum: float, integer: bool = False, above: bool = False
) -> Any:
    """``value`` if it is a finite number ``>= minimum`` (``> minimum`` when ``above``).

    ``integer`` asks for an int. Booleans and text are refused, not converted: ``"5"`` is a
    configuration mistake, not five seconds.
    """
    kind = "an integer" if integer else "a number"
    wanted = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise ConfigurationError(f"{name} must be {kind}, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be finite")
    if value < minimum or (above and value == minimum):
        raise ConfigurationError(f"{name} must be {'>' if above else '>='} {minimum:g}")
    return value
