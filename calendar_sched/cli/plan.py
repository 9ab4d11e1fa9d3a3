"""``calendar-sched plan``: preview the requests, windows, ETA and late Posts.

Offline unless a Postiz account is configured (or ``--check-existing``): then one free
``GET /posts`` compares the calendar with the account's posts, as ``run`` does.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import click
import orjson
from rich.console import Console
from rich.table import Table

from calendar_sched.cli import collector_paused, render
from calendar_sched.cli.options import (
    EXIT_INVALID,
    SourceArgs,
    exit_codes,
    limit_option,
    output_options,
    output_path,
    reserve_option,
    snap_option,
    source_args,
    window_option,
)
from calendar_sched.errors import ReserveTooLarge
from calendar_sched.models import Post, utc_iso
from calendar_sched.plan.account import ExistingCheck
from calendar_sched.plan.planner import Plan
from calendar_sched.report import count
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import PlanFigures, preview_calendar
from calendar_sched.run.queue import QueueOutcome
from calendar_sched.targets.config import POSTSYNCER_TOKEN_VAR, resolve_target


@click.command("plan")
@source_args
@limit_option
@window_option
@reserve_option
@snap_option
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
@click.option(
    "--compare",
    is_flag=True,
    help="Also show what the same calendar costs through PostSyncer (shown anyway when "
    "POSTSYNCER_API_TOKEN is set); in --json as postsyncer, null without it.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write the month as a calendar page: one self-contained HTML file.",
)
@output_options
@exit_codes
def plan_command(
    source: SourceArgs,
    limit: int | None,
    window_seconds: float | None,
    reserve: int,
    snap_minutes: int | None,
    count_uploads: bool,
    check_existing: bool | None,
    skip_duplicates: bool,
    republish: bool,
    compare: bool,
    html_path: str | None,
    as_json: bool,
) -> None:
    """Preview the fewest API requests for FILE..., their quota windows and ETA."""
    page = output_path(html_path, hint="--html", sources=source.files) if html_path else None
    compare = compare or bool(os.environ.get(POSTSYNCER_TOKEN_VAR, "").strip())
    options = RunOptions(
        read=source.validate_options(),
        limit=limit,
        reserve=reserve,
        window_seconds=window_seconds,
        snap_minutes=snap_minutes,
        count_uploads=count_uploads,
        check_existing=check_existing,
        skip_duplicates=skip_duplicates,
        republish=republish,
        compare_postsyncer=compare,
    )
    try:
        with collector_paused():
            preview = preview_calendar(source.files, options)
    except ReserveTooLarge as exc:
        below = f"--limit ({exc.limit})" if exc.given else f"the limit ({exc.limit})"
        raise click.BadParameter(f"must be below {below}", param_hint="--reserve") from None
    if page is not None:  # an invalid calendar's page shows its problems on their days
        from calendar_sched.sheets.page import write_plan_page  # jinja2: only for --html

        click.echo(f"Wrote the calendar page to {write_plan_page(page, preview)}", err=True)
    if not preview.valid or preview.plan is None:
        render.print_report(preview.validation.report, as_json=as_json)
        sys.exit(EXIT_INVALID)
    if preview.existing_error is not None:
        click.echo(
            f"warning: could not list the account's posts ({preview.existing_error}); "
            "planned offline",
            err=True,
        )
    unchecked = [
        w for w in preview.validation.report.warnings if w.code == "pulled-media-unchecked"
    ]
    if unchecked and not as_json:
        click.echo(
            f"warning: pulled-media-unchecked: {count(len(unchecked), 'pulled post')} with no "
            "media in their rows cannot be checked offline; if edited, name their media or write "
            "media: none (run checks them against the account)",
            err=True,
        )
    not_listed = [w for w in preview.validation.report.warnings if w.code == "channel-not-listed"]
    if not_listed and not as_json:
        click.echo(
            f"warning: channel-not-listed: {count(len(not_listed), 'post')} on channels the "
            "account does not list are left out of the plan (run would not send them):",
            err=True,
        )
        for warning in not_listed[:20]:
            click.echo(f"  {render.plain(warning.message)}", err=True)
        if len(not_listed) > 20:
            click.echo(f"  … and {len(not_listed) - 20} more (see --json)", err=True)
    check, result = preview.existing, preview.plan
    if as_json:
        write_json(
            {
                **plan_json(result),
                "not_listed": [w.to_dict() for w in not_listed],
                "postsyncer": postsyncer_json(preview.postsyncer) if preview.postsyncer else None,
                "existing": check.to_dict() if check else None,
                "queue": preview.queue.to_dict() if preview.queue else None,
            }
        )
        return
    if check:
        print_existing(render.console(), check)
    demo = preview.validation.demo_channels and not resolve_target().embedded
    line = postsyncer_line(preview.postsyncer) if preview.postsyncer else ""
    _print_plan(result, demo=demo, compare=line, embedded=preview.embedded)
    if preview.queue is not None:
        print_queue(render.console(), preview.queue, preview.validation.posts)


def print_queue(out: Console, queue: QueueOutcome, posts: list[Post], shown: int = 50) -> None:
    """Where the posting queue put the rows without a time, and what that saved."""
    out.print(
        f"queue: {count(len(queue.times), 'row')} without a time ({count(queue.posts, 'post')}) "
        f"placed in {count(queue.requests, 'request')} (lower bound {queue.lower_bound}); each "
        f"post in its channel's next free slot (find-slot) needs {queue.next_free_requests}: "
        f"{count(queue.saved, 'request')} saved",
        markup=False,
    )
    firsts: dict[str, Post] = {}
    for post in posts:
        if post.queued:
            firsts.setdefault(post.entry_key, post)
    for number, (key, moment) in enumerate(sorted(queue.times.items(), key=lambda i: i[1])):
        if number == shown:
            if shown:
                out.print(f"  … and {len(queue.times) - shown} more (see --json)", markup=False)
            break
        first = firsts.get(key)
        if first is None:
            continue
        local = moment.astimezone(ZoneInfo(first.timezone))
        out.print(
            f"  {first.describe(channel=False)}: {local:%a %Y-%m-%d %H:%M} {first.timezone}",
            markup=False,
        )


def print_existing(out: Console, check: ExistingCheck) -> None:
    """What the comparison with the account's posts found, with a warning per duplicate."""
    found = [f"{check.listed} listed"]
    if check.unchanged:
        found.append(f"{len(check.unchanged)} pulled posts unchanged (nothing to send)")
    if check.known:
        found.append(
            f"{count(len(check.known), 'post')} already there under their ids, the same "
            "(nothing to send)"
        )
    if check.updates:
        found.append(f"{len(check.updates)} pulled posts edited (updated in place)")
    if check.republish:
        found.append(f"{len(check.republish)} published posts to publish again")
    out.print("Existing posts on the account: " + "; ".join(found), markup=False)
    if check.held:
        render.note(
            out,
            "warning:",
            f"{len(check.held)} edited posts are already published and "
            "are left as they are (--republish publishes them again):",
        )
        _keys(out, check.held, check.posts)
    if check.missing:
        render.note(
            out,
            "warning:",
            f"{len(check.missing)} pulled posts were not found near their "
            "times; they are sent under their ids (a post deleted in Postiz stays deleted: "
            "give the row a new id to post it again):",
        )
        _keys(out, check.missing, check.posts)
    if check.updates:
        out.print(
            "note: Postiz does not list media, so an edited pulled post is sent with exactly the "
            "media its row names (none if the row names none)"
        )
    for warning in check.warnings:
        render.note(out, "warning:", f"{warning.code}: {warning.message}")
    if check.skipped:
        out.print(
            f"{count(len(check.skipped), 'post')} already on the account, skipped "
            "(--skip-duplicates)"
        )


