"""A calendar from its files to the account: ``preview`` (what ``plan`` shows) and ``run``.

Both open the target with ``targets.connect``, validate the files against its channels, read the
journal, compare the calendar with the account's posts (one free listing) and plan. ``run`` then
asks ``confirm`` and sends the plan exactly once (``executor.execute``), journaling every call.
They print nothing and return values; the command line renders them and picks the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from calendar_sched.check.validation import Validation, validate
from calendar_sched.errors import ApiError, AuthError
from calendar_sched.load.normalize import row_of
from calendar_sched.models import Channel, Post
from calendar_sched.plan.account import ExistingCheck
from calendar_sched.plan.planner import Plan, plan
from calendar_sched.report import RowError
from calendar_sched.run.edits import likely_edits
from calendar_sched.run.events import Event, RunResult
from calendar_sched.run.executor import execute, removed_keys
from calendar_sched.run.journal import Journal, JournalState, read_state
from calendar_sched.run.options import RunOptions, quota
from calendar_sched.run.pulled_media import add_problems, pulled_media_problems
from calendar_sched.run.queue import QueueOutcome, place_queued
from calendar_sched.run.survey import record, survey
from calendar_sched.targets.base import Backend, DonePost
from calendar_sched.targets.config import resolve_target
from calendar_sched.targets.connect import Connection, connect, sandbox_label
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend

Files = Sequence[str | Path]


@dataclass(frozen=True)
class PlanFigures:
    """A plan summed up: its counts and ETA, without its requests and Posts."""

    requests: int  # counted, fixed and label calls included
    lower_bound: int
    naive_requests: int
    windows: int
    eta_seconds: float
    uploads: int
    label_calls: int
    fixed_calls: int
    listing_calls: int
    limit: int
    window_seconds: float

    @classmethod
    def of(cls, result: Plan) -> PlanFigures:
        """The figures of ``result``."""
        return cls(
            requests=result.requests_counted,
            lower_bound=result.lower_bound,
            naive_requests=result.naive_requests,
            windows=result.windows,
            eta_seconds=result.eta_seconds,
            uploads=sum(1 for r in result.requests if r.kind == "upload"),
            label_calls=result.label_calls,
            fixed_calls=result.fixed_calls,
            listing_calls=result.listing_calls,
            limit=result.limit,
            window_seconds=result.window_seconds,
        )


@dataclass(frozen=True)
class Preview:
    """What a run of a calendar would do: the validation, the account check and the plan."""

    validation: Validation
    plan: Plan | None = None  # None when the calendar is invalid
    existing: ExistingCheck | None = None  # the account's posts compared, when they were listed
    existing_error: str | None = None  # why the listing failed (the check was skipped)
    listing_counted: bool = False  # the target counts listings, so they were not compared
    where: str | None = None  # the target, when one was opened
    api: str = "postiz"
    embedded: bool = False  # the target is a built-in sandbox: nothing is published
    postsyncer: PlanFigures | None = None  # preview: the same calendar through PostSyncer
    late_skipped: list[Post] = field(default_factory=list)  # run --late skip: left out
    #: run: key → name of the done Posts whose rows left the calendar (``prune`` deletes them).
    removed: dict[str, str] = field(default_factory=dict)
    #: run: new Post key → the key of the removed post it looks like an edit of.
    edits: dict[str, str] = field(default_factory=dict)
    queue: QueueOutcome | None = None  # where rows without a time were placed (posting slots)

    @property
    def valid(self) -> bool:
        """True when the calendar has no errors (and so has a plan)."""
        return self.validation.report.valid

    @property
    def late(self) -> list[Post]:
        """Posts the plan sends after their publish time: passed already, or late for the quota.

        Postiz publishes a post whose time has passed at once.
        """
        if self.plan is None or not self.plan.late:
            return []
        by_key = {post.key: post for post in self.plan.posts}
        return [by_key[key] for key in self.plan.late if key in by_key]


@dataclass(frozen=True)
class RunOutcome:
    """What ``run`` did: its preview, and the executor's result when it sent anything."""

    preview: Preview
    result: RunResult | None = None  # None when invalid, a dry run, or declined
    declined: bool = False  # ``confirm`` said no: nothing was sent
    late_undecided: bool = False  # posts would go out late and nobody chose: nothing was sent
    edits_undecided: bool = False  # rows look edited and nobody chose: nothing was sent

    @property
    def status(
        self,
    ) -> Literal["invalid", "late", "edits", "declined", "dry-run", "pending", "failed", "done"]:
        """``done``, ``failed`` (some Posts), ``pending`` (call again), or why nothing was sent."""
        if not self.preview.valid:
            return "invalid"
        if self.late_undecided:
            return "late"
        if self.edits_undecided:
            return "edits"
        if self.declined:
            return "declined"
        if self.result is None:
            return "dry-run"
        if self.result.pending:
            return "pending"
        return "failed" if self.result.failed else "done"


