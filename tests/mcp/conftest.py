"""The MCP server under test: a subprocess in a scratch folder, against the embedded sandbox."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def server_env(home: Path) -> dict[str, str]:
    """The environment without any account, so the built-in sandbox is the target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTIZ_", "POSTSYNCER_"))}
    env["CALENDAR_SCHED_STATE_DIR"] = str(home / "state")
    return env


def server_command() -> list[str]:
    """The ``calendar-sched mcp`` command of this checkout."""
    return [str(Path(sys.executable).parent / "calendar-sched"), "mcp"]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch working directory holding the sample month and its media."""
    shutil.copy(ROOT / "samples" / "december.csv", tmp_path / "december.csv")
    shutil.copytree(ROOT / "samples" / "media", tmp_path / "media")
    return tmp_path
