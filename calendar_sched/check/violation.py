"""What a rule check sees (``Item``) and what it finds (``Violation``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    """One broken rule: a report code, the item it concerns and the server's wording.

    ``server`` is False for a platform limit Postiz itself does not check (the API accepts the
    post, the platform refuses it at publish time): validate reports it, the sandbox does not.
    """

    code: str
    message: str
    server_message: str
    item: int = 0  # 0 = main post, 1.. = thread items
    field: str | None = None
    server: bool = True


@dataclass
class Item:
    """A thread item as rules see it: its plain text and its media kinds."""

    text: str
    media: Sequence[str] = field(default_factory=tuple)  # "image" | "video" per item
