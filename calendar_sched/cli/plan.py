"""``calendar-sched plan``: preview the requests, windows, ETA and late Posts.

Offline unless a Postiz account is configured (or ``--check-existing``): then one free
``GET /posts`` compares the calendar with the account's posts, as ``run`` does.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.cli import render
from calendar_sched.cli.options import (
    EXIT_INVALID,
    exit_codes,
    limit_option,
    output_options,
    reserve_option,
    source_options,
)
from calendar_sched.cli.pull import target_backend
from calendar_sched.errors import ApiError, AuthError
from calendar_sched.load.channels import load_channels_file, split_refs
from calendar_sched.models import Post, utc_iso
from calendar_sched.plan.account import ExistingCheck
from calendar_sched.plan.planner import Plan, plan
from calendar_sched.run.journal import JournalState, journal_path_for, read_state
from calendar_sched.run.survey import survey
from calendar_sched.targets.base import CostModel
from calendar_sched.targets.config import resolve_target
from calendar_sched.targets.postiz.backend import PostizBackend
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend


@click.command("plan")
@source_options
@limit_option
@click.option(
    "--window",
    "window_seconds",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    help="Length of a quota window in seconds.",
)
@reserve_option
@click.option(
    "--snap",
    "snap_minutes",
    type=click.IntRange(min=1),
    help="Move publish times to the nearest point of an M-minute grid to merge requests.",
)
@click.option(
    "--count-uploads",
    is_flag=True,
    help="The server counts uploads against the quota too (older Postiz servers).",
)
@click.option(
    "--check-existing/--offline",
    default=None,
    help="Compare with the account's posts (one free GET /posts): duplicates, pulled posts. "
    "Default: only when POSTIZ_API_URL/KEY are set; --check-existing uses the built-in sandbox "
    "otherwise.",
)
@click.option(
    "--skip-duplicates",
    is_flag=True,
    help="Leave out posts whose text is already on their channel within an hour.",
)
@click.option(
    "--republish",
    is_flag=True,
    help="Plan to publish again the already published posts you edited.",
)
@output_options
@exit_codes
def plan_command(
    files: tuple[str, ...],
    sheet: str | None,
    timezone: str | None,
    date_format: str | None,
    default_channels: str | None,
    channels_file: str | None,
    max_errors: int,
    limit: int | None,
    window_seconds: float,
    reserve: int,
    snap_minutes: int | None,
    count_uploads: bool,
    check_existing: bool | None,
    skip_duplicates: bool,
    republish: bool,
    as_json: bool,
) -> None:
    """Preview the fewest API requests for FILE..., their quota windows and ETA."""
    now = datetime.now(UTC)
    options = ValidateOptions(
        sheet=sheet,
        timezone=timezone,
        date_format=date_format,  # type: ignore[arg-type]
        default_channels=split_refs(default_channels or ""),
        channels=load_channels_file(channels_file) if channels_file else None,
        max_errors=max_errors,
        now=now,
    )
    if check_existing is None:
        check_existing = not resolve_target().embedded
    with target_backend() if check_existing else nullcontext(None) as live:
        if live is not None and options.channels is None:
            options.channels = live[0].discover()  # the account's channels, as run uses
        checked = validate(list(files), options)
        if not checked.report.valid:
            render.print_report(checked.report, as_json=as_json)
            sys.exit(EXIT_INVALID)
        state = _journal_state(files[0])
        check = None
        if live is not None:
            check = _survey(live[0], checked.posts, state, republish, skip_duplicates)
    seen_limit = state.rate.limit if state and state.rate else None
    if limit is None and seen_limit is not None and reserve >= seen_limit:
        raise click.BadParameter(f"must be below the limit ({seen_limit})", param_hint="--reserve")
    if limit is not None and reserve >= limit:
        raise click.BadParameter(f"must be below --limit ({limit})", param_hint="--reserve")
    costs = CostModel(
        limit=limit or seen_limit or CostModel.limit,
        window_seconds=window_seconds,
        counts_uploads=count_uploads,
    )
    # The same calendar through PostSyncer (every call counted, 60 per minute): only its figures
    # are shown, so its plan is summed up and let go before the Postiz one is made.
    syncer = plan(checked.posts, PostSyncerBackend(), snap_minutes=snap_minutes, now=now)
    syncer_json, syncer_line = postsyncer_json(syncer), postsyncer_line(syncer)
    del syncer
    done = state.done_hashes() if state else {}
    result = plan(
        check.posts if check else checked.posts,
        PostizBackend(costs=costs, republish=check.republish if check else ()),
        reserve=reserve,
        snap_minutes=snap_minutes,
        done=check.done(done) if check else done,
        uploaded=set(state.uploaded) if state else (),
        now=now,
    )
    if as_json:
        write_json(
            {
                **plan_json(result),
                "postsyncer": syncer_json,
                "existing": existing_json(check) if check else None,
            }
        )
        return
    if check:
        print_existing(render.console(), check)
    demo = checked.demo_channels and not resolve_target().embedded
    _print_plan(result, demo=demo, compare=syncer_line)


def _survey(
    backend: PostizBackend,
    posts: list[Post],
    state: JournalState | None,
    republish: bool,
    skip_duplicates: bool,
) -> ExistingCheck | None:
    try:
        return survey(
            posts,
            backend,
            done=state.done if state else {},
            republish=republish,
            skip_duplicates=skip_duplicates,
        )
    except AuthError:
        raise
    except ApiError as exc:
        click.echo(
            f"warning: could not list the account's posts ({exc}); planned offline", err=True
        )
        return None


def existing_json(check: ExistingCheck) -> dict[str, Any]:
    """What the comparison with the account's posts found (``existing`` in ``plan --json``)."""
    return {
        "listed": check.listed,
        "unchanged": check.unchanged,
        "updates": check.updates,
        "held_published": check.held,
        "republish": check.republish,
        "missing": check.missing,
        "skipped_duplicates": check.skipped,
        "duplicates": [
            {
                "post": dup.post.key,
                "entry": dup.post.entry_key,
                "channel": dup.post.channel.id,
                "existing_id": dup.existing.id,
                "existing_state": dup.existing.state,
                "existing_publish_at": utc_iso(dup.existing.publish_at),
            }
            for dup in check.duplicates
        ],
        "warnings": [w.to_dict() for w in check.warnings],
    }


