"""Undo/redo for code grids (CODE-08) and the named slots the resident engine edits them in.

`EditableGrid` is a grid with two stacks of earlier and later states. Because grids are immutable values,
a history entry is simply the grid as it was, plus the description of the edit:

    apply(g1, "set ...")   undo: [g0]       current g1   redo: []
    apply(g2, "swap ...")  undo: [g0, g1]   current g2   redo: []
    undo()                 undo: [g0]       current g1   redo: [g2]
    apply(g3, "blend ...") undo: [g0, g1]   current g3   redo: []      a new edit clears redo

History is unlimited while the grid is open and is saved with it (`save` / `load`, see `grid`'s file
format). An edit that changes nothing is not recorded and leaves redo alone.

`Slots` holds named editable grids ("A", "B", ...) for several clients at once (OSC, MIDI, the TUI): every
method takes one lock for its whole operation, so concurrent edits apply one after another and a two-slot
edit (swap) is never seen half done. Reads return immutable grids, so decoding happens outside the lock.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from torch import Tensor

from engine.codes import ops, variations
from engine.codes.errors import CodeEditError
from engine.codes.grid import (
    CodeGrid,
    Level,
    Step,
    load_codes,
    resolve_levels,
    save_codes,
)

if TYPE_CHECKING:
    from engine.generation.settings import GenerationSettings
    from engine.prior.model import CodePrior


class EditableGrid:
    """A grid with unlimited undo and redo; not thread-safe on its own (`Slots` adds the lock)."""

    def __init__(self, grid: CodeGrid, undo: tuple[Step, ...] = (), redo: tuple[Step, ...] = ()):
        self._grid = grid
        self._undo = list(undo)
        self._redo = list(redo)

    @property
    def grid(self) -> CodeGrid:
        """The current state."""
        return self._grid

    @property
    def undo_steps(self) -> tuple[Step, ...]:
        """Earlier states, oldest first, each with the edit that followed it."""
        return tuple(self._undo)

    @property
    def redo_steps(self) -> tuple[Step, ...]:
        """Undone states, the next to redo last, each with the edit that makes it."""
        return tuple(self._redo)

    def apply(self, grid: CodeGrid, description: str) -> CodeGrid:
        """Make `grid` (the result of an edit of the current grid) current, remembering the old one."""
        if grid != self._grid:
            self._undo.append(Step(self._grid, description))
            self._redo.clear()
            self._grid = grid
        return self._grid

    def undo(self) -> CodeGrid:
        """Go back one edit; CodeEditError when there is none."""
        if not self._undo:
            raise CodeEditError(f"nothing to undo in the grid of {self._grid.source}")
        step = self._undo.pop()
        self._redo.append(Step(self._grid, step.description))
        self._grid = step.grid
        return self._grid

    def redo(self) -> CodeGrid:
        """Repeat the last undone edit; CodeEditError when there is none."""
        if not self._redo:
            raise CodeEditError(f"nothing to redo in the grid of {self._grid.source}")
        step = self._redo.pop()
        self._undo.append(Step(self._grid, step.description))
        self._grid = step.grid
        return self._grid

    def save(self, path: str | os.PathLike) -> Path:
        """Write the grid with its history (see `grid.save_codes`)."""
        return save_codes(path, self._grid, self._undo, self._redo)

    @classmethod
    def load(cls, path: str | os.PathLike) -> EditableGrid:
        """Read a grid file, history included."""
        saved = load_codes(path)
        return cls(saved.grid, saved.undo, saved.redo)


class Slots:
    """Named editable grids, safe to use from several threads (one lock per operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, EditableGrid] = {}

    def names(self) -> list[str]:
        """The names of the filled slots, sorted."""
        with self._lock:
            return sorted(self._slots)

    def put(self, name: str, grid: CodeGrid) -> CodeGrid:
        """Put `grid` in slot `name` with an empty history, replacing what was there."""
        with self._lock:
            self._slots[name] = EditableGrid(grid)
            return grid

    def load(self, name: str, path: str | os.PathLike) -> CodeGrid:
        """Put the grid of a file, with its saved history, in slot `name`."""
        editable = EditableGrid.load(path)
        with self._lock:
            self._slots[name] = editable
            return editable.grid

    def save(self, name: str, path: str | os.PathLike) -> Path:
        """Write slot `name`'s grid and history to `path`."""
        with self._lock:
            editable = self._get(name)
            snapshot = EditableGrid(editable.grid, editable.undo_steps, editable.redo_steps)
        return snapshot.save(path)  # outside the lock: grids are immutable

    def remove(self, name: str) -> None:
        """Empty slot `name`."""
        with self._lock:
            self._get(name)
            del self._slots[name]

    def grid(self, name: str) -> CodeGrid:
        """The current grid of slot `name`."""
        with self._lock:
            return self._get(name).grid

    def edit_history(self, name: str) -> tuple[list[str], list[str]]:
        """Descriptions of the edits that can be undone (oldest first) and redone (next first)."""
        with self._lock:
            editable = self._get(name)
            return [s.description for s in editable.undo_steps], [s.description for s in reversed(editable.redo_steps)]

    def set_cell(self, name: str, level: Level, column: int, index: int) -> CodeGrid:
        """Set one cell of slot `name` (see `ops.set_cell`)."""
        with self._lock:
            editable = self._get(name)
            grid = editable.grid
            new = ops.set_cell(grid, level, column, index)
            row = grid.level_index(level)
            return editable.apply(new, f"set {grid.labels[row]} column {column} to {index} (was {grid.codes[row, column]})")

    def swap(self, a: str, b: str, start: int, end: int, levels: list[Level] | None = None) -> tuple[CodeGrid, CodeGrid]:
        """Swap a region between slots `a` and `b` (see `ops.swap`); one undo step in each."""
        if a == b:
            raise CodeEditError(f"a swap needs two different slots, got '{a}' twice")
        with self._lock:
            edit_a, edit_b = self._get(a), self._get(b)
            new_a, new_b = ops.swap(edit_a.grid, edit_b.grid, start, end, levels)
            where = _where(edit_a.grid, start, end, levels)
            return edit_a.apply(new_a, f"swap {where} with {b}"), edit_b.apply(new_b, f"swap {where} with {a}")

    def copy(self, source: str, target: str, start: int, end: int, at: int | None = None, levels: list[Level] | None = None) -> CodeGrid:
        """Copy a region of slot `source` into slot `target` (see `ops.copy_region`)."""
        with self._lock:
            editable = self._get(target)
            new = ops.copy_region(self._get(source).grid, editable.grid, start, end, at, levels)
            at = start if at is None else at
            return editable.apply(new, f"copy {_where(editable.grid, start, end, levels)} from {source} to column {at}")

    def blend(
        self,
        target: str,
        other: str,
        weight: float,
        codebooks: Tensor,
        start: int | None = None,
        end: int | None = None,
        levels: list[Level] | None = None,
    ) -> CodeGrid:
        """Blend slot `target` towards slot `other` by `weight` (see `ops.blend`)."""
        with self._lock:
            editable = self._get(target)
            grid, other_grid = editable.grid, self._get(other).grid
            new = ops.blend(grid, other_grid, weight, codebooks, start, end, levels)
            start = 0 if start is None else start
            end = min(grid.columns, other_grid.columns) if end is None else end
            return editable.apply(new, f"blend {_where(grid, start, end, levels)} {weight:g} towards {other}")

    def reimagine(
        self, name: str, prior: CodePrior, start: int, end: int, levels: list[Level] | None, settings: GenerationSettings, seed: int
    ) -> CodeGrid:
        """Redraw `levels` of columns [start, end) of slot `name` with `prior` (see `variations.reimagine`); one undoable edit."""
        with self._lock:
            editable = self._get(name)
            new = variations.reimagine(editable.grid, prior, start, end, levels, settings, seed)
            return editable.apply(new, f"reimagine {_where(editable.grid, start, end, levels)} (seed {seed})")

    def undo(self, name: str) -> CodeGrid:
        """Undo the last edit of slot `name`."""
        with self._lock:
            return self._get(name).undo()

    def redo(self, name: str) -> CodeGrid:
        """Redo the last undone edit of slot `name`."""
        with self._lock:
            return self._get(name).redo()

    def _get(self, name: str) -> EditableGrid:
        """The slot; call with the lock held."""
        if name not in self._slots:
            filled = ", ".join(sorted(self._slots)) or "none"
            raise CodeEditError(f"slot '{name}' holds no grid (filled slots: {filled})")
        return self._slots[name]


def _where(grid: CodeGrid, start: int, end: int, levels: list[Level] | None) -> str:
    """'columns 4-9 (Timbre)' for history descriptions; only called after the op validated the arguments."""
    names = "all levels" if levels is None else ", ".join(grid.labels[i] for i in resolve_levels(levels, grid.labels))
    return f"columns {start}-{end - 1} ({names})"
