"""Validate generated calendars and print rows/s and peak memory (a benchmark, not a test).

Usage: ``python bench/bench_validate.py [--rows 10000,100000] [--repeat 1] [--against DIR]
[--profile]``

The calendars come from ``bench/generate.py`` (one to four demo channels per row, a third with an
image URL, one in ten with a thread item). Each measurement runs in a fresh process, so its peak
memory (maximum resident set size) is its own; "added" is the peak minus the resident size
before validation, i.e. what validation itself holds. CPU seconds are printed next to wall
seconds because a busy machine stretches the wall clock, not the CPU time.

``--against DIR`` also validates the same files with the ``calendar_sched`` package found in DIR
(an older commit: ``mkdir /tmp/before && git archive <commit> | tar -x -C /tmp/before``),
alternating the two, and prints the ratios: a before/after comparison from one run on one machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # before every generated row


def _peak_mb() -> float:
    # ru_maxrss is kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def child(path: Path, profile: bool) -> dict[str, Any]:
    """Validate one file in this process and return the figures."""
    from calendar_sched.check.validation import ValidateOptions, validate

    options = ValidateOptions(now=NOW)
    before = _rss_mb()
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    result = validate([path], options)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak_mb()
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    return {
        "posts": result.report.posts,
        "errors": len(result.report.errors),
        "seconds": wall,
        "cpu": cpu,
        "peak_mb": peak,
        "added_mb": peak - before,
    }


def measure(path: Path, src: Path, profile: bool = False) -> dict[str, Any]:
    """Run ``child`` in a fresh interpreter that imports calendar_sched from ``src``."""
    command = [sys.executable, str(HERE / "bench_validate.py"), "--child", str(path)]
    if profile:
        command.append("--profile")
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"validation of {path} with {src} failed:\n{done.stderr}")
    if profile:
        print(done.stderr, file=sys.stderr)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _line(label: str, rows: int, m: dict[str, Any]) -> str:
    return (
        f"| {label} | {rows:,} | {m['posts']:,} | {m['errors']} | {m['seconds']:.2f} | "
        f"{m['cpu']:.2f} | {rows / m['seconds']:,.0f} | {m['peak_mb']:.0f} | "
        f"{m['added_mb']:.0f} | {m['added_mb'] * 1024 * 1024 / rows / 1024:.1f} |"
    )


def main() -> None:
    """Generate, validate, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000", help="comma-separated sizes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (best is shown)")
    parser.add_argument("--against", type=Path, help="a tree whose calendar_sched to compare")
    parser.add_argument("--profile", action="store_true", help="print the top 30 functions")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.profile)))
        return
    sys.path.insert(0, str(HERE))
    import generate

    trees = [("this", HERE.parent)]
    if args.against:
        trees.insert(0, ("against", args.against.resolve()))
    print(
        "| code | rows | posts | errors | wall s | CPU s | rows/s | peak MB | added MB | KB/row |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for rows in (int(size) for size in args.rows.split(",")):
            path = generate.write(Path(folder) / f"calendar-{rows}.csv", rows)
            best: dict[str, dict[str, Any]] = {}
            for _ in range(args.repeat):
                for label, src in trees:
                    m = measure(path, src, args.profile)
                    if label not in best or m["cpu"] < best[label]["cpu"]:
                        best[label] = m
            for label, _src in trees:
                print(_line(label, rows, best[label]), flush=True)
            if args.against:
                old, new = best["against"], best["this"]
                print(
                    f"| ratio | {rows:,} | | | ×{old['seconds'] / new['seconds']:.1f} faster | "
                    f"×{old['cpu'] / new['cpu']:.1f} | | ×{old['peak_mb'] / new['peak_mb']:.2f} "
                    f"smaller | ×{old['added_mb'] / new['added_mb']:.2f} | |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
