"""The model played like an instrument: a note is a key and a velocity, and it sounds from memory.

Key k plays the sound the current model, prior and sampling parameters generate with seed k, the same one
`generate(seed=k)` writes to a file, but nothing is written: `ReadySounds` renders every key ahead, in the
background at low priority, at the output's sample rate, and a note hands the ready sound to the mixer
(`AudioOut.start`), so it sounds at the next audio block. A key that is not ready yet jumps the rendering
queue and streams: its voice starts with the first rendered piece (one inversion chunk of NOTE_CHUNK_FRAMES)
and grows as the rest is rendered (`AudioOut.extend`); once done, the whole sound is ready for the next note.

In variations mode (`Engine.vary`) key k's n-th note plays the n-th variation of a slot drawn for that
key (seed `variation_seed(k, n)`), rendered ahead one per key and again after every note.

Velocity 1-127 sets the gain (velocity / 127); velocity 0 is a note-off. In "one-shot" mode (the default)
a note plays to its end and note-offs are ignored; in "gate" mode a note-off releases the key's voices over
`release` seconds. The mixer steals the oldest voice, with a fade, beyond its voice count.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from engine.audio.playback import AudioOut
from engine.errors import DistillError
from engine.generation.ready import KEYS, ReadySounds

MODES = ("one-shot", "gate")
# Inversion chunk of a note's render (mel frames, the smallest `invert_mel` takes): a streamed note starts after
# the codes, the log-mel and its first chunk; smaller chunks than files' CHUNK_FRAMES make that sooner, at
# the cost of more inversion in all (each chunk inverts context frames on both sides).
NOTE_CHUNK_FRAMES = 128
MAX_RELEASE_S = 10.0
VELOCITY_MAX = 127


@dataclass(frozen=True)
class NoteSettings:
    """How notes behave: `mode` one of MODES, `release` seconds of fade after a note-off in gate mode."""

    mode: str = "one-shot"
    release: float = 0.05

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise DistillError(f"note mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if isinstance(self.release, bool) or not isinstance(self.release, (int, float)) or not 0.0 <= self.release <= MAX_RELEASE_S:
            raise DistillError(f"release must be from 0 to {MAX_RELEASE_S:g} seconds, not {self.release!r}")


Renderer = Callable[[int, int], Iterable[np.ndarray]]  # (key, sample rate) -> float32 audio in pieces, in order
BatchRenderer = Callable[[list[int], int], list[np.ndarray]]  # (keys, sample rate) -> their whole sounds, in order


class Instrument:
    """Notes from memory (see the module docstring). `retune` tells it what the keys sound like now."""

    def __init__(self, audio: AudioOut, on_thread_start: Callable[[], None] | None = None):
        self.audio = audio
        self.settings = NoteSettings()
        self._ready = ReadySounds(on_thread_start=on_thread_start)
        self._notes: dict[int, list[_Note]] = {}  # key -> its notes not yet released, in gate mode
        self._lock = threading.Lock()

    @property
    def ready_count(self) -> int:
        """How many keys are ready to sound at once."""
        return self._ready.ready_count

    def retune(self, token: object, render: Renderer | None, *, fresh: bool = False, batch: tuple[BatchRenderer, int] | None = None) -> None:
        """The keys now sound as `render(key, rate)` makes them (None: they cannot sound); `token` names the settings.

        `fresh`: every note gets a new render (`ReadySounds`), as variations of a slot do. `batch`:
        (render_batch, size), keys rendered ahead `size` at a time by `render_batch(keys, rate)` (on a GPU).
        """
        if render is None or not self.audio.available:
            self._ready.retune(token, None)
            return
        rate = self.audio.sample_rate
        if rate is None:  # the device just turned out to be unusable
            self._ready.retune(token, None)
            return
        batched = None if batch is None else (lambda keys: batch[0](keys, rate), batch[1])
        self._ready.retune((token, rate), lambda key: render(key, rate), fresh=fresh, batch=batched)

    def note(self, key: int, velocity: int) -> bool:
        """Play `key` at `velocity` (0: note-off). True if it sounded from memory, False if it streams or waits.

        DistillError for a key or velocity out of range, no audio output, or no model with a prior.
        """
        for name, value, top in (("key", key, KEYS.stop - 1), ("velocity", velocity, VELOCITY_MAX)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise DistillError(f"{name} must be a whole number from 0 to {top}, not {value!r}")
        if velocity == 0:
            self._release(key)
            return True
        if not self.audio.available:
            raise DistillError(f"no audio output: {self.audio.unavailable_reason}")
        note = _Note(velocity / VELOCITY_MAX)
        if self.settings.mode == "gate":
            with self._lock:
                self._notes.setdefault(key, []).append(note)
        sound = self._ready.take(key, lambda audio, last: self._hear(note, audio, last))
        if sound is None:
            return False
        self._hear(note, sound, True)
        return True

    def settle(self, settings: NoteSettings) -> None:
        """Use these note settings from the next note on."""
        self.settings = settings

    def close(self) -> None:
        """Stop rendering."""
        self._ready.close()

    def _hear(self, note: _Note, audio: np.ndarray, last: bool) -> None:
        """More of `note`'s sound (`last`: the end): its voice starts with the first audio and grows with the rest.

        A note released before its first audio never sounds.
        """
        if note.voice is not None:  # set on this same (rendering) thread
            self.audio.extend(note.voice, audio, last=last)
            return
        with self._lock:
            if audio.size and not note.released:
                note.voice = self.audio.start(audio, note.gain, more=not last)

    def _release(self, key: int) -> None:
        with self._lock:
            notes = self._notes.pop(key, [])
            for note in notes:
                note.released = True
                if note.voice is not None:
                    self.audio.release(note.voice, self.settings.release)


@dataclass
class _Note:
    """One note-on: its gain, its voice once it sounds, whether its note-off came."""

    gain: float
    voice: int | None = None
    released: bool = False
