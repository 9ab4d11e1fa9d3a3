"""Files the tool reads whole, writes whole or holds: guarded reads, atomic writes, the lock.

Calendars and channel lists are read only when they are regular files, up to a size cap
(``read_regular``), so a FIFO or ``/dev/zero`` cannot hang a run or fill its memory. Whole-file
writes go to a temp file in the same folder, are fsynced and then ``os.replace``-d, so a reader
sees the old file or the new one, never half of one. The lock is ``filelock``'s (fcntl
on POSIX, msvcrt on Windows); who holds it is written to a small file beside it, so a second run
can say whose run it is waiting for.
"""

from __future__ import annotations

import errno
import math
import os
import socket
import stat
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from calendar_sched.errors import ConfigError, InputError, JournalLocked

#: The process's umask, read once at import (reading it means setting it, so never later, when
#: threads may be creating files).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then ``os.replace`` it.

    The file gets the mode it had, or the one ``open`` would give a new file (``mkstemp``'s
    temp files are private: an export or a pulled calendar would be unreadable to others).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
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
        refuse_special(path)
        from filelock import FileLock, Timeout  # only runs lock: not loaded by validate or plan

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


#: The largest calendar read, in MB, unless ``CALENDAR_SCHED_MAX_FILE_MB`` says otherwise.
DEFAULT_MAX_FILE_MB = 50
MAX_FILE_VAR = "CALENDAR_SCHED_MAX_FILE_MB"


def max_file_bytes(env: Mapping[str, str] | None = None) -> int:
    """The size cap for calendars and channel lists: ``CALENDAR_SCHED_MAX_FILE_MB`` or 50 MB."""
    raw = (os.environ if env is None else env).get(MAX_FILE_VAR, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_FILE_MB
    except ValueError:
        megabytes = DEFAULT_MAX_FILE_MB
    if not math.isfinite(megabytes) or megabytes <= 0:
        megabytes = DEFAULT_MAX_FILE_MB
    return int(megabytes * 1024 * 1024)


def read_regular(path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them; anything else is an ``InputError``.

    A FIFO, a device (``/dev/zero``), a socket or a folder would block or never end: they are
    refused before a byte is read (the file is opened without blocking, then ``fstat``-ed).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputError(f"cannot open the file: {_os_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"this is {_kind_of(info.st_mode)}, not a regular file; give the path of a file"
            )
        if limit is not None and info.st_size > limit:
            raise InputError(too_large(info.st_size, limit))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks = []
        size = 0
        while chunk := os.read(fd, 1024 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:  # grew while being read
                raise InputError(too_large(size, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read the file: {_os_reason(exc)}") from None
    finally:
        os.close(fd)


def too_large(size: int, limit: int) -> str:
    """The message for a file over the size cap: its size, the cap and how to raise it."""
    return (
        f"the file is {size / 1024 / 1024:.1f} MB, over the {limit / 1024 / 1024:g} MB limit for "
        f"calendar files; split it, or set {MAX_FILE_VAR} to a larger number of MB"
    )


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that points to itself (a loop); fix the link"
    return exc.strerror or str(exc)


def refuse_special(path: Path) -> None:
    """A journal path that exists must be a regular file: a FIFO or device would block or lie.

    Raises:
        ConfigError: naming what the path is and that ``--journal`` takes a file path.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"cannot use {path} as a journal: {_os_reason(exc)}") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"{path} is {_kind_of(mode)}, not a regular file; pass --journal with a file path"
        )
