"""Sounds rendered ahead: what each key plays under the current settings, kept in memory.

A key's sound is the generation with seed = key, so it only changes when the model, the prior or a sampling
parameter does. `ReadySounds` renders the keys in the background on its own thread, at low priority, keys
asked for or played recently first, then the rest in order. A note whose key is ready starts from memory at
the next audio block; one that is not yet ready moves to the front of the queue and plays as soon as it is
rendered. When the settings change (`retune`), every sound is dropped and rendering starts again, keys
played recently first; a render that was under way for the old settings is thrown away.

Fresh sounds (`retune(..., fresh=True)`, for variations of a slot): every sound plays once. A note takes
its key's sound out of memory and queues the key again at the front, so the next note on it gets a new
render (the renderer decides what is new, e.g. a variation counted per key).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np

from engine.errors import DistillError

log = logging.getLogger(__name__)

KEYS = range(128)  # MIDI note numbers
MAX_BYTES = 512 * 2**20  # memory for ready sounds; beyond it the least recently played are dropped

Render = Callable[[int], np.ndarray]  # key -> float32 audio [N] or [N, 2]
Waiter = Callable[[np.ndarray], None]  # called with the sound once it is ready


class ReadySounds:
    """Keys -> rendered sounds for one set of settings (see the module docstring). Thread-safe."""

    def __init__(self, *, keys: range = KEYS, max_bytes: int = MAX_BYTES, on_thread_start: Callable[[], None] | None = None):
        self.keys = keys
        self.max_bytes = max_bytes
        self._sounds: OrderedDict[int, np.ndarray] = OrderedDict()  # least recently played first
        self._queue: list[int] = []  # keys to render, next first
        self._waiters: dict[int, list[Waiter]] = {}
        self._render: Render | None = None
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

    def retune(self, token: Hashable, render: Render | None, *, fresh: bool = False) -> None:
        """New settings (`token` names them; `render` makes a key's sound, None: nothing can be rendered).

        The same token keeps what is ready. Otherwise every sound is dropped and all keys are queued again,
        those played most recently first; notes waiting for a sound are kept and get the new one. `fresh`:
        every sound plays once (see the module docstring).
        """
        with self._changed:
            if token == self._token and render is not None:
                return
            recent = list(reversed(self._sounds))  # most recently played first
            self._sounds.clear()
            self._token, self._render, self._fresh = token, render, fresh
            waiting = list(self._waiters)
            self._queue = [] if render is None else _unique(waiting + recent + list(self.keys))
            if render is None:
                self._waiters.clear()
            self._changed.notify_all()

    def take(self, key: int, waiter: Waiter) -> np.ndarray | None:
        """The ready sound of `key` (marked as just played), or None after queuing `waiter` for it.

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
                key = self._queue.pop(0)
                token, render = self._token, self._render
            try:
                sound = np.ascontiguousarray(render(key), dtype=np.float32)
            except DistillError as error:
                log.warning("key %d could not be rendered: %s", key, error)
                sound = None
            except Exception:  # a bug: say so with a traceback, and keep the instrument playing
                log.exception("rendering key %d failed", key)
                sound = None
            self._store(key, token, sound)

    def _next_key_locked(self) -> bool:
        """Drop queued keys that are ready already; True if one is left to render."""
        while self._queue and self._queue[0] in self._sounds:
            self._queue.pop(0)
        return bool(self._queue) and self._render is not None

    def _store(self, key: int, token: Hashable, sound: np.ndarray | None) -> None:
        with self._changed:
            if token != self._token:
                return  # rendered for settings that are gone
            waiters = self._waiters.pop(key, [])
            if sound is not None and waiters and self._fresh:  # played at once, so render the key's next sound
                self._queue = _unique([key] + self._queue)
                self._changed.notify_all()
            elif sound is not None:
                self._sounds[key] = sound
                self._sounds.move_to_end(key)
                while sum(s.nbytes for s in self._sounds.values()) > self.max_bytes and len(self._sounds) > 1:
                    self._sounds.popitem(last=False)
        for waiter in waiters if sound is not None else []:
            waiter(sound)


def _unique(keys: list[int]) -> list[int]:
    """`keys` without repeats, first occurrences kept in order."""
    return list(dict.fromkeys(keys))
