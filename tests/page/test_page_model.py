"""The page's model and HTML without a browser: escaping, totals, media, problems, export."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from calendar_sched.cli import main
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import preview_calendar
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.sheets.page import render_page, write_plan_page
from calendar_sched.sheets.page.model import THUMBNAIL_MAX_BYTES, plan_model, to_json
from tests.page.pages import page_model, shifted_copy

NOW = datetime(2030, 11, 30, 12, 0, tzinfo=UTC)
HOSTILE = '</script><script>window.pwned=1</script><!-- "><img src=x onerror="window.pwned=2">'


def _options(tmp_path: Path, **kw: object) -> RunOptions:
    return RunOptions(
        check_existing=False,
        state_dir=tmp_path / "state",
        journal=tmp_path / "journal.jsonl",
        now=NOW,
        compare_postsyncer=False,
        **kw,  # type: ignore[arg-type]
    )


def test_json_block_cannot_be_closed_by_calendar_text() -> None:
    model = {"texts": [HOSTILE, "a & b > c", "line\u2028sep"]}
    text = to_json(model)
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == model


def test_sample_month_model_counts_every_post_and_request(tmp_path: Path) -> None:
    calendar = shifted_copy("december.csv", tmp_path)
    preview = preview_calendar([calendar], _options(tmp_path))
    assert preview.plan is not None
    model = plan_model(preview, now=NOW)
    assert model["zone"] == "Europe/Berlin"
    assert len(model["posts"]) == len(preview.plan.posts) == 283
    carried = sorted(i for request in model["requests"] for i in request["posts"])
    assert carried == list(range(283))  # every post in exactly one request
    for request in model["requests"]:  # one request carries one publish instant
        assert len({model["posts"][i]["at"] for i in request["posts"]}) == 1
    assert sum(w["counted"] for w in model["windows"]) == preview.plan.requests_counted
    # The rows' own local dates and times (Europe/Berlin rows), as the file writes them.
    with calendar.open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    for post in model["posts"]:
        row = rows[post["entry"]]
        if row["timezone"] == "Europe/Berlin":
            assert post["local"] == [row["date"], row["time"]]
    first = model["totals"][0]
    assert first.startswith(f"283 posts in {preview.plan.requests_counted} requests (lower bound")
    assert "a per-row script needs" in first
    assert "ETA" in first
    # Texts are stored once: 62 rows, fewer texts than posts.
    assert len(model["texts"]) < len(model["posts"])


def test_sample_page_is_small_and_embeds_its_images(tmp_path: Path) -> None:
    calendar = shifted_copy("december.csv", tmp_path)
    page = write_plan_page(tmp_path / "plan.html", preview_calendar([calendar], _options(tmp_path)))
    assert page.stat().st_size < 1_000_000
    model = page_model(page)
    thumbs = [m for m in model["media"] if m["thumb"]]
    assert {m["name"] for m in thumbs} >= {"advent.png", "grinder.png"}
    assert all(m["thumb"].startswith("data:image/png;base64,") for m in thumbs)
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing to fetch
    assert "https://acme.example" in html  # a link in a post's text, as text in the data


def test_big_images_video_and_remote_media_are_named_not_embedded(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (THUMBNAIL_MAX_BYTES + 1))
    (tmp_path / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    (tmp_path / "cal.yaml").write_text(
        "- publish_at: 2030-12-01T09:00:00+01:00\n"
        "  channels: [facebook]\n"
        "  text: three media\n"
        "  media: [big.png, clip.mp4, 'https://cdn.example/remote.png']\n",
        encoding="utf-8",
    )
    preview = preview_calendar([tmp_path / "cal.yaml"], _options(tmp_path))
    assert preview.valid, preview.validation.report.to_json()
    model = plan_model(preview, now=NOW)
    by_name = {m["name"]: m for m in model["media"]}
    assert by_name["big.png"]["thumb"] is None
    assert by_name["clip.mp4"] == {"name": "clip.mp4", "kind": "video", "url": None, "thumb": None}
    remote = [m for m in model["media"] if m["url"]]
    assert remote
    assert remote[0]["url"] == "https://cdn.example/remote.png"
    assert remote[0]["thumb"] is None


def test_invalid_rows_sit_on_their_day_or_in_the_list(tmp_path: Path) -> None:
    calendar = shifted_copy("broken.csv", tmp_path)
    preview = preview_calendar([calendar], _options(tmp_path))
    assert not preview.valid
    assert preview.plan is None
    model = plan_model(preview, now=NOW)
    days = {(p["row"], p["code"]): p["local"] for p in model["problems"]}
    assert days[(3, "unknown-channel")] == ["2030-12-01", "09:00"]
    assert days[(6, "media-not-found")] == ["2030-12-02", "09:00"]
    assert days[(2, "bad-datetime")] is None  # 2030-12-32
    assert days[(11, "bad-timezone")] is None
    html = render_page(model)
    undated = html[html.index('id="undated"') : html.index('id="page-data"')]
    assert "bad-datetime" in undated
    assert "bad-timezone" in undated
    assert "unknown-channel" not in undated
    assert model["totals"][0].startswith("9 problems to fix before anything can be planned")


def test_calendar_text_never_appears_as_markup(tmp_path: Path) -> None:
    # A bad date puts the row's problem in the server-rendered list: its value must be escaped.
    calendar = tmp_path / "cal<b>x&y.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        f'ok,2030-12-01,09:00,UTC,mastodon,"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n'
        'bad,<img src=x onerror=alert(1)>,09:00,UTC,mastodon,"x"\n',
        encoding="utf-8",
    )
    page = write_plan_page(tmp_path / "p.html", preview_calendar([calendar], _options(tmp_path)))
    html = page.read_text(encoding="utf-8")
    outside = re.sub(r'id="page-data">.*?</script>', "", html, flags=re.S)
    assert html.count("<script") == 2  # the data block and the page's own script
    assert "<img" not in outside
    assert "<b>" not in outside
    assert "&lt;img src=x onerror=alert(1)&gt;" in outside  # the bad date, as text
    assert "<title>Plan: cal&lt;b&gt;x&amp;y.csv</title>" in html
    assert page_model(page)["texts"] == [HOSTILE]


def test_export_to_html_shows_each_posts_status_and_id(
    tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    sandbox = sandbox_server_factory()
    env = {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        'a,2030-12-01,09:00,Europe/Berlin,"x, mastodon",First\n'
        "b,2030-12-02,10:00,Europe/Berlin,bluesky,Second\n"
        "c,2030-12-32,10:00,Europe/Berlin,bluesky,Bad date\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    ran = runner.invoke(main, ["run", str(calendar), "--yes"], env=env)
    assert ran.exit_code == 1, ran.output  # the bad row stops the run: nothing sent
    calendar.write_text(calendar.read_text(encoding="utf-8").replace("2030-12-32", "2030-12-03"))
    ran = runner.invoke(main, ["run", str(calendar), "--yes"], env=env)
    assert ran.exit_code == 0, ran.output
    calendar.write_text(
        calendar.read_text(encoding="utf-8") + "d,2030-12-33,10:00,Europe/Berlin,x,Later\n"
    )
    out = tmp_path / "results.html"
    exported = runner.invoke(main, ["export", str(calendar), "--to", str(out), "--json"], env=env)
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.output)
    assert summary["format"] == "html"
    assert summary["statuses"] == {"scheduled": 4}
    per_post = tmp_path / "posts.csv"
    runner.invoke(main, ["export", str(calendar), "--to", str(per_post), "--per-post"], env=env)
    with per_post.open(encoding="utf-8-sig") as handle:
        ids = {f"{r['entry']}@{r['channel']}": r["post_id"] for r in csv.DictReader(handle)}
    model = page_model(out)
    assert model["kind"] == "export"
    shown = {p["key"]: p["post_id"] for p in model["posts"]}
    assert shown == ids
    assert all(shown.values())
    assert {p["status"] for p in model["posts"]} == {"scheduled"}
    assert [(p["row"], p["code"], p["local"]) for p in model["problems"]] == [
        (5, "bad-datetime", None)
    ]
    assert "invalid" in model["statuses"]
    assert model["requests"]
    assert all(p["request"] for p in model["posts"])


def test_plan_html_writes_the_page_beside_the_json(tmp_path: Path) -> None:
    calendar = shifted_copy("december.csv", tmp_path)
    out = tmp_path / "plan.html"
    runner = CliRunner()
    args = ["plan", str(calendar), "--offline", "--html", str(out), "--json"]
    result = runner.invoke(main, args, env={"POSTIZ_API_KEY": "", "POSTIZ_API_URL": ""})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == len(page_model(out)["requests"])
    assert f"Wrote the calendar page to {out}" in result.stderr
    assert len(page_model(out)["posts"]) == 283


def test_plan_html_of_an_invalid_calendar_still_shows_its_problems(tmp_path: Path) -> None:
    calendar = shifted_copy("broken.csv", tmp_path)
    out = tmp_path / "broken.html"
    result = CliRunner().invoke(main, ["plan", str(calendar), "--offline", "--html", str(out)])
    assert result.exit_code == 1
    assert len(page_model(out)["problems"]) == 9
    missing = tmp_path / "nowhere" / "plan.html"
    result = CliRunner().invoke(main, ["plan", str(calendar), "--html", str(missing)])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not missing.parent.exists()
