"""The posting queue: times for entries with a day but no time, in the fewest counted requests.

Pure. Every channel has slots (times per weekday, ``load/slots.py``) and instants already taken
(the account's posts, the calendar's timed posts). An entry's channels share one instant, so one
request carries them all; at most one post per channel per slot (and a channel's minimum gap
between two posts); entries on the same day are aligned on the same slots where their channels
allow, since every distinct instant is one more counted request.

How: previous placements (the journal's) are kept while still valid, so a re-run or an added
row moves nothing that need not move. The rest is placed day by day: most-constrained entry
first (fewest free slots, then most channels, then calendar order), into a slot the calendar
already pays for when one is free, else the earliest; then, when that is above the day's lower
bound, a bounded exhaustive search looks for fewer instants (exact on realistic days). Entries
that may go on any day from their first (``publish_at: queue``) come last, each into its
earliest day with a free slot. Deterministic: the same input gives the same times.

``next_free_slots`` is the comparison: each post in its channel's next free slot, as calling
Postiz's ``GET /find-slot/:id`` per post does (a slot is free when no post of the account is at
that instant, so every post there gets an instant, and a request, of its own). The placement
never needs more: each of its new instants carries at least one whole entry, so it adds at most
one request per entry, and an entry has at least one post. The lower bound (``Placement.
lower_bound``): on a day, a channel with k entries needs k instants, less the paid ones free on
it. It is not always reachable: three entries on channels a+b, b+c and a+c need three instants.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_sched.load.slots import ChannelSlots

#: Days after its first day that a ``queue`` entry may be placed on.
HORIZON_DAYS = 366
#: Search nodes per day for the exhaustive improvement; past it the best found so far stays.
SEARCH_BUDGET = 5_000
#: Days with more entries than this keep the greedy's placement (the search would not finish).
SEARCH_ENTRIES = 40

Pair = tuple[datetime, Hashable]  # an instant and what else a request must share


@dataclass(frozen=True, slots=True)
class QueuedEntry:
    """An entry to place: its key, its channels (ids) and its day."""

    key: str
    channels: tuple[str, ...]
    day: date  # in the calendar's zone; for ``any_day``, the first day it may go
    any_day: bool = False  # ``publish_at: queue``: this day or a later one
    group: Hashable = ()  # the pack key less the instant: only equal groups share a request


@dataclass
class Placement:
    """Times chosen for entries, the requests they add and why some found no slot."""

    times: dict[str, datetime] = field(default_factory=dict)  # entry key → UTC instant
    unplaced: dict[str, str] = field(default_factory=dict)  # entry key → why
    kept: set[str] = field(default_factory=set)  # previous placements kept
    requests: int = 0  # distinct (instant, group) the placed entries add to what was paid
    lower_bound: int = 0  # fewer requests than this cannot place the entries


@dataclass
class FreeSlots:
    """The baseline: each post's time, keyed ``(entry key, channel id)``, and its requests."""

    times: dict[tuple[str, str], datetime] = field(default_factory=dict)
    unplaced: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0


class _State:
    """Instants taken per channel, slot lists per (channel, day), and the pairs already paid."""

    def __init__(
        self,
        slots: Mapping[str, ChannelSlots],
        taken: Mapping[str, Iterable[datetime]],
        paid: Iterable[Pair],
        now: datetime | None,
    ) -> None:
        self.slots = slots
        self.taken = {channel: sorted(set(times)) for channel, times in taken.items()}
        self.paid = set(paid)
        self.now = now
        self._days: dict[tuple[str, date], list[datetime]] = {}

    def slots_on(self, channel: str, day: date) -> list[datetime]:
        key = (channel, day)
        found = self._days.get(key)
        if found is None:
            spec = self.slots.get(channel)
            found = spec.on(day) if spec is not None else []
            self._days[key] = found
        return found

    def gap(self, channel: str) -> timedelta:
        spec = self.slots.get(channel)
        return spec.gap if spec is not None else timedelta(0)

    def free(self, channel: str, moment: datetime) -> bool:
        times = self.taken.get(channel)
        if not times:
            return True
        gap = self.gap(channel)
        if not gap:
            i = bisect.bisect_left(times, moment)
            return i == len(times) or times[i] != moment
        i = bisect.bisect_right(times, moment - gap)
        return i == len(times) or times[i] >= moment + gap

    def take(self, channels: Iterable[str], moment: datetime, group: Hashable) -> None:
        for channel in channels:
            bisect.insort(self.taken.setdefault(channel, []), moment)
        self.paid.add((moment, group))

    def candidates(self, entry: QueuedEntry, day: date) -> list[datetime]:
        """Instants of ``day`` in every channel's slots, free on each, not past."""
        if not entry.channels:
            return []
        common = set(self.slots_on(entry.channels[0], day))
        for channel in entry.channels[1:]:
            common.intersection_update(self.slots_on(channel, day))
        now = self.now
        return sorted(
            t
            for t in common
            if (now is None or t > now) and all(self.free(c, t) for c in entry.channels)
        )

    def valid(self, entry: QueuedEntry, moment: datetime, day: date) -> bool:
        """``moment`` is a slot of ``day`` for every channel of the entry, and free on each."""
        return bool(entry.channels) and all(
            moment in self.slots_on(c, day) and self.free(c, moment) for c in entry.channels
        )


