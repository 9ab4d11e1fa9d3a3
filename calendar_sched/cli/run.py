"""``calendar-sched run``: apply a calendar exactly once, paced to the quota; re-run to resume."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Literal

import click
from rich.console import Console
from rich.text import Text

from calendar_sched.cli import render
from calendar_sched.cli.options import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_PENDING,
    SourceArgs,
    exit_codes,
    journal_option,
    limit_option,
    reserve_option,
    resolve_journal,
    snap_option,
    source_args,
    window_option,
)
from calendar_sched.cli.plan import print_existing, print_queue, summary_line
from calendar_sched.cli.progress import RunProgress
from calendar_sched.errors import AuthError, JournalLocked, ReserveTooLarge
from calendar_sched.models import Post
from calendar_sched.report import count
from calendar_sched.run.events import Event, RunResult
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import Preview, run_calendar
from calendar_sched.targets.config import POSTSYNCER_TOKEN_VAR, TARGETS


@click.command("run")
@source_args
@click.option("--yes", is_flag=True, help="Do not ask for confirmation against a real account.")
@click.option("--dry-run", is_flag=True, help="Show the plan and stop; send nothing.")
@limit_option
@window_option
@reserve_option
@journal_option("Journal file (default: <calendar>.journal.jsonl beside the first calendar).")
@click.option("--prune", is_flag=True, help="Delete posts whose rows left the calendar.")
@click.option(
    "--target",
    "target_name",
    type=click.Choice(TARGETS),
    help="The API to schedule through (default: the only one configured, else postiz).",
)
@click.option(
    "--skip-duplicates",
    is_flag=True,
    help="Leave out posts whose text is already on their channel within an hour.",
)
@click.option(
    "--republish",
    is_flag=True,
    help="Publish again the already published posts you edited (Postiz republish: true).",
)
@click.option(
    "--late",
    type=click.Choice(["publish", "skip"]),
    help="Posts sent after their publish time (passed, or late for the quota): publish them "
    "at once, or skip them. Without it a run that has some asks, or sends nothing.",
)
@click.option(
    "--edits",
    type=click.Choice(["replace", "keep"]),
    help="Rows without an id whose text or time changed become new posts: replace deletes the "
    "old post each one looks like an edit of, keep leaves both scheduled. Without it a run that "
    "finds some asks, or sends nothing. `calendar-sched ids FILE` gives rows stable ids.",
)
@snap_option
@exit_codes
def run_command(
    source: SourceArgs,
    yes: bool,
    dry_run: bool,
    limit: int | None,
    window_seconds: float | None,
    reserve: int,
    journal_file: str | None,
    prune: bool,
    target_name: str | None,
    skip_duplicates: bool,
    republish: bool,
    late: Literal["publish", "skip"] | None,
    edits: Literal["replace", "keep"] | None,
    snap_minutes: int | None,
) -> None:
    """Schedule FILE... exactly once, paced to the quota. Run it again to resume."""
    out = render.console()
    options = RunOptions(
        read=source.validate_options(),
        target=target_name,
        limit=limit,
        reserve=reserve,
        window_seconds=window_seconds,
        journal=resolve_journal(journal_file, source.files[0]),
        prune=prune,
        skip_duplicates=skip_duplicates,
        republish=republish,
        dry_run=dry_run,
        late=late,
        edits=edits,
        snap_minutes=snap_minutes,
    )
    display = _Display(out, options, yes=yes)
    try:
        with display:
            outcome = run_calendar(
                source.files,
                options,
                confirm=display.confirm,
                on_event=display.on_event,
                choose_late=display.choose_late,
                choose_edits=display.choose_edits,
            )
    except ReserveTooLarge as exc:
        below = f"must be below the limit ({exc.limit})"
        raise click.BadParameter(below, param_hint="--reserve") from None
    except JournalLocked as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_PENDING)
    except AuthError as exc:
        if display.shown is None:  # refused before the run began: the usual message
            raise
        _refused(exc, display.shown.api)
        sys.exit(EXIT_CONFIG)
    if outcome.status == "invalid":
        render.print_report(outcome.preview.validation.report, as_json=False)
        sys.exit(EXIT_INVALID)
    if outcome.status == "late":
        click.echo(
            f"Error: {len(outcome.preview.late)} posts would be sent after their publish time, "
            "and Postiz publishes those at once. Nothing was sent. Run again with --late "
            "publish to send them anyway, or --late skip to leave them out.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    if outcome.status == "edits":
        click.echo(
            f"Error: {count(len(outcome.preview.edits), 'row')} without an id look edited, and "
            "sending them would leave the old posts scheduled too. Nothing was sent. Run again "
            "with --edits replace to delete the old posts, or --edits keep to publish both; "
            "`calendar-sched ids FILE` gives the rows stable ids, so later edits update in place.",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    if outcome.status == "declined":
        click.echo("Nothing was sent or deleted.", err=True)
        sys.exit(EXIT_INVALID)
    if outcome.result is None:  # a dry run
        display.show(outcome.preview)
        out.print("Dry run: nothing was sent.")
        return
    sys.exit(
        _report(
            out,
            outcome.result,
            embedded=outcome.preview.embedded,
            resume=_resume_command(),
            posts=outcome.preview.plan.posts if outcome.preview.plan else [],
        )
    )


class _Display:
    """The run on the terminal: where it goes, what it will do, the prompt, then progress."""

    def __init__(self, out: Console, options: RunOptions, *, yes: bool) -> None:
        self.out = out
        self.options = options
        self.yes = yes
        self.shown: Preview | None = None  # set once the run is about to send
        self.replacing = options.edits == "replace"  # the old posts of edited rows go
        self._progress: RunProgress | None = None
        self._stack = ExitStack()

    def __enter__(self) -> _Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def on_event(self, event: Event) -> None:
        """``run_calendar``'s ``on_event``: the target line, then the progress display."""
        if event.kind == "target":
            self.out.print(f"Target: {event.message}")
        elif event.kind == "repaired":
            render.note(self.out, "warning:", event.message)
        elif self._progress is not None:
            self._progress(event)

    def confirm(self, preview: Preview) -> bool:
        """``run_calendar``'s ``confirm``: show the preview, ask before a real account."""
        assert preview.plan is not None
        self.show(preview)
        self.shown = preview
        posts = len(preview.plan.posts)
        doomed = list(preview.removed) if self.options.prune else []
        if not doomed and self.replacing and not preview.embedded:
            doomed = list(preview.edits.values())
        deleting = len(doomed)
        if deleting:
            why = "--prune" if self.options.prune else "--edits replace"
            self.out.print(f"{why} deletes {count(deleting, 'post')} that left the calendar:")
            for name in [preview.removed.get(key, key) for key in doomed][:20]:
                self.out.print(f"  {name}", markup=False)
            if deleting > 20:
                self.out.print(f"  … and {deleting - 20} more")
        ask = not preview.embedded and not self.yes and (posts or deleting)
        if ask and not _ask(_question(posts, deleting, preview), posts, deleting, preview):
            return False
        the_plan = preview.plan
        self._progress = self._stack.enter_context(
            RunProgress(
                self.out,
                per_window=the_plan.limit - the_plan.reserve,
                window_seconds=the_plan.window_seconds,
                reserve=the_plan.reserve,
            )
        )
        return True

    def choose_late(self, preview: Preview) -> Literal["publish", "skip"] | None:
        """``run_calendar``'s ``choose_late``: name the late posts; ask only at a terminal."""
        print_late(self.out, preview.late, now=datetime.now(UTC))
        answer = self._ask("Publish them at once, skip them, or stop?", ("publish", "skip"))
        return "publish" if answer == "publish" else "skip" if answer == "skip" else None

    def choose_edits(self, preview: Preview) -> Literal["replace", "keep"] | None:
        """``run_calendar``'s ``choose_edits``: name the edited rows; ask only at a terminal."""
        print_edits(self.out, preview)
        answer = self._ask(
            "Replace the old posts (delete them), keep both, or stop?", ("replace", "keep")
        )
        self.replacing = answer == "replace"
        return "replace" if answer == "replace" else "keep" if answer == "keep" else None

    def _ask(self, question: str, choices: tuple[str, str]) -> str | None:
        """One of ``choices``, or None for stop, --yes, or no one to answer (a script)."""
        if self.yes:
            return None
        try:
            answer: str = click.prompt(
                question, type=click.Choice([*choices, "stop"]), default="stop"
            )
        except click.Abort:  # no one to answer (a script, end of input)
            return None
        return None if answer == "stop" else answer

    def show(self, preview: Preview) -> None:
        """What the run is about to do: the account check, the plan summary, what is skipped."""
        assert preview.plan is not None
        out, options = self.out, self.options
        if preview.existing is not None:
            print_existing(out, preview.existing)
        elif preview.existing_error is not None:
            render.note(
                out,
                "warning:",
                f"could not list the account's posts "
                f"({preview.existing_error}); the duplicate and pulled-post checks were skipped",
            )
        elif preview.listing_counted and (options.skip_duplicates or options.republish):
            out.print("note: the existing-posts check is Postiz only; flags ignored")
        out.print(summary_line(preview.plan))
        if preview.queue is not None:  # rows without a time: the summary, times in `plan`
            print_queue(out, preview.queue, preview.validation.posts, shown=0)
        if preview.late_skipped:
            out.print(f"{len(preview.late_skipped)} late posts left out (--late skip):")
            print_late(out, preview.late_skipped, now=datetime.now(UTC), intro=False)
        elif preview.late and (preview.embedded or options.late == "publish"):
            note = (
                "the built-in sandbox publishes nothing; on your account the run would ask first"
                if preview.embedded and options.late is None
                else "--late publish"
            )
            print_late(out, preview.late, now=datetime.now(UTC), note=note)
        if preview.edits and preview.embedded and options.edits is None and not options.prune:
            out.print(
                f"note: {count(len(preview.edits), 'row')} without an id look edited; the "
                "built-in sandbox keeps both posts (on your account the run would ask: --edits)"
            )
        if preview.plan.skipped:
            out.print(
                f"{count(len(preview.plan.skipped), 'post')} unchanged since the last run: skipped"
            )


