"""Sounds rendered ahead: what each key plays under the current settings, kept in memory.

A key's sound is the generation with seed = key, so it only changes when the model, the prior or a sampling
parameter does. `ReadySounds` renders the keys in the background on its own thread, at low priority, keys
asked for or played recently first, then the rest in order. A note whose key is ready starts from memory at
the next audio block; one that is not yet ready moves to the front of the queue and plays as soon as it is
rendered. Rendering streams: a render hands out its sound in pieces as they are made (see
`engine.generation.pipeline.stream_audio`), and a note waiting for that key, or played while it is being
rendered, starts from the first piece and gets the rest as they come; the whole sound is kept once done.
When the settings change (`retune`), every sound is dropped and rendering starts again, keys played
recently first; a render under way for the old settings stops at its next piece, unless notes already
play it, which then hear it to its end (it is not kept).

Batches (`retune(..., batch=(render_batch, size))`, on a GPU, where drawing 16 sounds costs about what one
does): keys rendered ahead, which no note waits for, are rendered `size` at a time by `render_batch` and kept
whole; a key a note waits for is still rendered alone and streamed, so batching never delays a note.

Fresh sounds (`retune(..., fresh=True)`, for variations of a slot): every sound plays once. A note takes
its key's sound out of memory and queues the key again at the front, so the next note on it gets a new
render (the renderer decides what is new, e.g. a variation counted per key); a render that notes heard as
it streamed is not kept either.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable

import numpy as np

from engine.errors import DistillError

log = logging.getLogger(__name__)

KEYS = range(128)  # MIDI note numbers
MAX_BYTES = 512 * 2**20  # memory for ready sounds; beyond it the least recently played are dropped

Render = Callable[[int], Iterable[np.ndarray]]  # key -> the sound in float32 pieces [n_i] or [n_i, 2], in order
RenderBatch = Callable[[list[int]], list[np.ndarray]]  # keys -> their whole sounds, float32 [n_i] or [n_i, 2], in order
Waiter = Callable[[np.ndarray, bool], None]  # (more of the sound, whether it is the end), until the end; may be empty at the end


@dataclass
class _Rendering:
    """The render under way: its key, the settings it is for, the pieces so far and who hears them."""

    key: int
    token: Hashable
    pieces: list[np.ndarray] = field(default_factory=list)
    listeners: list[Waiter] = field(default_factory=list)  # notes that started from its pieces


class ReadySounds:
    """Keys -> rendered sounds for one set of settings (see the module docstring). Thread-safe."""

    def __init__(self, *, keys: range = KEYS, max_bytes: int = MAX_BYTES, on_thread_start: Callable[[], None] | None = None):
        self.keys = keys
        self.max_bytes = max_bytes
        self._sounds: OrderedDict[int, np.ndarray] = OrderedDict()  # least recently played first
        self._queue: list[int] = []  # keys to render, next first
        self._waiters: dict[int, list[Waiter]] = {}  # notes for keys not rendered nor being rendered
        self._rendering: _Rendering | None = None
        self._render: Render | None = None
        self._batch: tuple[RenderBatch, int] | None = None  # (render_batch, keys per batch) for keys rendered ahead
        self._token: Hashable = None  # identifies the settings the sounds belong to
        self._fresh = False  # every sound plays once (see the module docstring)
        self._changed = threading.Condition()
        self._closed = False
        self._on_thread_start = on_thread_start or (lambda: None)
        self._thread = threading.Thread(target=self._run, name="ready-sounds", daemon=True)
        self._thread.start()

    @property
    def ready_count(self) -> int:
        """How many keys are ready for the current settings."""
        with self._changed:
            return len(self._sounds)

    def retune(self, token: Hashable, render: Render | None, *, fresh: bool = False, batch: tuple[RenderBatch, int] | None = None) -> None:
        """New settings (`token` names them; `render` makes a key's sound, None: nothing can be rendered).

        The same token keeps what is ready. Otherwise every sound is dropped and all keys are queued again,
        those played most recently first; notes waiting for a sound are kept and get the new one. `fresh`:
        every sound plays once; `batch`: (render_batch, size) renders keys ahead in batches (see the module
        docstring; not with `fresh`).
        """
        if batch is not None and (fresh or batch[1] < 1):
            raise ValueError("batches need a size of at least 1 and sounds that are kept (not fresh)")
        with self._changed:
            if token == self._token and render is not None:
                return
            recent = list(reversed(self._sounds))  # most recently played first
            self._sounds.clear()
            self._token, self._render, self._fresh, self._batch = token, render, fresh, batch
            waiting = list(self._waiters)
            self._queue = [] if render is None else _unique(waiting + recent + list(self.keys))
            if render is None:
                self._waiters.clear()
            self._changed.notify_all()

    def take(self, key: int, waiter: Waiter) -> np.ndarray | None:
        """The ready sound of `key` (marked as just played), or None after queuing `waiter` for it.

        A waiter is called with the sound as it is rendered: the pieces so far at once when `key` is being
        rendered now (on this thread), else from the first piece on (on the rendering thread), then with
        each next piece, and last with `True` at the end (then with an empty piece when the render failed).

        A DistillError if nothing can be rendered (no model or prior) or `key` is not a key.
        """
        if key not in self.keys:
            raise DistillError(f"key {key} is outside {self.keys.start}..{self.keys.stop - 1}")
        with self._changed:
            if self._render is None:
                raise DistillError("no sounds can be rendered: load a model with a prior first")
            sound = self._sounds.get(key)
            if sound is not None and self._fresh:  # played once: render the key's next sound now
                del self._sounds[key]
                self._queue = _unique([key] + self._queue)
                self._changed.notify_all()
                return sound
            if sound is not None:
                self._sounds.move_to_end(key)
                return sound
            rendering = self._rendering
            if rendering is not None and rendering.key == key and rendering.token == self._token:
                if rendering.pieces:
                    _call(waiter, np.concatenate(rendering.pieces), False)
                rendering.listeners.append(waiter)
                return None
            self._waiters.setdefault(key, []).append(waiter)
            self._queue = _unique([key] + self._queue)
            self._changed.notify_all()
            return None

    def close(self) -> None:
        """Stop the rendering thread (a render under way finishes first)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        self._on_thread_start()
        while True:
            with self._changed:
                while not self._closed and not self._next_key_locked():
                    self._changed.wait()
                if self._closed:
                    return
                batch = self._ahead_batch_locked()
                if batch:
                    render_batch, token = self._batch[0], self._token
                else:
                    key = self._queue.pop(0)
                    render = self._render
                    rendering = self._rendering = _Rendering(key, self._token)
            if batch:
                self._render_batch(batch, render_batch, token)
                continue
            try:
                self._stream(rendering, render(key))
            except DistillError as error:
                log.warning("key %d could not be rendered: %s", key, error)
            except Exception:  # a bug: say so with a traceback, and keep the instrument playing
                log.exception("rendering key %d failed", key)
            finally:
                self._finish(rendering)

    def _ahead_batch_locked(self) -> list[int]:
        """With batches on, the next keys to render ahead (none waited for), taken off the queue; else []."""
        if self._batch is None or self._queue[0] in self._waiters:
            return []
        size = self._batch[1]
        keys = [key for key in self._queue if key not in self._waiters and key not in self._sounds][:size]
        self._queue = [key for key in self._queue if key not in keys]
        return keys

    def _render_batch(self, keys: list[int], render_batch: RenderBatch, token: Hashable) -> None:
        """Render `keys` at once and keep their sounds if the settings are still `token`'s. Notes that asked for
        one of them meanwhile get its whole sound now; if it failed, the key is queued again to render alone."""
        try:
            sounds = render_batch(keys)
        except DistillError as error:
            log.warning("keys %s could not be rendered: %s", keys, error)
            sounds = []
        except Exception:  # a bug: say so with a traceback, and keep the instrument playing
            log.exception("rendering keys %s failed", keys)
            sounds = []
        with self._changed:
            if token != self._token:
                return
            served = []
            for key, sound in zip(keys, sounds):
                sound = np.ascontiguousarray(sound, dtype=np.float32)
                self._sounds[key] = sound
                self._sounds.move_to_end(key)
                served += [(waiter, sound) for waiter in self._waiters.pop(key, [])]
            self._trim_locked()
            failed = [key for key in keys if key in self._waiters]
            if failed:
                self._queue = _unique(failed + self._queue)
            self._changed.notify_all()
        for waiter, sound in served:
            _call(waiter, sound, True)

    def _trim_locked(self) -> None:
        """Drop the least recently played sounds beyond `max_bytes` (the last one stays)."""
        while sum(s.nbytes for s in self._sounds.values()) > self.max_bytes and len(self._sounds) > 1:
            self._sounds.popitem(last=False)

    def _stream(self, rendering: _Rendering, pieces: Iterable[np.ndarray]) -> None:
        """Hand each piece to the notes that hear this key; keep the whole sound if its settings are still current.

        Notes are called outside the lock (a note's voice copies audio): a note that `take` adds meanwhile got
        this piece in its snapshot and is not among the `listeners` copied here, so each piece reaches each
        note once and in order.
        """
        for piece in pieces:
            piece = np.ascontiguousarray(piece, dtype=np.float32)
            with self._changed:
                current = rendering.token == self._token
                if not current and not rendering.listeners:
                    return  # nobody hears it, and it is for settings that are gone
                listeners = list(rendering.listeners)
                rendering.pieces.append(piece)
                starting = self._waiters.pop(rendering.key, []) if current else []
                rendering.listeners += starting
                so_far = np.concatenate(rendering.pieces) if starting else piece
            for listener in listeners:
                _call(listener, piece, False)
            for waiter in starting:  # notes that waited for the key: everything so far
                _call(waiter, so_far, False)
        with self._changed:
            if rendering.token != self._token or not rendering.pieces:
                return
            if self._fresh and rendering.listeners:  # played as it streamed, so render the key's next sound
                self._queue = _unique([rendering.key] + self._queue)
                self._changed.notify_all()
                return
            self._sounds[rendering.key] = np.concatenate(rendering.pieces)
            self._sounds.move_to_end(rendering.key)
            self._trim_locked()

    def _finish(self, rendering: _Rendering) -> None:
        """End the notes that heard the render; drop those still waiting for a key that gave no sound."""
        with self._changed:
            self._rendering = None
            if rendering.token == self._token and rendering.key not in self._sounds:
                self._waiters.pop(rendering.key, None)  # the render failed: nothing to wait for
            listeners = list(rendering.listeners)
        for listener in listeners:
            _call(listener, np.zeros(0, dtype=np.float32), True)

    def _next_key_locked(self) -> bool:
        """Drop queued keys that are ready already; True if one is left to render."""
        while self._queue and self._queue[0] in self._sounds:
            self._queue.pop(0)
        return bool(self._queue) and self._render is not None



def _call(waiter: Waiter, audio: np.ndarray, last: bool) -> None:
    """`waiter(audio, last)`; a waiter's bug is logged, never stops the rendering."""
    try:
        waiter(audio, last)
    except Exception:  # noqa: BLE001 - one note's failure must not silence the others
        log.exception("a note could not take its sound")


def _unique(keys: list[int]) -> list[int]:
    """`keys` without repeats, first occurrences kept in order."""
    return list(dict.fromkeys(keys))
