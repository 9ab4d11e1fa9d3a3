"""``validate``: files → entries, posts and one Report; never raises for bad input."""

import dataclasses
import gc
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from calendar_sched.check.validation import ValidateOptions, Validation, validate
from calendar_sched.load.channels import load_channels_file
from calendar_sched.models import Channel
from calendar_sched.plan.planner import plan
from calendar_sched.targets.postiz.backend import PostizBackend

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "id,publish_at,channels,text,media,settings.youtube.title,settings.youtube.type\n"


def check(tmp_path: Path, body: str, name: str = "cal.csv", **kw: object) -> Validation:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    options = ValidateOptions(timezone="Europe/Berlin", now=NOW, **kw)  # type: ignore[arg-type]
    return validate([path], options)


def test_each_row_resolves_its_references_and_reports_its_own_bad_ones(tmp_path: Path) -> None:
    # References are resolved once and remembered: a bad one is still reported on every row
    # that names it, and a channel named twice in a row is one Post.
    body = HEADER + (
        'a,2030-12-01 09:00,"x, nosuch, demo-x",One,,,\n'
        'b,2030-12-02 09:00,"nosuch, telegram",Two,,,\n'
        'c,2030-12-03 09:00,"x, telegram",Three,,,\n'
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code", "value"]) == [
        [2, "unknown-channel", "nosuch"],
        [3, "unknown-channel", "nosuch"],
    ]
    assert [(p.entry_key, p.channel.id) for p in result.posts] == [
        ("c", "demo-x"),
        ("c", "demo-telegram"),
    ]


def test_valid_calendar_builds_posts(tmp_path: Path) -> None:
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    body = HEADER + (
        'a,2030-12-01 09:00,"x, linkedin-page:acme-inc, instagram",Hello,pic.png,,\n'
        "b,2030-12-02 09:00,telegram,Second,,,\n"
    )
    result = check(tmp_path, body)
    assert result.report.valid, result.report.to_json()
    assert result.report.entries == 2
    assert result.report.posts == 4
    post = result.posts[0]
    assert post.channel.id == "demo-x"
    assert post.entry_key == "a"
    assert post.publish_at == datetime(2030, 12, 1, 8, 0, tzinfo=UTC)
    assert post.settings == {"who_can_reply_post": "everyone"}
    assert post.values[0].text == "Hello"
    assert post.values[0].media[0].kind == "image"
    assert result.report.flatten(["row", "code", "field"], warnings=True) == [
        [2, "default-applied", "settings.x.who_can_reply_post"],
        [2, "default-applied", "settings.instagram.post_type"],
    ]
    summary = result.files[0]
    assert (summary.entries, summary.posts, summary.channels) == (2, 4, 4)
    assert summary.timezone == "Europe/Berlin"
    assert summary.timezone_source == "option"
    assert result.demo_channels


def test_rules_become_row_errors_with_fix(tmp_path: Path) -> None:
    long = "y" * 300
    body = HEADER + (
        f"a,2030-12-01 09:00,x,{long},,,\n"
        "b,2030-12-01 10:00,youtube,Video,,Title,\n"
        "c,2030-12-01 11:00,instagram,No picture,,,\n"
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code", "field"]) == [
        [2, "text-too-long", "text"],
        [3, "media-required", "media"],
        [3, "missing-setting", "settings.youtube.type"],
        [4, "media-required", "media"],
    ]
    assert "x:acme: 300 characters; x allows 280" in result.report.errors[0].message
    assert result.posts == []
    assert [e.key for e in result.entries] == ["a", "b", "c"]


def test_override_and_thread_fields(tmp_path: Path) -> None:
    body = "publish_at,channels,text,text.x,thread.1\n" + (
        f"2030-12-01 09:00,x,short,{'z' * 290},{'w' * 290}\n"
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code", "field"]) == [
        [2, "text-too-long", "text.x"],
        [2, "text-too-long", "thread.1"],
    ]


