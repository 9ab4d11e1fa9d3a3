"""The journal: append-only lines, replay, torn tails, versions, the lock."""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sched.errors import JournalCorrupt, JournalLocked
from calendar_sched.run.journal import Journal, journal_path_for, read_lines, read_state
from calendar_sched.targets.base import RateState, SentPost, UploadedMedia
from tests.helpers.backend import CHANNELS, make_posts

FP = "fp-test"


def test_path_sits_beside_the_calendar(tmp_path: Path) -> None:
    assert journal_path_for(tmp_path / "march.csv") == tmp_path / "march.csv.journal.jsonl"


def test_header_is_versioned_and_never_holds_a_key(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path, fingerprint=FP):
        pass
    header = json.loads(path.read_text().splitlines()[0])
    assert header["event"] == "header"
    assert header["format_version"] == 1
    assert header["fingerprint"] == FP
    assert "key" not in json.dumps(header).lower().replace("fingerprint", "")


def test_started_without_outcome_is_in_doubt_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    posts = make_posts(2)
    with Journal(path, fingerprint=FP) as journal:
        call = journal.started(posts[:1])
        journal.succeeded(call, [SentPost(posts[0].key, "r0", posts[0].channel.id)])
        journal.started(posts[1:])
    state = read_state(path)
    assert state.done[posts[0].key].remote_id == "r0"
    assert state.done[posts[0].key].content_hash == posts[0].content_hash()
    doubt = state.in_doubt[posts[1].key]
    assert doubt.value_id == posts[1].value_id(FP, 0)
    assert doubt.publish_at == posts[1].publish_at
    assert not doubt.update
    assert state.requests_sent == 2


def test_transient_failure_stays_in_doubt_terminal_does_not(tmp_path: Path) -> None:
    posts = make_posts(2)
    with Journal(tmp_path / "j.jsonl", fingerprint=FP) as journal:
        first = journal.started(posts[:1])
        journal.failed(first, message="500", status=500, transient=True)
        second = journal.started(posts[1:])
        journal.failed(second, message="429", status=429, transient=False)
        assert list(journal.state.in_doubt) == [posts[0].key]


def test_update_in_doubt_is_flagged(tmp_path: Path) -> None:
    post = make_posts(1)[0]
    changed = replace(post, values=[replace(post.values[0], text="v2")])
    with Journal(tmp_path / "j.jsonl", fingerprint=FP) as journal:
        call = journal.started([post])
        journal.succeeded(call, [SentPost(post.key, "r", post.channel.id)])
        journal.started([changed])
        assert journal.state.in_doubt[post.key].update


def test_live_state_equals_replay(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    posts = make_posts(3, channels=CHANNELS[:1])
    with Journal(path, fingerprint=FP) as journal:
        journal.planned(posts)
        call = journal.started(posts[:2])
        journal.succeeded(
            call, [SentPost(p.key, f"r{i}", p.channel.id) for i, p in enumerate(posts[:2])]
        )
        journal.post_failed(posts[2].key, "too long", status=400)
        journal.uploaded(UploadedMedia("sha256:ab", "m1", "https://x/1.png"))
        journal.rate(RateState(30, 12, 1_900_000_000.0, None))
        journal.deleted(posts[0].key, "r0")
        live = journal.state
    assert read_state(path) == live
    assert live.rate == RateState(30, 12, 1_900_000_000.0, None)
    assert live.uploaded["sha256:ab"].id == "m1"
    assert set(live.done) == {posts[1].key}
    assert live.failed[posts[2].key].message == "too long"
    assert live.pending_keys() == [posts[0].key]  # deleted, so to be sent again


def test_torn_last_line_is_survived_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    posts = make_posts(2)
    with Journal(path, fingerprint=FP) as journal:
        call = journal.started(posts[:1])
        journal.succeeded(call, [SentPost(posts[0].key, "r0", posts[0].channel.id)])
    intact = path.read_bytes()
    path.write_bytes(intact + b'{"event":"started","call":"x","po')
    assert posts[0].key in read_state(path).done
    with Journal(path, fingerprint=FP) as journal:
        journal.started(posts[1:])
    lines, good = read_lines(path)
    assert good == path.stat().st_size
    assert [line["event"] for line in lines][-1] == "started"
    assert path.read_bytes().startswith(intact)


def test_damage_before_the_last_line_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path, fingerprint=FP) as journal:
        journal.rate(RateState(30, 1, None))
        journal.rate(RateState(30, 0, None))
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:10]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(JournalCorrupt, match="line 2 is not valid JSON"):
        read_lines(path)  # strict: damage is never skipped silently
    assert read_state(path).damaged == 1  # status leaves it out and says so
    with Journal(path, fingerprint=FP) as journal:  # a run keeps a copy and repairs
        assert journal.repaired is not None
        assert journal.state.rate == RateState(30, 0, None)
    assert len(list(tmp_path.glob("j.jsonl.damaged-*"))) == 1
    assert read_state(path).damaged == 0