def print_existing(out: Console, check: ExistingCheck) -> None:
    """What the comparison with the account's posts found, with a warning per duplicate."""
    found = [f"{check.listed} listed"]
    if check.unchanged:
        found.append(f"{len(check.unchanged)} pulled posts unchanged (nothing to send)")
    if check.updates:
        found.append(f"{len(check.updates)} pulled posts edited (updated in place)")
    if check.republish:
        found.append(f"{len(check.republish)} published posts to publish again")
    out.print("Existing posts on the account: " + "; ".join(found), markup=False)
    if check.held:
        out.print(
            f"[yellow]warning:[/] {len(check.held)} edited posts are already published and "
            "are left as they are (--republish publishes them again):"
        )
        _keys(out, check.held)
    if check.missing:
        out.print(
            f"[yellow]warning:[/] {len(check.missing)} pulled posts were not found near their "
            "times; they are sent under their ids (a post deleted in Postiz stays deleted: "
            "give the row a new id to post it again):"
        )
        _keys(out, check.missing)
    if check.updates:
        out.print(
            "note: Postiz does not list media, so an edited pulled post is sent with exactly the "
            "media its row names (none if the row names none)"
        )
    for warning in check.warnings:
        out.print(f"[yellow]warning:[/] {warning.code}: {escape(warning.message)}")
    if check.skipped:
        out.print(f"{len(check.skipped)} posts repeat existing posts: skipped (--skip-duplicates)")


def _keys(out: Console, keys: list[str]) -> None:
    for key in keys[:20]:
        out.print(f"  {key}", markup=False)
    if len(keys) > 20:
        out.print(f"  … and {len(keys) - 20} more")


