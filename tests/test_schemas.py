"""The calendar JSON Schema stays fresh and true; CSV → entries → YAML → entries is identity."""

import csv
import importlib.util
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_sched.check.validation import ValidateOptions, Validation, validate
from calendar_sched.load.schema import ALIASES, CalendarFile, PostInput, entries_to_calendar
from calendar_sched.load.sources import canonical_key

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _make_schemas() -> Any:
    spec = importlib.util.spec_from_file_location("make_schemas", ROOT / "scripts/make_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schema_is_fresh() -> None:
    for name, text in _make_schemas().render().items():
        committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == text, f"schemas/{name} is stale: run python scripts/make_schemas.py"


def test_schema_documents_every_field() -> None:
    schema = json.loads((ROOT / "schemas" / "calendar.schema.json").read_text(encoding="utf-8"))
    post = schema["$defs"]["PostInput"]
    assert set(post["properties"]) == set(PostInput.model_fields)
    assert all(prop.get("description") for prop in post["properties"].values())
    assert set(schema["properties"]) == {"timezone", "defaults", "slots", "posts"}
    assert "Aliases: content, message, caption, body." in post["properties"]["text"]["description"]


def test_documented_aliases_are_the_readers_aliases() -> None:
    for key, aliases in ALIASES.items():
        assert canonical_key(key) == key
        for alias in aliases:
            assert canonical_key(alias) == key, alias


def test_sample_yaml_fits_the_model() -> None:
    document = yaml.safe_load((ROOT / "samples" / "december.yaml").read_text(encoding="utf-8"))
    calendar = CalendarFile.model_validate(document)
    assert len(calendar.posts) == 62


def test_written_calendar_fits_the_model(tmp_path: Path) -> None:
    result = _validate(tmp_path, "publish_at,channels,text\n2030-01-01 10:00,x,hi\n", "a.csv")
    CalendarFile.model_validate(entries_to_calendar(result.entries))


def _validate(folder: Path, text: str, name: str) -> Validation:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return validate([path], ValidateOptions(timezone="Europe/Berlin", now=NOW))


WORDS = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
REFS = ["x", "telegram", "linkedin-page:acme-inc", "Acme Bluesky", "demo-mastodon"]
ROW = st.fixed_dictionaries(
    {
        "minutes": st.integers(min_value=0, max_value=60 * 24 * 400),
        "channels": st.lists(st.sampled_from(REFS), min_size=1, max_size=3, unique=True),
        "text": WORDS,
        "text.x": st.none() | WORDS,
        "media": st.lists(st.sampled_from(["a.png", "https://cdn.example.com/b.jpg"]), max_size=2),
        "thread.1": st.none() | WORDS,
        "tags": st.lists(st.sampled_from(["launch", "news", "tips"]), max_size=2, unique=True),
        "id": st.none() | st.sampled_from(["id-1", "id-2"]),
        "type": st.sampled_from(["schedule", "draft"]),
    }
)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    names = ["id", "publish_at", "channels", "text", "text.x", "media", "thread.1", "tags", "type"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    seen_ids: set[str] = set()
    for row in rows:
        when = datetime(2030, 1, 1, 12) + timedelta(minutes=row["minutes"])
        row_id = row["id"] if row["id"] not in seen_ids else None
        seen_ids.add(row_id or "")
        writer.writerow(
            {
                "id": row_id or "",
                "publish_at": when.strftime("%Y-%m-%d %H:%M"),
                "channels": ", ".join(row["channels"]),
                "text": row["text"],
                "text.x": row["text.x"] or "",
                "media": " | ".join(row["media"]),
                "thread.1": row["thread.1"] or "",
                "tags": ";".join(row["tags"]),
                "type": row["type"],
            }
        )
    return out.getvalue()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(ROW, min_size=1, max_size=5))
def test_csv_to_yaml_round_trip(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    first = _validate(tmp_path, _csv(rows), "cal.csv")
    document = yaml.safe_dump(entries_to_calendar(first.entries), allow_unicode=True)
    second = _validate(tmp_path, document, "cal.yaml")
    assert len(first.entries) == len(rows)
    assert [_essence(e) for e in second.entries] == [_essence(e) for e in first.entries]


def _essence(entry: Any) -> tuple[Any, ...]:
    return (
        entry.key,
        entry.publish_at.astimezone(UTC),
        entry.channels,
        entry.text,
        entry.text_overrides,
        [m.source for m in entry.media],
        [t.text for t in entry.thread],
        entry.tags,
        entry.type,
    )


def test_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "calendar-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "media").mkdir()
    for name in ("grinder", "team"):
        (tmp_path / "media" / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    result = _validate(tmp_path, example, "doc.yaml")
    assert result.report.valid, result.report.to_json()
    assert (result.report.entries, result.report.posts) == (2, 3)
    CalendarFile.model_validate(yaml.safe_load(example))
