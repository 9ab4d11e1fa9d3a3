"""Rows with a date but no time: queued with slots, a missing-field error naming --slots without."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.models import Queued

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def options(**kw: object) -> ValidateOptions:
    return ValidateOptions(timezone="Europe/Berlin", now=NOW, **kw)  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CSV = (
    "date,time,channels,text\n"
    '2026-12-07,,"x, bluesky",Monday tip\n'
    "2026-12-07,10:15,x,Timed\n"
    "07.12.2026,,mastodon,Dotted day\n"
)


def test_without_slots_a_date_without_time_names_slots(tmp_path: Path) -> None:
    checked = validate([write(tmp_path, "m.csv", CSV)], options())
    assert checked.report.flatten(["row", "code", "field"]) == [
        [2, "missing-field", "date"],
        [4, "missing-field", "date"],
    ]
    assert '--slots "mon-fri 09:00,12:30"' in checked.report.errors[0].message


def test_with_slots_the_rows_are_queued_on_their_day(tmp_path: Path) -> None:
    checked = validate([write(tmp_path, "m.csv", CSV)], options(slots="mon-fri 09:00,12:30"))
    assert checked.report.valid, checked.report.errors
    queued = [e.queued for e in checked.entries]
    assert queued == [Queued(date(2026, 12, 7)), None, Queued(date(2026, 12, 7))]
    assert [p.queued for p in checked.posts] == [True, True, False, True]
    assert checked.files[0].slots is not None
    assert checked.files[0].slots.zone == "Europe/Berlin"
    # Until placed, a queued entry stands at its day's start (its key comes from that day)
    assert checked.entries[0].publish_at == datetime(2026, 12, 6, 23, tzinfo=UTC)


def test_yaml_slots_and_queue_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.yaml",
        "timezone: Europe/Berlin\n"
        "slots:\n  mon-fri: ['09:00', '17:00']\n  channels:\n    x: 'mon-fri 08:00'\n"
        "posts:\n"
        "  - {publish_at: 2026-12-08, channels: [x], text: a}\n"
        "  - {publish_at: queue, channels: [x], text: b}\n",
    )
    checked = validate([path], options())
    assert checked.report.flatten(["row", "code"]) == [[8, "missing-field"]]
    assert "--queue-from" in checked.report.errors[0].message
    checked = validate([path], options(queue_from=date(2026, 12, 1)))
    assert checked.report.valid
    assert [e.queued for e in checked.entries] == [
        Queued(date(2026, 12, 8)),
        Queued(date(2026, 12, 1), any_day=True),
    ]
    assert checked.files[0].slots is not None
    assert checked.files[0].slots.source.endswith("m.yaml")


def test_queue_without_slots_says_to_add_them(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "publish_at,channels,text\nqueue,x,hello\n")
    checked = validate([path], options(queue_from=date(2026, 12, 1)))
    assert checked.report.flatten(["row", "code", "field"]) == [[2, "missing-field", "publish_at"]]
    assert "needs posting slots; pass --slots" in checked.report.errors[0].message


def test_bad_slots_are_a_file_error(tmp_path: Path) -> None:
    checked = validate([write(tmp_path, "m.csv", CSV)], options(slots="someday 9"))
    codes = checked.report.flatten(["code", "field", "value"])
    assert ["bad-slots", "--slots", "someday"] in codes
    assert not checked.report.valid


def test_the_documented_example_reads_and_fits_the_schema(tmp_path: Path) -> None:
    import re

    import yaml

    from calendar_sched.load.schema import CalendarFile

    text = (Path(__file__).parent.parent / "docs" / "queue.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert example is not None
    CalendarFile.model_validate(yaml.safe_load(example.group(1)))
    path = write(tmp_path, "example.yaml", example.group(1))
    checked = validate([path], options())
    assert checked.report.valid, checked.report.errors
    assert checked.entries[0].queued == Queued(date(2026, 12, 7))
    spec = checked.files[0].slots
    assert spec is not None
    assert spec.gap_minutes == 60
    assert spec.week[6] == ()


def test_queued_rows_are_not_duplicates_of_each_other_before_they_have_a_time(
    tmp_path: Path,
) -> None:
    """Two rows with the same text on one day: their times are chosen later (one post per
    channel per slot), so no "0 min apart" warning; rows with a time are still compared."""
    text = (
        "date,time,channels,text\n"
        "2026-12-07,,x,Same text\n"
        "2026-12-07,,x,Same text\n"
        "2026-12-08,09:00,x,Timed twice\n"
        "2026-12-08,09:30,x,Timed twice\n"
    )
    checked = validate([write(tmp_path, "d.csv", text)], options(slots="daily 09:00,17:00"))
    found = [(w.row, w.code) for w in checked.report.warnings if w.code == "duplicate-content"]
    assert found == [(5, "duplicate-content")]
    assert "30 min apart" in next(w.message for w in checked.report.warnings if w.row == 5)