def postsyncer_json(result: Plan) -> dict[str, Any]:
    """PostSyncer's figures for the same calendar (all calls counted, discovery included)."""
    return {
        "requests": result.requests_counted,
        "lower_bound": result.lower_bound,
        "naive_requests": result.naive_requests,
        "windows": result.windows,
        "eta_seconds": result.eta_seconds,
        "uploads": sum(1 for r in result.requests if r.kind == "upload"),
        "labels": result.label_calls,
    }


def postsyncer_line(result: Plan) -> str:
    """One line comparing PostSyncer: its requests, windows of a minute and ETA."""
    uploads = sum(1 for r in result.requests if r.kind == "upload")
    labels = f"{result.label_calls} labels, " if result.label_calls else ""
    others = result.fixed_calls + result.label_calls + result.listing_calls + uploads
    posts = result.requests_counted - others
    return (
        f"PostSyncer for the same calendar: {result.requests_counted} requests (every call "
        f"counts: {result.fixed_calls} discovery, {labels}{uploads} media, {posts} posts; "
        f"lower bound {result.lower_bound}, naive {result.naive_requests}), {result.windows} "
        f"windows of {result.limit} per {result.window_seconds:g} s, "
        f"ETA {render.offset(result.eta_seconds)}"
    )


def plan_json(result: Plan) -> dict[str, Any]:
    """The ``plan --json`` shape (issue 5), plus a few extra keys; ``write_json`` prints it.

    ``posts`` and ``requests_detail`` are ``Rows``, made while they are written: a 100k-row
    calendar has 200k posts, and a dict per post would cost more than the plan itself.
    """
    return {
        "requests": result.requests_counted,
        "lower_bound": result.lower_bound,
        "naive_requests": result.naive_requests,
        "windows": result.windows,
        "eta_seconds": result.eta_seconds,
        "late": result.late,
        "posts": Rows(("entry", "channel", "publish_at", "request"), lambda: _post_rows(result)),
        "requests_detail": Rows(
            ("index", "window", "counted", "kind", "posts", "bytes"),
            lambda: (
                (r.index, r.window, r.counted, r.kind, len(r.post_keys), r.bytes)
                for r in result.requests
            ),
        ),
        "uploads": len(result.media),
        "skipped": result.skipped,
        "snapped": result.snapped,
        "oversize": result.oversize,
        "limit": result.limit,
        "reserve": result.reserve,
        "window_seconds": result.window_seconds,
    }


def _post_rows(result: Plan) -> Iterator[tuple[str, str, str, int]]:
    where = result.request_of()
    instants: dict[datetime, str] = {}  # posts share publish instants: each written once
    for post in result.posts:
        moment = post.publish_at
        text = instants.get(moment)
        if text is None:
            text = instants[moment] = utc_iso(moment)
        yield post.entry_key, post.channel.id, text, where[post.key]


@dataclass(frozen=True)
class Rows:
    """A JSON list of objects with the same ``keys``, made row by row while it is written."""

    keys: tuple[str, ...]
    rows: Callable[[], Iterable[Sequence[Any]]]


def write_json(data: Mapping[str, Any], chunk_rows: int = 4096) -> None:
    """``data`` on stdout exactly as ``render.print_json`` prints it (indent 2), in chunks.

    ``Rows`` values are written an object at a time with the C string encoder, never held as a
    whole: ``json.dumps`` with an indent runs the pure-Python encoder, several times slower.
    """
    if not data:
        click.echo("{}")
        return
    parts: list[str] = ["{"]
    for number, (key, value) in enumerate(data.items()):
        parts.append(("\n  " if number == 0 else ",\n  ") + encode_basestring(key) + ": ")
        if not isinstance(value, Rows):
            parts.append(_nested(value, "\n  "))
            continue
        heads = [encode_basestring(name) + ": " for name in value.keys]
        count = 0
        for row in value.rows():
            cells = ",\n      ".join(
                head + _scalar(cell) for head, cell in zip(heads, row, strict=True)
            )
            item = "{\n      " + cells + "\n    }" if cells else "{}"
            parts.append(("[\n    " if count == 0 else ",\n    ") + item)
            count += 1
            if count % chunk_rows == 0:
                click.echo("".join(parts), nl=False)
                parts.clear()
        parts.append("\n  ]" if count else "[]")
    parts.append("\n}")
    click.echo("".join(parts))


