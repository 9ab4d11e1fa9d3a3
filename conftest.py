"""Root pytest configuration: shared fixture modules and the hypothesis profile."""

from hypothesis import HealthCheck, settings

pytest_plugins: list[str] = ["tests.helpers.sandbox"]

# Machines here are shared and noisy: no property test may fail for being slow.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
