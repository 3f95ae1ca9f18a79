"""Code slots: named code grids (`engine.codes.slots.Slots`) that clients fill, edit, hear and extend.

A slot is filled by encoding a sound file or by continuing another slot with the prior; it is decoded into a
sound file, and a codebook entry can be previewed alone; a copy check says how much of a slot's grid is a
training file verbatim. Edits (set a cell, swap, blend, a re-imagining drawn
by the prior, undo and redo) run under the edit lock and are announced as `GridEdited` with the cells they
changed. When notes play variations of a slot (playing.py), an edit of that slot retunes the keys.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from engine.codes.grid import CodeGrid, Level, resolve_level
from engine.core.state import EngineState, _Model
from engine.errors import DistillError
from engine.events import Continued, CopyChecked, CopyUnavailable, Decoded, Edit, Encoded, GridEdited, JobProgress, Previewed, Reimagined
from engine.generation.settings import GenerationSettings

SLOT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def check_slot(slot: object) -> str:
    """`slot` if it is a valid slot name (1-32 letters, digits, '_' or '-'), else DistillError."""
    if not isinstance(slot, str) or SLOT_PATTERN.fullmatch(slot) is None:
        raise DistillError(f"a slot name is 1 to 32 letters, digits, '_' or '-', not {slot!r}")
    return slot


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


class SlotsMixin(EngineState):
    """The engine's code slots (see the module docstring)."""

    def slots(self) -> list[str]:
        """The names of the filled slots."""
        return self._slots.names()

    def grid(self, slot: str) -> CodeGrid:
        """The current grid of `slot` (CodeEditError when it is empty)."""
        return self._slots.grid(check_slot(slot))

    def edit_history(self, slot: str) -> tuple[list[str], list[str]]:
        """Descriptions of `slot`'s undoable (oldest first) and redoable (next first) edits."""
        return self._slots.edit_history(check_slot(slot))

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

    def check_copy(self, slot: str) -> Future[CopyChecked | CopyUnavailable | None]:
        """Find the longest verbatim copy of a training file in `slot`'s grid as it is now (memorisation made
        visible: `engine.codes.copies`), on the torch worker; the future gives the `CopyChecked` it announces.

        The loaded model's training files are encoded the first time a check needs them (seconds for a large
        dataset; a `JobProgress` "copy" says so) and kept until another model is loaded. When they are not at
        hand, the first check after a load announces `CopyUnavailable` with the reason, later ones give None
        and announce nothing. An empty slot, no model or a grid another model made is a DistillError now.
        """
        current, grid = self._decodable(slot)
        return self._worker.submit(self._copy_job, current, slot, grid)

    def _copy_job(self, current: _Model, slot: str, grid: CodeGrid) -> CopyChecked | CopyUnavailable | None:
        from engine.codes.copies import TrainingCodes

        weights = current.loaded.model
        known = self._training_codes
        if known is not None and known[0] is weights:
            training = known[1]
            if isinstance(training, DistillError):
                return None  # said once already
        else:
            self._emit(JobProgress("copy", 0.0, f"encoding the training files of {current.info.name} to check for copies"))
            try:
                training = TrainingCodes.of(current.loaded)
            except DistillError as error:
                training = error
            latest = self._model
            if latest is not None and latest.loaded.model is weights:  # a model loaded meanwhile keeps its own
                self._training_codes = (weights, training)
            self._emit(JobProgress("copy", 1.0, slot))
            if isinstance(training, DistillError):
                event = CopyUnavailable(str(training))
                self._emit(event)
                return event
        copy = training.longest_copy(grid.codes)
        event = CopyChecked(slot, copy.columns, copy.distinct, copy.columns * grid.column_seconds, copy.file)
        self._emit(event)
        return event
