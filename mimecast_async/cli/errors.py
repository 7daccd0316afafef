"""Exit codes of the ``mimecast-async`` command and the mapping from exceptions to them."""

from __future__ import annotations

from ..errors import (
    AuthenticationError,
    BindingExpiredError,
    ConfigurationError,
    InvalidInputError,
    MimecastError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "EXIT_API",
    "EXIT_CODES_HELP",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_RATE_LIMITED",
    "EXIT_USAGE",
    "CliError",
    "exit_code",
    "one_line",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_RATE_LIMITED = 4
EXIT_API = 5
EXIT_LOCKED = 75
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0    success (for `call`, also: every item of a batch call succeeded)
  1    local failure while running (e.g. disk full) or a bug (rerun with --debug)
  2    usage: bad arguments or --since/--start/--end, an --out that cannot be opened,
       a --checkpoint file that is corrupt or was written for another query or output
  3    configuration or authentication: missing/refused credentials, bad --config,
       bad region or base URL, expired binding (418), permission denied (403)
  4    rate limited beyond the allowed wait (--max-rate-limit-wait)
  5    other API or transport error (for `call`: some items of a batch call failed)
  75   another mimecast-async process is writing the same --out (try again later)
  130  interrupted (SIGINT/SIGTERM); the checkpoint covers everything written
"""


class CliError(Exception):
    """A one-line error for the user, with the exit code to leave with."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def exit_code(error: BaseException) -> int:
    """The documented exit code for ``error``."""
    if isinstance(error, CliError):
        return error.code
    if isinstance(
        error,
        (ConfigurationError, AuthenticationError, BindingExpiredError, PermissionDeniedError),
    ):
        return EXIT_CONFIG
    if isinstance(error, RateLimitError):
        return EXIT_RATE_LIMITED
    if isinstance(error, InvalidInputError):
        return EXIT_USAGE
    if isinstance(error, MimecastError):
        return EXIT_API
    return EXIT_FAILURE


def one_line(error: BaseException) -> str:
    """The error's message on a single line (never a traceback)."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        text = f"{error.strerror}{where}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())
