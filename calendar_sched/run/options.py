"""The options of a preview or a run, and the quota they come to (limit from the journal).

``RunOptions`` is what ``plan`` and ``run`` are asked to do, as one frozen value; ``quota`` turns
it into the target's ``CostModel``: the limit given, else the last one the server sent (kept in
the journal), else the API's default, and a window that defaults per API (short for the
embedded sandbox, so a rehearsal paces yet finishes in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from calendar_sched.check.validation import ValidateOptions
from calendar_sched.errors import ReserveTooLarge
from calendar_sched.targets.base import CostModel, RateState
from calendar_sched.targets.config import (
    choose_target,
    resolve_postsyncer_target,
    resolve_target,
)
from calendar_sched.targets.connect import STATE_DIR

#: A quota window of an embedded sandbox: short, so a month finishes in under a minute yet paces.
EMBEDDED_WINDOW = 10.0

#: A quota window of Postiz: one hour, fixed from the first counted call.
POSTIZ_WINDOW = 3600.0


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to read, check, plan and run a calendar: what ``plan`` and ``run`` are asked to do."""

    #: How to read the files; ``channels`` None means the account's (``discover``) when one is
    #: open, else the demo list. Its ``now`` and ``target`` are set from the fields below.
    read: ValidateOptions = field(default_factory=ValidateOptions)
    target: str | None = None  # run: postiz | postsyncer; None → the one configured
    limit: int | None = None  # counted requests per window; None → last seen, else the default
    reserve: int = 0  # requests per window left for other tools of the same account
    window_seconds: float | None = None  # None → 3600 s (PostSyncer 60 s, a sandbox run 10 s)
    journal: Path | None = None  # None → ``<first calendar>.journal.jsonl`` beside it
    snap_minutes: int | None = None  # preview: merge publish times on an M-minute grid
    count_uploads: bool = False  # preview: the server counts uploads too (older Postiz)
    check_existing: bool | None = None  # preview: list the account's posts; None → if configured
    skip_duplicates: bool = False  # leave out posts whose text is already on their channel
    republish: bool = False  # publish again the published posts that were edited
    prune: bool = False  # run: delete posts whose rows left the calendar
    dry_run: bool = False  # run: plan (journal read, nothing recorded) and send nothing
    now: datetime | None = None  # the plan's start; None → the current time
    state_dir: Path = STATE_DIR  # where an embedded sandbox keeps its state
    #: preview: also plan the calendar through PostSyncer (a third of a large preview's time), as
    #: ``plan --compare`` asks; off by default, as in ``plan``.
    compare_postsyncer: bool = False
    #: run: what to do with posts sent after their publish time (passed, or late for the quota):
    #: ``publish`` (Postiz publishes them at once), ``skip``, or None: ask ``choose_late``.
    late: Literal["publish", "skip"] | None = None
    #: run: rows without an id that look edited (a post left, a new one on its channel in its
    #: row or at its time): ``replace`` deletes the old post, ``keep`` keeps both; None: ask.
    edits: Literal["replace", "keep"] | None = None

    def journal_path(self, files: Sequence[str | Path]) -> Path:
        """The journal of this calendar: ``journal``, else the one beside the first file."""
        from calendar_sched.run.journal import journal_path_for  # validate needs no journal

        return self.journal if self.journal is not None else journal_path_for(files[0])


@dataclass(frozen=True)
class Quota:
    """The target a run opens and the quota it paces to."""

    api: str  # postiz | postsyncer
    embedded: bool  # no account configured: the built-in sandbox of that API
    costs: CostModel


def quota(
    options: RunOptions, seen: RateState | None, env: Mapping[str, str] | None = None
) -> Quota:
    """The target of ``options`` and its quota, given the rate the journal last saw.

    Raises:
        ConfigError: the environment names a target badly.
        ReserveTooLarge: the reserve leaves no request of a window for this run.
    """
    # PostSyncer's client loads httpx: imported only for that target (``validate`` never is).
    from calendar_sched.targets.postsyncer import client as postsyncer_client
    from calendar_sched.targets.postsyncer.backend import postsyncer_costs

    api = choose_target(options.target, env)
    if api == "postsyncer":
        embedded = resolve_postsyncer_target(env).embedded
        default_window = postsyncer_client.WINDOW_SECONDS
        default_limit = postsyncer_client.LIMIT
    else:
        embedded = resolve_target(env).embedded
        default_window, default_limit = POSTIZ_WINDOW, CostModel.limit
    window = options.window_seconds or (EMBEDDED_WINDOW if embedded else default_window)
    limit = per_window(options, seen, default_limit)
    if api == "postsyncer":
        return Quota(api, embedded, postsyncer_costs(limit, window))
    return Quota(api, embedded, CostModel(limit=limit, window_seconds=window))


def per_window(options: RunOptions, seen: RateState | None, default: int) -> int:
    """Counted requests per window: the option, else the server's last word, else ``default``.

    Raises:
        ReserveTooLarge: ``options.reserve`` is not below that limit.
    """
    limit = options.limit or (seen.limit if seen and seen.limit else None) or default
    if options.reserve >= limit:
        raise ReserveTooLarge(options.reserve, limit, given=options.limit is not None)
    return limit
