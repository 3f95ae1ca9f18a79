"""What the TUI knows of the engine, kept up to date from its OSC events (the engine is the source of truth).

A renamed loaded model is announced again by the engine as `/distill/model/loaded`, so only that message
sets the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import ParamChanged
from engine.osc.messages import AnnouncedModel


@dataclass
class EngineState:
    """The engine's loaded model and sampling parameters as last announced."""

    connected: bool = False
    model: AnnouncedModel | None = None
    params: dict[str, float | int] = field(default_factory=dict)

    def apply(self, record) -> bool:
        """Take in one engine message (a record of `engine.osc.messages`); True when it changed this state."""
        match record:
            case AnnouncedModel():
                self.model = record
            case ParamChanged(name, value):
                self.params[name] = value
            case _:
                return False
        return True
