"""The MIDI adapter driven by mido messages (directly and through a queue-fed port), its map file and CLI.

Most tests use `RecordingEngine`, a minimal stand-in with the Engine methods the adapter calls (set_param,
model, note), to check exact calls; one drives a real `Engine` with a tiny trained prior.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass

import mido
import pytest

from engine.audio.playback import AudioOut
from engine.cli import main
from engine.errors import DistillError
from engine.midi import MidiAdapter, MidiInput, MidiMap, MidiMapError, open_input
from engine.midi import ports as midi_ports


@dataclass
class Info:
    codebook_size: int


class RecordingEngine:
    """Records every engine call; generation completes when `finish()` is called, like a job thread would."""

    def __init__(self, codebook_size: int = 64):
        self.calls: list[tuple] = []
        self.codebook_size = codebook_size
        self.top_k_limit = codebook_size
        self.note_error: DistillError | None = None
        self.played = threading.Event()

    def set_param(self, name, value):
        if name == "top_k" and value > self.top_k_limit:
            raise DistillError(f"top-k must be at most {self.top_k_limit}")
        self.calls.append(("set_param", name, value))
        return value

    @property
    def model(self):
        return Info(self.codebook_size)

    def note(self, key, velocity):
        self.calls.append(("note", key, velocity))
        if self.note_error is not None:
            raise self.note_error
        self.played.set()
        return True


class QueuePort(mido.ports.BaseInput):
    """A mido input port fed from a `queue.Queue`: the test's stand-in for a hardware port."""

    def __init__(self, messages: queue.Queue):
        self.queue = messages
        super().__init__("queue port")

    def _receive(self, block=True):
        try:
            return self.queue.get(timeout=0.01) if block else self.queue.get_nowait()
        except queue.Empty:
            return None


