"""Golden bytes of ``plan --offline --json`` and ``validate --json`` on agency-like calendars.

Issue 15 rewrites load, check and plan column-at-a-time; its results must not change. This test
generates small agency calendars (``bench/agency.py``, 2,000 rows, three shapes, fixed seed) and
compares the sha256 of each command's exact output with ``tests/data/perf_goldens.json``.

The calendars' times are in 2040, so ``now`` does not change a byte until then; the commands run
in the calendar's folder on relative paths, with ``--timezone UTC`` and without POSTIZ_* or
POSTSYNCER_* variables (the built-in sandbox's quota, offline); the temporary folder's path,
which media messages quote, is replaced by ``<tmp>`` before hashing.

After an intended change of output, regenerate and review the figures beside the hashes::

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_perf_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench import agency
from calendar_sched.cli import main

GOLDENS = Path(__file__).resolve().parent / "data" / "perf_goldens.json"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
ROWS = 2000
SEED = 15
#: (shape, format, command): every shape as CSV, the YAML and XLSX readers on one shape each.
CASES = [
    ("agency", "csv", "validate"),
    ("agency", "csv", "plan"),
    ("agency", "yaml", "plan"),
    ("dense", "csv", "validate"),
    ("dense", "csv", "plan"),
    ("faulty", "csv", "validate"),
    ("faulty", "csv", "plan"),
    ("faulty", "xlsx", "validate"),
]
_FORMATS = {shape: tuple(sorted({f for s, f, _ in CASES if s == shape})) for shape, _, _ in CASES}


@pytest.fixture(scope="module")
def calendars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agency")
    for shape, formats in _FORMATS.items():
        agency.write(root / shape, ROWS, seed=SEED, shape=shape, formats=formats)
    return root


def _run(calendars: Path, shape: str, kind: str, command: str) -> tuple[int, str]:
    argv = [command, f"calendar.{kind}", "--channels-file", "channels.json", "--timezone", "UTC"]
    if command == "plan":
        argv += ["--offline"]
    previous = Path.cwd()
    os.chdir(calendars / shape)
    try:
        result = CliRunner().invoke(main, [*argv, "--json"])
    finally:
        os.chdir(previous)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout.replace(str(calendars), "<tmp>")


def _figures(output: str) -> dict[str, Any]:
    data = json.loads(output)
    if "requests_detail" in data:
        return {"posts": len(data["posts"]), "requests": data["requests"]}
    return {"entries": data["entries"], "posts": data["posts"], "errors": len(data["errors"])}


@pytest.fixture(scope="module")
def goldens() -> dict[str, Any]:
    return json.loads(GOLDENS.read_text(encoding="utf-8")) if GOLDENS.exists() else {}


@pytest.mark.parametrize(("shape", "kind", "command"), CASES)
def test_output_bytes_match_the_golden_hash(
    calendars: Path,
    goldens: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    shape: str,
    kind: str,
    command: str,
) -> None:
    for name in ("POSTIZ_API_URL", "POSTIZ_API_KEY", "POSTSYNCER_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code, output = _run(calendars, shape, kind, command)
    figures = _figures(output)
    # The shapes mean what they say: the valid ones plan, the faulty one fails on its rows.
    assert code == (1 if shape == "faulty" else 0)
    assert (figures.get("errors", 0) > 0) == (shape == "faulty")
    case = f"{shape}-{kind}-{command}"
    seen = {
        "sha256": hashlib.sha256(output.encode("utf-8")).hexdigest(),
        "bytes": len(output.encode("utf-8")),
        "exit": code,
        **figures,
    }
    if UPDATE:
        stored = {**goldens, case: seen}
        GOLDENS.write_text(json.dumps(dict(sorted(stored.items())), indent=2) + "\n", "utf-8")
        goldens[case] = seen
        return
    assert case in goldens, f"no golden for {case}: run with UPDATE_SNAPSHOTS=1"
    assert seen == goldens[case]
