"""Pure parts of the CLI: durations, instants, TOML subset, state files, call signatures."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mimecast_async.checkpoint import Checkpoint
from mimecast_async.cli import build_parser
from mimecast_async.cli.call import operations
from mimecast_async.cli.config import parse_toml_subset
from mimecast_async.cli.errors import CliError
from mimecast_async.cli.output import open_output
from mimecast_async.cli.state import PullState, load_state, write_atomic
from mimecast_async.cli.timespec import parse_duration, parse_instant


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("90m", 5400), ("7d", 604800), ("1h30m", 5400), ("2w", 1209600), ("45s", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["24x", "", "h", "24", "-1h", "0m", "1h-", "99999w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(CliError):
        parse_duration(text)


def test_instants_default_to_utc() -> None:
    utc = timezone.utc
    assert parse_instant("2024-05-01", "--start") == datetime(2024, 5, 1, tzinfo=utc)
    assert parse_instant("2024-05-01T12:00:00Z", "--start") == datetime(2024, 5, 1, 12, tzinfo=utc)
    assert parse_instant("2024-05-01T14:00:00+02:00", "--end") == datetime(
        2024, 5, 1, 12, tzinfo=utc
    )
    with pytest.raises(CliError):
        parse_instant("May 1st", "--start")


def test_toml_subset() -> None:
    parsed = parse_toml_subset(
        '# comment\n[mimecast]\nregion = "eu"  # trailing\n'
        "client_id = 'abc'\nport = 3\nx = true\n"
    )
    assert parsed == {"mimecast": {"region": "eu", "client_id": "abc", "port": 3, "x": True}}
    with pytest.raises(ValueError, match="line 1"):
        parse_toml_subset("region = [1, 2]")


def test_state_round_trip_and_atomic_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    state = PullState(
        stream="audit",
        filters={"categories": ["a"]},
        source="api",
        origin={"since": "24h", "start": None, "end": None},
        window=(start, start + timedelta(days=1)),
        checkpoint=Checkpoint(kind="audit", query="q"),
        output_path="/x/out.jsonl",
        offset=42,
        records=7,
    )
    write_atomic(str(path), state.to_json())
    write_atomic(str(path), state.to_json())
    loaded = load_state(str(path))
    assert loaded is not None
    assert loaded.window == state.window and loaded.offset == 42 and loaded.records == 7
    assert loaded.checkpoint == state.checkpoint and loaded.origin == state.origin
    assert os.listdir(tmp_path) == ["state.json"]  # no temp files left behind
    assert load_state(str(tmp_path / "missing.json")) is None
    # a new state file is private (it may hold a SIEM token); a replaced one keeps its mode
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o640)
    write_atomic(str(path), state.to_json())
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_state_file_nested_too_deep_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CliError) as caught:
        load_state(str(path))
    assert caught.value.code == 2


def test_open_output_truncates_only_back_to_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"committed\nuncommitted")
    output, note = open_output(str(path), 10)
    output.write(b"new\n")
    assert output.sync() == 14
    output.close()
    assert path.read_bytes() == b"committed\nnew\n" and note and "dropped 11" in note
    output, note = open_output(str(path), None)  # no state: append
    output.write(b"more\n")
    output.close()
    assert path.read_bytes() == b"committed\nnew\nmore\n" and note is None
    path.unlink()
    output, note = open_output(str(path), 99)  # rotated away: a new file
    output.close()
    assert note and "rotated" in note and path.read_bytes() == b""
    path.write_bytes(b"short")
    with pytest.raises(CliError, match="truncated or replaced"):
        open_output(str(path), 99)
    assert path.read_bytes() == b"short"


def test_call_options_follow_the_signatures() -> None:
    ops = operations()
    block = {p.name: p for p in ops["senders.block"].parameters}
    assert block["sender"].required and block["sender"].option == "--sender"
    members = {p.name: p for p in ops["groups.add_members"].parameters}
    assert members["emails"].kind == "list" and members["group_id"].option == "--group-id"
    held = {p.name: p for p in ops["holds.list"].parameters}
    assert held["start"].kind == "datetime" and held["admin"].kind == "bool"
    assert held["limit"].kind == "int"
    reject = {p.name: p for p in ops["holds.reject"].parameters}
    assert reject["reason_type"].kind == "choice" and reject["message_ids"].kind == "list"
    assert {p.name: p for p in ops["senders.block_many"].parameters}["pairs"].kind == "pairs"


@pytest.mark.parametrize(
    ("typed", "stream"),
    [
        ("ttp-url", "ttp-url"),
        ("ttp_url", "ttp-url"),
        ("search", "search-logs"),
        ("ttp_attachment", "ttp-attachment"),
        ("audit", "audit"),
    ],
)
def test_pull_takes_the_sdk_method_names_too(typed: str, stream: str) -> None:
    args = build_parser().parse_args(["pull", typed, "--emulator", "--out", "x.jsonl"])
    assert args.stream == stream


def test_checkpoint_is_importable_where_the_design_puts_it() -> None:
    from mimecast_async import pagination

    assert pagination.Checkpoint is Checkpoint
