"""Generating: sounds drawn by the prior with the sampling parameters, on the torch worker, each recorded in
the generation history (`engine.store.History`), which `generations` lists and `replay` makes again.
"""

from __future__ import annotations

from concurrent.futures import Future
from functools import cached_property

from engine.core.state import EngineState, _Model
from engine.errors import DistillError
from engine.events import Generated, JobProgress
from engine.generation.settings import GenerationSettings
from engine.limits import MAX_HISTORY_LIST, MAX_OSC_SEED
from engine.store import GenerationRecord, History


class GenerationMixin(EngineState):
    """The engine's generations and their history (see the module docstring)."""

    @cached_property
    def _history(self) -> History:
        """The generation history in the library's database, opened on first use: one that cannot be opened
        fails that call, not the engine's start."""
        return History(self.library.db_path)

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

    def _generate_job(self, current: _Model, settings: GenerationSettings, seed: int) -> Generated:
        from engine.generation.files import make_sound_file, prior_id
        from engine.generation.settings import ExportSettings

        self._emit(JobProgress("generate", 0.0, f"generating {settings.duration_s:g} s with seed {seed}"))
        export = ExportSettings(sample_rate=current.info.sample_rate)
        path = self._new_path(f"{current.info.name}_seed{seed}")
        record = make_sound_file(current.loaded, current.prior, prior_id(current.loaded), settings, export, seed, path, self._history)
        event = Generated(record.path, settings.duration_s, seed)
        self._emit(JobProgress("generate", 1.0, path.name))
        self._emit(event)
        return event

    def replay(self, record_id: int) -> Future[Generated]:
        """Make history entry `record_id`'s sound again on the torch worker (recorded as a new entry).

        Its model must still hold the same VQ-VAE and prior weights (`regenerate` says so otherwise); an
        unknown entry, or a seed beyond MAX_OSC_SEED (possible from the CLI), is a DistillError now.
        """
        record = self._history.get(record_id)
        if record.seed > MAX_OSC_SEED:
            raise DistillError(f"generation #{record_id} has seed {record.seed}, beyond the engine's {MAX_OSC_SEED}; use `distill history regenerate {record_id}`")
        return self._worker.submit(self._replay_job, record)

    def _replay_job(self, record: GenerationRecord) -> Generated:
        from engine.generation.files import regenerate
        from engine.outputs import gone_note

        note = gone_note(record)
        self._emit(JobProgress("generate", 0.0, f"making generation #{record.id} again" + (f" ({note})" if note else "")))
        new = regenerate(record.id, out=self.out_dir, history=self._history)
        event = Generated(new.path, new.settings.duration_s, new.seed)
        self._emit(JobProgress("generate", 1.0, new.path.name))
        self._emit(event)
        return event

    def generations(self, count: int = 50) -> list[GenerationRecord]:
        """The newest `count` (1 to MAX_HISTORY_LIST) entries of the generation history, newest first."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_HISTORY_LIST:
            raise DistillError(f"count must be a whole number from 1 to {MAX_HISTORY_LIST}, not {count}")
        return self._history.list(count)
