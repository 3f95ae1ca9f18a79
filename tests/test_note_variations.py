"""Variations on a key (Engine.vary): every note plays a new variation of a slot, drawn for its key."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.codes.codec import decode_wave
from engine.codes.variations import variation_seed, vary
from engine.core import Engine
from engine.errors import DistillError
from engine.generation.pipeline import generate_audio


class RecordingOut:
    """The part of `AudioOut` the instrument uses, keeping every sound started (no sound device needed)."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate
        self.available = True
        self.unavailable_reason = ""
        self.started: list[np.ndarray] = []
        self.changed = threading.Condition()

    def start(self, sound, gain, *, more=False):
        with self.changed:
            self.started.append(np.array(sound))
            self.changed.notify_all()
            return len(self.started)

    def extend(self, voice, sound, *, last=False):
        with self.changed:
            self.started[voice - 1] = np.concatenate([self.started[voice - 1], sound])

    def release(self, voice, seconds):
        pass

    def close(self):
        pass

    def wait_for(self, count: int) -> list[np.ndarray]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.started) >= count, timeout=120), f"{count} sounds never started"
            return self.started[:count]


@pytest.fixture
def playing(home, tmp_path, tiny_prior_file, sound_folder):
    from engine.model.persist import load_vqvae

    audio = RecordingOut(load_vqvae(tiny_prior_file).mel.sample_rate)
    engine = Engine(out_dir=tmp_path / "out", audio=audio)
    engine.load_model(str(tiny_prior_file))
    engine.set_param("duration", 0.5)
    engine.encode("A", str(sound_folder / "pad_1.wav")).result(timeout=60)
    yield engine, audio
    engine.shutdown()


def test_each_note_on_a_key_plays_the_next_variation_of_the_slot(playing):
    engine, audio = playing
    engine.vary("A", "timbre")
    engine.note(60, 100)
    first = audio.wait_for(1)[0]
    engine.note(60, 100)
    second = audio.wait_for(2)[1]
    grid, current = engine.grid("A"), engine._model
    settings = engine.params.settings()
    expected = [decode_wave(current.loaded, vary(grid, current.prior, "timbre", settings, variation_seed(60, n))) for n in (0, 1)]
    np.testing.assert_allclose(first, expected[0], atol=1e-4)  # the key's first variation, then its second
    np.testing.assert_allclose(second, expected[1], atol=1e-4)
    assert not np.allclose(first, second) and len(first) == grid.samples  # new colour, the slot's length

    edited = engine.set_cell("A", "structure", 0, (int(grid.codes[0, 0]) + 1) % grid.codebook_size)
    assert edited.cells  # the slot changed: its variations start over from the edited grid
    engine.note(60, 100)
    third = audio.wait_for(3)[2]
    expected = decode_wave(current.loaded, vary(engine.grid("A"), current.prior, "timbre", settings, variation_seed(60, 0)))
    np.testing.assert_allclose(third, expected, atol=1e-4)

    engine.vary(None)  # back to generations: key k plays seed k with the current parameters
    engine.note(5, 100)
    plain = audio.wait_for(4)[3]
    reference = generate_audio(current.loaded, current.prior, duration_s=0.5, seed=5, sample_rate=audio.sample_rate)
    np.testing.assert_allclose(plain, reference, atol=1e-4)


def test_variations_of_an_empty_slot_or_an_unknown_kind_are_refused(playing):
    engine, _ = playing
    with pytest.raises(DistillError, match="holds no grid"):
        engine.vary("B")
    with pytest.raises(DistillError, match="one of timbre, continue"):
        engine.vary("A", "louder")
