"""Every error is one line on stderr with its documented exit code, and never damages the output."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

from mimecast_async.cli import main
from tests.cli.helpers import CLI, clean_env

EXISTING = b'{"already":"here"}\n{"and":"more"}\n'


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MIMECAST_"):
            monkeypatch.delenv(name)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    path = tmp_path / "logs.jsonl"
    path.write_bytes(EXISTING)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


def assert_one_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_missing_credentials_exit_3_names_the_variables(
    capsys: pytest.CaptureFixture[str], out: Path
) -> None:
    code, err = run(capsys, "pull", "ttp-url", "--since", "24h", "--out", str(out))
    assert code == 3
    assert_one_line(err, "MIMECAST_CLIENT_ID", "MIMECAST_APP_ID", "MIMECAST_SECRET_KEY")
    assert out.read_bytes() == EXISTING


def test_partial_credentials_name_the_missing_ones(
    capsys: pytest.CaptureFixture[str], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMECAST_CLIENT_ID", "id-only")
    code, err = run(capsys, "pull", "audit", "--since", "1h", "--out", str(out))
    assert code == 3
    assert_one_line(err, "missing: MIMECAST_CLIENT_SECRET")
    assert "id-only" not in err
    assert out.read_bytes() == EXISTING


@pytest.mark.parametrize("since", ["24x", "h", "-3h", "0h", "24"])
def test_bad_since_exit_2(capsys: pytest.CaptureFixture[str], out: Path, since: str) -> None:
    code, err = run(capsys, "pull", "ttp-url", "--emulator", "--since=" + since, "--out", str(out))
    assert code == 2
    assert_one_line(err, "--since")
    assert out.read_bytes() == EXISTING


def test_bad_start_and_empty_window_exit_2(capsys: pytest.CaptureFixture[str], out: Path) -> None:
    code, err = run(
        capsys, "pull", "ttp-url", "--emulator", "--start", "yesterday", "--out", str(out)
    )
    assert code == 2
    assert_one_line(err, "--start")
    code, err = run(
        capsys,
        "pull",
        "ttp-url",
        "--emulator",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-01",
        "--out",
        str(out),
    )
    assert code == 2
    assert_one_line(err, "empty")
    assert out.read_bytes() == EXISTING


def test_unwritable_out_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(capsys, "pull", "ttp-url", "--emulator", "--out", str(tmp_path))
    assert code == 2
    assert_one_line(err, "directory")
    missing = tmp_path / "no" / "such" / "dir" / "out.jsonl"
    code, err = run(capsys, "pull", "ttp-url", "--emulator", "--out", str(missing))
    assert code == 2
    assert_one_line(err, "cannot open --out", "No such file")
    assert not missing.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_out_is_left_alone(capsys: pytest.CaptureFixture[str], out: Path) -> None:
    out.chmod(0o444)
    code, err = run(capsys, "pull", "ttp-url", "--emulator", "--out", str(out))
    assert code == 2
    assert_one_line(err, "Permission denied")
    assert out.read_bytes() == EXISTING


def test_unwritable_checkpoint_directory_exit_2(
    capsys: pytest.CaptureFixture[str], out: Path, tmp_path: Path
) -> None:
    state = tmp_path / "missing-dir" / "state.json"
    code, err = run(
        capsys, "pull", "ttp-url", "--emulator", "--out", str(out), "--checkpoint", str(state)
    )
    assert code == 2
    assert_one_line(err, "--checkpoint", "does not exist")
    assert out.read_bytes() == EXISTING


def _valid_state(out: Path) -> dict[str, object]:
    return {
        "format": "mimecast-async/pull-state",
        "version": 1,
        "stream": "ttp-url",
        "filters": {"route": "all", "scan_result": "all"},
        "source": "emulator(seed=1,records=10000)",
        "origin": {"since": None, "start": None, "end": None},
        "window": {"start": "2023-12-26T00:00:00Z", "end": "2024-01-02T00:00:00Z"},
        "checkpoint": None,
        "output": {"path": str(out), "offset": 10},
        "done": False,
        "records": 1,
        "windows": 0,
    }


CORRUPT = {
    "empty": b"",
    "garbage": b"\x00\xff not json",
    "truncated": b'{"format": "mimecast-async/pull-state", "vers',
    "array": b"[1, 2, 3]",
    "other format": json.dumps({"format": "something-else"}).encode(),
    "future version": None,
    "negative offset": None,
    "bad checkpoint": None,
    "bad window": None,
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_checkpoint_exit_2_and_nothing_touched(
    capsys: pytest.CaptureFixture[str], out: Path, tmp_path: Path, case: str
) -> None:
    data = CORRUPT[case]
    if data is None:
        state = _valid_state(out)
        if case == "future version":
            state["version"] = 99
        elif case == "negative offset":
            state["output"] = {"path": str(out), "offset": -5}
        elif case == "bad checkpoint":
            state["checkpoint"] = {"version": 1, "kind": "ttp_url", "segments": "nope"}
        else:
            state["window"] = {"start": "2024-01-02T00:00:00Z", "end": "2024-01-01T00:00:00Z"}
        data = json.dumps(state).encode()
    checkpoint = tmp_path / "state.json"
    checkpoint.write_bytes(data)
    code, err = run(
        capsys, "pull", "ttp-url", "--emulator", "--out", str(out), "--checkpoint", str(checkpoint)
    )
    assert code == 2
    assert_one_line(err, str(checkpoint), "not a valid mimecast-async state")
    assert out.read_bytes() == EXISTING
    assert checkpoint.read_bytes() == data


def test_checkpoint_of_another_query_exit_2(
    capsys: pytest.CaptureFixture[str], out: Path, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "state.json"
    checkpoint.write_text(json.dumps(_valid_state(out)))
    code, err = run(
        capsys,
        "pull",
        "ttp-url",
        "--emulator",
        "--route",
        "inbound",
        "--out",
        str(out),
        "--checkpoint",
        str(checkpoint),
    )
    assert code == 2
    assert_one_line(err, "another pull", "inbound")
    code, err = run(
        capsys, "pull", "audit", "--emulator", "--out", str(out), "--checkpoint", str(checkpoint)
    )
    assert code == 2
    assert_one_line(err, "stream 'ttp-url'")
    other = tmp_path / "other.jsonl"
    code, err = run(
        capsys,
        "pull",
        "ttp-url",
        "--emulator",
        "--out",
        str(other),
        "--checkpoint",
        str(checkpoint),
    )
    assert code == 2
    assert_one_line(err, "output")
    assert out.read_bytes() == EXISTING
    assert not other.exists()


def test_output_shorter_than_the_checkpoint_is_refused(
    capsys: pytest.CaptureFixture[str], out: Path, tmp_path: Path
) -> None:
    state = _valid_state(out)
    state["output"] = {"path": str(out), "offset": len(EXISTING) + 100}
    checkpoint = tmp_path / "state.json"
    checkpoint.write_text(json.dumps(state))
    code, err = run(
        capsys, "pull", "ttp-url", "--emulator", "--out", str(out), "--checkpoint", str(checkpoint)
    )
    assert code == 2
    assert_one_line(err, "truncated or replaced")
    assert out.read_bytes() == EXISTING


def test_output_locked_by_another_pull_exit_75(
    capsys: pytest.CaptureFixture[str], out: Path
) -> None:
    with open(out, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        code, err = run(capsys, "pull", "ttp-url", "--emulator", "--out", str(out))
    assert code == 75
    assert_one_line(err, "another mimecast-async process")
    assert out.read_bytes() == EXISTING


def test_usage_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], out: Path) -> None:
    for argv in (
        ["pull"],
        ["pull", "nope", "--out", str(out)],
        ["pull", "ttp-url", "--emulator"],
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--bogus"],
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--since", "1h", "--start", "2024"],
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--concurrency", "0"],
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--follow", "--end", "2024-01-01"],
        ["call", "senders.block", "--emulator", "--sender", "a@x.com"],
        # dates outside what a datetime holds once in UTC: a usage error, not a traceback
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--start", "0001-01-01"],
        ["call", "holds.list", "--emulator", "--start", "0001-01-01T00:00:00+05:00"],
        ["call", "tracking.search", "--emulator", "--end", "9999-12-31T23:00:00-05:00"],
        ["pull", "ttp-url", "--emulator", "--out", str(out), "--timeout", "inf"],
        ["emulator", "--port", "99999"],
        ["emulator", "--port", "-1"],
    ):
        code, err = run(capsys, *argv)
        assert code == 2, argv
        assert_one_line(err)
    assert out.read_bytes() == EXISTING


def test_bad_config_file_exit_3(
    capsys: pytest.CaptureFixture[str], out: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "none.toml"
    code, err = run(
        capsys, "pull", "ttp-url", "--since", "1h", "--out", str(out), "--config", str(missing)
    )
    assert code == 3
    assert_one_line(err, "cannot read --config")
    broken = tmp_path / "broken.toml"
    broken.write_text('client_secret = "s3cr3t-value\n')
    code, err = run(
        capsys, "pull", "ttp-url", "--since", "1h", "--out", str(out), "--config", str(broken)
    )
    assert code == 3
    assert_one_line(err, "not valid TOML")
    assert "s3cr3t" not in err
    empty = tmp_path / "empty.toml"
    empty.write_text("[mimecast]\nregion = 'eu'\n")
    code, err = run(
        capsys, "pull", "ttp-url", "--since", "1h", "--out", str(out), "--config", str(empty)
    )
    assert code == 3
    assert_one_line(err, "client_id", "app_id")
    assert out.read_bytes() == EXISTING


def test_real_console_script_prints_one_line_without_traceback(out: Path) -> None:
    missing = subprocess.run(
        [*CLI, "pull", "ttp-url", "--since", "24h", "--out", str(out)],
        env=clean_env(),
        capture_output=True,
        timeout=60,
    )
    assert missing.returncode == 3
    assert_one_line(missing.stderr.decode(), "MIMECAST_CLIENT_ID")
    bad_since = subprocess.run(
        [*CLI, "pull", "ttp-url", "--emulator", "--since", "24x", "--out", str(out)],
        env=clean_env(),
        capture_output=True,
        timeout=60,
    )
    assert bad_since.returncode == 2
    assert_one_line(bad_since.stderr.decode(), "bad --since '24x'")
    assert out.read_bytes() == EXISTING
