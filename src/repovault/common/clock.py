"""Times on the wire are Unix epoch milliseconds; 0 means never."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
