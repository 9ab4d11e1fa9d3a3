"""Planner benchmark: 1k, 10k and 100k-row generated calendars, time and request counts.

For each size it generates a calendar (bench/generate.py), validates it once, then times
``plan()`` alone (best of ``--repeat``) and prints requests vs lower bound vs a per-row script,
windows and ETA at the default quota (30 per hour), and the planner's time per Post, which stays
flat when cost grows linearly.

Usage: ``.venv/bin/python -m bench.bench_plan [--sizes 1000,10000,100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import generate
from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.plan.planner import plan
from calendar_sched.targets.postiz.backend import PostizBackend

NOW = datetime(2029, 12, 1, tzinfo=UTC)  # before every generated row


def measure(rows: int, repeat: int, workdir: Path) -> dict[str, float | int | str]:
    """Validate once, then time plan() on the resulting Posts."""
    path = generate.write(workdir / f"cal-{rows}.csv", rows)
    started = time.perf_counter()
    checked = validate([path], ValidateOptions(now=NOW))
    validate_s = time.perf_counter() - started
    if not checked.report.valid:
        raise SystemExit(f"generated calendar invalid: {checked.report.errors[:3]}")
    backend = PostizBackend()
    best = float("inf")
    for _ in range(repeat):
        # validate() leaves a million young objects; collect them first so a full collection
        # triggered by them is not billed to the planner.
        gc.collect()
        started = time.perf_counter()
        result = plan(checked.posts, backend, now=NOW)
        best = min(best, time.perf_counter() - started)
    posts = len(checked.posts)
    return {
        "rows": rows,
        "posts": posts,
        "validate_s": validate_s,
        "plan_s": best,
        "us_per_post": best / posts * 1e6,
        "requests": result.requests_counted,
        "lower_bound": result.lower_bound,
        "naive": result.naive_requests,
        "uploads": len(result.media),
        "windows": result.windows,
        "eta_h": result.eta_seconds / 3600,
    }


def main() -> None:
    """Command line: print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "| rows | posts | validate s | plan s | µs/post | requests | lower bound | per-row "
        "script | uploads | windows | ETA h |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            m = measure(rows, args.repeat, Path(tmp))
            print(
                f"| {m['rows']} | {m['posts']} | {m['validate_s']:.2f} | {m['plan_s']:.3f} | "
                f"{m['us_per_post']:.1f} | {m['requests']} | {m['lower_bound']} | {m['naive']} "
                f"| {m['uploads']} | {m['windows']} | {m['eta_h']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
