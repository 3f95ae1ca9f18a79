"""The resident engine: one object that owns the state the OSC and MIDI adapters (and the TUI) drive.

State: the loaded model and its prior, the sampling parameters, named code slots with undo/redo (`Slots`),
the jobs, the training run and the audio output. Adapters only translate their messages into these calls.

Threads. Calls may come from any thread. Torch work that takes time (loading, generating, encoding,
decoding, previews) runs on one torch worker thread and is returned as a `Future`; training runs in its own
thread; playing an existing file is read on a playback thread. Parameter changes and grid edits are quick
and run on the caller's thread, under a lock, so the network thread always answers at once (a blend does
one small nearest-code search in torch there, well under a millisecond). A job works on a snapshot of the
model and grid taken when it was asked for, so later changes never reach into a running job.

Files. Every file the engine announces lies in its output folder and is complete (written under a
temporary name, then renamed) before its event or future fires; paths from clients are only read.

Seeds. `generate()` without a seed uses the `seed` parameter and then advances it by one (announced as a
`ParamChanged`), so repeated generations differ and each can be made again from the seed it reports. Seeds
are limited to 0..2**31-1 so that they fit OSC's and Pd's 32-bit integers.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.codes.grid import CodeGrid, Level, resolve_level
from engine.codes.slots import Slots
from engine.errors import DistillError
from engine.events import (
    Decoded,
    Edit,
    Encoded,
    Event,
    Generated,
    GridEdited,
    JobFailed,
    JobProgress,
    ModelInfo,
    ModelLoaded,
    ParamChanged,
    Previewed,
    TrainDone,
    TrainProgress,
)
from engine.generation.settings import GenerationSettings, InvalidSettings
from engine.library import Library
from engine.paths import outputs_dir
from engine.training.health import LevelHealth

if TYPE_CHECKING:  # heavy imports stay lazy so `distill --help` and adapters start fast
    from engine.audio.playback import AudioOut
    from engine.model.persist import LoadedModel
    from engine.prior.model import CodePrior

MAX_SEED = 2**31 - 1  # seeds travel as OSC 'i' (int32)
SLOT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
WORKER_NICENESS = 5  # how much lower the torch worker and training threads run than the network thread
PARAM_NAMES = ("temperature", "top_k", "top_p", "seed", "duration")


@dataclass(frozen=True)
class Params:
    """The sampling parameters `generate()` uses when not told otherwise."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 0
    duration: float = 4.0

    def settings(self, duration: float | None = None) -> GenerationSettings:
        """These parameters as validated generation settings (InvalidSettings if one is out of range)."""
        return GenerationSettings(
            duration_s=self.duration if duration is None else duration,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
        )


