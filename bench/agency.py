"""Agency-like calendars for the performance bench and the golden tests (deterministic per seed).

An agency plans for many clients at once. Each client has 20–30 channels of its own (several
accounts per platform: the brand, regions, sub-brands) in its own timezone, and posts on a few
shared daily slots, so many rows share a publish instant. About a third of the rows carry one to
three images (small real PNG files written once into ``media/`` beside the calendar, some rows an
https URL instead), a share has follow-up thread items, and a share has per-platform texts (a short
X and Bluesky text beside a long one, a LinkedIn variant).

A calendar is written into a folder: ``calendar.csv`` (and ``calendar.yaml``, ``calendar.xlsx``
on request), ``channels.json`` (its own channel list in the ``GET /integrations`` shape, for
``--channels-file``) and ``media/``. The ``shape`` picks the mix:

- ``agency``: the mix above, every row valid.
- ``dense``: few slots, many channels per row and long threads (big requests, bin packing).
- ``faulty``: the ``agency`` mix with about 3 % of rows broken in the usual ways (unknown
  channel, bad date, X text too long, missing media file, Instagram without media, id twice).

Usage: ``python -m bench.agency --rows 100000 --out bench/.cache/agency/100k --formats csv,yaml``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

#: Far enough ahead that no generated time is ever in the past for the goldens' lifetime.
FIRST_DAY = date(2040, 1, 2)
SHAPES = ("agency", "dense", "faulty")
ZONES = ("Europe/Berlin", "America/New_York", "Europe/London", "Asia/Tokyo", "UTC")
IMAGES_PER_CLIENT = 8
#: Platforms with no required media or setting without a safe default; Instagram needs media.
PLATFORMS = ("x", "linkedin", "linkedin-page", "facebook", "threads", "bluesky", "mastodon",
             "telegram", "instagram")  # fmt: skip
#: 280, 300, 500 and 500 characters: a long text needs its own text for these.
_SHORT = {"x", "bluesky", "threads", "mastodon"}
_REGIONS = ("global", "de", "fr", "uk", "us", "es", "it", "nl", "jobs", "support", "news",
            "events", "shop", "labs", "careers")  # fmt: skip
_BRANDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
           "Cyberdyne", "Soylent", "Vandelay", "Wonka", "Gringotts", "Oscorp", "Aperture",
           "Monarch")  # fmt: skip
_OPENERS = ("New on the blog:", "Tip of the day:", "Behind the scenes:", "Customer story:",
            "Did you know?", "This week:", "Quick win:", "From the team:", "Save the date:",
            "Fresh in the shop:", "Ask us anything:", "Hot off the press:")  # fmt: skip
_TOPICS = ("faster onboarding", "our spring release", "remote rituals", "pricing made simple",
           "the roadmap", "support hours", "a new integration", "security basics",
           "the hiring plan", "office plants", "the summer sale", "our Berlin meetup",
           "café culture ☕", "zero-waste packaging 🌱", "the customer awards")  # fmt: skip
_CLOSERS = ("Read more on our site.", "Tell us what you think.", "More soon.",
            "Questions welcome.", "Share it with your team.", "Link in bio.",
            "See you there! 🎉", "Details: https://example.com/news")  # fmt: skip
_FILLER = ("We spent the last quarter talking to the people who use our products every day, and "
           "what we heard changed how we plan the next one. Here is what we learned, what we are "
           "changing, and what stays exactly as it is because you told us it works. ")  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """How a calendar mixes its rows."""

    slots: tuple[str, ...]
    channel_counts: tuple[int, ...]  # drawn uniformly: channels per row
    media_share: float
    thread_share: float
    long_share: float  # long text with short per-platform texts beside it
    variant_share: float  # a per-platform LinkedIn/X variant of a normal text
    thread_items: tuple[int, ...]
    fault_share: float = 0.0


_SHAPES = {
    "agency": Shape(
        slots=("08:00", "09:00", "10:30", "12:00", "13:00", "15:00", "17:00", "18:30", "20:00"),
        channel_counts=(1, 1, 1, 2, 2, 3, 3, 4, 4, 5),
        media_share=1 / 3,
        thread_share=0.15,
        long_share=0.12,
        variant_share=0.12,
        thread_items=(1, 1, 1, 2, 3),
    ),
    "dense": Shape(
        slots=("09:00", "17:00"),
        channel_counts=(6, 8, 10, 12, 16),
        media_share=0.4,
        thread_share=0.5,
        long_share=0.3,
        variant_share=0.2,
        thread_items=(2, 3, 4, 6),
    ),
}
_SHAPES["faulty"] = Shape(**{**_SHAPES["agency"].__dict__, "fault_share": 0.03})


@dataclass(frozen=True)
class Client:
    """One of the agency's clients: its channels and timezone."""

    number: int
    slug: str
    name: str
    zone: str
    channels: tuple[dict[str, Any], ...]


