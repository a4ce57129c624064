"""One fetch at a time per site: an advisory lock on a file in the cache folder.

The operating system releases the lock when the holder exits, even by kill -9, so a crashed
run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BusyError

log = logging.getLogger(__name__)


@contextmanager
def fetch_lock(path: Path, wait: float = 0.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the site's fetch lock; wait up to `wait` seconds for another run, then BusyError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"another fetch of this site is running ({holder}); "
                        f"it holds {path}. Try again when it has finished."
                    ) from err
                if not announced:
                    log.warning("digest: another fetch is running (%s); waiting", holder)
                    announced = True
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def _holder(path: Path) -> str:
    """Who holds the lock, as far as the file says."""
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid else "a process"
