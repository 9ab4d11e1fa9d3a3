"""Regenerate the sample calendars and images from ``december.csv`` (the one hand-edited file).

    python samples/make_samples.py

Writes ``december.xlsx`` (real Excel dates and times) and ``december.yaml`` (nested YAML with
``timezone:``, ``defaults:`` and ``posts:``) with the same content as the CSV, and the small PNG
images in ``media/`` that the calendar refers to. Run it after editing the CSV.
"""

from __future__ import annotations

import csv
import math
import struct
import sys
import zlib
from collections import Counter
from datetime import date, time
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from calendar_sched.load.sources import read  # noqa: E402

LIST_KEYS = ("channels", "media", "tags")
SPLIT = {"channels": ",", "media": "|", "tags": ","}

# name: (top colour, bottom colour, shape colour, shape)
IMAGES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int], str]] = {
    "advent": ((120, 20, 30), (40, 10, 15), (240, 200, 90), "star"),
    "grinder": ((60, 60, 66), (20, 20, 24), (200, 200, 205), "cylinder"),
    "latte-art": ((230, 210, 180), (170, 120, 80), (250, 245, 235), "heart"),
    "workshop": ((70, 90, 110), (30, 40, 50), (230, 160, 60), "gear"),
    "kettle": ((20, 20, 20), (60, 60, 60), (180, 180, 185), "cylinder"),
    "pour-over": ((245, 240, 230), (200, 180, 150), (120, 70, 40), "cone"),
    "gift": ((20, 90, 60), (10, 50, 30), (220, 40, 50), "box"),
    "beans": ((90, 55, 30), (40, 22, 10), (150, 95, 55), "beans"),
    "new-year": ((10, 15, 50), (0, 0, 10), (250, 220, 120), "star"),
}


def png(width: int, height: int, pixel: Any) -> bytes:
    """A truecolour PNG from ``pixel(x, y) -> (r, g, b)``, with stdlib zlib only."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def _inside(shape: str, x: float, y: float) -> bool:
    # x, y in [-1, 1], centred.
    if shape == "star":
        angle = math.atan2(y, x)
        return math.hypot(x, y) < 0.35 + 0.25 * math.cos(5 * angle)
    if shape == "cylinder":
        return abs(x) < 0.35 and abs(y) < 0.6 or math.hypot(x / 0.35, (y + 0.6) / 0.12) < 1
    if shape == "heart":
        y = -y
        return (x * x + y * y - 0.25) ** 3 - x * x * y**3 < 0
    if shape == "gear":
        angle = math.atan2(y, x)
        radius = 0.55 + (0.12 if math.cos(8 * angle) > 0 else 0)
        return 0.2 < math.hypot(x, y) < radius
    if shape == "cone":
        return -0.5 < y < 0.4 and abs(x) < 0.55 * (0.4 - y) / 0.9 + 0.1
    if shape == "box":
        return abs(x) < 0.5 and -0.3 < y < 0.6 or abs(x) < 0.06 or abs(y - 0.1) < 0.05
    if shape == "beans":
        centres = ((-0.4, -0.2), (0.3, -0.3), (0.0, 0.35), (0.5, 0.4), (-0.5, 0.45))
        return any(math.hypot((x - cx) / 0.22, (y - cy) / 0.14) < 1 for cx, cy in centres)
    return False


def make_image(name: str, width: int = 240, height: int = 180) -> bytes:
    """One sample picture: a vertical gradient with a simple shape in the middle."""
    top, bottom, colour, shape = IMAGES[name]
    rows = []
    for y in range(height):
        t = y / (height - 1)
        rows.append(tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))

    def pixel(x: int, y: int) -> tuple[int, ...]:
        u = (x - width / 2) / (height / 2)
        v = (y - height / 2) / (height / 2)
        return colour if _inside(shape, u, v) else rows[y]

    return png(width, height, pixel)


def _rows(csv_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    loaded = read(csv_path)
    problems = [p for p in loaded.problems if p.severity == "error"]
    if problems:
        raise SystemExit(f"{csv_path}: {problems[0].message}")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    return header, [dict(record.cells) for record in loaded.records]


def write_xlsx(header: list[str], rows: list[dict[str, str]], path: Path) -> None:
    """The calendar as a workbook, with real Excel dates and times."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "December 2026"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values: list[Any] = []
        for column in header:
            value: Any = row.get(column)
            if column == "date" and value:
                value = date.fromisoformat(value)
            elif column == "time" and value:
                value = time.fromisoformat(value)
            values.append(value)
        sheet.append(values)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, time):
                cell.number_format = "hh:mm"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {"text": 60, "text.x": 40, "channels": 30, "thread.1": 30, "thread.2": 30}
    for index, column in enumerate(header, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(column, 14)
    sheet.freeze_panes = "B2"
    workbook.properties.creator = "calendar-sched samples"
    workbook.save(path)


def yaml_document(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The nested YAML shape: file timezone, defaults shared by all rows, one item per row."""
    zones = Counter(row.get("timezone") for row in rows)
    zone = zones.most_common(1)[0][0]
    keys = {key for row in rows for key in row} - {"timezone"}
    shared = {
        key: rows[0][key]
        for key in sorted(keys)
        if all(key in row and row[key] == rows[0][key] for row in rows)
    }
    posts = [_item(row, zone, shared) for row in rows]
    return {"timezone": zone, "defaults": _nest(shared), "posts": posts}


def _item(row: dict[str, str], zone: str | None, shared: dict[str, str]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in shared}
    item: dict[str, Any] = {"id": flat.pop("id")}
    item["publish_at"] = f"{flat.pop('date')} {flat.pop('time')}"
    if flat.get("timezone") == zone:
        flat.pop("timezone")
    elif "timezone" in flat:
        item["timezone"] = flat.pop("timezone")
    item.update(_nest(flat))
    return item


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    texts = {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith("text.")}
    numbered = [(int(k.split(".", 1)[1]), v) for k, v in flat.items() if k.startswith("thread.")]
    for key, value in flat.items():
        if key == "text":
            out["text"] = {"default": value, **texts} if texts else value
            if numbered:
                out["thread"] = [text for _, text in sorted(numbered)]
        elif key in LIST_KEYS:
            out[key] = [part.strip() for part in value.split(SPLIT[key]) if part.strip()]
        elif key.startswith("settings."):
            _, ident, name = key.split(".", 2)
            out.setdefault("settings", {}).setdefault(ident, {})[name] = value
        elif not key.startswith(("text.", "thread.")):
            out[key] = value
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = ">" if len(value) > 70 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(item, str) and len(item) < 40 for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def write_yaml(rows: list[dict[str, str]], path: Path) -> None:
    """The calendar as nested YAML."""
    body = yaml.dump(
        yaml_document(rows),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=96,
        default_flow_style=False,
    )
    banner = (
        "# Acme's December 2026 content calendar (same content as december.csv and .xlsx).\n"
        "# Generated by make_samples.py from december.csv: edit the CSV, then run it again.\n"
    )
    spaced = body.replace("\n- id:", "\n\n- id:")
    path.write_text(banner + spaced, encoding="utf-8")


def main() -> None:
    """Write the images, the XLSX and the YAML next to this script."""
    media = HERE / "media"
    media.mkdir(exist_ok=True)
    for name in IMAGES:
        (media / f"{name}.png").write_bytes(make_image(name))
    header, rows = _rows(HERE / "december.csv")
    write_xlsx(header, rows, HERE / "december.xlsx")
    write_yaml(rows, HERE / "december.yaml")
    print(f"wrote {len(rows)} entries, {len(IMAGES)} images")


if __name__ == "__main__":
    main()
