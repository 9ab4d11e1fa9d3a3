"""Generated calendars in the project's CSV format, for benchmarks (deterministic per seed).

A generated calendar looks like an agency's content plan: about ten rows a day on the four usual
posting slots (09:00, 12:00, 15:00, 18:00 Europe/Berlin), each row one message for one to four
channels of the demo organisation, a third of the rows with an image URL drawn from a pool of 50
(so media repeat, as a brand's assets do), one row in ten with a follow-up thread item.

Usage: ``python bench/generate.py --rows 3000 --out /tmp/cal.csv``
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

#: Channels that need no media and no setting without a safe default (see rules.py).
CHANNELS = [
    "demo-x",
    "demo-linkedin",
    "demo-linkedin-page",
    "demo-facebook",
    "demo-threads",
    "demo-bluesky",
    "demo-mastodon",
    "demo-telegram",
]
SLOTS = ["09:00", "12:00", "15:00", "18:00"]
ROWS_PER_DAY = 10
FIRST_DAY = date(2030, 1, 7)  # far enough ahead that no row is ever in the past
TIMEZONE = "Europe/Berlin"
COLUMNS = ["id", "publish_at", "timezone", "channels", "text", "media", "thread.1"]

_OPENERS = ["New on the blog:", "Tip of the day:", "Behind the scenes:", "Customer story:",
            "Did you know?", "This week:", "Quick win:", "From the team:"]  # fmt: skip
_TOPICS = ["faster onboarding", "our spring release", "remote rituals", "pricing made simple",
           "the roadmap", "support hours", "a new integration", "security basics",
           "the hiring plan", "office plants"]  # fmt: skip
_CLOSERS = ["Read more on our site.", "Tell us what you think.", "More soon.",
            "Questions welcome.", "Share it with your team."]  # fmt: skip


def rows(count: int, seed: int = 9) -> Iterator[dict[str, str]]:
    """Yield ``count`` calendar rows as CSV cells, the same ones for the same seed."""
    rng = random.Random(seed)
    for number in range(count):
        day = FIRST_DAY + timedelta(days=number // ROWS_PER_DAY)
        slot = rng.choice(SLOTS)
        when = datetime.combine(day, datetime.strptime(slot, "%H:%M").time())
        channels = rng.sample(CHANNELS, rng.choice([1, 1, 2, 2, 3, 4]))
        text = (
            f"{rng.choice(_OPENERS)} {rng.choice(_TOPICS)} (#{number + 1}). {rng.choice(_CLOSERS)}"
        )
        media = ""
        if rng.random() < 1 / 3:
            media = f"https://cdn.example.com/brand/asset-{rng.randrange(50):02d}.png"
        thread = ""
        if rng.random() < 0.1:
            thread = f"Follow-up to #{number + 1}: details in the comments."
        yield {
            "id": f"gen-{number + 1:06d}",
            "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
            "timezone": TIMEZONE,
            "channels": ",".join(channels),
            "text": text,
            "media": media,
            "thread.1": thread,
        }


def render(count: int, seed: int = 9) -> str:
    """The whole calendar as CSV text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(count, seed))
    return buffer.getvalue()


def write(path: Path, count: int, seed: int = 9) -> Path:
    """Write a ``count``-row calendar to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(count, seed), encoding="utf-8")
    return path


def main() -> None:
    """Command line: write one generated calendar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write(args.out, args.rows, args.seed))


if __name__ == "__main__":
    main()
