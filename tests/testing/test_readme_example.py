"""The README's "Testing your code with the emulator" example runs as printed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mimecast_async.models.logs import TtpUrlLog

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    section = README.read_text().split("## Testing your code with the emulator", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its emulator example"
    return match.group(1)


async def test_the_readme_emulator_example_passes() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(readme_example(), str(README), "exec"), namespace)
    await namespace["test_my_pull"]()


def test_to_dict_gives_mimecast_field_names_and_date_form() -> None:
    record = TtpUrlLog(date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), scan_result="clean")
    assert record.to_dict() == {"date": "2024-01-02T03:04:05+0000", "scanResult": "clean"}
    plus_one = timezone(timedelta(hours=1))
    moment = datetime(2024, 1, 2, 3, 4, 5, 120_000, tzinfo=plus_one)
    assert TtpUrlLog(date=moment).to_dict() == {"date": "2024-01-02T03:04:05.120+0100"}
