"""Notes from memory through a real JACK server (dummy backend): what a note sounds like, chords, gate mode.

The engine plays through `AudioOut` on JACK's "system" device; a second JACK client records its output ports.
Timing is measured by bench/latency.py, not asserted here.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.errors import DistillError
from engine.generation.pipeline import generate_audio, stream_audio
from engine.instrument import NOTE_CHUNK_FRAMES, NoteSettings
from jack_support import RATE, Recorder, jack_server


@pytest.fixture(scope="module")
def jack():
    with jack_server():
        yield


@pytest.fixture
def played(jack, home, tiny_prior_file):
    """A real engine playing on JACK, with the tiny prior loaded and 0.3 s notes, and a recorder on its output."""
    from engine.audio.playback import AudioOut
    from engine.core import Engine
    from engine.library import Library

    Library().import_file(tiny_prior_file)
    engine = Engine(audio=AudioOut())
    recorder = Recorder()
    try:
        engine.load_model("tiny")
        engine.set_param("duration", 0.3)
        engine.note(1, 0)  # a note-off: makes the instrument (it starts rendering) and opens the stream
        recorder.connect_from("PortAudio")
        yield engine, recorder
    finally:
        engine.shutdown()
        recorder.close()


def expected_sound(engine, key: int) -> np.ndarray:
    current = engine._model
    settings = engine.params.settings()
    return generate_audio(current.loaded, current.prior, duration_s=settings.duration_s, temperature=settings.temperature,
                          top_k=settings.top_k, top_p=settings.top_p, seed=key, sample_rate=RATE)


def aligned(recorder, mark: int, reference: np.ndarray) -> np.ndarray:
    """The recorded left channel from where it best matches `reference` (within 10 ms of the first sound recorded
    after `mark`), as long."""
    onset = recorder.first_sound(mark)
    left = recorder.wait_after(mark, onset + 480 + len(reference))[:, 0]
    lags = range(max(0, onset - 480), onset + 480)
    best = max(lags, key=lambda lag: float(np.dot(left[lag : lag + len(reference)], reference)))
    return left[best : best + len(reference)]


def wait_ready(engine, count: int) -> None:
    deadline = time.monotonic() + 120
    while engine._instrument.ready_count < count:
        assert time.monotonic() < deadline, "keys were not rendered ahead"
        time.sleep(0.05)


def test_a_note_sounds_the_keys_generation_at_its_velocity_and_writes_no_file(played):
    engine, recorder = played
    wait_ready(engine, 4)
    files = set(engine.out_dir.iterdir())
    mark = recorder.blocks_recorded
    assert engine.note(2, 64) is True  # ready: from memory
    reference = expected_sound(engine, 2) * 64 / 127  # [N]
    heard = aligned(recorder, mark, reference)
    fade = int(0.005 * RATE)
    body = slice(fade, len(reference) - fade)  # the mixer fades each voice in and out over 5 ms
    assert np.allclose(heard[body], reference[body], atol=2e-3)
    assert set(engine.out_dir.iterdir()) == files


def test_a_key_not_yet_rendered_sounds_once_it_is(played):
    engine, recorder = played
    mark = recorder.blocks_recorded
    engine.note(127, 100)  # the last key rendered ahead: it jumps the queue
    recorder.first_sound(mark)


def test_a_key_not_ready_streams_from_its_first_chunk_and_sounds_as_its_full_render(played, monkeypatch):
    """The voice starts with fewer samples than the sound has, grows as chunks arrive, and is heard whole."""
    engine, recorder = played
    engine.set_param("duration", 2.5)  # three inversion chunks of a note
    key = 127  # rendered ahead last: not ready
    current, settings = engine._model, engine.params.settings()
    full = np.concatenate(list(stream_audio(
        current.loaded, current.prior, duration_s=settings.duration_s, temperature=settings.temperature,
        top_k=settings.top_k, top_p=settings.top_p, seed=key, sample_rate=RATE, chunk_frames=NOTE_CHUNK_FRAMES,
    )))  # [N]: the full render
    assert np.allclose(full, expected_sound(engine, key), atol=1e-3)  # the file's sound, within chunk joins
    started, start = [], engine._audio.start
    monkeypatch.setattr(engine._audio, "start", lambda audio, gain, more=False: started.append((len(audio), more)) or start(audio, gain, more=more))
    mark = recorder.blocks_recorded
    assert engine.note(key, 127) is False  # not ready: it streams
    heard = aligned(recorder, mark, full)
    assert started[0][1] and started[0][0] < len(full)  # it began before the whole sound was rendered
    fade = int(0.005 * RATE)
    assert np.allclose(heard[fade:-fade], full[fade:-fade], atol=2e-3)  # no gap and no click at the joins
    assert np.array_equal(engine._instrument._ready.take(key, lambda audio, last: None), full)  # kept whole


def test_an_eight_note_chord_is_mixed_without_clicks(played):
    engine, recorder = played
    wait_ready(engine, 8)
    mark = recorder.blocks_recorded
    for key in range(8):
        engine.note(key, 127)
    onset = recorder.first_sound(mark)
    length = int(0.3 * RATE)
    mix = recorder.wait_after(mark, onset + length + 4800)[onset : onset + length + 4800, 0]
    assert np.abs(mix).max() <= 1.0
    assert np.abs(mix[length + 2400 :]).max() < 1e-4  # all voices ended
    steps = np.abs(np.diff(mix[:200]))
    assert steps.max() < 0.2  # the 5 ms fade-in: no step at the start of eight voices at once


def test_gate_mode_releases_a_key_on_note_off(played):
    """A 2 s note released after 0.2 s ends with the release, counted in recorded samples (not on JACK's clock)."""
    engine, recorder = played
    engine.set_param("duration", 2.0)
    engine._instrument.settle(NoteSettings(mode="gate", release=0.05))
    mark = recorder.blocks_recorded
    engine.note(0, 127)  # ready or streamed: either way it is released
    onset = recorder.first_sound(mark)
    recorder.wait_after(mark, onset + int(0.2 * RATE))
    engine.note(0, 0)
    samples = recorder.wait_after(mark, onset + int(2.5 * RATE))
    loud = np.flatnonzero(np.abs(samples[:, 0]) > 1e-4)
    assert loud[-1] - loud[0] < int(1.0 * RATE)  # far shorter than the sound: it was released
    steps = np.abs(np.diff(samples[loud[-1] - 2400 : loud[-1] + 10, 0]))
    assert steps.max() < 0.05  # it faded out


def test_bad_notes_are_refused_in_one_sentence(played):
    engine, _ = played
    for key, velocity, message in ((128, 1, "key must be a whole number from 0 to 127"), (1, 200, "velocity must be"), (1.5, 3, "key must")):
        with pytest.raises(DistillError, match=message):
            engine.note(key, velocity)


def test_audio_devices_lists_the_jack_output(jack, capsys):
    from engine.cli import main

    assert main(["audio", "devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "* system  (JACK Audio Connection Kit, 2 channels, 48000 Hz)" in lines
    assert lines[-1].startswith("* the default; --audio-device takes a name above")


def test_an_unusable_device_is_named_in_the_error_of_play_and_note(jack, home, tiny_prior_file, sound_folder):
    from engine.audio.playback import AudioOut
    from engine.core import Engine
    from engine.library import Library

    Library().import_file(tiny_prior_file)
    engine = Engine(audio=AudioOut("no such device"))
    try:
        engine.load_model("tiny")
        with pytest.raises(DistillError, match="^no audio output: .*no such device"):
            engine.play(str(sorted(sound_folder.iterdir())[0])).result(30)
        with pytest.raises(DistillError, match="^no audio output: .*no such device"):
            engine.play(str(sorted(sound_folder.iterdir())[0]))  # now known at once
        with pytest.raises(DistillError, match="^no audio output"):
            engine.note(60, 100)
    finally:
        engine.shutdown()


def test_on_a_gpu_keys_ahead_are_rendered_in_batches_of_the_generation_batch(home, tiny_prior_file, monkeypatch):
    """Where `batch_size` says the device draws several sounds at once (a GPU), ready sounds come in such
    batches, each key's sound the one the batch gives it; forced here on the CPU."""
    from engine.core import Engine
    from engine.generation import files, pipeline
    from engine.library import Library
    from tui_support import FakeAudio

    batches = []
    batch_of = pipeline.generate_audio_batch

    def recording(loaded, prior, settings, seeds, **kwargs):
        batches.append(list(seeds))
        return batch_of(loaded, prior, settings, seeds, **kwargs)

    monkeypatch.setattr(files, "batch_size", lambda loaded: 4)
    monkeypatch.setattr(pipeline, "generate_audio_batch", recording)
    Library().import_file(tiny_prior_file)
    audio = FakeAudio()
    engine = Engine(audio=audio)
    try:
        engine.load_model("tiny")
        engine.set_param("duration", 0.2)
        engine.note(1, 0)  # a note-off: makes the instrument, which starts rendering
        wait_ready(engine, 8)
        assert batches[:2] == [[0, 1, 2, 3], [4, 5, 6, 7]]
        current, settings = engine._model, engine.params.settings()
        expected = batch_of(current.loaded, current.prior, settings, [4, 5, 6, 7], sample_rate=FakeAudio.sample_rate)
        assert engine.note(6, 127) is True and audio.voices[-1][0] == len(expected[2])
    finally:
        engine.shutdown()