def test_duplicate_ids_and_derived_key_collisions(tmp_path: Path) -> None:
    body = "id,publish_at,channels,text\n" + (
        "a,2030-12-01 09:00,telegram,one\n"
        "a,2030-12-02 09:00,telegram,two\n"
        ",2030-12-03 09:00,telegram,same\n"
        ",2030-12-03 09:00,telegram,same\n"
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code"]) == [[3, "duplicate-id"]]
    assert "already used on row 2" in result.report.errors[0].message
    keys = [e.key for e in result.entries]
    assert keys[2] + "-2" == keys[3]
    assert len(keys[2]) == 12
    assert [w.code for w in result.report.warnings] == ["duplicate-content"]
    assert result.report.warnings[0].row == 5


def test_duplicate_content_needs_same_channel_within_an_hour(tmp_path: Path) -> None:
    body = "publish_at,channels,text\n" + (
        "2030-12-01 09:00,telegram,same\n"
        "2030-12-01 10:00,telegram,same\n"
        "2030-12-01 10:30,mastodon,same\n"
        "2030-12-01 10:59,telegram,same\n"
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code"], warnings=True) == [[5, "duplicate-content"]]
    assert "as row 3, 59 min apart" in result.report.warnings[0].message


def test_duplicate_content_leaves_drafts_out_and_compares_each_text(tmp_path: Path) -> None:
    # A draft is never posted twice; an override text is compared on its own platform.
    body = "publish_at,channels,text,type,text.telegram\n" + (
        "2030-12-01 09:00,telegram,same,draft,\n"
        "2030-12-01 09:10,telegram,same,,\n"
        '2030-12-01 09:20,"telegram, mastodon",other,,same\n'
        "2030-12-01 09:30,mastodon,same,,\n"
    )
    result = check(tmp_path, body)
    assert result.report.flatten(["row", "code"], warnings=True) == [[4, "duplicate-content"]]
    assert "as row 3, 10 min apart" in result.report.warnings[0].message


def test_channel_errors_and_custom_channel_list(tmp_path: Path) -> None:
    channels = [
        Channel(id="c1", name="Main", identifier="x", profile="main"),
        Channel(id="c2", name="Second", identifier="x", profile="second"),
        Channel(id="c3", name="Gone", identifier="mastodon", profile="gone", disabled=True),
    ]
    body = "publish_at,channels,text\n" + (
        "2030-12-01 09:00,x,hi\n2030-12-01 09:00,mastodon,hi\n2030-12-01 09:00,nope,hi\n"
    )
    result = check(tmp_path, body, channels=channels)
    assert result.report.flatten(["row", "code", "value"]) == [
        [2, "ambiguous-channel", "x"],
        [3, "disabled-channel", "mastodon"],
        [4, "unknown-channel", "nope"],
    ]
    assert not result.demo_channels


def test_unreadable_and_missing_files_are_report_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    result = validate(
        [tmp_path / "missing.csv", tmp_path / "bad.xlsx", tmp_path / "x.doc"],
        ValidateOptions(now=NOW),
    )
    assert [e.code for e in result.report.errors] == ["unreadable-file"] * 3
    assert result.report.entries == 0
    assert not result.report.valid


def test_max_errors_marks_partial(tmp_path: Path) -> None:
    body = "publish_at,channels,text\n" + "bad,x,hi\n" * 5
    result = check(tmp_path, body, max_errors=2)
    assert len(result.report.errors) == 2
    assert result.report.partial
    assert result.files[0].errors == 5
    assert result.report.warnings[-1].code == "error-limit"


def test_entries_with_errors_build_no_posts(tmp_path: Path) -> None:
    body = "publish_at,channels,text,media\n2030-12-01 09:00,x,hi,gone.png\n"
    result = check(tmp_path, body)
    assert result.report.flatten(["code"]) == [["media-not-found"]]
    assert result.posts == []
    assert len(result.entries) == 1


def test_yaml_and_csv_give_the_same_entries(tmp_path: Path) -> None:
    csv_body = "publish_at,channels,text,text.x,thread.1,tags\n" + (
        '2030-12-01 09:00,"x, telegram",Hello,Hi X,More,"a, b"\n'
    )
    document = {
        "timezone": "Europe/Berlin",
        "posts": [
            {
                "publish_at": "2030-12-01 09:00",
                "channels": ["x", "telegram"],
                "text": {"default": "Hello", "x": "Hi X"},
                "thread": ["More"],
                "tags": ["a", "b"],
            }
        ],
    }
    from_csv = check(tmp_path, csv_body)
    (tmp_path / "cal.yaml").write_text(yaml.safe_dump(document))
    (tmp_path / "cal.json").write_text(json.dumps(document))
    for name in ("cal.yaml", "cal.json"):
        other = validate([tmp_path / name], ValidateOptions(now=NOW))
        assert other.report.valid, other.report.to_json()
        assert other.files[0].timezone_source == "file"
        mine, theirs = from_csv.entries[0], other.entries[0]
        assert theirs.key == mine.key
        assert dataclasses.replace(theirs, position=mine.position) == mine


FILE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200
) | st.sampled_from(["id,publish_at\n1,2\n", "posts: [1, {a: b}]\n", "[]", "---\n- text: 5\n"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300) | FILE_TEXT.map(str.encode),
    suffix=st.sampled_from([".csv", ".yaml", ".json", ".xlsx", ".tsv"]),
)
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    result = validate([path], ValidateOptions(now=NOW, timezone="UTC"))
    assert result.report.entries == result.files[0].entries
    assert result.report.valid == (not result.report.errors)
    assert len(result.posts) == result.report.posts


def test_past_publish_time_is_a_warning(tmp_path: Path) -> None:
    result = check(tmp_path, "publish_at,channels,text\n2020-01-01 10:00,telegram,old\n")
    assert result.report.valid
    assert len(result.posts) == 1
    assert result.report.flatten(["row", "code"], warnings=True) == [[2, "past-publish-time"]]


@pytest.mark.parametrize("order", ["dmy", "mdy"])
def test_date_format_option(tmp_path: Path, order: str) -> None:
    result = check(
        tmp_path, "publish_at,channels,text\n03/04/2030 10:00,telegram,a\n", date_format=order
    )
    assert result.report.valid
    month = result.entries[0].publish_at.month
    assert month == (4 if order == "dmy" else 3)


# --- the samples (golden) ------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_NOW = datetime(2026, 11, 1, tzinfo=UTC)


def sample(name: str, **kw: object) -> Validation:
    options = ValidateOptions(
        channels=load_channels_file(SAMPLES / "channels.json"),
        now=SAMPLE_NOW,
        **kw,  # type: ignore[arg-type]
    )
    return validate([SAMPLES / name], options)


def essence(result: Validation) -> list[tuple[object, ...]]:
    return [
        (
            e.key,
            e.publish_at.astimezone(UTC),
            e.channels,
            e.type,
            e.text,
            e.text_overrides,
            [m.source for m in e.media],
            [(t.text, [m.source for m in t.media], t.delay) for t in e.thread],
            e.tags,
            e.settings,
        )
        for e in result.entries
    ]


def test_december_is_valid_in_every_format() -> None:
    results = {name: sample(name) for name in ("december.csv", "december.xlsx", "december.yaml")}
    for name, result in results.items():
        assert result.report.valid, (name, result.report.to_json())
        assert (result.report.entries, result.report.posts) == (62, 283), name
        assert result.files[0].channels == 10
        assert result.report.warnings == []
    assert results["december.yaml"].files[0].timezone_source == "file"
    csv_entries = essence(results["december.csv"])
    assert essence(results["december.xlsx"]) == csv_entries
    assert essence(results["december.yaml"]) == csv_entries
    zones = {e.timezone for e in results["december.csv"].entries}
    assert zones == {"Europe/Berlin", "America/New_York"}


def test_hootsuite_layout_takes_default_channels() -> None:
    result = sample("hootsuite.csv", default_channels=["x, bluesky"], timezone="Europe/Berlin")
    assert result.report.valid, result.report.to_json()
    assert result.report.posts == 2 * result.report.entries
    assert {p.channel.identifier for p in result.posts} == {"x", "bluesky"}
    missing = sample("hootsuite.csv", timezone="Europe/Berlin")
    assert {e.code for e in missing.report.errors} == {"missing-field"}
    assert "--default-channels" in missing.report.errors[0].message


def test_broken_sample_rows_and_codes() -> None:
    result = sample("broken.csv")
    assert result.report.flatten(["row", "code"]) == [
        [2, "bad-datetime"],
        [3, "unknown-channel"],
        [4, "text-too-long"],
        [5, "media-required"],
        [6, "media-not-found"],
        [7, "nonexistent-local-time"],
        [9, "duplicate-id"],
        [10, "empty-post"],
        [11, "bad-timezone"],
    ]
    assert "tiktok" in result.report.errors[1].message  # the typo's candidate is named


def _models(value: object) -> list[Any]:
    """Every dataclass instance inside ``value`` (itself included), depth first."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [value] + [
            m for f in dataclasses.fields(value) for m in _models(getattr(value, f.name))
        ]
    if isinstance(value, list):
        return [m for item in value for m in _models(item)]
    return []


@pytest.mark.parametrize("name", ["december.csv", "december.xlsx", "december.yaml"])
def test_models_hold_values_of_their_fields_types(name: str) -> None:
    result = sample(name)
    built = _models(result.entries) + _models(result.posts)
    assert {type(m).__name__ for m in built} >= {
        "Entry",
        "Post",
        "PostValue",
        "ThreadItem",
        "MediaRef",
        "Position",
        "Channel",
    }
    adapters: dict[type, TypeAdapter[Any]] = {}
    for model in built:
        kind = type(model)
        adapter = adapters.setdefault(kind, TypeAdapter(kind))
        # pydantic's validated copy equals the model only if every value has its field's type.
        assert adapter.validate_python(dataclasses.asdict(model)) == model, model


def test_validate_and_plan_leave_the_garbage_collector_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def touched(*args: object) -> None:
        raise AssertionError("the library switched the garbage collector")

    for name in ("disable", "enable", "freeze", "unfreeze", "collect"):
        monkeypatch.setattr(gc, name, touched)
    result = check(tmp_path, HEADER + "a,2030-12-01 09:00,x,Hello,,,\n")
    assert result.report.valid
    assert plan(result.posts, PostizBackend(), now=NOW).posts == result.posts


def test_validate_leaves_frozen_objects_frozen(tmp_path: Path) -> None:
    body = HEADER + "a,2030-12-01 09:00,x,Hello,,,\n"
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert check(tmp_path, body).report.valid
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_repeated_channel_cells_resolve_the_same_on_every_row(tmp_path: Path) -> None:
    rows = "".join(
        f'r{n},2030-12-0{n} 09:00,"{refs}",Hello {n},,,\n'
        for n, refs in enumerate(["x, nope", "x, nope", "x;linkedin", "x;linkedin", "x"], 1)
    )
    result = check(tmp_path, HEADER + rows)
    assert result.report.flatten(["row", "code"]) == [
        [2, "unknown-channel"],
        [3, "unknown-channel"],
    ]
    assert [(p.entry_key, p.channel.id) for p in result.posts] == [
        ("r3", "demo-x"),
        ("r3", "demo-linkedin"),
        ("r4", "demo-x"),
        ("r4", "demo-linkedin"),
        ("r5", "demo-x"),
    ]
    assert result.posts[0].channel is result.posts[2].channel


def test_posts_alike_but_for_their_settings_keep_their_own(tmp_path: Path) -> None:
    """Rules that ignore the text are checked once per platform, settings and media shape; the
    settings a post carries keep their types, even where Python calls them equal (1 == True)."""
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8)
    calendar = {
        "timezone": "UTC",
        "posts": [
            {
                "publish_at": f"2030-12-0{n + 1} 09:00",
                "channels": ["linkedin-page:acme-inc"],
                "text": f"Post {n}",
                "media": ["a.png", "a.png"],
                "settings": {"linkedin-page": {"post_as_images_carousel": value}},
            }
            for n, value in enumerate([1, True, True, ["x"]])
        ],
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(calendar), encoding="utf-8")
    result = validate([tmp_path / "c.yaml"], ValidateOptions(now=NOW))
    assert result.report.valid, result.report.to_json()
    values = [post.settings["post_as_images_carousel"] for post in result.posts]
    assert values == [1, True, True, ["x"]]
    assert [type(value) for value in values[:2]] == [int, bool]
    # Equal settings are one dict shared by the Posts (they are never changed in place), but
    # 1 and True, equal in Python, are not equal settings.
    assert result.posts[1].settings is result.posts[2].settings
    assert result.posts[0].settings is not result.posts[1].settings
