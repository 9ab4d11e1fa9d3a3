"""Posting slot specs (load/slots.py): --slots text and YAML ``slots:`` values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from calendar_sched.load.slots import SlotProblem, describe_week, parse_slots
from calendar_sched.models import Channel

X = Channel(id="x1", name="Acme X", identifier="x")
LINKEDIN = Channel(id="li1", name="Acme", identifier="linkedin-page", profile="acme")


def hhmm(*clocks: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(c) for c in clocks)


def test_the_issue_example() -> None:
    spec = parse_slots("mon-fri 09:00,12:30,17:00; sat 10:00")
    assert spec.week[:5] == (hhmm("09:00", "12:30", "17:00"),) * 5
    assert spec.week[5] == hhmm("10:00")
    assert spec.week[6] == ()
    assert spec.describe() == "mon-fri 09:00,12:30,17:00; sat 10:00"


def test_times_alone_are_every_day_and_later_clauses_replace_their_days() -> None:
    spec = parse_slots("17:00, 9:00 ; sun 11:00; gap 90")
    assert spec.week[0] == hhmm("09:00", "17:00")
    assert spec.week[6] == hhmm("11:00")
    assert spec.gap_minutes == 90
    assert describe_week(spec.week) == "mon-sat 09:00,17:00; sun 11:00"


def test_day_names_ranges_and_groups() -> None:
    assert parse_slots("weekends 10:00").week[5:] == (hhmm("10:00"),) * 2
    assert parse_slots("fri-mon 10:00").week == (
        hhmm("10:00"),
        (),
        (),
        (),
        hhmm("10:00"),
        hhmm("10:00"),
        hhmm("10:00"),
    )
    assert parse_slots("Tuesday,thu 08:15").week[1] == hhmm("08:15")


def test_yaml_mapping_with_overrides() -> None:
    spec = parse_slots(
        {
            "times": ["09:00", "12:30"],
            "sat": "10:00",
            "gap": 60,
            "channels": {"x": "mon-fri 08:00", "linkedin-page:acme": {"gap": 240}},
        },
        zone="Europe/Berlin",
        source="month.yaml",
    )
    assert spec.week[0] == hhmm("09:00", "12:30")
    assert spec.week[5] == hhmm("10:00")
    on_x = spec.for_channel(X)
    assert on_x.week[0] == hhmm("08:00")
    assert on_x.week[5] == ()
    assert on_x.gap_minutes == 60
    on_linkedin = spec.for_channel(LINKEDIN)
    assert on_linkedin.week == spec.week
    assert on_linkedin.gap_minutes == 240
    monday = on_linkedin.on(date(2026, 12, 7))
    assert monday == [
        datetime(2026, 12, 7, 8, tzinfo=UTC),
        datetime(2026, 12, 7, 11, 30, tzinfo=UTC),
    ]


def test_an_empty_day_has_no_slots() -> None:
    spec = parse_slots({"times": "09:00", "sun": [], "sat": None})
    assert spec.week[:5] == (hhmm("09:00"),) * 5
    assert spec.week[5:] == ((), ())


def test_a_channel_override_wins_over_its_platform() -> None:
    spec = parse_slots({"times": "09:00", "channels": {"x": "10:00", "Acme X": "11:00"}})
    assert spec.for_channel(X).week[0] == hhmm("11:00")


def test_slots_for_some_platforms_only() -> None:
    spec = parse_slots({"channels": {"x": "10:00"}})
    assert spec.for_channel(X).week[0] == hhmm("10:00")
    assert spec.for_channel(LINKEDIN).week == ((),) * 7


def test_yaml_list_and_sexagesimal_minutes() -> None:
    # YAML 1.1 reads an unquoted 09:00 as 540 (minutes): it is still nine o'clock
    assert parse_slots([540, "17:30"]).week[3] == hhmm("09:00", "17:30")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "slots are empty"),
        ("mon-fri", "names days but no time"),
        ("funday 09:00", "'funday' is not a day"),
        ("mon 25:00", "'25:00' is not a time of day"),
        ("daily 09:00; gap soon", "gap must be whole minutes"),
        (None, "slots: is empty"),
        (3.5, "slots must be text, a list of times or a mapping"),
        ({"channels": ["x"]}, "slots channels: must map a channel or platform"),
        ({"channels": {"x": {"gap": 5}}}, "slots name no default time"),
        ({"channels": {"x": "noon"}}, "slots for x: 'noon' is not a day"),
    ],
)
def test_problems_say_how_to_fix(value: object, message: str) -> None:
    with pytest.raises(SlotProblem) as raised:
        parse_slots(value)
    assert message in raised.value.message
    assert raised.value.code == "bad-slots"
