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