def place(
    entries: Sequence[QueuedEntry],
    slots: Mapping[str, ChannelSlots],
    *,
    taken: Mapping[str, Iterable[datetime]] | None = None,
    paid: Iterable[Pair] = (),
    previous: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    budget: int = SEARCH_BUDGET,
) -> Placement:
    """Times for ``entries`` in the fewest distinct (instant, group) pairs the slots allow.

    Args:
        entries: the entries to place, in calendar order (the order breaks ties).
        slots: channel id → its slots; a channel without slots has none.
        taken: channel id → instants already used on it (the account's posts, timed rows).
        paid: (instant, group) pairs the calendar already sends (its timed posts): joining one
            costs no request.
        previous: entry key → its earlier time (the journal's), kept while still valid.
        now: slots at or before it are not offered to new placements.
        horizon_days: how far after its first day a ``queue`` entry may go.
        budget: search nodes per day for the exhaustive improvement.

    Returns:
        The Placement: a time per placed entry, why the others found no slot, requests added.
    """
    state = _State(slots, taken or {}, paid, now)
    before = set(state.paid)
    out = Placement()
    previous = previous or {}

    # Keep earlier placements that are still valid, in calendar order
    rest: list[QueuedEntry] = []
    for entry in entries:
        moment = previous.get(entry.key)
        if moment is not None and _keepable(state, entry, moment, horizon_days):
            state.take(entry.channels, moment, entry.group)
            out.times[entry.key] = moment
            out.kept.add(entry.key)
        else:
            rest.append(entry)

    # Date-only entries, day by day; then the queue
    by_day: dict[date, list[QueuedEntry]] = {}
    for entry in rest:
        if not entry.any_day:
            by_day.setdefault(entry.day, []).append(entry)
    for day in sorted(by_day):
        todo = by_day[day]
        out.lower_bound += _lower_bound(state, todo, day)
        chosen = _place_day(state, todo, day, budget)
        for entry in todo:
            moment = chosen.get(entry.key)
            if moment is None:
                out.unplaced[entry.key] = _why(state, entry, day)
            else:
                state.take(entry.channels, moment, entry.group)
                out.times[entry.key] = moment
    for entry in rest:
        if entry.any_day:
            found = _queue(state, entry, horizon_days)
            if found is None:
                out.unplaced[entry.key] = (
                    f"no free slot in the {horizon_days} days from {entry.day.isoformat()} on "
                    "its channels; add slots (--slots) or free some"
                )
            else:
                state.take(entry.channels, found, entry.group)
                out.times[entry.key] = found
    placed = {(out.times[e.key], e.group) for e in entries if e.key in out.times}
    out.requests = len(placed - before)
    if any(entry.any_day for entry in entries):
        # A channel's entries each need an instant of their own; at most the paid ones are free
        load: dict[str, int] = {}
        for entry in entries:
            for channel in entry.channels:
                load[channel] = load.get(channel, 0) + 1
        joinable = len({moment for moment, _ in before})
        out.lower_bound = max(out.lower_bound, max(load.values(), default=0) - joinable)
    return out