def preview_calendar(
    files: Files, options: RunOptions | None = None, *, env: Mapping[str, str] | None = None
) -> Preview:
    """Validate calendar files and plan them; PostSyncer's figures too with compare_postsyncer.

    The account's posts are listed (one free call) when ``options.check_existing`` says so, by
    default when a Postiz account is configured; nothing is sent and the journal is only read.

    Args:
        files: calendar files (CSV/TSV, XLSX, YAML or JSON), read in order.
        options: how to read, plan and compare (``target``, ``prune`` and ``dry_run`` unused).
        env: the environment naming the account (default ``os.environ``).

    Returns:
        The Preview; its ``plan`` is None when the calendar is invalid.

    Raises:
        ConfigError: the environment names a target badly (``ReserveTooLarge``: the reserve
            leaves no room in a window).
        ApiError: the account refused its key (``AuthError``) or failed to list its channels.
        JournalCorrupt: the journal beside the calendar cannot be read.
    """
    options = options or RunOptions()
    now = options.now or datetime.now(UTC)
    check_existing = options.check_existing
    if check_existing is None:
        check_existing = not resolve_target(env).embedded
    opening = (
        connect(
            "postiz",
            state_dir=options.state_dir,
            label="the built-in sandbox",
            env=env,
            channels=options.read.channels,
        )
        if check_existing
        else nullcontext(None)
    )
    check = existing_error = None
    with opening as opened:
        read = replace(options.read, now=now, target="postiz")
        listed = opened.backend.discover() if opened is not None else None
        if listed is not None and read.channels is None:
            read = replace(read, channels=listed)  # the account's, as run's
        checked = validate(list(files), read)
        if not checked.report.valid:
            return Preview(checked)
        path = options.journal_path(files)
        state = read_state(path) if path.exists() else None
        if opened is not None and listed is not None:
            # As run: Posts on channels the account does not list are left out, with why.
            done_now = state.done_hashes() if state else {}
            unlisted = _unlisted(checked.posts, listed, done_now, opened.where)
            add_problems(checked, _unlisted_warnings(checked.posts, unlisted))
            checked = replace(checked, posts=[p for p in checked.posts if p.key not in unlisted])
        # Rows without a time get their slots before the comparison and the plan
        checked, queue = place_queued(
            checked,
            pack_key=PostizBackend().pack_key,
            backend=opened.backend if opened is not None else None,
            state=state,
            now=now,
        )
        if not checked.report.valid:
            return Preview(checked, queue=queue)
        if opened is not None:
            done = state.done if state else {}
            check, existing_error = _compare(checked.posts, opened.backend, done, options)
        # Pulled posts without their media: free unchanged, refused edited, unknown offline.
        hashes = state.done_hashes() if state else {}
        add_problems(checked, pulled_media_problems(checked, check, hashes, strict=False))
        if not checked.report.valid:
            return Preview(checked, existing=check, existing_error=existing_error, queue=queue)
    # The quota a run would pace to: the account's hour, the built-in sandbox's short window.
    target = quota(replace(options, target="postiz"), state.rate if state else None, env)
    costs = replace(target.costs, counts_uploads=options.count_uploads)
    # The same calendar through PostSyncer (every call counted, 60 per minute): only its figures
    # are kept, so its plan is summed up and let go before the Postiz one is made.
    syncer = (
        PlanFigures.of(
            plan(checked.posts, PostSyncerBackend(), snap_minutes=options.snap_minutes, now=now)
        )
        if options.compare_postsyncer
        else None
    )
    done_hashes = state.done_hashes() if state else {}
    result = plan(
        check.posts if check else checked.posts,
        PostizBackend(costs=costs, republish=check.republish if check else ()),
        reserve=options.reserve,
        snap_minutes=options.snap_minutes,
        done=check.done(done_hashes) if check else done_hashes,
        uploaded=set(state.uploaded) if state else (),
        now=now,
        first_request=state.last_request + 1 if state else 1,
        rate=state.rate if state else None,
    )
    return Preview(
        checked,
        result,
        existing=check,
        existing_error=existing_error,
        where=opened.where if opened is not None else None,
        embedded=target.embedded,
        postsyncer=syncer,
        queue=queue,
    )


