"""Playing: sound files and slots through the audio output, and notes (keys 0-127) played from memory.

A key's sound is what `generate(seed=key)` would make with the current parameters, or, after `vary`, a new
variation of a slot on every note; the instrument (`engine.instrument`) renders ahead, and `_retune` tells it
what the keys sound like whenever the model, a parameter or the varied slot changes.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.core.state import EngineState, _Model, lower_thread_priority
from engine.errors import DistillError
from engine.paths import user_path
from engine.events import NoteSettingsChanged, Playing
from engine.generation.settings import GenerationSettings

if TYPE_CHECKING:
    from engine.instrument import Instrument, NoteSettings

log = logging.getLogger("distill.engine")


class PlayingMixin(EngineState):
    """The engine's sound output: files, slots and notes (see the module docstring)."""

    def play(self, path_or_slot: str, gain: float = 1.0) -> Future[Playing]:
        """Play a filled slot (decoded first) or a sound file at `gain` (0-1); the future gives `Playing`.

        A name that is a filled slot means the slot. No audio output is a DistillError.
        """
        if not 0.0 <= gain <= 1.0:
            raise DistillError(f"gain must be between 0 and 1, not {gain}")
        if self._audio is None:
            raise DistillError("this engine has no audio output (start it with --audio-device)")
        if not self._audio.available:
            raise DistillError(f"no audio output: {self._audio.unavailable_reason}")
        if path_or_slot in self._slots.names():
            current, grid = self._decodable(path_or_slot)
            return self._worker.submit(lambda: Playing(self._decode_job(current, path_or_slot, grid, gain).path))
        path = user_path(path_or_slot, "played")
        if not path.is_file():
            raise DistillError(f"'{path_or_slot}' is neither a filled slot nor a sound file")
        return self._player.submit(self._play_file, path, gain)

    def _play_file(self, path: Path, gain: float) -> Playing:
        import soundfile as sf

        from engine.errors import AudioFileError

        try:
            audio, rate = sf.read(path, dtype="float32", always_2d=False)  # [N] or [N, C]
        except (sf.SoundFileError, RuntimeError) as error:
            raise AudioFileError(f"cannot play '{path}': it is not a readable sound file") from error
        self._sound(audio, rate, gain)
        return Playing(path)

    def _sound(self, audio: np.ndarray, rate: int, gain: float) -> None:
        """Play `audio`; a DistillError with the reason if the device turned out to be unusable when opened for it."""
        self._audio.play(audio, rate, gain=gain)
        if not self._audio.available:
            raise DistillError(f"no audio output: {self._audio.unavailable_reason}")

    def note(self, key: int, velocity: int) -> bool:
        """Play key `key` (0-127) at `velocity` (1-127; 0 is a note-off) from memory, writing no file.

        The key's sound is what `generate(seed=key)` would make with the current parameters; see
        `engine.instrument`. True if it sounded at once from memory, False if it streams from its render
        (which jumps the queue, after the render under way). DistillError for
        out-of-range values, no audio output, or no model with a prior.
        """
        from engine.instrument import Instrument

        if self._audio is None:
            raise DistillError("this engine has no audio output (start it with --audio-device)")
        with self._lock:
            if self._instrument is None:
                self._instrument = Instrument(self._audio, on_thread_start=lower_thread_priority)
                if self._note_settings is not None:
                    self._instrument.settle(self._note_settings)
                created = True
            else:
                created = False
        if created:
            self._retune()
        return self._instrument.note(key, velocity)

    def note_settings(self, mode: str | None = None, release: float | None = None) -> NoteSettings:
        """Set how notes behave from the next note on (None keeps that setting) and announce it; returns the
        settings. `mode` "one-shot" or "gate", `release` 0-10 seconds of fade after a gate note-off; out of
        range is a DistillError and changes nothing. Both None: only reports them.
        """
        from engine.instrument import NoteSettings

        with self._lock:
            settings = self._note_settings or NoteSettings()
            if mode is None and release is None:
                return settings
            settings = NoteSettings(settings.mode if mode is None else mode, settings.release if release is None else release)
            self._note_settings = settings
            instrument = self._instrument
        if instrument is not None:
            instrument.settle(settings)
        self._emit(NoteSettingsChanged(settings.mode, settings.release))
        return settings

    def vary(self, slot: str | None, kind: str = "timbre") -> None:
        """From the next note on, every note plays a new variation of `slot` (None: notes play generations again).

        `kind` is one of `engine.codes.variations.KINDS` ("timbre": same rhythm and envelope, new colour;
        "continue": the first quarter kept, the rest drawn anew), drawn with the current sampling parameters;
        key k's n-th note uses seed `variation_seed(k, n)`, counted from when the mode was set or the slot,
        the model or a parameter last changed (the slot as it is after each edit is what varies).
        DistillError for an empty slot or an unknown kind.
        """
        from engine.codes.variations import KINDS

        if slot is not None:
            self._decodable(slot)  # refuses an empty slot, no model, or a grid another model made
            if kind not in KINDS:
                raise DistillError(f"a variation is one of {', '.join(KINDS)}, not {kind!r}")
        with self._lock:
            self._variations = None if slot is None else (slot, kind)
        self._retune()

    def _retune(self) -> None:
        """Tell the instrument (once there is one) what the keys sound like with the current model and parameters."""
        instrument, current, params, variations = self._instrument, self._model, self._params, self._variations
        if instrument is None:
            return
        if current is None or current.prior is None:
            instrument.retune(None, None)
            return
        settings = params.settings()
        if variations is not None:
            self._retune_variations(instrument, current, settings, *variations)
            return
        from engine.generation.files import batch_size
        from engine.generation.pipeline import generate_audio_batch, stream_audio
        from engine.instrument import NOTE_CHUNK_FRAMES

        # Notes are mono; with one_shot on they end by themselves, where the prior can tell (an older prior
        # without an end head plays the duration rather than staying silent).
        note = dataclasses.replace(settings, stereo_width=None, one_shot=settings.one_shot and current.prior.cfg.end_head)

        def render(key: int, rate: int) -> Iterator[np.ndarray]:
            return stream_audio(
                current.loaded, current.prior, duration_s=note.duration_s, temperature=note.temperature, top_k=note.top_k,
                top_p=note.top_p, seed=key, sample_rate=rate, one_shot=note.one_shot, chunk_frames=NOTE_CHUNK_FRAMES,
            )

        def render_batch(keys: list[int], rate: int) -> list[np.ndarray]:
            return generate_audio_batch(current.loaded, current.prior, note, keys, sample_rate=rate)

        size = batch_size(current.loaded)  # > 1 on a GPU only, where a batch costs about what one sound does
        instrument.retune((id(current), note), render, batch=(render_batch, size) if size > 1 else None)

    def _retune_variations(self, instrument: Instrument, current: _Model, settings: GenerationSettings, slot: str, kind: str) -> None:
        """Keys play variations of `slot`'s grid as it is now: each render is the key's next one (`vary`)."""
        from engine.audio.io import resample
        from engine.codes.codec import check_model, decode_wave
        from engine.codes.variations import vary, variation_seed

        grid = self._slots.grid(slot)
        try:
            check_model(current.loaded, grid)
        except DistillError as error:  # another model was loaded since: notes play its generations again
            log.warning("notes no longer vary slot %s: %s", slot, error)
            with self._lock:
                self._variations = None
            self._retune()
            return
        counts = collections.defaultdict(itertools.count)  # key -> its renders so far (renders run on one thread)

        def render(key: int, rate: int) -> list[np.ndarray]:
            variation = vary(grid, current.prior, kind, settings, variation_seed(key, next(counts[key])))
            return [resample(decode_wave(current.loaded, variation), grid.sample_rate, rate)]  # one piece: not streamed

        instrument.retune(("variations", next(self._variation_rounds)), render, fresh=True)

    def stop(self) -> None:
        """Stop every sound that is playing."""
        if self._audio is not None:
            self._audio.stop()