def clients_for(rows: int, seed: int) -> list[Client]:
    """The agency's clients: one per thousand rows (at least three), 20–30 channels each."""
    rng = random.Random(f"clients-{seed}")
    result = []
    for number in range(max(3, rows // 1000)):
        brand = _BRANDS[number % len(_BRANDS)]
        slug = f"{brand.lower()}{number:03d}"
        channels = []
        for index in range(rng.randint(20, 30)):
            platform = PLATFORMS[index % len(PLATFORMS)] if index < 9 else rng.choice(PLATFORMS)
            region = _REGIONS[index % len(_REGIONS)]
            profile = f"{slug}-{region}-{index}"
            channels.append(
                {
                    "id": f"{slug}-{platform}-{index:02d}",
                    "name": f"{brand} {number} {region} ({platform} {index})",
                    "identifier": platform,
                    "picture": f"https://sandbox.invalid/avatars/{slug}-{index}.png",
                    "disabled": False,
                    "profile": profile,
                }
            )
        name = f"{brand} {number}"
        result.append(Client(number, slug, name, ZONES[number % len(ZONES)], tuple(channels)))
    return result


def rows(count: int, seed: int = 15, shape: str = "agency") -> Iterator[dict[str, Any]]:
    """Yield ``count`` calendar entries as plain values (lists for channels, media, thread)."""
    mix = _SHAPES[shape]
    rng = random.Random(f"rows-{seed}-{shape}")
    clients = clients_for(count, seed)
    per_day = max(1, count // (len(clients) * 90))  # about a quarter's plan
    last_ids: dict[int, str] = {}
    for number in range(count):
        client = clients[number % len(clients)]
        day = FIRST_DAY + timedelta(days=number // (len(clients) * per_day))
        slot = datetime.strptime(rng.choice(mix.slots), "%H:%M").time()
        media: list[str] = []
        if rng.random() < mix.media_share:
            if rng.random() < 0.1:
                media = [f"https://cdn.example.com/{client.slug}/asset-{rng.randrange(40):02d}.jpg"]
            else:
                picks = rng.sample(range(IMAGES_PER_CLIENT), rng.choice((1, 1, 1, 2, 3)))
                media = [image_name(client.number, pick) for pick in picks]
        pool = [c for c in client.channels if media or c["identifier"] != "instagram"]
        chosen = rng.sample(pool, min(len(pool), rng.choice(mix.channel_counts)))
        refs = [
            c["id"] if rng.random() < 0.7 else f"{c['identifier']}:{c['profile']}" for c in chosen
        ]
        platforms = {c["identifier"] for c in chosen}
        opener, topic, closer = rng.choice(_OPENERS), rng.choice(_TOPICS), rng.choice(_CLOSERS)
        text = f"{opener} {topic} ({client.name}, #{number + 1}). {closer}"
        texts: dict[str, str] = {}
        if rng.random() < mix.long_share:
            text = f"{opener} {topic}. " + _FILLER * rng.randint(2, 5) + closer
            texts = {p: f"{opener} {topic} (#{number + 1}) {closer}" for p in platforms & _SHORT}
        elif rng.random() < mix.variant_share:
            texts = {rng.choice(("x", "linkedin")): f"{topic.capitalize()}: {closer}"}
        thread: list[str] = []
        if rng.random() < mix.thread_share:
            thread = [
                f"Part {part + 2} on {topic}: more in the comments."
                for part in range(rng.choice(mix.thread_items))
            ]
        entry: dict[str, Any] = {
            "id": f"{client.slug}-{number + 1:06d}",
            "publish_at": f"{day.isoformat()} {slot.strftime('%H:%M')}",
            "timezone": client.zone,
            "channels": refs,
            "text": text,
            "texts": texts,
            "media": media,
            "thread": thread,
        }
        if mix.fault_share and rng.random() < mix.fault_share:
            _break(entry, rng, client, last_ids.get(client.number, entry["id"]))
        last_ids[client.number] = entry["id"]
        yield entry


def _break(entry: dict[str, Any], rng: random.Random, client: Client, previous: str) -> None:
    fault = rng.randrange(6)
    if fault == 0:
        entry["channels"] = [*entry["channels"], f"{client.slug}-nowhere"]
    elif fault == 1:
        entry["publish_at"] = entry["publish_at"][:5] + "13" + entry["publish_at"][7:]
    elif fault == 2:
        first = next(c for c in client.channels if c["identifier"] == "x")
        entry["channels"] = [first["id"]]
        entry["texts"] = {}
        entry["text"] = _FILLER * 2
    elif fault == 3:
        entry["media"] = [f"media/{client.slug}-missing.png"]
    elif fault == 4:
        first = next(c for c in client.channels if c["identifier"] == "instagram")
        entry["channels"] = [first["id"]]
        entry["media"] = []
    else:
        entry["id"] = previous


def image_name(client: int, index: int) -> str:
    """The relative path of one of a client's images."""
    return f"media/c{client:03d}-{index}.png"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG file: a ``width`` × ``height`` gradient from ``rgb``."""
    raw = b"".join(
        b"\x00"
        + b"".join(bytes((rgb[0], (rgb[1] + y) % 256, (rgb[2] + x) % 256)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_media(folder: Path, clients: list[Client]) -> None:
    """Each client's images under ``folder/media`` (only the missing ones are written)."""
    (folder / "media").mkdir(parents=True, exist_ok=True)
    for client in clients:
        for index in range(IMAGES_PER_CLIENT):
            path = folder / image_name(client.number, index)
            if not path.exists():
                rgb = (client.number % 256, (index * 37) % 256, (client.number * 11) % 256)
                path.write_bytes(png(32 + 8 * index, 24 + 4 * index, rgb))


def _flat(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    platforms = sorted({p for e in entries for p in e["texts"]})
    threads = max((len(e["thread"]) for e in entries), default=0)
    header = ["id", "publish_at", "timezone", "channels", "text"]
    header += [f"text.{p}" for p in platforms] + ["media"]
    header += [f"thread.{n + 1}" for n in range(threads)]
    table = []
    for e in entries:
        row = [e["id"], e["publish_at"], e["timezone"], ", ".join(e["channels"]), e["text"]]
        row += [e["texts"].get(p, "") for p in platforms] + [" | ".join(e["media"])]
        row += [*e["thread"], *[""] * (threads - len(e["thread"]))]
        table.append(row)
    return header, table


def _yaml_entry(e: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": e["id"], "publish_at": e["publish_at"]}
    item["timezone"] = e["timezone"]
    item["channels"] = e["channels"]
    item["text"] = {"default": e["text"], **e["texts"]} if e["texts"] else e["text"]
    if e["media"]:
        item["media"] = e["media"]
    if e["thread"]:
        item["thread"] = e["thread"]
    return item


def write(
    folder: Path,
    count: int,
    *,
    seed: int = 15,
    shape: str = "agency",
    formats: tuple[str, ...] = ("csv",),
) -> dict[str, Path]:
    """Write the calendar (in each of ``formats``), ``channels.json`` and ``media/`` to ``folder``.

    Returns the written calendar paths by format, and ``channels`` for the channel list.
    """
    folder.mkdir(parents=True, exist_ok=True)
    clients = clients_for(count, seed)
    write_media(folder, clients)
    entries = list(rows(count, seed, shape))
    written = {"channels": folder / "channels.json"}
    channels = [c for client in clients for c in client.channels]
    written["channels"].write_text(json.dumps(channels, indent=2) + "\n", encoding="utf-8")
    header, table = _flat(entries)
    if "csv" in formats:
        written["csv"] = folder / "calendar.csv"
        with written["csv"].open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(table)
    if "yaml" in formats:
        written["yaml"] = folder / "calendar.yaml"
        document = {"posts": [_yaml_entry(e) for e in entries]}
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        with written["yaml"].open("w", encoding="utf-8") as out:
            yaml.dump(document, out, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000)
    if "xlsx" in formats:
        import openpyxl  # only for this format

        written["xlsx"] = folder / "calendar.xlsx"
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Calendar")
        sheet.append(header)
        for row in table:
            sheet.append(row)
        book.save(written["xlsx"])
    return written


def main() -> None:
    """Command line: write one agency-like calendar."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--shape", choices=SHAPES, default="agency")
    parser.add_argument("--formats", default="csv", help="comma-separated: csv,yaml,xlsx")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    for kind, path in write(args.out, args.rows, seed=args.seed, shape=args.shape,
                            formats=formats).items():  # fmt: skip
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main()
