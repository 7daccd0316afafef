"""The pure validators: accepted values come back wire-ready, bad ones name argument and value."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mimecast_async.errors import InvalidInputError
from mimecast_async.validation import (
    as_list,
    optional_datetime,
    require_bool,
    require_choice,
    require_cidrs,
    require_domain,
    require_email,
    require_email_or_domain,
    require_id,
    require_ip,
    require_items,
    require_line,
    require_text,
    require_url,
)


def test_good_values_pass_through() -> None:
    assert require_email("email", "first.last+tag@sub.example.com") == (
        "first.last+tag@sub.example.com"
    )
    assert require_domain("domain", "example.co.uk") == "example.co.uk"
    assert require_domain("domain", "bücher.example") == "bücher.example"
    assert require_email_or_domain("sender", "example.com") == "example.com"
    assert require_cidrs("source_ips", ["192.0.2.0/24", "2001:db8::/32"]) == [
        "192.0.2.0/24",
        "2001:db8::/32",
    ]
    assert require_cidrs("source_ips", "192.0.2.0/24, 198.51.100.7/32") == [
        "192.0.2.0/24",
        "198.51.100.7/32",
    ]
    assert (
        require_url("url", "https://evil.example:8443/a?b=c") == "https://evil.example:8443/a?b=c"
    )
    assert require_id("policy_id", "eNo123_-") == "eNo123_-"
    assert require_id("message_id", "<abc@mail.example>") == "<abc@mail.example>"
    assert require_text("description", "two\nlines") == "two\nlines"
    assert require_line("query", "Finance Team") == "Finance Team"
    assert require_ip("sender_ip", "2001:db8:0::1") == "2001:db8::1"
    assert require_choice("view", "SENT", ("INBOX", "SENT")) == "SENT"
    assert require_bool("admin", False) is False
    assert as_list("emails", "a@x.example, b@y.example,") == ["a@x.example", "b@y.example"]
    assert require_items("ids", ("a", "b"), require_id, min_items=1) == ["a", "b"]
    assert optional_datetime("start", None) is None
    stamp = datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=timezone.utc)
    assert optional_datetime("start", stamp) == "2024-01-02T03:04:05+0000"


BAD = [
    (require_email, "email", "no-at-sign"),
    (require_email, "email", "two@@example.com"),
    (require_email, "email", "user@localhost"),
    (require_email, "email", "user@example.com\r\nBcc: x@y.example"),
    (require_email, "email", "spaced user@example.com"),
    (require_email, "email", ".dot@example.com"),
    (require_email, "email", "a@-bad-.example"),
    (require_email, "email", 42),
    (require_domain, "domain", "user@example.com"),
    (require_domain, "domain", "example"),
    (require_domain, "domain", "exa mple.com"),
    (require_domain, "domain", "x" * 64 + ".example"),
    (require_cidrs, "source_ips", ["192.0.2.1"]),
    (require_cidrs, "source_ips", ["192.0.2.1/24"]),
    (require_cidrs, "source_ips", ["300.0.0.0/8"]),
    (require_cidrs, "source_ips", ["10.0.0.0/8\n"]),
    (require_cidrs, "source_ips", 10),
    (require_url, "url", "ftp://evil.example/x"),
    (require_url, "url", "https://evil.example/x#frag"),
    (require_url, "url", "evil.example/x"),
    (require_url, "url", "https:///path-only"),
    (require_url, "url", "https://evil.example/a b"),
    (require_url, "url", "https://evil.example:99999/"),
    (require_url, "url", "https://evil.example/\x00"),
    (require_id, "policy_id", ""),
    (require_id, "policy_id", "id\r\n"),
    (require_id, "policy_id", " padded "),
    (require_id, "policy_id", "x" * 5000),
    (require_id, "policy_id", None),
    (require_text, "description", "   "),
    (require_text, "description", "nul\x00"),
    (require_line, "query", "two\nlines"),
    (require_ip, "sender_ip", "192.0.2.300"),
    (require_bool, "admin", "false"),
]


@pytest.mark.parametrize(("check", "argument", "value"), BAD)
def test_bad_values_name_argument_and_value(check: object, argument: str, value: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check(argument, value)  # type: ignore[operator]
    assert caught.value.argument == argument
    # List validators name the offending element rather than the whole list.
    assert caught.value.value == value or caught.value.value in value  # type: ignore[operator]
    assert isinstance(caught.value, ValueError)


def test_choice_lists_the_allowed_values() -> None:
    with pytest.raises(InvalidInputError, match="block_sender, no_action"):
        require_choice("option", "block", ("block_sender", "no_action"))


def test_item_limits() -> None:
    with pytest.raises(InvalidInputError, match="at least 1"):
        require_items("urls", [], require_url, min_items=1)
    with pytest.raises(InvalidInputError, match="at most 2"):
        require_items("ids", ["a", "b", "c"], require_id, max_items=2)
    with pytest.raises(InvalidInputError, match="list"):
        as_list("emails", b"a@b.example")


def test_naive_datetime_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        optional_datetime("start", datetime(2024, 1, 1))
    assert caught.value.argument == "start"
