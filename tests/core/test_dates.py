"""Mimecast date formats."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mimecast_async as mc
from mimecast_async.dates import format_datetime, parse_datetime


def test_format_is_mimecast_form_in_utc_whole_seconds() -> None:
    moment = datetime(2011, 12, 3, 11, 15, 30, 999_999, tzinfo=timezone(timedelta(hours=1)))
    assert format_datetime(moment) == "2011-12-03T10:15:30+0000"


def test_naive_datetime_is_invalid_input() -> None:
    with pytest.raises(mc.InvalidInputError) as caught:
        format_datetime(datetime(2020, 1, 1), "start")
    assert caught.value.argument == "start"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "2011-12-03T10:15:30+0000",
        "2011-12-03T10:15:30Z",
        "2011-12-03T10:15:30+00:00",
        "2011-12-03T11:15:30+0100",
        "2011-12-03T05:15:30-05:00",
        "2011-12-03T10:15:30.000Z",
    ],
)
def test_parse_accepts_every_offset_form(text: str) -> None:
    assert parse_datetime(text) == datetime(2011, 12, 3, 10, 15, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # before datetime.min in UTC
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # after datetime.max
    ],
)
def test_dates_a_datetime_cannot_hold_in_utc_are_invalid_input(moment: datetime) -> None:
    with pytest.raises(mc.InvalidInputError) as caught:
        format_datetime(moment, "start")
    assert caught.value.argument == "start"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2011-13-03T10:15:30Z",
        "2011-12-03",
        "0001-01-01T00:30:00+0100",  # a ValueError, not a raw OverflowError
        "9999-12-31T23:30:00-0100",
    ],
)
def test_parse_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-7, minutes=-30))]),
    )
)
def test_format_then_parse_round_trips_to_the_second(moment: datetime) -> None:
    assert parse_datetime(format_datetime(moment)) == moment.replace(microsecond=0)
