"""Golden reads of the calendars in tests/data, and a CSV round-trip property."""

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_sched.load.sources import read
from calendar_sched.load.sources.csv import unguard

DATA = Path(__file__).resolve().parent / "data"


def test_blank_rows_and_multiline_cells() -> None:
    loaded = read(DATA / "blank-rows.csv")
    assert loaded.problems == []
    assert [(r.position.row, r.cells) for r in loaded.records] == [
        (3, {"id": "welcome", "text": "Hello\n\nworld", "channels": "x"}),
        (6, {"id": "second", "text": 'a "quoted" word', "channels": "bluesky"}),
        (9, {"id": "last", "text": "bye", "channels": "x"}),
    ]


def test_semicolons_in_cp1252_with_aliased_headers() -> None:
    loaded = read(DATA / "semicolon-cp1252.csv")
    assert [(p.code, p.row) for p in loaded.problems] == [("encoding-fallback", None)]
    assert [(r.position.row, r.cells) for r in loaded.records] == [
        (
            2,
            {
                "id": "k1",
                "text": "Crème brûlée, 5 €",
                "channels": "x",
                "publish_at": "2026-12-01 09:00",
            },
        ),
        (
            3,
            {
                "id": "k2",
                "text": "Café au lait",
                "channels": "linkedin",
                "publish_at": "2026-12-01 12:30",
            },
        ),
    ]


def test_hootsuite_day_first() -> None:
    loaded = read(DATA / "hootsuite-ddmm.csv")
    assert loaded.layout == "hootsuite"
    assert [(r.position.row, r.cells) for r in loaded.records] == [
        (
            1,
            {
                "publish_at": "31/12/2026 23:55",
                "text": "Bye 2026, hello 2027",
                "link": "https://acme.example/2027",
            },
        ),
        (2, {"publish_at": "01/12/2026 09:00", "text": "Advent starts"}),
    ]


def test_unsafe_yaml_file() -> None:
    loaded = read(DATA / "unsafe.yaml")
    assert loaded.records == []
    assert [(p.code, p.file) for p in loaded.problems] == [
        ("unreadable-file", str(DATA / "unsafe.yaml"))
    ]
    assert "line 4" in loaded.problems[0].message
    assert "python/object/new:os.system" in loaded.problems[0].message


def test_bad_shapes_yaml_file() -> None:
    loaded = read(DATA / "bad-shapes.yaml")
    assert loaded.timezone == "Europe/Berlin"
    assert [(r.position.index, r.position.line, r.cells) for r in loaded.records] == [
        (0, 3, {"text": "ok", "channels": "x"}),
        (3, 7, {"text": "one"}),
    ]
    assert [(p.code, p.row, p.value) for p in loaded.problems] == [
        ("bad-value", 5, "['a nested list']"),
        ("bad-value", 6, "42"),
        ("bad-value", 7, "Caption"),
    ]


_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_CELL, _CELL, _CELL), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
)
def test_csv_round_trip(
    tmp_path: Path, rows: list[tuple[str, str, str]], delimiter: str, bom: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["id", "text", "channels"])
    writer.writerows(rows)
    path = tmp_path / "cal.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    loaded = read(path)
    assert [p.code for p in loaded.problems] == []
    expected = [  # the reader takes off the formula guard this project's writers add
        (
            number,
            {
                k: unguard(v)
                for k, v in zip(("id", "text", "channels"), row, strict=True)
                if v.strip()
            },
        )
        for number, row in enumerate(rows, start=2)
        if "".join(row).strip()
    ]
    assert [(r.position.row, r.cells) for r in loaded.records] == expected
