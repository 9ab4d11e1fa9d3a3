"""What a journal knows once replayed: the state of every Post a run touched, and the fold.

``Folder`` applies events one by one; ``replay`` folds a whole journal's lines (header first).
The live journal (``run.journal.Journal``) folds each event as it appends it, with the same
``Folder``, so a replay and a running journal never drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calendar_sched.errors import JournalCorrupt
from calendar_sched.load.channels import validate_channels
from calendar_sched.models import Channel
from calendar_sched.plan import eta
from calendar_sched.targets.base import DonePost, RateState, UploadedMedia

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FailedPost:
    """A Post the server refused for good, with its message."""

    key: str
    message: str
    code: str = "rejected"
    status: int | None = None


@dataclass(frozen=True)
class InDoubtPost:
    """A Post whose call was started but whose outcome was never journaled."""

    key: str
    value_id: str
    content_hash: str
    publish_at: datetime
    update: bool  # the key was already done with another hash: presence proves nothing


@dataclass(frozen=True)
class PlannedPost:
    """What the latest run planned for one Post, so ``status`` works from the journal alone."""

    key: str
    content_hash: str
    publish_at: datetime | None  # None for a Post skipped as unchanged before it was recorded
    channel_id: str


@dataclass(frozen=True)
class Pace:
    """How the latest run paced: its quota and the number of its last planned post request."""

    limit: int
    reserve: int
    window_seconds: float
    last_request: int


@dataclass
class JournalState:
    """Everything a replay of the journal knows."""

    fingerprint: str | None = None
    done: dict[str, DonePost] = field(default_factory=dict)
    failed: dict[str, FailedPost] = field(default_factory=dict)
    in_doubt: dict[str, InDoubtPost] = field(default_factory=dict)
    uploaded: dict[str, UploadedMedia] = field(default_factory=dict)
    planned: dict[str, PlannedPost] = field(default_factory=dict)
    #: Post key → how messages name it (file, row, channel), from the latest plan
    #: that held it, so removed Posts and ``status`` are named without the calendar.
    names: dict[str, str] = field(default_factory=dict)
    rate: RateState | None = None
    requests_sent: int = 0  # counted calls, retries included: what the quota was charged
    #: Counted calls the plan did not have: retries, a 429's resend, the parts of a split.
    extra_requests: int = 0
    last_request: int = 0  # the number of the latest post request sent (README "Numbers")
    pace: Pace | None = None  # None: written before it was recorded, or nothing planned
    damaged: int = 0  # lines ``read_state`` left out (the next run keeps a copy and repairs)
    deleted: dict[str, str] = field(default_factory=dict)  # key → remote id
    events: int = 0
    #: The channels the latest run resolved the calendar against (None: never recorded).
    channels: list[Channel] | None = None
    #: Entry key → the channel ids its references resolved to, in that run.
    entry_channels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def channel(self, channel_id: str) -> Channel | None:
        """A recorded channel by id."""
        return next((c for c in self.channels or () if c.id == channel_id), None)

    def done_hashes(self) -> dict[str, str]:
        """Post key → content hash applied, the planner's ``done`` argument."""
        return {key: item.content_hash for key, item in self.done.items()}

    def pending_keys(self) -> list[str]:
        """Planned Posts neither done (with the planned hash), failed nor in doubt."""
        out = []
        for key, planned in self.planned.items():
            done = self.done.get(key)
            if done is not None and done.content_hash == planned.content_hash:
                continue
            if key in self.failed or key in self.in_doubt:
                continue
            out.append(key)
        return out

    def next_window_at(self, now: float) -> float | None:
        """When the quota next frees up, if the last known state says it is spent or blocked."""
        return eta.next_window_at(self.rate, now)

    def eta_seconds(self, now: float) -> float | None:
        """Time the latest plan's unsent requests still need (None: unknown or nothing left)."""
        pace = self.pace
        if pace is None or not self.pending_keys():
            return None
        return eta.eta_seconds(
            max(0, pace.last_request - self.last_request),
            per_window=pace.limit - pace.reserve,
            window_seconds=pace.window_seconds,
            rate=self.rate,
            now=now,
            reserve=pace.reserve,
        )


