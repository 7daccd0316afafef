"""``mimecast-async call RESOURCE.METHOD --arg value ...``: any admin operation, printed as JSON.

Options are derived from the method signature (``inspect.signature`` + type hints): ``group_id``
becomes ``--group-id``; ints, floats, booleans (``--flag``/``--no-flag``), ISO datetimes, choices
(``Literal``) and lists (repeat the option or separate values with commas; URLs are never split)
are parsed by annotation. Paginated results are collected into a list, a ``BatchResult`` prints
as ``{"succeeded": [...], "failed": [...]}``.
"""

from __future__ import annotations

import argparse
import collections.abc
import functools
import importlib
import inspect
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec

from ..batch import BatchResult
from ..pagination import AsyncPager
from .config import add_connection_options, connect
from .errors import EXIT_API, EXIT_CODES_HELP, EXIT_OK
from .timespec import parse_instant

__all__ = ["OPERATIONS", "Operation", "add_call_parser", "operations", "run_call", "to_jsonable"]

#: client attribute -> (module, class) of each admin resource.
RESOURCES = {
    "policies": ("policies", "PoliciesResource"),
    "groups": ("groups", "GroupsResource"),
    "senders": ("senders", "SendersResource"),
    "urls": ("urls", "UrlsResource"),
    "archive": ("archive", "ArchiveResource"),
    "tracking": ("tracking", "TrackingResource"),
    "holds": ("holds", "HoldsResource"),
    "users": ("users", "UsersResource"),
}

_SEQUENCES = {
    collections.abc.Iterable,
    collections.abc.Sequence,
    collections.abc.Collection,
    list,
    tuple,
    set,
    frozenset,
}


@dataclass(frozen=True)
class Parameter:
    name: str
    option: str
    required: bool
    default: Any
    kind: str  # str, int, float, bool, datetime, choice, list, pairs
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Operation:
    resource: str
    method: str
    doc: str
    parameters: tuple[Parameter, ...]

    @property
    def name(self) -> str:
        return f"{self.resource}.{self.method}"

    def usage(self) -> str:
        parts = []
        for parameter in self.parameters:
            value = {
                "bool": "",
                "choice": " {" + ",".join(map(str, parameter.choices)) + "}",
                "list": " V[,V...]",
                "pairs": " A,B",
            }.get(parameter.kind, f" {parameter.kind.upper()}")
            text = f"{parameter.option}{value}"
            parts.append(text if parameter.required else f"[{text}]")
        return " ".join(parts)


