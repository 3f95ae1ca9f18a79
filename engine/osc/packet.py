"""Checks a datagram's bundle structure before python-osc parses it.

python-osc 1.10.2 trusts a bundle's element sizes: a negative size makes `OscBundle._parse_contents` step
back to the same element forever (one 24-byte datagram hangs the network thread), and bundles nested
thousands deep end in a RecursionError. `check_datagram` walks the structure without recursion and
refuses, with one sentence naming the problem, what python-osc cannot parse safely or what asks for more
messages than one datagram may carry (see docs/osc.md, "Limits").
"""

from __future__ import annotations

import struct

BUNDLE_TAG = b"#bundle\x00"
BUNDLE_HEADER = len(BUNDLE_TAG) + 8  # the tag, then an 8-byte time tag
MAX_BUNDLE_DEPTH = 8  # bundles inside bundles, the outermost counting as 1
MAX_DATAGRAM_MESSAGES = 64  # messages in one datagram, counted through nested bundles


class PacketError(ValueError):
    """A datagram the engine refuses to parse; the message is one sentence for the client."""


def check_datagram(data: bytes) -> int:
    """The count of messages in `data` (1 for a plain message) when its bundles are sound, else PacketError.

    Every bundle element must have a size that is positive, a multiple of 4 and within its bundle, and hold
    a message (starting with '/') or a bundle; bundles nest at most MAX_BUNDLE_DEPTH deep and the datagram
    holds at most MAX_DATAGRAM_MESSAGES messages. Messages themselves are left to python-osc.
    """
    if not data.startswith(BUNDLE_TAG):
        return 1
    messages = 0
    pending = [(0, len(data), 1)]  # (start, end, depth) of the bundles still to walk
    while pending:
        start, end, depth = pending.pop()
        if depth > MAX_BUNDLE_DEPTH:
            raise PacketError(f"bundles are nested more than {MAX_BUNDLE_DEPTH} deep")
        if end - start < BUNDLE_HEADER:
            raise PacketError(f"a bundle of {end - start} bytes is shorter than its {BUNDLE_HEADER}-byte header")
        position = start + BUNDLE_HEADER
        while position < end:
            if end - position < 4:
                raise PacketError(f"a bundle element at byte {position} has no complete 4-byte size")
            (size,) = struct.unpack_from(">i", data, position)
            position += 4
            if size <= 0 or size % 4:
                raise PacketError(f"a bundle element at byte {position - 4} has size {size}; sizes are positive multiples of 4")
            if position + size > end:
                raise PacketError(f"a bundle element at byte {position - 4} claims {size} bytes, but only {end - position} follow")
            if data.startswith(BUNDLE_TAG, position):
                pending.append((position, position + size, depth + 1))
            elif data.startswith(b"/", position):
                messages += 1
                if messages > MAX_DATAGRAM_MESSAGES:
                    raise PacketError(f"the datagram holds more than {MAX_DATAGRAM_MESSAGES} messages; send at most {MAX_DATAGRAM_MESSAGES} per datagram")
            else:
                raise PacketError(f"a bundle element at byte {position - 4} is neither a message nor a bundle")
            position += size
    return messages
