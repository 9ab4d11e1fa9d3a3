"""Page test helpers: calendar copies shifted to the future, a page's model, opening a page."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).parents[2] / "samples"
#: The samples are December 2026; the copies are moved to December 2030, ahead of any clock.
SHIFT = ("2026-12-", "2030-12-")


def shifted_copy(name: str, folder: Path) -> Path:
    """``samples/<name>`` (and its media folder) copied into ``folder``, dates moved to 2030."""
    shutil.copytree(SAMPLES / "media", folder / "media", dirs_exist_ok=True)
    text = (SAMPLES / name).read_text(encoding="utf-8")
    target = folder / name
    target.write_text(text.replace("," + SHIFT[0], "," + SHIFT[1]), encoding="utf-8")
    return target


def page_model(path: Path) -> dict[str, Any]:
    """The JSON model a page embeds for its script."""
    html = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None, "the page has no data block"
    model: dict[str, Any] = json.loads(found.group(1))
    return model


def open_page(driver: Any, path: Path, *, within: float = 10.0) -> float:
    """Open ``path`` and wait until its script has built the grid; returns the seconds taken."""
    driver.get_log("browser")  # drop what an earlier page logged
    started = time.monotonic()
    driver.get(path.as_uri())
    while driver.execute_script("return document.body && document.body.dataset.ready") != "true":
        assert time.monotonic() - started < within, f"{path.name} did not finish in {within} s"
        time.sleep(0.02)
    return time.monotonic() - started


def console_errors(driver: Any) -> list[dict[str, Any]]:
    """The browser console's errors since the page opened (CSP violations included)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
