"""calendar-sched: schedule a content calendar through the Postiz Public API, exactly once."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
