"""MIDI control of the resident engine: the one place that talks to mido and python-rtmidi.

`mapping` holds the CC-to-parameter map saved as `midi.json` in `DISTILL_HOME`; `adapter` translates MIDI
messages into engine calls (`MidiAdapter.handle`); `ports` lists input ports and opens one with a thread that
feeds every message to a handler. See docs/midi.md for the default map and the note mapping.
"""

from engine.midi.adapter import MidiAdapter
from engine.midi.mapping import PARAMETERS, MidiMap, MidiMapError
from engine.midi.ports import MidiInput, MidiUnavailable, input_port_names, open_input

__all__ = [
    "MidiAdapter", "MidiInput", "MidiMap", "MidiMapError", "MidiUnavailable", "PARAMETERS", "input_port_names", "open_input",
]