def run_calendar(
    files: Files,
    options: RunOptions | None = None,
    *,
    env: Mapping[str, str] | None = None,
    confirm: Callable[[Preview], bool] | None = None,
    on_event: Callable[[Event], None] | None = None,
    stop: Callable[[], bool] | None = None,
    choose_late: Callable[[Preview], Literal["publish", "skip"] | None] | None = None,
    choose_edits: Callable[[Preview], Literal["replace", "keep"] | None] | None = None,
) -> RunOutcome:
    """Schedule calendar files exactly once, paced to the quota; call it again to resume.

    Opens the target (the configured account of ``options.target``, else its built-in sandbox),
    validates the files against its channels, opens and locks the journal, compares the calendar
    with the account's posts (Postiz: one free listing, journaled), plans what is not done yet,
    asks ``confirm`` and sends the plan.

    Args:
        files: calendar files (CSV/TSV, XLSX, YAML or JSON), read in order.
        options: how to read, plan and run; ``dry_run`` stops after the plan.
        env: the environment naming the account (default ``os.environ``).
        confirm: shown the preview once everything is planned, before anything is sent; False
            sends nothing. Not called for a dry run or an invalid calendar; None sends.
        on_event: progress: first a ``target`` event (message: where the run goes) once the
            journal is open, then the executor's events.
        stop: polled while sending and waiting; True ends the run cleanly with work pending.
        choose_late: asked when the plan sends posts after their publish time (``Preview.late``)
            and ``options.late`` is None: ``publish``, ``skip`` (re-planned without them), or
            None: nothing is sent (status ``late``). A built-in sandbox publishes nothing, so
            there they go as planned without asking.
        choose_edits: asked when rows without an id look edited (``Preview.edits``) and neither
            ``options.edits`` nor ``prune`` says what to do: ``replace`` (the old posts are
            deleted), ``keep`` (both stay), or None: nothing is sent (status ``edits``). A
            built-in sandbox keeps both without asking.

    Returns:
        The RunOutcome; its ``status`` says whether everything was done.

    Raises:
        ConfigError: the environment names a target badly (``ReserveTooLarge``: the reserve
            leaves no room in a window).
        AuthError: the key was refused; nothing is lost and calling again resumes.
        JournalLocked: another run holds the journal.
        JournalCorrupt: the journal cannot be read or belongs to another target.
    """
    options = options or RunOptions()
    path = options.journal_path(files)
    target = quota(options, read_state(path).rate if path.exists() else None, env)
    label = sandbox_label(target.api, target.costs, options.state_dir)
    with connect(
        target.api,
        costs=target.costs,
        state_dir=options.state_dir,
        label=label,
        env=env,
        channels=options.read.channels,  # a built-in sandbox lists the --channels-file's
    ) as opened:
        now = options.now or datetime.now(UTC)
        read = replace(options.read, now=now, target=target.api)
        listed = opened.backend.discover()
        if read.channels is None:
            read = replace(read, channels=listed)
        checked = validate(list(files), read)
        if not checked.report.valid:
            return RunOutcome(Preview(checked, where=opened.where, api=opened.api))
        with Journal(path, fingerprint=opened.backend.fingerprint) as journal:
            if on_event is not None:
                on_event(Event("target", opened.where))
                if journal.repaired:
                    on_event(Event("repaired", journal.repaired))
            if not options.dry_run:
                journal.channels(read.channels or [], checked.posts)  # for export and status
            checked, unlisted = _on_listed_channels(checked, listed, journal, options, opened)
            checked, queue = place_queued(
                checked,
                pack_key=opened.backend.pack_key,
                backend=opened.backend,
                state=journal.state,
                now=now,
            )
            if not checked.report.valid:  # rows without a time that found no slot
                preview = Preview(checked, where=opened.where, api=opened.api, queue=queue)
                return RunOutcome(preview)
            backend, preview, replan = _prepare(checked, opened, journal, options, now)
            preview = replace(preview, queue=queue)
            if not preview.valid:  # edited pulled posts whose media are unknown
                return RunOutcome(preview)
            if preview.late and options.late is None and not opened.embedded:
                choice = choose_late(preview) if choose_late is not None else None
                if choice is None:
                    return RunOutcome(preview, late_undecided=True)
                if choice == "skip":
                    preview = replan(preview)
            edits = options.edits
            asks = not (options.prune or options.dry_run or opened.embedded)
            if preview.edits and edits is None and asks:
                edits = choose_edits(preview) if choose_edits is not None else None
                if edits is None:
                    return RunOutcome(preview, edits_undecided=True)
            if options.dry_run:
                return RunOutcome(preview)
            if confirm is not None and not confirm(preview):
                return RunOutcome(preview, declined=True)
            assert preview.plan is not None
            result = execute(
                preview.plan,
                backend,
                journal,
                on_event=on_event,
                stop=stop,
                prune=options.prune,
                delete=preview.edits.values() if edits == "replace" else (),
                ledger=opened.ledger,
            )
            result.failed.update(unlisted)
            result.total += len(unlisted)
    return RunOutcome(preview, result)