def _keys(out: Console, keys: list[str], posts: list[Post]) -> None:
    names = render.post_names(keys[:20], posts)
    for key in keys[:20]:
        out.print(f"  {names[key]}", markup=False)
    if len(keys) > 20:
        out.print(f"  … and {len(keys) - 20} more")


def postsyncer_json(figures: PlanFigures) -> dict[str, Any]:
    """PostSyncer's figures for the same calendar (all calls counted, discovery included)."""
    return {
        "requests": figures.requests,
        "lower_bound": figures.lower_bound,
        "naive_requests": figures.naive_requests,
        "windows": figures.windows,
        "eta_seconds": figures.eta_seconds,
        "uploads": figures.uploads,
        "labels": figures.label_calls,
    }


def postsyncer_line(figures: PlanFigures) -> str:
    """One line comparing PostSyncer: its requests, windows of a minute and ETA."""
    uploads = figures.uploads
    labels = f"{figures.label_calls} labels, " if figures.label_calls else ""
    others = figures.fixed_calls + figures.label_calls + figures.listing_calls + uploads
    posts = figures.requests - others
    return (
        f"PostSyncer for the same calendar: {figures.requests} requests (every call "
        f"counts: {figures.fixed_calls} discovery, {labels}{uploads} media, {posts} posts; "
        f"lower bound {figures.lower_bound}, naive {figures.naive_requests}), {figures.windows} "
        f"windows of {figures.limit} per {figures.window_seconds:g} s, "
        f"ETA {render.duration(figures.eta_seconds)}"
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
            ("number", "window", "counted", "kind", "posts", "bytes"),
            lambda: (
                (r.number, r.window, r.counted, r.kind, len(r.post_keys), r.bytes)
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
    instants: dict[datetime, str] = {}  # posts share publish instants: each written once
    for post, number in zip(result.posts, result.post_requests, strict=True):
        moment = post.publish_at
        text = instants.get(moment)
        if text is None:
            text = instants[moment] = utc_iso(moment)
        yield post.entry_key, post.channel.id, text, number


@dataclass(frozen=True)
class Rows:
    """A JSON list of objects with the same ``keys``, made row by row while it is written."""

    keys: tuple[str, ...]
    rows: Callable[[], Iterable[Sequence[Any]]]


def write_json(data: Mapping[str, Any], chunk_rows: int = 4096) -> None:
    """``data`` on stdout exactly as ``render.print_json`` prints it, ``Rows`` a chunk at a time.

    Every value goes through ``json.dumps`` (indent 2), indented one level as it nests them; a
    ``Rows`` value is dumped ``chunk_rows`` objects at a time, so its rows are never all dicts.
    """
    if not any(isinstance(value, Rows) for value in data.values()):
        render.print_json(data)
        return
    opening = "{"
    for key, value in data.items():
        click.echo(f"{opening}\n  {_dumps(key)}: ", nl=False)
        parts = _rows_json(value, chunk_rows) if isinstance(value, Rows) else [_dumps(value)]
        for part in parts:
            click.echo(part.replace("\n", "\n  "), nl=False)
        opening = ","
    click.echo("\n}")


def _rows_json(rows: Rows, chunk_rows: int) -> Iterator[str]:
    # ``json.dumps`` of the list of objects, in parts: "[" + items, "," + items, ..., "\n]".
    items = iter(rows.rows())
    opening = "["
    while chunk := list(islice(items, chunk_rows)):
        text = _dumps_rows([dict(zip(rows.keys, row, strict=True)) for row in chunk])
        yield opening + text[1:-2]  # without the chunk's "[" and "\n]"
        opening = ","
    yield "[]" if opening == "[" else "\n]"


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _dumps_rows(rows: list[dict[str, Any]]) -> str:
    """``_dumps`` of many flat rows, by orjson: the same bytes for strings, integers, booleans
    and null (tests/test_snapshots.py and the perf goldens compare them), 17 times faster than
    the stdlib's indenting encoder, which is pure Python."""
    try:
        return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:  # a lone surrogate or a huge integer: as the stdlib writes it
        return _dumps(rows)


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


def _print_plan(result: Plan, *, demo: bool, compare: str = "", embedded: bool = False) -> None:
    out = render.console()
    if demo:
        render.note(
            out,
            "note:",
            "channels were checked against the demo list; pass --channels-file "
            "(from `calendar-sched channels --json`) to plan against your account",
        )
    by_key = {p.key: p for p in result.posts}
    span = render.duration(result.window_seconds)
    title = f"Plan: {count(result.limit - result.reserve, 'request')} per {span} window"
    if embedded:
        title += " (the built-in sandbox's; --window 3600 for a Postiz account's hour)"
    table = Table(title=title)
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
        first = next((p for p in result.posts if p.entry_key == change["entry"]), None)
        where = first.describe(channel=False) if first else change["entry"]
        out.print(f"snapped {where}: {change['from']} → {change['to']}", markup=False)
    if result.skipped:
        out.print(f"{len(result.skipped)} posts already done: skipped")
    for key in result.oversize:
        name = by_key[key].describe() if key in by_key else key
        render.note(out, "warning:", f"{name} is bigger than one request may be; shorten it", "red")
    if result.late:
        render.note(
            out,
            "warning:",
            f"{len(result.late)} posts would be sent after their publish "
            "time at this pace (Postiz then publishes them at once):",
        )
        sent = {k: r.send_at for r in result.requests for k in r.post_keys}
        for key in result.late[:20]:
            due = by_key[key].publish_at.strftime("%Y-%m-%d %H:%M UTC")
            out.print(
                f"  {by_key[key].describe()}: due {due}, sent {render.offset(sent[key])}",
                markup=False,
            )
        if len(result.late) > 20:
            out.print(f"  … and {len(result.late) - 20} more (see --json)")
    if compare:
        out.print(compare, markup=False)
    out.print(summary_line(result))
