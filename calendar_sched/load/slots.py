"""Posting slots: the times of day a row with a date but no time may be placed at.

A slot spec comes from a YAML/JSON calendar's top-level ``slots:`` or from ``--slots``:

- ``"mon-fri 09:00,12:30,17:00; sat 10:00; gap 60"`` (clauses: days then times; a clause
  without days is every day; a later clause naming a day replaces that day's times; ``gap N``
  is the fewest minutes between two posts of one channel);
- a list of times (every day), or a mapping ``{times: …, mon-fri: …, gap: N, channels: {…}}``
  whose ``channels`` (or ``platforms``) override the times or the gap per channel reference
  (id, name, ``identifier:profile``) or platform identifier (``x``, ``linkedin-page``).

Times are read in the calendar's zone. Problems are ``SlotProblem`` values with the stable
code ``bad-slots`` and say how to fix the spec; nothing here raises for bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendar_sched.load import dates
from calendar_sched.load.dates import DateOrder, DateProblem
from calendar_sched.models import Channel, Queued
from calendar_sched.report import RowError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {name: i for i, name in enumerate(DAYS)} | {
    full: i
    for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_GROUPS = {
    "daily": tuple(range(7)),
    "every": tuple(range(7)),
    "all": tuple(range(7)),
    "*": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
_CLOCK = re.compile(r"^(\d{1,2})[:h.]?(\d{2})$")
_MAX_GAP = 7 * 24 * 60
_OVERRIDE_KEYS = ("channels", "platforms")
_SPEC_HELP = 'write slots like "mon-fri 09:00,12:30,17:00; sat 10:00"'
QUEUE_WORD = "queue"  # ``publish_at: queue``: the next free slot from --queue-from on

#: Times of day per weekday, Monday first.
Week = tuple[tuple[time, ...], ...]


class SlotProblem(Exception):
    """A slot spec that cannot be read: the ``bad-slots`` message and the value at fault."""

    code = "bad-slots"

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


@dataclass(frozen=True, slots=True)
class ChannelSlots:
    """One channel's slots: times per weekday in a zone, and its fewest minutes between posts."""

    week: Week
    zone: str = "UTC"
    gap_minutes: int = 0

    def on(self, day: date) -> list[datetime]:
        """The slot instants of ``day`` (UTC, ascending); a time a clock change skips is none."""
        zone = ZoneInfo(self.zone)
        out = []
        for clock in self.week[day.weekday()]:
            local = datetime.combine(day, clock, tzinfo=zone)  # fold 0: the first of two
            moment = local.astimezone(UTC)
            if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
                continue  # does not exist (clocks spring forward)
            out.append(moment)
        return sorted(set(out))

    @property
    def gap(self) -> timedelta:
        """The fewest time between two posts of the channel (0: only not at the same instant)."""
        return timedelta(minutes=self.gap_minutes)


@dataclass(frozen=True, slots=True)
class Override:
    """A per-channel or per-platform change: new times, a new gap, or both."""

    week: Week | None = None
    gap_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """Posting slots of a calendar: default times per weekday, overrides and a gap."""

    week: Week
    gap_minutes: int = 0
    zone: str = "UTC"
    overrides: tuple[tuple[str, Override], ...] = ()
    source: str = "--slots"  # where it was written, for messages

    def for_channel(self, channel: Channel) -> ChannelSlots:
        """The slots of ``channel``: its own override, else its platform's, else the default."""
        found = self._override(channel)
        week = found.week if found and found.week is not None else self.week
        gap = found.gap_minutes if found and found.gap_minutes is not None else self.gap_minutes
        return ChannelSlots(week, self.zone, gap)

    def in_zone(self, zone: str) -> SlotSpec:
        """The same spec read in ``zone`` (the calendar's)."""
        return replace(self, zone=zone)

    def describe(self) -> str:
        """``mon-fri 09:00,12:30; sat 10:00`` style text of the default week."""
        return describe_week(self.week) + (f"; gap {self.gap_minutes}" if self.gap_minutes else "")

    def _override(self, channel: Channel) -> Override | None:
        names = {channel.id, channel.name.casefold()}
        if channel.profile:
            names.add(f"{channel.identifier}:{channel.profile}".casefold())
        platform = None
        for key, override in self.overrides:
            if key in names or key.casefold() in names:
                return override
            if key.casefold() == channel.identifier.casefold():
                platform = override
        return platform


@dataclass
class _Reading:
    week: list[tuple[time, ...]] = field(default_factory=lambda: [()] * 7)
    gap: int | None = None


