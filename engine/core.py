"""The resident engine: one object that owns the state the OSC and MIDI adapters (and the TUI) drive.

State: the loaded model and its prior, the sampling parameters, named code slots with undo/redo (`Slots`),
the jobs, the training options and run (VQ-VAE or prior, one at a time) and the audio output. The library,
presets and generation history live in files (`Library`, `engine.store`); the engine's methods are the one
way the adapters reach them. Adapters only translate their messages into these calls.

Threads. Calls may come from any thread. Torch work that takes time (loading, generating, encoding,
decoding, previews, replaying history, re-imagining and continuing a slot) runs on one torch worker thread
and is returned as a `Future`; training runs in its own thread; playing an existing file is read on a
playback thread, and a dataset folder is inspected on a files thread. Parameter changes and grid edits run
on the caller's thread, under a lock; they are quick, but a blend searches the codebooks in torch and
presets, history and the library touch files and SQLite, so adapters call them off their network thread
(the OSC adapter from its request worker). A job works on a snapshot of the model and grid taken when it was
asked for, so later changes never reach into a running job; the exception is a re-imagining, an edit drawn
by the prior: it runs on the worker, holds the edit lock while it draws, and edits the slot as it is then.

Files. Every file the engine announces lies in its output folder and is complete (written under a
temporary name, then renamed) before its event or future fires; paths from clients are only read.

Seeds. The `seed` parameter starts at a random value (as the CLI's does), so two engines do not make the same
first sound; subscribers hear it with the other parameters. `generate()` without a seed uses the `seed`
parameter and then advances it by one (announced as a `ParamChanged`), so repeated generations differ and
each can be made again from the seed it reports. Seeds are limited to 0..2**31-1 so that they fit OSC's and
Pd's 32-bit integers.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import re
import secrets
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.codes.grid import CodeGrid, Level, resolve_level
from engine.codes.slots import Slots
from engine.errors import DistillError
from engine.events import (
    Continued,
    Decoded,
    Edit,
    Encoded,
    EngineEvent,
    Generated,
    GridEdited,
    JobFailed,
    JobProgress,
    ModelDeleted,
    ModelInfo,
    ModelLoaded,
    ModelRenamed,
    NoteSettingsChanged,
    PARAM_NAMES,
    ParamChanged,
    Playing,
    PresetDeleted,
    PresetSaved,
    Previewed,
    Reimagined,
    TrainDefaults,
    TrainJobDone,
    TrainJobStarted,
    TrainOptionChanged,
)
from engine.generation.settings import GenerationSettings, InvalidSettings
from engine.library import Library, ModelEntry, model_facts
from engine.limits import MAX_HISTORY_LIST, MAX_OSC_SEED
from engine.paths import outputs_dir, user_path
from engine.model_health import LevelHealth, ModelHealth
from engine.training.runs import (
    Budget,
    TrainOptions,
    check_minutes,
    check_request_options,
    check_train_key,
    check_train_option,
    dataset_folder,
    prior_progress,
    vqvae_progress,
)

if TYPE_CHECKING:  # heavy imports stay lazy so `distill --help` and adapters start fast
    from engine.audio.playback import AudioOut
    from engine.instrument import Instrument, NoteSettings
    from engine.model.persist import LoadedModel
    from engine.prior.model import CodePrior
    from engine.store import GenerationRecord, Preset

log = logging.getLogger("distill.engine")

SLOT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
WORKER_NICENESS = 10  # how much lower the torch worker and training threads run than the network thread


@dataclass(frozen=True)
class Params:
    """The sampling parameters `generate()` uses when not told otherwise (the engine starts with a random seed)."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 0
    duration: float = 4.0
    one_shot: int = 0  # 1: generated sounds end by themselves (GenerationSettings.one_shot); 0/1 so OSC and Pd carry it

    def settings(self, duration: float | None = None) -> GenerationSettings:
        """These parameters as validated generation settings (InvalidSettings if one is out of range)."""
        if self.one_shot not in (0, 1):
            raise InvalidSettings(f"one_shot must be 0 (off) or 1 (on), not {self.one_shot}")
        return GenerationSettings(
            duration_s=self.duration if duration is None else duration,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            one_shot=bool(self.one_shot),
        )


