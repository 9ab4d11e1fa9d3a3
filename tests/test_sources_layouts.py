"""Column names → canonical keys, header mapping and Hootsuite detection."""

import pytest

from calendar_sched.load.sources.layouts import (
    canonical_key,
    detect_hootsuite,
    is_hootsuite_datetime,
    map_header,
)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("id", "id"),
        (" ID ", "id"),
        ("publish_at", "publish_at"),
        ("Publish At", "publish_at"),
        ("publish-at", "publish_at"),
        ("at", "publish_at"),
        ("DateTime", "publish_at"),
        ("scheduled_at", "publish_at"),
        ("Post Date", "publish_at"),
        ("Date and time", "publish_at"),
        ("date", "date"),
        ("Time", "time"),
        ("Timezone", "timezone"),
        ("time zone", "timezone"),
        ("channels", "channels"),
        ("Channel", "channels"),
        ("platform", "channels"),
        ("Account", "channels"),
        ("profile", "channels"),
        ("integration", "channels"),
        ("text", "text"),
        ("Content", "text"),
        ("message", "text"),
        ("Caption", "text"),
        ("body", "text"),
        ("text.x", "text.x"),
        ("Text.X", "text.x"),
        ("text.linkedin-page", "text.linkedin-page"),
        ("text.LinkedIn Page", "text.linkedin-page"),
        ("caption.instagram", "text.instagram"),
        ("link", "link"),
        ("URL", "link"),
        ("media", "media"),
        ("Image", "media"),
        ("images", "media"),
        ("media_url", "media"),
        ("Media URLs", "media"),
        ("video", "media"),
        ("thread", "thread"),
        ("thread.1", "thread.1"),
        ("Thread 2", "thread.2"),
        ("thread_12", "thread.12"),
        ("comment", "thread.1"),
        ("First Comment", "thread.1"),
        ("first-comment", "thread.1"),
        ("comment.2", "thread.2"),
        ("Comment 3", "thread.3"),
        ("type", "type"),
        ("Tags", "tags"),
        ("short_link", "short_link"),
        ("Short Link", "short_link"),
        ("repeat_every_days", "repeat_every_days"),
        ("Repeat every days", "repeat_every_days"),
        ("settings.instagram.post_type", "settings.instagram.post_type"),
        ("Settings.TikTok.autoAddMusic", "settings.tiktok.autoAddMusic"),
        ("settings.youtube.selfDeclaredMadeForKids", "settings.youtube.selfDeclaredMadeForKids"),
        ("settings", "settings"),
    ],
)
def test_canonical_key_maps_aliases(header: str, key: str) -> None:
    assert canonical_key(header) == key


@pytest.mark.parametrize(
    "header",
    ["", "   ", "notes", "status", "thread.0", "settings.youtube", "text.", "text.a.b", "x"],
)
def test_canonical_key_rejects_unknown(header: str) -> None:
    assert canonical_key(header) is None


def test_map_header_warns_once_per_unknown_column_and_rejects_synonyms() -> None:
    header = map_header(["Text", "Notes", "", "Content", "channels"], file="f.csv")
    assert header.keys == ["text", None, None, None, "channels"]
    assert [(p.code, p.row, p.field) for p in header.problems] == [
        ("unknown-column", 1, "Notes"),
        ("bad-value", 1, "text"),
    ]
    assert "'Text' and 'Content' both mean text" in header.problems[1].message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12/01/2026 09:00", True),
        ("1/2/2026 9:05", True),
        ("31/12/2026 17:30", True),
        ("12/01/2026 09:00:00", True),
        (" 12/01/2026 9:00 PM ", True),
        ("2026-12-01 09:00", False),
        ("12/01/2026", False),
        ("date", False),
    ],
)
def test_hootsuite_datetime(value: str, expected: bool) -> None:
    assert is_hootsuite_datetime(value) is expected


def test_detect_hootsuite() -> None:
    assert detect_hootsuite(["12/01/2026 09:00", "Hi", "https://a.test"], None) == "headless"
    assert detect_hootsuite(["12/01/2026 09:00", "Hi", "", ""], None) == "headless"
    assert detect_hootsuite(["Date", "Message", "Link"], ["12/01/2026 09:00", "Hi"]) == "headed"
    assert detect_hootsuite(["date", "text"], ["01/12/2026 09:00", "Hi"]) == "headed"
    # Too many columns, or a header that is not date/message/link: an ordinary calendar.
    assert detect_hootsuite(["12/01/2026 09:00", "a", "b", "c"], None) is None
    assert detect_hootsuite(["date", "channels"], ["12/01/2026 09:00", "x"]) is None
    assert detect_hootsuite(["publish_at", "text"], ["2026-12-01 09:00", "Hi"]) is None