def test_unknown_format_version_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"event": "header", "format_version": 99}) + "\n")
    with pytest.raises(JournalCorrupt, match="format_version 99 is not supported"):
        Journal(path, fingerprint=FP)


def test_other_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal(path, fingerprint="aaaa").close()
    with pytest.raises(JournalCorrupt, match="another target"):
        Journal(path, fingerprint="bbbb")


def _hold(path: str, ready: Any, done: Any) -> None:
    journal = Journal(path, fingerprint=FP)
    ready.set()
    done.wait(10)
    journal.close()


def test_second_run_is_locked_out_with_the_holder_named(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(path), ready, done))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(JournalLocked, match=rf"pid {holder.pid} on .+ since "):
            Journal(path, fingerprint=FP)
    finally:
        done.set()
        holder.join(10)
    Journal(path, fingerprint=FP).close()  # released when the holder ends


def test_lock_is_released_on_close(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal(path, fingerprint=FP).close()
    Journal(path, fingerprint=FP).close()
    assert os.path.exists(str(path) + ".lock")


events = st.lists(
    st.one_of(
        st.tuples(st.just("ok"), st.integers(0, 5), st.text(min_size=1, max_size=8)),
        st.tuples(st.just("start"), st.integers(0, 5), st.just("")),
        st.tuples(st.just("fail"), st.integers(0, 5), st.text(max_size=20)),
        st.tuples(st.just("rate"), st.integers(0, 30), st.just("")),
        st.tuples(st.just("upload"), st.integers(0, 5), st.text(min_size=1, max_size=8)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(events)
def test_journal_round_trips(
    tmp_path_factory: pytest.TempPathFactory, script: list[tuple[str, int, str]]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "j.jsonl"
    posts = make_posts(6, channels=CHANNELS[:1])
    with Journal(path, fingerprint=FP) as journal:
        journal.planned(posts)
        for kind, n, text in script:
            post = posts[n % len(posts)]
            if kind == "ok":
                call = journal.started([post])
                journal.succeeded(call, [SentPost(post.key, text, post.channel.id)])
            elif kind == "start":
                journal.started([post])
            elif kind == "fail":
                journal.post_failed(post.key, text)
            elif kind == "rate":
                journal.rate(RateState(30, n, 1.5 * n, None))
            else:
                journal.uploaded(UploadedMedia(f"k{n}", text, f"https://x/{text}"))
        live = journal.state
    replayed = read_state(path)
    assert replayed == live
    with Journal(path, fingerprint=FP) as again:
        assert again.state == live


def test_status_counts_alone_equal_the_per_post_list(tmp_path: Path) -> None:
    """``run_status`` asks for the counts only; they are the per-post list's, counted."""
    from calendar_sched.run.status import journal_status

    path = tmp_path / "j.jsonl"
    posts = make_posts(6, channels=CHANNELS[:1])
    with Journal(path, fingerprint=FP) as journal:
        journal.planned(posts)
        call = journal.started(posts[:3])
        journal.succeeded(
            call, [SentPost(p.key, f"r{i}", p.channel.id) for i, p in enumerate(posts[:2])]
        )
        journal.post_failed(posts[3].key, "too long", status=400)
        journal.started(posts[4:5])  # no answer: in doubt
        state = journal.state
    full = journal_status(state, now=1_900_000_000.0)
    counts = journal_status(state, now=1_900_000_000.0, per_post=False)
    assert "posts" not in counts
    assert counts == {k: v for k, v in full.items() if k != "posts"}
    states = [p["state"] for p in full["posts"]]
    assert {k: counts[k] for k in ("done", "pending", "failed", "in_doubt")} == {
        "done": states.count("done"),
        "pending": states.count("pending"),
        "failed": states.count("failed"),
        "in_doubt": states.count("in_doubt"),
    }
    # posts[2] was sent but not in the answer, posts[4] had no answer: both in doubt
    assert [counts[k] for k in ("done", "pending", "failed", "in_doubt")] == [2, 1, 1, 2]
