"""One command for the benchmark table: ``.venv/bin/python -m bench.run``.

calendar-sched, the Postiz guide's per-row script and the official ``postiz`` CLI schedule the
same calendars against the same sandbox; the figures are printed as a table and written to
``bench/results.json``. BENCHMARKS.md explains each column and how each figure was obtained.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import generate, pace, perf, replay
from bench.harness import CALENDAR_SCHED, ROOT, NotAvailable, Sandbox, duplicates, run_tool
from bench.peers import postiz_cli
from bench.peers import rows as peer_rows

CACHE = ROOT / "bench" / ".cache"
CHANNELS = ROOT / "samples" / "channels.json"
SAMPLE = ROOT / "samples" / "december.csv"
PER_ROW = str(ROOT / "bench" / "peers" / "per_row_script.py")
CLI_DRIVER = str(ROOT / "bench" / "peers" / "postiz_cli.py")
UNLIMITED = 1_000_000_000  # "counting mode": the sandbox never throttles, every answer is real


class Calendar:
    """One calendar under test: its file, its per-channel rows and calendar-sched's plan."""

    def __init__(self, name: str, path: Path, rows: list[dict[str, Any]]) -> None:
        self.name = name
        self.path = path
        self.rows = rows
        self.plan: dict[str, Any] = {}

    @property
    def posts(self) -> int:
        """Posts to schedule: calendar rows × their channels."""
        return len(self.rows)

    @property
    def media_uses(self) -> int:
        """Media references over all posts and thread items (the per-row script's uploads)."""
        return sum(len(r["media"]) + sum(len(t["media"]) for t in r["thread"]) for r in self.rows)

    def span(self) -> tuple[str, str]:
        """A listing window that covers every post."""
        times = sorted(r["schedule_time"] for r in self.rows)
        return times[0][:10] + "T00:00:00Z", _next_day(times[-1][:10]) + "T00:00:00Z"


def _next_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


# Calendars --------------------------------------------------------------------------------------


def generated(count: int) -> Calendar:
    """A generated calendar of ``count`` rows, written under bench/.cache/."""
    path = generate.write(CACHE / "calendars" / f"generated-{count}.csv", count)
    rows = peer_rows.from_generated(list(generate.rows(count)))
    return Calendar(f"generated {count:,}", path, rows)


def sample() -> Calendar:
    """The sample month, loaded through calendar-sched itself."""
    if not SAMPLE.exists():
        raise NotAvailable(f"{SAMPLE.relative_to(ROOT)} does not exist yet")
    return Calendar("sample month", SAMPLE, peer_rows.from_calendar(SAMPLE, CHANNELS))


