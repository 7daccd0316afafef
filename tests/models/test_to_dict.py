"""Model.to_dict: the record as Mimecast sends it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mimecast_async.models.logs import TtpUrlLog


def test_to_dict_gives_mimecast_field_names_and_date_form() -> None:
    record = TtpUrlLog(date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), scan_result="clean")
    assert record.to_dict() == {"date": "2024-01-02T03:04:05+0000", "scanResult": "clean"}
    plus_one = timezone(timedelta(hours=1))
    moment = datetime(2024, 1, 2, 3, 4, 5, 120_000, tzinfo=plus_one)
    assert TtpUrlLog(date=moment).to_dict() == {"date": "2024-01-02T03:04:05.120+0100"}
