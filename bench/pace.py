"""Wall time of ``calendar-sched run`` against the physical minimum, at a window of a minute.

With a 5-second window standing for an hour (bench/run.py's default), start-up and the
whole-second ``X-RateLimit-Reset`` are large against the window; this measures the same thing
where they are small, as in a real hour: a calendar of ``requests`` publish instants (one request
each) against a sandbox allowing ``limit`` per ``window`` seconds. The physical minimum is
``(windows - 1) × window``: no tool can send the last window's first request earlier.

Usage: ``.venv/bin/python -m bench.pace [--window 60 --limit 30 --requests 75]``
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import CALENDAR_SCHED, Sandbox, run_tool

FIRST = datetime(2030, 1, 7, 8, 0)


def write_calendar(path: Path, requests: int) -> Path:
    """One post per hour on one channel: every post is its own request."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "publish_at", "timezone", "channels", "text"])
        for number in range(requests):
            when = (FIRST + timedelta(hours=number)).strftime("%Y-%m-%dT%H:%M")
            writer.writerow([f"pace-{number}", when, "UTC", "demo-mastodon", f"Post {number}"])
    return path


def measure(
    work: Path, *, window: float, limit: int, requests: int, pythonpath: str | None = None
) -> dict[str, Any]:
    """``calendar-sched run`` once against a fresh sandbox; wall time and the sandbox's counts."""
    calendar = write_calendar(work / f"pace-{requests}.csv", requests)
    windows = math.ceil(requests / limit)
    with Sandbox(work, limit=limit, window=window) as box:
        env = box.env if pythonpath is None else {**box.env, "PYTHONPATH": pythonpath}
        journal = work / f"pace-{box.port}.journal.jsonl"
        argv = [CALENDAR_SCHED, "run", str(calendar), "--yes", "--journal", str(journal)]
        done = run_tool([*argv, "--window", f"{window:g}"], env=env, cwd=work)
        stats = box.stats()
    minimum = (windows - 1) * window
    error = {"error": done.stderr.strip()[-400:]} if done.returncode else {}
    return {
        **error,
        "window_seconds": window,
        "limit": limit,
        "requests": requests,
        "windows": windows,
        "exit_code": done.returncode,
        "counted_requests": stats["counted_requests"],
        "rejected_429": stats["rejected_429"],
        "posts_created": stats["posts_created"],
        "wall_seconds": round(done.wall, 2),
        "physical_minimum_seconds": minimum,
        "ratio": round(done.wall / minimum, 4) if minimum else None,
    }


def main() -> None:
    """Command line: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--requests", type=int, default=75, help="75 at 30: 3 windows.")
    parser.add_argument(
        "--pythonpath", help="Run calendar-sched from this source tree (e.g. an older commit)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pace-") as tmp:
        result = measure(
            Path(tmp),
            window=args.window,
            limit=args.limit,
            requests=args.requests,
            pythonpath=args.pythonpath and os.path.abspath(args.pythonpath),
        )
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
