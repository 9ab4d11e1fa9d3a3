"""Reader benchmark: time ``calendar_sched.load.sources.read`` on generated calendars.

It writes one generated calendar (bench/generate.py, the project's CSV format) per format into
a temp dir, then for each file times ``read()`` (best of ``--repeat``, no tracing) and measures
the peak Python memory of one more read with tracemalloc. Memory should grow linearly with rows.

Usage: ``.venv/bin/python -m bench.bench_load [--rows 100000] [--formats csv,tsv,yaml,json]``
(add ``xlsx`` to include the workbook; openpyxl makes it the slowest by far).
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

from bench import generate
from calendar_sched.load.sources import read


def _rows(count: int) -> list[dict[str, str]]:
    return list(generate.rows(count))


def _write_csv(rows: list[dict[str, str]], path: Path, delimiter: str = ",") -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=generate.COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _document(rows: list[dict[str, str]]) -> dict[str, object]:
    return {
        "timezone": generate.TIMEZONE,
        "posts": [{k: v for k, v in r.items() if v} for r in rows],
    }


def _write_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("calendar")
    sheet.append(generate.COLUMNS)
    for row in rows:
        sheet.append([row.get(column) or None for column in generate.COLUMNS])
    workbook.save(path)


WRITERS: dict[str, tuple[str, Callable[[list[dict[str, str]], Path], None]]] = {
    "csv": (".csv", _write_csv),
    "tsv": (".tsv", lambda rows, path: _write_csv(rows, path, "\t")),
    "yaml": (
        ".yaml",
        lambda rows, path: path.write_text(
            yaml.safe_dump(_document(rows), sort_keys=False, allow_unicode=True), encoding="utf-8"
        ),
    ),
    "json": (
        ".json",
        lambda rows, path: path.write_text(json.dumps(_document(rows), indent=1), encoding="utf-8"),
    ),
    "xlsx": (".xlsx", _write_xlsx),
}


def measure(path: Path, repeat: int) -> tuple[int, float, int]:
    """(records, best seconds, peak traced bytes) of reading one file."""
    best = float("inf")
    records = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        loaded = read(path)
        best = min(best, time.perf_counter() - start)
        records = len(loaded.records)
        if loaded.problems:
            raise SystemExit(f"{path.name}: {loaded.problems[0].message}")
        del loaded
    gc.collect()
    tracemalloc.start()
    loaded = read(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del loaded
    return records, best, peak


def main() -> None:
    """Generate, read, print one line per format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,tsv,yaml,json")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = _rows(args.rows)
    print(f"rows: {args.rows:,}")
    print(f"{'format':<6} {'file MB':>8} {'read s':>8} {'rows/s':>10} {'peak MB':>8} {'B/row':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats.split(","):
            suffix, write = WRITERS[fmt]
            path = Path(folder) / f"calendar{suffix}"
            write(rows, path)
            records, seconds, peak = measure(path, args.repeat)
            assert records == args.rows, (fmt, records)
            size = path.stat().st_size / 1e6
            print(
                f"{fmt:<6} {size:>8.1f} {seconds:>8.2f} {records / seconds:>10,.0f} "
                f"{peak / 1e6:>8.1f} {peak / records:>7,.0f}"
            )


if __name__ == "__main__":
    main()
