"""Translate MIDI messages into engine calls; the adapter holds no engine state of its own.

- control change: the CC's mapped parameter is set to the CC value scaled over its range (see `mapping`).
- note on: `Engine.note(key, velocity)`: the key's sound (seed = note number, so each key always gives the
  same sound for the same settings and model) plays from memory at gain velocity / 127, writing no file.
- note off, and note on with velocity 0: `Engine.note(key, 0)`, which releases the key in gate mode.
- `learn(parameter)`: the next control change binds its CC to `parameter` and saves the map.
MIDI channels are not told apart. Every engine error is logged as one line; the adapter keeps going.
"""

from __future__ import annotations

import logging
import threading

import mido

from engine.errors import DistillError
from engine.midi.mapping import MidiMap, check_parameter, scale

log = logging.getLogger(__name__)


class MidiAdapter:
    """Feeds MIDI messages to `engine` (its set_param, model, generate and play) through `midi_map`."""

    def __init__(self, engine, midi_map: MidiMap | None = None):
        self.engine = engine
        self.midi_map = midi_map if midi_map is not None else MidiMap.load()
        self._learning: str | None = None
        self._lock = threading.Lock()

    @property
    def learning(self) -> str | None:
        """The parameter waiting for a CC to be bound to it, if any."""
        return self._learning

    def learn(self, parameter: str) -> None:
        """Bind the next CC that arrives to `parameter` (MidiMapError if MIDI cannot control it)."""
        with self._lock:
            self._learning = check_parameter(parameter)
        log.info("MIDI learn: move a controller to control %s", parameter)

    def handle(self, message: mido.Message) -> None:
        """Act on one MIDI message; engine errors are logged as one line and do not propagate."""
        try:
            if message.type == "control_change":
                self._control(message.control, message.value)
            elif message.type in ("note_on", "note_off"):
                self.engine.note(message.note, message.velocity if message.type == "note_on" else 0)
        except DistillError as error:
            log.warning("MIDI %s: %s", message, error)

    def _control(self, cc: int, value: int) -> None:
        with self._lock:
            learning, self._learning = self._learning, None
            if learning is not None:
                self.midi_map.bind(cc, learning)
                path = self.midi_map.save()
                log.info("MIDI learn: CC %d now controls %s (saved in %s)", cc, learning, path)
                return
            parameter = self.midi_map.controls.get(cc)
        if parameter is None:
            return
        codebook_size = 0
        if parameter == "top_k":
            model = self.engine.model
            if model is None:
                raise DistillError("no model is loaded, so top-k has no range yet")
            codebook_size = model.codebook_size
        self.engine.set_param(parameter, scale(parameter, value, codebook_size))
