"""Validate a generated calendar and print rows/s and peak memory (a benchmark, not a test).

Usage: ``python bench/bench_validate.py [--rows 100000] [--profile]``

The calendar comes from ``bench/generate.py`` (one to four demo channels per row, a third with an
image URL, one in ten with a thread item). Peak memory is the process's maximum resident set
size, measured before and after, so the growth is what validation itself holds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

from calendar_sched.validate import ValidateOptions, validate  # noqa: E402


def _peak_mb() -> float:
    # ru_maxrss is kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, validate, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print the top 25 functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = generate.write(Path(folder) / "calendar.csv", args.rows)
        options = ValidateOptions(now=datetime(2026, 1, 1, tzinfo=UTC))
        before = _peak_mb()
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = validate([path], options)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        after = _peak_mb()
    report = result.report
    print(f"rows:        {args.rows}")
    print(f"posts:       {report.posts}  errors: {len(report.errors)}")
    print(f"seconds:     {seconds:.2f}")
    print(f"rows/s:      {args.rows / seconds:,.0f}")
    print(f"peak memory: {after:.0f} MB (validation added {after - before:.0f} MB)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