def _question(posts: int, deleting: int, preview: Preview) -> str:
    """``Send 3 posts to …?``, ``Delete 2 posts from …?`` or both."""
    if not deleting:
        return f"Send {count(posts, 'post')} to {preview.where}?"
    if not posts:
        return f"Delete {count(deleting, 'post')} from {preview.where}?"
    return f"Send {count(posts, 'post')} to {preview.where} and delete {deleting}?"


def _ask(question: str, posts: int, deleting: int, preview: Preview) -> bool:
    """The confirmation before a real account; without anyone to answer, say to add --yes."""
    try:
        return click.confirm(question)
    except click.Abort:  # end of input: a script, or stdin closed
        would = [f"send {count(posts, 'post')}"] if posts else []
        would += [f"delete {count(deleting, 'post')}"] if deleting else []
        click.echo(
            f"\nError: this run would {' and '.join(would)} on {preview.where}, and nobody "
            "answered the question; run it again with --yes. Nothing was sent or deleted.",
            err=True,
        )
        return False


def _refused(exc: AuthError, api: str) -> None:
    where_key = (
        f"{POSTSYNCER_TOKEN_VAR} and its abilities (PostSyncer → Settings → API Integrations)"
        if api == "postsyncer"
        else "POSTIZ_API_KEY (Postiz → Settings → Public API)"
    )
    click.echo(
        f"Error: the server refused the API key ({exc}). Check {where_key} and run "
        "the same command again: nothing is lost, the run resumes where it stopped.",
        err=True,
    )


