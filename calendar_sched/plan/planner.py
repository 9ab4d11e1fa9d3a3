"""The planner: the fewest counted requests for a set of Posts, placed in quota windows.

Pure: Posts, a backend's cost model and sizes, and what is already done go in; a ``Plan`` comes
out. Steps: snap publish times (optional), skip unchanged done Posts, group by pack key, split
each group under the body cap (first-fit decreasing), order by deadline, put each media upload
just before its first use, and fill windows of ``limit - reserve`` counted requests.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, overload

from calendar_sched.errors import ConfigError
from calendar_sched.models import MediaRef, Post, utc_iso
from calendar_sched.plan.eta import eta_seconds
from calendar_sched.targets.base import Backend, CountedListings, Labels, RateState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Kind = Literal["post", "upload"]
#: A request before its window is known: kind, member Post indices, media keys, bytes, deadline.
_Draft = tuple[Kind, Sequence[int], list[str], int, datetime | None]


class PostKeys(Sequence[str]):
    """The keys of the Posts a request carries, made when they are read: a 100k-row plan would
    otherwise hold 260k key strings (18 MB) that most outputs only count. Compares equal to a
    list of the same keys."""

    __slots__ = ("_indices", "_posts")

    def __init__(self, posts: Sequence[Post], indices: Sequence[int]) -> None:
        self._posts = posts
        self._indices = indices

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._posts[i].key for i in self._indices[index]]
        return self._posts[self._indices[index]].key

    def __iter__(self) -> Iterator[str]:
        posts = self._posts
        return (posts[i].key for i in self._indices)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, as the list it stands for

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass(slots=True, kw_only=True)
class PlannedRequest:
    """One API request of a plan: what it carries, its quota window and when it may go."""

    index: int  # 0-based position in the plan, uploads included
    #: What every output calls it (README "Numbers"): post requests are numbered on from the
    #: last one the calendar's journal holds (1, 2, … on a first run); uploads apart, from 1.
    number: int
    window: int  # 0-based quota window
    counted: bool
    kind: Kind
    post_keys: Sequence[str] = field(default_factory=list)  # a ``PostKeys`` from ``plan()``
    media_key: str | None = None
    media_keys: list[str] = field(default_factory=list)  # all of a batch upload (URL import)
    bytes: int  # estimated body size (upper bound for posts)
    deadline: datetime | None  # earliest publish instant carried (UTC)
    send_at: float  # seconds after the plan's start when it may be sent


@dataclass(slots=True, kw_only=True)
class Plan:
    """Ordered requests in quota windows, with the figures a preview shows."""

    requests: list[PlannedRequest]
    posts: list[Post]
    media: dict[str, MediaRef]
    skipped: list[str]
    lower_bound: int
    naive_requests: int
    windows: int
    eta_seconds: float
    late: list[str]
    limit: int
    reserve: int
    window_seconds: float
    snapped: list[dict[str, str]]
    oversize: list[str] = field(default_factory=list)  # posts over the body cap on their own
    fixed_calls: int = 0  # counted calls made before the plan runs (discovery)
    label_calls: int = 0  # counted calls that find or create labels (PostSyncer tags)
    listing_calls: int = 0  # counted listing pages that settle calls in doubt (estimate)
    #: The number of the request carrying each of ``posts``, in their order (a compact array:
    #: a 100k-row calendar has 260k posts).
    post_requests: array[int] = field(default_factory=lambda: array("l"))

    @property
    def requests_counted(self) -> int:
        """Requests that count against the quota, fixed and label calls included."""
        counted = sum(1 for request in self.requests if request.counted)
        return self.fixed_calls + self.label_calls + self.listing_calls + counted

    def request_of(self) -> dict[str, int]:
        """Post key → number of the request that carries it."""
        if len(self.post_requests) != len(self.posts):  # a Plan made by hand, not by plan()
            return {
                key: request.number
                for request in self.requests
                if request.kind == "post"
                for key in request.post_keys
            }
        return {
            post.key: number for post, number in zip(self.posts, self.post_requests, strict=True)
        }


def plan(
    posts: Sequence[Post],
    backend: Backend,
    *,
    limit: int | None = None,
    reserve: int = 0,
    window_seconds: float | None = None,
    snap_minutes: int | None = None,
    done: Mapping[str, str] | None = None,
    uploaded: Collection[str] = (),
    in_doubt: int = 0,
    now: datetime,
    first_request: int = 1,
    rate: RateState | None = None,
) -> Plan:
    """Plan the fewest counted requests for ``posts`` and place them in quota windows.

    Args:
        posts: every Post of the calendar (Entry × channel).
        backend: gives the cost model, pack key and serialized sizes (no I/O is done).
        limit: counted requests per window (default: the backend's cost model).
        reserve: requests per window left for other tools of the same account.
        window_seconds: length of a quota window (default: the backend's cost model).
        snap_minutes: move publish times to the nearest point of this grid (ties go earlier).
        done: post key → content hash already applied; unchanged ones are skipped.
        uploaded: media dedupe keys (and label keys) already on the server.
        in_doubt: creates sent without an answer; where listings count, the run first lists
            the account's posts to find them (estimated from the posts the journal knows).
        now: the plan's start, to flag Posts that would be sent after their publish time.
        first_request: the number of the plan's first post request (the journal's last + 1).
        rate: the quota as the journal last saw it, for the ETA (None: a fresh window).

    Returns:
        The Plan: requests in send order, stats, late and snapped Posts.

    Raises:
        ConfigError: a limit, reserve, window or body cap that leaves no room.
    """
    costs = backend.costs
    limit = costs.limit if limit is None else limit
    window = costs.window_seconds if window_seconds is None else window_seconds
    if limit < 1:
        raise ConfigError(f"the limit must be at least 1 request per window, not {limit}")
    if not 0 <= reserve < limit:
        raise ConfigError(f"reserve {reserve} must be between 0 and limit - 1 ({limit - 1})")
    if window <= 0:
        raise ConfigError(f"the window must be longer than 0 seconds, not {window}")
    cap = costs.body_cap - backend.envelope_bytes()
    if cap <= 0:
        raise ConfigError(f"body cap {costs.body_cap} is smaller than an empty request")

    return _plan(
        posts,
        backend,
        limit=limit,
        reserve=reserve,
        window=window,
        cap=cap,
        snap_minutes=snap_minutes,
        done=done or {},
        uploaded=uploaded,
        in_doubt=in_doubt,
        now=now,
        first_request=first_request,
        rate=rate,
    )


def _plan(
    posts: Sequence[Post],
    backend: Backend,
    *,
    limit: int,
    reserve: int,
    window: float,
    cap: int,
    snap_minutes: int | None,
    done: Mapping[str, str],
    uploaded: Collection[str],
    in_doubt: int,
    now: datetime,
    first_request: int,
    rate: RateState | None,
) -> Plan:
    costs = backend.costs
    uploads_count = costs.counts_uploads or costs.counts_everything
    if not isinstance(uploaded, set | frozenset):
        uploaded = frozenset(uploaded)  # asked once per media use

    # Snap, then skip what the journal already applied
    snapped: list[dict[str, str]] = []
    if snap_minutes:
        posts = _snap(posts, snap_minutes, snapped)
    todo: list[Post] = []
    skipped: list[str] = []
    if done:
        for post in posts:
            applied = done.get(post.key)
            if applied is not None and applied == post.content_hash():
                skipped.append(post.key)
            else:
                todo.append(post)
    else:
        todo = list(posts)

    # Group by pack key and pack each group under the cap
    # Per-post numbers are kept in arrays: a list holds each as an object (36 bytes, not 8).
    post_bytes, pack_key = backend.post_bytes, backend.pack_key
    sizes = array("q", map(post_bytes, todo))
    groups: dict[Hashable, array[int]] = {}
    for i, post in enumerate(todo):
        key = pack_key(post)
        group = groups.get(key)
        if group is None:
            groups[key] = array("l", (i,))
        else:
            group.append(i)
    bins: list[Sequence[int]] = []
    lower_bound = 0
    oversize: list[str] = []
    for members in groups.values():
        if len(members) == 1:
            lower_bound += 1  # alone: one request, whether it fits or not
            bins.append(members)
            if sizes[members[0]] > cap:
                oversize.append(todo[members[0]].key)
            continue
        too_big = [i for i in members if sizes[i] > cap]
        fitting = array("l", (i for i in members if sizes[i] <= cap)) if too_big else members
        oversize.extend(todo[i].key for i in too_big)
        total = sum(sizes[i] for i in fitting)
        if fitting and total <= cap:
            lower_bound += 1
            bins.append(fitting)  # what first-fit decreasing gives when all fit in one bin
        elif fitting:
            lower_bound += math.ceil(total / cap)
            bins.extend(sorted(b) for b in first_fit_decreasing(fitting, sizes, cap))
        lower_bound += len(too_big)  # each must travel alone (and the server will refuse it)
        bins.extend([i] for i in too_big)
    del groups

    # Order by deadline; uploads go just before their first use
    when = [post.publish_at for post in todo]
    due = [when[b[0]] if len(b) == 1 else min(when[i] for i in b) for b in bins]
    firsts = [b[0] for b in bins]  # distinct: ties in deadline keep the calendar's order
    order = [k for _, _, k in sorted(zip(due, firsts, range(len(bins)), strict=True))]
    envelope = backend.envelope_bytes()
    batch = max(1, costs.upload_batch)
    media: dict[str, MediaRef] = {}
    url_keys: list[str] = []  # URL media imported in batches, all before the first post
    drafts: list[_Draft] = []
    for k in order:
        chosen = bins[k]
        for i in chosen:
            for value in todo[i].values:
                for ref in value.media:
                    key = ref.dedupe_key
                    if key not in media and key not in uploaded:
                        media[key] = ref
                        if batch > 1 and ref.url and not ref.path:
                            url_keys.append(key)
                        else:
                            drafts.append(("upload", (), [key], ref.size or 0, None))
        size = envelope + (
            sizes[chosen[0]] if len(chosen) == 1 else sum(map(sizes.__getitem__, chosen))
        )
        deadline = due[k]
        if deadline.tzinfo is not UTC:
            deadline = deadline.astimezone(UTC)
        drafts.append(("post", chosen, [], size, deadline))
    del sizes, bins
    url_batches = [url_keys[k : k + batch] for k in range(0, len(url_keys), batch)]
    drafts[:0] = [("upload", (), chunk, 0, None) for chunk in url_batches]

    # Fill quota windows; a scheduled Post sent after its publish instant is late
    per_window = limit - reserve
    requests: list[PlannedRequest] = []
    late: list[str] = []
    labels = backend.label_calls(todo, uploaded) if isinstance(backend, Labels) else 0
    listings = 0
    if in_doubt and isinstance(backend, CountedListings):
        listings = backend.listing_calls(len(done) + in_doubt)
    fixed = costs.fixed_calls
    before = fixed + labels + listings
    current, used = before // per_window, before % per_window
    send_at, sent = current * window, now + timedelta(seconds=current * window)
    numbers = {"post": first_request - 1, "upload": 0}
    post_requests = array("l", [0]) * len(todo)
    for index, (kind, carried, media_keys, size, first_due) in enumerate(drafts):
        numbers[kind] += 1
        counted = kind == "post" or uploads_count
        if used == per_window:
            current, used = current + 1, 0
            send_at, sent = current * window, now + timedelta(seconds=current * window)
        if counted:
            used += 1
        keys: Sequence[str] = PostKeys(todo, carried) if carried else []
        if kind == "post":
            for i in carried:
                post_requests[i] = numbers[kind]
            late.extend(
                todo[i].key for i in carried if todo[i].type == "schedule" and sent > when[i]
            )
        requests.append(
            PlannedRequest(
                index=index,
                number=numbers[kind],
                window=current,
                counted=counted,
                kind=kind,
                post_keys=keys,
                media_key=media_keys[0] if media_keys else None,
                media_keys=media_keys if len(media_keys) > 1 else [],
                bytes=size,
                deadline=first_due,
                send_at=send_at,
            )
        )

    # Stats
    windows = requests[-1].window + 1 if requests else 0
    # The one ETA (plan/eta.py), from the quota the journal last saw.
    eta = eta_seconds(
        before + sum(1 for r in requests if r.counted) if requests else 0,
        per_window=per_window,
        window_seconds=window,
        rate=rate,
        now=now.timestamp(),
        reserve=reserve,
    )
    media_uses = sum(len(v.media) for p in todo for v in p.values)
    if uploads_count:
        lower_bound += len(media) - len(url_keys) + len(url_batches)
    lower_bound += before
    return Plan(
        requests=requests,
        posts=todo,
        media=media,
        skipped=skipped,
        lower_bound=lower_bound,
        naive_requests=before + len(todo) + (media_uses if uploads_count else 0),
        windows=windows,
        eta_seconds=eta,
        late=late,
        limit=limit,
        reserve=reserve,
        window_seconds=window,
        snapped=snapped,
        oversize=oversize,
        fixed_calls=fixed,
        label_calls=labels,
        listing_calls=listings,
        post_requests=post_requests,
    )


def first_fit_decreasing(items: Sequence[int], sizes: Sequence[int], cap: int) -> list[list[int]]:
    """Bins of item indices, none over ``cap``: largest first, each into the first bin it fits.

    A max-segment-tree over the bins' free space finds that first bin in O(log n), so a group
    of 100k Posts packs in well under a second. Ties in size keep input order (deterministic).
    """
    order = sorted(items, key=lambda i: (-sizes[i], i))
    width = 1
    while width < max(1, len(order)):
        width *= 2
    free = [-1] * (2 * width)  # leaves: free space of bin k at width + k; -1 = not opened
    bins: list[list[int]] = []
    for item in order:
        need = sizes[item]
        if free[1] >= need:
            node = 1
            while node < width:
                node = 2 * node if free[2 * node] >= need else 2 * node + 1
            slot = node - width
        else:
            slot = len(bins)
            bins.append([])
            node = width + slot
            free[node] = cap
        bins[slot].append(item)
        free[node] -= need
        node //= 2
        while node:
            most = max(free[2 * node], free[2 * node + 1])
            if free[node] == most:
                break  # its ancestors hold what they held: only this bin's space changed
            free[node] = most
            node //= 2
    return bins


def snap_time(moment: datetime, minutes: int) -> datetime:
    """The nearest point of an ``minutes`` grid counted from the Unix epoch (ties go earlier)."""
    grid = timedelta(minutes=minutes)
    moment = moment.astimezone(UTC)
    offset = (moment - _EPOCH) % grid
    lower = moment - offset
    return lower if offset * 2 <= grid else lower + grid


def _snap(posts: Sequence[Post], minutes: int, changes: list[dict[str, str]]) -> list[Post]:
    if minutes < 1:
        raise ConfigError(f"snap must be at least 1 minute, not {minutes}")
    out = []
    seen: set[str] = set()
    for post in posts:
        moved = snap_time(post.publish_at, minutes)
        if moved == post.publish_at:
            out.append(post)
            continue
        out.append(replace(post, publish_at=moved))
        if post.entry_key not in seen:
            seen.add(post.entry_key)
            changes.append(
                {"entry": post.entry_key, "from": utc_iso(post.publish_at), "to": utc_iso(moved)}
            )
    return out
