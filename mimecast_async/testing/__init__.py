"""A local Mimecast API emulator for testing code that uses mimecast_async (or any client).

```python
from mimecast_async.testing import MimecastEmulator, FaultPlan

async with MimecastEmulator(seed=1, records=10_000) as emu:
    async with MimecastClient(emu.hmac_auth, base_url=emu.base_url) as client:
        ...
```
"""

from __future__ import annotations

from .app import EmulatorStats
from .emulator import MimecastEmulator
from .faults import DEFAULT_FAULT_KINDS, FAULT_KINDS, Fault, FaultPlan
from .logdata import LOG_TYPES
from .quota import RateLimit
from .siem import SIEM_LOG_TYPES, SiemFile

__all__ = [
    "DEFAULT_FAULT_KINDS",
    "FAULT_KINDS",
    "LOG_TYPES",
    "SIEM_LOG_TYPES",
    "EmulatorStats",
    "Fault",
    "FaultPlan",
    "MimecastEmulator",
    "RateLimit",
    "SiemFile",
]
