"""``python -m mimecast_async.testing``: run the emulator standalone (see :func:`serve.main`)."""

from __future__ import annotations

import sys

from .serve import main

if __name__ == "__main__":
    sys.exit(main())
