"""Content hashes: the journal's hashes stay valid now that the models are dataclasses.

Journals written before store ``sha256(model_dump_json(exclude={"position", "timezone"}))`` of
pydantic models. ``identity.content_hash`` writes those bytes itself: the hashes below were
made by the pydantic models, and a property test compares the bytes with pydantic's own for
arbitrary Posts (the old models are mirrored here, field for field).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from calendar_sched import identity
from calendar_sched.models import Channel, MediaRef, Position, Post, PostValue

X = Channel(id="demo-x", name="Acme on X", identifier="x", profile="acme")
YT = Channel(
    id="demo-youtube",
    name="Acme YouTube",
    identifier="youtube",
    picture="https://sandbox.invalid/avatars/youtube.png",
    profile="AcmeChannel",
    customer={"id": "c1", "name": "Ünïcode Customer"},
)
SIMPLE = Post(
    entry_key="launch",
    position=Position(file="cal.csv", row=2),
    channel=X,
    publish_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    values=[PostValue(text="Hello, world")],
)
RICH = Post(
    entry_key="video",
    position=Position(file="cal.yaml", index=3, line=12),
    channel=YT,
    publish_at=datetime(2026, 12, 24, 17, 30, 0, 250000, tzinfo=UTC),
    timezone="Europe/Berlin",
    type="draft",
    values=[
        PostValue(
            text='Frohe Weihnachten ☕ "quoted" \\ back\tslash\n😀',
            media=[
                MediaRef(
                    source="https://cdn.example/v.mp4",
                    url="https://cdn.example/v.mp4",
                    kind="video",
                ),
                MediaRef(source="a.png", path="/cal/a.png", sha256="ab" * 32, size=1234),
            ],
        ),
        PostValue(text="more", delay=5),
    ],
    settings={
        "title": "Tïtle",
        "type": "public",
        "n": 1.5,
        "big": 1e20,
        "tiny": 1e-5,
        "list": [1, 2.0, True, None],
        "nested": {"a": {"b": [0.1]}},
    },
    tags=["Émoji 😀", "b"],
    short_link=True,
    repeat_every_days=7,
)
PULLED = Post(
    entry_key="postiz:abc",
    position=Position(file="pulled.yaml", index=0),
    channel=X,
    publish_at=datetime(2027, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
    type="now",
    values=[PostValue(text="")],
)


def test_hashes_are_those_the_pydantic_models_made() -> None:
    assert SIMPLE.content_hash() == "a7da304b94916378"
    assert RICH.content_hash() == "9bec903287f30d5d"
    assert PULLED.content_hash() == "46a99a569e91e671"


def test_position_and_zone_are_not_part_of_the_hash() -> None:
    moved = dataclasses.replace(RICH, position=Position(file="other.csv", row=9), timezone="UTC")
    assert moved.content_hash() == RICH.content_hash()
    assert dataclasses.replace(RICH, tags=["b"]).content_hash() != RICH.content_hash()


# The models as they were (calendar_sched/models.py before #12), for their JSON bytes.
class _Channel(BaseModel):
    id: str
    name: str
    identifier: str
    picture: str | None = None
    disabled: bool = False
    profile: str | None = None
    customer: dict[str, Any] | None = None


class _MediaRef(BaseModel):
    source: str
    path: str | None = None
    url: str | None = None
    kind: Literal["image", "video"] = "image"
    sha256: str | None = None
    size: int | None = None


class _PostValue(BaseModel):
    text: str
    media: list[_MediaRef] = Field(default_factory=list)
    delay: int = 0


class _Post(BaseModel):  # position and timezone left out: never hashed
    entry_key: str
    channel: _Channel
    publish_at: datetime
    type: Literal["schedule", "draft", "now"] = "schedule"
    values: list[_PostValue]
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    short_link: bool = False
    repeat_every_days: int | None = None


def _pydantic_hash(post: Post) -> str:
    fields = dataclasses.asdict(post)
    del fields["position"], fields["timezone"]
    payload = _Post.model_validate(fields).model_dump_json()
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
ZONES = (
    st.none()
    | st.just(UTC)
    | st.integers(-86399, 86399).map(lambda seconds: timezone(timedelta(seconds=seconds)))
)
INSTANTS = st.datetimes(timezones=ZONES)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**80), 2**80)
    | st.floats()
    | TEXT
    | st.dates()
    | INSTANTS
)
KEYS = TEXT | st.integers() | st.floats(allow_nan=False) | st.none() | st.dates()
ANY = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
OPTIONAL_TEXT = st.none() | TEXT
MEDIA = st.builds(
    MediaRef,
    source=TEXT,
    path=OPTIONAL_TEXT,
    url=OPTIONAL_TEXT,
    kind=st.sampled_from(["image", "video"]),
    sha256=OPTIONAL_TEXT,
    size=st.none() | st.integers(0, 2**40),
)
POSTS = st.builds(
    Post,
    entry_key=TEXT,
    position=st.just(Position(file="cal.csv", row=2)),
    channel=st.builds(
        Channel,
        id=TEXT,
        name=TEXT,
        identifier=TEXT,
        picture=OPTIONAL_TEXT,
        disabled=st.booleans(),
        profile=OPTIONAL_TEXT,
        customer=st.none() | st.dictionaries(TEXT, ANY, max_size=3),
    ),
    publish_at=INSTANTS,
    timezone=st.sampled_from(["UTC", "Europe/Berlin"]),
    type=st.sampled_from(["schedule", "draft", "now"]),
    values=st.lists(
        st.builds(
            PostValue, text=TEXT, media=st.lists(MEDIA, max_size=2), delay=st.integers(0, 10**6)
        ),
        min_size=1,
        max_size=3,
    ),
    settings=st.dictionaries(TEXT, ANY, max_size=4),
    tags=st.lists(TEXT, max_size=3),
    short_link=st.booleans(),
    repeat_every_days=st.none() | st.integers(0, 400),
)


@settings(max_examples=400, deadline=None)
@given(POSTS)
def test_hash_bytes_are_pydantics(post: Post) -> None:
    assert identity.content_hash(post) == _pydantic_hash(post)
