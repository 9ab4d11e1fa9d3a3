"""PostSyncer packing, bodies, settings, matching and planner properties (pure, offline)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.check.validation import ValidateOptions, validate
from calendar_sched.errors import FatalApiError, ValidationRejected
from calendar_sched.models import MediaRef
from calendar_sched.plan.planner import plan
from calendar_sched.targets.postsyncer.backend import PostSyncerBackend
from calendar_sched.targets.postsyncer.shapes import (
    account_settings,
    rejected,
    remote_posts,
    schedule_for,
)
from tests.helpers.postsyncer import START, channel, post

X, LI, IG = channel("1", "x", "acme"), channel("2", "linkedin", "dana"), channel("3", "instagram")


def test_same_content_and_time_pack_into_one_post_with_many_accounts() -> None:
    backend = PostSyncerBackend()
    posts = [post("e1", X), post("e1", LI, settings={"visibility": "public"}), post("e1", IG)]
    assert len({backend.pack_key(p) for p in posts}) == 1
    body = backend.build_body(posts, {})
    assert [a["id"] for a in body["accounts"]] == [1, 2, 3]
    assert body["accounts"][1]["settings"] == {"visibility": "PUBLIC"}
    assert body["schedule_for"] == {"date": "2030-03-02", "time": "09:00", "timezone": "UTC"}
    assert body["schedule_type"] == "schedule"
    assert body["workspace_id"] == 1


def test_schedule_for_is_local_time_in_the_rows_zone() -> None:
    backend = PostSyncerBackend()
    berlin = post("e1", X, timezone="Europe/Berlin")  # 2030-03-02 09:00 UTC
    body = backend.build_body([berlin], {})
    assert body["schedule_for"] == {
        "date": "2030-03-02",
        "time": "10:00",
        "timezone": "Europe/Berlin",
    }
    same_instant_in_utc = post("e1", LI)
    assert backend.pack_key(berlin) != backend.pack_key(same_instant_in_utc)
    assert berlin.content_hash() == post("e1", X).content_hash()  # journals stay valid
    listed = remote_posts({"id": 5, **body})
    assert backend.match([berlin], listed) == {"e1@1": "5"}
    utc_listing = remote_posts({"id": 6, **backend.build_body([post("e1", X)], {})})
    assert backend.match([berlin], utc_listing) == {"e1@1": "6"}  # the same instant matches


def test_validated_rows_carry_their_zone_to_the_post(tmp_path: Path) -> None:
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,date,time,timezone,channels,text\n"
        "a,2030-07-01,09:00,America/New_York,x,Hello\n"
        "b,2030-07-01,09:00,,x,Hi\n"
    )
    checked = validate([calendar], ValidateOptions(channels=[X], timezone="Asia/Tokyo", now=START))
    assert checked.report.valid, checked.report.errors
    zones = {p.entry_key: p.timezone for p in checked.posts}
    assert zones == {"a": "America/New_York", "b": "Asia/Tokyo"}
    whens = {p.entry_key: schedule_for(p) for p in checked.posts}
    assert whens["a"] == {"date": "2030-07-01", "time": "09:00", "timezone": "America/New_York"}
    assert whens["b"] == {"date": "2030-07-01", "time": "09:00", "timezone": "Asia/Tokyo"}


def test_different_text_time_or_labels_do_not_pack() -> None:
    backend = PostSyncerBackend()
    base = post("e1", X)
    others = [
        post("e1", LI, text="Other"),
        post("e1", LI, at=base.publish_at + timedelta(minutes=1)),
        post("e1", LI, tags=["advent"]),
        post("e1", channel("9", "x", "b", workspace="2")),
    ]
    assert all(backend.pack_key(o) != backend.pack_key(base) for o in others)


def test_postiz_spellings_of_settings_are_translated() -> None:
    assert account_settings("instagram", {"post_type": "story"}) == {"post_type": "STORIES"}
    assert account_settings("instagram", {"post_type": "REELS"}) == {"post_type": "REELS"}
    assert account_settings("pinterest", {"board": "b1"}) == {"board_id": "b1"}
    assert account_settings("x", {"who_can_reply_post": "following"}) == {
        "reply_settings": "following"
    }
    assert account_settings("telegram", {"protect_content": True, "__type": "telegram"}) == {
        "protect_content": True
    }


def test_url_media_go_inline_or_as_library_ids() -> None:
    backend = PostSyncerBackend()
    ref = MediaRef(source="https://a.example/x.png", url="https://a.example/x.png")
    p = post("e1", X, media=[ref])
    assert backend.build_body([p], {})["content"][0]["media"] == ["https://a.example/x.png"]
    from calendar_sched.targets.base import UploadedMedia

    stored = {ref.dedupe_key: UploadedMedia(ref.dedupe_key, "17", "https://cdn/x.png")}
    assert backend.build_body([p], stored)["content"][0]["media"] == [17]


def test_match_finds_each_account_of_a_listed_post_and_nothing_else() -> None:
    backend = PostSyncerBackend()
    posts = [post("e1", X, thread=["more"]), post("e1", LI, thread=["more"])]
    body = backend.build_body(posts, {})
    listed = remote_posts({"id": 7, **body}) + remote_posts(
        {"id": 8, **body, "content": [{"text": "changed", "media": []}]}
    )
    assert backend.match(posts, listed) == {"e1@1": "7", "e1@2": "7"}
    assert backend.match([post("e1", IG, thread=["more"])], listed) == {}
    assert backend.match([post("e1", X)], listed) == {}  # the thread differs


def test_422_on_one_account_isolates_that_post() -> None:
    posts = [post("e1", X), post("e1", LI)]
    body = {"message": "invalid", "errors": {"accounts.1.id": ["The selected id is invalid."]}}
    exc = rejected(FatalApiError("422", status=422, body=body), posts)
    assert isinstance(exc, ValidationRejected)
    assert exc.channel == "2"
    assert "[unknown-channel]" in str(exc)


texts = st.sampled_from(["A", "B", "C"])
minutes = st.sampled_from([0, 30, 60])
CHANNELS = [X, LI, IG, channel("4", "facebook", "fb")]
channels = st.sampled_from(range(len(CHANNELS)))
media = st.sampled_from([None, "https://a.example/1.png", "https://a.example/2.png"])


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(texts, minutes, st.sets(channels, min_size=1), media), max_size=30))
def test_plan_counts_every_call_and_never_overfills_a_minute(rows) -> None:  # type: ignore[no-untyped-def]
    backend = PostSyncerBackend()
    posts = []
    for index, (text, minute, chans, url) in enumerate(rows):
        refs = [MediaRef(source=url, url=url)] if url else []
        at = START + timedelta(days=1, minutes=minute)
        posts += [
            post(f"e{index}", CHANNELS[c], text=text, at=at, media=refs) for c in sorted(chans)
        ]
    result = plan(posts, backend, limit=5, window_seconds=60, now=START)
    keys = {backend.pack_key(p) for p in posts}
    urls = {r.dedupe_key for p in posts for v in p.values for r in v.media}
    batches = -(-len(urls) // backend.costs.upload_batch)
    assert result.requests_counted == 2 + len(keys) + batches == result.lower_bound
    assert all(r.counted for r in result.requests)
    per_window: dict[int, int] = {}
    for r in result.requests:
        per_window[r.window] = per_window.get(r.window, 0) + 1
    per_window[0] = per_window.get(0, 0) + result.fixed_calls
    assert all(count <= 5 for count in per_window.values())
    again = plan(posts, backend, limit=5, window_seconds=60, now=START)
    assert again == result
    carried = sorted(k for r in result.requests for k in r.post_keys)
    assert carried == sorted(p.key for p in posts)


def test_postsyncer_settings_are_not_judged_by_postiz_rules(tmp_path: Path) -> None:
    calendar = tmp_path / "cal.csv"
    calendar.write_text(
        "id,date,time,channels,text,media,settings.instagram.post_type,settings.pinterest.board_id\n"
        "a,2030-07-01,09:00,instagram,Reel,https://a.example/v.mp4,REELS,\n"
        "b,2030-07-01,10:00,pinterest,Pin,https://a.example/p.png,,987\n"
    )
    channels = [IG, channel("5", "pinterest", "pins")]
    postiz = validate([calendar], ValidateOptions(channels=channels, now=START))
    assert {(e.row, e.code) for e in postiz.report.errors} == {
        (2, "bad-value"),  # Postiz takes post | story
        (3, "missing-setting"),  # Postiz wants settings.pinterest.board
    }
    options = ValidateOptions(channels=channels, now=START, target="postsyncer")
    syncer = validate([calendar], options)
    assert syncer.report.valid, syncer.report.errors
    backend = PostSyncerBackend()
    elements = [backend.account_element(p) for p in syncer.posts]
    assert elements == [
        {"id": 3, "settings": {"post_type": "REELS"}},
        {"id": 5, "settings": {"board_id": 987}},
    ]
