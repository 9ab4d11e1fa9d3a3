"""A lone UTF-16 surrogate is reported at its item, never a traceback."""

from pathlib import Path

from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.load.sources import read

JSON = '{"posts": [{"publish_at": "2026-12-20T10:00:00Z", "channels": "mastodon", "text": "hi"},\n'
JSON += '  {"publish_at": "2026-12-20T10:00:00Z", "channels": "mastodon", "text": "a \\udb83 b"}]}'
YAML = 'posts:\n  - publish_at: 2026-12-20T10:00:00Z\n    text: "a \\ud83d b"\n'


def test_lone_surrogate_in_json_is_a_bad_value_at_its_item(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(JSON)
    loaded = read(path)
    assert [(p.code, p.row, p.field) for p in loaded.problems] == [("bad-value", 2, "text")]
    assert len(loaded.records) == 1


def test_lone_surrogate_in_yaml_is_reported_by_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(YAML)
    loaded = read(path)
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert loaded.records == []


def test_validate_reports_it_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(JSON)
    result = CliRunner().invoke(main, ["validate", str(path), "--json"])
    assert result.exit_code == 1, result.output
    assert '"code": "bad-value"' in result.output
    assert "Traceback" not in result.output
