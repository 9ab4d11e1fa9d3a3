"""Root pytest configuration: shared fixture modules and the hypothesis profile."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins: list[str] = ["tests.helpers.sandbox"]

# Machines here are shared and noisy: no property test may fail for being slow.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quota ledgers of test runs go to the test's own folder, never the user's state dir."""
    monkeypatch.setenv("CALENDAR_SCHED_STATE_DIR", str(tmp_path / "state"))
