"""The README's "Testing your code with the emulator" example runs as printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
