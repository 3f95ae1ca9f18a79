"""Bundles python-osc cannot parse safely are refused with a sentence, and the engine keeps serving."""

from __future__ import annotations

import signal
import struct

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from engine import __version__
from engine.core import Engine
from engine.osc.client import OscClient
from engine.osc.messages import MAX_TEXT_BYTES
from engine.osc.packet import BUNDLE_TAG, MAX_BUNDLE_DEPTH, MAX_DATAGRAM_MESSAGES, PacketError, check_datagram

TIME_TAG = b"\x00" * 7 + b"\x01"
PING = OscMessageBuilder("/distill/ping").build().dgram


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out")
    yield engine
    engine.shutdown()


def element(content: bytes) -> bytes:
    return struct.pack(">i", len(content)) + content


def bundle(*contents: bytes) -> bytes:
    return BUNDLE_TAG + TIME_TAG + b"".join(element(content) for content in contents)


def nested(depth: int) -> bytes:
    """A ping inside `depth` bundles."""
    data = PING
    for _ in range(depth):
        data = bundle(data)
    return data


NEGATIVE_SIZE = BUNDLE_TAG + TIME_TAG + struct.pack(">i", -4) + b"\x00" * 4  # the 24 bytes that hung python-osc

BAD_BUNDLES = {
    "negative size": (NEGATIVE_SIZE, "has size -4"),
    "zero size": (BUNDLE_TAG + TIME_TAG + struct.pack(">i", 0) + PING, "has size 0"),
    "size not a multiple of 4": (BUNDLE_TAG + TIME_TAG + struct.pack(">i", len(PING) - 2) + PING, f"has size {len(PING) - 2}"),
    "size beyond the datagram": (BUNDLE_TAG + TIME_TAG + struct.pack(">i", 1000) + PING, "claims 1000 bytes"),
    "size cut short": (bundle(PING) + b"\x00\x00", "no complete 4-byte size"),
    "short header": (BUNDLE_TAG + b"\x00\x00\x00\x00", "shorter than its 16-byte header"),
    "element neither message nor bundle": (bundle(b"abcd"), "neither a message nor a bundle"),
    "nested a thousand deep": (nested(1000), f"nested more than {MAX_BUNDLE_DEPTH} deep"),
    "too many messages": (bundle(*[PING] * (MAX_DATAGRAM_MESSAGES + 1)), f"more than {MAX_DATAGRAM_MESSAGES} messages"),
}


def message(address: bytes, tags: bytes, payload: bytes = b"") -> bytes:
    """A raw message: the address and the type tags NUL-padded, then `payload` as it is."""
    pad = lambda text: text + b"\x00" * (4 - len(text) % 4)
    return pad(address) + pad(b"," + tags) + payload


# Messages python-osc 1.10.2 reads inexactly: it skips unknown tags, pads a short float with zeros, ignores
# padding that is not NULs and bytes after the last argument, and builds arrays whose repr is a RecursionError.
BAD_MESSAGES = {
    "unknown type tags": (message(b"/distill/param/seed", b"Qz", b"\x00" * 8), "type tag 'Q'"),
    "a float of 2 bytes": (message(b"/distill/param/temperature", b"f", b"\x00\x00"), "needs 4 bytes, but 2 follow"),
    "a NUL inside a text": (message(b"/distill/preset/save", b"s", b"ab\x00cd\x00\x00\x00"), "argument 1 (text) is not padded with NULs"),
    "bytes after the last argument": (message(b"/distill/param/seed", b"i", b"\x00" * 8), "4 bytes follow the last argument"),
    "arrays nested 10000 deep": (message(b"/distill/generate", b"[" * 10_000 + b"]" * 10_000), "type tag '['"),
    "a blob of negative size": (message(b"/distill/ping", b"b", struct.pack(">i", -8) + b"\x00" * 8), "(blob) has size -8"),
    "a text without its NUL": (message(b"/distill/preset/save", b"s", b"abcd"), "argument 1 (text) has no terminating NUL"),
    "type tags without a comma": (b"/distill/ping\x00\x00\x00ii\x00\x00" + b"\x00" * 8, "do not start with ','"),
    "an address padded short": (b"/distill/ping\x00\x00", "the address is not padded"),
    "inside a bundle": (bundle(PING, message(b"/distill/param/seed", b"ii", b"\x00" * 4)), "argument 2 (type i) needs 4 bytes, but 0 follow"),
}


