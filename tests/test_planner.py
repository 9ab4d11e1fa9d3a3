"""The planner: invariants as hypothesis properties, and exact small plans."""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched import errors
from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.models import Channel, MediaRef, Post, PostValue
from calendar_sched.plan.eta import PER_REQUEST_SECONDS
from calendar_sched.plan.planner import PostKeys, first_fit_decreasing, plan, snap_time
from calendar_sched.targets.base import CostModel
from calendar_sched.targets.postiz.backend import PostizBackend, dumps
from tests.helpers.fakes import make_post

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class SizedBackend:
    """Postiz's pack key with sizes chosen by the test (``size:N`` tag-free text length)."""

    costs: CostModel = field(default_factory=CostModel)
    name: str = "sized"
    fingerprint: str = "fp"
    envelope: int = 100

    def pack_key(self, post: Post) -> Hashable:
        return PostizBackend().pack_key(post)

    def post_bytes(self, post: Post) -> int:
        return len(post.values[0].text)

    def envelope_bytes(self) -> int:
        return self.envelope


def sized(entry: str, when: datetime, size: int, channel: str = "c1", **kw: object) -> Post:
    return make_post(entry, when, channel=channel, text="x" * size, **kw)  # type: ignore[arg-type]


# properties

calendars = st.lists(
    st.tuples(
        st.integers(0, 5),  # which publish instant (hours after DAY)
        st.integers(1, 600),  # size in bytes
        st.sampled_from(["schedule", "draft"]),
        st.integers(0, 3),  # channel
    ),
    max_size=60,
)


def build(rows: list[tuple[int, int, str, int]]) -> list[Post]:
    return [
        sized(f"e{i}", DAY + timedelta(hours=h), size, channel=f"c{ch}", type=kind)
        for i, (h, size, kind, ch) in enumerate(rows)
    ]


@settings(max_examples=150, deadline=None)
@given(
    rows=calendars,
    limit=st.integers(1, 8),
    reserve_share=st.floats(0, 0.99),
    cap=st.integers(700, 3000),
    uploads_count=st.booleans(),
)
def test_plan_invariants(
    rows: list[tuple[int, int, str, int]],
    limit: int,
    reserve_share: float,
    cap: int,
    uploads_count: bool,
) -> None:
    reserve = int(reserve_share * limit)
    backend = SizedBackend(CostModel(limit=limit, body_cap=cap, counts_uploads=uploads_count))
    posts = build(rows)
    result = plan(posts, backend, reserve=reserve, now=NOW)

    # No window holds more than limit − reserve counted requests
    per_window = Counter(r.window for r in result.requests if r.counted)
    assert all(n <= limit - reserve for n in per_window.values())
    # Every Post is in exactly one request
    carried = [key for r in result.requests for key in r.post_keys]
    assert sorted(carried) == sorted(p.key for p in posts)
    # One request shares one pack key and stays under the cap
    by_key = {p.key: p for p in posts}
    for r in result.requests:
        assert len({backend.pack_key(by_key[k]) for k in r.post_keys}) <= 1
        assert r.bytes <= cap
    # Deterministic
    assert plan(posts, backend, reserve=reserve, now=NOW) == result
    # Deadline order, and windows are used in order
    deadlines = [r.deadline for r in result.requests if r.kind == "post"]
    assert deadlines == sorted(deadlines)  # type: ignore[type-var]
    assert [r.window for r in result.requests] == sorted(r.window for r in result.requests)
    # The lower bound is a bound, and met when every group fits one request
    assert result.requests_counted >= result.lower_bound
    group_bytes = Counter()
    for p in posts:
        group_bytes[backend.pack_key(p)] += backend.post_bytes(p)
    if all(total <= cap - backend.envelope for total in group_bytes.values()):
        assert result.requests_counted == result.lower_bound
    assert result.naive_requests == len(posts)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=80),
    cap=st.integers(1000, 5000),
)
def test_ffd_is_within_the_fill_bound(sizes: list[int], cap: int) -> None:
    # With items no bigger than half the cap, every bin but the last is over half full, and
    # more precisely over (cap − largest item): so bins ≤ ⌈total / (cap − largest)⌉.
    bins = first_fit_decreasing(range(len(sizes)), sizes, cap)
    assert sorted(i for b in bins for i in b) == list(range(len(sizes)))
    assert all(sum(sizes[i] for i in b) <= cap for b in bins)
    assert len(bins) <= max(1, math.ceil(sum(sizes) / (cap - max(sizes))))
    if sum(sizes) <= cap:
        assert len(bins) == 1


