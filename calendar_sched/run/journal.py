"""The run journal: append-only JSON Lines beside the calendar, one fsync per line, and a lock.

Line one is a header (``format_version``, tool version, target fingerprint — never the key).
Every later line is one event. A call is journaled ``started`` *before* it is sent and
``succeeded``/``failed`` *after*; a call with no outcome is "in doubt" and is reconciled by
listing before anything is resent. Replaying the events gives a ``JournalState``
(``run.journal_state``: the state and the fold; this module reads, locks and writes the file).

A ``channels`` event records the channel list a run resolved the calendar against and, per
entry, the channel ids its references resolved to, so ``export`` and ``status`` name the same
channels offline. It was added without a ``format_version`` change: a journal without it reads as
before (those commands then fall back to their own channel list), and the header is written once,
so a journal begun by an earlier version gains the event on its next run. (An earlier version
refuses a journal holding it, as an unknown event, just as it would refuse a new version.)

A torn last line (power loss mid-write) is ignored and cut off before the next append; damage
anywhere else, or an unknown ``format_version``, raises ``JournalCorrupt``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from calendar_sched.errors import DiskFull, JournalCorrupt
from calendar_sched.files import HeldLock, atomic_write_bytes, refuse_special
from calendar_sched.identity import first_value_id
from calendar_sched.models import Channel, Post, utc_iso
from calendar_sched.run.journal_state import (
    FORMAT_VERSION,
    FailedPost,
    Folder,
    InDoubtPost,
    JournalState,
    Pace,
    PlannedPost,
    fold,
    replay,
)
from calendar_sched.targets.base import RateState, SentPost, UploadedMedia
from calendar_sched.version import __version__

__all__ = [
    "FORMAT_VERSION",
    "SUFFIX",
    "FailedPost",
    "InDoubtPost",
    "Journal",
    "JournalState",
    "Pace",
    "PlannedPost",
    "journal_path_for",
    "read_lines",
    "read_state",
    "replay",
]

SUFFIX = ".journal.jsonl"


def journal_path_for(calendar: str | os.PathLike[str]) -> Path:
    """``<calendar>.journal.jsonl`` beside the calendar file."""
    path = Path(calendar)
    return path.with_name(path.name + SUFFIX)


def _encode(event: dict[str, Any]) -> bytes:
    """One journal line."""
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def _channel_json(channel: Channel) -> dict[str, Any]:
    """A Channel in the ``GET /integrations`` shape, empty fields left out."""
    return {k: v for k, v in asdict(channel).items() if v is not None and v is not False}


def read_lines(path: Path, skipped: list[int] | None = None) -> tuple[list[dict[str, Any]], int]:
    """The parsed lines of a journal and the byte length of its intact part.

    A damaged line before the last raises ``JournalCorrupt``, or with ``skipped`` is left out
    and its number recorded there.
    """
    refuse_special(path)  # a FIFO or a device as --journal would block here or never end
    data = path.read_bytes()
    lines: list[dict[str, Any]] = []
    good = 0
    number = 0
    while good < len(data):
        number += 1
        newline = data.find(b"\n", good)
        if newline == -1:
            break  # no newline: the last write never finished
        raw = data[good:newline]
        if raw.strip():
            try:
                item = json.loads(raw)
                if not isinstance(item, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                if newline + 1 >= len(data):
                    break  # a torn final line
                if skipped is None or number == 1:
                    raise JournalCorrupt(
                        f"{path}: line {number} is not valid JSON ({exc}); move the file aside "
                        "or pass --journal NEW to start a new journal"
                    ) from exc
                skipped.append(number)
                good = newline + 1
                continue
            lines.append(item)
        good = newline + 1
    return lines, good


def read_state(path: str | os.PathLike[str]) -> JournalState:
    """Replay a journal without locking it (``status`` reads while a run writes)."""
    target = Path(path)
    if not target.exists():
        return JournalState()
    unreadable: list[int] = []
    malformed: list[int] = []
    lines, _ = read_lines(target, unreadable)
    state = fold(lines, malformed).state if lines else JournalState()
    state.damaged = len(unreadable) + len(malformed)  # the next run repairs the file
    return state


# Writing


class Journal:
    """An open, locked journal: append events, read the replayed state."""

    def __init__(self, path: str | os.PathLike[str], *, fingerprint: str) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._lock: HeldLock | None = None
        self._file: IO[bytes] | None = None
        self._mutex = threading.Lock()
        self._folder = Folder()
        #: What was done to a damaged journal on opening (None: it was whole).
        self.repaired: str | None = None
        self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = HeldLock(self.path)
        try:
            unreadable: list[int] = []  # line numbers that are not JSON
            malformed: list[int] = []  # event numbers (of the readable lines) that do not apply
            lines, good = read_lines(self.path, unreadable) if self.path.exists() else ([], 0)
            if lines:
                self._folder = fold(lines, malformed)
                written_for = self._folder.state.fingerprint
                if written_for != self.fingerprint:
                    raise JournalCorrupt(
                        f"{self.path} was written for another target (fingerprint "
                        f"{str(written_for)[:12]}…, now {self.fingerprint[:12]}…); "
                        "pass --journal NEW to start a separate journal"
                    )
            if unreadable or malformed:
                good = self._repair(lines, len(unreadable), malformed)
            self._file = open(self.path, "r+b" if self.path.exists() else "w+b")  # noqa: SIM115
            self._file.truncate(good)  # cut a torn tail so the next line starts clean
            self._file.seek(good)
            if not lines:
                self._folder.state.fingerprint = self.fingerprint
                self._write(
                    {
                        "event": "header",
                        "format_version": FORMAT_VERSION,
                        "tool_version": __version__,
                        "fingerprint": self.fingerprint,
                        "created_at": utc_iso(datetime.now(UTC)),
                    }
                )
        except BaseException:
            self.close()
            raise

    def _repair(self, lines: list[dict[str, Any]], unreadable: int, malformed: list[int]) -> int:
        """Keep the damaged journal aside and rewrite it from its valid lines; returns its size.

        What the lost lines said is found again: a run lists the account's posts before it
        plans (a post there under its own id with the same content is journaled done), and
        every post keeps its deterministic id, so one sent again updates itself in place.
        """
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        aside.write_bytes(self.path.read_bytes())
        left_out = set(malformed)
        valid = [event for number, event in enumerate(lines, 1) if number not in left_out]
        self.repaired = (
            f"the journal {self.path.name} was damaged ({unreadable} unreadable and "
            f"{len(malformed)} malformed lines); a copy is kept at {aside.name}, and it was "
            f"rebuilt from its "
            f"{len(valid) - 1} valid events; the account's listing settles the rest"
        )
        valid.append({"event": "repaired", "damaged_copy": aside.name, "at": time.time()})
        data = b"".join(_encode(event) for event in valid)
        atomic_write_bytes(self.path, data)
        self._folder = fold(valid)
        return len(data)

    def close(self) -> None:
        """Close the file and release the lock."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> JournalState:
        """The replayed state, kept current as events are appended."""
        return self._folder.state

    def _write(self, event: dict[str, Any]) -> None:
        if self._file is None:
            raise JournalCorrupt(f"{self.path} is closed")
        line = _encode(event)
        start = self._file.tell()
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            with contextlib.suppress(OSError):  # leave no half line (opening cuts one anyway)
                self._file.truncate(start)
            raise DiskFull(
                f"the disk is full: {self.path} cannot be written. Free some space and run the "
                "same command again; nothing is lost (what was sent is checked first)"
            ) from None

    def _append(self, event: dict[str, Any]) -> None:
        event["at"] = round(time.time(), 3)
        with self._mutex:
            self._write(event)
            self._folder.apply(event)

    # Events

    def planned(
        self, posts: Sequence[Post], skipped: Sequence[str] = (), pace: Pace | None = None
    ) -> None:
        """What this run means to apply, so ``status`` can tell pending from done (and when)."""
        self._append(
            {
                "event": "planned",
                **({} if pace is None else {"pace": asdict(pace)}),
                "skipped": list(skipped),
                "posts": [
                    {
                        "key": post.key,
                        "hash": post.content_hash(),
                        "publish_at": post.publish_at.isoformat(),
                        "channel": post.channel.id,
                        "where": post.describe(),  # absent in older journals
                    }
                    for post in posts
                ],
            }
        )

    def channels(self, channels: Sequence[Channel], posts: Sequence[Post]) -> None:
        """How this run resolved the calendar's channels: the list and each entry's ids.

        Written only when it differs from the last record, so a resume adds nothing.
        """
        entries: dict[str, list[str]] = {}
        for post in posts:
            entries.setdefault(post.entry_key, []).append(post.channel.id)
        listed = [_channel_json(channel) for channel in channels]
        state = self.state
        same = state.channels is not None and [_channel_json(c) for c in state.channels] == listed
        if same and {k: list(v) for k, v in state.entry_channels.items()} == entries:
            return
        self._append({"event": "channels", "channels": listed, "entries": entries})

    def started(
        self,
        posts: Sequence[Post],
        *,
        counted: bool = True,
        attempt: int = 1,
        rate: RateState | None = None,
        request: int | None = None,
        extra: bool = False,
    ) -> str:
        """Journal a create call *before* it is sent, and the budget counting it; returns its id.

        ``request`` is the number of the plan's request it sends; ``extra`` marks a counted call
        the plan did not have (a retry, a 429's resend, a part of a split request).
        """
        call = uuid.uuid4().hex[:12]
        self._append(
            {
                "event": "started",
                "call": call,
                "counted": counted,
                "attempt": attempt,
                **({} if request is None else {"request": request}),
                **({"extra": True} if extra else {}),
                "rate": None if rate is None else asdict(rate),
                "posts": [
                    {
                        "key": post.key,
                        "hash": post.content_hash(),
                        "value_id": first_value_id(post, self.fingerprint),
                        "publish_at": post.publish_at.isoformat(),
                    }
                    for post in posts
                ],
            }
        )
        return call

    def succeeded(self, call: str, sent: Sequence[SentPost]) -> None:
        """Journal the ids a create call returned."""
        self._append(
            {
                "event": "succeeded",
                "call": call,
                "posts": [
                    {"key": s.post_key, "remote_id": s.remote_id, "channel": s.channel_id}
                    for s in sent
                ],
            }
        )

    def failed(
        self,
        call: str,
        *,
        message: str,
        status: int | None = None,
        code: str = "",
        transient: bool,
    ) -> None:
        """Journal a call's failure: transient (may have committed) or terminal (did not)."""
        self._append(
            {
                "event": "failed",
                "call": call,
                "status": status,
                "code": code,
                "message": message,
                "transient": transient,
            }
        )

    def post_failed(
        self, key: str, message: str, *, code: str = "rejected", status: int | None = None
    ) -> None:
        """Journal that the server refused one Post for good."""
        self._append(
            {"event": "post_failed", "key": key, "message": message, "code": code, "status": status}
        )

    def resolved(
        self,
        key: str,
        *,
        remote_id: str | None,
        content_hash: str = "",
        channel_id: str = "",
        already_published: bool = False,
        how: str = "reconciled",
    ) -> None:
        """Journal what a listing proved about a Post (present with ``remote_id``, or absent)."""
        self._append(
            {
                "event": "resolved",
                "key": key,
                "remote_id": remote_id,
                "hash": content_hash,
                "channel": channel_id,
                "already_published": already_published,
                "how": how,
            }
        )

    def uploaded(self, media: UploadedMedia) -> None:
        """Journal an uploaded media file, so it is never uploaded twice."""
        self._append({"event": "uploaded", "key": media.key, "id": media.id, "path": media.path})

    def rate(self, rate: RateState) -> None:
        """Journal the last quota state seen, for pacing after a restart."""
        self._append({"event": "rate", **asdict(rate)})

    def deleted(self, key: str, remote_id: str) -> None:
        """Journal a pruned Post."""
        self._append({"event": "deleted", "key": key, "remote_id": remote_id})
