"""Checks a datagram's structure before python-osc parses it.

python-osc 1.10.2 trusts a bundle's element sizes: a negative size makes `OscBundle._parse_contents` step
back to the same element forever (one 24-byte datagram hangs the network thread), and bundles nested
thousands deep end in a RecursionError. Within a message it skips type tags it does not know (reading the
arguments after them from the wrong bytes), pads a float cut short with zeros, ignores padding that is not
NULs and bytes after the last argument (so "ab\\0cd" arrives as "ab"), and builds arrays nested as deep as
the type tags say (their repr alone is a RecursionError). `check_datagram` walks the structure without
recursion and refuses, with one sentence naming the problem, what python-osc cannot parse safely or exactly,
or what asks for more messages than one datagram may carry (see docs/osc.md, "Limits").
"""

from __future__ import annotations

import struct

BUNDLE_TAG = b"#bundle\x00"
BUNDLE_HEADER = len(BUNDLE_TAG) + 8  # the tag, then an 8-byte time tag
MAX_BUNDLE_DEPTH = 8  # bundles inside bundles, the outermost counting as 1
MAX_DATAGRAM_MESSAGES = 64  # messages in one datagram, counted through nested bundles
# Bytes of data each type tag takes (s and b: their own length); arrays ('[', ']') are refused: no address takes one.
ARGUMENT_BYTES = {"i": 4, "f": 4, "r": 4, "m": 4, "h": 8, "d": 8, "t": 8, "s": None, "b": None, "T": 0, "F": 0, "N": 0}


class PacketError(ValueError):
    """A datagram the engine refuses to parse; the message is one sentence for the client."""


def check_datagram(data: bytes) -> int:
    """The count of messages in `data` (1 for a plain message) when its bundles are sound, else PacketError.

    Every bundle element must have a size that is positive, a multiple of 4 and within its bundle, and hold
    a message (starting with '/') or a bundle; bundles nest at most MAX_BUNDLE_DEPTH deep and the datagram
    holds at most MAX_DATAGRAM_MESSAGES messages. Every message must be exact (`check_message`).
    """
    if not data.startswith(BUNDLE_TAG):
        check_message(data, 0, len(data))
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
                check_message(data, position, position + size)
                messages += 1
                if messages > MAX_DATAGRAM_MESSAGES:
                    raise PacketError(f"the datagram holds more than {MAX_DATAGRAM_MESSAGES} messages; send at most {MAX_DATAGRAM_MESSAGES} per datagram")
            else:
                raise PacketError(f"a bundle element at byte {position - 4} is neither a message nor a bundle")
            position += size
    return messages


def check_message(data: bytes, start: int, end: int) -> None:
    """PacketError unless data[start:end] is one exact OSC message.

    The address and the type tags are NUL-terminated and padded with NULs to a multiple of 4 bytes; the
    type tags (absent only when nothing follows the address) start with ',' and are ones python-osc reads
    (ARGUMENT_BYTES: no arrays); every argument's bytes are there, a text's padding is NULs, a blob's size
    is not negative; and nothing follows the last argument. Whether the values suit an address is the
    routes' to say.
    """
    position = _string_end(data, start, end, "the address")
    if position == end:
        return
    if data[position : position + 1] != b",":
        raise PacketError("the type tags do not start with ','")
    tags_end = _string_end(data, position, end, "the type tags")
    tags = data[position + 1 : data.index(b"\x00", position)].decode("latin-1")
    position = tags_end
    for number, tag in enumerate(tags, 1):
        if tag not in ARGUMENT_BYTES:
            raise PacketError(f"argument {number} has the type tag {tag!r}, which is not an OSC type distill reads (i, f, s, h, d, b, T, F, N, r, m, t)")
        size = ARGUMENT_BYTES[tag]
        if tag == "s":
            position = _string_end(data, position, end, f"argument {number} (text)")
            continue
        if tag == "b":
            if end - position < 4:
                raise PacketError(f"argument {number} (blob) has no complete 4-byte size")
            (length,) = struct.unpack_from(">i", data, position)
            if length < 0:
                raise PacketError(f"argument {number} (blob) has size {length}")
            position += 4
            size = length + (-length % 4)
        if end - position < size:
            raise PacketError(f"argument {number} (type {tag}) needs {size} bytes, but {end - position} follow")
        position += size
    if position != end:
        raise PacketError(f"{end - position} bytes follow the last argument")


def _string_end(data: bytes, start: int, end: int, what: str) -> int:
    """Where the NUL-terminated, NUL-padded string at `start` ends, or PacketError naming `what`."""
    terminator = data.find(b"\x00", start, end)
    if terminator < 0:
        raise PacketError(f"{what} has no terminating NUL")
    padded = terminator + 4 - (terminator - start) % 4
    if padded > end or data[terminator:padded].strip(b"\x00"):
        raise PacketError(f"{what} is not padded with NULs to a multiple of 4 bytes")
    return padded
