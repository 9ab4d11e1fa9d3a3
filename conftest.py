"""Root pytest configuration: shared fixture modules are registered here."""

pytest_plugins: list[str] = ["tests.fixtures_sandbox"]