def check_engine_seed(seed: object) -> int:
    """`seed` if it is a whole number from 0 to MAX_SEED, else InvalidSettings."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidSettings(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed}")
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
        self._params = Params()
        self._listeners: list[Callable[[Event], None]] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-torch", initializer=lower_thread_priority)
        self._player = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-play")
        self._file_numbers = itertools.count(1)
        self._train_thread: threading.Thread | None = None
        self._train_stop = threading.Event()

    # -- listeners --------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener(event)` for every event from now on; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    # -- model ------------------------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The names of the models in the library, sorted."""
        return [entry.name for entry in self.library.list()]

    def load_model(self, name_or_path: str) -> ModelInfo:
        """Load a library model or model file with its prior (on the torch worker) and wait for it."""
        return self.load_model_async(name_or_path).result()

    def load_model_async(self, name_or_path: str) -> Future[ModelInfo]:
        """Load a model on the torch worker; the future gives its `ModelInfo` (also sent as `ModelLoaded`)."""
        path = self.library.resolve(name_or_path)
        return self._worker.submit(self._load_job, path)

    def _load_job(self, path: Path) -> ModelInfo:
        from engine.model.persist import load_vqvae
        from engine.prior.bundle import load_prior

        loaded = load_vqvae(path, device=self.device)
        prior, prior_error = None, None
        try:
            prior = load_prior(loaded)
        except DistillError as error:  # no prior, or a damaged one: the VQ-VAE still encodes and decodes
            prior_error = error
        cfg = loaded.model.cfg
        info = ModelInfo(loaded.name, loaded.path, cfg.levels, cfg.codebook_size, loaded.mel.sample_rate, prior is not None, tuple(cfg.labels))
        with self._lock:
            self._model = _Model(loaded, prior, prior_error, info)
        self._emit(ModelLoaded(info))
        return info

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
        levels = (current.loaded.metadata.get("health") or {}).get("levels")
        if not levels:
            raise DistillError(f"model '{current.info.name}' has no codebook health recorded")
        return [LevelHealth(**entry) for entry in levels]

    # -- parameters ---------------------------------------------------------------------------------------

    @property
    def params(self) -> Params:
        """The current sampling parameters (an immutable snapshot)."""
        return self._params

    def set_param(self, name: str, value: float) -> float | int:
        """Set one parameter (temperature, top_k, top_p, seed, duration) and announce it; returns the value.

        Out-of-range values raise InvalidSettings (a DistillError) and change nothing; nothing is clamped.
        top_k is checked against the loaded model's codebook size.
        """
        if name not in PARAM_NAMES:
            raise DistillError(f"unknown parameter '{name}' (use {', '.join(PARAM_NAMES)})")
        with self._lock:
            params = replace(self._params, **{name: value})
            if name == "seed":
                check_engine_seed(value)
            else:
                settings = params.settings()  # validates every setting the same way generation does
                if name == "top_k" and self._model is not None:  # a top-k left from another model is checked by generate
                    settings.check_for(self._model.info.codebook_size)
                params = Params(settings.temperature, settings.top_k, settings.top_p, params.seed, settings.duration_s)
            self._params = params
            value = getattr(params, name)
        self._emit(ParamChanged(name, value))
        return value

    # -- jobs ---------------------------------------------------------------------------------------------

    def generate(self, duration: float | None = None, seed: int | None = None) -> Future[Generated]:
        """Generate a sound with the current parameters (or this duration and seed) on the torch worker.

        Settings are checked now (InvalidSettings); no model or no prior is a DistillError now.
        """
        current = self._require_model()
        if current.prior is None:
            error = current.prior_error
            raise type(error)(str(error))  # a fresh exception: the stored one must not collect tracebacks
        with self._lock:
            params = self._params
            settings = params.settings(duration)
            settings.check_for(current.info.codebook_size)
            if seed is None:
                seed, advanced = params.seed, (params.seed + 1) % (MAX_SEED + 1)
                self._params = replace(params, seed=advanced)
            else:
                check_engine_seed(seed)
                advanced = None
        if advanced is not None:
            self._emit(ParamChanged("seed", advanced))
        return self._worker.submit(self._generate_job, current, settings, seed)

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

    def encode(self, slot: str, path: str) -> Future[tuple[int, int]]:
        """Encode a sound file into `slot` (replacing its grid and history); the future gives (levels, frames)."""
        check_slot(slot)
        current = self._require_model()
        return self._worker.submit(self._encode_job, current, slot, str(path))

    def _encode_job(self, current: _Model, slot: str, path: str) -> tuple[int, int]:
        from engine.codes.codec import encode_file

        self._emit(JobProgress("encode", 0.0, f"encoding {Path(path).name} into {slot}"))
        grid = encode_file(current.loaded, path)
        with self._edit_lock:
            self._slots.put(slot, grid)
        self._emit(JobProgress("encode", 1.0, slot))
        self._emit(Encoded(slot, grid.levels, grid.columns))
        return grid.levels, grid.columns

    def decode(self, slot: str) -> Future[Path]:
        """Decode `slot`'s grid as it is now into a sound file; the future gives its path."""
        current, grid = self._decodable(slot)
        return self._worker.submit(self._decode_job, current, slot, grid, None)

    def _decodable(self, slot: str) -> tuple[_Model, CodeGrid]:
        from engine.codes.codec import check_model

        current = self._require_model()
        grid = self.grid(slot)
        check_model(current.loaded, grid)
        return current, grid

    def _decode_job(self, current: _Model, slot: str, grid: CodeGrid, play_gain: float | None) -> Path:
        from engine.audio.io import write_audio
        from engine.codes.codec import decode_wave

        self._emit(JobProgress("decode", 0.0, f"decoding {slot}"))
        wave = decode_wave(current.loaded, grid)  # [N]
        path = write_audio(self._new_path(f"{current.info.name}_{slot}"), wave, grid.sample_rate)
        self._emit(JobProgress("decode", 1.0, path.name))
        self._emit(Decoded(slot, path))
        if play_gain is not None:
            self._audio.play(wave, grid.sample_rate, gain=play_gain)
        return path

    def preview(self, level: Level, index: int) -> Future[Path]:
        """Write a short clip of codebook entry `index` of `level`; the future gives its path."""
        from engine.codes.ops import check_index

        current = self._require_model()
        level = resolve_level(level, current.info.labels)
        index = check_index(index, current.info.codebook_size)
        return self._worker.submit(self._preview_job, current, level, index)

    def _preview_job(self, current: _Model, level: int, index: int) -> Path:
        from engine.audio.io import write_audio
        from engine.codes.codec import preview_wave

        wave = preview_wave(current.loaded, level, index)  # [N]
        path = write_audio(self._new_path(f"{current.info.name}_{current.info.labels[level]}{index}"), wave, current.info.sample_rate)
        self._emit(Previewed(level, index, path))
        return path

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

    def history(self, slot: str) -> tuple[list[str], list[str]]:
        """Descriptions of `slot`'s undoable (oldest first) and redoable (next first) edits."""
        return self._slots.history(check_slot(slot))

    def set_cell(self, slot: str, level: Level, frame: int, index: int) -> Edit:
        """Set cell (level, frame) of `slot` to codebook entry `index`."""
        return self._edit([slot], lambda: self._slots.set_cell(slot, level, frame, index))[0]

    def swap(self, a: str, b: str, start: int, end: int, levels: list[Level] | None = None) -> tuple[Edit, Edit]:
        """Exchange frames [start, end) (of `levels`, default all) between slots `a` and `b`: one edit per slot."""
        edits = self._edit([a, b], lambda: self._slots.swap(a, b, start, end, levels))
        return edits[0], edits[1]

    def blend(self, a: str, b: str, weight: float, start: int | None = None, end: int | None = None) -> Edit:
        """Blend slot `a` towards slot `b` by `weight` (0..1) in embedding space, over [start, end) or all."""
        from engine.codes.codec import codebooks_for

        current = self._require_model()
        books = codebooks_for(current.loaded, self.grid(a))
        return self._edit([a], lambda: self._slots.blend(a, b, weight, books, start, end))[0]

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
                undo, redo = self._slots.history(slot)
                edits.append(GridEdited(slot, changed_cells(old, new), len(undo), len(redo)))
        for edit in edits:
            self._emit(edit)
        return edits

    # -- playback -----------------------------------------------------------------------------------------

    def play(self, path_or_slot: str, gain: float = 1.0) -> Future[Path]:
        """Play a filled slot (decoded first) or a sound file at `gain` (0-1); the future gives the file played.

        A name that is a filled slot means the slot. No audio output is a DistillError.
        """
        if not 0.0 <= gain <= 1.0:
            raise DistillError(f"gain must be between 0 and 1, not {gain}")
        if self._audio is None:
            raise DistillError("this engine has no audio output (start it with --audio-device)")
        if path_or_slot in self._slots.names():
            current, grid = self._decodable(path_or_slot)
            return self._worker.submit(self._decode_job, current, path_or_slot, grid, gain)
        path = Path(path_or_slot).expanduser()
        if not path.is_file():
            raise DistillError(f"'{path_or_slot}' is neither a filled slot nor a sound file")
        return self._player.submit(self._play_file, path, gain)

    def _play_file(self, path: Path, gain: float) -> Path:
        import soundfile as sf

        from engine.errors import AudioFileError

        try:
            audio, rate = sf.read(path, dtype="float32", always_2d=False)  # [N] or [N, C]
        except (sf.SoundFileError, RuntimeError) as error:
            raise AudioFileError(f"cannot play '{path}': it is not a readable sound file") from error
        self._audio.play(audio, rate, gain=gain)
        return path

    def stop(self) -> None:
        """Stop every sound that is playing."""
        if self._audio is not None:
            self._audio.stop()

    # -- training -----------------------------------------------------------------------------------------

    def train_start(self, dataset: str, name: str, minutes: float | None = None, **options) -> None:
        """Start training a new model `name` on the sound folder `dataset` in its own thread.

        `options` are further `TrainRequest` fields (levels, hidden, epochs, ...). Progress arrives as
        `TrainProgress` events, the end as `TrainDone` (or `JobFailed` with job "train").
        """
        from engine.library import check_name
        from engine.training.trainer import TrainRequest

        if self._train_thread is not None and self._train_thread.is_alive():
            raise DistillError("a training run is already going; stop it first (/distill/train/stop)")
        if not Path(dataset).expanduser().is_dir():
            raise DistillError(f"the dataset folder '{dataset}' does not exist")
        check_name(name)
        if minutes is not None and not 0 < minutes <= 24 * 60:
            raise DistillError(f"training minutes must be above 0 and at most {24 * 60}, not {minutes}")
        known = {f.name for f in fields(TrainRequest)} - {"dataset", "name", "minutes"}
        if set(options) - known:
            raise DistillError(f"unknown training options: {', '.join(sorted(set(options) - known))}")
        request = TrainRequest(dataset=Path(dataset).expanduser(), name=name, minutes=minutes, device=self.device, **options)
        self._train_stop = threading.Event()
        self._train_thread = threading.Thread(target=self._train_job, args=(request, self._train_stop), name="distill-train", daemon=True)
        self._train_thread.start()

    def _train_job(self, request, stop: threading.Event) -> None:
        from engine.training.trainer import EpochReport, train

        lower_thread_priority()
        def on_event(event) -> None:
            if isinstance(event, EpochReport):
                self._emit(TrainProgress(event.epoch, event.train_loss, event.seconds))

        try:
            finished = train(request, on_event=on_event, stop=stop, library=self.library)
        except DistillError as error:
            self._emit(JobFailed("train", str(error)))
            return
        self._emit(TrainDone(finished.name))

    def train_stop(self) -> None:
        """Ask the training run to stop; it saves its best weights and then sends `TrainDone`."""
        if self._train_thread is None or not self._train_thread.is_alive():
            raise DistillError("no training run is going")
        self._train_stop.set()

    @property
    def training(self) -> bool:
        """Whether a training run is going."""
        return self._train_thread is not None and self._train_thread.is_alive()

    # -- lifetime -----------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop training (its best weights are saved), drop queued jobs, finish the running one, stop sound."""
        self._train_stop.set()
        if self._train_thread is not None:
            self._train_thread.join()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._player.shutdown(wait=True, cancel_futures=True)
        if self._audio is not None:
            self._audio.close()


def lower_thread_priority() -> None:
    """Give the calling thread a lower CPU priority (nice +WORKER_NICENESS, Linux threads only).

    On a machine with few cores, the torch worker or training thread otherwise takes the core the network
    thread needs: answers then wait a scheduler time slice (measured: ping p99 4-5 ms during generation on
    2 shared cores). Elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS))


def changed_cells(old: CodeGrid, new: CodeGrid) -> tuple[tuple[int, int, int], ...]:
    """Cells (level, column, shown code) of `new` whose code or blend differs from `old` (same shape)."""
    if old.codes.shape != new.codes.shape:  # a different grid altogether: every cell is new
        return tuple((level, column, int(code)) for (level, column), code in np.ndenumerate(new.codes))
    differ = old.codes != new.codes  # [L, F]
    for cell in set(old.blends) ^ set(new.blends) | {c for c in old.blends.keys() & new.blends.keys() if old.blends[c] != new.blends[c]}:
        differ[cell] = True
    return tuple((int(level), int(column), int(new.codes[level, column])) for level, column in zip(*np.nonzero(differ)))
