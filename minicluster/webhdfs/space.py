"""A cluster's capacity, use and room, as GETSTATUS reports them.

By default the disk's own figures. With a configured capacity (the mini cluster gives
each site one, so that two sites on one disk do not report the same numbers), use is
what the root holds, added up at most every few seconds, and room is what is left of
the capacity or of the disk, whichever is less.
"""

import os
import threading
import time
from contextlib import suppress

USAGE_TTL_SECONDS = 10.0


class Space:
    def __init__(self, root: str, capacity: int | None) -> None:
        self.root = root
        self.capacity = capacity
        self._lock = threading.Lock()
        self._used: tuple[float, int] | None = None  # (when, bytes)

    def status(self) -> dict[str, int]:
        disk = os.statvfs(self.root)
        free = disk.f_bavail * disk.f_frsize
        if self.capacity is None:
            capacity = disk.f_blocks * disk.f_frsize
            return {"capacity": capacity, "used": capacity - disk.f_bfree * disk.f_frsize,
                    "remaining": free}
        used = self._usage()
        return {"capacity": self.capacity, "used": used,
                "remaining": max(0, min(self.capacity - used, free))}

    def _usage(self) -> int:
        with self._lock:
            if self._used is None or time.monotonic() - self._used[0] > USAGE_TTL_SECONDS:
                self._used = (time.monotonic(), _bytes_under(self.root))
            return self._used[1]


def _bytes_under(root: str) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            with suppress(FileNotFoundError):  # removed while counted
                total += os.lstat(os.path.join(directory, name)).st_size
    return total