def plan_of(calendar: Calendar, limit: int) -> dict[str, Any]:
    """``calendar-sched plan --json`` at the real quota (limit per hour)."""
    done = run_tool(
        [
            CALENDAR_SCHED,
            "plan",
            str(calendar.path),
            "--json",
            "--channels-file",
            str(CHANNELS),
            "--limit",
            str(limit),
            "--window",
            "3600",
        ]  # fmt: skip
    )
    if done.returncode not in (0, 3):
        raise NotAvailable(f"calendar-sched plan failed ({done.returncode}): {done.stderr[-300:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    answer["cpu_seconds"] = round(done.cpu, 2)
    return answer


# Tools ------------------------------------------------------------------------------------------


def _outcome(box: Sandbox, calendar: Calendar) -> dict[str, Any]:
    stats = box.stats()
    listed = box.posts(*calendar.span())
    return {
        "counted_requests": stats["counted_requests"],
        "rejected_429": stats["rejected_429"],
        "lockouts": stats.get("lockouts"),
        "uploads": stats.get("uploads"),
        "posts_listed": len(listed),
        "duplicates": duplicates(listed),
        "missing": max(0, calendar.posts - (len(listed) - duplicates(listed))),
    }


def _sched_argv(calendar: Calendar, journal: Path, window: float | None = None) -> list[str]:
    argv = [CALENDAR_SCHED, "run", str(calendar.path), "--yes", "--journal", str(journal)]
    # The sandbox's window stands for Postiz's hour: the tool is told, as a user's is by default.
    return argv if window is None else [*argv, "--window", f"{window:g}"]


def run_calendar_sched(calendar: Calendar, work: Path, limit: int, window: float) -> dict[str, Any]:
    """``calendar-sched run`` against a fresh sandbox; everything measured live."""
    with Sandbox(work, limit=limit, window=window) as box:
        journal = work / f"sched-{box.port}.journal.jsonl"
        done = run_tool(_sched_argv(calendar, journal, window), env=box.env, cwd=work)
        result = _outcome(box, calendar)
    if result["lockouts"] is None and result["rejected_429"] == 0:
        result["lockouts"] = 0  # no refusal at all means no lock-out
    result.update(
        mode="live",
        exit_code=done.returncode,
        wall_seconds=round(done.wall, 2),
        cpu_seconds=round(done.cpu, 2),
        windows=math.floor(done.wall / window) + 1,
        physical_minimum_seconds=(calendar.plan.get("windows", 1) - 1) * window,
    )
    if done.returncode != 0:
        result["error"] = done.stderr.strip()[-400:]
    return result


def run_per_row(calendar: Calendar, work: Path, limit: int, window: float) -> dict[str, Any]:
    """The guide's script, live; when it dies on "Max retries exceeded" the operator waits one
    (simulated) hour and runs it again on the rows it had not reached."""
    remaining = list(calendar.rows)
    totals = {"requests": 0, "rate_limited": 0, "lockouts": 0, "restarts": 0}
    error = ""
    wall = cpu = 0.0
    with Sandbox(work, limit=limit, window=window) as box:
        start = time.monotonic()
        while remaining:
            csv_path = peer_rows.write_seed_csv(remaining, work / f"per-row-{box.port}.csv")
            done = run_tool(
                [sys.executable, PER_ROW, str(csv_path), "--time-scale", str(window / 3600)],
                env=box.env,
            )
            cpu += done.cpu
            counters = json.loads(done.stderr.strip().splitlines()[-1])
            for key in ("requests", "rate_limited", "lockouts"):
                totals[key] += counters[key]
            remaining = remaining[counters["rows_done"] :]
            if done.returncode == 0 or not remaining:
                break
            if "Max retries exceeded" not in done.stderr:
                error = done.stderr.strip()[-400:]
                break
            totals["restarts"] += 1
            time.sleep(window)  # the operator's hour
        wall = time.monotonic() - start
        result = _outcome(box, calendar)
    result.update(
        mode="live",
        wall_seconds=round(wall, 2),
        cpu_seconds=round(cpu, 2),
        windows=math.floor(wall / window) + 1,
        client_429=totals["rate_limited"],
        lockouts=result["lockouts"] if result["lockouts"] is not None else totals["lockouts"],
        restarts=totals["restarts"],
        http_requests=totals["requests"],
    )
    if error:
        result["error"] = error
    return result


def count_per_row(calendar: Calendar, work: Path, limit: int) -> dict[str, Any]:
    """The guide's script sent for real in counting mode, its 429 policy replayed at ``limit``."""
    with Sandbox(work, limit=UNLIMITED, window=3600) as box:
        csv_path = peer_rows.write_seed_csv(calendar.rows, work / f"per-row-{box.port}.csv")
        done = run_tool([sys.executable, PER_ROW, str(csv_path)], env=box.env)
        result = _outcome(box, calendar)
    model = replay.per_row_script(result["counted_requests"], limit)
    result.update(
        mode="counted + replayed",
        cpu_seconds=round(done.cpu, 2),
        rejected_429=model.rejected_429,
        lockouts=model.lockouts,
        windows=model.windows,
    )
    return result


def computed_per_row(calendar: Calendar, limit: int) -> dict[str, Any]:
    """Too big to send: requests follow from the rows (one create per post, one upload per use)."""
    model = replay.per_row_script(calendar.posts, limit)
    return {
        "mode": "computed + replayed",
        "counted_requests": calendar.posts,
        "uploads": calendar.media_uses,
        "rejected_429": model.rejected_429,
        "lockouts": model.lockouts,
        "windows": model.windows,
        "duplicates": None,
    }


def computed_cli(calendar: Calendar, limit: int) -> dict[str, Any]:
    """Too slow to send here (a Node process per row): one POST /posts per command, replayed."""
    commands = len(postiz_cli.commands_from_rows(calendar.rows))
    model = replay.cli_loop(commands, limit)
    return {
        "mode": "computed + replayed",
        "counted_requests": commands,
        "commands": commands,
        "rejected_429": model.rejected_429,
        "counted_at_limit": model.counted,
        "lockouts": model.lockouts,
        "windows": model.windows,
        "duplicates": None,
    }


def count_cli(calendar: Calendar, work: Path, limit: int) -> dict[str, Any]:
    """The official CLI in a shell-style loop, in counting mode; its no-retry policy replayed."""
    commands = postiz_cli.commands_from_rows(calendar.rows)
    rows_json = peer_rows.write_json(calendar.rows, work / "cli-rows.json")
    try:
        postiz_cli.install(CACHE / "postiz")
    except postiz_cli.NotRunnable as exc:
        return {"mode": "not run", "reason": str(exc)}
    with Sandbox(work, limit=UNLIMITED, window=3600) as box:
        done = run_tool(
            [sys.executable, CLI_DRIVER, str(rows_json), "--cache", str(CACHE / "postiz")],
            env=box.env,
        )
        result = _outcome(box, calendar)
    summary = json.loads(done.stderr.strip().splitlines()[-1])
    model = replay.cli_loop(len(commands), limit)
    result.update(
        mode="counted + replayed",
        commands=len(commands),
        failed_commands=summary.get("failed"),
        cpu_seconds=round(done.cpu, 2),
        wall_seconds=round(done.wall, 2),
        rejected_429=model.rejected_429,
        counted_at_limit=model.counted,
        lockouts=model.lockouts,
        windows=model.windows,
    )
    return result


# SIGKILL mid-run, then the same command again ----------------------------------------------------


def kill_and_rerun(tool: str, calendar: Calendar, work: Path) -> dict[str, Any]:
    """Start ``tool``, SIGKILL it once half the posts exist, run the same command again, count."""
    with Sandbox(work, limit=UNLIMITED, window=3600, latency_ms=20) as box:
        if tool == "calendar-sched":
            argv = _sched_argv(calendar, work / f"kill-{box.port}.journal.jsonl")
        elif tool == "per-row script":
            csv_path = peer_rows.write_seed_csv(calendar.rows, work / f"kill-{box.port}.csv")
            argv = [sys.executable, PER_ROW, str(csv_path)]
        else:
            try:
                postiz_cli.install(CACHE / "postiz")
            except postiz_cli.NotRunnable as exc:
                return {"mode": "not run", "reason": str(exc)}
            rows_json = peer_rows.write_json(calendar.rows, work / f"kill-{box.port}.json")
            argv = [sys.executable, CLI_DRIVER, str(rows_json), "--cache", str(CACHE / "postiz")]
        half = calendar.posts // 2
        first = run_tool(
            argv, env=box.env, cwd=work, kill_when=lambda: box.stats()["posts_created"] >= half
        )
        at_kill = box.stats()["posts_created"]
        second = run_tool(argv, env=box.env, cwd=work)
        result = _outcome(box, calendar)
    result.update(
        killed=first.killed,
        posts_at_kill=at_kill,
        rerun_exit_code=second.returncode,
    )
    return result


# validate / plan at scale ------------------------------------------------------------------------


def scale(sizes: list[int]) -> list[dict[str, Any]]:
    """Wall, CPU and peak memory of ``validate`` and ``plan`` per size, one process each."""
    base = run_tool([CALENDAR_SCHED, "--version"])
    out: list[dict[str, Any]] = [
        {
            "rows": 0,
            "command": "--version (start-up)",
            "wall_seconds": round(base.wall, 2),
            "cpu_seconds": round(base.cpu, 2),
            "max_rss_mb": base.max_rss_mb and round(base.max_rss_mb, 1),
        }
    ]
    for size in sizes:
        path = generate.write(CACHE / "calendars" / f"generated-{size}.csv", size)
        for command in ("validate", "plan"):
            argv = [CALENDAR_SCHED, command, str(path), "--json", "--channels-file", str(CHANNELS)]
            done = run_tool(argv)
            row: dict[str, Any] = {
                "rows": size,
                "command": command,
                "exit_code": done.returncode,
                "wall_seconds": round(done.wall, 2),
                "cpu_seconds": round(done.cpu, 2),
                "max_rss_mb": done.max_rss_mb and round(done.max_rss_mb, 1),
                "rows_per_second": round(size / max(done.wall - base.wall, 1e-6)),
            }
            if done.returncode not in (0, 1, 3):
                row["error"] = done.stderr.strip()[-300:]
            out.append(row)
    return out


# Table ------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results: dict[str, Any]) -> str:
    """The side-by-side table as Markdown (printed, and pasted into BENCHMARKS.md)."""
    head = ["calendar", "posts", "tool", "mode", "POST /posts accepted", "lower bound",
            "sim. hours at 30/h", "429s", "lock-outs", "duplicates after kill + re-run",
            "CPU s"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cal in results["calendars"]:
        for tool, row in cal["tools"].items():
            if row.get("mode") == "not run" or "error" in row:
                why = row.get("reason") or row.get("error", "")
                cells = [cal["name"], cal["posts"], tool, f"not run: {why[:90]}"]
                cells += ["-"] * (len(head) - len(cells))
            else:
                kill = cal.get("kill", {}).get(tool, {})
                cells = [
                    cal["name"], cal["posts"], tool, row.get("mode"),
                    row.get("accepted_requests", row.get("counted_requests")),
                    cal.get("lower_bound"), row.get("windows"), row.get("rejected_429"),
                    row.get("lockouts"), kill.get("duplicates"), row.get("cpu_seconds"),
                ]  # fmt: skip
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += [
        "",
        "| rows | command | wall s | CPU s | peak RSS MB | rows/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.get("scale", []):
        lines.append(
            f"| {row['rows']:,} | {row['command']} | {row['wall_seconds']} | {row['cpu_seconds']} "
            f"| {_cell(row['max_rss_mb'])} | {_cell(row.get('rows_per_second'))} |"
        )
    pacing = results.get("pacing")
    if pacing:
        lines += [
            "",
            "| window s | limit | requests | windows | wall s | minimum s | ratio | 429s |",
            "|---|---|---|---|---|---|---|---|",
            f"| {pacing['window_seconds']:g} | {pacing['limit']} | {pacing['counted_requests']} "
            f"| {pacing['windows']} | {pacing['wall_seconds']} | "
            f"{pacing['physical_minimum_seconds']:g} | {pacing['ratio']} | "
            f"{pacing['rejected_429']} |",
        ]
    return "\n".join(lines)


# Main -------------------------------------------------------------------------------------------


def measure(calendar: Calendar, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every tool on one calendar; what cannot run says why instead of a number."""
    entry: dict[str, Any] = {"name": calendar.name, "posts": calendar.posts, "tools": {}}
    try:
        calendar.plan = plan_of(calendar, args.limit)
        entry["lower_bound"] = calendar.plan.get("lower_bound")
        keys = ("requests", "lower_bound", "naive_requests", "windows", "eta_seconds")
        entry["plan"] = {key: calendar.plan.get(key) for key in keys}
    except NotAvailable as exc:
        entry["plan"] = {"error": str(exc)}
    live = calendar.posts <= args.live_max_posts
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "calendar-sched": lambda: (
            run_calendar_sched(calendar, work, args.limit, args.window)
            if live
            else _planned_only(calendar, args.limit)
        ),
        "per-row script": lambda: (
            run_per_row(calendar, work, args.limit, args.window)
            if live
            else count_per_row(calendar, work, args.limit)
            if calendar.posts <= args.count_max_posts
            else computed_per_row(calendar, args.limit)
        ),
        "postiz CLI": lambda: (
            {"mode": "not run", "reason": "--no-cli"}
            if args.no_cli
            else count_cli(calendar, work, args.limit)
            if calendar.posts <= args.cli_max_posts
            else computed_cli(calendar, args.limit)
        ),
    }
    for tool, step in steps.items():
        started = time.monotonic()
        try:
            entry["tools"][tool] = step()
        except NotAvailable as exc:
            entry["tools"][tool] = {"mode": "not run", "reason": str(exc)}
        row = entry["tools"][tool]
        if "counted_requests" in row and row.get("mode") == "live":
            row["accepted_requests"] = row["counted_requests"] - (row.get("rejected_429") or 0)
        print(f"  {calendar.name} · {tool}: {time.monotonic() - started:.0f}s", file=sys.stderr)
    if calendar.name in args.kill_on:
        entry["kill"] = {}
        for tool in ("calendar-sched", "per-row script", "postiz CLI"):
            if tool == "postiz CLI" and (args.no_cli or calendar.name != args.cli_kill_on):
                continue
            try:
                entry["kill"][tool] = kill_and_rerun(tool, calendar, work)
            except NotAvailable as exc:
                entry["kill"][tool] = {"mode": "not run", "reason": str(exc)}
    return entry


def _planned_only(calendar: Calendar, limit: int) -> dict[str, Any]:
    requests = calendar.plan.get("requests")
    if requests is None:
        raise NotAvailable("calendar-sched plan did not run")
    model = replay.paced(requests, limit)
    return {"mode": "planned", "counted_requests": requests, "rejected_429": 0, "lockouts": 0,
            "windows": model.windows, "cpu_seconds": calendar.plan.get("cpu_seconds")}  # fmt: skip


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so every sandbox context stops its server


def main() -> int:
    """Parse options, measure, print the table, write results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30, help="Sandbox quota per window.")
    parser.add_argument("--window", type=float, default=5.0, help="Seconds that stand for 1 h.")
    parser.add_argument("--sizes", default="300,3000,30000", help="Generated calendar rows.")
    parser.add_argument("--scale", default="1000,10000,100000", help="validate/plan sizes.")
    parser.add_argument("--live-max-posts", type=int, default=1000)
    parser.add_argument("--count-max-posts", type=int, default=1000)
    parser.add_argument("--cli-max-posts", type=int, default=400)
    parser.add_argument("--no-cli", action="store_true", help="Skip the official CLI.")
    parser.add_argument(
        "--pace-window", type=float, default=60.0, help="Wall time vs minimum here (0: skip)."
    )
    parser.add_argument("--pace-requests", type=int, default=75, help="75 at 30: 3 windows.")
    parser.add_argument(
        "--agency",
        default="10000,100000",
        help="Issue 15's table (bench/perf.py) at these agency rows, HEAD (empty: skip).",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    args.kill_on = {"sample month"} if SAMPLE.exists() else {"generated 300"}
    args.cli_kill_on = "sample month" if SAMPLE.exists() else "generated 300"
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "limit": args.limit,
        "window_seconds": args.window,
        "calendars": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        calendars: list[Calendar] = []
        try:
            calendars.append(sample())
        except NotAvailable as exc:
            results["calendars"].append(
                {"name": "sample month", "posts": None, "tools": {}, "error": str(exc)}
            )
        calendars += [generated(int(size)) for size in args.sizes.split(",") if size]
        for calendar in calendars:
            print(f"measuring {calendar.name} ({calendar.posts:,} posts)", file=sys.stderr)
            results["calendars"].append(measure(calendar, args, work))
        print("measuring validate/plan at scale", file=sys.stderr)
        results["scale"] = scale([int(size) for size in args.scale.split(",") if size])
        if args.pace_window:
            print(f"measuring wall time at a {args.pace_window:g} s window", file=sys.stderr)
            results["pacing"] = pace.measure(
                work, window=args.pace_window, limit=args.limit, requests=args.pace_requests
            )
    agency_table = ""
    if args.agency:
        print("measuring agency calendars against pandas.read_csv", file=sys.stderr)
        sizes = [int(size) for size in args.agency.split(",") if size]
        jobs = perf.jobs(sizes, {"startup", "csv", "yaml"}, 10_000)
        head = perf.export("HEAD", "HEAD")
        agency_table = perf.table(perf.measure(jobs, [head], 3), [head])
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(table(results))
    if agency_table:
        print("\n" + agency_table)
    print(f"\nwritten to {args.out} in {results['total_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
