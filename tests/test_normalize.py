"""Normalisation: dates and timezones, date order, channels, text, media, threads, settings."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.identity import derive_key
from calendar_sched.load import dates
from calendar_sched.load.dates import DateProblem, decide_order, localize, parse_datetime, zone
from calendar_sched.load.normalize import NormalizedFile, normalize_file
from calendar_sched.load.publish_time import choose_zone
from calendar_sched.load.sources.base import LoadedFile, RawRecord
from calendar_sched.models import Position

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BERLIN = zone("Europe/Berlin")


def run(
    rows: Sequence[dict[str, Any]],
    tmp_path: Path | None = None,
    *,
    timezone: str | None = "Europe/Berlin",
    file_zone: str | None = None,
    defaults: dict[str, Any] | None = None,
    layout: str = "calendar-sched",
    **kw: Any,
) -> NormalizedFile:
    folder = tmp_path or Path("/nonexistent")
    path = folder / "cal.csv"
    records = [
        RawRecord(Position(file=str(path), row=n), cells) for n, cells in enumerate(rows, start=2)
    ]
    loaded = LoadedFile(
        path=path,
        format="csv",
        records=records,
        layout=layout,
        timezone=file_zone,
        defaults=defaults or {},
    )
    return normalize_file(loaded, timezone=timezone, now=NOW, **kw)


def codes(result: NormalizedFile) -> list[tuple[int | None, str]]:
    found = [(p.row, p.code) for p in result.problems]
    return found + [(p.row, p.code) for item in result.items for p in item.problems]


BASE = {"publish_at": "2030-12-01 09:00", "channels": "x", "text": "hello"}


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("2030-12-01T09:30", None, datetime(2030, 12, 1, 9, 30)),
        ("2030-12-01 09:30:15", None, datetime(2030, 12, 1, 9, 30, 15)),
        ("2030-12-01T09:30Z", None, datetime(2030, 12, 1, 9, 30, tzinfo=UTC)),
        ("2030-12-01 9:30 PM", None, datetime(2030, 12, 1, 21, 30)),
        ("01.12.2030 09:30", None, datetime(2030, 12, 1, 9, 30)),
        ("03/04/2030 12:00 AM", "dmy", datetime(2030, 4, 3, 0, 0)),
        ("03/04/2030 12:15 pm", "mdy", datetime(2030, 3, 4, 12, 15)),
        ("05/05/30 7am", None, datetime(2030, 5, 5, 7, 0)),
        ("2030/12/01 18:00", None, datetime(2030, 12, 1, 18, 0)),
        ("1 December 2030 10:00", None, datetime(2030, 12, 1, 10, 0)),
        ("Dec 1, 2030 10:00", None, datetime(2030, 12, 1, 10, 0)),
        (47818.375, None, datetime(2030, 12, 1, 9, 0)),
        ("47818.375", None, datetime(2030, 12, 1, 9, 0)),
        (datetime(2030, 12, 1, 9), None, datetime(2030, 12, 1, 9)),
    ],
)
def test_parse_datetime(value: Any, order: Any, expected: datetime) -> None:
    assert parse_datetime(value, order) == expected


def test_parse_datetime_with_offset() -> None:
    moment = parse_datetime("2030-12-01T09:30:00+01:00", None)
    assert moment.utcoffset() == timedelta(hours=1)
    later = parse_datetime("12/25/2030 09:30 -05:00", "mdy")
    assert later.astimezone(UTC) == datetime(2030, 12, 25, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("tomorrow", "bad-datetime"),
        ("2030-13-01 09:00", "bad-datetime"),
        ("31/02/2030 09:00", "bad-datetime"),
        ("2030-12-01", "missing-field"),
        ("01.12.2030", "missing-field"),
        ("2030-12-01 25:00", "bad-datetime"),
        ("2030-12-01 13:00 PM", "bad-datetime"),
        ("03/04/2030 10:00", "ambiguous-date-format"),
        (True, "bad-datetime"),
        (3.5, "bad-datetime"),
        ("2030-12-01 09:00 +99:00", "bad-datetime"),
        ("0001-01-01 00:30", "bad-datetime"),
        ("0001-01-01T00:00+05:00", "bad-datetime"),
        ("9999-12-31T23:59-05:00", "bad-datetime"),
    ],
)
def test_parse_datetime_problems(value: Any, code: str) -> None:
    with pytest.raises(DateProblem) as caught:
        localize(parse_datetime(value, None), BERLIN)
    assert caught.value.code == code


def test_parse_time_and_date_forms() -> None:
    assert dates.parse_time(0.75) == time(18, 0)
    assert dates.parse_time("9 PM") == time(21, 0)
    assert dates.parse_time("09h15") == time(9, 15)
    assert dates.parse_time(time(8, 5)) == time(8, 5)
    assert dates.parse_date(date(2030, 1, 2), None) == date(2030, 1, 2)
    assert dates.parse_date(47818, None) == date(2030, 12, 1)
    assert dates.parse_date("12/31/2030", "mdy") == date(2030, 12, 31)


def test_decide_order() -> None:
    assert decide_order(["25/12/2030 09:00", "03/04/2030 10:00"]).order == "dmy"
    assert decide_order(["12/25/2030 09:00", "03/04/2030 10:00"]).order == "mdy"
    assert decide_order(["03/04/2030", None, 5]).order is None
    ambiguous = decide_order(["03/04/2030 10:00", "05/05/2030 10:00"])
    assert ambiguous.problem is not None
    assert "--date-format" in ambiguous.problem
    mixed = decide_order(["25/12/2030", "12/25/2030"])
    assert mixed.order is None
    assert mixed.problem is not None
    assert "mixes" in mixed.problem
    assert decide_order(["05/05/2030", "01.02.2030", "2030-01-02"]).problem is None
    assert decide_order(["03/04/2030"], "mdy").order == "mdy"


def test_localize_gap_and_fold() -> None:
    with pytest.raises(DateProblem) as gap:
        localize(datetime(2030, 3, 31, 2, 30), BERLIN)
    assert gap.value.code == "nonexistent-local-time"
    with pytest.raises(DateProblem) as fold:
        localize(datetime(2030, 10, 27, 2, 30), BERLIN)
    assert fold.value.code == "ambiguous-local-time"
    assert "+02:00" in fold.value.message
    assert "+01:00" in fold.value.message
    summer = localize(datetime(2030, 7, 1, 9), BERLIN)
    assert summer.utcoffset() == timedelta(hours=2)
    fixed = datetime(2030, 10, 27, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert localize(fixed, BERLIN) is fixed


def test_zone_names() -> None:
    assert zone("europe/berlin").key == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "+01:00"):
        with pytest.raises(DateProblem) as caught:
            zone(bad)
        assert caught.value.code == "bad-timezone"


def test_machine_zone_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", ":America/New_York")
    assert dates.machine_zone() == "America/New_York"
    monkeypatch.setenv("TZ", "Nowhere/Special")
    assert choose_zone(None, None).source in ("machine", "fallback")


def test_choose_zone_precedence() -> None:
    assert choose_zone("Asia/Tokyo", "Europe/Berlin").name == "Asia/Tokyo"
    assert choose_zone(None, "Europe/Berlin").source == "option"
    bad = choose_zone("Mars/Base", None)
    assert bad.name is None
    assert bad.problem is not None


# --- records -------------------------------------------------------------------------------


def test_basic_row() -> None:
    result = run([BASE])
    entry = result.items[0].entry
    assert entry is not None
    assert not result.items[0].has_errors
    assert entry.publish_at == datetime(2030, 12, 1, 8, 0, tzinfo=UTC)
    assert entry.timezone == "Europe/Berlin"
    assert entry.channels == ["x"]
    assert entry.type == "schedule"
    assert entry.key == derive_key(entry.publish_at, "hello", ["x"])
    assert result.zone.source == "option"


def test_timezone_precedence_row_then_file() -> None:
    rows = [BASE, {**BASE, "timezone": "America/New_York"}]
    result = run(rows, file_zone="Asia/Tokyo", timezone="Europe/Berlin")
    first, second = (item.entry for item in result.items)
    assert first is not None
    assert second is not None
    assert first.publish_at.astimezone(UTC).hour == 0
    assert first.timezone == "Asia/Tokyo"
    assert second.publish_at.astimezone(UTC).hour == 14
    assert result.zone.source == "file"
    assert [item.read_in for item in result.items] == [
        ("Asia/Tokyo", False),
        ("America/New_York", True),
    ]


def test_date_and_time_columns_and_dst() -> None:
    rows = [
        {"date": "2030-03-31", "time": "02:30", "channels": "x", "text": "a"},
        {"date": "27.10.2030", "time": "2:30 AM", "channels": "x", "text": "b"},
        {"date": "2030-10-27", "time": "02:30+01:00", "channels": "x", "text": "c"},
        {"date": "2030-10-27", "channels": "x", "text": "d"},
        {"time": "10:00", "channels": "x", "text": "e"},
        {"channels": "x", "text": "f"},
    ]
    result = run(rows)
    assert codes(result) == [
        (2, "nonexistent-local-time"),
        (3, "ambiguous-local-time"),
        (5, "missing-field"),
        (6, "missing-field"),
        (7, "missing-field"),
    ]
    third = result.items[2].entry
    assert third is not None
    assert third.publish_at.astimezone(UTC).hour == 1
    assert [item.entry is None for item in result.items] == [True, True, False, True, True, True]


def test_ambiguous_file_is_one_error() -> None:
    rows = [{**BASE, "publish_at": f"0{n}/0{n + 1}/2030 10:00"} for n in range(1, 5)]
    result = run(rows)
    assert codes(result) == [(None, "ambiguous-date-format")]
    assert all(item.has_errors and item.entry is None for item in result.items)
    forced = run(rows, date_format="dmy")
    entry = forced.items[0].entry
    assert codes(forced) == []
    assert entry is not None
    assert entry.publish_at.month == 2


def test_day_above_twelve_decides_the_whole_file() -> None:
    rows = [{**BASE, "publish_at": "03/04/2030 10:00"}, {**BASE, "publish_at": "25/12/2030 10:00"}]
    first = run(rows).items[0].entry
    assert first is not None
    assert (first.publish_at.day, first.publish_at.month) == (3, 4)


def test_bad_timezones() -> None:
    result = run([{**BASE, "timezone": "Berlin"}], timezone=None, file_zone="Europe/Berlin")
    assert codes(result) == [(2, "bad-timezone")]
    bad_default = run([BASE, {**BASE, "publish_at": "2030-12-01T09:00Z"}], timezone="Nope/No")
    assert codes(bad_default) == [(None, "bad-timezone")]
    assert bad_default.items[0].has_errors
    assert not bad_default.items[1].has_errors


def test_type_now_and_past() -> None:
    rows = [
        {"channels": "x", "text": "now!", "type": "NOW"},
        {**BASE, "publish_at": "2020-01-01 09:00"},
        {**BASE, "publish_at": "2020-01-01 09:00", "type": "draft"},
        {**BASE, "type": "later"},
    ]
    result = run(rows)
    assert codes(result) == [(3, "past-publish-time"), (5, "bad-value")]
    now_entry = result.items[0].entry
    assert now_entry is not None
    assert now_entry.publish_at == NOW
    assert now_entry.type == "now"
    assert not result.items[1].has_errors  # a warning only


def test_channels_defaults_and_missing() -> None:
    rows = [{**BASE, "channels": "x; linkedin | x"}, {**BASE, "channels": None}]
    result = run(rows, default_channels=["telegram, mastodon"])
    first, second = (item.entry for item in result.items)
    assert first is not None
    assert second is not None
    assert first.channels == ["x", "linkedin"]
    assert second.channels == ["telegram", "mastodon"]
    missing = run([{**BASE, "channels": ""}])
    assert codes(missing) == [(2, "missing-field")]
    assert "--default-channels" in missing.items[0].problems[0].message
    hoot = run([{"publish_at": "12/25/2030 09:00", "text": "hi"}] * 3, layout="hootsuite")
    assert codes(hoot) == [(None, "missing-field")]  # once for the file, not per row
    assert "Hootsuite" in hoot.problems[0].message
    assert all(item.has_errors for item in hoot.items)


def test_text_link_and_overrides() -> None:
    row = {**BASE, "text.x": "short", "text.LinkedIn": "long form", "link": "https://a.example/p"}
    entry = run([row]).items[0].entry
    assert entry is not None
    assert entry.text == "hello\nhttps://a.example/p"
    assert entry.text_for("x") == "short\nhttps://a.example/p"
    assert entry.text_for("linkedin") == "long form\nhttps://a.example/p"
    nested = {**BASE, "text": {"default": "d", "x": "for x"}}
    again = run([nested]).items[0].entry
    assert again is not None
    assert again.text == "d"
    assert again.text_overrides == {"x": "for x"}
    linked = run([{**BASE, "text": "see https://a.example/p", "link": "https://a.example/p"}])
    assert linked.items[0].entry is not None
    assert linked.items[0].entry.text == "see https://a.example/p"


def test_empty_post() -> None:
    result = run([{**BASE, "text": "  "}])
    assert codes(result) == [(2, "empty-post")]


@pytest.mark.parametrize(
    ("text", "shows"),
    [
        ("\u200b", False),  # a zero-width space alone is not a post
        (" \ufeff\u200d ", False),  # spaces and format characters only
        ("\u200bhi", True),  # a visible character after a format character
        ("  hi", True),
        ("\u00a0\u2003x", True),
    ],
)
def test_empty_post_sees_through_spaces_and_format_characters(text: str, shows: bool) -> None:
    result = run([{**BASE, "text": text}])
    assert codes(result) == ([] if shows else [(2, "empty-post")])


def test_media_and_threads(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    rows = [
        {**BASE, "media": "a.png | https://cdn.example.com/b.jpg\nmissing.png", "thread.2": "two"},
        {
            **BASE,
            "thread": ["one", {"text": "two", "media": ["a.png"], "delay": "5"}],
            "thread.1": "three",
        },
        {**BASE, "thread": [{"text": "x", "delay": -1}]},
    ]
    result = run(rows, tmp_path)
    assert codes(result) == [(2, "media-not-found"), (4, "bad-value")]
    first = result.items[0].entry
    assert first is not None
    assert [m.source for m in first.media] == ["a.png", "https://cdn.example.com/b.jpg"]
    assert [t.text for t in first.thread] == ["two"]
    second = result.items[1].entry
    assert second is not None
    assert [(t.text, len(t.media), t.delay) for t in second.thread] == [
        ("one", 0, 0),
        ("two", 1, 5),
        ("three", 0, 0),
    ]
    assert result.items[2].problems[0].field == "thread.1.delay"


def test_tags_flags_repeat_settings() -> None:
    row = {
        **BASE,
        "tags": "launch, news;launch",
        "short_link": "yes",
        "repeat_every_days": "7",
        "settings.tiktok.duet": "FALSE",
        "settings.youtube.title": 2030.0,
        "settings.reddit.subreddit": '[{"value": {"subreddit": "/r/acme"}}]',
        "settings": {"x": {"who_can_reply_post": "following"}},
    }
    entry = run([row]).items[0].entry
    assert entry is not None
    assert entry.tags == ["launch", "news"]
    assert entry.short_link
    assert entry.repeat_every_days == 7
    assert entry.settings == {
        "tiktok": {"duet": False},
        "youtube": {"title": "2030"},
        "reddit": {"subreddit": [{"value": {"subreddit": "/r/acme"}}]},
        "x": {"who_can_reply_post": "following"},
    }
    bad = run([{**BASE, "short_link": "maybe", "repeat_every_days": "weekly", "settings": 3}])
    assert codes(bad) == [(2, "bad-value")] * 3


def test_yaml_defaults_merge() -> None:
    defaults = {"channels": ["x"], "settings": {"x": {"who_can_reply_post": "following"}}}
    row = {"publish_at": "2030-12-01 09:00", "text": "hi", "settings": {"youtube": {"title": "T"}}}
    entry = run([row], defaults=defaults).items[0].entry
    assert entry is not None
    assert entry.channels == ["x"]
    assert set(entry.settings) == {"x", "youtube"}


def test_id_cell_is_the_key() -> None:
    entry = run([{**BASE, "id": 17.0}]).items[0].entry
    assert entry is not None
    assert entry.key == "17"


def test_derived_key_is_stable_and_order_free() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    assert derive_key(moment, "t", ["b", "a"]) == derive_key(moment, "t", ["a", "b"])
    assert derive_key(moment, "t", ["a"]) != derive_key(moment, "u", ["a"])
    assert len(derive_key(None, "t", [])) == 12


TRICKY = st.sampled_from(
    [
        "https://[x/a.png",
        "a.png\x00",
        "~nobody/x.png",
        "://",
        "31/02/2030 25:61",
        "nan",
        "x:",
        "0001-01-01T00:00+05:00",
        "2030-01-01 10:00 -99:00",
    ]
)
CELL = st.one_of(
    st.none(),
    TRICKY,
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.times(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.sampled_from(["default", "x", "text", "media"]), st.text(max_size=5)),
)
KEYS = st.sampled_from(
    [
        "id",
        "publish_at",
        "date",
        "time",
        "timezone",
        "channels",
        "text",
        "text.x",
        "link",
        "media",
        "thread",
        "thread.1",
        "type",
        "tags",
        "short_link",
        "repeat_every_days",
        "settings",
        "settings.x.who_can_reply_post",
        "settings.x",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(KEYS, CELL, max_size=8), max_size=4))
def test_random_cells_never_raise(rows: list[dict[str, Any]]) -> None:
    result = run(rows)
    assert len(result.items) == len(rows)
    for item in result.items:
        assert item.entry is not None or item.has_errors


_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Apia",  # skipped a whole day in 2011
    "Europe/Dublin",  # negative DST in the tz database
    "America/Sao_Paulo",
    "Asia/Kolkata",
]


def _transitions(name: str) -> list[datetime]:
    """Local wall times at every offset change of ``name`` in 2009–2031 (to the hour)."""
    tz = zone(name)
    found = []
    day = datetime(2009, 1, 1, tzinfo=UTC)
    while day.year < 2032:
        offset = day.astimezone(tz).utcoffset()
        if (day + timedelta(days=1)).astimezone(tz).utcoffset() != offset:
            hours = (day + timedelta(hours=h) for h in range(1, 25))
            after = next(m for m in hours if m.astimezone(tz).utcoffset() != offset)
            found.append(after.astimezone(tz).replace(tzinfo=None))
        day += timedelta(days=1)
    return found


_NEAR = [(name, wall) for name in _ZONES for wall in _transitions(name)]


def _reference_localize(moment: datetime, tz: Any) -> datetime | str:
    """The definition: it exists iff it survives a UTC round trip; twice iff the folds differ."""
    first = moment.replace(tzinfo=tz, fold=0)
    second = moment.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != moment:
        return "nonexistent-local-time"
    if first.utcoffset() != second.utcoffset():
        return "ambiguous-local-time"
    return first


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_NEAR), st.integers(min_value=-150, max_value=150))
def test_localize_matches_the_round_trip_definition(
    near: tuple[str, datetime], minutes: int
) -> None:
    name, wall = near
    tz = zone(name)
    moment = wall + timedelta(minutes=minutes)
    expected = _reference_localize(moment, tz)
    try:
        got: datetime | str = localize(moment, tz)
    except DateProblem as problem:
        got = problem.code
    assert got == expected
    if isinstance(got, datetime):
        assert got.tzinfo is tz
        assert got.fold == 0
