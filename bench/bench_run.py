"""Benchmark ``execute``: a 300-row, 4-channel calendar against the sandbox with a short window.

Prints counted requests / lower bound, wall time / the physical minimum ((windows − 1) × window)
and the 429 count the sandbox saw. Usage: ``python bench/bench_run.py [--rows 300 --window 5]``
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import generate  # noqa: E402
from calendar_sched.check.validation import ValidateOptions, validate  # noqa: E402
from calendar_sched.plan.planner import plan  # noqa: E402
from calendar_sched.run.executor import execute  # noqa: E402
from calendar_sched.run.journal import Journal  # noqa: E402
from calendar_sched.sandbox.config import SandboxConfig  # noqa: E402
from calendar_sched.sandbox.server import RunningSandbox  # noqa: E402
from calendar_sched.targets.base import CostModel  # noqa: E402
from calendar_sched.targets.postiz.backend import PostizBackend  # noqa: E402
from calendar_sched.targets.postiz.client import PostizClient  # noqa: E402

CHANNELS = "demo-x, demo-linkedin-page, demo-facebook, demo-mastodon"


def write_calendar(path: Path, rows: int) -> Path:
    """The generated calendar, every row on the same four channels, without media."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=generate.COLUMNS)
        writer.writeheader()
        for row in generate.rows(rows):
            writer.writerow({**row, "channels": CHANNELS, "media": ""})
    return path


def main() -> None:
    """Run the benchmark once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--window", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        calendar = write_calendar(work / "bench.csv", args.rows)
        config = SandboxConfig(
            api_key="bench-key", db_path=work / "sandbox.db", limit=args.limit, window=args.window
        )
        with (
            RunningSandbox(config) as sandbox,
            PostizClient(sandbox.url, sandbox.api_key) as client,
        ):
            costs = CostModel(limit=args.limit, window_seconds=args.window)
            backend = PostizBackend(client, costs=costs)
            checked = validate([calendar], ValidateOptions(channels=backend.discover()))
            if not checked.report.valid:
                raise SystemExit(f"generated calendar is invalid: {checked.report.errors[:3]}")
            with Journal(work / "bench.journal.jsonl", fingerprint=backend.fingerprint) as journal:
                the_plan = plan(checked.posts, backend, now=datetime.now(UTC))
                started = time.monotonic()
                result = execute(the_plan, backend, journal)
                wall = time.monotonic() - started
            stats = sandbox.stats()
    minimum = (the_plan.windows - 1) * args.window
    print(f"calendar: {args.rows} rows × 4 channels = {len(checked.posts)} posts")
    print(
        f"counted requests: {stats['counted_requests']} / lower bound {the_plan.lower_bound} "
        f"= {stats['counted_requests'] / max(1, the_plan.lower_bound):.2f} "
        f"(a per-row script: {the_plan.naive_requests})"
    )
    print(
        f"wall time: {wall:.1f} s / physical minimum {minimum:.1f} s "
        f"({the_plan.windows} windows of {args.window:g} s, limit {args.limit}) "
        f"= {wall / minimum if minimum else float('nan'):.2f}"
    )
    print(
        f"429s: {stats['rejected_429']} · rows created (posts + thread replies): "
        f"{stats['posts_created']}"
    )
    print(f"complete: {result.complete} · done {len(result.done)} · failed {len(result.failed)}")


if __name__ == "__main__":
    main()
