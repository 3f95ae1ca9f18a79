"""Which MIDI controller (CC) sets which engine parameter, and the range each CC's 0-127 spans.

The map is saved as JSON in `DISTILL_HOME/midi.json`, written atomically:

    {"format": "distill-midi-map", "version": 1, "controls": {"1": "temperature", "2": "top_k", "3": "top_p"}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import DistillError
from engine.fileio import atomic_path
from engine.paths import distill_home

FORMAT = "distill-midi-map"
VERSION = 1
FILE_NAME = "midi.json"
CC_MAX = 127

# parameter -> (value at CC 0, value at CC 127); None stands for the loaded model's codebook size
PARAMETERS: dict[str, tuple[float, float | None]] = {
    "temperature": (0.05, 2.0),
    "top_k": (0, None),
    "top_p": (0.05, 1.0),
    "duration": (0.25, 8.0),
}
INTEGER_PARAMETERS = frozenset({"top_k"})
DEFAULT_CONTROLS = {1: "temperature", 2: "top_k", 3: "top_p"}


class MidiMapError(DistillError):
    """The MIDI map file is unreadable, of another format or version, or names an unknown parameter."""


def check_parameter(name: str) -> str:
    """`name` if a CC can control it; MidiMapError naming the choices otherwise."""
    if name not in PARAMETERS:
        raise MidiMapError(f"MIDI cannot control '{name}'; choose one of {', '.join(PARAMETERS)}.")
    return name


def scale(parameter: str, cc_value: int, codebook_size: int) -> float | int:
    """The parameter value a CC value (0-127) stands for: linear over the parameter's range.

    top_k spans 0 (off) to `codebook_size` in whole numbers; the others are floats.
    """
    low, high = PARAMETERS[check_parameter(parameter)]
    high = codebook_size if high is None else high
    value = low + (high - low) * min(max(cc_value, 0), CC_MAX) / CC_MAX
    return round(value) if parameter in INTEGER_PARAMETERS else value


@dataclass
class MidiMap:
    """CC number -> parameter name; `path` is where `save` writes it."""

    controls: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_CONTROLS))
    path: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "MidiMap":
        """The map saved at `path` (default: `DISTILL_HOME/midi.json`), or the default map if none is saved.

        Raises MidiMapError if the file exists but is not a readable map of this format and version.
        """
        path = Path(path) if path is not None else distill_home() / FILE_NAME
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MidiMapError(f"Cannot read the MIDI map '{path}' ({exc}); fix or delete it.") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise MidiMapError(f"'{path}' is not a distill MIDI map; fix or delete it.")
        if data.get("version") != VERSION:
            raise MidiMapError(f"The MIDI map '{path}' has version {data.get('version')}; this distill reads version {VERSION}.")
        controls = data.get("controls")
        if not isinstance(controls, dict) or not all(str(cc).isdigit() and 0 <= int(cc) <= CC_MAX for cc in controls):
            raise MidiMapError(f"The MIDI map '{path}' has no valid 'controls' (CC numbers 0-127 to parameter names).")
        return cls({int(cc): check_parameter(name) for cc, name in controls.items()}, path)

    def bind(self, cc: int, parameter: str) -> None:
        """Make `cc` control `parameter`, replacing whatever `cc` did and any other CC bound to `parameter`."""
        check_parameter(parameter)
        if not 0 <= cc <= CC_MAX:
            raise MidiMapError(f"CC numbers run from 0 to {CC_MAX}, not {cc}.")
        self.controls = {c: p for c, p in self.controls.items() if p != parameter and c != cc}
        self.controls[cc] = parameter

    def save(self) -> Path:
        """Write the map to `path` atomically and return the path."""
        path = self.path if self.path is not None else distill_home() / FILE_NAME
        document = {"format": FORMAT, "version": VERSION, "controls": {str(cc): p for cc, p in sorted(self.controls.items())}}
        with atomic_path(path, suffix=".json") as temporary:
            temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        self.path = path
        return path
