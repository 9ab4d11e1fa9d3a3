"""Issue 15's table: validate and plan on agency-like calendars as ratios to ``pandas.read_csv``.

Every figure is a fresh process timed with ``os.wait4`` (wall, CPU = user + system; peak RSS is
its ``VmHWM``, read every 10 ms, as ``ru_maxrss`` keeps the forking parent's), run ``--repeat``
times round-robin with every other figure of the run, and reported as the median. Ratios are taken
between medians of the same run: on a shared machine absolute seconds move by a quarter from run
to run, ratios much less.

The code measured is a commit exported with ``git archive`` into ``bench/.cache/trees/`` (never
the working tree, which may hold other people's unfinished edits), run as
``python -c 'from calendar_sched.cli import main; main()'`` from that folder. ``--rev`` may be
given several times (``--rev before=abc123 --rev after=HEAD``), or a prepared folder holding
``calendar_sched/`` and ``samples/`` (``--tree mine=DIR``, e.g. a commit with only some patches
applied): each figure is then measured on each tree in turn, with after/before ratios.

Usage::

    python -m bench.perf                              # 10k and 100k rows, HEAD, 3 runs each
    python -m bench.perf --sizes 10000,100000,300000
    python -m bench.perf --rev before=HEAD~1 --rev after=HEAD --jobs startup
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import agency

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
PYTHON = sys.executable
LAUNCH = "import sys; from calendar_sched.cli import main; sys.argv[0] = 'calendar-sched'; main()"
READ_CSV = (
    "import sys, time; import pandas; t = time.perf_counter(); "
    "pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False); "
    "print(time.perf_counter() - t)"
)
JOBS = ("startup", "csv", "yaml", "xlsx")


@dataclass(frozen=True)
class Tree:
    """A commit's code, exported for running."""

    name: str
    rev: str
    commit: str
    path: Path


@dataclass(frozen=True)
class Job:
    """One figure: a command line (``{tree}`` → a Tree's launcher) at a calendar size."""

    key: str
    size: int
    argv: tuple[str, ...]
    cwd: str = ""  # relative to the tree
    tool: bool = True  # runs calendar-sched (per tree); False: pandas or bare Python (once)


