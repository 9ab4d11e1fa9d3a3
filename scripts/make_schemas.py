"""Write the JSON Schema of the calendar format to schemas/ (run after changing schema.py).

Usage: ``python scripts/make_schemas.py``
"""

from __future__ import annotations

import json
from pathlib import Path

from calendar_sched.load.schema import calendar_schema

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def render() -> dict[str, str]:
    """File name → text of every generated schema."""
    text = json.dumps(calendar_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return {"calendar.schema.json": text}


def main() -> None:
    """Write every schema file and say which."""
    SCHEMAS.mkdir(exist_ok=True)
    for name, text in render().items():
        (SCHEMAS / name).write_text(text, encoding="utf-8")
        print(SCHEMAS / name)


if __name__ == "__main__":
    main()