def check_engine_seed(seed: object) -> int:
    """`seed` if it is a whole number from 0 to MAX_OSC_SEED, else InvalidSettings."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_OSC_SEED:
        raise InvalidSettings(f"seed must be a whole number from 0 to {MAX_OSC_SEED}, not {seed}")
    return seed


def check_slot(slot: object) -> str:
    """`slot` if it is a valid slot name (1-32 letters, digits, '_' or '-'), else DistillError."""
    if not isinstance(slot, str) or SLOT_PATTERN.fullmatch(slot) is None:
        raise DistillError(f"a slot name is 1 to 32 letters, digits, '_' or '-', not {slot!r}")
    return slot


@dataclass(frozen=True)
class _Model:
    """The loaded model with its prior (or why it has none), replaced as a whole on every load."""

    loaded: LoadedModel
    prior: CodePrior | None
    prior_error: DistillError | None
    info: ModelInfo


class Engine:
    """The resident engine (see the module docstring)."""

    def __init__(self, *, library: Library | None = None, out_dir: Path | None = None, audio: AudioOut | None = None, device: str = "cpu"):
        """`out_dir` (default `outputs_dir()`) receives every file; `audio` plays sounds (None: `play` is refused)."""
        self.library = library or Library()
        self.out_dir = Path(out_dir) if out_dir is not None else outputs_dir()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.device = device
        self._audio = audio
        self._slots = Slots()
        self._lock = threading.Lock()  # model, params and listeners
        self._edit_lock = threading.Lock()  # makes (grid before, edit, grid after) one step
        self._model: _Model | None = None
        self._params = Params(seed=secrets.randbelow(MAX_OSC_SEED + 1))  # random, like the CLI's default seed
        self._listeners: list[Callable[[EngineEvent], None]] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-torch", initializer=lower_thread_priority)
        self._player = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-play")
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-files")
        self._file_numbers = itertools.count(1)
        self._train_options = TrainOptions()
        self._train_lock = threading.Lock()  # makes (is a run going?, start one) one step
        self._train_busy = False  # set when a run starts, cleared just before its last event
        self._train_thread: threading.Thread | None = None
        self._train_stop = threading.Event()
        self._instrument: Instrument | None = None  # made on the first note: rendering ahead costs CPU
        self._note_settings: NoteSettings | None = None  # None: the instrument's defaults
        self._variations: tuple[str, str] | None = None  # (slot, kind): notes play variations of the slot (`vary`)
        self._variation_rounds = itertools.count()  # every retune for variations starts a new round (a new token)

    # -- listeners --------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Call `listener(event)` for every event from now on; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: EngineEvent) -> None:
        """Call every listener with `event`; one that raises is logged and never stops the engine's work.

        Called with no engine lock held, so a listener may call back into the engine.
        """
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a listener's bug must not fail the edit, job or run that emitted
                log.error("listener %r failed on %r:\n%s", listener, event, traceback.format_exc())

    # -- model ------------------------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The names of the models in the library, sorted."""
        return [entry.name for entry in self.library.list()]

    def search_models(self, query: str) -> list[str]:
        """Names of the library models matching every word of `query`, best first; a blank query lists all."""
        return [entry.name for entry in self.library.search(query)]

    def model_info(self, name: str) -> dict[str, str | int | float]:
        """What is known about library model `name` (see `model_facts`)."""
        return model_facts(self.library.get(name))

    def rename_model(self, old: str, new: str) -> None:
        """Rename library model `old` to `new` and announce it.

        When the loaded model is that file, it follows and is announced again as `ModelLoaded` under its new
        name (a loaded model of the same name from elsewhere is another model and keeps its name).
        """
        before = self.library.get(old)  # names ignore case: announce the library's spelling
        old, old_path = before.name, before.path.resolve()
        entry = self.library.rename(old, new)
        followed = None
        with self._lock:
            current = self._model
            if current is not None and current.info.path.resolve() == old_path:
                loaded = replace(current.loaded, path=entry.path, metadata={**current.loaded.metadata, "name": entry.name})
                followed = replace(current.info, name=entry.name, path=entry.path)
                self._model = replace(current, loaded=loaded, info=followed)
        self._emit(ModelRenamed(old, entry.name))
        if followed is not None:
            self._emit(ModelLoaded(followed))

    def delete_model(self, name: str) -> None:
        """Delete library model `name` (its file) and announce it; a loaded copy stays loaded in memory."""
        name = self.library.get(name).name  # names ignore case: announce the library's spelling
        self.library.delete(name)
        self._emit(ModelDeleted(name))

    def describe_model(self, name: str, text: str) -> tuple[str, str]:
        """Set library model `name`'s description -> (its name, the description as stored)."""
        entry = self.library.set_description(name, text)
        return entry.name, entry.description

    def tag_model(self, name: str, add: list[str] = (), remove: list[str] = ()) -> tuple[str, list[str]]:
        """Add and remove tags of library model `name` -> (its name, its tags now)."""
        entry = self.library.edit_tags(name, add=add, remove=remove)
        return entry.name, entry.tags

    def load_model(self, name_or_path: str) -> ModelInfo:
        """Load a library model or model file with its prior (on the torch worker) and wait for it."""
        return self.load_model_async(name_or_path).result().info

    def load_model_async(self, name_or_path: str) -> Future[ModelLoaded]:
        """Load a model on the torch worker; the future gives the `ModelLoaded` event it also sends."""
        path = self.library.resolve(name_or_path)
        return self._worker.submit(self._load_job, path)

    def _load_job(self, path: Path) -> ModelLoaded:
        from engine.model.persist import load_vqvae
        from engine.prior.bundle import load_prior

        loaded = load_vqvae(path, device=self.device)
        prior, prior_error = None, None
        try:
            prior = load_prior(loaded)
        except DistillError as error:  # no prior, or a damaged one: the VQ-VAE still encodes and decodes
            prior_error = error
        cfg = loaded.model.cfg
        info = ModelInfo(
            loaded.name, loaded.path, cfg.levels, cfg.codebook_size, loaded.mel.sample_rate, prior is not None, tuple(cfg.labels),
            loaded.samples_per_column,
        )
        with self._lock:
            self._model = _Model(loaded, prior, prior_error, info)
        self._retune()
        event = ModelLoaded(info)
        self._emit(event)
        return event

    @property
    def model(self) -> ModelInfo | None:
        """The loaded model, or None."""
        current = self._model
        return current.info if current else None

    def _require_model(self) -> _Model:
        current = self._model
        if current is None:
            raise DistillError("no model is loaded: load one first (/distill/model/load <name>)")
        return current

    def health(self) -> list[LevelHealth]:
        """Codebook health per level of the loaded model, as recorded when it was trained."""
        current = self._require_model()
        levels = ModelHealth.from_metadata(current.loaded.metadata).levels
        if not levels:
            raise DistillError(f"model '{current.info.name}' has no codebook health recorded")
        return list(levels)

    def usage(self, level: Level) -> tuple[int, list[int]]:
        """(level index, how often each code of that level was used) for the loaded model, as recorded in training."""
        current = self._require_model()
        level = resolve_level(level, current.info.labels)
        usage = ModelHealth.from_metadata(current.loaded.metadata).usage
        if len(usage) != current.info.levels:
            raise DistillError(f"model '{current.info.name}' has no code usage recorded")
        return level, list(usage[level])

    # -- parameters ---------------------------------------------------------------------------------------

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

    # -- presets and history -------------------------------------------------------------------------------

    def save_preset(self, name: str) -> Preset:
        """Save the current temperature, top-k, top-p and duration as preset `name` (replacing one) and announce it."""
        from engine.store import Presets

        preset, _ = Presets(self.library.db_path).save(name, self._params.settings())
        self._emit(PresetSaved(preset.name))
        return preset

    def load_preset(self, name: str) -> Preset:
        """Set the parameters from preset `name` (each announced); all or none, as `set_param` checks them."""
        from engine.store import Presets

        preset = Presets(self.library.db_path).get(name)
        settings = preset.settings
        self._set_params({"temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p, "duration": settings.duration_s})
        return preset

    def presets(self) -> list[Preset]:
        """Every preset, sorted by name."""
        from engine.store import Presets

        return Presets(self.library.db_path).list()

    def delete_preset(self, name: str) -> None:
        """Delete preset `name` and announce it."""
        from engine.store import Presets

        Presets(self.library.db_path).delete(name)
        self._emit(PresetDeleted(name))

    def generations(self, count: int = 50) -> list[GenerationRecord]:
        """The newest `count` (1 to MAX_HISTORY_LIST) entries of the generation history, newest first."""
        from engine.store import History

        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_HISTORY_LIST:
            raise DistillError(f"count must be a whole number from 1 to {MAX_HISTORY_LIST}, not {count}")
        return History(self.library.db_path).list(count)

    # -- jobs ---------------------------------------------------------------------------------------------

    def generate(self, duration: float | None = None, seed: int | None = None) -> Future[Generated]:
        """Generate a sound with the current parameters (or this duration and seed) on the torch worker.

        Settings are checked now (InvalidSettings); no model or no prior is a DistillError now.
        """
        from engine.generation.pipeline import check_one_shot

        current = self._require_prior()
        if self._params.one_shot:
            check_one_shot(current.prior, current.info.name)
        settings, seed = self._draw_settings(current, duration, seed)
        return self._worker.submit(self._generate_job, current, settings, seed)

    def _require_prior(self) -> _Model:
        """The loaded model when it has a prior, else the DistillError that says why it has none."""
        current = self._require_model()
        if current.prior is None:
            error = current.prior_error
            raise type(error)(str(error))  # a fresh exception: the stored one must not collect tracebacks
        return current

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

    def _generate_job(self, current: _Model, settings: GenerationSettings, seed: int) -> Generated:
        from engine.generation.files import make_sound_file, prior_id
        from engine.generation.settings import ExportSettings
        from engine.store import History

        self._emit(JobProgress("generate", 0.0, f"generating {settings.duration_s:g} s with seed {seed}"))
        export = ExportSettings(sample_rate=current.info.sample_rate)
        path = self._new_path(f"{current.info.name}_seed{seed}")
        record = make_sound_file(current.loaded, current.prior, prior_id(current.loaded), settings, export, seed, path, History(self.library.db_path))
        event = Generated(record.path, settings.duration_s, seed)
        self._emit(JobProgress("generate", 1.0, path.name))
        self._emit(event)
        return event

    def replay(self, record_id: int) -> Future[Generated]:
        """Make history entry `record_id`'s sound again on the torch worker (recorded as a new entry).

        Its model must still hold the same VQ-VAE and prior weights (`regenerate` says so otherwise); an
        unknown entry, or a seed beyond MAX_OSC_SEED (possible from the CLI), is a DistillError now.
        """
        from engine.store import History

        history = History(self.library.db_path)
        record = history.get(record_id)
        if record.seed > MAX_OSC_SEED:
            raise DistillError(f"generation #{record_id} has seed {record.seed}, beyond the engine's {MAX_OSC_SEED}; use `distill history regenerate {record_id}`")
        return self._worker.submit(self._replay_job, record, history)

    def _replay_job(self, record: GenerationRecord, history) -> Generated:
        from engine.generation.files import regenerate
        from engine.outputs import gone_note

        note = gone_note(record)
        self._emit(JobProgress("generate", 0.0, f"making generation #{record.id} again" + (f" ({note})" if note else "")))
        new = regenerate(record.id, out=self.out_dir, history=history)
        event = Generated(new.path, new.settings.duration_s, new.seed)
        self._emit(JobProgress("generate", 1.0, new.path.name))
        self._emit(event)
        return event

    def encode(self, slot: str, path: str) -> Future[Encoded]:
        """Encode a sound file into `slot` (replacing its grid and history); the future gives the `Encoded` event."""
        check_slot(slot)
        current = self._require_model()
        return self._worker.submit(self._encode_job, current, slot, str(path))

    def _encode_job(self, current: _Model, slot: str, path: str) -> Encoded:
        from engine.codes.codec import encode_file

        self._emit(JobProgress("encode", 0.0, f"encoding {Path(path).name} into {slot}"))
        grid = encode_file(current.loaded, path)
        with self._edit_lock:
            self._slots.put(slot, grid)
        if self._variations is not None and self._variations[0] == slot:
            self._retune()  # the keys vary the new grid
        self._emit(JobProgress("encode", 1.0, slot))
        event = Encoded(slot, grid.levels, grid.columns)
        self._emit(event)
        return event

    def decode(self, slot: str) -> Future[Decoded]:
        """Decode `slot`'s grid as it is now into a sound file; the future gives the `Decoded` event."""
        current, grid = self._decodable(slot)
        return self._worker.submit(self._decode_job, current, slot, grid, None)

    def _decodable(self, slot: str) -> tuple[_Model, CodeGrid]:
        from engine.codes.codec import check_model

        current = self._require_model()
        grid = self.grid(slot)
        check_model(current.loaded, grid)
        return current, grid

    def _decode_job(self, current: _Model, slot: str, grid: CodeGrid, play_gain: float | None) -> Decoded:
        from engine.audio.io import write_audio
        from engine.codes.codec import decode_wave

        self._emit(JobProgress("decode", 0.0, f"decoding {slot}"))
        wave = decode_wave(current.loaded, grid)  # [N]
        path = write_audio(self._new_path(f"{current.info.name}_{slot}"), wave, grid.sample_rate)
        self._emit(JobProgress("decode", 1.0, path.name))
        event = Decoded(slot, path)
        self._emit(event)
        if play_gain is not None:
            self._sound(wave, grid.sample_rate, play_gain)
        return event

    def preview(self, level: Level, index: int) -> Future[Previewed]:
        """Write a short clip of codebook entry `index` of `level`; the future gives the `Previewed` event."""
        from engine.codes.ops import check_index

        current = self._require_model()
        level = resolve_level(level, current.info.labels)
        index = check_index(index, current.info.codebook_size)
        return self._worker.submit(self._preview_job, current, level, index)

    def _preview_job(self, current: _Model, level: int, index: int) -> Previewed:
        from engine.audio.io import write_audio
        from engine.codes.codec import preview_wave

        wave = preview_wave(current.loaded, level, index)  # [N]
        path = write_audio(self._new_path(f"{current.info.name}_{current.info.labels[level]}{index}"), wave, current.info.sample_rate)
        event = Previewed(level, index, path)
        self._emit(event)
        return event

    def reimagine(self, slot: str, start: int, end: int, levels: list[Level] | None = None, seed: int | None = None) -> Future[Reimagined]:
        """Redraw `levels` (default all) of columns [start, end) of `slot` with the prior, given the columns
        before (`engine.codes.variations.reimagine`), as one undoable edit announced as swap's and blend's are.

        Uses the current temperature, top-k and top-p and `seed` (default: the `seed` parameter, which then
        advances); the same seed on the same grid gives the same cells. The edit applies to the slot as it is
        when the job runs; the future gives the edit with its seed. No prior, an empty slot or a region or level that does not fit is a DistillError now.
        """
        from engine.codes.grid import resolve_levels
        from engine.codes.ops import check_region

        current, grid = self._decodable(slot)
        self._require_prior()
        check_region(start, end, grid)
        resolve_levels(levels, grid.labels)
        settings, seed = self._draw_settings(current, None, seed)
        return self._worker.submit(self._reimagine_job, current, slot, start, end, levels, settings, seed)

    def _reimagine_job(self, current: _Model, slot: str, start: int, end: int, levels, settings: GenerationSettings, seed: int) -> Reimagined:
        self._emit(JobProgress("reimagine", 0.0, f"reimagining columns {start}-{end - 1} of {slot} with seed {seed}"))
        edit = self._edit([slot], lambda: self._slots.reimagine(slot, current.prior, start, end, levels, settings, seed))[0]
        self._emit(JobProgress("reimagine", 1.0, slot))
        return Reimagined(edit, seed)

    def continue_slot(
        self, slot: str, seconds: float, from_frame: int | None = None, seed: int | None = None, into: str | None = None
    ) -> Future[Continued]:
        """The prior goes on from `slot`'s grid (or its first `from_frame` columns) for `seconds` more, into slot
        `into` (default: the first free of A-Z, then `<slot>-1`, `<slot>-2`, ...), announced as an encode is.

        Uses the current temperature, top-k and top-p and `seed` (default: the `seed` parameter, which then
        advances). No prior, an empty slot or an out-of-range length or column is a DistillError now.
        """
        from engine.codes.variations import check_continuation

        current, grid = self._decodable(slot)
        self._require_prior()
        if into is not None:
            check_slot(into)
        check_continuation(grid, seconds, from_frame)
        settings, seed = self._draw_settings(current, None, seed)
        return self._worker.submit(self._continue_job, current, slot, grid, seconds, from_frame, settings, seed, into)

    def _continue_job(
        self, current: _Model, slot: str, grid: CodeGrid, seconds: float, from_frame: int | None, settings: GenerationSettings, seed: int,
        into: str | None,
    ) -> Continued:
        from engine.codes.variations import continue_codes

        self._emit(JobProgress("continue", 0.0, f"continuing {slot} by {seconds:g} s with seed {seed}"))
        grid = continue_codes(grid, current.prior, seconds, from_frame, settings, seed)
        with self._edit_lock:
            into = into or free_slot(self._slots.names(), slot)
            self._slots.put(into, grid)
        if self._variations is not None and self._variations[0] == into:
            self._retune()  # the keys vary the new grid
        self._emit(JobProgress("continue", 1.0, into))
        self._emit(Encoded(into, grid.levels, grid.columns))
        return Continued(slot, into, grid.columns, seed)

    def _new_path(self, stem: str) -> Path:
        """A fresh .wav name in the output folder (jobs run one at a time, so no two share a name)."""
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
        while True:
            path = self.out_dir / f"{stem}_{datetime.now():%Y%m%d-%H%M%S}-{next(self._file_numbers)}.wav"
            if not path.exists():
                return path

    # -- grids --------------------------------------------------------------------------------------------

    def slots(self) -> list[str]:
        """The names of the filled slots."""
        return self._slots.names()

    def grid(self, slot: str) -> CodeGrid:
        """The current grid of `slot` (CodeEditError when it is empty)."""
        return self._slots.grid(check_slot(slot))

    def edit_history(self, slot: str) -> tuple[list[str], list[str]]:
        """Descriptions of `slot`'s undoable (oldest first) and redoable (next first) edits."""
        return self._slots.edit_history(check_slot(slot))

    def set_cell(self, slot: str, level: Level, frame: int, index: int) -> Edit:
        """Set cell (level, frame) of `slot` to codebook entry `index`."""
        return self._edit([slot], lambda: self._slots.set_cell(slot, level, frame, index))[0]

    def swap(self, a: str, b: str, start: int, end: int, levels: list[Level] | None = None) -> tuple[Edit, Edit]:
        """Exchange frames [start, end) (of `levels`, default all) between slots `a` and `b`: one edit per slot."""
        edits = self._edit([a, b], lambda: self._slots.swap(a, b, start, end, levels))
        return edits[0], edits[1]

    def blend(
        self, a: str, b: str, weight: float, start: int | None = None, end: int | None = None, levels: list[Level] | None = None
    ) -> Edit:
        """Blend slot `a` towards slot `b` by `weight` (0..1) in embedding space, over [start, end) or all, of
        `levels` (default all, as `swap`)."""
        from engine.codes.codec import codebooks_for

        current = self._require_model()
        books = codebooks_for(current.loaded, self.grid(a))
        return self._edit([a], lambda: self._slots.blend(a, b, weight, books, start, end, levels))[0]

    def undo(self, slot: str) -> Edit:
        """Undo the last edit of `slot` (CodeEditError when there is none)."""
        return self._edit([slot], lambda: self._slots.undo(slot))[0]

    def redo(self, slot: str) -> Edit:
        """Redo the last undone edit of `slot` (CodeEditError when there is none)."""
        return self._edit([slot], lambda: self._slots.redo(slot))[0]

    def _edit(self, slots: list[str], operation: Callable[[], object]) -> list[Edit]:
        """Run `operation` on `slots` and describe and announce what changed in each, in order."""
        for slot in slots:
            check_slot(slot)
        with self._edit_lock:
            before = [self._slots.grid(slot) for slot in slots]
            operation()
            edits = []
            for slot, old in zip(slots, before):
                new = self._slots.grid(slot)
                undo, redo = self._slots.edit_history(slot)
                edits.append(GridEdited(slot, changed_cells(old, new), len(undo), len(redo), tuple(new.blended_runs())))
        for edit in edits:
            self._emit(edit)
        if self._variations is not None and self._variations[0] in slots:
            self._retune()  # the keys vary the slot as it is now
        return edits

    # -- playback -----------------------------------------------------------------------------------------

    def play(self, path_or_slot: str, gain: float = 1.0) -> Future[Playing]:
        """Play a filled slot (decoded first) or a sound file at `gain` (0-1); the future gives `Playing`.

        A name that is a filled slot means the slot. No audio output is a DistillError.
        """
        if not 0.0 <= gain <= 1.0:
            raise DistillError(f"gain must be between 0 and 1, not {gain}")
        if self._audio is None:
            raise DistillError("this engine has no audio output (start it with --audio-device)")
        if not self._audio.available:
            raise DistillError(f"no audio output: {self._audio.unavailable_reason}")
        if path_or_slot in self._slots.names():
            current, grid = self._decodable(path_or_slot)
            return self._worker.submit(lambda: Playing(self._decode_job(current, path_or_slot, grid, gain).path))
        path = user_path(path_or_slot, "played")
        if not path.is_file():
            raise DistillError(f"'{path_or_slot}' is neither a filled slot nor a sound file")
        return self._player.submit(self._play_file, path, gain)

    def _play_file(self, path: Path, gain: float) -> Playing:
        import soundfile as sf

        from engine.errors import AudioFileError

        try:
            audio, rate = sf.read(path, dtype="float32", always_2d=False)  # [N] or [N, C]
        except (sf.SoundFileError, RuntimeError) as error:
            raise AudioFileError(f"cannot play '{path}': it is not a readable sound file") from error
        self._sound(audio, rate, gain)
        return Playing(path)

    def _sound(self, audio: np.ndarray, rate: int, gain: float) -> None:
        """Play `audio`; a DistillError with the reason if the device turned out to be unusable when opened for it."""
        self._audio.play(audio, rate, gain=gain)
        if not self._audio.available:
            raise DistillError(f"no audio output: {self._audio.unavailable_reason}")

    def note(self, key: int, velocity: int) -> bool:
        """Play key `key` (0-127) at `velocity` (1-127; 0 is a note-off) from memory, writing no file.

        The key's sound is what `generate(seed=key)` would make with the current parameters; see
        `engine.instrument`. True if it sounded at once from memory, False if it streams from its render
        (which jumps the queue, after the render under way). DistillError for
        out-of-range values, no audio output, or no model with a prior.
        """
        from engine.instrument import Instrument

        if self._audio is None:
            raise DistillError("this engine has no audio output (start it with --audio-device)")
        with self._lock:
            if self._instrument is None:
                self._instrument = Instrument(self._audio, on_thread_start=lower_thread_priority)
                if self._note_settings is not None:
                    self._instrument.settle(self._note_settings)
                created = True
            else:
                created = False
        if created:
            self._retune()
        return self._instrument.note(key, velocity)

    def note_settings(self, mode: str | None = None, release: float | None = None) -> NoteSettings:
        """Set how notes behave from the next note on (None keeps that setting) and announce it; returns the
        settings. `mode` "one-shot" or "gate", `release` 0-10 seconds of fade after a gate note-off; out of
        range is a DistillError and changes nothing. Both None: only reports them.
        """
        from engine.instrument import NoteSettings

        with self._lock:
            settings = self._note_settings or NoteSettings()
            if mode is None and release is None:
                return settings
            settings = NoteSettings(settings.mode if mode is None else mode, settings.release if release is None else release)
            self._note_settings = settings
            instrument = self._instrument
        if instrument is not None:
            instrument.settle(settings)
        self._emit(NoteSettingsChanged(settings.mode, settings.release))
        return settings

    def vary(self, slot: str | None, kind: str = "timbre") -> None:
        """From the next note on, every note plays a new variation of `slot` (None: notes play generations again).

        `kind` is one of `engine.codes.variations.KINDS` ("timbre": same rhythm and envelope, new colour;
        "continue": the first quarter kept, the rest drawn anew), drawn with the current sampling parameters;
        key k's n-th note uses seed `variation_seed(k, n)`, counted from when the mode was set or the slot,
        the model or a parameter last changed (the slot as it is after each edit is what varies).
        DistillError for an empty slot or an unknown kind.
        """
        from engine.codes.variations import KINDS

        if slot is not None:
            self._decodable(slot)  # refuses an empty slot, no model, or a grid another model made
            if kind not in KINDS:
                raise DistillError(f"a variation is one of {', '.join(KINDS)}, not {kind!r}")
        with self._lock:
            self._variations = None if slot is None else (slot, kind)
        self._retune()

    def _retune(self) -> None:
        """Tell the instrument (once there is one) what the keys sound like with the current model and parameters."""
        instrument, current, params, variations = self._instrument, self._model, self._params, self._variations
        if instrument is None:
            return
        if current is None or current.prior is None:
            instrument.retune(None, None)
            return
        settings = params.settings()
        if variations is not None:
            self._retune_variations(instrument, current, settings, *variations)
            return
        from engine.generation.pipeline import stream_audio
        from engine.instrument import NOTE_CHUNK_FRAMES

        def render(key: int, rate: int) -> Iterator[np.ndarray]:
            return stream_audio(
                current.loaded, current.prior, duration_s=settings.duration_s, temperature=settings.temperature,
                top_k=settings.top_k, top_p=settings.top_p, seed=key, sample_rate=rate, chunk_frames=NOTE_CHUNK_FRAMES,
            )

        instrument.retune((id(current), settings), render)

    def _retune_variations(self, instrument: Instrument, current: _Model, settings: GenerationSettings, slot: str, kind: str) -> None:
        """Keys play variations of `slot`'s grid as it is now: each render is the key's next one (`vary`)."""
        from engine.audio.io import resample
        from engine.codes.codec import check_model, decode_wave
        from engine.codes.variations import vary, variation_seed

        grid = self._slots.grid(slot)
        try:
            check_model(current.loaded, grid)
        except DistillError as error:  # another model was loaded since: notes play its generations again
            log.warning("notes no longer vary slot %s: %s", slot, error)
            with self._lock:
                self._variations = None
            self._retune()
            return
        counts = collections.defaultdict(itertools.count)  # key -> its renders so far (renders run on one thread)

        def render(key: int, rate: int) -> list[np.ndarray]:
            variation = vary(grid, current.prior, kind, settings, variation_seed(key, next(counts[key])))
            return [resample(decode_wave(current.loaded, variation), grid.sample_rate, rate)]  # one piece: not streamed

        instrument.retune(("variations", next(self._variation_rounds)), render, fresh=True)

    def stop(self) -> None:
        """Stop every sound that is playing."""
        if self._audio is not None:
            self._audio.stop()

    # -- training -----------------------------------------------------------------------------------------

    @property
    def train_options(self) -> TrainOptions:
        """The training options (an immutable snapshot)."""
        return self._train_options

    def train_option(self, key: str, value: float | None = None) -> float | int:
        """Set training option `key` (see TrainOptions) and announce it, or report it when `value` is None.

        A whole-number option accepts an integral float (Pd sends only floats); out-of-range values raise
        DistillError and change nothing.
        """
        if value is None:
            return getattr(self._train_options, check_train_key(key))
        value = check_train_option(key, value)
        with self._lock:
            self._train_options = replace(self._train_options, **{key: value})
        self._emit(TrainOptionChanged(key, value))
        return value

    def train_defaults(self, dataset: str) -> Future[TrainDefaults]:
        """Inspect the sound folder `dataset` on the files thread and set the training options to its defaults.

        Every option but the seed takes `adaptive_config`'s value for the folder's count of usable sound
        files, those training would use (each announced); minutes becomes the trainer's default budget. The
        future gives `TrainDefaults` with that count and `dataset` as asked.
        """
        folder = dataset_folder(dataset)
        return self._files.submit(self._defaults_job, dataset, folder)

    def _defaults_job(self, dataset: str, folder: Path) -> TrainDefaults:
        from engine.audio.mel import MelConfig
        from engine.data.dataset import count_usable
        from engine.model.config import DEFAULT_MINUTES, adaptive_config

        files = count_usable(folder, MelConfig().sample_rate)  # what training will use: silent files are not counted
        model, _ = adaptive_config(files)
        with self._lock:
            options = TrainOptions(  # the seed and the waveform head choice are the user's, not the dataset's
                model.levels, model.codebook_size, model.codebook_dim, model.commitment_weight, model.hidden, DEFAULT_MINUTES,
                self._train_options.seed, self._train_options.waveform_head,
            )
            self._train_options = options
        for key, value in asdict(options).items():
            self._emit(TrainOptionChanged(key, value))
        return TrainDefaults(dataset, files)

    def train_start(self, dataset: str, name: str, minutes: float | None = None, **options) -> None:
        """Start training a new model `name` on the sound folder `dataset` in the training thread.

        Trains with the training options; `minutes` (0 or None: the minutes option) and `options` (further
        `TrainRequest` fields: epochs, levels, ...) override them. Announces `TrainJobStarted`, then
        `TrainProgress` per epoch and `TrainJobDone` (or `JobFailed` with job "train").
        """
        from engine.library import check_name
        from engine.training.trainer import TrainRequest, train

        folder = dataset_folder(dataset)
        check_name(name)
        check_minutes(minutes)
        check_request_options(TrainRequest, options, {"dataset", "name", "minutes"})
        chosen = {**self._train_options.request_fields(), **options}
        if minutes:
            chosen["minutes"] = minutes
        request = TrainRequest(dataset=folder, name=name, device=self.device, **chosen)
        self._start_training("train", name, lambda on_event, stop: train(request, on_event, stop, self.library), vqvae_progress)

    def prior_train_start(self, model: str, minutes: float | None = None, restart: bool = False, **options) -> None:
        """Start training the prior of model `model` (library name or file) in the training thread.

        `minutes` 0 or None: the default budget; `restart` replaces an existing prior or an unfinished run;
        `options` are further `PriorTrainRequest` fields (epochs, context, ...). Announces `TrainJobStarted`,
        then `PriorTrainProgress` per epoch and `TrainJobDone` (or `JobFailed`), all with job "prior/train".
        When that model is the loaded one, it is loaded again (with its new prior) before `TrainJobDone`.
        """
        from engine.prior.train import PriorTrainRequest, train_prior

        path = self._find(model).path  # a missing or damaged model file is refused now
        check_minutes(minutes)
        check_request_options(PriorTrainRequest, options, {"model", "minutes", "restart", "resume", "device"})
        request = PriorTrainRequest(model=path, minutes=minutes or None, restart=bool(restart), device=self.device, **options)

        def run(on_event, stop):
            finished = train_prior(request, on_event, stop, self.library)
            current = self._model
            if current is not None and current.info.path.resolve() == finished.path.resolve():
                self.load_model_async(str(finished.path)).result()
            return finished

        self._start_training("prior/train", model, run, prior_progress)

    def _start_training(self, job: str, name: str, run: Callable, translate: Callable) -> None:
        """Run `run(on_event, stop)` (a trainer) in the training thread, its events translated by
        `translate(event, budget)`; refused while another run is going."""
        with self._train_lock:
            if self._train_busy:
                raise DistillError("a training run is already going; stop it first (/distill/train/stop)")
            self._train_busy = True
            stop = threading.Event()
            self._train_stop = stop
            thread = threading.Thread(target=self._training_job, args=(job, name, run, translate, stop), name="distill-train", daemon=True)
            self._train_thread = thread
        self._emit(TrainJobStarted(job, name))  # outside the lock: a listener may ask whether a run is going
        try:
            thread.start()
        except RuntimeError as error:  # no thread could be started: no run is going
            with self._train_lock:
                self._train_busy = False
            self._emit(JobFailed(job, f"the training thread could not start ({error})"))
            raise

    def _training_job(self, job: str, name: str, run: Callable, translate: Callable, stop: threading.Event) -> None:
        lower_thread_priority()
        budget = Budget()

        def on_event(event) -> None:
            progress = translate(event, budget)
            if progress is not None:
                self._emit(progress)

        try:
            last: EngineEvent = TrainJobDone(job, name, run(on_event, stop).stopped)
        except (DistillError, ValueError) as error:
            last = JobFailed(job, str(error))
        except Exception as error:  # noqa: BLE001 - a bug: logged in full, and clients still learn the run ended
            log.error("%s failed:\n%s", job, traceback.format_exc())
            last = JobFailed(job, f"internal error ({type(error).__name__}); see the engine's log")
        finally:
            with self._train_lock:  # a client told the run ended may start the next one at once
                self._train_busy = False
        self._emit(last)

    def train_stop(self) -> None:
        """Ask the training run (VQ-VAE or prior) to stop; it saves its best weights and then sends `TrainJobDone`."""
        if not self.training:
            raise DistillError("no training run is going")
        self._train_stop.set()

    @property
    def training(self) -> bool:
        """Whether a training run is going (until just before its `TrainJobDone` or `JobFailed`)."""
        return self._train_busy

    def _find(self, name_or_path: str) -> ModelEntry:
        """The model a library name or file path means, its header read; DistillError when there is none."""
        try:
            return self.library.find(name_or_path)
        except OSError as error:  # e.g. a name too long for the file system
            raise DistillError(f"'{name_or_path[:64]}' is neither a model file nor a model in the library ({error.strerror or error})") from error

    # -- lifetime -----------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop training (its best weights are saved), drop queued jobs, finish the running one, stop sound."""
        self._train_stop.set()
        if self._train_thread is not None:
            self._train_thread.join()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._player.shutdown(wait=True, cancel_futures=True)
        self._files.shutdown(wait=True, cancel_futures=True)
        if self._instrument is not None:
            self._instrument.close()
        if self._audio is not None:
            self._audio.close()


def lower_thread_priority() -> None:
    """Give the calling thread a lower CPU priority (nice +WORKER_NICENESS, Linux threads only).

    On a machine with few cores, the torch worker or training thread otherwise takes the core the network
    thread needs: answers then wait a scheduler time slice (measured on 2 shared cores, ping p99 during
    generation: 4-5 ms at the same priority, 1.5-3.0 ms at +5, 1.0-2.1 ms at +10). Elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS))


def free_slot(filled: list[str], source: str) -> str:
    """The first of A-Z not in `filled`, else the first free `<source>-1`, `<source>-2`, ... (cut to a slot name)."""
    names = itertools.chain(map(chr, range(ord("A"), ord("Z") + 1)), (f"{source[:28]}-{n}" for n in itertools.count(1)))
    return next(name for name in names if name not in filled)


def changed_cells(old: CodeGrid, new: CodeGrid) -> tuple[tuple[int, int, int], ...]:
    """Cells (level, column, shown code) of `new` whose code or blend differs from `old` (same shape)."""
    if old.codes.shape != new.codes.shape:  # a different grid altogether: every cell is new
        return tuple((level, column, int(code)) for (level, column), code in np.ndenumerate(new.codes))
    differ = old.codes != new.codes  # [L, F]
    for cell in set(old.blends) ^ set(new.blends) | {c for c in old.blends.keys() & new.blends.keys() if old.blends[c] != new.blends[c]}:
        differ[cell] = True
    return tuple((int(level), int(column), int(new.codes[level, column])) for level, column in zip(*np.nonzero(differ)))