def _prepare(
    checked: Validation,
    opened: Connection,
    journal: Journal,
    options: RunOptions,
    now: datetime,
) -> tuple[Backend, Preview, Callable[[Preview], Preview]]:
    """Compare with the account's posts, journal what that proved, and plan the rest.

    Also returns how to plan again without the late posts (``--late skip``).
    """
    backend, state = opened.backend, journal.state
    posts, done = checked.posts, state.done_hashes()
    check = existing_error = None
    counted = backend.costs.counts_everything  # PostSyncer would count the listing
    if not counted:
        check, existing_error = _compare(posts, backend, state.done, options)
    add_problems(checked, pulled_media_problems(checked, check, done, strict=True))
    if not checked.report.valid:  # nothing is journaled or sent
        preview = Preview(checked, existing=check, where=opened.where, api=opened.api)
        return backend, preview, lambda kept: kept
    if check is not None:
        posts = check.posts
        if options.dry_run:
            done = check.done(done)
        else:
            record(check, journal)
            done = state.done_hashes()  # the journal state is kept current
        if isinstance(backend, PostizBackend):
            backend = backend.with_republish(check.republish)

    def plan_posts(kept: list[Post]) -> Plan:
        return plan(
            kept,
            backend,
            reserve=options.reserve,
            snap_minutes=options.snap_minutes,
            done=done,
            uploaded=set(state.uploaded),
            in_doubt=_in_doubt(state),
            now=now,
            first_request=state.last_request + 1,
            rate=state.rate,
        )

    def without_late(preview: Preview) -> Preview:
        # Leaving posts out only moves the others earlier; repeat until none is late.
        skipped: dict[str, Post] = {}
        the_plan = preview.plan
        while the_plan is not None and the_plan.late:
            before = len(skipped)
            skipped.update((post.key, post) for post in replace(preview, plan=the_plan).late)
            if len(skipped) == before:
                break
            the_plan = plan_posts([post for post in posts if post.key not in skipped])
        return replace(preview, plan=the_plan, late_skipped=list(skipped.values()))

    the_plan = plan_posts(posts)
    removed = removed_keys(the_plan, state)
    preview = Preview(
        checked,
        the_plan,
        existing=check,
        existing_error=existing_error,
        listing_counted=counted,
        where=opened.where,
        api=opened.api,
        embedded=opened.embedded,
        removed={key: state.names.get(key, key) for key in removed},
        edits=likely_edits(the_plan.posts, state, removed),
    )
    if options.late == "skip":
        preview = without_late(preview)
    return backend, preview, without_late


