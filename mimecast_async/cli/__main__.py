"""``python -m mimecast_async.cli``: the ``mimecast-async`` command."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
