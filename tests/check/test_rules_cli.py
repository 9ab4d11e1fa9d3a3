"""``calendar-sched validate`` reports the #14 rule cases a real Postiz refuses mid-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.cli import main

LINK = "https://example.com/" + "a" * 130


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)
    monkeypatch.delenv("POSTIZ_API_KEY", raising=False)
    return CliRunner()


def test_cli_reports_postiz_rules(runner: CliRunner, tmp_path: Path) -> None:
    """posts.service.ts validatePosts (X length with the link), bluesky.provider.ts
    checkValidity (every thread item), facebook.provider.ts (story media), x.dto.ts
    (community), and X's own 4-media limit."""
    rows = [
        "publish_at,channels,text,link,media,thread.1,settings.facebook.post_type,"
        "settings.x.community",
        f"2030-06-01 09:00,x,{'w' * 200},{LINK},,,,",
        "2030-06-02 09:00,facebook,story,,,,story,",
        "2030-06-03 09:00,x,hi,,,,,https://x.com/acme",
        "2030-06-04 09:00,x,five,,"
        + "|".join(f"https://cdn.example.com/{n}.png" for n in range(5))
        + ",,,",
        "2030-06-05 09:00,x,fine,https://example.com/s,,reply,,https://x.com/i/communities/7",
    ]
    path = tmp_path / "cal.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path), "--json", "--timezone", "UTC"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(e["row"], e["code"], e["field"]) for e in data["errors"]] == [
        (2, "text-too-long", "text"),
        (3, "media-required", "media"),
        (4, "bad-value", "settings.x.community"),
        (5, "too-many-media", "media"),
    ]
    assert data["posts"] == 1