def parse_slots(value: Any, *, zone: str = "UTC", source: str = "--slots") -> SlotSpec:
    """A SlotSpec from ``--slots`` text or a YAML/JSON ``slots:`` value.

    Raises:
        SlotProblem: the spec cannot be read; the message says how to fix it.
    """
    reading = _read_default(value)
    overrides: list[tuple[str, Override]] = []
    if isinstance(value, Mapping):
        for section in _OVERRIDE_KEYS:
            block = _lookup(value, section)
            if block is None:
                continue
            if not isinstance(block, Mapping):
                raise SlotProblem(
                    f"slots {section}: must map a channel or platform to its times, e.g. "
                    '{x: "mon-fri 10:00"}',
                    block,
                )
            for name, times in block.items():
                overrides.append((str(name).strip(), _read_override(str(name), times)))
    if not any(reading.week) and not overrides:
        raise SlotProblem(f"slots name no time; {_SPEC_HELP}", _shown(value))
    if not any(reading.week) and not any(o.week for _, o in overrides):
        raise SlotProblem(f"slots name no default time; {_SPEC_HELP}", _shown(value))
    return SlotSpec(
        week=tuple(reading.week),
        gap_minutes=reading.gap or 0,
        zone=zone,
        overrides=tuple(overrides),
        source=source,
    )


def describe_week(week: Week) -> str:
    """The week as ``--slots`` text, consecutive days with equal times joined (``mon-fri``)."""
    clauses = []
    day = 0
    while day < 7:
        end = day
        while end + 1 < 7 and week[end + 1] == week[day]:
            end += 1
        if week[day]:
            days = DAYS[day] if end == day else f"{DAYS[day]}-{DAYS[end]}"
            if day == 0 and end == 6:
                days = "daily"
            clauses.append(f"{days} {','.join(t.strftime('%H:%M') for t in week[day])}")
        day = end + 1
    return "; ".join(clauses) or "none"


def _read_default(value: Any) -> _Reading:
    reading = _Reading()
    if isinstance(value, str):
        _read_text(value, reading)
    elif isinstance(value, list | tuple):
        reading.week = [_times(value)] * 7
    elif isinstance(value, Mapping):
        # `times` is every day's; a day key (mon-fri: …) replaces the days it names.
        named: list[tuple[str, Any]] = []
        for key, part in value.items():
            name = str(key).strip().lower()
            if name in _OVERRIDE_KEYS:
                continue
            if name == "gap":
                reading.gap = _gap(part)
            elif name in ("times", "time", "default"):
                reading.week = [_times(part)] * 7
            else:
                named.append((name, part))
        for name, part in named:
            times = () if part in ([], "", None) else _times(part)  # [] : none that day
            for day in _days(name):
                reading.week[day] = times
    elif value is None:
        raise SlotProblem(f"slots: is empty; {_SPEC_HELP}")
    else:
        raise SlotProblem(f"slots must be text, a list of times or a mapping; {_SPEC_HELP}", value)
    return reading


def _read_text(text: str, reading: _Reading) -> None:
    clauses = [c.strip() for c in re.split(r"[;\n]", text) if c.strip()]
    if not clauses:
        raise SlotProblem(f"slots are empty; {_SPEC_HELP}", text)
    for clause in clauses:
        head, _, rest = clause.partition(" ")
        if head.lower() == "gap":
            reading.gap = _gap(rest.strip().removesuffix("m").removesuffix("min").strip())
        elif _CLOCK.match(head.split(",")[0]):
            for day in range(7):
                reading.week[day] = _times(clause)
        else:
            days = _days(head)
            if not rest.strip():
                raise SlotProblem(f"{clause!r} names days but no time; {_SPEC_HELP}", clause)
            for day in days:
                reading.week[day] = _times(rest)


def _read_override(name: str, value: Any) -> Override:
    if isinstance(value, Mapping) and set(map(str, value)) <= {"gap"}:
        return Override(gap_minutes=_gap(value.get("gap")))
    try:
        reading = _read_default(value)
    except SlotProblem as problem:
        raise SlotProblem(f"slots for {name}: {problem.message}", problem.value) from None
    week = tuple(reading.week) if any(reading.week) else None
    return Override(week=week, gap_minutes=reading.gap)