class Folder:
    """Applies events one by one; shared by replay and the live journal so they never drift."""

    def __init__(self) -> None:
        self.state = JournalState()
        self.calls: dict[str, list[dict[str, Any]]] = {}

    def apply(self, event: dict[str, Any]) -> None:
        state = self.state
        kind = event.get("event")
        state.events += 1
        if kind == "started":
            self.calls[event["call"]] = event["posts"]
            if event.get("counted", True):
                state.requests_sent += 1
                if event.get("extra", event.get("attempt", 1) > 1):
                    state.extra_requests += 1
                first_tries = state.requests_sent - state.extra_requests
                state.last_request = max(state.last_request, event.get("request") or first_tries)
            if event.get("rate"):
                # The budget as it stood with this call counted: a call that died unanswered
                # was still spent on the server.
                state.rate = _rate(event["rate"])
            for item in event["posts"]:
                key = item["key"]
                previous = state.done.get(key)
                state.in_doubt[key] = InDoubtPost(
                    key=key,
                    value_id=item["value_id"],
                    content_hash=item["hash"],
                    publish_at=datetime.fromisoformat(item["publish_at"]),
                    update=previous is not None and previous.content_hash != item["hash"],
                )
                state.failed.pop(key, None)
        elif kind == "succeeded":
            hashes = {item["key"]: item["hash"] for item in self.calls.pop(event["call"], [])}
            for item in event["posts"]:
                key = item["key"]
                state.done[key] = DonePost(key, item["remote_id"], hashes[key], item["channel"])
                state.in_doubt.pop(key, None)
                state.deleted.pop(key, None)
        elif kind == "failed":
            posts = self.calls.pop(event["call"], [])
            # A transient failure may have committed part of the request: those stay in doubt.
            if not event.get("transient"):
                for item in posts:
                    state.in_doubt.pop(item["key"], None)
        elif kind == "post_failed":
            key = event["key"]
            state.failed[key] = FailedPost(
                key, event["message"], event.get("code", "rejected"), event.get("status")
            )
            state.in_doubt.pop(key, None)
        elif kind == "resolved":
            key = event["key"]
            if event.get("remote_id"):
                state.done[key] = DonePost(
                    key,
                    event["remote_id"],
                    event["hash"],
                    event.get("channel", ""),
                    bool(event.get("already_published")),
                )
                state.failed.pop(key, None)
            state.in_doubt.pop(key, None)
        elif kind == "uploaded":
            state.uploaded[event["key"]] = UploadedMedia(event["key"], event["id"], event["path"])
        elif kind == "rate":
            state.rate = _rate(event)
        elif kind == "planned":
            before_plan = state.planned
            state.planned = {
                item["key"]: PlannedPost(
                    item["key"],
                    item["hash"],
                    datetime.fromisoformat(item["publish_at"]),
                    item["channel"],
                )
                for item in event["posts"]
            }
            state.names.update({i["key"]: i["where"] for i in event["posts"] if "where" in i})
            if "pace" in event:
                state.pace = Pace(**event["pace"])
            for key in event.get("skipped", []):
                done = state.done.get(key)
                before = before_plan.get(key)
                state.planned[key] = PlannedPost(
                    key,
                    done.content_hash if done else "",
                    before.publish_at if before else None,
                    done.channel_id if done else "",
                )
        elif kind == "channels":
            state.channels = validate_channels(event["channels"])
            state.entry_channels = {
                str(key): tuple(str(i) for i in ids) for key, ids in event["entries"].items()
            }
        elif kind == "repaired":
            pass  # a damaged journal was rebuilt from its valid lines (``Journal._repair``)
        elif kind == "deleted":
            state.done.pop(event["key"], None)
            state.deleted[event["key"]] = event["remote_id"]
        else:
            raise JournalCorrupt(f"journal event {state.events} has unknown kind {kind!r}")


def _rate(data: dict[str, Any]) -> RateState:
    return RateState(
        data.get("limit"),
        data.get("remaining"),
        data.get("reset_at"),
        data.get("blocked_until"),
        data.get("window_seconds"),  # absent in journals written before it was recorded
    )


def replay(lines: Iterable[dict[str, Any]]) -> JournalState:
    """Fold journal lines (header first) into a ``JournalState``."""
    return fold(lines).state


def fold(lines: Iterable[dict[str, Any]], skipped: list[int] | None = None) -> Folder:
    """Fold ``lines``; a malformed event raises, or is left out and counted in ``skipped``."""
    folder = Folder()
    for number, event in enumerate(lines, start=1):
        if number == 1:
            check_header(event)
            folder.state.fingerprint = event.get("fingerprint")
            continue
        try:
            folder.apply(event)
        except (KeyError, TypeError, ValueError, AttributeError, JournalCorrupt) as exc:
            if skipped is None:
                raise JournalCorrupt(f"journal line {number} is malformed ({exc!r})") from exc
            skipped.append(number)
    return folder


def check_header(event: dict[str, Any]) -> None:
    if event.get("event") != "header":
        raise JournalCorrupt("journal does not start with a header line")
    version = event.get("format_version")
    if version != FORMAT_VERSION:
        raise JournalCorrupt(
            f"journal format_version {version!r} is not supported (this calendar-sched reads "
            f"version {FORMAT_VERSION}); use the calendar-sched that wrote it, or --journal NEW"
        )