def _strip_none(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return tuple(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return (annotation,)


def _classify(annotation: Any) -> tuple[str, tuple[Any, ...]]:
    members = _strip_none(annotation)
    for member in members:  # a list type wins over its plain-str alternative (emails: ... | str)
        if typing.get_origin(member) in _SEQUENCES:
            inner = typing.get_args(member)
            if inner and typing.get_origin(inner[0]) is tuple:
                return "pairs", ()
            return "list", ()
    member = members[0] if len(members) == 1 else next((m for m in members if m is str), str)
    if typing.get_origin(member) is Literal:
        return "choice", typing.get_args(member)
    if member is bool:
        return "bool", ()
    if member is int:
        return "int", ()
    if member is float:
        return "float", ()
    if member is datetime:
        return "datetime", ()
    return "str", ()


def _operation(resource: str, cls: type, method: str) -> Operation:
    function = getattr(cls, method)
    hints = typing.get_type_hints(function)
    parameters = []
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        kind, choices = _classify(hints.get(parameter.name, str))
        required = parameter.default is inspect.Parameter.empty
        parameters.append(
            Parameter(
                parameter.name,
                "--" + parameter.name.replace("_", "-"),
                required,
                None if required else parameter.default,
                kind,
                choices,
            )
        )
    doc = inspect.getdoc(function) or ""
    summary = doc.split("\n\n", 1)[0].replace("\n", " ")
    return Operation(resource, method, summary, tuple(parameters))


@functools.lru_cache(maxsize=1)
def operations() -> dict[str, Operation]:
    """Every admin operation, by ``resource.method``."""
    found: dict[str, Operation] = {}
    for resource, (module_name, class_name) in RESOURCES.items():
        module = importlib.import_module(f"mimecast_async.resources.{module_name}")
        cls = getattr(module, class_name)
        for method, member in sorted(vars(cls).items()):
            if method.startswith("_") or not inspect.isfunction(member):
                continue
            operation = _operation(resource, cls, method)
            found[operation.name] = operation
    return found


OPERATIONS = operations


def _split(values: list[str]) -> list[str]:
    items: list[str] = []
    for value in values:
        if "://" in value:
            items.append(value.strip())
        else:
            items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def _pair(value: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in value.split(","))
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected two comma-separated values, got {value!r}")
    return parts


def _instant(value: str) -> datetime:
    from .errors import CliError

    try:
        return parse_instant(value, "value")
    except CliError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_TYPES: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": float,
    "datetime": _instant,
    "pairs": _pair,
}


def _add_operation_parser(
    subparsers: Any, operation: Operation, parser_class: type[argparse.ArgumentParser]
) -> None:
    parser = subparsers.add_parser(
        operation.name,
        help=operation.doc,
        description=f"client.{operation.name}(...): {operation.doc}",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    group = parser.add_argument_group("operation arguments")
    for parameter in operation.parameters:
        options: dict[str, Any] = {"dest": f"op_{parameter.name}"}
        default = "" if parameter.required else f" (default {parameter.default!r})"
        if parameter.kind == "bool":
            options.update(action=argparse.BooleanOptionalAction, default=parameter.default)
            options["help"] = f"default {parameter.default!r}" if not parameter.required else None
        elif parameter.kind in ("list", "pairs"):
            options.update(action="append", metavar="VALUE")
            options["help"] = (
                "repeatable; each value is SENDER,TO"
                if parameter.kind == "pairs"
                else "repeatable or comma-separated (a URL is never split: repeat it)"
            )
            if parameter.kind == "pairs":
                options["type"] = _pair
        elif parameter.kind == "choice":
            options.update(choices=parameter.choices, help=default.strip() or None)
        else:
            options["type"] = _TYPES.get(parameter.kind, str)
            options["metavar"] = parameter.kind.upper()
            options["help"] = (
                "ISO 8601 (UTC when no offset)" if parameter.kind == "datetime" else None
            )
        options["required"] = parameter.required
        options.setdefault("default", None)
        group.add_argument(parameter.option, **options)
    parser.add_argument("--compact", action="store_true", help="print JSON on one line")
    parser.add_argument("--debug", action="store_true", help="tracebacks on errors")
    add_connection_options(parser)
    parser.set_defaults(command="call", operation=operation.name)


CALL_DESCRIPTION = """\
Call any admin operation of the SDK and print its result as JSON.
Run `mimecast-async call --list` for every operation and its options,
`mimecast-async call OPERATION --help` for one."""


def add_call_parser(
    subparsers: Any, parser_class: type[argparse.ArgumentParser], *, with_operations: bool
) -> None:
    call = subparsers.add_parser(
        "call",
        help="call an admin operation, e.g. call senders.block --sender a@x.com --to b@y.com",
        description=CALL_DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call.add_argument("--list", action="store_true", help="list every operation and exit")
    call.set_defaults(command="call", operation=None)
    if with_operations:
        ops = call.add_subparsers(dest="operation", metavar="OPERATION")
        for operation in operations().values():
            _add_operation_parser(ops, operation, parser_class)


def list_operations() -> str:
    lines = []
    for operation in operations().values():
        lines.append(f"{operation.name} {operation.usage()}".rstrip())
        if operation.doc:
            lines.append(f"    {operation.doc}")
    return "\n".join(lines) + "\n"


def _failure(failure: Any) -> dict[str, Any]:
    return {
        "item": msgspec.to_builtins(failure.item, enc_hook=str),
        "codes": list(failure.codes),
        "errors": [
            {"code": error.code, "message": error.message, "retryable": error.retryable}
            for error in failure.errors
        ],
    }


def to_jsonable(result: Any) -> Any:
    """Builtins for any operation result (models keep Mimecast's camelCase names)."""
    if isinstance(result, BatchResult):
        return {
            "succeeded": msgspec.to_builtins(result.succeeded, enc_hook=str),
            "failed": [_failure(failure) for failure in result.failed],
        }
    return msgspec.to_builtins(result, enc_hook=str)


def _arguments(args: argparse.Namespace, operation: Operation) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for parameter in operation.parameters:
        value = getattr(args, f"op_{parameter.name}")
        if value is None:
            continue
        if parameter.kind == "list":
            value = _split(value)
        kwargs[parameter.name] = value
    return kwargs


async def run_call(args: argparse.Namespace) -> int:
    if args.list or args.operation is None:
        sys.stdout.write(list_operations())
        return EXIT_OK
    operation = operations()[args.operation]
    kwargs = _arguments(args, operation)
    async with connect(args) as conn:
        method = getattr(getattr(conn.client, operation.resource), operation.method)
        result = method(**kwargs)
        if isinstance(result, AsyncPager):
            result = await result.to_list()
        elif inspect.isawaitable(result):
            result = await result
    encoded = msgspec.json.encode(to_jsonable(result))
    if not args.compact:
        encoded = msgspec.json.format(encoded, indent=2)
    sys.stdout.buffer.write(encoded + b"\n")
    sys.stdout.flush()
    if isinstance(result, BatchResult) and result.failed:
        print(
            f"mimecast-async: {len(result.failed)} of {len(result)} items failed "
            f"({', '.join(sorted(set(result.codes))) or 'no code'})",
            file=sys.stderr,
        )
        return EXIT_API
    return EXIT_OK