@pytest.mark.parametrize("data, problem", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_a_message_python_osc_would_misread_is_refused_naming_the_problem(client, data, problem):
    client.send_raw(data)
    echoed, refusal = client.expect("/distill/error", timeout=5)
    assert echoed == "" and refusal.startswith(f"the datagram of {len(data)} bytes was refused") and problem in refusal
    assert client.request("/distill/ping", reply="/distill/pong", timeout=5)[0] == __version__
    assert not client.pending  # nothing of it ran


def test_every_osc_type_python_osc_reads_passes_the_check():
    builder = OscMessageBuilder("/distill/param/seed")
    for kind, value in (("i", 1), ("f", 0.5), ("s", "abc"), ("h", 2**40), ("d", 0.25), ("b", b"\x01\x02\x03"), ("T", True), ("F", False), ("N", None), ("r", 7), ("m", (0, 144, 60, 1))):
        builder.add_arg(value, kind)
    assert check_datagram(builder.build().dgram) == 1
    assert check_datagram(message(b"/distill/param/seed", b"t", b"\x00" * 8)) == 1  # a time tag (the builder makes none)
    assert check_datagram(b"/distill/ping\x00\x00\x00") == 1  # no type tags at all: python-osc reads no arguments


def test_the_refusal_of_a_60_kb_address_fits_a_datagram(client):
    address = "/" + "d" * 60_000
    client.send_raw(message(address.encode(), b""))
    echoed, refusal = client.expect("/distill/error", timeout=5)
    assert echoed.startswith("/ddd") and echoed.endswith("…") and len(echoed.encode()) <= MAX_TEXT_BYTES
    assert refusal.startswith("unknown address /ddd") and len(refusal.encode()) <= MAX_TEXT_BYTES


@pytest.mark.parametrize("data, problem", BAD_BUNDLES.values(), ids=BAD_BUNDLES.keys())
def test_a_bad_bundle_is_refused_naming_the_problem_and_the_server_keeps_serving(client, data, problem):
    client.send_raw(data)
    echoed, message = client.expect("/distill/error", timeout=5)
    assert echoed == "" and problem in message and message.startswith(f"the datagram of {len(data)} bytes was refused")
    assert client.request("/distill/ping", reply="/distill/pong", timeout=5)[0] == __version__
    assert not client.pending  # the refused bundle ran none of its messages


def test_sound_bundles_pass_up_to_the_limits():
    assert check_datagram(PING) == 1
    assert check_datagram(nested(MAX_BUNDLE_DEPTH)) == 1
    assert check_datagram(bundle(*[PING] * MAX_DATAGRAM_MESSAGES)) == MAX_DATAGRAM_MESSAGES
    assert check_datagram(bundle(bundle(PING, PING), PING)) == 3
    built = OscBundleBuilder(IMMEDIATELY)
    built.add_content(OscMessageBuilder("/distill/help").build())
    assert check_datagram(built.build().dgram) == 1
    with pytest.raises(PacketError):
        check_datagram(nested(MAX_BUNDLE_DEPTH + 1))


def test_a_bundle_at_the_limits_runs_every_message(client):
    client.send_raw(bundle(bundle(*[PING] * (MAX_DATAGRAM_MESSAGES - 1)), PING))
    for _ in range(MAX_DATAGRAM_MESSAGES):
        client.expect("/distill/pong", timeout=5)


def test_the_24_byte_bundle_leaves_distill_serve_answering_and_stopping_on_sigterm(start_serve):
    process, port = start_serve("--audio-device", "none")
    client = OscClient(("127.0.0.1", port))
    client.send_raw(NEGATIVE_SIZE)
    _, message = client.expect("/distill/error", timeout=5)
    assert "has size -4" in message
    assert client.request("/distill/ping", reply="/distill/pong", timeout=5)[0] == __version__
    client.close()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
