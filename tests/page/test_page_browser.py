"""The calendar page in a real headless Chromium: what a user sees and clicks.

One browser for the module (``browser`` in conftest.py); every page is opened from disk, with
the console checked for errors (a Content-Security-Policy violation is one).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from calendar_sched.cli import main
from calendar_sched.run.options import RunOptions
from calendar_sched.run.pipeline import preview_calendar
from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.sheets.page import write_plan_page
from tests.helpers.calendars import write_calendar
from tests.page.pages import console_errors, open_page, page_model, shifted_copy

NOW = datetime(2030, 11, 30, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _options(folder: Path, **kw: Any) -> RunOptions:
    return RunOptions(
        check_existing=False,
        state_dir=folder / "state",
        journal=folder / "journal.jsonl",
        now=kw.pop("now", NOW),
        compare_postsyncer=False,
        **kw,
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample month (moved to December 2030) and its plan page."""
    folder = tmp_path_factory.mktemp("sample")
    calendar = shifted_copy("december.csv", folder)
    preview = preview_calendar([calendar], _options(folder))
    return calendar, write_plan_page(folder / "plan.html", preview, now=NOW)


def _chips(browser: Any) -> list[Any]:
    return list(browser.find_elements(By.CSS_SELECTOR, "#grid .chip"))


def _expected_days(calendar: Path) -> Counter[tuple[str, str]]:
    """(entry id, Berlin date) per post, from the file's own date, time and zone columns."""
    expected: Counter[tuple[str, str]] = Counter()
    with calendar.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            local = datetime.fromisoformat(f"{row['date']}T{row['time']}").replace(
                tzinfo=ZoneInfo(row["timezone"])
            )
            day = local.astimezone(BERLIN).strftime("%Y-%m-%d")
            expected[(row["id"], day)] += len([c for c in row["channels"].split(",") if c.strip()])
    return expected


def test_sample_month_shows_every_post_on_its_day(
    browser: Any, sample: tuple[Path, Path], tmp_path: Path
) -> None:
    calendar, page = sample
    assert page.stat().st_size < 1_000_000
    open_page(browser, page)
    # The page says when it was ready; how fast is measured in BENCHMARKS.md, never asserted
    # (the machines are shared and noisy).
    assert int(browser.execute_script("return document.body.dataset.readyMs")) >= 0
    assert console_errors(browser) == []
    shot = tmp_path / "sample-month.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seen: Counter[tuple[str, str]] = Counter()
    months = []
    while True:
        months.append(Select(browser.find_element(By.ID, "month")).first_selected_option.text)
        for cell in browser.find_elements(By.CSS_SELECTOR, "#grid td.day"):
            for chip in cell.find_elements(By.CSS_SELECTOR, ".chip"):
                entry = chip.get_attribute("data-key").rsplit("@", 1)[0]
                seen[(entry, cell.get_attribute("data-date"))] += 1
        following = browser.find_element(By.ID, "next")
        if not following.is_enabled():
            break
        following.click()
    # The New York row's 18:00 on 31 December is 00:00 on 1 January in Berlin.
    assert months == ["December 2030 (280 posts)", "January 2031 (3 posts)"]
    assert sum(seen.values()) == 283
    assert seen == _expected_days(calendar)
    assert console_errors(browser) == []


def test_selecting_a_request_highlights_its_posts(browser: Any, sample: tuple[Path, Path]) -> None:
    _, page = sample
    model = page_model(page)
    open_page(browser, page)
    request = max(model["requests"], key=lambda r: len(r["posts"]))
    wanted = {model["posts"][i]["key"] for i in request["posts"]}
    assert len(wanted) > 1
    button = browser.find_element(By.CSS_SELECTOR, f'.req[data-request="{request["number"]}"]')
    button.click()
    lit = {c.get_attribute("data-key") for c in browser.find_elements(By.CSS_SELECTOR, ".chip.hl")}
    assert lit == wanted
    assert "active" in button.get_attribute("class")
    assert "has-hl" in browser.find_element(By.ID, "grid").get_attribute("class")
    button.click()  # again: nothing selected
    assert browser.find_elements(By.CSS_SELECTOR, ".chip.hl") == []


def test_a_chip_opens_the_full_post(browser: Any, sample: tuple[Path, Path]) -> None:
    calendar, page = sample
    with calendar.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "dec01-advent-kickoff")
    open_page(browser, page)
    browser.find_element(By.CSS_SELECTOR, '.chip[data-key="dec01-advent-kickoff@demo-x"]').click()
    panel = browser.find_element(By.ID, "detail")
    assert panel.is_displayed()
    texts = [t.text for t in panel.find_elements(By.CSS_SELECTOR, ".text")]
    assert texts == [row["text.x"], row["thread.1"]]  # X's own text, then the thread
    image = panel.find_element(By.TAG_NAME, "img")
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0  # it decodes
    assert "advent, brew-tips" in panel.text
    assert "who_can_reply_post" in panel.text
    assert "2030-12-01 09:00" in panel.text  # Europe/Berlin
    assert "2030-12-01 08:00" in panel.text  # UTC


