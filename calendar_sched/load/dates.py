"""Reading dates, times and timezones the way calendars write them.

ISO 8601, ``dd.mm.yyyy``, ``mm/dd/yyyy`` or ``dd/mm/yyyy`` (decided per file), 12-hour times,
Excel serial numbers and spreadsheet date objects. Local times are placed in an IANA zone with
zoneinfo; times that do not exist or occur twice at a clock change are errors, never guesses.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

DateOrder = Literal["dmy", "mdy", "ymd"]

_EXCEL_EPOCH = datetime(1899, 12, 30)
_MIN_SERIAL = 10000  # 1927-05-18: smaller numbers are not dates a calendar means
_MAX_SERIAL = 2958465  # 9999-12-31
_FIRST_YEAR, _LAST_YEAR = 1900, 9998  # keeps UTC conversions inside datetime's range
_NUMBERED = re.compile(r"^\s*(\d{1,4})([/\-.])(\d{1,2})\2(\d{1,4})(?:(?:\s+|T)(.*))?$")
_TIME = re.compile(
    r"^(\d{1,2})(?:[:h.](\d{2}))?(?::(\d{2})(?:[.,]\d+)?)?\s*"
    r"(?:([AaPp])\.?\s*[Mm]\.?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")
#: How a date without a time can still be scheduled: the posting queue (plan/slots.py).
_SLOTS = ', or pass --slots "mon-fri 09:00,12:30" to place it in a posting slot'
_NAMED_FORMATS = (
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)


class DateProblem(Exception):
    """A value that cannot become a publish instant: a report code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OrderDecision:
    """How slash dates of one file are read, and the problem when that cannot be decided."""

    order: DateOrder | None
    problem: str | None = None  # message of an ambiguous-date-format error
    example: str | None = None  # the value that shows the problem


def is_blank(value: Any) -> bool:
    """None, NaN/NaT, or a string of whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def cell_text(value: Any) -> str | None:
    """A scalar cell as text: ints stay ints (``17.0`` → ``17``), blanks become None."""
    if type(value) is str:  # nearly every cell: the checks below come to this
        return value.strip() or None
    if value is None:  # an absent cell, the next most usual
        return None
    if is_blank(value) or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def decide_order(values: Iterable[Any], forced: DateOrder | None = None) -> OrderDecision:
    """Day/month order of a file's ``a/b/yyyy`` dates: any part above 12 decides."""
    if forced is not None:
        return OrderDecision(forced)
    day_first: str | None = None
    month_first: str | None = None
    ambiguous: str | None = None
    for value in values:
        if not isinstance(value, str):
            continue
        match = _NUMBERED.match(value)
        if not match or match.group(2) == "." or len(match.group(1)) > 2:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 and day_first is None:
            day_first = value.strip()
        elif second > 12 and month_first is None:
            month_first = value.strip()
        elif first != second and ambiguous is None and first <= 12 and second <= 12:
            ambiguous = value.strip()
    if day_first and month_first:
        return OrderDecision(
            None,
            f"the file mixes day-first ({day_first}) and month-first ({month_first}) dates; "
            "make them consistent or pass --date-format dmy|mdy",
            month_first,
        )
    if day_first:
        return OrderDecision("dmy")
    if month_first:
        return OrderDecision("mdy")
    if ambiguous:
        return OrderDecision(
            None,
            f"dates like {ambiguous} can be read day-first or month-first and no date in the "
            "file has a day above 12; pass --date-format dmy or --date-format mdy",
            ambiguous,
        )
    return OrderDecision(None)


def parse_datetime(value: Any, order: DateOrder | None) -> datetime:
    """A naive (local) or aware datetime from one ``publish_at`` value, else DateProblem."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise DateProblem("missing-field", f"{value.isoformat()} has no time; add the time{_SLOTS}")
    if isinstance(value, bool):
        raise DateProblem("bad-datetime", f"{value!r} is not a date and time")
    if isinstance(value, int | float):
        return from_serial(float(value))
    text = str(value).strip()
    if _looks_numeric(text):
        return from_serial(float(text))
    if _ISO_DAY.fullmatch(text):
        raise DateProblem("missing-field", f"{text!r} has a date but no time; add the time{_SLOTS}")
    iso = _iso(text)
    if iso is not None:
        return iso
    day, rest = _split_date(text, order)
    if rest is None:
        raise DateProblem(
            "missing-field", f"{text!r} has a date but no time; add the time (e.g. 09:30){_SLOTS}"
        )
    return _combine(day, parse_time(rest))


def parse_date(value: Any, order: DateOrder | None) -> date:
    """The date part of a ``date`` column value; a time in it must be midnight."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise DateProblem("bad-datetime", f"{value!r} is not a date")
    if isinstance(value, int | float):
        return from_serial(float(value)).date()
    text = str(value).strip()
    if _looks_numeric(text):
        return from_serial(float(text)).date()
    iso = _iso(text)
    if iso is not None:
        return iso.date()
    day, _rest = _split_date(text, order)
    return day


def parse_time(value: Any) -> time:
    """A time of day, aware if the value has an offset: ``14:30``, ``2:30 PM``, ``0.6``."""
    if isinstance(value, datetime):
        return value.timetz()
    if isinstance(value, time):
        return value
    if isinstance(value, bool):
        raise DateProblem("bad-datetime", f"{value!r} is not a time")
    if isinstance(value, int | float) and 0 <= value < 1:
        seconds = round(float(value) * 86400)
        return (datetime.min + timedelta(seconds=min(seconds, 86399))).time()
    text = str(value).strip()
    match = _TIME.match(text)
    if not match:
        raise DateProblem("bad-datetime", f"{text!r} is not a time; write 14:30 or 2:30 PM")
    hour = int(match.group(1))
    minute = int(match.group(2) or 0)
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise DateProblem("bad-datetime", f"{text!r}: 12-hour times run from 1 to 12")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateProblem("bad-datetime", f"{text!r} is not a time of day")
    offset = _offset(match.group(5))
    return time(hour, minute, second, tzinfo=offset)


