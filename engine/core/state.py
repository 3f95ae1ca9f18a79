"""What the engine holds, and what every concern shares: `EngineState`.

Every piece of state is created in `EngineState.__init__`, one place, whichever concern's module uses it;
only the presets and the history, in the library's database, are opened on first use (params.py,
generation.py). The concerns' mixins derive from `EngineState`. It also keeps the listeners (`subscribe`,
`_emit`), the threads jobs run on (see the package docstring), fresh output file names and `shutdown`.
`Params` (the sampling parameters) and `_Model` (the loaded model) are the immutable snapshots it holds,
replaced whole.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.codes.slots import Slots
from engine.errors import DistillError
from engine.events import EngineEvent, ModelInfo
from engine.generation.settings import GenerationSettings, InvalidSettings
from engine.library import Library
from engine.limits import MAX_OSC_SEED
from engine.paths import outputs_dir
from engine.training.runs import TrainOptions

if TYPE_CHECKING:  # heavy imports stay lazy so `distill --help` and adapters start fast
    from engine.audio.playback import AudioOut
    from engine.codes.copies import TrainingCodes
    from engine.instrument import Instrument, NoteSettings
    from engine.model.persist import LoadedModel
    from engine.prior.model import CodePrior

log = logging.getLogger("distill.engine")

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


@dataclass(frozen=True)
class _Model:
    """The loaded model with its prior (or why it has none), replaced as a whole on every load."""

    loaded: LoadedModel
    prior: CodePrior | None
    prior_error: DistillError | None
    info: ModelInfo


class EngineState:
    """The engine's state and lifetime (see the module docstring)."""

    def __init__(self, *, library: Library | None = None, out_dir: Path | None = None, audio: AudioOut | None = None, device: str = "cpu"):
        """`out_dir` (default `outputs_dir()`) receives every file; `audio` plays sounds (None: `play` is refused)."""
        self.library = library or Library()
        self.out_dir = Path(out_dir) if out_dir is not None else outputs_dir()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.device = device
        self._audio = audio
        self._lock = threading.Lock()  # model, params and listeners
        self._listeners: list[Callable[[EngineEvent], None]] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-torch", initializer=lower_thread_priority)
        self._player = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-play")
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distill-files")
        self._file_numbers = itertools.count(1)
        # the loaded model (models.py), the sampling parameters (params.py), the code slots (slots.py)
        self._model: _Model | None = None
        self._params = Params(seed=secrets.randbelow(MAX_OSC_SEED + 1))  # random, like the CLI's default seed
        self._slots = Slots()
        self._edit_lock = threading.Lock()  # makes (grid before, edit, grid after) one step
        # (the loaded weights, their training codes or why there are none) for `check_copy`; torch worker only
        self._training_codes: tuple[object, TrainingCodes | DistillError] | None = None
        # notes (playing.py)
        self._instrument: Instrument | None = None  # made on the first note: rendering ahead costs CPU
        self._note_settings: NoteSettings | None = None  # None: the instrument's defaults
        self._variations: tuple[str, str] | None = None  # (slot, kind): notes play variations of the slot (`vary`)
        self._variation_rounds = itertools.count()  # every retune for variations starts a new round (a new token)
        # training runs (training.py)
        self._train_options = TrainOptions()
        self._train_lock = threading.Lock()  # makes (is a run going?, start one) one step
        self._train_busy = False  # set when a run starts, cleared just before its last event
        self._train_thread: threading.Thread | None = None
        self._train_stop = threading.Event()

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

    def _new_path(self, stem: str) -> Path:
        """A fresh .wav name in the output folder (jobs run one at a time, so no two share a name)."""
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
        while True:
            path = self.out_dir / f"{stem}_{datetime.now():%Y%m%d-%H%M%S}-{next(self._file_numbers)}.wav"
            if not path.exists():
                return path

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
