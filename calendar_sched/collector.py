"""Pausing Python's cyclic garbage collector around a burst of allocations."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without cyclic collections; what it made then skips the young scans.

    Validation and planning make millions of objects and few reference cycles (those of caught
    exceptions): the collector would scan the growing heap again and again, at 100k rows most of
    the run time. Cycles are collected once it resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # Move what the block made to the oldest generation without a scan (freeze then
            # unfreeze does just that); otherwise the first young collection would traverse
            # every one of those objects, twice over. Nobody else's frozen objects are thawed.
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
