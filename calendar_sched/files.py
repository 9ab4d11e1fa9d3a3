"""Files the tool writes whole or holds: atomic writes and the cross-platform journal lock.

Whole-file writes go to a temp file in the same folder, are fsynced and then ``os.replace``-d, so
a reader sees the old file or the new one, never half of one. The lock is ``filelock``'s (fcntl
on POSIX, msvcrt on Windows); who holds it is written to a small file beside it, so a second run
can say whose run it is waiting for.
"""

from __future__ import annotations

import os
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from calendar_sched.errors import JournalLocked


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then ``os.replace`` it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write_bytes`` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


class HeldLock:
    """An exclusive lock on ``<path>.lock``, taken at once or refused with the holder's name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(path.with_name(path.name + ".lock"), timeout=0)
        self._holder = path.with_name(path.name + ".lock.holder")
        try:
            self._lock.acquire()
        except Timeout:
            raise JournalLocked(
                f"{path} is in use by {self._read_holder()}; wait for that run to finish "
                "(or stop it) and run again"
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._holder.write_text(f"pid {os.getpid()} on {socket.gethostname()} since {since}\n")

    def _read_holder(self) -> str:
        try:
            return self._holder.read_text("utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        """Remove the holder note, then release the lock."""
        self._holder.unlink(missing_ok=True)
        self._lock.release()
