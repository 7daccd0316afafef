"""``call``: admin operations by name, options from the signature, JSON out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mimecast_async.cli import main
from mimecast_async.cli.call import operations
from tests.cli.helpers import CLI, emulator_process, hmac_env


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    code = main(["call", *argv, "--emulator", "--compact"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def test_list_shows_every_admin_operation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "--list"]) == 0
    listing = capsys.readouterr().out
    for name in ("senders.block", "groups.find", "holds.release", "policies.create_blocked_sender"):
        assert name in listing
    assert "--message-id" in listing and "logs." not in listing
    assert len(operations()) >= 30


def test_senders_block(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = call(capsys, "senders.block", "--sender", "a@x.com", "--to", "b@y.com")
    assert code == 0
    assert isinstance(result, dict)
    assert result["sender"] == "a@x.com" and result["to"] == "b@y.com" and result["type"] == "Block"


def test_pager_results_are_collected(capsys: pytest.CaptureFixture[str]) -> None:
    code, groups, _ = call(capsys, "groups.find", "--limit", "3")
    assert code == 0 and isinstance(groups, list) and 0 < len(groups) <= 3
    assert {"id", "description"} <= set(groups[0])
    code, held, _ = call(
        capsys, "holds.list", "--no-admin", "--start", "2020-01-01", "--limit", "2"
    )
    assert code == 0 and isinstance(held, list)


def test_batch_result_lists_and_exit_5_on_item_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, groups, _ = call(capsys, "groups.find", "--limit", "1")
    assert isinstance(groups, list)
    group_id = groups[0]["id"]
    # comma-separated and repeated values; the duplicate is refused by Mimecast, item by item
    code, result, err = call(
        capsys,
        "groups.add_members",
        "--group-id",
        group_id,
        "--emails",
        "x1@evil.example,x1@evil.example",
        "--emails",
        "x2@evil.example",
    )
    assert isinstance(result, dict) and set(result) == {"succeeded", "failed"}
    assert [m["emailAddress"] for m in result["succeeded"]] == [
        "x1@evil.example",
        "x2@evil.example",
    ]
    assert result["failed"][0]["item"] == "x1@evil.example"
    assert result["failed"][0]["codes"] == ["err_folder_group_member_already_exists"]
    assert code == 5 and "1 of 3 items failed" in err


def test_bad_argument_is_exit_2_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = call(capsys, "senders.block", "--sender", "nope", "--to", "b@y.com")
    assert code == 2 and result is None
    assert err.count("\n") == 1 and "sender" in err


def test_call_with_config_file_against_an_emulator_process(tmp_path: Path) -> None:
    with emulator_process("--records", "10") as info:
        keys = info["hmac"]
        config = tmp_path / "mimecast.toml"
        config.write_text(
            "[mimecast]\n"
            f'base_url = "{info["base_url"]}"\n'
            + "".join(f'{name} = "{value}"\n' for name, value in keys.items())
        )
        config.chmod(0o600)
        result = subprocess.run(
            [*CLI, "call", "groups.find", "--config", str(config), "--limit", "1"],
            env=hmac_env({"base_url": "http://127.0.0.1:9", "hmac": dict.fromkeys(keys, "x")}),
            capture_output=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr.decode()
    assert len(json.loads(result.stdout)) == 1
    assert result.stderr == b""


def test_emulator_subcommand_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*CLI, "emulator", "--port", "0", "--records", "5"], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:") and "hmac" in info
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0
