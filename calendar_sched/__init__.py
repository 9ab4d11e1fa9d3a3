"""calendar-sched: schedule a content calendar through the Postiz Public API, exactly once.

The public names load on first use, so commands that need little (``sandbox serve``) start fast.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from calendar_sched.executor import RunResult, execute
    from calendar_sched.export import export_rows
    from calendar_sched.journal import Journal
    from calendar_sched.planner import Plan, plan
    from calendar_sched.pull import pull_calendar
    from calendar_sched.validate import ValidateOptions, Validation, validate

_LAZY = {
    "Journal": "calendar_sched.journal",
    "Plan": "calendar_sched.planner",
    "RunResult": "calendar_sched.executor",
    "ValidateOptions": "calendar_sched.validate",
    "Validation": "calendar_sched.validate",
    "execute": "calendar_sched.executor",
    "export_rows": "calendar_sched.export",
    "plan": "calendar_sched.planner",
    "pull_calendar": "calendar_sched.pull",
    "validate": "calendar_sched.validate",
}

__all__ = [
    "Journal",
    "Plan",
    "RunResult",
    "ValidateOptions",
    "Validation",
    "__version__",
    "execute",
    "export_rows",
    "plan",
    "pull_calendar",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'calendar_sched' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """Keeps ``calendar_sched.validate`` the function when the submodule of that name loads.

    The import system binds each loaded submodule on its package; for ``validate`` that would
    hide the public function behind the module of the same name.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _LAZY.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
