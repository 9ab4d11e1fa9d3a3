"""Golden snapshots of the CLI: every ``--help`` page, and the shape of every ``--json`` output.

What is checked:

* ``tests/snapshots/help/<path>.txt``: ``calendar-sched --help`` and ``<cmd> --help`` of every
  command and subcommand, byte for byte, at a fixed terminal width of 100. The click group is
  walked recursively, so a new command without a snapshot fails, and so does a snapshot whose
  command is gone.
* ``tests/snapshots/json/<scenario>.json``: the arguments, the exit code and the *shape* of one
  ``--json`` output on the samples: object keys and value types, recursively, with a list
  standing for the union of its items' shapes (keys not in every item end in ``?``); values such
  as times and ids are not compared. Every command with a ``--json`` option must have a scenario.
  The output must also be exactly ``json.dumps(data, indent=2, ensure_ascii=False)``.
* ``tests/snapshots/json/validate-broken-csv.rows.json``: the exact ``(row, code)`` list of
  ``validate --json`` on ``samples/broken.csv``.

The scenarios run in a temporary directory holding a copy of ``samples/`` whose dates are moved
forward by a multiple of 28 years (weekdays and DST dates stay the same), so no publish time is
ever in the past and the shapes do not depend on today's date. ``december-again.csv`` there is
``december.csv`` under new ids, so that ``plan --check-existing`` lists duplicates of the posts
``run`` scheduled. ``run``, ``status``, ``export``, ``pull``, ``channels`` and
``plan --check-existing`` use the embedded sandbox of that directory (no POSTIZ_* / POSTSYNCER_*
variables), as a user without an account would; ``run`` paces to 500 requests per hour, so it
never waits.

To regenerate the snapshots after an intended change, run::

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py

then review ``git diff tests/snapshots`` and commit it with the change.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import openpyxl
import pytest
from click.testing import CliRunner, Result

from calendar_sched.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
HELP_DIR = SNAPSHOTS / "help"
JSON_DIR = SNAPSHOTS / "json"
ROWS_FILE = JSON_DIR / "validate-broken-csv.rows.json"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

PROG = "calendar-sched"
WIDTH = 100

#: Every variable that points the CLI at an account is removed (None) so the sandbox is used.
ENV: dict[str, str | None] = {
    "POSTIZ_API_URL": None,
    "POSTIZ_API_KEY": None,
    "POSTSYNCER_API_TOKEN": None,
    "POSTSYNCER_API_URL": None,
    "POSTSYNCER_UPLOAD_URL": None,
    "COLUMNS": str(WIDTH),
    "TZ": "UTC",
}


def invoke(args: list[str]) -> Result:
    """``calendar-sched ARGS`` in-process, at a terminal width of 100, without an account."""
    return CliRunner().invoke(main, args, env=ENV, prog_name=PROG, terminal_width=WIDTH)


def check_or_update(path: Path, actual: bytes) -> None:
    """Compare ``actual`` with the snapshot at ``path`` (or write it under UPDATE_SNAPSHOTS=1)."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path.relative_to(ROOT)}; run with UPDATE_SNAPSHOTS=1 to make it")
    expected = path.read_bytes()
    if actual != expected:
        # the text comparison shows a readable diff
        assert actual.decode("utf-8", "replace") == expected.decode("utf-8", "replace")
        assert actual == expected