def test_utc_switch_and_filters(browser: Any, sample: tuple[Path, Path]) -> None:
    _, page = sample
    model = page_model(page)
    open_page(browser, page)
    ny = '.chip[data-key="dec31-ny-new-year@demo-x"]'
    assert browser.find_elements(By.CSS_SELECTOR, ny) == []  # in Berlin it is January's
    browser.find_element(By.ID, "utc").click()
    chip = browser.find_element(By.CSS_SELECTOR, ny)
    cell = chip.find_element(By.XPATH, "./ancestor::td")
    assert cell.get_attribute("data-date") == "2030-12-31"
    assert chip.find_element(By.CSS_SELECTOR, ".time").text == "23:00"
    assert len(_chips(browser)) == 283  # in UTC the whole month is December's
    browser.find_element(By.ID, "utc").click()
    Select(browser.find_element(By.ID, "f-platform")).select_by_value("instagram")
    platforms = {c["id"]: c["platform"] for c in model["channels"]}
    keys = [c.get_attribute("data-key").rsplit("@", 1)[1] for c in _chips(browser)]
    wanted = [
        p
        for p in model["posts"]
        if p["local"][0].startswith("2030-12")
        and model["channels"][p["ch"]]["platform"] == "instagram"
    ]
    assert len(keys) == len(wanted) > 0
    assert {platforms[k] for k in keys} == {"instagram"}
    Select(browser.find_element(By.ID, "f-platform")).select_by_value("")
    assert len(_chips(browser)) == 280
    Select(browser.find_element(By.ID, "f-channel")).select_by_value("demo-telegram")
    keys = {c.get_attribute("data-key") for c in _chips(browser)}
    assert keys == {
        p["key"]
        for p in model["posts"]
        if p["key"].endswith("@demo-telegram") and p["local"][0].startswith("2030-12")
    }
    assert keys
    status = Select(browser.find_element(By.ID, "f-status"))
    assert [o.get_attribute("value") for o in status.options] == ["", "planned"]  # none late
    status.select_by_value("planned")
    assert {c.get_attribute("data-key") for c in _chips(browser)} == keys
    assert console_errors(browser) == []


HOSTILE_ROWS = [
    # id, local time on 2030-12-01 (UTC), text
    ("script", "08:00", "<script>window.pwned = 'script'</script> launch day"),
    ("img", "08:01", '"><img src=x onerror="window.pwned = \'img\'"> look'),
    ("svg", "08:02", "<svg onload=\"window.pwned = 'svg'\"></svg> & </textarea>"),
    ("late", "08:03", "four minutes after the first, one request an hour"),
]


def test_calendar_text_renders_as_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    lines = ["id,date,time,timezone,channels,text,thread.1"]
    for key, at, text in HOSTILE_ROWS:
        quoted = text.replace('"', '""')
        lines.append(f'{key},2030-12-01,{at},UTC,"mastodon, bluesky","{quoted}","</script>{key}"')
    lines.append("old,2030-11-30,07:00,UTC,mastodon,already passed,")
    calendar = tmp_path / "hostile.csv"
    calendar.write_text("\n".join(lines) + "\n", encoding="utf-8")
    now = datetime(2030, 12, 1, 7, 59, tzinfo=UTC)
    options = _options(tmp_path, now=now, limit=1, window_seconds=3600)
    preview = preview_calendar([calendar], options)
    assert preview.plan is not None
    page = write_plan_page(tmp_path / "hostile.html", preview, now=now)
    open_page(browser, page)
    passed = browser.find_elements(By.CSS_SELECTOR, ".chip.past")  # November's, shown first
    assert [c.get_attribute("data-key") for c in passed] == ["old@demo-mastodon"]
    assert "passed" in passed[0].text
    Select(browser.find_element(By.ID, "month")).select_by_value("2030-12")
    for chip in _chips(browser):
        chip.click()  # the detail panel renders every text too
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#grid img, #grid svg, #detail svg") == []
    lines_shown = [
        c.find_element(By.CSS_SELECTOR, ".line").get_attribute("textContent")
        for c in _chips(browser)
    ]
    for _, _, text in HOSTILE_ROWS[:3]:
        assert text in lines_shown
    assert console_errors(browser) == []
    # One request an hour from 07:59, the passed post's first: every December post is late.
    late = {
        c.get_attribute("data-key") for c in browser.find_elements(By.CSS_SELECTOR, ".chip.late")
    }
    keys = ("script", "img", "svg", "late")
    assert late == {f"{k}@{c}" for k in keys for c in ("demo-mastodon", "demo-bluesky")}
    assert late == set(preview.plan.late) - {"old@demo-mastodon"}  # passed, marked as such


