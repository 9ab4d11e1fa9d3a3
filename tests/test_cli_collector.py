"""The command line pauses the cyclic collector around reading, checking and planning only."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_sched.cli import collector_paused, main

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize("was_on", [True, False])
def test_collector_paused_restores_the_collector(was_on: bool) -> None:
    (gc.enable if was_on else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
            made = [[n] for n in range(50_000)]  # tracked objects, left young without the move
        assert gc.isenabled() is was_on
        # What was made is moved to the oldest generation unwalked: nothing is left young for
        # the next collection to walk at once.
        assert gc.get_count()[0] < 1_000
        assert len(made) == 50_000
    finally:
        gc.enable()


def test_collector_is_back_on_after_a_command_and_after_its_error(tmp_path: Path) -> None:
    gc.enable()
    runner = CliRunner()
    done = runner.invoke(main, ["validate", str(SAMPLES / "december.csv")])
    assert done.exit_code == 0, done.output
    assert gc.isenabled()
    broken = tmp_path / "broken.csv"
    broken.write_text('id,publish_at,channels,text\na,"2030-12-01 09:00,x,hi\n', encoding="utf-8")
    failed = runner.invoke(main, ["plan", str(broken), "--offline"])
    assert failed.exit_code != 0
    assert gc.isenabled()