@settings(max_examples=300, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=120),
    cap=st.integers(3000, 8000),
)
def test_ffd_bins_are_first_fit_decreasing_exactly(sizes: list[int], cap: int) -> None:
    # The segment tree only finds the first bin faster: the bins are those of the plain
    # first-fit-decreasing loop, item for item.
    plain: list[list[int]] = []
    room: list[int] = []
    for item in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        slot = next((k for k, free in enumerate(room) if free >= sizes[item]), None)
        if slot is None:
            plain.append([])
            room.append(cap)
            slot = len(plain) - 1
        plain[slot].append(item)
        room[slot] -= sizes[item]
    assert first_fit_decreasing(range(len(sizes)), sizes, cap) == plain


def test_lower_bound_can_be_unreachable_for_big_posts() -> None:
    # Why "requests == lower bound" needs posts that are small next to the cap, not just
    # under half of it: five posts of 0.4 cap sum to 2 caps, but no request takes three.
    backend = SizedBackend(CostModel(body_cap=1100), envelope=100)
    posts = [sized(f"e{i}", DAY, 400, channel=f"c{i}") for i in range(5)]
    result = plan(posts, backend, now=NOW)
    assert (result.lower_bound, result.requests_counted) == (2, 3)


# exact plans


def test_one_instant_many_channels_is_one_request() -> None:
    posts = [make_post("launch", DAY, channel=f"c{i}") for i in range(12)]
    result = plan(posts, PostizBackend(), now=NOW)
    assert result.requests_counted == result.lower_bound == 1
    assert result.naive_requests == 12
    assert result.requests[0].post_keys == [p.key for p in posts]
    assert (result.windows, result.eta_seconds, result.late) == (1, PER_REQUEST_SECONDS, [])


def test_windows_and_send_times() -> None:
    posts = [make_post(f"e{i}", DAY + timedelta(hours=i)) for i in range(7)]
    result = plan(posts, PostizBackend(), limit=3, reserve=1, window_seconds=600, now=NOW)
    assert [r.window for r in result.requests] == [0, 0, 1, 1, 2, 2, 3]
    assert [r.send_at for r in result.requests] == [0, 0, 600, 600, 1200, 1200, 1800]
    assert result.windows == 4
    assert result.eta_seconds == 3 * 600 + 1 * PER_REQUEST_SECONDS
    assert result.requests[0].deadline == DAY


def test_late_posts_are_those_sent_after_their_publish_time() -> None:
    soon = [make_post(f"e{i}", NOW + timedelta(minutes=30)) for i in range(3)]
    distinct = [replace(p, tags=[str(i)]) for i, p in enumerate(soon)]
    past = make_post("past", NOW - timedelta(minutes=1))
    draft = make_post("draft", NOW + timedelta(minutes=30), type="draft", tags=["d"])
    result = plan([*distinct, past, draft], PostizBackend(), limit=2, now=NOW)
    # deadline order: past, then the three 30-min posts and the draft share one deadline
    assert result.requests[0].post_keys == ["past@c-x"]
    assert result.late == ["past@c-x", "e1@c-x", "e2@c-x"]  # windows 0,0,1,1,2
    assert "draft@c-x" not in result.late