def test_invalid_rows_show_on_their_day_and_in_a_list(browser: Any, tmp_path: Path) -> None:
    calendar = shifted_copy("broken.csv", tmp_path)
    page = write_plan_page(
        tmp_path / "broken.html", preview_calendar([calendar], _options(tmp_path))
    )
    open_page(browser, page)
    assert console_errors(browser) == []
    first = browser.find_element(By.CSS_SELECTOR, 'td[data-date="2030-12-01"]')
    problems = [p.text for p in first.find_elements(By.CSS_SELECTOR, ".problem")]
    assert problems[0].startswith("row 3 · channels unknown-channel: no channel 'tiktak'")
    assert len(problems) == 3  # rows 3, 4 and 5
    listed = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#undated .problem-row")]
    assert [line.split()[1:3] for line in listed] == [
        ["2", "date"],
        ["7", "time"],
        ["11", "timezone"],
    ]
    Select(browser.find_element(By.ID, "f-status")).select_by_value("planned")
    assert browser.find_elements(By.CSS_SELECTOR, ".problem") == []
    assert "fix the problems" in browser.find_element(By.ID, "windows").text


def test_export_page_shows_status_and_post_id(
    browser: Any, tmp_path: Path, sandbox_server_factory: Callable[..., RunningSandbox]
) -> None:
    sandbox = sandbox_server_factory()
    env = {"POSTIZ_API_URL": sandbox.url, "POSTIZ_API_KEY": sandbox.api_key}
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        'a,2030-12-01,09:00,Europe/Berlin,"x, mastodon",First\n'
        "b,2030-12-02,10:00,Europe/Berlin,bluesky,Second\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(calendar), "--yes"], env=env).exit_code == 0
    out = tmp_path / "results.html"
    result = runner.invoke(main, ["export", str(calendar), "--to", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert f"Wrote 2 rows to {out} (3 scheduled)" in result.output
    model = page_model(out)
    open_page(browser, out)
    assert console_errors(browser) == []
    chips = _chips(browser)
    assert len(chips) == 3
    assert {c.find_element(By.CSS_SELECTOR, ".status").text for c in chips} == {"scheduled"}
    chips[0].click()
    post = next(p for p in model["posts"] if p["key"] == chips[0].get_attribute("data-key"))
    assert post["post_id"]
    assert f"Post id\n{post['post_id']}" in browser.find_element(By.ID, "detail").text


def test_ten_thousand_rows_open_a_month_at_a_time(browser: Any, tmp_path: Path) -> None:
    calendar = write_calendar(tmp_path / "big.csv", 10_000)  # one an hour: 14 months
    preview = preview_calendar([calendar], _options(tmp_path, now=datetime(2030, 1, 1, tzinfo=UTC)))
    page = write_plan_page(tmp_path / "big.html", preview)
    model = page_model(page)
    assert len(model["posts"]) == 20_000
    open_page(browser, page, within=15)
    assert console_errors(browser) == []
    options = Select(browser.find_element(By.ID, "month")).options
    assert len(options) == 14
    months = [option.get_attribute("value") for option in options]
    per_month = Counter(p["local"][0][:7] for p in model["posts"])
    assert sum(per_month[m] for m in months) == 20_000
    # A day holds 48 posts here: 40 chips and a button for the rest.
    more = browser.find_elements(By.CSS_SELECTOR, "#grid .more")
    hidden = sum(int(m.text.split()[0].lstrip("+")) for m in more)
    assert more
    assert len(_chips(browser)) + hidden == per_month[months[0]]
    date = more[0].find_element(By.XPATH, "./ancestor::td").get_attribute("data-date")
    more[0].click()
    day = browser.find_element(By.CSS_SELECTOR, f'td[data-date="{date}"]')
    assert len(day.find_elements(By.CSS_SELECTOR, ".chip")) == 48
    browser.find_element(By.ID, "next").click()
    shown = len(_chips(browser))
    hidden = sum(
        int(m.text.split()[0].lstrip("+"))
        for m in browser.find_elements(By.CSS_SELECTOR, "#grid .more")
    )
    assert shown + hidden == per_month[months[1]]
    assert console_errors(browser) == []
