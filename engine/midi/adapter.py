"""Translate MIDI messages into engine calls; the adapter holds no engine state of its own.

- control change: the CC's mapped parameter is set to the CC value scaled over its range (see `mapping`).
- note on (velocity > 0): generate with seed = note number (0-127, so each key always gives the same sound
  for the same settings and model) and play the result when it is ready at gain velocity / 127.
- note off, and note on with velocity 0: ignored (generated sounds play to their end).
- `learn(parameter)`: the next control change binds its CC to `parameter` and saves the map.
MIDI channels are not told apart. Every engine error is logged as one line; the adapter keeps going.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

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
            elif message.type == "note_on" and message.velocity > 0:
                self._note(message.note, message.velocity / 127)
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

    def _note(self, note: int, gain: float) -> None:
        self.engine.generate(seed=note).add_done_callback(lambda done: self._play(done, note, gain))

    def _play(self, generated: Future, note: int, gain: float) -> None:
        if self._report(generated, note):
            try:
                played = self.engine.play(str(generated.result().path), gain=gain)
            except DistillError as error:
                log.warning("MIDI note %d: %s", note, error)
                return
            played.add_done_callback(lambda done: self._report(done, note))

    @staticmethod
    def _report(done: Future, note: int) -> bool:
        """True if the job behind `done` succeeded; otherwise its error is logged as one line (a bug with a traceback)."""
        error = done.exception()
        if isinstance(error, DistillError):
            log.warning("MIDI note %d: %s", note, error)
        elif error is not None:
            log.error("MIDI note %d: job failed", note, exc_info=error)
        return error is None
