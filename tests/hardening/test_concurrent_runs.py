"""Two `run`s at once against one Postiz account stay within its quota together (#19 item 11).

Postiz counts ``POST /posts`` per organisation, whichever process sends them. Each run paces to
the account's whole budget, so without a shared ledger two runs started together each send a full
window's requests and the second half is refused (a 429 that locks the organisation out). Through
the ledger (one file-locked file per account in the user's state dir) they take turns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from calendar_sched.sandbox.server import RunningSandbox
from calendar_sched.targets.ledger import account_id

LIMIT = 4
ROWS = 6  # one request each: 12 counted requests for a limit of 4 per window


def test_two_runs_at_once_share_the_account_quota(
    sandbox_server_factory: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    sandbox = sandbox_server_factory(limit=LIMIT, window=2.0)
    state = tmp_path / "state"
    env = {
        **os.environ,
        "POSTIZ_API_URL": sandbox.url,
        "POSTIZ_API_KEY": sandbox.api_key,
        "CALENDAR_SCHED_STATE_DIR": str(state),
    }
    runs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        rows = [
            f"{name}{n},2030-03-{n + 2:02d},09:00,UTC,x,Run {name} post {n}" for n in range(ROWS)
        ]
        calendar = folder / f"{name}.csv"
        calendar.write_text("\n".join(["id,date,time,timezone,channels,text", *rows]) + "\n")
        command = [sys.executable, "-c", "from calendar_sched.cli import main; main()"]
        command += ["run", calendar.name, "--yes"]
        runs.append(
            subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        )
    outputs = [run.communicate(timeout=90)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    stats = sandbox.stats()
    assert stats["counted_requests"] == 2 * ROWS, stats
    assert (stats["rejected_429"], stats["lockouts"]) == (0, 0), stats
    assert stats["posts_created"] == 2 * ROWS
    # One ledger for the account, named by a digest: the key is in neither its name nor its text.
    ledgers = list((state / "quota").glob("*.json"))
    assert [path.stem for path in ledgers] == [account_id(sandbox.url, sandbox.api_key)]
    text = ledgers[0].read_text("utf-8")
    assert sandbox.api_key not in text
    assert json.loads(text)["api_url"] == sandbox.url
