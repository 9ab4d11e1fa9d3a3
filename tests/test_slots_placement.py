"""The posting queue's placement (plan/slots.py): hand-computed optima and its invariants."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.load.slots import ChannelSlots, parse_slots
from calendar_sched.models import Channel
from calendar_sched.plan.slots import QueuedEntry, next_free_slots, place

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 12, 7)
SPEC = parse_slots("mon-fri 09:00,12:30,17:00; sat 10:00", zone="Europe/Berlin")


def slots_for(*names: str, gap: int = 0) -> dict[str, ChannelSlots]:
    out = {}
    for name in names:
        found = SPEC.for_channel(Channel(id=name, name=name, identifier="x"))
        out[name] = ChannelSlots(found.week, found.zone, gap)
    return out


def local(day: date, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def entry(key: str, channels: str, day: date = MONDAY, **kw: object) -> QueuedEntry:
    return QueuedEntry(key, tuple(channels), day, **kw)  # type: ignore[arg-type]


def in_row_order(entries: list[QueuedEntry], slots: dict[str, ChannelSlots]) -> int:
    """What placing each row in its first free slot, row by row, costs (distinct instants)."""
    used: dict[str, set[datetime]] = {}
    instants = set()
    for e in entries:
        for moment in slots[e.channels[0]].on(e.day):
            if all(moment not in used.setdefault(c, set()) for c in e.channels):
                for c in e.channels:
                    used[c].add(moment)
                instants.add(moment)
                break
    return len(instants)


def test_hand_case_two_instants_where_row_order_needs_three() -> None:
    # a, b, a+c, b+c on one Monday. Each channel has two posts, so two instants at least; they
    # are enough: {a, b+c} and {b, a+c}. Row by row: a 09:00, b 09:00, a+c 12:30, then b+c finds
    # b busy at 09:00 and c at 12:30, and needs 17:00: three.
    entries = [entry("e1", "a"), entry("e2", "b"), entry("e3", "ac"), entry("e4", "bc")]
    slots = slots_for("a", "b", "c")
    assert in_row_order(entries, slots) == 3
    placed = place(entries, slots)
    assert placed.requests == 2 == placed.lower_bound
    nine, half_past = local(MONDAY, "09:00"), local(MONDAY, "12:30")
    assert placed.times == {"e1": half_past, "e2": nine, "e3": nine, "e4": half_past}
    # find-slot per post: every post an instant of its own (6 posts; the last spill to Tuesday)
    baseline = next_free_slots(entries, slots)
    assert baseline.requests == 6
    assert baseline.times[("e4", "c")] == local(MONDAY + timedelta(days=1), "17:00")


def test_triangle_needs_three_instants() -> None:
    # a+b, b+c, a+c: every two share a channel, so three instants although each channel has two.
    entries = [entry("e1", "ab"), entry("e2", "bc"), entry("e3", "ac")]
    placed = place(entries, slots_for("a", "b", "c"))
    assert placed.requests == 3
    assert sorted(placed.times.values()) == [
        local(MONDAY, "09:00"),
        local(MONDAY, "12:30"),
        local(MONDAY, "17:00"),
    ]


def test_joins_an_instant_the_calendar_already_pays_for() -> None:
    nine = local(MONDAY, "09:00")
    placed = place(
        [entry("e1", "a"), entry("e2", "b")],
        slots_for("a", "b", "t"),
        taken={"t": [nine]},
        paid=[(nine, ())],
    )
    assert placed.times == {"e1": nine, "e2": nine}
    assert placed.requests == 0


def test_avoids_the_accounts_taken_slots_and_the_past() -> None:
    nine, half_past = local(MONDAY, "09:00"), local(MONDAY, "12:30")
    placed = place([entry("e1", "a")], slots_for("a"), taken={"a": [nine]})
    assert placed.times == {"e1": half_past}
    placed = place([entry("e1", "a")], slots_for("a"), now=half_past)
    assert placed.times == {"e1": local(MONDAY, "17:00")}


def test_minimum_gap_between_two_posts_of_a_channel() -> None:
    placed = place([entry("e1", "a"), entry("e2", "a")], slots_for("a", gap=240))
    # 12:30 is 3h30 after 09:00: under the 4-hour gap
    assert sorted(placed.times.values()) == [local(MONDAY, "09:00"), local(MONDAY, "17:00")]
    placed = place([entry(f"e{n}", "a") for n in range(3)], slots_for("a", gap=240))
    assert list(placed.unplaced) == ["e2"]
    assert "every slot of Mon 2026-12-07 is taken" in placed.unplaced["e2"]


def test_a_full_day_leaves_the_row_unplaced_and_queue_rows_take_the_next_day() -> None:
    slots = slots_for("a")
    placed = place([entry(f"e{n}", "a") for n in range(4)], slots)
    assert list(placed.unplaced) == ["e3"]
    queued = [entry(f"q{n}", "a", any_day=True) for n in range(4)]
    placed = place(queued, slots)
    assert not placed.unplaced
    assert placed.times["q3"] == local(MONDAY + timedelta(days=1), "09:00")
    assert placed.requests == 4 == placed.lower_bound  # four rows on one channel


def test_a_day_whose_slots_have_passed_is_named() -> None:
    placed = place([entry("e1", "a")], slots_for("a"), now=local(MONDAY, "18:00"))
    assert "the slots of Mon 2026-12-07 have passed" in placed.unplaced["e1"]


def test_channels_without_a_common_slot_are_named() -> None:
    slots = {"a": ChannelSlots(SPEC.week, "Europe/Berlin"), "b": ChannelSlots(((),) * 7)}
    placed = place([entry("e1", "ab")], slots)
    assert "no slot in common" in placed.unplaced["e1"]


def test_a_slot_the_clock_change_skips_is_not_offered() -> None:
    spring = date(2026, 3, 29)  # Berlin: 02:00 → 03:00
    spec = parse_slots("02:30,09:00", zone="Europe/Berlin")
    slots = spec.for_channel(Channel(id="a", name="a", identifier="x"))
    assert slots.on(spring) == [local(spring, "09:00")]
    assert len(slots.on(spring + timedelta(days=1))) == 2


def test_previous_placements_stay_and_invalid_ones_move() -> None:
    slots = slots_for("a", "b")
    entries = [entry("e1", "a"), entry("e2", "b")]
    five = local(MONDAY, "17:00")
    placed = place(entries, slots, previous={"e1": five, "e2": five})
    assert placed.times == {"e1": five, "e2": five}
    assert placed.kept == {"e1", "e2"}
    # 17:00 is now taken on the account for a: e1 must move, e2 stays
    placed = place(entries, slots, previous={"e1": five, "e2": five}, taken={"a": [five]})
    assert placed.times["e2"] == five
    assert placed.times["e1"] != five
    assert placed.kept == {"e2"}
    # The row's day changed (Tuesday's time was kept for it): it moves to its new day
    tuesday = local(MONDAY + timedelta(days=1), "09:00")
    placed = place(entries, slots, previous={"e1": tuesday})
    assert placed.times["e1"] == local(MONDAY, "09:00")
    assert placed.kept == set()


def test_deterministic() -> None:
    rng = random.Random(7)
    entries = [
        entry(f"e{n}", "".join(rng.sample("abcdefgh", rng.randint(1, 3))), MONDAY)
        for n in range(12)
    ]
    slots = slots_for(*"abcdefgh")
    assert place(entries, slots).times == place(list(entries), dict(slots)).times


def month(rng: random.Random) -> tuple[list[QueuedEntry], int]:
    """Rows whose optimum is known: each weekday of December 2026 gets up to three rounds;
    a round splits some of the 8 channels into disjoint rows (one instant carries the round),
    and channel a is in every round, so a day needs as many instants as it has rounds."""
    days = [date(2026, 12, d) for d in range(1, 32) if date(2026, 12, d).weekday() < 5]
    entries: list[QueuedEntry] = []
    optimum = 0
    for day in days:
        rounds = rng.randint(2, 3)
        optimum += rounds
        for _ in range(rounds):
            chosen = ["a", *rng.sample("bcdefgh", rng.randint(3, 7))]
            rng.shuffle(chosen)
            while chosen:
                size = rng.randint(1, 2)
                part, chosen = chosen[:size], chosen[size:]
                entries.append(entry(f"r{len(entries)}", "".join(part), day))
    return entries, optimum


def test_a_month_of_date_only_rows_in_the_fewest_instants() -> None:
    rng = random.Random(18)
    entries, optimum = month(rng)
    assert len(entries) >= 200
    rng.shuffle(entries)  # the calendar's order does not matter
    slots = slots_for(*"abcdefgh")
    placed = place(entries, slots)
    assert not placed.unplaced
    assert placed.requests == optimum == placed.lower_bound
    baseline = next_free_slots(entries, slots)
    posts = sum(len(e.channels) for e in entries)
    assert baseline.requests == posts > placed.requests


# Properties -------------------------------------------------------------------------------

CHANNELS = "abcdefgh"
clock = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
week_days = st.lists(st.lists(clock, min_size=0, max_size=4), min_size=7, max_size=7)
rows = st.lists(
    st.tuples(
        st.sets(st.sampled_from(CHANNELS), min_size=1, max_size=4),
        st.integers(0, 6),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


def spec_of(days: list[list[tuple[int, int]]]) -> str:
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return "; ".join(
        f"{names[i]} " + ",".join(f"{h:02d}:{m:02d}" for h, m in times)
        for i, times in enumerate(days)
        if times
    )


def build(
    days: list[list[tuple[int, int]]], raw: list[tuple[set[str], int, bool]], gap: int
) -> tuple[list[QueuedEntry], dict[str, ChannelSlots]]:
    text = spec_of(days) or "09:00"
    spec = parse_slots(text, zone="Europe/Berlin")
    slots = {c: ChannelSlots(spec.week, spec.zone, gap) for c in CHANNELS}
    entries = [
        QueuedEntry(f"e{n}", tuple(sorted(chans)), MONDAY + timedelta(days=d), any_day=q)
        for n, (chans, d, q) in enumerate(raw)
    ]
    return entries, slots


@settings(max_examples=150, deadline=None)
@given(days=week_days, raw=rows, gap=st.sampled_from([0, 0, 90]))
def test_every_post_on_its_day_in_a_slot_one_per_channel(
    days: list[list[tuple[int, int]]], raw: list[tuple[set[str], int, bool]], gap: int
) -> None:
    entries, slots = build(days, raw, gap)
    placed = place(entries, slots, horizon_days=14)
    by_channel: dict[str, list[datetime]] = {}
    for e in entries:
        moment = placed.times.get(e.key)
        if moment is None:
            assert e.key in placed.unplaced
            continue
        day = moment.astimezone(BERLIN).date()
        assert day == e.day or (e.any_day and e.day <= day <= e.day + timedelta(days=14))
        for c in e.channels:
            assert moment in slots[c].on(day)
            by_channel.setdefault(c, []).append(moment)
    for times in by_channel.values():
        times.sort()
        for first, second in zip(times, times[1:], strict=False):
            assert second - first >= max(timedelta(minutes=gap), timedelta(seconds=1))
    # Never more requests than find-slot per post, and never below the lower bound
    baseline = next_free_slots(entries, slots)
    assert not baseline.unplaced
    assert placed.requests <= baseline.requests
    if not placed.unplaced:
        assert placed.requests >= placed.lower_bound
    # Deterministic
    assert place(entries, slots, horizon_days=14).times == placed.times


@settings(max_examples=100, deadline=None)
@given(days=week_days, raw=rows, extra=rows)
def test_adding_rows_moves_no_placed_post(
    days: list[list[tuple[int, int]]],
    raw: list[tuple[set[str], int, bool]],
    extra: list[tuple[set[str], int, bool]],
) -> None:
    entries, slots = build(days, raw, 0)
    first = place(entries, slots, horizon_days=14)
    more, _ = build(days, raw + extra, 0)
    again = place(more, slots, previous=first.times, horizon_days=14)
    for key, moment in first.times.items():
        assert again.times[key] == moment
    assert first.kept == set()
    assert again.kept == set(first.times)


def brute_force(entries: list[QueuedEntry], slots: dict[str, ChannelSlots]) -> int | None:
    """The fewest instants over every assignment that places all entries (None: none does)."""
    import itertools

    options = [slots[e.channels[0]].on(e.day) for e in entries]
    best = None
    for chosen in itertools.product(*options):
        used: set[tuple[str, datetime]] = set()
        ok = True
        for e, moment in zip(entries, chosen, strict=True):
            for c in e.channels:
                if (c, moment) in used:
                    ok = False
                used.add((c, moment))
        if ok:
            count = len(set(chosen))
            best = count if best is None else min(best, count)
    return best


@settings(max_examples=150, deadline=None)
@given(
    raw=st.lists(st.sets(st.sampled_from("abcd"), min_size=1, max_size=3), min_size=1, max_size=6)
)
def test_small_days_reach_the_brute_force_optimum(raw: list[set[str]]) -> None:
    slots = slots_for(*"abcd")
    entries = [QueuedEntry(f"e{n}", tuple(sorted(c)), MONDAY) for n, c in enumerate(raw)]
    optimum = brute_force(entries, slots)
    placed = place(entries, slots)
    if optimum is None:
        assert placed.unplaced
    else:
        assert not placed.unplaced
        assert placed.requests == optimum
