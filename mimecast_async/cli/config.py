"""Credentials and connection: environment, ``--config FILE`` (TOML), overrides, ``--emulator``.

A config file holds the same settings as the environment, as lower-case keys, at the top level
or under a ``[mimecast]`` table::

    [mimecast]
    region = "eu"            # or base_url = "https://eu-api.mimecast.com"
    client_id = "..."        # API 2.0; or app_id, app_key, access_key, secret_key (API 1.0)
    client_secret = "..."

When ``--config`` is given, credentials come from the file only (never mixed with the
environment); ``--base-url``/``--region`` override both.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ..client import MimecastClient
from ..errors import ConfigurationError
from ..retry import RetryPolicy
from .errors import EXIT_CONFIG, CliError

__all__ = ["Connection", "add_connection_options", "connect", "load_config", "parse_toml_subset"]

_KEYS = (
    "base_url",
    "region",
    "client_id",
    "client_secret",
    "app_id",
    "app_key",
    "access_key",
    "secret_key",
)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``pull`` and ``call``."""
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--config", metavar="FILE", help="TOML file with credentials (instead of MIMECAST_* vars)"
    )
    group.add_argument("--base-url", metavar="URL", help="API base URL (wins over --region)")
    group.add_argument("--region", help="API region: eu, us, ... (API 1.0); global, uk, us (2.0)")
    group.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="per-request timeout (60)"
    )
    group.add_argument(
        "--max-rate-limit-wait",
        type=float,
        default=120.0,
        metavar="S",
        help="longest single rate-limit wait before giving up with exit 4 (120)",
    )
    emulator = parser.add_argument_group("bundled emulator")
    emulator.add_argument(
        "--emulator",
        action="store_true",
        help="start the bundled Mimecast emulator in-process and use it (no credentials needed)",
    )
    emulator.add_argument(
        "--emulator-records", type=int, default=10_000, metavar="N", help="records per log type"
    )
    emulator.add_argument(
        "--emulator-latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="time from a request to its answer",
    )
    emulator.add_argument("--emulator-seed", type=int, default=1, metavar="N", help="data seed")


