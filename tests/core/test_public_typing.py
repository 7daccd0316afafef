"""What ``mypy --strict`` tells a user of the public API (the package ships ``py.typed``)."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

USER_CODE = '''
import mimecast_async as mc
from mimecast_async.testing import MimecastEmulator


def original_of(emu: MimecastEmulator) -> str:
    return emu.admin.encode_url("https://a.example/")  # typed, not Any


policy = mc.RetryPolicyy()  # a misspelt name must not pass as Any
'''


def test_a_users_code_is_checked_against_real_names_and_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # mypy finds the package from here
    user_file = tmp_path / "user_code.py"
    user_file.write_text(USER_CODE)
    out, _, status = mypy_api.run(["--strict", "--no-error-summary", str(user_file)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert len(errors) == 1, errors
    assert ":10: error:" in errors[0] and "RetryPolicyy" in errors[0]
