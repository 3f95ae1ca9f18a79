"""MIDI input ports: list them, and open one with a thread that hands every message to a handler."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Callable

import mido

from engine.errors import DistillError

log = logging.getLogger(__name__)

ALSA_SEQUENCER = "/dev/snd/seq"  # rtmidi's default API on Linux opens this


class MidiUnavailable(DistillError):
    """There is no MIDI system on this machine (no ALSA sequencer, no rtmidi backend) or no such port."""


def input_port_names() -> list[str]:
    """Names of the MIDI input ports, as `open_input` takes them; MidiUnavailable with no MIDI system."""
    _check_midi_system()
    try:
        return list(mido.get_input_names())
    except (OSError, ImportError) as exc:  # rtmidi's SystemError is an OSError
        raise MidiUnavailable(f"No MIDI system ({exc}).") from exc


def open_input(name: str | None, handler: Callable[[mido.Message], None]) -> "MidiInput | None":
    """Open input port `name` (None: the system's default) feeding `handler` on a thread.

    With no MIDI system or no such port, logs one line ("MIDI input unavailable (...)") and returns None:
    the engine runs on without MIDI.
    """
    try:
        _check_midi_system()
        port = mido.open_input(name)
    except (MidiUnavailable, OSError, ImportError) as exc:
        log.warning("MIDI input unavailable (%s): the engine runs on without MIDI", exc)
        return None
    log.info("MIDI input: %s", port.name)
    return MidiInput(port, handler)


class MidiInput:
    """Reads an open mido input port on a daemon thread and passes each message to `handler` until closed."""

    def __init__(self, port: mido.ports.BaseInput, handler: Callable[[mido.Message], None]):
        self.port = port
        self.handler = handler
        self._thread = threading.Thread(target=self._run, name=f"midi-in {port.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for message in self.port:  # ends when the port is closed
            self.handler(message)

    def close(self, timeout: float = 1.0) -> None:
        """Close the port and wait up to `timeout` seconds for the reading thread to finish."""
        self.port.close()
        self._thread.join(timeout)


def _check_midi_system() -> None:
    """MidiUnavailable where rtmidi would use ALSA and there is no ALSA sequencer.

    Checked before touching rtmidi because libasound prints its own error lines to stderr otherwise.
    """
    if sys.platform.startswith("linux") and not os.path.exists(ALSA_SEQUENCER):
        raise MidiUnavailable(f"No MIDI system: {ALSA_SEQUENCER} (the ALSA sequencer) does not exist.")
