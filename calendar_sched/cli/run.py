"""``calendar-sched run``: apply a calendar exactly once, paced to the quota; re-run to resume."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

import click
from rich.console import Console

from calendar_sched.check.validation import validate
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
    source_args,
)
from calendar_sched.cli.plan import print_existing, summary_line
from calendar_sched.cli.progress import RunProgress
from calendar_sched.errors import ApiError, AuthError, JournalLocked
from calendar_sched.models import Post
from calendar_sched.plan.account import ExistingCheck
from calendar_sched.plan.planner import plan
from calendar_sched.run.executor import RunResult, execute
from calendar_sched.run.journal import Journal, read_state
from calendar_sched.run.survey import record, survey
from calendar_sched.targets.base import Backend, CostModel, DonePost
from calendar_sched.targets.config import (
    POSTSYNCER_TOKEN_VAR,
    TARGETS,
    choose_target,
    resolve_postsyncer_target,
    resolve_target,
)
from calendar_sched.targets.connect import connect, sandbox_label
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postsyncer import backend as postsyncer
from calendar_sched.targets.postsyncer import client as postsyncer_client

#: The embedded sandbox's window: short, so a month finishes in under a minute yet still paces.
EMBEDDED_WINDOW = 10.0


@click.command("run")
@source_args
@click.option("--yes", is_flag=True, help="Do not ask for confirmation against a real account.")
@click.option("--dry-run", is_flag=True, help="Show the plan and stop; send nothing.")
@limit_option
@click.option(
    "--window",
    "window_seconds",
    type=click.FloatRange(min=1),
    help=f"Length of a quota window in seconds (default 3600; {EMBEDDED_WINDOW:g} for the "
    "built-in sandbox).",
)
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
) -> None:
    """Schedule FILE... exactly once, paced to the quota. Run it again to resume."""
    out = render.console()
    journal_path = resolve_journal(journal_file, source.files[0])
    api = choose_target(target_name)
    target = resolve_target() if api == "postiz" else None
    syncer = resolve_postsyncer_target() if api == "postsyncer" else None
    embedded = target.embedded if target else bool(syncer and syncer.embedded)
    default_window = 3600.0 if target else postsyncer_client.WINDOW_SECONDS
    window = window_seconds or (EMBEDDED_WINDOW if embedded else default_window)
    seen = read_state(journal_path).rate if journal_path.exists() else None
    default_limit = CostModel.limit if target else postsyncer_client.LIMIT
    per_window = limit or (seen.limit if seen and seen.limit else None) or default_limit
    if reserve >= per_window:
        raise click.BadParameter(f"must be below the limit ({per_window})", param_hint="--reserve")
    costs = CostModel(limit=per_window, window_seconds=window)
    if api == "postsyncer":
        costs = postsyncer.postsyncer_costs(per_window, window)
    with connect(api, costs=costs, label=sandbox_label(api, costs)) as opened:
        backend, where = opened.backend, opened.where
        now = datetime.now(UTC)
        checked = validate(
            list(source.files), source.validate_options(backend.discover, now=now, target=api)
        )
        if not checked.report.valid:
            render.print_report(checked.report, as_json=False)
            sys.exit(EXIT_INVALID)
        try:
            journal = Journal(journal_path, fingerprint=backend.fingerprint)
        except JournalLocked as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PENDING)
        with journal:
            state = journal.state
            out.print(f"Target: {where}")
            posts, done = checked.posts, state.done_hashes()
            check = None
            if not backend.costs.counts_everything:  # PostSyncer would count the listing
                check = _existing(out, posts, backend, state.done, republish, skip_duplicates)
            elif skip_duplicates or republish:
                out.print("note: the existing-posts check is Postiz only; flags ignored")
            if check is not None:
                posts = check.posts
                if dry_run:
                    done = check.done(done)
                else:
                    record(check, journal)
                    done = state.done_hashes()
                if isinstance(backend, PostizBackend):
                    backend.republish = frozenset(check.republish)
            the_plan = plan(
                posts,
                backend,
                limit=per_window,
                reserve=reserve,
                window_seconds=window,
                done=done,
                uploaded=set(state.uploaded),
                in_doubt=sum(1 for item in state.in_doubt.values() if not item.update),
                now=now,
            )
            out.print(summary_line(the_plan))
            if the_plan.skipped:
                out.print(f"{len(the_plan.skipped)} posts unchanged since the last run: skipped")
            if dry_run:
                out.print("Dry run: nothing was sent.")
                return
            if not embedded and not yes and the_plan.posts:
                click.confirm(f"Send {len(the_plan.posts)} posts to {where}?", abort=True)
            progress = RunProgress(out, per_window=per_window - reserve, window_seconds=window)
            try:
                with progress:
                    result = execute(the_plan, backend, journal, on_event=progress, prune=prune)
            except AuthError as exc:
                where_key = (
                    "POSTIZ_API_KEY (Postiz → Settings → Public API)"
                    if target
                    else f"{POSTSYNCER_TOKEN_VAR} and its abilities (PostSyncer → Settings → "
                    "API Integrations)"
                )
                click.echo(
                    f"Error: the server refused the API key ({exc}). Check {where_key} and run "
                    "the same command again: nothing is lost, the run resumes where it stopped.",
                    err=True,
                )
                sys.exit(EXIT_CONFIG)
    sys.exit(_report(out, result, embedded=embedded, resume=_resume_command()))


def _existing(
    out: Console,
    posts: list[Post],
    backend: Backend,
    done: Mapping[str, DonePost],
    republish: bool,
    skip_duplicates: bool,
) -> ExistingCheck | None:
    """Compare with the account's posts (one free listing) and say what it found."""
    try:
        check = survey(
            posts, backend, done=done, republish=republish, skip_duplicates=skip_duplicates
        )
    except AuthError:
        raise
    except ApiError as exc:
        out.print(
            f"[yellow]warning:[/] could not list the account's posts ({exc}); the duplicate "
            "and pulled-post checks were skipped"
        )
        return None
    print_existing(out, check)
    return check


def _report(out: Console, result: RunResult, *, embedded: bool, resume: str) -> int:
    if result.recovered:
        out.print(f"Recovered {len(result.recovered)} posts from an interrupted run.")
    if result.removed and not result.pruned:
        out.print(
            f"{len(result.removed)} posts left the calendar but stay on the server "
            "(run with --prune to delete them):"
        )
        for key in result.removed[:20]:
            out.print(f"  {key}")
    if result.pruned:
        out.print(f"Deleted {len(result.pruned)} posts removed from the calendar.")
    scheduled = len(result.done) + len(result.already_published)
    out.print(
        f"{scheduled}/{result.total} posts scheduled, {result.requests_sent} counted requests "
        f"sent, {result.uploads} uploads."
    )
    if result.already_published:
        out.print(f"{len(result.already_published)} were already published and left as they are.")
    if embedded:
        out.print("This was the built-in sandbox: nothing was published.")
    if result.failed:
        out.print(f"[red]{len(result.failed)} posts failed:[/]")
        for key, message in sorted(result.failed.items()):
            out.print(f"  {key}: {message}", markup=False)
    if result.pending:
        reason = f" ({result.stop_reason})" if result.stop_reason else ""
        out.print(f"Stopped with {len(result.pending)} posts pending{reason}.")
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
