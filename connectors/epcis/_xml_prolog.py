"""Refuse DTDs before libxml2 sees them: read the prolog (everything before the root tag).

A DOCTYPE with an internal subset or an external identifier can declare entities (billion
laughs, external entities pointing at files or URLs). EPCIS documents have no use for them,
so such a document is refused here, from the raw bytes, before any parser could expand or
fetch anything. The only DOCTYPE let through is the bare ``<!DOCTYPE name>``, which declares
nothing; several GS1 example documents carry one. The parser itself runs with entity
resolution, DTD loading and network access off, and checks the DTD again (belt and braces).
"""

from __future__ import annotations

import re
from typing import BinaryIO

from oretrail.epcis._document import EpcisParseError

DTD_REFUSED = "DTDs and entities are not accepted"
MAX_PROLOG_BYTES = 1 << 20

_BARE_DOCTYPE = re.compile(r"<!DOCTYPE[ \t\r\n]+[^ \t\r\n\[>'\"]+[ \t\r\n]*>")
_SPACE = " \t\r\n"


def _text_view(head: bytes) -> str:
    """The head of the document as text, enough to find markup characters.

    UTF-16/32 are decoded; every other encoding libxml2 reads is ASCII-compatible for the
    markup characters, so latin-1 (one char per byte, never fails) is a faithful view.
    """
    boms = (
        (b"\x00\x00\xfe\xff", "utf-32-be", 4),
        (b"\xff\xfe\x00\x00", "utf-32-le", 4),
        (b"\xfe\xff", "utf-16-be", 2),
        (b"\xff\xfe", "utf-16-le", 2),
        (b"\x00<\x00", "utf-16-be", 2),
        (b"<\x00", "utf-16-le", 2),
    )
    for marker, codec, width in boms:
        if head.startswith(marker):
            usable = len(head) - len(head) % width
            return head[:usable].decode(codec, errors="replace").lstrip("\ufeff")
    return head.decode("latin-1").removeprefix("\xef\xbb\xbf")


def _scan(text: str) -> bool | None:
    """True when the root start tag is reached, None when more input is needed.

    Raises EpcisParseError for a DTD that is more than a bare name. Anything that is not
    prolog markup ends the scan (False): libxml2 then reports it as not well-formed.
    """
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        rest = text[pos:]
        if rest.startswith("<?"):
            end = rest.find("?>") + 1
        elif rest.startswith("<!--"):
            end = rest.find("-->") + 2
        elif rest.startswith("<!DOCTYPE"):
            end = rest.find(">")
            if end >= 0 and not _BARE_DOCTYPE.fullmatch(rest[: end + 1]):
                raise EpcisParseError(f"{DTD_REFUSED}: the document declares {rest[:60]!r}")
        elif len(rest) < 9 and ("<!DOCTYPE".startswith(rest) or "<!--".startswith(rest[:4])):
            return None
        else:
            return len(rest) > 1 and rest[0] == "<" and rest[1] not in "!?"
        if end <= 1:  # the terminator is not in yet
            return None
        pos += end + 1


def read_prolog(stream: BinaryIO, chunk_size: int) -> bytes:
    """Read from ``stream`` until the root tag shows; return the bytes read (to feed on).

    A prolog longer than MAX_PROLOG_BYTES is refused: no EPCIS document needs one, and
    scanning it without bound would let a sender make the reader hold anything.
    """
    head = b""
    while True:
        chunk = stream.read(chunk_size)
        head += chunk
        found = _scan(_text_view(head))
        if found is not None or not chunk:
            return head
        if len(head) > MAX_PROLOG_BYTES:
            raise EpcisParseError(
                f"no root element in the first {MAX_PROLOG_BYTES} bytes of the document"
            )
