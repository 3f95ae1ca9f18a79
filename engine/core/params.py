"""The sampling parameters (`Params` in state.py) that generations, notes and prior edits use, and presets.

Seeds. The `seed` parameter starts at a random value (as the CLI's does), so two engines do not make the same
first sound; subscribers hear it with the other parameters. `generate()` without a seed uses the `seed`
parameter and then advances it by one (announced as a `ParamChanged`), so repeated generations differ and
each can be made again from the seed it reports. A re-imagining and a continuation take their seed the same
way (`_draw_settings`). Seeds are limited to 0..2**31-1 so that they fit OSC's and Pd's 32-bit integers.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from engine.core.state import EngineState, Params, _Model
from engine.errors import DistillError
from engine.events import PARAM_NAMES, ParamChanged, PresetDeleted, PresetSaved
from engine.generation.settings import GenerationSettings, InvalidSettings
from engine.limits import MAX_OSC_SEED
from engine.store import Preset, Presets


def check_engine_seed(seed: object) -> int:
    """`seed` if it is a whole number from 0 to MAX_OSC_SEED, else InvalidSettings."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_OSC_SEED:
        raise InvalidSettings(f"seed must be a whole number from 0 to {MAX_OSC_SEED}, not {seed}")
    return seed


class ParamsMixin(EngineState):
    """The engine's sampling parameters and presets (see the module docstring)."""

    @property
    def params(self) -> Params:
        """The current sampling parameters (an immutable snapshot)."""
        return self._params

    def set_param(self, name: str, value: float) -> float | int:
        """Set one parameter (temperature, top_k, top_p, seed, duration, one_shot 0/1) and announce it; returns the value.

        Out-of-range values raise InvalidSettings (a DistillError) and change nothing; nothing is clamped.
        top_k is checked against the loaded model's codebook size.
        """
        return self._set_params({name: value})[name]

    def _set_params(self, values: dict[str, float | int]) -> dict[str, float | int]:
        """Set several parameters at once, all or none, and announce each; returns the values set."""
        unknown = [name for name in values if name not in PARAM_NAMES]
        if unknown:
            raise DistillError(f"unknown parameter '{unknown[0]}' (use {', '.join(PARAM_NAMES)})")
        with self._lock:
            params = replace(self._params, **values)
            if "seed" in values:
                check_engine_seed(values["seed"])
            settings = params.settings()  # validates every setting the same way generation does
            if "top_k" in values and self._model is not None:  # a top-k left from another model is checked by generate
                settings.check_for(self._model.info.codebook_size)
            self._params = params = Params(settings.temperature, settings.top_k, settings.top_p, params.seed, settings.duration_s, int(settings.one_shot))
        result = {name: getattr(params, name) for name in values}
        self._retune()
        for name, value in result.items():
            self._emit(ParamChanged(name, value))
        return result

    def _draw_settings(self, current: _Model, duration: float | None, seed: int | None) -> tuple[GenerationSettings, int]:
        """The checked settings and seed of a draw by the prior; without a seed, the `seed` parameter, which
        then advances by one (announced), so that repeated draws differ."""
        with self._lock:
            params = self._params
            settings = params.settings(duration)
            settings.check_for(current.info.codebook_size)
            if seed is None:
                seed, advanced = params.seed, (params.seed + 1) % (MAX_OSC_SEED + 1)
                self._params = replace(params, seed=advanced)
            else:
                check_engine_seed(seed)
                advanced = None
        if advanced is not None:
            self._emit(ParamChanged("seed", advanced))
        return settings, seed

    @cached_property
    def _presets(self) -> Presets:
        """The presets in the library's database, opened on first use: one that cannot be opened fails that call,
        not the engine's start."""
        return Presets(self.library.db_path)

    def save_preset(self, name: str) -> Preset:
        """Save the current temperature, top-k, top-p and duration as preset `name` (replacing one) and announce it."""
        preset, _ = self._presets.save(name, self._params.settings())
        self._emit(PresetSaved(preset.name))
        return preset

    def load_preset(self, name: str) -> Preset:
        """Set the parameters from preset `name` (each announced); all or none, as `set_param` checks them."""
        preset = self._presets.get(name)
        settings = preset.settings
        self._set_params({"temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p, "duration": settings.duration_s})
        return preset

    def presets(self) -> list[Preset]:
        """Every preset, sorted by name."""
        return self._presets.list()

    def delete_preset(self, name: str) -> None:
        """Delete preset `name` and announce it."""
        self._presets.delete(name)
        self._emit(PresetDeleted(name))