def next_free_slots(
    entries: Sequence[QueuedEntry],
    slots: Mapping[str, ChannelSlots],
    *,
    busy: Iterable[datetime] = (),
    paid: Iterable[Pair] = (),
    now: datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
) -> FreeSlots:
    """Each post in its channel's next free slot from its day on, one post at a time.

    What calling ``GET /find-slot/:id`` before each post does: a slot is free when no post of
    the account (``busy``: every instant in use, any channel) is at that instant.

    Returns:
        Each post's time, the posts with no slot within the horizon, and the requests added.
    """
    used = set(busy)
    state = _State(slots, {}, (), now)
    out = FreeSlots()
    pairs: set[Pair] = set()
    for entry in entries:
        for channel in entry.channels:
            found = None
            for offset in range(horizon_days + 1):
                day = entry.day + timedelta(days=offset)
                for moment in state.slots_on(channel, day):
                    if moment not in used and (now is None or moment > now):
                        found = moment
                        break
                if found is not None:
                    break
            if found is None:
                out.unplaced.append((entry.key, channel))
                continue
            used.add(found)
            out.times[(entry.key, channel)] = found
            pairs.add((found, entry.group))
    out.requests = len(pairs - set(paid))
    return out


def _keepable(state: _State, entry: QueuedEntry, moment: datetime, horizon: int) -> bool:
    day = _day_of(state, entry, moment, horizon)
    return day is not None and state.valid(entry, moment, day)


def _day_of(state: _State, entry: QueuedEntry, moment: datetime, horizon: int) -> date | None:
    """The day (in the slots' zone) ``moment`` falls on, if the entry may go that day."""
    spec = state.slots.get(entry.channels[0]) if entry.channels else None
    if spec is None:
        return None
    day = moment.astimezone(ZoneInfo(spec.zone)).date()
    last = entry.day + timedelta(days=horizon if entry.any_day else 0)
    return day if entry.day <= day <= last else None


def _queue(state: _State, entry: QueuedEntry, horizon: int) -> datetime | None:
    for offset in range(horizon + 1):
        found = state.candidates(entry, entry.day + timedelta(days=offset))
        if found:
            joined = [t for t in found if (t, entry.group) in state.paid]
            return (joined or found)[0]
    return None


def _why(state: _State, entry: QueuedEntry, day: date) -> str:
    common = set(state.slots_on(entry.channels[0], day)) if entry.channels else set()
    for channel in entry.channels[1:]:
        common.intersection_update(state.slots_on(channel, day))
    if not common:
        return f"its channels have no slot in common on {day:%a %Y-%m-%d}; add slots (--slots)"
    if state.now is not None and max(common) <= state.now:
        return f"the slots of {day:%a %Y-%m-%d} have passed; move the row to a later day"
    return (
        f"every slot of {day:%a %Y-%m-%d} is taken on its channels; add slots (--slots), move "
        "the row to another day, or write publish_at: queue to take the next free day"
    )


def _lower_bound(state: _State, todo: Sequence[QueuedEntry], day: date) -> int:
    """Each channel needs an instant per entry, less the paid ones free on it: the most of those."""
    load: dict[str, int] = {}
    for entry in todo:
        for channel in entry.channels:
            load[channel] = load.get(channel, 0) + 1
    paid = {moment for moment, _ in state.paid}
    best = 0
    for channel, count in load.items():
        joinable = sum(
            1 for t in state.slots_on(channel, day) if t in paid and state.free(channel, t)
        )
        best = max(best, count - joinable)
    return best


def _place_day(
    state: _State, todo: Sequence[QueuedEntry], day: date, budget: int
) -> dict[str, datetime]:
    """Times for one day's entries: the greedy, then a bounded search for fewer new pairs."""
    work = _Day(state, todo, day)
    greedy, order = work.greedy()
    bound = _lower_bound(state, todo, day)
    cost = work.cost(greedy)
    if cost > bound and len(order) <= SEARCH_ENTRIES:
        better = work.search(order, cost, bound, budget)
        if better is not None:
            greedy = better
    return {todo[i].key: moment for i, moment in greedy.items()}


#: What leaving an entry without a slot costs in the search: more than any number of requests.
_UNPLACED = 1_000_000