def _compare(
    posts: list[Post], backend: Backend, done: Mapping[str, DonePost], options: RunOptions
) -> tuple[ExistingCheck | None, str | None]:
    """The account's posts compared with ``posts``, else why the listing failed."""
    try:
        check = survey(
            posts,
            backend,
            done=done,
            republish=options.republish,
            skip_duplicates=options.skip_duplicates,
        )
    except AuthError:
        raise
    except ApiError as exc:
        return None, str(exc)
    return check, None


def _in_doubt(state: JournalState) -> int:
    """Creates sent without an answer, which a counted listing must settle first."""
    return sum(1 for item in state.in_doubt.values() if not item.update)


def _unlisted(
    posts: Sequence[Post], listed: Sequence[Channel], done: Mapping[str, str], where: str
) -> dict[str, str]:
    """Key → why, for the Posts on channels ``where`` does not list that would be sent."""
    ids = {channel.id for channel in listed}
    unlisted: dict[str, str] = {}
    for post in posts:
        if post.channel.id in ids or done.get(post.key) == post.content_hash():
            continue  # listed, or done already and unchanged: nothing would be sent for it
        unlisted[post.key] = (
            f"{post.describe(channel=False)}: channel {post.channel.name!r} "
            f"({post.channel.id}) is not listed by {where.split(' (')[0]}; not sent (is the "
            "channels file out of date? "
            "`calendar-sched channels` lists the target's)"
        )
    return unlisted


def _unlisted_warnings(posts: Sequence[Post], unlisted: Mapping[str, str]) -> list[RowError]:
    """One ``channel-not-listed`` warning per Post of ``unlisted`` (key → message)."""
    return [
        RowError(
            "channel-not-listed",
            unlisted[post.key],
            row=row_of(post.position),
            field="channels",
            file=post.position.file,
        )
        for post in posts
        if post.key in unlisted
    ]


def _on_listed_channels(
    checked: Validation,
    listed: Sequence[Channel],
    journal: Journal,
    options: RunOptions,
    opened: Connection,
) -> tuple[Validation, dict[str, str]]:
    """Leave out the Posts on channels the target does not list, each failed with why.

    A ``--channels-file`` may name channels the account (or its sandbox) lacks; the server
    would refuse those Posts only after a counted request. They fail here, journaled (except
    in a dry run), and nothing is sent for them. Returns the rest and key → message.
    """
    unlisted = _unlisted(checked.posts, listed, journal.state.done_hashes(), opened.where)
    if not unlisted:
        return checked, {}
    if not options.dry_run:
        for key, message in unlisted.items():
            journal.post_failed(key, message, code="channel-not-listed")
    kept = [post for post in checked.posts if post.key not in unlisted]
    return replace(checked, posts=kept), unlisted