def test_uploads_before_first_use_deduped_and_free_by_default() -> None:
    image = MediaRef(source="a.png", path="/tmp/a.png", sha256="aa", size=10)
    same_bytes = MediaRef(source="copy.png", path="/tmp/copy.png", sha256="aa", size=10)
    url = MediaRef(source="https://cdn/b.png", url="https://cdn/b.png")
    first = make_post("e1", DAY, media=[image])
    second = make_post("e2", DAY + timedelta(hours=1), media=[same_bytes, url])
    result = plan([second, first], PostizBackend(), now=NOW)
    kinds = [(r.kind, r.media_key or r.post_keys[0]) for r in result.requests]
    assert kinds == [
        ("upload", "sha256:aa"),
        ("post", "e1@c-x"),
        ("upload", "url:https://cdn/b.png"),
        ("post", "e2@c-x"),
    ]
    assert [r.counted for r in result.requests] == [False, True, False, True]
    assert set(result.media) == {"sha256:aa", "url:https://cdn/b.png"}
    assert (result.lower_bound, result.naive_requests) == (2, 2)
    already = plan([first, second], PostizBackend(), uploaded={"sha256:aa"}, now=NOW)
    assert [r.kind for r in already.requests] == ["post", "upload", "post"]


def test_counted_uploads_enter_windows_and_bounds() -> None:
    image = MediaRef(source="a.png", path="/tmp/a.png", sha256="aa")
    posts = [make_post(f"e{i}", DAY, channel=f"c{i}", media=[image]) for i in range(3)]
    backend = PostizBackend(costs=CostModel(limit=1, counts_uploads=True))
    result = plan(posts, backend, now=NOW)
    assert [(r.kind, r.window, r.counted) for r in result.requests] == [
        ("upload", 0, True),
        ("post", 1, True),
    ]
    assert result.lower_bound == 2
    assert result.naive_requests == 3 + 3  # one create per post, one upload per media use


def test_done_posts_are_skipped_and_changed_ones_planned() -> None:
    a, b = make_post("a", DAY), make_post("b", DAY + timedelta(hours=1))
    changed = make_post("b", DAY + timedelta(hours=1), text="new text")
    done = {a.key: a.content_hash(), b.key: b.content_hash()}
    result = plan([a, changed], PostizBackend(), done=done, now=NOW)
    assert result.skipped == ["a@c-x"]
    assert [r.post_keys for r in result.requests] == [["b@c-x"]]
    assert plan([a, b], PostizBackend(), done=done, now=NOW).requests == []


def test_snap_merges_groups_and_lists_changed_times() -> None:
    posts = [
        make_post("a", DAY + timedelta(minutes=7)),  # → 09:00 (nearest)
        make_post("b", DAY + timedelta(minutes=7, seconds=30), channel="c2"),  # tie → 09:00
        make_post("c", DAY + timedelta(minutes=9)),  # → 09:15
        make_post("d", DAY),  # unchanged
    ]
    exact = plan(posts, PostizBackend(), now=NOW)
    snapped = plan(posts, PostizBackend(), snap_minutes=15, now=NOW)
    assert exact.requests_counted == 4
    assert snapped.requests_counted == 2
    assert snapped.snapped == [
        {"entry": "a", "from": "2026-12-01T09:07:00Z", "to": "2026-12-01T09:00:00Z"},
        {"entry": "b", "from": "2026-12-01T09:07:30Z", "to": "2026-12-01T09:00:00Z"},
        {"entry": "c", "from": "2026-12-01T09:09:00Z", "to": "2026-12-01T09:15:00Z"},
    ]
    assert {p.publish_at for p in snapped.posts} == {DAY, DAY + timedelta(minutes=15)}


def test_snap_time_grid() -> None:
    t = datetime(2026, 12, 1, 9, 2, 30, tzinfo=UTC)
    assert snap_time(t, 5) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # tie goes earlier
    assert snap_time(t + timedelta(seconds=1), 5) == datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    assert snap_time(datetime(2026, 12, 1, 23, 50, tzinfo=UTC), 60).day == 2