def _report(
    out: Console, result: RunResult, *, embedded: bool, resume: str, posts: Sequence[Post]
) -> int:
    if result.recovered:
        out.print(f"Recovered {len(result.recovered)} posts from an interrupted run.")
    kept = [key for key in result.removed if key not in set(result.pruned)]
    if kept:
        out.print(
            f"{count(len(kept), 'post')} left the calendar but stay on the server "
            "(run with --prune to delete them):"
        )
        for key in kept[:20]:
            out.print(f"  {result.names.get(key, key)}", markup=False)
    if result.pruned:
        out.print(f"Deleted {len(result.pruned)} posts removed from the calendar.")
    scheduled = len(result.done) + len(result.already_published)
    extra = result.extra_requests
    retried = f" ({extra} of them retries or split parts)" if extra else ""
    out.print(
        f"{scheduled}/{count(result.total, 'post')} scheduled, "
        f"{count(result.requests_sent, 'counted request')} sent{retried}, "
        f"{count(result.uploads, 'upload')}."
    )
    if result.already_published:
        out.print(f"{len(result.already_published)} were already published and left as they are.")
    if embedded:
        out.print("This was the built-in sandbox: nothing was published.")
    if result.failed:
        out.print(Text(f"{count(len(result.failed), 'post')} failed:", style="red"))
        names = render.post_names(result.failed, posts)
        names.update({k: v for k, v in result.names.items() if names.get(k) == k})
        for key, message in sorted(result.failed.items(), key=lambda item: names[item[0]]):
            out.print(f"  {names[key]}: {message}", markup=False)
    if result.pending:
        reason = f" ({result.stop_reason})" if result.stop_reason else ""
        out.print(f"Stopped with {count(len(result.pending), 'post')} pending{reason}.")
        out.print(f"Resume with: {resume}", markup=False, soft_wrap=True)
        return EXIT_PENDING
    return EXIT_FAILED if result.failed else 0


