"""Start-up of ``validate`` and ``plan --offline``: they load no library only other paths need
(issue 15).

``validate FILE.csv`` needs neither pydantic (channel lists of plain JSON are read without it),
nor httpx (no account is opened without POSTIZ_API_URL), nor filelock (only ``run`` locks), nor
PyYAML (only YAML calendars and channel lists need it), nor the sandbox's server stack. A fresh
process runs the command and reports what it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from calendar_sched.errors import InputError
from calendar_sched.load.channels import demo_channels, parse_channels, validate_channels
from calendar_sched.models import Channel

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydantic", "httpx", "filelock", "starlette", "uvicorn", "pandas", "openpyxl", "yaml")
PROBE = """
import json, sys
from calendar_sched.cli import main
try:
    main(sys.argv[1:], prog_name="calendar-sched")
except SystemExit as exit:
    code = exit.code
loaded = sorted(m for m in sys.modules if "." not in m)
ours = sorted(m for m in sys.modules if m.startswith("calendar_sched."))
print(json.dumps({"exit": code, "loaded": loaded, "ours": ours}))
"""
CALENDAR = (
    "id,publish_at,channels,text\na,2040-12-01 09:00,telegram,Hello\nb,2040-12-02 09:00,x,Hi\n"
)
CHANNELS = [
    {"id": "t1", "name": "Telegram", "identifier": "telegram", "picture": None, "extra": 1},
    {"id": "x1", "name": "X", "identifier": "x", "profile": "acme", "disabled": False,
     "customer": {"id": "c1", "name": "Acme"}},
]  # fmt: skip


def _imported(tmp_path: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTIZ_", "POSTSYNCER_"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("channels_file", [False, True])
def test_validate_of_a_csv_imports_no_heavy_library(tmp_path: Path, channels_file: bool) -> None:
    (tmp_path / "cal.csv").write_text(CALENDAR, encoding="utf-8")
    args = ["validate", "cal.csv", "--timezone", "UTC"]
    if channels_file:
        (tmp_path / "channels.json").write_text(json.dumps(CHANNELS), encoding="utf-8")
        args += ["--channels-file", "channels.json"]
    seen = _imported(tmp_path, *args)
    assert seen["exit"] == 0
    assert "calendar_sched" in seen["loaded"]  # the probe really ran the command
    assert [name for name in HEAVY if name in seen["loaded"]] == []
    # nor the run side: the journal, the planner, the executor
    assert [
        m
        for m in seen["ours"]
        if m.startswith(
            ("calendar_sched.run.journal", "calendar_sched.run.executor", "calendar_sched.plan")
        )
    ] == []


def test_an_offline_plan_opens_no_http_client(tmp_path: Path) -> None:
    """``plan --offline`` sizes and packs requests but sends none: httpx loads with a client."""
    (tmp_path / "cal.csv").write_text(CALENDAR, encoding="utf-8")
    seen = _imported(tmp_path, "plan", "cal.csv", "--timezone", "UTC", "--offline")
    assert seen["exit"] == 0
    assert "calendar_sched.plan.planner" in seen["ours"]  # it really planned
    assert [name for name in HEAVY if name in seen["loaded"]] == []


def test_plain_channel_lists_read_as_pydantic_reads_them() -> None:
    adapter = TypeAdapter(list[Channel])
    raw = json.loads(
        (ROOT / "calendar_sched" / "data" / "demo_channels.json").read_text(encoding="utf-8")
    )
    for items in (raw, CHANNELS, []):
        assert validate_channels(items) == adapter.validate_python(items)
    assert demo_channels() == adapter.validate_python(raw)
    read = validate_channels(CHANNELS)
    assert read[1].customer == CHANNELS[1]["customer"]
    assert read[1].customer is not CHANNELS[1]["customer"]  # a copy, as pydantic makes


def test_other_channel_lists_are_still_coerced_or_refused_by_pydantic() -> None:
    loose = [{"id": "t1", "name": "T", "identifier": "telegram", "disabled": "true"}]
    assert validate_channels(loose)[0].disabled is True
    with pytest.raises(ValidationError):
        validate_channels([{"id": 5, "name": "T"}])
    with pytest.raises(InputError, match=r"channel 0\.identifier: Field required"):
        parse_channels([{"id": "t1", "name": "T"}], "channels file c.json")