def test_a_post_bigger_than_the_cap_goes_alone_and_is_flagged() -> None:
    backend = SizedBackend(CostModel(body_cap=1000))
    posts = [sized("big", DAY, 950), sized("s1", DAY, 100, "c2"), sized("s2", DAY, 100, "c3")]
    result = plan(posts, backend, now=NOW)
    assert result.oversize == ["big@c1"]
    assert sorted(len(r.post_keys) for r in result.requests) == [1, 2]
    assert result.lower_bound == result.requests_counted == 2


def test_body_cap_splits_a_group() -> None:
    posts = [make_post("e", DAY, channel=f"c{i}", text="y" * 2000) for i in range(120)]
    result = plan(posts, PostizBackend(), now=NOW)
    assert result.requests_counted == result.lower_bound == 3
    assert all(r.bytes <= 100_000 for r in result.requests)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "at least 1"),
        ({"limit": 5, "reserve": 5}, "reserve 5"),
        ({"reserve": -1}, "reserve -1"),
        ({"window_seconds": 0}, "window"),
        ({"snap_minutes": -5}, "snap"),
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(errors.ConfigError, match=message):
        plan([make_post("a", DAY)], PostizBackend(), now=NOW, **kwargs)  # type: ignore[arg-type]


def test_empty_calendar() -> None:
    result = plan([], PostizBackend(), now=NOW)
    assert (result.requests, result.windows, result.eta_seconds, result.lower_bound) == (
        [],
        0,
        0.0,
        0,
    )


def test_thread_media_are_uploaded_too() -> None:
    image = MediaRef(source="https://cdn/c.png", url="https://cdn/c.png")
    post = make_post("e", DAY, thread=[PostValue(text="more", media=[image])])
    result = plan([post], PostizBackend(), now=NOW)
    assert [r.kind for r in result.requests] == ["upload", "post"]
    assert result.request_of() == {"e@c-x": 1}


def test_a_plan_without_its_request_array_still_knows_each_posts_request() -> None:
    posts = [make_post(name, DAY + timedelta(hours=i)) for i, name in enumerate("abc")]
    result = plan(posts, PostizBackend(), now=NOW)
    by_hand = replace(result, post_requests=result.post_requests[:0])  # as a caller may build
    assert by_hand.request_of() == result.request_of() == {"a@c-x": 1, "b@c-x": 2, "c@c-x": 3}


# golden plans for the samples

SAMPLES = Path(__file__).parent.parent / "samples"
DECEMBER = ["december.csv", "december.xlsx", "december.yaml"]


@pytest.mark.skipif(not (SAMPLES / "december.csv").exists(), reason="samples not present")
def test_sample_plans_meet_the_lower_bound_in_every_format() -> None:
    before = datetime(2026, 11, 20, tzinfo=UTC)
    shapes = []
    for name in DECEMBER:
        checked = validate([SAMPLES / name], ValidateOptions(now=before))
        assert checked.report.valid, name
        result = plan(checked.posts, PostizBackend(), now=before)
        figures = (
            result.requests_counted,
            result.lower_bound,
            result.naive_requests,
            result.windows,
            len(result.media),
        )
        assert figures == (61, 61, 283, 3, 10), name
        assert result.late == []
        assert all(r.bytes <= 100_000 for r in result.requests)
        shapes.append([(r.kind, r.window, len(r.post_keys)) for r in result.requests])
        faster = plan(checked.posts, PostizBackend(), limit=90, now=before)
        assert (faster.windows, faster.requests_counted) == (1, 61)
    assert shapes[0] == shapes[1] == shapes[2]
    assert shapes[0][:5] == [
        ("upload", 0, 0),
        ("post", 0, 7),
        ("post", 0, 5),
        ("upload", 0, 0),
        ("post", 0, 3),
    ]