def _scalar(value: Any) -> str:
    # What json.dumps(indent=2, ensure_ascii=False) writes for an object's member value.
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool or value is None:
        return _CONSTANTS[value]
    return _nested(value, "\n      ")


_CONSTANTS = {True: "true", False: "false", None: "null"}


def _nested(value: Any, indent: str) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", indent)


def summary_line(result: Plan) -> str:
    """``123 posts in 26 requests (lower bound 26; a per-row script needs 123) · …``."""
    posts = len(result.posts)
    windows = f"{result.windows} window" + ("" if result.windows == 1 else "s")
    requests = f"{result.requests_counted} request" + ("" if result.requests_counted == 1 else "s")
    return (
        f"{posts} post{'' if posts == 1 else 's'} in {requests} (lower bound "
        f"{result.lower_bound}; a per-row script needs {result.naive_requests}) · {windows} · "
        f"ETA {render.duration(result.eta_seconds)}"
    )


def _journal_state(calendar: str) -> JournalState | None:
    path = journal_path_for(calendar)
    return read_state(path) if Path(path).exists() else None


def _print_plan(result: Plan, *, demo: bool, compare: str = "") -> None:
    out = render.console()
    if demo:
        out.print(
            "[yellow]note:[/] channels were checked against the demo list; pass --channels-file "
            "(from `calendar-sched channels --json`) to plan against your account"
        )
    by_key = {p.key: p for p in result.posts}
    table = Table(title=f"Plan: {result.limit - result.reserve} requests per window")
    for column in ("Window", "Starts", "Requests", "Uploads", "Posts", "Channels"):
        table.add_column(column, justify="left" if column == "Starts" else "right")
    table.add_column("Earliest (UTC)", no_wrap=True)
    rows: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"requests": 0, "uploads": 0, "posts": 0, "channels": set(), "deadline": None}
    )
    for r in result.requests:
        row = rows[r.window]
        row["send_at"] = r.send_at
        row["requests" if r.kind == "post" else "uploads"] += 1
        row["posts"] += len(r.post_keys)
        row["channels"].update(by_key[k].channel.id for k in r.post_keys)
        if r.deadline and (row["deadline"] is None or r.deadline < row["deadline"]):
            row["deadline"] = r.deadline
    for window, row in sorted(rows.items()):
        deadline = row["deadline"]
        table.add_row(
            str(window + 1),
            render.offset(row["send_at"]),
            str(row["requests"]),
            str(row["uploads"]),
            str(row["posts"]),
            str(len(row["channels"])),
            deadline.strftime("%Y-%m-%d %H:%M") if deadline else "",
        )
    if result.requests:
        out.print(table)
    for change in result.snapped:
        out.print(f"snapped {change['entry']}: {change['from']} → {change['to']}")
    if result.skipped:
        out.print(f"{len(result.skipped)} posts already done: skipped")
    for key in result.oversize:
        out.print(f"[red]warning:[/] {key} is bigger than one request may be; shorten it")
    if result.late:
        out.print(
            f"[yellow]warning:[/] {len(result.late)} posts would be sent after their publish "
            "time at this pace (Postiz then publishes them at once):"
        )
        sent = {k: r.send_at for r in result.requests for k in r.post_keys}
        for key in result.late[:20]:
            due = by_key[key].publish_at.strftime("%Y-%m-%d %H:%M UTC")
            out.print(f"  {key}: due {due}, sent {render.offset(sent[key])}")
        if len(result.late) > 20:
            out.print(f"  … and {len(result.late) - 20} more (see --json)")
    if compare:
        out.print(compare, markup=False)
    out.print(summary_line(result))
