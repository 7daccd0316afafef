"""Pure input validators for the admin resources, run before any request is sent.

Each validator returns the value to put on the wire or raises :class:`InvalidInputError` naming
the argument and the bad value. CR, LF and NUL are refused in addresses, URLs and ids (they could
smuggle extra header or log lines into Mimecast); free text such as a description may span lines.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .dates import format_datetime
from .errors import InvalidInputError

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_URL_LENGTH",
    "as_list",
    "optional_datetime",
    "require_bool",
    "require_choice",
    "require_cidrs",
    "require_domain",
    "require_email",
    "require_email_or_domain",
    "require_id",
    "require_ip",
    "require_items",
    "require_line",
    "require_text",
    "require_url",
]

T = TypeVar("T")

MAX_ID_LENGTH = 2048
MAX_TEXT_LENGTH = 10_000
MAX_URL_LENGTH = 8192
MAX_EMAIL_LENGTH = 254

_CONTROL = ("\r", "\n", "\x00")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


def _require_str(argument: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(argument, value, f"expected a string, got {type(value).__name__}")
    return value


def _refuse_control(argument: str, value: str) -> None:
    if any(char in value for char in _CONTROL):
        raise InvalidInputError(argument, value, "must not contain CR, LF or NUL characters")


def require_text(argument: str, value: Any, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Non-empty free text (may span lines, never NUL), at most ``max_length`` characters."""
    text = _require_str(argument, value)
    if not text.strip():
        raise InvalidInputError(argument, value, "must not be empty")
    if "\x00" in text:
        raise InvalidInputError(argument, value, "must not contain NUL characters")
    if len(text) > max_length:
        raise InvalidInputError(argument, value, f"longer than {max_length} characters")
    return text


def require_line(argument: str, value: Any, *, max_length: int = 1024) -> str:
    """Non-empty single-line text (a search query, a subject): no CR, LF or NUL."""
    text = require_text(argument, value, max_length=max_length)
    _refuse_control(argument, text)
    return text


def require_id(argument: str, value: Any, *, max_length: int = MAX_ID_LENGTH) -> str:
    """A Mimecast id (or Message-ID): non-empty, one line, no surrounding spaces, bounded."""
    text = _require_str(argument, value)
    _refuse_control(argument, text)
    if not text.strip():
        raise InvalidInputError(argument, value, "must not be empty")
    if text != text.strip():
        raise InvalidInputError(argument, value, "must not start or end with whitespace")
    if len(text) > max_length:
        raise InvalidInputError(argument, value, f"longer than {max_length} characters")
    return text


def _domain_problem(domain: str) -> str | None:
    """Why ``domain`` is not a host name, or None when it is one."""
    if not domain or len(domain) > 253:
        return "must be a domain name of 1 to 253 characters"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "is not a valid (internationalised) domain name"
    labels = ascii_domain.rstrip(".").split(".")
    if len(labels) < 2:
        return "must have at least two labels, like example.com"
    if not all(_LABEL.match(label) for label in labels):
        return "labels must be letters, digits or inner hyphens, 1 to 63 characters each"
    return None


def require_domain(argument: str, value: Any) -> str:
    """A domain name without ``@`` (``example.com``)."""
    text = _require_str(argument, value)
    _refuse_control(argument, text)
    if "@" in text:
        raise InvalidInputError(argument, value, "a domain must not contain '@'")
    problem = _domain_problem(text)
    if problem:
        raise InvalidInputError(argument, value, problem)
    return text


def require_email(argument: str, value: Any) -> str:
    """An email address ``local@domain`` with no spaces or control characters."""
    text = _require_str(argument, value)
    _refuse_control(argument, text)
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidInputError(argument, value, f"longer than {MAX_EMAIL_LENGTH} characters")
    if text.count("@") != 1:
        raise InvalidInputError(argument, value, "must be an email address like user@example.com")
    local, _, domain = text.partition("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        raise InvalidInputError(argument, value, "the part before '@' is not a valid mailbox")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInputError(argument, value, "the part before '@' has a misplaced dot")
    problem = _domain_problem(domain)
    if problem:
        raise InvalidInputError(argument, value, f"the domain {problem}")
    return text


def require_email_or_domain(argument: str, value: Any) -> str:
    """An email address, or a domain when there is no ``@``."""
    text = _require_str(argument, value)
    if "@" in text:
        return require_email(argument, text)
    return require_domain(argument, text)


def require_ip(argument: str, value: Any) -> str:
    """One IPv4 or IPv6 address, returned in canonical form."""
    text = _require_str(argument, value)
    _refuse_control(argument, text)
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidInputError(argument, value, "must be an IPv4 or IPv6 address") from None


def as_list(argument: str, values: Any) -> list[Any]:
    """A list from a sequence, or from a comma-separated string (as the SOAR seeds pass them)."""
    if isinstance(values, str):
        return [part.strip() for part in values.split(",") if part.strip()]
    if isinstance(values, (bytes, bytearray)) or not isinstance(values, Iterable):
        raise InvalidInputError(argument, values, "expected a list of values")
    return list(values)


def require_items(
    argument: str,
    values: Any,
    check: Callable[[str, Any], T],
    *,
    min_items: int = 0,
    max_items: int | None = None,
) -> list[T]:
    """Validate every element of a list (or comma-separated string) with ``check``."""
    items = as_list(argument, values)
    if len(items) < min_items:
        raise InvalidInputError(argument, values, f"needs at least {min_items} item(s)")
    if max_items is not None and len(items) > max_items:
        raise InvalidInputError(argument, values, f"at most {max_items} items per call")
    return [check(argument, item) for item in items]


def require_cidrs(argument: str, values: Any) -> list[str]:
    """A list of networks in CIDR form (``192.0.2.0/24``), returned normalised.

    Host bits must be clear (``10.0.0.1/8`` is refused rather than silently widened).
    """

    def one(name: str, value: Any) -> str:
        text = _require_str(name, value)
        _refuse_control(name, text)
        if "/" not in text:
            raise InvalidInputError(name, value, "must be in CIDR form, like 192.0.2.0/24")
        try:
            return str(ipaddress.ip_network(text.strip(), strict=True))
        except ValueError as error:
            raise InvalidInputError(name, value, f"not a valid CIDR network ({error})") from None

    return require_items(argument, values, one)


def require_url(argument: str, value: Any) -> str:
    """An absolute http(s) URL with a host and no ``#`` fragment."""
    text = _require_str(argument, value)
    _refuse_control(argument, text)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInputError(argument, value, f"longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() for char in text):
        raise InvalidInputError(argument, value, "must not contain whitespace")
    if "#" in text:
        raise InvalidInputError(argument, value, "must not contain a '#' fragment")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidInputError(argument, value, "is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInputError(argument, value, "scheme must be http or https")
    if not host:
        raise InvalidInputError(argument, value, "has no host")
    return text


def require_choice(argument: str, value: Any, choices: Sequence[str]) -> str:
    """One of the wire values in ``choices`` (an enumeration)."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidInputError(argument, value, "must be one of: " + ", ".join(choices))
    return value


def require_bool(argument: str, value: Any) -> bool:
    """A real bool (``"false"`` is truthy, so strings are refused)."""
    if not isinstance(value, bool):
        raise InvalidInputError(argument, value, "must be True or False")
    return value


def optional_datetime(argument: str, value: datetime | None) -> str | None:
    """Render an aware datetime in Mimecast's ``+0000`` form; None stays None."""
    return None if value is None else format_datetime(value, argument)
