"""What the TUI knows of the engine, kept up to date from its OSC events (the engine is the source of truth).

A renamed loaded model is announced again by the engine as `/distill/model/loaded`, so only that message
sets the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.model.config import level_labels

PARAM_PREFIX = "/distill/param/"


@dataclass(frozen=True)
class LoadedModel:
    """The model the engine has loaded, as `/distill/model/loaded` announces it."""

    name: str
    levels: int
    codebook_size: int
    sample_rate: int
    has_prior: bool

    @property
    def labels(self) -> tuple[str, ...]:
        """Level names, coarse to fine (Structure, Timbre, ...)."""
        return level_labels(self.levels)


@dataclass
class EngineState:
    """The engine's loaded model and sampling parameters as last announced."""

    connected: bool = False
    model: LoadedModel | None = None
    params: dict[str, float | int] = field(default_factory=dict)

    def apply(self, address: str, values: list) -> bool:
        """Take in one engine message; True when it changed this state."""
        if address == "/distill/model/loaded" and len(values) >= 5:
            name, levels, codebook_size, sample_rate, has_prior = values[:5]
            self.model = LoadedModel(str(name), int(levels), int(codebook_size), int(sample_rate), bool(has_prior))
            return True
        if address.startswith(PARAM_PREFIX) and len(values) == 1:
            self.params[address[len(PARAM_PREFIX):]] = values[0]
            return True
        return False