def parse_toml_subset(text: str) -> dict[str, Any]:
    """The TOML this CLI needs when ``tomllib`` is missing (Python 3.10): ``[table]`` headers,
    ``key = "string"`` / ``'string'`` / integers / booleans, and comments."""
    root: dict[str, Any] = {}
    table = root
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\](\s*#.*)?", line)
        if header:
            table = root.setdefault(header.group(1), {})
            continue
        match = re.fullmatch(
            r"([A-Za-z0-9_-]+)\s*=\s*(\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|(-?\d+)|(true|false))"
            r"\s*(#.*)?",
            line,
        )
        if not match:
            raise ValueError(f'line {number}: unsupported TOML (use key = "value")')
        key = match.group(1)
        if match.group(3) is not None:
            value: Any = re.sub(
                r"\\(.)",
                lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                match.group(3),
            )
        elif match.group(4) is not None:
            value = match.group(4)
        elif match.group(5) is not None:
            value = int(match.group(5))
        else:
            value = match.group(6) == "true"
        table[key] = value
    return root


def load_config(path: str) -> dict[str, str]:
    """Settings from a TOML file as ``MIMECAST_*`` names; CliError (exit 3) when unusable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            mode = os.fstat(handle.fileno()).st_mode
    except OSError as error:
        raise CliError(f"cannot read --config {path}: {error.strerror}", EXIT_CONFIG) from None
    try:
        text = data.decode("utf-8")
        if sys.version_info >= (3, 11):
            import tomllib

            document: dict[str, Any] = tomllib.loads(text)
        else:  # pragma: no cover - exercised on Python 3.10 only
            document = parse_toml_subset(text)
    except Exception as error:  # tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError
        # the message names a line and column, never the content (it may hold a secret)
        message = str(error).split("\n", 1)[0]
        raise CliError(f"--config {path} is not valid TOML: {message}", EXIT_CONFIG) from None
    table = document.get("mimecast", document)
    if not isinstance(table, dict):
        raise CliError(f"--config {path}: [mimecast] must be a table", EXIT_CONFIG)
    unknown = sorted(key for key in table if key not in _KEYS and key != "mimecast")
    if unknown:
        raise CliError(
            f"--config {path}: unknown keys {', '.join(unknown)} (known: {', '.join(_KEYS)})",
            EXIT_CONFIG,
        )
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and any(
        key in table for key in ("client_secret", "secret_key")
    ):
        print(
            f"mimecast-async: warning: {path} holds secrets and is readable by others "
            "(chmod 600 it)",
            file=sys.stderr,
        )
    return {
        f"MIMECAST_{key.upper()}": str(value)
        for key, value in table.items()
        if key in _KEYS and value is not None
    }


@dataclass
class Connection:
    """An open client, and the in-process emulator behind it (when ``--emulator``)."""

    client: MimecastClient
    emulator: Any | None
    source: str


def make_emulator(args: argparse.Namespace) -> Any:
    """An unstarted in-process emulator configured from ``--emulator-*`` options."""
    from ..testing import MimecastEmulator

    if args.emulator_records < 0 or args.emulator_latency_ms < 0:
        raise CliError("--emulator-records and --emulator-latency-ms must be >= 0")
    return MimecastEmulator(
        seed=args.emulator_seed,
        records=args.emulator_records,
        latency=args.emulator_latency_ms / 1000.0,
    )


def emulator_source(args: argparse.Namespace) -> str:
    return f"emulator(seed={args.emulator_seed},records={args.emulator_records})"


def build_client(
    args: argparse.Namespace, emulator: Any | None, max_concurrency: int = 8
) -> MimecastClient:
    """Validate credentials and options (no I/O); ConfigurationError names what is missing."""
    if not (0 < args.timeout < math.inf and 0 <= args.max_rate_limit_wait < math.inf):
        raise CliError("--timeout must be > 0 and --max-rate-limit-wait >= 0 (finite seconds)")
    options: dict[str, Any] = {
        "max_concurrency": max_concurrency,
        "timeout": args.timeout,
        "retry": RetryPolicy(max_rate_limit_wait=args.max_rate_limit_wait),
    }
    if emulator is not None:
        return MimecastClient(emulator.hmac_auth, base_url=emulator.base_url, **options)
    environ: dict[str, str] = (
        load_config(args.config) if args.config else {k: v for k, v in os.environ.items()}
    )
    if args.base_url:
        environ["MIMECAST_BASE_URL"] = args.base_url
    if args.region:
        environ["MIMECAST_REGION"] = args.region
        if not args.base_url:
            environ.pop("MIMECAST_BASE_URL", None)
    try:
        return MimecastClient.from_env(environ, **options)
    except ConfigurationError as error:
        if args.config and "environment" in str(error):
            raise ConfigurationError(
                f"no Mimecast credentials in --config {args.config}: set client_id and "
                "client_secret (API 2.0), or app_id, app_key, access_key and secret_key (API 1.0)"
            ) from None
        if "environment" in str(error):
            raise ConfigurationError(
                f"{error}; or pass --config FILE (or --emulator to try the bundled emulator)"
            ) from None
        raise


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace, max_concurrency: int = 8, emulator: Any | None = None
) -> AsyncIterator[Connection]:
    """Start the emulator (if asked), open a client, close both at the end."""
    if emulator is None and args.emulator:
        emulator = make_emulator(args)
    if emulator is None:
        client = build_client(args, None, max_concurrency)
        async with client:
            yield Connection(client, None, "api")
        return
    async with emulator:
        client = build_client(args, emulator, max_concurrency)
        async with client:
            yield Connection(client, emulator, emulator_source(args))
