"""A row's publish time: the zone rows default to, and the date/time cells read as one instant.

Rows without their own ``timezone`` are read in the file's zone, else ``--timezone``, else this
machine's (``choose_zone``). ``PublishTimes.read`` turns one row's ``publish_at`` or ``date`` +
``time`` and ``timezone`` cells into an aware instant, reporting what it cannot read on the row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from calendar_sched.load import dates
from calendar_sched.load.dates import DateProblem, OrderDecision, cell_text
from calendar_sched.load.sources.base import RawRecord
from calendar_sched.models import PostType
from calendar_sched.report import RowError

ZoneSource = Literal["file", "option", "machine", "fallback"]

_INSTANTS = 4096  # recent publish times remembered per file (calendars reuse a few slots)

#: (instant, zone name, zone a local time was read in and whether the row named it, past?)
Instant = tuple[datetime, str, tuple[str, bool] | None, bool]


@dataclass(frozen=True)
class ZoneChoice:
    """The zone for rows without their own ``timezone``, and where it came from."""

    name: str | None
    source: ZoneSource
    problem: str | None = None  # message of a bad-timezone error, when the default is unusable


def choose_zone(file_zone: str | None, option: str | None) -> ZoneChoice:
    """The default zone: the file's, else ``--timezone``, else this machine's, else UTC."""
    if file_zone is not None and file_zone.strip():
        return _named_zone(file_zone, "file")
    if option is not None and option.strip():
        return _named_zone(option, "option")
    machine = dates.machine_zone()
    if machine:
        return ZoneChoice(machine, "machine")
    return ZoneChoice("UTC", "fallback")


def _named_zone(name: str, source: ZoneSource) -> ZoneChoice:
    try:
        return ZoneChoice(dates.zone(name).key, source)
    except DateProblem as problem:
        return ZoneChoice(None, source, problem.message)


def date_values(records: Iterable[RawRecord], defaults: dict[str, Any]) -> Iterable[Any]:
    """The text cells that decide a file's day/month order, each once (``decide_order`` reads
    only text, and only each value's first use): defaults first, then each record's."""
    seen: set[str] = set()
    cells = itertools.chain((defaults,), (record.cells for record in records))
    for values in cells:
        for value in (values.get("publish_at"), values.get("date")):
            if isinstance(value, str) and value not in seen:
                seen.add(value)
                yield value


class RowProblems(Protocol):
    """Where a reading reports: one record's problem collector."""

    problems: list[RowError]
    failed: bool  # an error applies to the record (possibly reported once for the file)
    read_in: tuple[str, bool] | None  # zone a local time was read in, from its own row?

    def add(self, code: str, message: str, field: str | None, value: Any = None) -> None:
        """Report a problem at ``field``; any code but past-publish-time fails the record."""


_TEXT = (str, type(None))  # cells whose readings can be remembered by value


@dataclass
class PublishTimes:
    """How one file's publish cells read: day/month order, default zone, now; recent readings."""

    order: OrderDecision
    zone: ZoneChoice
    now: datetime
    # (publish_at, date, time, timezone) cells → their Instant, for cells read without a problem.
    instants: dict[tuple[Any, ...], Instant] = field(default_factory=dict)

    def read(
        self, row: RowProblems, cells: dict[str, Any], post_type: PostType
    ) -> tuple[datetime | None, str, bool]:
        """The instant (None if unreadable), the zone it was read in, and whether it is past."""
        at, day, clock, zone = key = (
            cells.get("publish_at"),
            cells.get("date"),
            cells.get("time"),
            cells.get("timezone"),
        )
        # Text cells only: equal keys then mean equal readings. "now" rows may read blank cells.
        cacheable = (
            post_type != "now"
            and type(at) in _TEXT
            and type(day) in _TEXT
            and type(clock) in _TEXT
            and type(zone) in _TEXT
        )
        instants = self.instants
        if cacheable:
            known = instants.get(key)
            if known is not None:
                row.read_in = known[2]
                return known[0], known[1], known[3]
        problems, failed = len(row.problems), row.failed
        moment, zone_name = self._read(row, cells, post_type)
        if moment is None:
            return None, zone_name, False
        past = moment < self.now  # comparing across zones costs a microsecond: once per instant
        if cacheable and len(row.problems) == problems and row.failed == failed:
            if len(instants) >= _INSTANTS:
                instants.clear()
            instants[key] = (moment, zone_name, row.read_in, past)
        return moment, zone_name, past

    def _read(
        self, row: RowProblems, cells: dict[str, Any], post_type: PostType
    ) -> tuple[datetime | None, str]:
        zone_name = self.zone.name or "UTC"
        row_zone = cell_text(cells.get("timezone"))
        zone = None
        if row_zone:
            try:
                zone = dates.zone(row_zone)
                zone_name = zone.key
            except DateProblem as problem:
                row.add(problem.code, problem.message, "timezone", row_zone)
        at, day, clock = cells.get("publish_at"), cells.get("date"), cells.get("time")
        if all(dates.is_blank(v) for v in (at, day, clock)):
            if post_type == "now":
                return self.now, zone_name
            row.add(
                "missing-field", "no publish time; add publish_at (or date and time)", "publish_at"
            )
            return None, zone_name
        order = self.order.order
        field_name = "publish_at"
        try:
            if not dates.is_blank(at):
                moment = dates.parse_datetime(at, order)
            elif dates.is_blank(day):
                field_name = "date"
                raise DateProblem("missing-field", "a time but no date; add the date")
            elif dates.is_blank(clock):
                field_name = "date"
                moment = dates.parse_datetime(day, order)
            else:
                field_name = "date"
                parsed_day = dates.parse_date(day, order)
                field_name = "time"
                moment = dates.combine(parsed_day, dates.parse_time(clock))
            if moment.tzinfo is not None:
                dates.check_range(moment)
            else:
                if row_zone and zone is None:
                    return None, zone_name  # bad-timezone already reported
                row.read_in = (zone_name, zone is not None)
                if zone is None:
                    if self.zone.name is None:
                        row.failed = True  # bad default zone, reported once for the file
                        return None, zone_name
                    zone = dates.zone(self.zone.name)
                moment = dates.localize(moment, zone)
        except DateProblem as problem:
            raw = {"publish_at": at, "date": day, "time": clock}[field_name]
            if problem.code == "ambiguous-date-format" and self.order.problem:
                row.failed = True  # reported once for the file
            else:
                row.add(problem.code, problem.message, field_name, raw)
            return None, zone_name
        return moment, zone_name
