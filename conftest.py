"""Root pytest configuration: shared fixture modules and the hypothesis profile."""

from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _shared_empties_stay_empty() -> Iterator[None]:
    """Normalised Entries share empty containers (``load/normalize.py``), and YAML lists their
    items' key lines and spans (``load/sources/yaml_events.py``): no code, and no test, may fill
    one in place, or every Entry without media (or tags, …) would change."""
    yield
    from calendar_sched.load import normalize
    from calendar_sched.load.sources import yaml_events

    shared = {
        f"{module.__name__}.{name}": value
        for module in (normalize, yaml_events)
        for name, value in vars(module).items()
        if name.startswith("_NO_") and isinstance(value, list | dict)
    }
    assert len(shared) == 7, sorted(shared)
    changed = [name for name, value in shared.items() if value]
    assert not changed, f"changed in place: {changed}"
