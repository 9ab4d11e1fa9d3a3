"""What a run reports: progress Events while it works and the RunResult at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from calendar_sched.targets.base import RateState


@dataclass(frozen=True)
class Event:
    """One thing the executor did or learnt, with a snapshot of progress for displays."""

    kind: str  # recovered, removed, pruned, uploaded, sent, failed, waiting, rate-limited, ...
    message: str
    posts: tuple[str, ...] = ()
    until: float | None = None  # for "waiting": epoch seconds
    done: int = 0
    total: int = 0
    requests_sent: int = 0
    requests_planned: int = 0
    remaining: int | None = None  # budget left in the current window, when known
    extra_requests: int = 0  # counted calls the plan did not have: retries, splits
    rate: RateState | None = None  # the quota as known, for the ETA


@dataclass
class RunResult:
    """What a run achieved, and what is left."""

    total: int = 0
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    already_published: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    #: Key → file, row and channel of Posts the plan does not hold (removed, refused early).
    names: dict[str, str] = field(default_factory=dict)
    requests_sent: int = 0  # counted calls, retries included (what the quota was charged)
    extra_requests: int = 0  # of those, calls the plan did not have: retries, splits
    uploads: int = 0
    rate_limited: int = 0
    stopped: bool = False
    stop_reason: str = ""
    rate: RateState | None = None

    @property
    def complete(self) -> bool:
        """True when nothing is pending (failures are final, not pending)."""
        return not self.pending
