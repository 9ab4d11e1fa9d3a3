"""The calendar page's model: a plan preview or an export's results as plain, JSON-able data.

``plan_model`` and ``export_model`` turn the library's values (a ``Preview``, or a validation and
its per-Post outcomes) into one dict: channels, posts (with their local and UTC day and time),
requests and quota windows, problems and the totals line. ``render`` turns it into the page; the
page's script reads it as JSON, so nothing here is markup and every string stays plain text.

Texts and media are stored once and referenced by index: the posts of one row share them, and a
10k-row calendar would otherwise repeat each text once per channel.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_sched.check.validation import Validation
from calendar_sched.load.normalize import row_of
from calendar_sched.models import MediaRef, Post, utc_iso
from calendar_sched.plan.eta import duration_text
from calendar_sched.plan.planner import Plan
from calendar_sched.report import RowError, count
from calendar_sched.run.pipeline import Preview
from calendar_sched.sheets.outcomes import PostOutcome, summarize

#: Local images up to this size are embedded as thumbnails; bigger ones are named only.
THUMBNAIL_MAX_BYTES = 48_000
#: All embedded thumbnails together stay under this, so a page stays small.
THUMBNAILS_BUDGET_BYTES = 400_000

_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


#: ``21s``, ``2m05s``, ``2h01m``: rounded up, as the command line prints durations.
duration = duration_text


class _Builder:
    """Collects channels, texts, media and posts into the page model's tables."""

    def __init__(self, validation: Validation, now: datetime) -> None:
        # The zone the rows were written in (the most common one), else the file's default.
        zones = Counter(entry.timezone for entry in validation.entries)
        self.zone_name = (
            zones.most_common(1)[0][0] if zones else validation.report.timezone or "UTC"
        )
        try:
            self.zone = ZoneInfo(self.zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone_name, self.zone = "UTC", ZoneInfo("UTC")
        self.now = now
        self.channels: list[dict[str, Any]] = []
        self._channel_index: dict[str, int] = {}
        self.texts: list[str] = []
        self._text_index: dict[str, int] = {}
        self.media: list[dict[str, Any]] = []
        self._media_index: dict[str, int] = {}
        self._embedded_bytes = 0
        self.posts: list[dict[str, Any]] = []
        self.post_index: dict[str, int] = {}

    def channel(self, post: Post) -> int:
        found = self._channel_index.get(post.channel.id)
        if found is None:
            found = self._channel_index[post.channel.id] = len(self.channels)
            self.channels.append(
                {
                    "id": post.channel.id,
                    "name": post.channel.name,
                    "platform": post.channel.identifier,
                }
            )
        return found

    def text(self, value: str) -> int:
        found = self._text_index.get(value)
        if found is None:
            found = self._text_index[value] = len(self.texts)
            self.texts.append(value)
        return found

    def medium(self, ref: MediaRef) -> int:
        key = ref.dedupe_key
        found = self._media_index.get(key)
        if found is None:
            found = self._media_index[key] = len(self.media)
            self.media.append(self._describe(ref))
        return found

    def _describe(self, ref: MediaRef) -> dict[str, Any]:
        name = Path(ref.path).name if ref.path else ref.source
        item: dict[str, Any] = {"name": name, "kind": ref.kind, "url": ref.url, "thumb": None}
        mime = _IMAGE_TYPES.get(Path(ref.path).suffix.lower()) if ref.path else None
        size = ref.size if ref.size is not None else _size(ref.path)
        if (
            ref.kind == "image"
            and ref.path
            and mime
            and size is not None
            and size <= THUMBNAIL_MAX_BYTES
            and self._embedded_bytes + size <= THUMBNAILS_BUDGET_BYTES
        ):
            try:
                data = Path(ref.path).read_bytes()
            except OSError:
                return item
            self._embedded_bytes += len(data)
            item["thumb"] = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return item

    def when(self, moment: datetime) -> tuple[list[str], list[str]]:
        """``[date, time]`` in the calendar's zone and in UTC."""
        local = moment.astimezone(self.zone)
        utc = moment.astimezone(UTC)
        return (
            [local.strftime("%Y-%m-%d"), local.strftime("%H:%M")],
            [utc.strftime("%Y-%m-%d"), utc.strftime("%H:%M")],
        )

    def add(self, post: Post, **extra: Any) -> dict[str, Any]:
        local, utc = self.when(post.publish_at)
        name = post.position.file.replace("\\", "/").rsplit("/", 1)[-1]
        item: dict[str, Any] = {
            "key": post.key,
            "entry": post.entry_key,
            "ch": self.channel(post),
            "where": f"{name} {post.position.label()}",
            "at": utc_iso(post.publish_at),
            "local": local,
            "utc": utc,
            "type": post.type,
            "values": [
                {
                    "text": self.text(value.text),
                    "media": [self.medium(ref) for ref in value.media],
                    "delay": value.delay,
                }
                for value in post.values
            ],
            "settings": post.settings,
            "tags": post.tags,
            "past": post.publish_at <= self.now,
            "late": False,
            "request": None,
            **extra,
        }
        self.post_index[post.key] = len(self.posts)
        self.posts.append(item)
        return item

    def problems(self, validation: Validation) -> list[dict[str, Any]]:
        """The errors, each with the day of its row when the row's date could be read."""
        days: dict[tuple[str, int | None], tuple[list[str], list[str]]] = {}
        for entry in validation.entries:
            spot = (_file_name(entry.position.file), row_of(entry.position))
            days.setdefault(spot, self.when(entry.publish_at))
        out: list[dict[str, Any]] = []
        for problem in validation.report.errors:
            local, utc = days.get((_file_name(problem.file or ""), problem.row), (None, None))
            out.append(_problem(problem, local, utc))
        return out

    def model(self, kind: str, title: str, **rest: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "title": title,
            "zone": self.zone_name,
            "generated_at": utc_iso(self.now),
            "channels": self.channels,
            "texts": self.texts,
            "media": self.media,
            "posts": self.posts,
            **rest,
        }


def _size(path: str | None) -> int | None:
    if not path:
        return None
    try:
        return Path(path).stat().st_size
    except OSError:
        return None


def _file_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _problem(problem: RowError, local: list[str] | None, utc: list[str] | None) -> dict[str, Any]:
    return {
        "file": _file_name(problem.file) if problem.file else None,
        "row": problem.row,
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
        "value": problem.value,
        "local": local,
        "utc": utc,
    }


def _title(validation: Validation, what: str) -> str:
    names = [_file_name(summary.file) for summary in validation.files]
    return f"{what}: {', '.join(names) if names else 'calendar'}"


def plan_model(preview: Preview, *, now: datetime | None = None) -> dict[str, Any]:
    """The page of ``plan``: posts with their requests and windows, late and passed ones marked.

    An invalid calendar has no plan: its valid rows' posts are shown without requests, beside
    the problems.
    """
    now = now or datetime.now(UTC)
    validation = preview.validation
    build = _Builder(validation, now)
    result = preview.plan
    posts = result.posts if result is not None else validation.posts
    done = set(result.skipped) if result is not None else set()
    late = set(result.late) if result is not None else set()
    for post in posts:
        item = build.add(post, status="done" if post.key in done else "planned")
        item["late"] = post.key in late and not item["past"]
    requests: list[dict[str, Any]] = []
    windows: dict[int, dict[str, Any]] = {}
    if result is not None:
        for request in result.requests:
            window = windows.setdefault(
                request.window,
                {
                    "window": request.window,
                    "starts": duration(request.send_at),
                    "counted": 0,
                    "uploads": 0,
                    "posts": 0,
                },
            )
            window["counted"] += int(request.counted)
            if request.kind != "post":
                window["uploads"] += 1
                continue
            members = [build.post_index[k] for k in request.post_keys if k in build.post_index]
            window["posts"] += len(members)
            for index in members:
                build.posts[index]["request"] = request.number
            requests.append(
                {
                    "number": request.number,
                    "window": request.window,
                    "counted": request.counted,
                    "posts": members,
                    "bytes": request.bytes,
                    "starts": duration(request.send_at),
                }
            )
    totals = _plan_totals(preview, build.posts)
    statuses = ["planned", "done"] if done else ["planned"]
    return build.model(
        "plan",
        _title(validation, "Plan"),
        requests=requests,
        windows=[windows[key] for key in sorted(windows)],
        window_label=_window_label(result),
        problems=build.problems(validation),
        statuses=statuses,
        totals=totals,
    )


def _window_label(result: Plan | None) -> str:
    if result is None:
        return ""
    per = count(result.limit - result.reserve, "request")
    return f"{per} per {duration(result.window_seconds)} window"


def _plan_totals(preview: Preview, posts: Sequence[Mapping[str, Any]]) -> list[str]:
    result = preview.plan
    report = preview.validation.report
    lines: list[str] = []
    if result is None:
        lines.append(
            f"{count(len(report.errors), 'problem')} to fix before anything can be planned; "
            f"{count(len(posts), 'post')} of valid rows shown"
        )
    else:
        windows = count(result.windows, "window")
        lines.append(
            f"{count(len(result.posts), 'post')} in {count(result.requests_counted, 'request')} "
            f"(lower bound {result.lower_bound}; a per-row script needs "
            f"{result.naive_requests}) · {windows} · ETA {duration(result.eta_seconds)}"
        )
        if preview.postsyncer is not None:
            syncer = preview.postsyncer
            lines.append(
                f"PostSyncer for the same calendar: {count(syncer.requests, 'request')} "
                f"(lower bound {syncer.lower_bound}, naive {syncer.naive_requests}) · "
                f"ETA {duration(syncer.eta_seconds)}"
            )
    marks = Counter("late" if p["late"] else "past" for p in posts if p["late"] or p["past"])
    if marks["late"]:
        lines.append(
            f"{count(marks['late'], 'post')} late: the quota delivers them after their time"
        )
    if marks["past"]:
        lines.append(f"{count(marks['past'], 'post')} whose time has passed")
    return lines


def export_model(
    validation: Validation,
    outcomes: Sequence[PostOutcome],
    *,
    summary: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The page of ``export``: each post's status and post id, the requests that were sent."""
    now = now or datetime.now(UTC)
    build = _Builder(validation, now)
    by_key = {post.key: post for post in validation.posts}
    sent: dict[int, list[int]] = {}
    for outcome in outcomes:
        post = by_key.get(outcome.post_key)
        if post is None:
            continue
        if post.queued and outcome.publish_at_utc is not None:  # the time the queue chose
            post = replace(post, publish_at=outcome.publish_at_utc)
        build.add(
            post,
            status=outcome.status,
            post_id=outcome.remote_id,
            error=outcome.error,
            request=outcome.request,
        )
        if outcome.request is not None:
            sent.setdefault(outcome.request, []).append(build.post_index[post.key])
    requests = [
        {
            "number": n,
            "window": None,
            "counted": True,
            "posts": members,
            "bytes": None,
            "starts": None,
        }
        for n, members in sorted(sent.items())
    ]
    problems = build.problems(validation)
    statuses = list(summarize(outcomes))
    if problems:
        statuses.append("invalid")
    figures = summarize(outcomes)
    line = ", ".join(f"{n} {status}" for status, n in figures.items()) or "no posts"
    totals = [f"{count(len(build.posts), 'post')}: {line}"]
    about = dict(summary or {})
    if "requests_sent" in about:
        totals.append(f"{count(int(about['requests_sent']), 'request')} sent")
    invalid_rows = len({(p["file"], p["row"]) for p in problems if p["row"] is not None})
    if invalid_rows:
        totals.append(f"{count(invalid_rows, 'invalid row')}")
    if about.get("refreshed_from"):
        totals.append(f"states refreshed from {about['refreshed_from']}")
    return build.model(
        "export",
        _title(validation, "Results"),
        requests=requests,
        windows=[],
        window_label="",
        problems=problems,
        statuses=statuses,
        totals=totals,
    )


def to_json(model: Mapping[str, Any]) -> str:
    """The model as JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` as escapes.

    No calendar text can close the script element or open a comment in it; U+2028/9 are
    escaped too, for old parsers that took them as line ends.
    """
    text = json.dumps(model, ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