def wait_until(condition, timeout: float = 2.0) -> None:
    """Poll `condition` every 10 ms until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def cc(control, value):
    return mido.Message("control_change", control=control, value=value)


@pytest.fixture
def engine():
    return RecordingEngine()


@pytest.fixture
def adapter(home, engine):
    return MidiAdapter(engine)


def test_default_map_scales_ccs_over_each_range(adapter, engine):
    for message in (cc(1, 0), cc(1, 127), cc(2, 0), cc(2, 127), cc(2, 64), cc(3, 0), cc(3, 127), cc(9, 100)):
        adapter.handle(message)
    assert engine.calls == [
        ("set_param", "temperature", 0.05), ("set_param", "temperature", 2.0),
        ("set_param", "top_k", 0), ("set_param", "top_k", 64), ("set_param", "top_k", 32),
        ("set_param", "top_p", 0.05), ("set_param", "top_p", 1.0),
    ]
    assert all(isinstance(value, int) for _, name, value in engine.calls if name == "top_k")


def test_notes_and_note_offs_reach_the_engine_as_key_and_velocity(adapter, engine):
    adapter.handle(mido.Message("note_on", note=60, velocity=127))
    adapter.handle(mido.Message("note_on", note=61, velocity=0))  # a note-off in disguise
    adapter.handle(mido.Message("note_off", note=60, velocity=64))
    adapter.handle(mido.Message("note_on", note=0, velocity=32))
    assert engine.calls == [("note", 60, 127), ("note", 61, 0), ("note", 60, 0), ("note", 0, 32)]


def test_engine_errors_are_logged_and_the_adapter_goes_on(adapter, engine, caplog):
    engine.top_k_limit = 10  # stricter than the CC range, to see the engine's error pass through
    engine.note_error = DistillError("No model with a prior is loaded.")
    with caplog.at_level(logging.WARNING):
        adapter.handle(mido.Message("note_on", note=5, velocity=90))
        adapter.midi_map.bind(4, "top_k")
        adapter.handle(cc(4, 127))
    assert [r.getMessage() for r in caplog.records] == [
        "MIDI note_on channel=0 note=5 velocity=90 time=0: No model with a prior is loaded.",
        "MIDI control_change channel=0 control=4 value=127 time=0: top-k must be at most 10",
    ]
    adapter.handle(cc(1, 127))
    assert engine.calls[-1] == ("set_param", "temperature", 2.0)


def test_learn_binds_the_next_cc_and_persists_it(adapter, engine, home):
    adapter.learn("temperature")
    assert adapter.learning == "temperature"
    adapter.handle(cc(74, 10))  # binds, sets nothing
    assert engine.calls == [] and adapter.learning is None
    adapter.handle(cc(74, 127))
    adapter.handle(cc(1, 127))  # CC 1 no longer controls temperature
    assert engine.calls == [("set_param", "temperature", 2.0)]
    saved = json.loads((home / "midi.json").read_text())
    assert saved == {"format": "distill-midi-map", "version": 1, "controls": {"2": "top_k", "3": "top_p", "74": "temperature"}}
    assert MidiMap.load().controls == {2: "top_k", 3: "top_p", 74: "temperature"}


def test_learn_refuses_unknown_parameters(adapter):
    with pytest.raises(MidiMapError, match="MIDI cannot control 'volume'; choose one of temperature, top_k, top_p, duration"):
        adapter.learn("volume")
    assert adapter.learning is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "Cannot read the MIDI map"),
        ('{"format": "other", "version": 1, "controls": {}}', "is not a distill MIDI map"),
        ('{"format": "distill-midi-map", "version": 2, "controls": {}}', "has version 2; this distill reads version 1"),
        ('{"format": "distill-midi-map", "version": 1, "controls": {"300": "top_p"}}', "has no valid 'controls'"),
        ('{"format": "distill-midi-map", "version": 1, "controls": {"1": "gain"}}', "MIDI cannot control 'gain'"),
    ],
)
def test_bad_map_files_are_refused_with_one_sentence(home, content, message):
    home.mkdir(parents=True, exist_ok=True)
    (home / "midi.json").write_text(content)
    with pytest.raises(MidiMapError, match=message):
        MidiMap.load()


def test_messages_through_a_queue_port_reach_the_engine_in_order(adapter, engine):
    messages: queue.Queue = queue.Queue()
    midi_in = MidiInput(QueuePort(messages), adapter.handle)
    for value in range(0, 128, 8):
        messages.put(cc(3, value))
    messages.put(mido.Message("note_on", note=42, velocity=100))
    assert engine.played.wait(2.0)
    midi_in.close()
    assert not midi_in._thread.is_alive()
    assert [call[2] for call in engine.calls[:-1]] == [pytest.approx(0.05 + 0.95 * v / 127) for v in range(0, 128, 8)]
    assert engine.calls[-1] == ("note", 42, 100)


def test_missing_port_logs_one_line_and_returns_none(caplog):
    with caplog.at_level(logging.INFO):
        assert open_input("distill test port that does not exist", lambda message: None) is None
    (record,) = caplog.records
    assert record.getMessage().startswith("MIDI input unavailable (")
    assert record.getMessage().endswith("): the engine runs on without MIDI")


def test_cli_lists_ports(monkeypatch, capsys):
    monkeypatch.setattr(midi_ports, "_check_midi_system", lambda: None)
    monkeypatch.setattr(mido, "get_input_names", lambda: ["Launch Control XL", "nanoKONTROL2"])
    assert main(["midi", "ports"]) == 0
    assert capsys.readouterr().out == "Launch Control XL\nnanoKONTROL2\n"
    monkeypatch.setattr(mido, "get_input_names", lambda: [])
    assert main(["midi", "ports"]) == 0
    assert capsys.readouterr().out == "No MIDI input ports.\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the ALSA sequencer check is Linux-only")
def test_cli_without_a_midi_system_says_so_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", str(tmp_path / "seq"))
    assert main(["midi", "ports"]) == 1
    assert capsys.readouterr().err == f"error: No MIDI system: {tmp_path / 'seq'} (the ALSA sequencer) does not exist.\n"


class RecordingAudio(AudioOut):
    """An AudioOut at 44.1 kHz that records what the engine starts instead of opening a device (the audio path
    itself is tested against a real JACK server in tests/test_instrument.py)."""

    def __init__(self):
        super().__init__()
        self.started: list[list] = []  # per voice: [samples so far, gain]
        self.done = threading.Event()  # set when a voice has all its samples

    @property
    def sample_rate(self):
        return 44100

    def start(self, audio, gain=1.0, *, more=False):
        self.started.append([len(audio), gain])
        if not more:
            self.done.set()
        return len(self.started)

    def extend(self, voice, audio, *, last=False):
        self.started[voice - 1][0] += len(audio)
        if last:
            self.done.set()


@pytest.mark.slow
def test_real_engine_follows_ccs_and_plays_a_note_from_memory(home, tiny_prior_file):
    from engine.core import Engine
    from engine.generation.pipeline import generate_audio
    from engine.library import Library

    Library().import_file(tiny_prior_file)
    audio = RecordingAudio()
    engine = Engine(audio=audio)
    try:
        info = engine.load_model("tiny")
        adapter = MidiAdapter(engine)
        adapter.handle(cc(1, 127))
        adapter.handle(cc(2, 127))
        adapter.handle(cc(3, 0))
        params = engine.params
        assert (params.temperature, params.top_k, params.top_p) == (2.0, info.codebook_size, 0.05)
        engine.set_param("duration", 0.3)
        files_before = set(engine.out_dir.iterdir())
        adapter.handle(mido.Message("note_on", note=64, velocity=100))
        assert audio.done.wait(60)
        current = engine._model
        expected = generate_audio(current.loaded, current.prior, duration_s=0.3, temperature=2.0, top_k=info.codebook_size, top_p=0.05, seed=64)
        assert audio.started == [[len(expected), 100 / 127]]  # one voice, streamed or not, with the whole sound
        assert set(engine.out_dir.iterdir()) == files_before  # a note writes no file
    finally:
        engine.shutdown()