def dump(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --help


def command_paths() -> list[tuple[str, ...]]:
    """Every command path under ``main``: () for the group itself, then each (sub)command."""
    found: list[tuple[str, ...]] = []

    def walk(command: click.Command, ctx: click.Context, path: tuple[str, ...]) -> None:
        found.append(path)
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{' '.join((PROG, *path, name))} does not load"
                walk(sub, click.Context(sub, info_name=name, parent=ctx), (*path, name))

    walk(main, click.Context(main, info_name=PROG), ())
    return found


def find_command(path: tuple[str, ...]) -> click.Command:
    ctx = click.Context(main, info_name=PROG)
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None
        ctx = click.Context(sub, info_name=name, parent=ctx)
        command = sub
    return command


def help_file(path: tuple[str, ...]) -> Path:
    return HELP_DIR / ("_".join((PROG, *path)) + ".txt")


COMMAND_PATHS = command_paths()


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join((PROG, *p)))
def test_help_is_unchanged(path: tuple[str, ...]) -> None:
    result = invoke([*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.stderr_bytes == b""
    check_or_update(help_file(path), result.stdout_bytes)


def test_every_help_snapshot_has_a_command() -> None:
    wanted = {help_file(p).name for p in COMMAND_PATHS}
    stale = sorted(p.name for p in HELP_DIR.glob("*.txt") if p.name not in wanted)
    if UPDATE:
        for name in stale:
            (HELP_DIR / name).unlink()
        return
    assert not stale, f"help snapshots of commands that no longer exist: {stale}"


# --json shapes


def shape(value: Any) -> Any:
    """The keys and value types of ``value``, recursively; a list is the merge of its items."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = shape(item) if merged is None else merge(merged, shape(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    raise TypeError(f"not a JSON value: {value!r}")


def merge(a: Any, b: Any) -> Any:
    """One shape covering ``a`` and ``b``: keys missing on one side end in ``?``."""
    if a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        left = {key.removesuffix("?"): (item, key.endswith("?")) for key, item in a.items()}
        right = {key.removesuffix("?"): (item, key.endswith("?")) for key, item in b.items()}
        out: dict[str, Any] = {}
        for key in sorted({*left, *right}):
            if key in left and key in right:
                item = merge(left[key][0], right[key][0])
                optional = left[key][1] or right[key][1]
            else:
                item, optional = (left.get(key) or right[key])[0], True
            out[key + ("?" if optional else "")] = item
        return out
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return a or b
        return [merge(a[0], b[0])]
    alternatives = {
        json.dumps(x, sort_keys=True): x for x in (*_alternatives(a), *_alternatives(b))
    }
    if all(isinstance(x, str) for x in alternatives.values()):
        return " | ".join(sorted(alternatives.values()))
    return {"anyOf": [alternatives[k] for k in sorted(alternatives)]}


def _alternatives(s: Any) -> list[Any]:
    if isinstance(s, str):
        return s.split(" | ")
    if isinstance(s, dict) and set(s) == {"anyOf"}:
        return list(s["anyOf"])
    return [s]


@dataclass(frozen=True)
class Scenario:
    """One command line run in the work directory; ``{year}`` is the first sample year, moved."""

    name: str
    args: tuple[str, ...]
    exit_code: int = 0
    has_json: bool = True

    def argv(self, year: int) -> list[str]:
        return [
            arg.replace("{year}", str(year)).replace("{next}", str(year + 1)) for arg in self.args
        ]


CHANNELS = ("--channels-file", "samples/channels.json")
#: december.csv under new ids: every post repeats one ``run`` scheduled (``existing.duplicates``).
AGAIN = "december-again.csv"

#: In order: the ones after ``run`` see its journal and the sandbox's posts.
SCENARIOS = [
    Scenario("validate-december-csv", ("validate", "samples/december.csv", *CHANNELS, "--json")),
    Scenario("validate-december-xlsx", ("validate", "samples/december.xlsx", *CHANNELS, "--json")),
    Scenario("validate-december-yaml", ("validate", "samples/december.yaml", *CHANNELS, "--json")),
    Scenario(
        "validate-hootsuite-csv",
        (
            "validate",
            "samples/hootsuite.csv",
            *CHANNELS,
            "--default-channels",
            "x, bluesky",
            "--timezone",
            "Europe/Berlin",
            "--json",
        ),
    ),
    Scenario("validate-demo-channels", ("validate", "samples/december.csv", "--json")),
    Scenario(
        "validate-broken-csv", ("validate", "samples/broken.csv", *CHANNELS, "--json"), exit_code=1
    ),
    Scenario("plan-offline", ("plan", "samples/december.csv", *CHANNELS, "--offline", "--json")),
    Scenario(
        "plan-invalid",
        ("plan", "samples/broken.csv", *CHANNELS, "--offline", "--json"),
        exit_code=1,
    ),
    Scenario("status-no-journal", ("status", "samples/december.csv", "--json")),
    Scenario("channels-file", ("channels", *CHANNELS, "--json")),
    Scenario("channels-sandbox", ("channels", "--json")),
    Scenario(
        "run",
        ("run", "samples/december.csv", "--limit", "500", "--window", "3600"),
        has_json=False,
    ),
    Scenario("status-after-run", ("status", "samples/december.csv", "--json")),
    Scenario("plan-check-existing", ("plan", "samples/december.csv", "--check-existing", "--json")),
    Scenario(
        "plan-duplicates",
        ("plan", f"samples/{AGAIN}", "--check-existing", "--json"),
    ),
    Scenario(
        "export-csv", ("export", "samples/december.csv", "--to", "out/december.csv", "--json")
    ),
    Scenario(
        "export-per-post-json",
        ("export", "samples/december.csv", "--per-post", "--to", "out/posts.json", "--json"),
    ),
    Scenario(
        "export-refresh-xlsx",
        ("export", "samples/december.csv", "--refresh", "--to", "out/december.xlsx", "--json"),
    ),
    Scenario(
        "pull",
        (
            "pull",
            "--from",
            "{year}-12-01",
            "--to",
            "{next}-01-31",
            "--out",
            "out/pulled.yaml",
            "--json",
        ),
    ),
]
JSON_SCENARIOS = [s for s in SCENARIOS if s.has_json]

_ISO_YEAR = re.compile(r"\b(20\d\d)(?=-\d\d-\d\d)")
_US_YEAR = re.compile(r"(?<=\b\d\d/\d\d/)(20\d\d)\b")

#: The samples' first year: their dates are in its December and the next New Year.
SAMPLE_YEAR = min(
    int(year) for year in _ISO_YEAR.findall((SAMPLES / "december.csv").read_text("utf-8"))
)


def year_shift(today: date) -> int:
    """Whole 28-year cycles that put every sample date at least a year after ``today``."""
    cycles = max(1, -(-(today.year + 2 - SAMPLE_YEAR) // 28))
    return 28 * cycles


def copy_samples(target: Path, shift: int) -> None:
    """``samples/`` into ``target`` with every year moved by ``shift``."""
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns("*.journal.jsonl", "*.py"))

    def move(match: re.Match[str]) -> str:
        return str(int(match.group(1)) + shift)

    for path in [*target.glob("*.csv"), *target.glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        text = _US_YEAR.sub(move, _ISO_YEAR.sub(move, text))
        path.write_text(text, encoding="utf-8")
    for path in target.glob("*.xlsx"):
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, datetime | date):
                        cell.value = cell.value.replace(year=cell.value.year + shift)
                    elif isinstance(cell.value, str):
                        cell.value = _US_YEAR.sub(move, _ISO_YEAR.sub(move, cell.value))
        book.save(path)
    with (target / "december.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    for row in rows[1:]:
        row[0] = f"again-{row[0]}"
    with (target / AGAIN).open("w", encoding="utf-8", newline="") as again:
        csv.writer(again).writerows(rows)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    """Every scenario run once, in order, in a work directory with the moved samples."""
    work = tmp_path_factory.mktemp("snapshots")
    shift = year_shift(date.today())
    copy_samples(work / "samples", shift)
    (work / "out").mkdir()
    done: dict[str, Result] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)  # the embedded sandbox keeps its state in ./.calendar-sched
        for scenario in SCENARIOS:
            done[scenario.name] = invoke(scenario.argv(SAMPLE_YEAR + shift))
        yield done


def test_every_json_option_has_a_scenario() -> None:
    with_json = {
        path
        for path in COMMAND_PATHS
        if any("--json" in getattr(p, "opts", ()) for p in find_command(path).params)
    }
    missing = [
        path
        for path in sorted(with_json)
        if not any(s.args[: len(path)] == path for s in JSON_SCENARIOS)
    ]
    assert not missing, f"add a --json scenario for: {missing}"


def test_run_succeeds(outputs: dict[str, Result]) -> None:
    result = outputs["run"]
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("scenario", JSON_SCENARIOS, ids=lambda s: s.name)
def test_json_shape_is_unchanged(scenario: Scenario, outputs: dict[str, Result]) -> None:
    result = outputs[scenario.name]
    assert result.exit_code == scenario.exit_code, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    snapshot = {"args": list(scenario.args), "exit_code": result.exit_code, "shape": shape(data)}
    check_or_update(JSON_DIR / f"{scenario.name}.json", dump(snapshot))


def test_every_json_snapshot_has_a_scenario() -> None:
    wanted = {f"{s.name}.json" for s in JSON_SCENARIOS} | {ROWS_FILE.name}
    stale = sorted(p.name for p in JSON_DIR.glob("*.json") if p.name not in wanted)
    if UPDATE:
        for name in stale:
            (JSON_DIR / name).unlink()
        return
    assert not stale, f"JSON snapshots of scenarios that no longer exist: {stale}"


def test_broken_csv_rows_and_codes(outputs: dict[str, Result]) -> None:
    data = json.loads(outputs["validate-broken-csv"].stdout)
    rows = {
        "errors": [[e["row"], e["code"]] for e in data["errors"]],
        "warnings": [[w["row"], w["code"]] for w in data["warnings"]],
    }
    check_or_update(ROWS_FILE, dump(rows))
