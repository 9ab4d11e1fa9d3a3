"""A file's bytes decoded a megabyte at a time, so a large file is checked without ever being one
string (a text with one emoji takes four bytes a character as a ``str``, and decoding it whole
briefly needs the narrower copy too)."""

from __future__ import annotations

import codecs
from collections.abc import Iterator

_CHUNK = 1 << 20


def decoded_pieces(data: bytes, start: int, encoding: str, errors: str = "strict") -> Iterator[str]:
    """``data[start:]`` decoded a megabyte at a time (one empty piece for no bytes).

    Raises:
        UnicodeDecodeError: as decoding ``data[start:]`` whole would, at the same byte.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    try:
        for at in range(start, max(len(data), start + 1), _CHUNK):
            yield decoder.decode(data[at : at + _CHUNK], final=at + _CHUNK >= len(data))
    except UnicodeDecodeError:
        data[start:].decode(encoding, errors)  # raises the error with the offset in the whole
        raise
