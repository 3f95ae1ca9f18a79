"""`/distill/note` and `/distill/note/mode` over a real OSC server on loopback, numbers sent as Pd sends them.

The audio output is the recording FakeAudio: these tests check what is played and released, not when
(tests/test_instrument.py plays through a real JACK server; bench/latency.py measures timing).
"""

from __future__ import annotations

import time

import pytest
from tui_support import FakeAudio

from engine.core import Engine
from engine.osc.client import OscClient
from engine.osc.server import OscServer


@pytest.fixture
def audio():
    return FakeAudio()


@pytest.fixture
def engine(home, tmp_path, tiny_prior_file, audio):
    engine = Engine(out_dir=tmp_path / "out", audio=audio)
    engine.load_model(str(tiny_prior_file))
    engine.set_param("duration", 0.3)
    yield engine
    engine.shutdown()


def until(condition, timeout: float = 60.0):
    """Wait for `condition()` to be truthy (a render runs in the background); AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def error_of(client, address, *values) -> str:
    client.send(address, *values)
    echoed, message = client.expect("/distill/error")
    assert echoed == address
    return message


def test_a_note_plays_its_key_at_its_velocity_from_floats_as_pd_sends(server, client, audio, tmp_path):
    key, velocity, sounded = client.request("/distill/note", 60.0, 100.0, reply="/distill/noted")
    assert (key, velocity) == (60, 100) and sounded in (0, 1)
    until(lambda: 1 in audio.complete)
    samples, gain = audio.voices[0]
    assert samples == pytest.approx(0.3 * FakeAudio.sample_rate, rel=0.1) and gain == pytest.approx(100 / 127)
    assert not list((tmp_path / "out").iterdir())  # notes write no file
    assert client.request("/distill/note", 60, 0, reply="/distill/noted") == [60, 0, 1]  # one-shot: a note-off releases nothing
    assert audio.released == []


def test_gate_mode_releases_the_key_and_is_announced(server, client, audio):
    listener = OscClient(server.address)
    try:
        listener.request("/distill/subscribe", reply="/distill/subscribed")
        assert client.request("/distill/note/mode", reply="/distill/note/mode") == ["one-shot", pytest.approx(0.05)]
        assert client.request("/distill/note/mode", "gate", 0.25, reply="/distill/note/mode") == ["gate", 0.25]
        assert listener.expect("/distill/note/mode") == ["gate", 0.25]
        client.request("/distill/note", 62.0, 127.0, reply="/distill/noted")
        until(lambda: audio.voices)
        client.request("/distill/note", 62.0, 0.0, reply="/distill/noted")
        assert audio.released == [(1, 0.25)]
        assert client.request("/distill/note/mode", "one-shot", reply="/distill/note/mode") == ["one-shot", 0.25]  # release kept
    finally:
        listener.close()


def test_bad_notes_and_modes_are_refused_in_one_sentence(server, client):
    assert "key must be a whole number from 0 to 127" in error_of(client, "/distill/note", 128, 1)
    assert "velocity must be a whole number from 0 to 127" in error_of(client, "/distill/note", 1, 200.0)
    assert "must be a whole number" in error_of(client, "/distill/note", 60.5, 1)
    assert "note mode must be one of one-shot, gate" in error_of(client, "/distill/note/mode", "loud")
    assert "release must be from 0 to 10 seconds" in error_of(client, "/distill/note/mode", "gate", 11.0)
    assert client.request("/distill/note/mode", reply="/distill/note/mode")[0] == "one-shot"  # nothing changed


def test_a_note_without_working_audio_says_why(server, client, audio):
    audio.available = False
    audio.unavailable_reason = "the device 'Scarlett' is gone"
    assert error_of(client, "/distill/note", 60, 100) == "no audio output: the device 'Scarlett' is gone"


def test_a_note_on_an_engine_without_audio_says_so(home, tmp_path, tiny_prior_file):
    engine = Engine(out_dir=tmp_path / "out", audio=None)
    server = OscServer(engine, "127.0.0.1", 0).start()
    client = OscClient(server.address)
    try:
        assert "this engine has no audio output" in error_of(client, "/distill/note", 60, 100)
    finally:
        client.close()
        server.close()
        engine.shutdown()
