"""Seeded fault plans: which request gets which failure.

Requests are numbered from 1 in the order they pass authentication (token requests and refused
requests are not numbered). A random plan decides each number independently from
``(seed, number)``; a scripted plan names exact requests, by global number or by
``(path, n)`` = the n-th authenticated request to ``path``.

Kinds (all leave the data a correct client ends up with unchanged; only ``drop_after`` runs the
operation before failing):

* ``server_error`` 500/502/503 (chosen by seed), not processed;
* ``rate_limit_burst`` ``burst_length`` consecutive 429s, reset ``burst_reset_ms``;
* ``drop_before`` connection closed before processing; ``drop_after`` processed, then closed;
* ``truncate`` processed, half the body sent with the full Content-Length, then closed;
* ``slow_body`` processed, body written in chunks over ``slow_body_seconds``;
* ``binding_expired`` HTTP 418 (not recoverable by retrying; excluded from random plans by
  default; API 1.0 only: bearer requests get no fault, as with ``token_expiry`` for HMAC);
* ``retryable_fail`` HTTP 200 with a ``fail[]`` entry marked ``retryable: true``, not processed;
* ``token_expiry`` the bearer token used is expired now -> 401 (HMAC requests: no fault). A
  random plan spares a token's first ``token_min_uses`` requests: a real token lives 30 minutes,
  so the token a client has just renewed is never refused at once (scripted faults still hit
  exactly the request they name).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_FAULT_KINDS", "FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS = (
    "server_error",
    "rate_limit_burst",
    "drop_before",
    "drop_after",
    "truncate",
    "slow_body",
    "binding_expired",
    "retryable_fail",
    "token_expiry",
)
DEFAULT_FAULT_KINDS = tuple(kind for kind in FAULT_KINDS if kind != "binding_expired")


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind and, for ``server_error``, the status."""

    kind: str
    status: int = 0
    scripted: bool = False


def _check_kind(kind: str) -> str:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
    return kind


class FaultPlan:
    """Decides the fault, if any, for each authenticated request.

    ``FaultPlan(seed, rate=0.1, kinds=DEFAULT_FAULT_KINDS)`` injects a random kind into about
    ``rate`` of requests; ``FaultPlan.script({3: "server_error", ("/api/x", 2): "drop_after"})``
    targets exact requests. ``paths`` (exact paths or prefixes ending in ``/``) restricts random
    faults to those endpoints, e.g. to keep mutations clean.
    """

    def __init__(
        self,
        seed: int = 0,
        rate: float = 0.1,
        kinds: Iterable[str] = DEFAULT_FAULT_KINDS,
        *,
        paths: Iterable[str] | None = None,
        burst_length: int = 3,
        burst_reset_ms: int = 50,
        slow_body_seconds: float = 0.2,
        token_min_uses: int = 64,
        scripted: Mapping[int | tuple[str, int], str] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if token_min_uses < 0:
            raise ValueError("token_min_uses must be >= 0")
        if burst_length < 1 or burst_reset_ms < 0 or slow_body_seconds < 0:
            raise ValueError("burst_length >= 1, burst_reset_ms >= 0, slow_body_seconds >= 0")
        self.seed = seed
        self.rate = rate
        self.kinds = tuple(_check_kind(kind) for kind in kinds)
        if rate > 0 and not self.kinds and scripted is None:
            raise ValueError("a random fault plan needs at least one kind")
        self.paths = tuple(paths) if paths is not None else None
        self.burst_length = burst_length
        self.burst_reset_ms = burst_reset_ms
        self.slow_body_seconds = slow_body_seconds
        self.token_min_uses = token_min_uses
        self.scripted = {key: _check_kind(kind) for key, kind in (scripted or {}).items()}
        self._burst_left = 0
        self._burst_path: str | None = None  # the path a scripted burst goes on with

    @classmethod
    def script(
        cls,
        faults: Mapping[int | tuple[str, int], str],
        *,
        seed: int = 0,
        burst_length: int = 3,
        burst_reset_ms: int = 50,
        slow_body_seconds: float = 0.2,
    ) -> FaultPlan:
        """A plan that injects exactly ``faults``: request number or ``(path, n)`` -> kind."""
        return cls(
            seed,
            rate=0.0,
            kinds=(),
            burst_length=burst_length,
            burst_reset_ms=burst_reset_ms,
            slow_body_seconds=slow_body_seconds,
            scripted=faults,
        )

    def reset(self) -> None:
        """Forget burst state (a new emulator run)."""
        self._burst_left = 0
        self._burst_path = None

    def _applies(self, path: str) -> bool:
        if self.paths is None:
            return True
        return any(
            path == rule or (rule.endswith("/") and path.startswith(rule)) for rule in self.paths
        )

    def _rng(self, number: int) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:fault:{number}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def decide(self, number: int, path: str, path_number: int) -> Fault | None:
        """The fault for request ``number`` (the ``path_number``-th to ``path``), or None.

        A scripted fault always hits the request it names. A burst of 429s goes on only where
        it started: on the path a scripted burst named, or on the paths random faults may hit
        (``paths=`` keeps the others clean, bursts included).
        """
        rng = self._rng(number)
        kind = self.scripted.get(number) or self.scripted.get((path, path_number))
        scripted = kind is not None
        if kind is None and self._burst_left > 0 and self._in_burst(path):
            self._burst_left -= 1
            return Fault("rate_limit_burst")
        if kind is None and self.rate > 0 and self._applies(path) and rng.random() < self.rate:
            kind = rng.choice(self.kinds)
        if kind is None:
            return None
        if kind == "rate_limit_burst":
            self._burst_left = self.burst_length - 1
            self._burst_path = path if scripted else None
        status = rng.choice((500, 502, 503)) if kind == "server_error" else 0
        return Fault(kind, status, scripted)

    def _in_burst(self, path: str) -> bool:
        if self._burst_path is not None:
            return path == self._burst_path
        return self._applies(path)

    def __repr__(self) -> str:
        if self.scripted:
            return f"FaultPlan.script({self.scripted!r})"
        return f"FaultPlan(seed={self.seed}, rate={self.rate}, kinds={self.kinds!r})"