def _days(text: str) -> tuple[int, ...]:
    found: list[int] = []
    for part in re.split(r"[,+]", text.strip().lower()):
        part = part.strip()
        if part in _GROUPS:
            found.extend(_GROUPS[part])
            continue
        first, dash, last = part.partition("-")
        if first not in _DAY_NAMES or (dash and last not in _DAY_NAMES):
            raise SlotProblem(
                f"{part!r} is not a day; use mon, tue, … sun, a range like mon-fri, daily, "
                f"weekdays or weekends ({_SPEC_HELP})",
                part,
            )
        start = _DAY_NAMES[first]
        end = _DAY_NAMES[last] if dash else start
        day = start
        while True:
            found.append(day)
            if day == end:
                break
            day = (day + 1) % 7
    return tuple(dict.fromkeys(found))


def _times(value: Any) -> tuple[time, ...]:
    parts: Sequence[Any]
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    elif isinstance(value, list | tuple):
        parts = value
    elif isinstance(value, time):
        parts = [value]
    else:
        raise SlotProblem(f"{value!r} is not a list of times; write 09:00,12:30", value)
    times = []
    for part in parts:
        if isinstance(part, time):
            times.append(part.replace(tzinfo=None, second=0, microsecond=0))
            continue
        if isinstance(part, int) and not isinstance(part, bool) and 0 <= part < 24 * 60:
            times.append(time(part // 60, part % 60))  # YAML 1.1 reads 09:00 as 540 minutes
            continue
        match = _CLOCK.match(str(part).strip())
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            message = f"{part!r} is not a time of day; write 24-hour times like 09:30"
            raise SlotProblem(message, part)
        times.append(time(int(match.group(1)), int(match.group(2))))
    if not times:
        raise SlotProblem(f"no time given; {_SPEC_HELP}", _shown(value))
    return tuple(sorted(set(times)))


def _gap(value: Any) -> int:
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or int(text) > _MAX_GAP:
        raise SlotProblem(
            f"gap must be whole minutes between two posts of one channel (0 to {_MAX_GAP}), "
            f"e.g. gap 60",
            value,
        )
    return int(text)


def _lookup(value: Mapping[Any, Any], name: str) -> Any:
    for key, part in value.items():
        if str(key).strip().lower() == name:
            return part
    return None


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def read_queued(
    cells: Mapping[str, Any],
    order: DateOrder | None,
    *,
    slots: bool,
    queue_from: date | None,
) -> Queued | DateProblem | None:
    """A row's queue request: ``publish_at: queue``, or (with ``slots``) a date without a time.

    None when the row is not one (it has a time, no date, or a value the usual reading reports);
    a DateProblem (``missing-field``) for ``queue`` without slots or without ``--queue-from``.
    """
    at = cells.get("publish_at")
    if isinstance(at, str) and at.strip().lower() == QUEUE_WORD:
        if not slots:
            return DateProblem(
                "missing-field",
                'publish_at: queue needs posting slots; pass --slots "mon-fri 09:00,12:30" '
                "or add a top-level slots: to the calendar",
            )
        if queue_from is None:
            return DateProblem(
                "missing-field",
                "publish_at: queue needs the day the queue starts; pass --queue-from YYYY-MM-DD",
            )
        return Queued(queue_from, any_day=True)
    if not slots:
        return None
    value = at
    if dates.is_blank(at):
        value = cells.get("date") if dates.is_blank(cells.get("time")) else None
    if dates.is_blank(value):
        return None
    try:
        dates.parse_datetime(value, order)
        return None  # a time is given
    except DateProblem as problem:
        if problem.code != "missing-field":
            return None
    try:
        return Queued(dates.parse_date(value, order))
    except DateProblem:
        return None


def file_slots(
    option: str | None, written: Any, *, zone: str, file: str
) -> tuple[SlotSpec | None, RowError | None]:
    """The slots of one calendar file: ``--slots`` (``option``), else its ``slots:``.

    Returns the spec read in the file's ``zone`` (None when neither is given) and the
    ``bad-slots`` problem when the one that counts cannot be read.
    """
    if option is not None and option.strip():
        value, source, where = option, "--slots", "--slots"
    elif written is not None:
        value, source, where = written, file, "slots"
    else:
        return None, None
    try:
        return parse_slots(value, zone=zone, source=source), None
    except SlotProblem as problem:
        shown = None if problem.value is None else _shown(problem.value)
        return None, RowError("bad-slots", problem.message, field=where, value=shown, file=file)


def queue_start(queued: Queued, zone: str) -> datetime:
    """Where a queued entry stands until placed: the start of its day in ``zone``."""
    return datetime.combine(queued.day, time(0), tzinfo=ZoneInfo(zone))
