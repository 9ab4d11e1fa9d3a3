"""Issue 18: date-only months placed by calendar-sched's posting queue vs find-slot per post.

Every calendar here is rows with a date and no time (each on 1 to 4 of the channels), sent to a
sandbox served over real HTTP whose channels have posting times equal to the queue's slots:

- **calendar-sched**: ``run_calendar`` with ``--slots`` (the library call ``calendar-sched run``
  makes); its counted requests, from the sandbox's stats;
- **find-slot per post**: what a script on Postiz's own queue does: per row and channel,
  ``GET /public/v1/find-slot/:id`` (free), then one ``POST /public/v1/posts`` at that slot;
- **find-slot per row**: the kinder script: one find-slot for the row's first channel, then one
  ``POST /posts`` with all the row's channels at that slot.

find-slot starts from now and takes any slot no post of the account holds, so those scripts also
spread the month over many more days than the calendar gives; the table says how many.

    .venv/bin/python -m bench.slots                 # 200x8, 500x8, 1000x20 (about 8 min)
    .venv/bin/python -m bench.slots --sizes 200x8   # rows x channels
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from calendar_sched import RunOptions, run_calendar
from calendar_sched.check.validation import ValidateOptions
from calendar_sched.models import Channel
from calendar_sched.sandbox.config import SandboxConfig
from calendar_sched.sandbox.server import RunningSandbox

SLOT_TIMES = ("08:00", "10:00", "12:00", "14:00", "16:00", "18:00")
PLATFORMS = ("bluesky", "mastodon", "telegram", "linkedin", "linkedin-page", "facebook")


@dataclass
class Row:
    """One date-only calendar row."""

    key: str
    day: date
    channels: list[Channel]
    text: str


@dataclass
class Result:
    """One calendar measured by the three ways."""

    rows: int
    posts: int
    channels: int
    queue: int
    lower_bound: int
    per_post: int
    per_post_days: int
    per_row: int
    per_row_days: int
    queue_seconds: float


def channels(count: int) -> list[Channel]:
    """``count`` channels over platforms that need no settings or media."""
    return [
        Channel(id=f"ch{n}", name=f"Brand {n}", identifier=PLATFORMS[n % len(PLATFORMS)])
        for n in range(count)
    ]


def month(rows: int, chans: list[Channel], seed: int) -> list[Row]:
    """``rows`` rows over next month's 28 first days, each on 1–4 channels (mostly 1–2), unique
    texts. A row is kept only if some slot of its day is free on all its channels (the month
    can be placed at all: a date-only row cannot move to another day)."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = [first + timedelta(days=n) for n in range(28)]
    busy: dict[tuple[date, str], set[int]] = {}
    out = []
    for n in range(rows):
        for _ in range(1000):
            size = rng.choices((1, 2, 3, 4), weights=(4, 3, 2, 1))[0]
            day, chosen = rng.choice(days), rng.sample(chans, size)
            taken = set().union(*(busy.get((day, c.id), set()) for c in chosen))
            free = [k for k in range(len(SLOT_TIMES)) if k not in taken]
            if free:
                break
        else:
            raise SystemExit(f"{rows} rows do not fit {len(chans)} channels' slots in 28 days")
        slot = rng.choice(free)  # a witness that the row fits
        for c in chosen:
            busy.setdefault((day, c.id), set()).add(slot)
        out.append(Row(f"r{n}", day, chosen, f"Post {n} {seed}"))
    return out