def test_batched_url_imports_and_fixed_calls() -> None:
    urls = [MediaRef(source=f"https://cdn/{i}.png", url=f"https://cdn/{i}.png") for i in range(5)]
    local = MediaRef(source="a.png", path="/tmp/a.png", sha256="aa")
    posts = [make_post(f"e{i}", DAY + timedelta(hours=i), media=[urls[i]]) for i in range(5)] + [
        make_post("loc", DAY + timedelta(hours=9), media=[local])
    ]
    costs = CostModel(limit=4, counts_everything=True, upload_batch=2, fixed_calls=3)
    result = plan(posts, SizedBackend(costs), now=NOW)
    uploads = [r for r in result.requests if r.kind == "upload"]
    assert [r.media_keys or [r.media_key] for r in uploads] == [
        ["url:https://cdn/0.png", "url:https://cdn/1.png"],
        ["url:https://cdn/2.png", "url:https://cdn/3.png"],
        ["url:https://cdn/4.png"],
        ["sha256:aa"],
    ]
    # 3 fixed calls leave one slot in window 0; then 4 per window
    assert [r.window for r in result.requests] == [0, 1, 1, 1, 1, 2, 2, 2, 2, 3]
    assert result.requests_counted == 3 + 10
    assert result.lower_bound == 3 + 6 + 3 + 1  # fixed + posts + URL batches + local upload


# Postiz sizes: added up from the parts, equal to the serialised element

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)  # fmt: skip
settings_values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(
    st.text(max_size=4), scalars, max_size=2))  # fmt: skip
media_refs = st.builds(
    MediaRef,
    source=st.just("https://cdn/a.png"),
    url=st.just("https://cdn/a.png"),
    kind=st.sampled_from(["image", "video"]),
)
values = st.builds(
    PostValue,
    # control characters, quotes, & < >, line breaks, non-ASCII; plain ASCII takes a short cut
    text=st.one_of(st.text(), st.text(alphabet=string.printable)),
    media=st.lists(media_refs, max_size=3),
    delay=st.integers(0, 10**6),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(values, min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["__type", "a", "b", "ü"]), settings_values, max_size=3),
    st.text(min_size=1, max_size=6),
)
def test_postiz_post_bytes_is_the_serialised_size(
    thread: list[PostValue], channel_settings: dict[str, object], channel_id: str
) -> None:
    backend = PostizBackend()
    post = replace(
        make_post("e", DAY, thread=thread[1:], settings=channel_settings),
        values=thread,
        channel=Channel(id=channel_id, name="n", identifier="x"),
    )
    exact = len(dumps(backend.post_element(post, {}, placeholders=True))) + 1
    assert backend.post_bytes(post) == exact
    assert backend.post_bytes(post) == exact  # cached parts give the same answer


def test_postiz_sizes_tell_equal_settings_of_other_types_apart() -> None:
    backend = PostizBackend()
    sizes = [
        backend.post_bytes(make_post("e", DAY, settings={"flag": value}))
        for value in (1, True, 1.0, "1", 1, True)
    ]
    assert sizes[:4] == [sizes[0], sizes[0] + 3, sizes[0] + 2, sizes[0] + 2]
    assert sizes[4:] == sizes[:2]


def test_post_keys_are_made_when_read_and_behave_as_the_list() -> None:
    when = datetime(2040, 1, 1, 9, tzinfo=UTC)
    posts = [make_post(name, when, channel=f"c-{name}") for name in ("a", "b", "c", "d")]
    keys = PostKeys(posts, [3, 0, 2])
    assert keys == ["d@c-d", "a@c-a", "c@c-c"] == list(keys)
    assert keys == ("d@c-d", "a@c-a", "c@c-c")
    assert keys != ["d@c-d"]
    assert keys != "d@c-da@c-ac@c-c"
    assert (len(keys), keys[0], keys[-1], keys[1:]) == (3, "d@c-d", "c@c-c", ["a@c-a", "c@c-c"])
    assert "a@c-a" in keys
    assert "b@c-b" not in keys
    assert repr(keys) == "['d@c-d', 'a@c-a', 'c@c-c']"
    with pytest.raises(TypeError):
        hash(keys)
    carried = plan(posts, PostizBackend(), now=when - timedelta(days=1)).requests[0].post_keys
    assert isinstance(carried, PostKeys)
    assert carried == [p.key for p in posts]