class _Day:
    """One day's entries: their candidate instants and, as entries are placed, what is blocked."""

    def __init__(self, state: _State, todo: Sequence[QueuedEntry], day: date) -> None:
        self.state = state
        self.todo = todo
        self.cands = [state.candidates(entry, day) for entry in todo]
        self.sets = [set(found) for found in self.cands]
        self.conflicts = _conflicts(state, todo)
        # entry → instant → how many placed neighbours block it there
        self.blocked: list[dict[datetime, int]] = [{} for _ in todo]
        self.open = [len(found) for found in self.cands]  # candidates not blocked
        self.chosen: dict[int, datetime] = {}

    def free(self, i: int) -> list[datetime]:
        blocked = self.blocked[i]
        return [t for t in self.cands[i] if not blocked.get(t)]

    def put(self, i: int, moment: datetime) -> None:
        self.chosen[i] = moment
        self._block(i, moment, 1)

    def take_back(self, i: int) -> None:
        self._block(i, self.chosen.pop(i), -1)

    def _block(self, i: int, moment: datetime, step: int) -> None:
        for j, gap in self.conflicts[i]:
            if not gap:
                if moment in self.sets[j]:
                    self._count(j, moment, step)
                continue
            for t in self.cands[j]:
                if abs(t - moment) < gap:
                    self._count(j, t, step)

    def _count(self, j: int, moment: datetime, step: int) -> None:
        blocked = self.blocked[j]
        before = blocked.get(moment, 0)
        blocked[moment] = before + step
        if not before:
            self.open[j] -= 1
        elif before + step == 0:
            self.open[j] += 1

    def cost(self, chosen: Mapping[int, datetime]) -> int:
        missing = sum(1 for i, found in enumerate(self.cands) if found and i not in chosen)
        pairs = {(t, self.todo[i].group) for i, t in chosen.items()}
        return missing * _UNPLACED + len(pairs - self.state.paid)

    def greedy(self) -> tuple[dict[int, datetime], list[int]]:
        """Most-constrained first; a paid (or already opened) pair when free, else the earliest."""
        opened = set(self.state.paid)
        left = [i for i in range(len(self.todo)) if self.cands[i]]
        order: list[int] = []
        while left:
            best = min(left, key=lambda i: (self.open[i], -len(self.todo[i].channels), i))
            left.remove(best)
            order.append(best)
            free = self.free(best)
            if not free:
                continue  # no slot left: reported unplaced
            group = self.todo[best].group
            joined = [t for t in free if (t, group) in opened]
            moment = (joined or free)[0]
            self.put(best, moment)
            opened.add((moment, group))
        chosen = dict(self.chosen)
        for i in list(self.chosen):
            self.take_back(i)
        return chosen, order

    def search(
        self, order: list[int], cost: int, bound: int, budget: int
    ) -> dict[int, datetime] | None:
        """Branch and bound over the greedy's order: fewer unplaced entries, then fewer pairs.

        Returns a better assignment than ``cost``, or None. Stops at ``bound`` or ``budget``.
        """
        paid = self.state.paid
        todo = self.todo
        best: list[dict[int, datetime] | None] = [None]
        best_cost = [cost]
        nodes = [0]
        opened: dict[Pair, int] = {}  # new pairs in use → how many entries use them

        def visit(pos: int, spent: int) -> bool:
            """False once the budget is spent or the bound is reached: stop searching."""
            if spent >= best_cost[0]:
                return True
            if pos == len(order):
                best[0], best_cost[0] = dict(self.chosen), spent
                return spent > bound
            nodes[0] += 1
            if nodes[0] > budget:
                return False
            i = order[pos]
            group = todo[i].group
            options = self.free(i)
            # Pairs already paid or opened first: they cost nothing
            options.sort(key=lambda t: ((t, group) not in paid and (t, group) not in opened, t))
            for moment in options:
                pair = (moment, group)
                new = pair not in paid and pair not in opened
                self.put(i, moment)
                if pair not in paid:
                    opened[pair] = opened.get(pair, 0) + 1
                go_on = visit(pos + 1, spent + new)
                if pair not in paid:
                    opened[pair] -= 1
                    if not opened[pair]:
                        del opened[pair]
                self.take_back(i)
                if not go_on:
                    return False
            return visit(pos + 1, spent + _UNPLACED)  # last: no slot for this one

        visit(0, 0)
        return best[0]


def _conflicts(state: _State, todo: Sequence[QueuedEntry]) -> list[list[tuple[int, timedelta]]]:
    """For each entry, the others sharing a channel and the gap they must keep (0: ≠)."""
    by_channel: dict[str, list[int]] = {}
    for i, entry in enumerate(todo):
        for channel in entry.channels:
            by_channel.setdefault(channel, []).append(i)
    out: list[dict[int, timedelta]] = [{} for _ in todo]
    for channel, members in by_channel.items():
        gap = state.gap(channel)
        for i in members:
            for j in members:
                if i != j:
                    out[i][j] = max(out[i].get(j, timedelta(0)), gap)
    return [sorted(found.items()) for found in out]