def write_csv(path: Path, rows: list[Row]) -> None:
    """The rows as a calendar-sched CSV with a ``date`` and no ``time``."""
    lines = ["id,date,channels,text"]
    lines += [
        f'{r.key},{r.day.isoformat()},"{", ".join(c.id for c in r.channels)}",{r.text}'
        for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sandbox(workdir: Path, chans: list[Channel]) -> RunningSandbox:
    """A sandbox with a quota that never binds (requests are what is measured)."""
    minutes = tuple(int(t[:2]) * 60 + int(t[3:]) for t in SLOT_TIMES)
    config = SandboxConfig(
        api_key="bench-" + secrets.token_hex(8),
        db_path=workdir / f"sandbox-{secrets.token_hex(4)}.db",
        limit=1_000_000,
        window=3600.0,
        channels=tuple(chans),
        posting_times={c.id: minutes for c in chans},
    )
    return RunningSandbox(config).start()


def by_queue(workdir: Path, rows: list[Row], chans: list[Channel]) -> tuple[int, int, float]:
    """calendar-sched with --slots: (counted requests, lower bound, seconds)."""
    server = sandbox(workdir, chans)
    try:
        calendar = workdir / "month.csv"
        write_csv(calendar, rows)
        read = ValidateOptions(
            timezone="UTC", channels=chans, slots="daily " + ",".join(SLOT_TIMES)
        )
        env = {"POSTIZ_API_URL": server.url, "POSTIZ_API_KEY": server.api_key}
        options = RunOptions(
            read=read, journal=workdir / "month.journal.jsonl", limit=1_000_000, window_seconds=3600
        )
        started = time.perf_counter()
        outcome = run_calendar([calendar], options, env=env)
        seconds = time.perf_counter() - started
        if outcome.status != "done":
            problems = outcome.preview.validation.report.errors[:5]
            raise SystemExit(f"calendar-sched did not finish: {outcome.status} {problems}")
        queue = outcome.preview.queue
        assert queue is not None
        counted = int(server.stats()["counted_requests"])
        return counted, queue.lower_bound, seconds
    finally:
        server.stop()


def by_find_slot(
    workdir: Path, rows: list[Row], chans: list[Channel], *, per_row: bool
) -> tuple[int, int]:
    """A find-slot script: (counted requests, days the posts spread over)."""
    server = sandbox(workdir, chans)
    used: set[str] = set()
    try:
        with httpx.Client(
            base_url=server.url + "/public/v1",
            headers={"Authorization": server.api_key},
            timeout=30.0,
        ) as http:
            for row in rows:
                groups = [row.channels] if per_row else [[c] for c in row.channels]
                for group in groups:
                    slot = http.get(f"/find-slot/{group[0].id}")
                    slot.raise_for_status()
                    when = slot.json()["date"] + "Z"
                    used.add(when[:10])
                    body = _body(when, group, row.text)
                    http.post("/posts", json=body).raise_for_status()
        return int(server.stats()["counted_requests"]), len(used)
    finally:
        server.stop()


def _body(when: str, group: list[Channel], text: str) -> dict[str, Any]:
    return {
        "type": "schedule",
        "date": when,
        "shortLink": False,
        "tags": [],
        "posts": [
            {
                "integration": {"id": c.id},
                "value": [{"content": text, "image": []}],
                "settings": {"__type": c.identifier},
            }
            for c in group
        ],
    }


def measure(rows: int, count: int, seed: int) -> Result:
    """One calendar of ``rows`` rows on ``count`` channels, by the three ways."""
    chans = channels(count)
    calendar = month(rows, chans, seed)
    with tempfile.TemporaryDirectory(prefix="bench-slots-") as folder:
        work = Path(folder)
        queue, bound, seconds = by_queue(_mk(work / "queue"), calendar, chans)
        per_post, post_days = by_find_slot(_mk(work / "post"), calendar, chans, per_row=False)
        per_row, row_days = by_find_slot(_mk(work / "row"), calendar, chans, per_row=True)
    return Result(
        rows=rows,
        posts=sum(len(r.channels) for r in calendar),
        channels=count,
        queue=queue,
        lower_bound=bound,
        per_post=per_post,
        per_post_days=post_days,
        per_row=per_row,
        per_row_days=row_days,
        queue_seconds=seconds,
    )


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def table(results: list[Result]) -> str:
    """The Markdown table for BENCHMARKS.md."""
    lines = [
        "| rows (date only) | posts | channels | calendar-sched requests | lower bound | "
        "find-slot per post | find-slot per row | days used (calendar: 28; per post / per row) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.rows} | {r.posts} | {r.channels} | **{r.queue}** | {r.lower_bound} | "
            f"{r.per_post} | {r.per_row} | {r.per_post_days} / {r.per_row_days} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="200x8,500x8,1000x20",
        help="calendars as ROWSxCHANNELS, comma-separated",
    )
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    results = []
    for size in args.sizes.split(","):
        rows, _, count = size.partition("x")
        results.append(measure(int(rows), int(count), args.seed))
    print(f"slots: daily {', '.join(SLOT_TIMES)} UTC (the sandbox's posting times)")
    print(table(results))
    for r in results:
        took = f"calendar-sched run took {r.queue_seconds:.1f} s"
        print(f"  {r.rows} rows / {r.channels} channels: {took}")


if __name__ == "__main__":
    main()
