"""Post content as Postiz stores it: DOMPurify with the tags and attributes Postiz allows.

``libraries/helpers/src/utils/sanitize.post.content.ts`` (reference §3): allowed tags ``p, br,
strong, u, a, ul, li, h1-h3, span``; allowed attributes ``href, target, rel, class,
data-mention-*``. Other elements go but keep their text, except those whose content DOMPurify
drops too (``script``, ``style`` …); comments go; the result is serialised as a browser's
``innerHTML`` does, so plain ``& < >`` are stored as entities.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset({"p", "br", "strong", "u", "a", "ul", "li", "h1", "h2", "h3", "span"})
ALLOWED_ATTRIBUTES = frozenset({"href", "target", "rel", "class"})
_MENTION_PREFIX = "data-mention-"
# DOMPurify's default FORBID_CONTENTS: removed together with everything inside them.
_DROP_CONTENT = frozenset(
    {
        "annotation-xml",
        "audio",
        "colgroup",
        "desc",
        "foreignobject",
        "head",
        "iframe",
        "math",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "noembed",
        "noframes",
        "noscript",
        "plaintext",
        "script",
        "style",
        "svg",
        "template",
        "thead",
        "title",
        "video",
        "xmp",
    }
)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# DOMPurify's IS_ALLOWED_URI, tried after removing whitespace and control characters.
_SAFE_URI = re.compile(
    r"^(?:(?:(?:f|ht)tps?|mailto|tel|callto|sms|cid|xmpp|matrix):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))",
    re.IGNORECASE,
)
_URI_SPACE = re.compile(r"[\u0000-\u0020\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000]")


def sanitize_content(content: str) -> str:
    """``content`` as Postiz stores it."""
    if not content:
        return content
    cleaner = _Cleaner()
    cleaner.feed(content.replace("\r\n", "\n").replace("\r", "\n"))
    cleaner.close()
    return cleaner.result()


def strip_tags(content: str) -> str:
    """``striptags``: the text with every tag removed and entities left as written."""
    return re.sub(r"<[^>]*>", "", content)


def _text(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\u00a0", "&nbsp;")
    )


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\u00a0", "&nbsp;")


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[str] = []  # allowed elements not closed yet
        self._dropping: list[str] = []  # dropped elements whose content goes too

    def result(self) -> str:
        # A browser closes what is left open at the end of the fragment.
        return "".join(self._out) + "".join(f"</{tag}>" for tag in reversed(self._open))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            if tag in _DROP_CONTENT:
                self._dropping.append(tag)
            return
        if tag in _DROP_CONTENT:
            self._dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = "".join(
            f' {name}="{_attribute(value or "")}"'
            for name, value in attrs
            if _allowed_attribute(name, value or "")
        )
        self._out.append(f"<{tag}{kept}>")
        if tag not in _VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._open and self._open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag == self._dropping[-1]:
                self._dropping.pop()
            return
        if tag in self._open:
            while self._open:
                closed = self._open.pop()
                self._out.append(f"</{closed}>")
                if closed == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self._out.append(_text(data))


def _allowed_attribute(name: str, value: str) -> bool:
    if name == "href":
        return _SAFE_URI.match(_URI_SPACE.sub("", value)) is not None
    return name in ALLOWED_ATTRIBUTES or name.startswith(_MENTION_PREFIX)
