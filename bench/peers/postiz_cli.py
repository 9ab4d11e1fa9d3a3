"""The official ``postiz`` CLI (npm ``postiz@2.1.0``) driven the way its README's "Batch
Scheduling" shows: a shell ``for`` loop, one ``postiz posts:create`` per calendar row.

The package is installed from the npm registry at benchmark time into ``bench/.cache/`` (never
committed), and pointed at the sandbox with ``POSTIZ_API_URL`` / ``POSTIZ_API_KEY``, its documented
variables. One row becomes one command: ``-c`` for the text and each thread item, ``-m`` for their
media (URLs passed as they are, local files first sent through ``postiz upload`` as its docs say),
``-s`` the UTC date, ``-i`` the row's channels, ``--settings`` the row's settings. The CLI sends
one text and one settings object to every ``-i`` channel, so channels of a row whose text or
settings differ get one command each. The CLI has no rate-limit handling: a 429 prints
"API Error (429)" and exits 1, and the loop goes on to the next row (a shell loop without
``set -e``), so that row is not scheduled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "2.1.0"


class NotRunnable(Exception):
    """The CLI cannot be installed or started here; the message says why."""


@dataclass
class Command:
    """One ``postiz posts:create`` invocation (one calendar row, or one part of a row)."""

    entry: str
    integrations: list[str]
    date: str
    values: list[dict[str, Any]]  # {"content", "media": [refs], "delay"}
    settings: dict[str, Any]
    post_type: str = "schedule"


@dataclass
class Outcome:
    """What one pass of the loop did."""

    ok: list[Command] = field(default_factory=list)
    rate_limited: list[Command] = field(default_factory=list)
    failed: list[tuple[Command, str]] = field(default_factory=list)
    processes: int = 0
    lockouts: int = 0


def install(cache_dir: Path) -> Path:
    """Install ``postiz@2.1.0`` under ``cache_dir`` (once) and return its entry script."""
    entry = cache_dir / "node_modules" / "postiz" / "dist" / "index.js"
    if entry.exists():
        return entry
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise NotRunnable("node/npm not found on PATH")
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(cache_dir),
                f"postiz@{VERSION}",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NotRunnable(f"npm install postiz@{VERSION} failed: {exc}") from exc
    if done.returncode != 0 or not entry.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise NotRunnable(f"npm install postiz@{VERSION} failed: {' / '.join(tail)}")
    return entry


def commands_from_rows(rows: list[dict[str, Any]]) -> list[Command]:
    """Group per-channel rows back into one command per calendar row (split where they differ)."""
    commands: dict[tuple[str, str, str, str], Command] = {}
    for row in rows:
        values = [{"content": row["content"], "media": row["media"], "delay": 0}]
        values += [
            {"content": item["content"], "media": item.get("media", []), "delay": item["delay"]}
            for item in row["thread"]
        ]
        settings = {k: v for k, v in row["settings"].items() if k != "__type"}
        key = (
            row["entry"],
            row["schedule_time"],
            json.dumps(values, sort_keys=True),
            json.dumps(settings, sort_keys=True),
        )
        if key in commands:
            commands[key].integrations.append(row["integration_id"])
        else:
            commands[key] = Command(
                row["entry"],
                [row["integration_id"]],
                row["schedule_time"],
                values,
                settings,
                row.get("type") or "schedule",
            )
    return list(commands.values())


class PostizCli:
    """Runs the installed CLI against one server."""

    def __init__(self, entry: Path, api_url: str, api_key: str, home: Path) -> None:
        self.entry = entry
        home.mkdir(parents=True, exist_ok=True)
        # A private HOME so stored OAuth credentials (which take priority) cannot interfere.
        self.env = {
            **os.environ,
            "POSTIZ_API_URL": api_url,
            "POSTIZ_API_KEY": api_key,
            "HOME": str(home),
        }
        self.processes = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.processes += 1
        return subprocess.run(
            ["node", str(self.entry), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def upload(self, path: str) -> str:
        """``postiz upload FILE``; returns the stored path."""
        done = self._run("upload", path)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        answer = json.loads(done.stdout[done.stdout.index("{") :])
        return str(answer["path"])

    def argv(self, command: Command) -> list[str]:
        """The ``posts:create`` arguments for one command, media already resolved."""
        args = ["posts:create"]
        with_media = any(value["media"] for value in command.values)
        for value in command.values:
            args += ["-c", value["content"]]
            if with_media:  # -m pairs with -c by position, so every item needs one
                args += ["-m", ",".join(value["media"])]
        delays = {v["delay"] for v in command.values[1:]}
        if delays and max(delays):
            args += ["-d", str(max(delays))]
        args += ["-s", command.date, "-i", ",".join(command.integrations)]
        args += ["-t", command.post_type]
        if command.settings:
            args += ["--settings", json.dumps(command.settings)]
        return args

    def create(self, command: Command) -> subprocess.CompletedProcess[str]:
        """Upload a command's local media (one upload per use), then run ``posts:create``."""
        for value in command.values:
            value["media"] = [m if "://" in m else self.upload(m) for m in value["media"]]
        return self._run(*self.argv(command))


def run_loop(cli: PostizCli, commands: list[Command]) -> Outcome:
    """One pass of the shell loop: every command once, failures noted, nothing retried."""
    outcome = Outcome()
    last_was_429 = False
    for command in commands:
        done = cli.create(command)
        if done.returncode == 0:
            outcome.ok.append(command)
            last_was_429 = False
        elif "API Error (429)" in done.stderr:
            outcome.rate_limited.append(command)
            if not last_was_429:
                outcome.lockouts += 1
            last_was_429 = True
        else:
            outcome.failed.append((command, done.stderr.strip()[-300:]))
    outcome.processes = cli.processes
    return outcome


def main() -> int:
    """Command line: run the loop over a JSON list of per-channel rows; counters to stderr."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="One `postiz posts:create` per calendar row.")
    parser.add_argument(
        "rows", type=Path, help="JSON list of per-channel rows (bench/peers/rows.py)"
    )
    parser.add_argument("--cache", type=Path, required=True, help="Where postiz is installed.")
    args = parser.parse_args()
    try:
        entry = install(args.cache)
    except NotRunnable as exc:
        print(json.dumps({"not_run": str(exc)}), file=sys.stderr)
        return 2
    cli = PostizCli(
        entry, os.environ["POSTIZ_API_URL"], os.environ["POSTIZ_API_KEY"], args.cache / "home"
    )
    commands = commands_from_rows(json.loads(args.rows.read_text(encoding="utf-8")))
    outcome = Outcome()
    last_was_429 = False
    for command in commands:
        one = run_loop(cli, [command])
        outcome.ok += one.ok
        outcome.failed += one.failed
        outcome.rate_limited += one.rate_limited
        if one.rate_limited and not last_was_429:
            outcome.lockouts += 1
        last_was_429 = bool(one.rate_limited) or (last_was_429 and not one.ok)
        print(f"{command.entry}: {'ok' if one.ok else 'failed'}", flush=True)
    summary = {
        "commands": len(commands),
        "ok": len(outcome.ok),
        "rate_limited": len(outcome.rate_limited),
        "failed": len(outcome.failed),
        "lockouts": outcome.lockouts,
        "processes": cli.processes,
    }
    print(json.dumps(summary), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