def from_serial(serial: float) -> datetime:
    """An Excel serial day number (1900 system) as a naive datetime, rounded to the second."""
    if not _MIN_SERIAL <= serial <= _MAX_SERIAL:
        raise DateProblem("bad-datetime", f"{serial:g} is not a date")
    return _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def combine(day: date, moment: time) -> datetime:
    """A date and a time of day as one datetime (aware when the time carries an offset)."""
    return _combine(day, moment)


def check_range(moment: datetime) -> datetime:
    """The moment itself when its year is plausible (1900–9998), else DateProblem."""
    if not _FIRST_YEAR <= moment.year <= _LAST_YEAR:
        raise DateProblem(
            "bad-datetime", f"{moment.isoformat()} is not a plausible publish date (year?)"
        )
    return moment


def localize(moment: datetime, zone: tzinfo) -> datetime:
    """Place a naive local time in ``zone``; gap and fold times raise DateProblem."""
    if check_range(moment).tzinfo is not None:
        return moment
    first = moment.replace(tzinfo=zone, fold=0)
    second = moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first  # both readings agree: neither a gap nor a fold (the usual case)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    name = getattr(zone, "key", str(zone))
    if round_trip != moment:
        raise DateProblem(
            "nonexistent-local-time",
            f"{moment:%Y-%m-%d %H:%M} does not exist in {name} (clocks spring forward); "
            "pick another time or write the UTC offset",
        )
    if first.utcoffset() != second.utcoffset():
        raise DateProblem(
            "ambiguous-local-time",
            f"{moment:%Y-%m-%d %H:%M} happens twice in {name} (clocks fall back); add the UTC "
            f"offset, e.g. {first.isoformat(timespec='minutes')} or "
            f"{second.isoformat(timespec='minutes')}",
        )
    return first


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name (any case); DateProblem ``bad-timezone`` if unknown."""
    cleaned = name.strip()
    try:
        if cleaned and not cleaned.startswith(("/", ".")):
            return ZoneInfo(cleaned)
    except (ValueError, OSError, KeyError):
        pass
    key = _zone_names().get(cleaned.casefold())
    if key is not None:
        return ZoneInfo(key)
    raise DateProblem(
        "bad-timezone", f"unknown timezone {cleaned!r}; use an IANA name like Europe/Berlin"
    )


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def machine_zone() -> str | None:
    """This machine's IANA zone from ``TZ`` or the /etc/localtime link; None if unknown."""
    candidates = []
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        candidates.append(env.split("zoneinfo/", 1)[-1])
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for candidate in candidates:
        try:
            return zone(candidate).key
        except DateProblem:
            continue
    return None


def _looks_numeric(text: str) -> bool:
    # Serials of this century have five digits; shorter numbers are more likely typos.
    return bool(_SERIAL.fullmatch(text))


def _iso(text: str) -> datetime | None:
    if not _ISO_DAY.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    # "2026-12-01 9:30 PM" and similar: an ISO date with a non-ISO time
    day_text, _, rest = text.partition(" ")
    try:
        day = date.fromisoformat(day_text[:10])
    except ValueError as exc:
        raise DateProblem("bad-datetime", f"{text!r} is not a valid date") from exc
    if len(day_text) > 10 or not rest.strip():
        raise DateProblem("bad-datetime", f"{text!r} is not a valid ISO 8601 date and time")
    return _combine(day, parse_time(rest))


def _split_date(text: str, order: DateOrder | None) -> tuple[date, str | None]:
    match = _NUMBERED.match(text)
    if match:
        first, sep, second, third, rest = match.groups()
        return _numbered(text, int(first), sep, int(second), third, order), rest
    for fmt in _NAMED_FORMATS:
        for split in range(len(text), 0, -1):
            head = text[:split].strip()
            try:
                parsed = datetime.strptime(head, fmt).date()
            except ValueError:
                continue
            rest = text[split:].strip(" ,")
            return parsed, rest or None
    raise DateProblem(
        "bad-datetime",
        f"{text!r} is not a date; write 2026-12-01 09:30 (ISO), 01.12.2026 or 12/01/2026",
    )


def _numbered(
    text: str, first: int, sep: str, second: int, third_text: str, order: DateOrder | None
) -> date:
    third = int(third_text)
    if first > 31:  # year first: 2026/12/01
        year, month, day = first, second, third
    else:
        if len(third_text) == 2:
            third += 2000
        elif len(third_text) != 4:
            raise DateProblem("bad-datetime", f"{text!r}: write the year with four digits")
        if order == "ymd":
            raise DateProblem(
                "bad-datetime", f"{text!r} does not start with the year (--date-format ymd)"
            )
        if sep == "." or order == "dmy" or (order is None and first > 12):
            day, month, year = first, second, third
        elif order == "mdy" or (order is None and second > 12):
            month, day, year = first, second, third
        elif first == second:
            day, month, year = first, second, third
        else:
            raise DateProblem(
                "ambiguous-date-format",
                f"{text!r} can be read day-first or month-first; pass --date-format",
            )
    try:
        return date(year, month, day)
    except ValueError as exc:
        hint = " (day and month order: see --date-format)" if sep != "." else ""
        raise DateProblem("bad-datetime", f"{text!r} is not a valid date{hint}") from exc


def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise DateProblem("bad-datetime", f"{text!r} is not a UTC offset; write +01:00")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _combine(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment.replace(tzinfo=None), tzinfo=moment.tzinfo)
