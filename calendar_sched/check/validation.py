"""``validate``: read calendar files, normalise them, resolve channels and check platform rules.

The result is a ``Validation``: the Report (every problem, never an exception), the Entries and
the Posts (Entry × resolved channel) of the entries without errors, ready for planning.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from calendar_sched.check import rules
from calendar_sched.identity import remote_value_id
from calendar_sched.load import sources
from calendar_sched.load.channels import Resolver, demo_channels, label
from calendar_sched.load.dates import DateOrder
from calendar_sched.load.media import MediaChecker
from calendar_sched.load.normalize import Normalized, NormalizedFile, normalize_file, row_of
from calendar_sched.load.publish_time import ZoneSource
from calendar_sched.load.slots import SlotSpec
from calendar_sched.models import Channel, Entry, Post, PostValue
from calendar_sched.report import Report, RowError

_HOUR = timedelta(hours=1)
_MEDIA_CODES = {"media-not-found", "bad-media-type"}
_NO_SETTINGS: dict[str, Any] = {}
_COMBINATIONS = 4096  # settings shapes remembered (calendars repeat a few)


@dataclass
class ValidateOptions:
    """How to read and check calendars (the ``validate`` command's options)."""

    sheet: str | None = None
    timezone: str | None = None
    date_format: DateOrder | None = None
    default_channels: list[str] = field(default_factory=list)
    channels: list[Channel] | None = None  # None → the built-in sandbox's demo channels
    max_errors: int | None = 1000
    now: datetime | None = None  # for past-publish-time; None → now
    target: str = "postiz"  # postsyncer: settings are PostSyncer's, checked by its API not rules
    slots: str | None = None  # --slots: rows with a date but no time go to posting slots
    queue_from: date | None = None  # --queue-from: where ``publish_at: queue`` rows start


@dataclass
class FileSummary:
    """Counts for one calendar file, for the summary line."""

    file: str
    entries: int
    posts: int
    channels: int
    errors: int
    warnings: int
    timezone: str | None
    timezone_source: ZoneSource
    default_zone_used: bool = False  # some local time was read in the default zone
    row_zones: list[str] = field(default_factory=list)  # zones named in `timezone` cells
    slots: SlotSpec | None = None  # its posting slots (--slots, else its slots:)


@dataclass
class Validation:
    """The outcome of ``validate``: the report, the entries and the valid posts."""

    report: Report
    entries: list[Entry]
    posts: list[Post]
    files: list[FileSummary] = field(default_factory=list)
    demo_channels: bool = False  # channels were checked against the built-in demo list
    # Pulled Posts (``postiz:<id>``) whose platform requires media, with no media in their row:
    # the listing cannot show a post's media, so ``media-required`` waits for the comparison
    # with the account (``run/pipeline.py``): unchanged they cost nothing, edited they are
    # refused (``pulled-media-unknown``). Post keys.
    media_unknown: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        """``validate --json`` (and the MCP tool's answer): the report plus one summary per file."""
        data = self.report.to_dict()
        data["files"] = [
            {
                "file": s.file,
                "entries": s.entries,
                "posts": s.posts,
                "channels": s.channels,
                "errors": s.errors,
                "warnings": s.warnings,
                "timezone": s.timezone,
                "timezone_source": s.timezone_source,
                "row_zones": s.row_zones,
            }
            for s in self.files
        ]
        data["demo_channels"] = self.demo_channels
        return data


def validate(paths: Sequence[str | Path], options: ValidateOptions | None = None) -> Validation:
    """Validate calendar files.

    Args:
        paths: calendar files (CSV/TSV, XLSX, YAML or JSON), read in order.
        options: how to read them and which channels to resolve against.

    Returns:
        A Validation whose report lists every problem; bad input never raises.
    """
    options = options or ValidateOptions()
    now = options.now or datetime.now(UTC)
    demo = options.channels is None
    resolver = Resolver(demo_channels() if options.channels is None else options.channels)
    media = MediaChecker()
    files = []
    for path in paths:
        # The file's raw records are dropped once normalised (a third of the peak memory).
        files.append(
            normalize_file(
                sources.read(path, sheet=options.sheet),
                timezone=options.timezone,
                date_format=options.date_format,
                default_channels=options.default_channels,
                media=media,
                now=now,
                slots=options.slots,
                queue_from=options.queue_from,
            )
        )
    items = [item for loaded in files for item in loaded.items]
    _assign_keys(items)
    built = _Builder(resolver, postiz_settings=options.target != "postsyncer")
    posts_by_item = [built.posts(item) for item in items]
    posts = [post for group in posts_by_item for post in group]
    _duplicate_content(items, posts_by_item)
    checked = _finish(options, files, items, posts_by_item, posts, built.defaults_applied(), demo)
    if built.media_unknown:
        kept = {post.key for post in posts}  # Posts of rows without errors
        checked.media_unknown = built.media_unknown & kept
    return checked


def _finish(
    options: ValidateOptions,
    files: list[NormalizedFile],
    items: list[Normalized],
    posts_by_item: list[list[Post]],
    posts: list[Post],
    applied: list[RowError],
    demo: bool,
) -> Validation:
    report = Report(max_errors=options.max_errors)
    summaries = []
    offset = 0
    for loaded in files:
        count = len(loaded.items)
        own = posts_by_item[offset : offset + count]
        offset += count
        problems = list(loaded.problems)
        problems += [p for item in loaded.items for p in item.problems]
        problems += [p for p in applied if p.file == loaded.file]
        report.extend(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        summaries.append(
            FileSummary(
                file=loaded.file,
                entries=count,
                posts=sum(len(group) for group in own),
                channels=len({post.channel.id for group in own for post in group}),
                errors=errors,
                warnings=len(problems) - errors,
                timezone=loaded.zone.name,
                timezone_source=loaded.zone.source,
                default_zone_used=any(i.read_in and not i.read_in[1] for i in loaded.items),
                row_zones=sorted(
                    {i.read_in[0] for i in loaded.items if i.read_in and i.read_in[1]}
                ),
                slots=loaded.slots,
            )
        )
    report.entries = len(items)
    report.posts = len(posts)
    report.timezone = files[0].zone.name if files else None
    entries = [item.entry for item in items if item.entry is not None]
    return Validation(report, entries, posts, summaries, demo)


def _assign_keys(items: list[Normalized]) -> None:
    """``duplicate-id`` errors for repeated ids; ``-2``, ``-3`` suffixes for derived collisions."""
    by_id: dict[str, Normalized] = {}
    used: set[str] = set()
    for item in items:
        if item.explicit_id is None:
            continue
        first = by_id.get(item.explicit_id)
        if first is None:
            by_id[item.explicit_id] = item
            used.add(item.explicit_id)
            continue
        where = first.position.label()
        if first.position.file != item.position.file:
            where += f" of {Path(first.position.file).name}"
        item.problems.append(
            RowError(
                "duplicate-id",
                f"id {item.explicit_id!r} is already used on {where}; give each entry its own id",
                row=row_of(item.position),
                field="id",
                value=item.explicit_id,
                file=item.position.file,
            )
        )
        item.failed = True
    for item in items:
        if item.entry is None or item.explicit_id is not None:
            continue
        key, suffix = item.entry.key, 1
        while key in used:
            suffix += 1
            key = f"{item.entry.key}-{suffix}"
        used.add(key)
        item.entry.key = key


class _Builder:
    """Builds the Posts of each entry: resolves channels, fills defaults, checks rules."""

    def __init__(self, resolver: Resolver, *, postiz_settings: bool = True) -> None:
        self.resolver = resolver
        self.postiz_settings = postiz_settings
        self.shapes = _Shapes(postiz_settings)
        self.instants: dict[datetime, datetime] = {}  # publish instant → the same in UTC
        self._applied: dict[tuple[str, str, str], tuple[RowError, int]] = {}
        self.media_unknown: set[str] = set()  # see ``Validation.media_unknown``
        self._clean: dict[str, Channel] = {}  # references that resolve without a problem

    def posts(self, item: Normalized) -> list[Post]:
        """The Posts of one entry; empty when the entry has any error."""
        entry = item.entry
        if entry is None:
            return []
        channels = self._resolve(item)
        own = len(item.problems)  # the row's own problems come first, before any rule's
        utc = self.instants.get(entry.publish_at)
        if utc is None:  # entries share a few thousand instants: one UTC datetime each
            utc = self.instants[entry.publish_at] = entry.publish_at.astimezone(UTC)
        queued = entry.queued is not None
        forms: dict[str, _Form] = {}
        built: list[Post] = []
        filled: list[tuple[str, str, Any]] = []
        pulled = None
        for channel in channels:
            identifier = channel.identifier
            form = forms.get(identifier)
            if form is None:
                form = forms[identifier] = self._form(entry, identifier, forms)
            values, _, _, settings, defaults, violations = form
            post = Post(
                entry_key=entry.key,
                position=entry.position,
                channel=channel,
                publish_at=utc,
                timezone=entry.timezone,
                type=entry.type,
                values=values,
                settings=settings,
                tags=entry.tags,
                short_link=entry.short_link,
                repeat_every_days=entry.repeat_every_days,
                queued=queued,
            )
            if violations:
                if pulled is None:
                    pulled = remote_value_id(entry.key) is not None
                    pulled = pulled and not entry.media and not item.media_none
                if pulled:
                    deferred = [v for v in violations if v.code == "media-required" and v.item == 0]
                    if deferred:
                        self.media_unknown.add(post.key)
                        violations = [v for v in violations if v not in deferred]
                if violations:
                    _add_violations(item, item.problems[:own], channel, violations)
            built.append(post)
            if defaults:
                filled += [(identifier, key, settings[key]) for key in defaults]
        if item.has_errors:
            return []
        for identifier, key, value in filled:
            self._note_default(item, identifier, key, value)
        return built

    def _form(self, entry: Entry, identifier: str, forms: dict[str, _Form]) -> _Form:
        """The entry as it goes to one platform (``forms``: the entry's other platforms', whose
        values a platform with the same text shares)."""
        text = entry.text_for(identifier)
        for known in forms.values():  # an entry has a few platforms: look, do not index
            if known[0][0].text == text:
                values, items, shape = known[:3]
                break
        else:
            values, items, shape = _values(entry, text)
        own = entry.settings.get(identifier, _NO_SETTINGS) if entry.settings else _NO_SETTINGS
        settings, filled, checked, limit = self.shapes.get(
            identifier, own, entry.type, items, shape
        )
        if (
            not checked[0]
            and not checked[1]
            and entry.type != "draft"
            and rules.surely_short(identifier, items, limit)
        ):
            violations = _NO_VIOLATIONS  # the usual post: nothing to say, no length to count
        else:
            violations = rules.with_lengths(
                checked, identifier, items, settings, post_type=entry.type
            )
        return values, items, shape, settings, filled, violations

    def _resolve(self, item: Normalized) -> list[Channel]:
        """The entry's channels, each once; an error on the row for each bad reference."""
        assert item.entry is not None
        found: dict[str, Channel] = {}
        clean = self._clean
        for ref in item.entry.channels:
            channel = clean.get(ref)
            if channel is not None:  # a reference already resolved without a problem
                found.setdefault(channel.id, channel)
                continue
            outcome = self.resolver(ref)
            if outcome.code is not None:
                item.problems.append(
                    RowError(
                        outcome.code,
                        outcome.message,
                        row=row_of(item.position),
                        field="channels",
                        value=ref,
                        file=item.position.file,
                    )
                )
                item.failed = True
            elif outcome.channel is not None:
                clean[ref] = outcome.channel
                found.setdefault(outcome.channel.id, outcome.channel)
        return list(found.values())

    def _note_default(self, item: Normalized, identifier: str, key: str, value: Any) -> None:
        slot = (item.position.file, identifier, key)
        known = self._applied.get(slot)
        if known is not None:
            self._applied[slot] = (known[0], known[1] + 1)
            return
        problem = RowError(
            "default-applied",
            f"{identifier} needs {key}: {value!r} filled in",
            row=row_of(item.position),
            field=f"settings.{identifier}.{key}",
            value=str(value),
            file=item.position.file,
        )
        self._applied[slot] = (problem, 1)

    def defaults_applied(self) -> list[RowError]:
        """One ``default-applied`` warning per file, platform and setting, with its count."""
        out = []
        for problem, count in self._applied.values():
            where = f" on {count} posts from this row on" if count > 1 else ""
            out.append(
                RowError(
                    problem.code,
                    f"{problem.message}{where}; add a {problem.field} column to choose",
                    row=problem.row,
                    field=problem.field,
                    value=problem.value,
                    file=problem.file,
                )
            )
        return out


def _values(
    entry: Entry, text: str
) -> tuple[list[PostValue], list[rules.Item], tuple[Hashable, ...]]:
    """An entry's values with ``text`` as main text, their rule items and the items' shape."""
    main = rules.Item(text, [m.kind for m in entry.media] if entry.media else [])
    first = PostValue(text=text, media=entry.media)
    if not entry.thread:  # the usual entry: one item
        return [first], [main], (_item_shape(main),)
    items = [main, *(rules.Item(t.text, [m.kind for m in t.media]) for t in entry.thread)]
    values = [
        first,
        *(PostValue(text=t.text, media=t.media, delay=t.delay) for t in entry.thread),
    ]
    return values, items, tuple(map(_item_shape, items))


def _item_shape(item: rules.Item) -> tuple[Hashable, ...]:
    """What ``rules.check_shape`` reads of an item: its emptiness and media kinds."""
    return (not item.media and not rules.js_trim(item.text), *item.media)


#: One entry on one platform: its values, their rule items and the items' shape, the settings
#: (defaults filled in), the keys filled and the violations. A plain tuple: one is made for
#: nearly every Post, and a named tuple's constructor and fields cost a fifth of the loop.
_Form = tuple[
    list[PostValue],
    list[rules.Item],
    tuple[Hashable, ...],
    dict[str, Any],
    list[str],
    list[rules.Violation],
]
_NO_VIOLATIONS: list[rules.Violation] = []
_Shape = tuple[dict[str, Any], list[str], tuple[list[rules.Violation], list[rules.Violation]], int]


class _Shapes:
    """Settings with defaults and the rules that ignore the text (``rules.check_shape``), once
    per platform, type, settings and items' emptiness and media kinds: rows repeat them."""

    def __init__(self, postiz_settings: bool) -> None:
        self.postiz_settings = postiz_settings
        self._known: dict[Hashable, _Shape] = {}

    def get(
        self,
        identifier: str,
        own: dict[str, Any],
        post_type: str,
        items: list[rules.Item],
        shape: tuple[Hashable, ...],
    ) -> _Shape:
        """(settings, defaults filled, ``rules.check_shape``'s answer, the length limit);
        ``shape`` is the items' shape (``_values``)."""
        key = _shape_key(identifier, own, post_type, shape)
        found = self._known.get(key) if key is not None else None
        if found is not None:
            return found
        if self.postiz_settings:
            settings, filled = rules.fill_defaults(identifier, own)
        else:
            settings, filled = dict(own), []
        empty, rest = rules.check_shape(identifier, items, settings, post_type=post_type)
        if not self.postiz_settings:  # Postiz's settings rules do not apply; PostSyncer's own do
            rest = [v for v in rest if not (v.field or "").startswith("settings.")]
        limit = rules.max_length(identifier, settings=settings)
        found = (settings, filled, (empty, rest), limit)
        if key is not None:
            if len(self._known) >= _COMBINATIONS:
                self._known.clear()
            self._known[key] = found
        return found


def _shape_key(
    identifier: str, own: dict[str, Any], post_type: str, shape: tuple[Hashable, ...]
) -> Hashable | None:
    """The key of these posts' shape, or None when their settings cannot be one (unhashable)."""
    if not own:
        return identifier, post_type, shape
    # Types are part of the key: 1, 1.0 and True are equal in Python, not in a payload.
    key = (
        identifier,
        post_type,
        shape,
        tuple((name, type(value), value) for name, value in sorted(own.items())),
    )
    try:
        hash(key)
    except TypeError:  # a list or mapping among the settings: checked on its own
        return None
    return key


def _add_violations(
    item: Normalized, own: list[RowError], channel: Channel, violations: list[rules.Violation]
) -> None:
    """The rule errors of one Post, unless the row's own problems already explain them."""
    assert item.entry is not None
    media_broken = any(p.code in _MEDIA_CODES for p in own)
    known = {(p.code, p.field) for p in own}
    for violation in violations:
        problem = _violation_error(item, item.entry, channel, violation)
        if (media_broken and violation.field == "media") or (
            (problem.code, problem.field) in known
        ):
            continue  # the row's own error already explains it
        item.problems.append(problem)
        item.failed = True


def _violation_error(
    item: Normalized, entry: Entry, channel: Channel, violation: rules.Violation
) -> RowError:
    name = violation.field
    value: str | None = None
    if violation.item > 0:
        name = f"thread.{violation.item}" + (".media" if violation.field == "media" else "")
    elif name == "text" and channel.identifier in entry.text_overrides:
        name = f"text.{channel.identifier}"
    elif name and name.startswith("settings."):
        raw = entry.settings.get(channel.identifier, {}).get(name.rsplit(".", 1)[1])
        value = None if raw is None else str(raw)
    return RowError(
        violation.code,
        f"{label(channel)}: {violation.message}",
        row=row_of(item.position),
        field=name,
        value=value,
        file=item.position.file,
    )


def _duplicate_content(items: list[Normalized], posts_by_item: list[list[Post]]) -> None:
    """Warn when the same text goes to the same channel twice within an hour (rows with a time)."""
    # Nearly every text belongs to one entry: find the texts two entries share first (one key
    # per text, not one per post), then compare channel and time for their posts only.
    first_entry: dict[str, int] = {}
    shared: set[str] = set()
    for index, text, _ in _compared(posts_by_item, None):
        if first_entry.setdefault(text, index) != index:
            shared.add(text)
    del first_entry
    once: dict[tuple[str, str], tuple[datetime, int]] = {}
    again: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    channels: dict[str, Channel] = {}
    for index, text, post in _compared(posts_by_item, shared):
        key = (post.channel.id, text)
        use = (post.publish_at, index)
        if key in once:
            again.setdefault(key, [once[key]]).append(use)
        else:
            once[key] = use
        channels[post.channel.id] = post.channel
    for key in [key for key in once if key in again]:  # in the order of first use
        channel_id, uses = key[0], again[key]
        uses.sort()
        for (earlier, first), (later, second) in zip(uses, uses[1:], strict=False):
            if later - earlier >= _HOUR:
                continue
            item = items[second]
            other = items[first].position.label()
            minutes = int((later - earlier).total_seconds() // 60)
            item.problems.append(
                RowError(
                    "duplicate-content",
                    f"same text on {label(channels[channel_id])} as {other}, {minutes} min apart; "
                    "Postiz would post it twice: change the text or the time",
                    row=row_of(item.position),
                    field="text",
                    file=item.position.file,
                )
            )


def _compared(
    posts_by_item: list[list[Post]], texts: set[str] | None
) -> Iterator[tuple[int, str, Post]]:
    """(entry index, stripped main text, Post) of the Posts the duplicate check compares: with
    a text, not drafts, not queued (a queued post's time is chosen later, one post per channel
    per slot); only those whose text is in ``texts``, when given. Type and queuing are the
    entry's, shared by all its Posts."""
    for index, group in enumerate(posts_by_item):
        if not group or group[0].type == "draft" or group[0].queued:
            continue
        values: list[PostValue] | None = None
        text = ""
        for post in group:
            if post.values is not values:  # an entry's Posts share their values per text
                values = post.values
                text = values[0].text.strip()
            if text and (texts is None or text in texts):
                yield index, text, post