@dataclass
class Samples:
    """The runs of one figure on one tree."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)  # read_csv's own seconds, from its output
    exits: set[int] = field(default_factory=set)

    def median(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return statistics.median(values) if values else float("nan")


def export(name: str, rev: str) -> Tree:
    """The tree of ``rev`` under bench/.cache/trees/<commit>/ (exported once)."""
    commit = subprocess.run(
        ["git", "rev-parse", f"{rev}^{{commit}}"], cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout.strip()  # fmt: skip
    path = CACHE / "trees" / commit
    if not (path / "calendar_sched").is_dir():
        path.mkdir(parents=True, exist_ok=True)
        archive = path.with_suffix(".tar")
        subprocess.run(
            ["git", "archive", "--format=tar", "-o", str(archive), commit, "calendar_sched",
             "samples"], cwd=ROOT, check=True,
        )  # fmt: skip
        with tarfile.open(archive) as tar:
            tar.extractall(path, filter="data")
        archive.unlink()
    return Tree(name, rev, commit[:10], path)


def calendar(size: int, formats: tuple[str, ...]) -> dict[str, Path]:
    """The agency calendar of ``size`` rows under bench/.cache/agency/<size>/ (made once)."""
    folder = CACHE / "agency" / str(size)
    source = Path(agency.__file__).read_bytes()
    stamp = hashlib.sha256(source + repr((size, formats)).encode()).hexdigest()
    stamp_file = folder / "stamp"
    names = {"channels": folder / "channels.json"}
    names |= {kind: folder / f"calendar.{kind}" for kind in formats}
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return names
    print(f"generating {size:,} agency rows ({', '.join(formats)}) …", file=sys.stderr, flush=True)
    written = agency.write(folder, size, formats=formats)
    stamp_file.write_text(stamp)
    return written


def jobs(sizes: Sequence[int], wanted: set[str], xlsx_max: int) -> list[Job]:
    """Every figure of the table, in the order they are run within a round."""
    result: list[Job] = []
    if "startup" in wanted:
        result += [
            Job("python -c pass", 0, (PYTHON, "-c", "pass"), tool=False),
            Job("--help", 0, ("{tree}", "--help")),
            Job("validate samples/december.csv", 0, ("{tree}", "validate", "december.csv"),
                cwd="samples"),
        ]  # fmt: skip
    for size in sizes:
        formats: tuple[str, ...] = tuple(f for f in ("csv", "yaml") if f in wanted)
        if "xlsx" in wanted and size <= xlsx_max:
            formats += ("xlsx",)
        if not formats:
            continue
        files = calendar(size, formats)
        common = ("--channels-file", str(files["channels"]), "--timezone", "UTC")
        if "csv" in files:
            result.append(
                Job(
                    "pandas.read_csv", size, (PYTHON, "-c", READ_CSV, str(files["csv"])), tool=False
                )
            )
        for kind in formats:
            path = str(files[kind])
            result.append(Job(f"validate {kind}", size, ("{tree}", "validate", path, *common)))
            if kind != "xlsx":
                plan = ("{tree}", "plan", path, *common, "--offline", "--json")
                result.append(Job(f"plan {kind}", size, plan))
    return result


def run_once(job: Job, tree: Tree | None) -> tuple[float, float, float, int, str]:
    """Wall s, CPU s, peak RSS MB, exit code and stdout (read_csv only) of one fresh process."""
    argv = [part for arg in job.argv for part in _expand(arg, tree)]
    cwd = tree.path / job.cwd if tree is not None else ROOT
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTIZ_", "POSTSYNCER_"))}
    env["CALENDAR_SCHED_MAX_FILE_MB"] = "1000"  # a 300k-row calendar is over the 50 MB default
    if tree is not None:
        env["PYTHONPATH"] = str(tree.path)
    capture = subprocess.PIPE if not job.tool else subprocess.DEVNULL
    start = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=capture, stderr=subprocess.DEVNULL)
    peak_kb = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_kb = _high_water_kb(process.pid) or peak_kb
        time.sleep(0.01)
    wall = time.monotonic() - start
    out = process.stdout.read().decode() if process.stdout else ""  # one line: fits the pipe
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, peak_kb / 1024, process.returncode, out


def _high_water_kb(pid: int) -> int:
    # VmHWM is reset at exec, unlike ru_maxrss, which keeps the forking parent's peak.
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _expand(arg: str, tree: Tree | None) -> list[str]:
    if arg == "{tree}":
        return [PYTHON, "-c", LAUNCH]
    return [arg]


def measure(
    all_jobs: list[Job], trees: list[Tree], repeat: int
) -> dict[tuple[str, int, str], Samples]:
    """Each job ``repeat`` times, round-robin over jobs and trees; samples by (key, size, tree)."""
    samples: dict[tuple[str, int, str], Samples] = {}
    for job in all_jobs:  # warm-up: byte-compile every tree, fill the page cache
        if job.size <= 10_000:
            for tree in trees if job.tool else [None]:
                run_once(job, tree)
    for round_ in range(repeat):
        for job in all_jobs:
            for tree in trees if job.tool else [None]:
                wall, cpu, rss, code, out = run_once(job, tree)
                key = (job.key, job.size, tree.name if tree else "-")
                got = samples.setdefault(key, Samples())
                got.wall.append(wall)
                got.cpu.append(cpu)
                got.rss_mb.append(rss)
                got.exits.add(code)
                if out.strip():
                    got.inner.append(float(out.strip().splitlines()[-1]))
                print(
                    f"[{round_ + 1}/{repeat}] {job.key} {job.size:,} {key[2]}: {wall:.2f} s wall, "
                    f"{cpu:.2f} s CPU, {rss:.0f} MB, exit {code}",
                    file=sys.stderr,
                    flush=True,
                )
    return samples


def _failed(got: Samples) -> str:
    # validate/plan of the agency shape exit 0; anything else means the figure is not the job's.
    return f" **(exit {', '.join(map(str, sorted(got.exits)))})**" if got.exits != {0} else ""


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"


def table(samples: dict[tuple[str, int, str], Samples], trees: list[Tree]) -> str:
    """The Markdown tables: per size the ratios to pandas, then start-up."""
    lines: list[str] = []
    sizes = sorted({size for _, size, _ in samples if size})
    for tree in trees:
        if len(trees) > 1:
            lines.append(f"\n**{tree.name}** (`{tree.commit}`)\n")
        lines.append(
            "| rows | pandas.read_csv: process s (call s) | figure | wall s | × pandas | CPU s "
            "| × pandas (CPU) | peak RSS MB | wall s per 1k rows |"
        )
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for size in sizes:
            base = samples.get(("pandas.read_csv", size, "-"))
            for key in sorted({k for k, s, t in samples if s == size and t == tree.name}):
                got = samples[(key, size, tree.name)]
                wall, cpu = got.median("wall"), got.median("cpu")
                pandas_cell = "-"
                ratio = ratio_cpu = float("nan")
                if base:
                    pandas_cell = f"{_fmt(base.median('wall'))} ({_fmt(base.median('inner'))})"
                    ratio, ratio_cpu = wall / base.median("wall"), cpu / base.median("cpu")
                lines.append(
                    f"| {size:,} | {pandas_cell} | {key}{_failed(got)} | {_fmt(wall)} "
                    f"| {_fmt(ratio, 1)} "
                    f"| {_fmt(cpu)} | {_fmt(ratio_cpu, 1)} | {_fmt(got.median('rss_mb'), 0)} "
                    f"| {_fmt(wall / size * 1000, 3)} |"
                )
        for size in sizes:
            for command in ("validate", "plan"):
                csv_ = samples.get((f"{command} csv", size, tree.name))
                yaml_ = samples.get((f"{command} yaml", size, tree.name))
                if csv_ and yaml_:
                    lines.append(
                        f"\nYAML / CSV, {command} at {size:,} rows: "
                        f"{_fmt(yaml_.median('wall') / csv_.median('wall'))} (wall)"
                    )
        lines.append("\n| start-up | wall s | CPU s | peak RSS MB |\n|---|---:|---:|---:|")
        for key in ("python -c pass", "--help", "validate samples/december.csv"):
            start = samples.get((key, 0, "-" if key.startswith("python") else tree.name))
            if start:
                lines.append(
                    f"| `{key}` | {_fmt(start.median('wall'))} | {_fmt(start.median('cpu'))} "
                    f"| {_fmt(start.median('rss_mb'), 0)} |"
                )
    if len(trees) > 1:
        first, *others = trees
        heads = [f"{t.name} wall s | {t.name}/{first.name} wall | CPU" for t in others]
        lines.append(f"\n| figure | rows | {first.name} wall s | " + " | ".join(heads) + " |")
        lines.append("|---|---:|---:|" + "---:|---:|---:|" * len(others))
        for key, size, name in sorted(samples, key=lambda k: (k[1], k[0])):
            if name != first.name:
                continue
            before = samples[(key, size, name)]
            cells = [f"{key}{_failed(before)}", f"{size:,}", _fmt(before.median("wall"))]
            for tree in others:
                after = samples[(key, size, tree.name)]
                cells += [
                    _fmt(after.median("wall")),
                    _fmt(after.median("wall") / before.median("wall")),
                    _fmt(after.median("cpu") / before.median("cpu")),
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Command line: measure, print the tables, write bench/.cache/perf.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="agency calendar rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rev", action="append", default=[], help="[NAME=]REV, repeatable")
    parser.add_argument(
        "--tree", action="append", default=[], help="NAME=DIR: a prepared tree, repeatable"
    )
    parser.add_argument("--jobs", default=",".join(JOBS), help=f"of {', '.join(JOBS)}")
    parser.add_argument("--xlsx-max", type=int, default=10_000, help="largest XLSX size")
    args = parser.parse_args()
    trees = [export(*(r.split("=", 1) if "=" in r else (r, r))) for r in args.rev]
    for name, folder in (t.split("=", 1) for t in args.tree):
        trees.append(Tree(name, folder, "(prepared)", Path(folder).resolve()))
    trees = trees or [export("HEAD", "HEAD")]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    wanted = {j for j in args.jobs.split(",") if j}
    all_jobs = jobs(sizes, wanted, args.xlsx_max)
    started = time.time()
    samples = measure(all_jobs, trees, args.repeat)
    text = table(samples, trees)
    load = os.getloadavg()
    print(text)
    print(
        f"\n{args.repeat} runs each, medians; {time.time() - started:.0f} s in all; load average "
        f"at the end {load[0]:.1f}; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs"
    )
    result = {
        "trees": [{"name": t.name, "rev": t.rev, "commit": t.commit} for t in trees],
        "samples": [
            {"figure": k, "rows": s, "tree": t, **v.__dict__, "exits": sorted(v.exits)}
            for (k, s, t), v in samples.items()
        ],
    }
    (CACHE / "perf.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