def _resume_command() -> str:
    ctx = click.get_current_context()
    args = ["calendar-sched", "run", *ctx.params["files"]]
    for name, value in ctx.params.items():
        if name in ("files", "dry_run") or value in (None, False, ()):
            continue
        option = next(p for p in ctx.command.params if p.name == name)
        if option.default == value:
            continue
        flag = option.opts[0]
        args += [flag] if value is True else [flag, str(value)]
    return shlex.join(args)


def print_edits(out: Console, preview: Preview) -> None:
    """The rows that look edited, each with the post it would leave scheduled."""
    assert preview.plan is not None
    names = render.post_names(preview.edits, preview.plan.posts)
    render.note(
        out,
        "warning:",
        f"{count(len(preview.edits), 'row')} without an id look edited: "
        "each is a new post, and the post sent for it before is still scheduled:",
    )
    for new, old in list(preview.edits.items())[:20]:
        out.print(f"  {names[new]} (before: {preview.removed.get(old, old)})", markup=False)
    if len(preview.edits) > 20:
        out.print(f"  … and {len(preview.edits) - 20} more")


def print_late(
    out: Console,
    late: Sequence[Post],
    *,
    now: datetime,
    note: str = "",
    intro: bool = True,
) -> None:
    """The posts a run sends after their publish time, passed ones first named as such."""
    if intro:
        passed = sum(1 for post in late if post.publish_at <= now)
        why = f" ({note})" if note else ""
        render.note(
            out,
            "warning:",
            f"{len(late)} posts would be sent after their publish time, "
            f"{passed} of them already passed; Postiz publishes them at once{why}:",
        )
    for post in late[:20]:
        due = post.publish_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        state = "passed" if post.publish_at <= now else "late for the quota"
        out.print(f"  {post.describe()}: due {due} ({state})", markup=False)
    if len(late) > 20:
        out.print(f"  … and {len(late) - 20} more")
