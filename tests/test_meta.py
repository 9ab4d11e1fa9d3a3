"""Meta-tests that keep the package surface honest."""

import calendar_sched
from calendar_sched.report import CATALOGUE


def test_all_is_sorted_and_complete() -> None:
    assert calendar_sched.__all__ == sorted(calendar_sched.__all__)
    for name in calendar_sched.__all__:
        assert hasattr(calendar_sched, name), name


def test_catalogue_codes_are_kebab_case() -> None:
    for code in CATALOGUE:
        assert code == code.lower() and " " not in code and "_" not in code, code
