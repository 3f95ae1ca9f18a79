"""Code grids: the discrete codes of one sound, rows of quantizer levels by columns of time (CODE-03, CODE-09).

    column           0    1    2    3    4   ...    column c covers [c, c + 1) * column_seconds
    time (s)      0.00 0.05 0.09 0.14 0.19          column_seconds = downsample * hop_length / sample_rate
    Structure       12   12   40    3    3          (4 * 512 / 44100 = 46.4 ms with the defaults)
    Timbre           5    5  61~    9    9          ~ : a blended cell
    Detail          33    2    7    7   14

A `CodeGrid` is an immutable value: edits (`engine.codes.ops`) return new grids, which is what makes undo a
list of earlier grids. It remembers the model that made it (`model_id`, the weights' fingerprint) and refuses
to decode with any other, and it keeps the source's mel frame and sample counts so a decode has the source's
exact length.

Blended cells. Blending mixes code vectors in embedding space and the result is generally no codebook entry.
Such a cell keeps its exact recipe, a *mix*: `((code, weight), ...)` with at least two codes, codes ascending,
weights > 0 summing to 1; its vector is `sum(weight * codebook[level][code])`, and that vector is what the
decoder gets. `codes` holds, for a blended cell, the code of the same level nearest (Euclidean) to that
vector: what a grid view shows. Setting a cell, or moving plain cells onto it, drops its mix.

File format (`save_codes` / `load_codes`), JSON, UTF-8:

    {"format": "distill-codes", "version": 1,
     "model_id": "6189a92babbf5c71", "model_name": "tiny",
     "sample_rate": 44100, "hop_length": 512, "downsample": 4, "codebook_size": 64,
     "labels": ["Structure", "Timbre", "Detail"],
     "frames": 90, "samples": 45567, "source": "kick.wav",
     "codes": [[12, 12, ...], [5, 5, ...], [33, 2, ...]],                          # [levels][columns]
     "blends": [{"level": 1, "column": 2, "mix": [[5, 0.5], [61, 0.5]]}, ...],
     "history": {"undo": [{"description": "...", "codes": ..., "blends": ...}, ...],   # optional
                 "redo": [...]}}

`history.undo` runs oldest to newest (its last entry is the state an undo returns to), `history.redo` is a
stack too (its last entry is what the next redo restores); each entry's description names the edit that
led away from it (undo) or that produces it (redo). A file of another format or version, or one whose
fields are missing or inconsistent, raises `CodeFileError` with one sentence naming the file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from engine.codes.errors import CodeEditError, CodeFileError
from engine.paths import user_path
from engine.fileio import atomic_path

FORMAT_NAME = "distill-codes"
FORMAT_VERSION = 1
WEIGHT_SUM_TOLERANCE = 1e-6  # a mix's weights must sum to 1 within this

Mix = tuple[tuple[int, float], ...]  # ((code, weight), ...): codes ascending, weights > 0, sum 1
Level = int | str  # a level index or its label ("Timbre", case-insensitive)


def resolve_level(level: Level, labels: Sequence[str]) -> int:
    """The index of `level`, given as an index (int or digit string) or a label, case-insensitive."""
    if isinstance(level, str):
        text = level.strip()
        if text.isdigit():
            level = int(text)
        else:
            lowered = [label.lower() for label in labels]
            if text.lower() in lowered:
                return lowered.index(text.lower())
    elif not isinstance(level, bool) and hasattr(level, "__index__"):  # ints, numpy integers
        level = operator.index(level)
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level < len(labels):
        return level
    raise CodeEditError(f"level {level!r} does not exist: use 0-{len(labels) - 1} or one of {', '.join(labels)}")


def resolve_levels(levels: Iterable[Level] | None, labels: Sequence[str]) -> tuple[int, ...]:
    """Level indices, ascending and without repeats; None means every level."""
    if levels is None:
        return tuple(range(len(labels)))
    chosen = sorted({resolve_level(level, labels) for level in levels})
    if not chosen:
        raise CodeEditError("no level given: name at least one level or leave the levels out for all of them")
    return tuple(chosen)


@dataclass(frozen=True, eq=False)
class CodeGrid:
    """The codes of one sound, `codes` [levels, columns], plus what is needed to decode and label them.

    Construction validates everything (ValueError on inconsistent fields); `codes` is stored as a read-only
    int64 copy and `blends` as a read-only mapping `(level, column) -> Mix`.
    """

    codes: np.ndarray  # [L, F] int64; for a blended cell, the nearest code
    labels: tuple[str, ...]  # one per level, coarse to fine
    codebook_size: int
    model_id: str  # fingerprint of the weights of the model that made the grid
    model_name: str  # that model's name when the grid was made (for messages only)
    sample_rate: int
    hop_length: int
    downsample: int  # mel frames per column
    frames: int  # mel frames of the source; columns = ceil(frames / downsample)
    samples: int  # audio samples of the source; samples // hop_length + 1 == frames
    source: str  # file name of the encoded sound
    blends: Mapping[tuple[int, int], Mix] = field(default_factory=dict)

    def __post_init__(self) -> None:
        codes = np.array(self.codes, dtype=np.int64)  # copy: nobody else holds a writable view
        codes.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "blends", MappingProxyType(dict(self.blends)))
        self._validate()

    # -- shape and time ------------------------------------------------------------------------------

    @property
    def levels(self) -> int:
        """Number of quantizer levels (rows)."""
        return self.codes.shape[0]

    @property
    def columns(self) -> int:
        """Number of code columns (time positions)."""
        return self.codes.shape[1]

    @property
    def column_seconds(self) -> float:
        """Duration of one column in seconds."""
        return self.downsample * self.hop_length / self.sample_rate

    @property
    def duration(self) -> float:
        """Duration of the source sound in seconds."""
        return self.samples / self.sample_rate

    def time_of(self, column: int) -> float:
        """Start time in seconds of `column` (0..columns; `columns` gives the end of the last column)."""
        if not 0 <= column <= self.columns:
            raise CodeEditError(f"column {column} is outside the grid of {self._size()}")
        return column * self.column_seconds

    def column_at(self, seconds: float) -> int:
        """The column boundary nearest to `seconds` (0..columns)."""
        column = round(seconds / self.column_seconds) if math.isfinite(seconds) else -1
        if not 0 <= column <= self.columns:
            raise CodeEditError(f"{seconds} s is outside the grid of {self._size()} ({self.columns * self.column_seconds:.2f} s)")
        return column

    def level_index(self, level: Level) -> int:
        """The index of a level given by index or label (see `resolve_level`)."""
        return resolve_level(level, self.labels)

    # -- cells ---------------------------------------------------------------------------------------

    def mix(self, level: int, column: int) -> Mix:
        """The recipe of one cell: its blend, or `((code, 1.0),)` for a plain cell."""
        return self.blends.get((level, column)) or ((int(self.codes[level, column]), 1.0),)

    def blended_runs(self) -> list[tuple[int, int, int]]:
        """The blended cells as runs (level, first column, end column exclusive), in level then column order."""
        runs: list[tuple[int, int, int]] = []
        for level, column in sorted(self.blends):
            if runs and runs[-1][0] == level and runs[-1][2] == column:
                runs[-1] = (level, runs[-1][1], column + 1)
            else:
                runs.append((level, column, column + 1))
        return runs

    def with_cells(self, codes: np.ndarray, blends: Mapping[tuple[int, int], Mix]) -> CodeGrid:
        """A grid with the same source and model but other codes [L, F] and blends."""
        return dataclasses.replace(self, codes=codes, blends=blends)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CodeGrid):
            return NotImplemented
        return np.array_equal(self.codes, other.codes) and all(
            getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self) if f.name != "codes"
        )

    __hash__ = None  # compared by value, and not hashable like the array inside

    def _size(self) -> str:
        """'3 levels x 40 columns', for messages."""
        return f"{self.levels} levels x {self.columns} columns"

    def _validate(self) -> None:
        """Raise ValueError naming the first inconsistency."""
        if self.codes.ndim != 2 or self.codes.shape[0] != len(self.labels) or self.codes.shape[1] == 0:
            raise ValueError(f"codes must be [levels = {len(self.labels)}, columns >= 1], got shape {list(self.codes.shape)}")
        if min(self.codebook_size, self.sample_rate, self.hop_length, self.downsample, self.frames, self.samples) < 1:
            raise ValueError("codebook_size, sample_rate, hop_length, downsample, frames and samples must be positive")
        if -(-self.frames // self.downsample) != self.columns:
            raise ValueError(f"{self.frames} frames make {-(-self.frames // self.downsample)} columns, not {self.columns}")
        if self.samples // self.hop_length + 1 != self.frames:
            raise ValueError(f"{self.samples} samples make {self.samples // self.hop_length + 1} mel frames, not {self.frames}")
        if self.codes.min() < 0 or self.codes.max() >= self.codebook_size:
            raise ValueError(f"codes must lie in 0-{self.codebook_size - 1}")
        for (level, column), mix in self.blends.items():
            if not (0 <= level < self.levels and 0 <= column < self.columns):
                raise ValueError(f"blend at level {level}, column {column} is outside the grid of {self._size()}")
            check_mix(mix, self.codebook_size)


def check_mix(mix: Mix, codebook_size: int) -> None:
    """Raise ValueError unless `mix` is a canonical blend (see the module docstring)."""
    codes = [code for code, _ in mix]
    if len(mix) < 2 or codes != sorted(set(codes)) or not all(0 <= code < codebook_size for code in codes):
        raise ValueError(f"a blend needs at least two different codes in 0-{codebook_size - 1}, ascending, got {list(mix)}")
    weights = [weight for _, weight in mix]
    if not all(math.isfinite(w) and w > 0 for w in weights) or abs(sum(weights) - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ValueError(f"blend weights must be positive and sum to 1, got {weights}")


# -- files -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One entry of an edit history: a grid state and the description of the edit that leaves or makes it."""

    grid: CodeGrid
    description: str


@dataclass(frozen=True)
class CodesFile:
    """A code grid file read back: the grid and its saved edit history (oldest first, see the module doc)."""

    grid: CodeGrid
    undo: tuple[Step, ...] = ()
    redo: tuple[Step, ...] = ()


_HEADER_FIELDS = ("model_id", "model_name", "sample_rate", "hop_length", "downsample", "codebook_size", "labels", "frames", "samples", "source")


def save_codes(path: str | os.PathLike, grid: CodeGrid, undo: Sequence[Step] = (), redo: Sequence[Step] = ()) -> Path:
    """Write `grid` (and its edit history, if any) to `path` atomically; returns the path."""
    data: dict = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    data.update({name: getattr(grid, name) for name in _HEADER_FIELDS})
    data.update(_cells_to_json(grid))
    if undo or redo:
        data["history"] = {
            "undo": [{"description": step.description, **_cells_to_json(step.grid)} for step in undo],
            "redo": [{"description": step.description, **_cells_to_json(step.grid)} for step in redo],
        }
    path = Path(path)
    try:
        with atomic_path(path, suffix=".json") as temporary:
            temporary.write_text(_dump(data), encoding="utf-8")
    except OSError as error:  # a full disk, a read-only folder, a name too long
        raise CodeFileError(f"cannot write code grid file '{path}' ({error.strerror or error})") from error
    return path


def load_codes(path: str | os.PathLike) -> CodesFile:
    """Read a code grid file; every problem is a `CodeFileError` naming the file."""
    path = user_path(path, "read as a code grid file", CodeFileError)
    if path.exists() and not path.is_file():  # a folder, or a pipe or device, which reading would wait on for ever
        raise CodeFileError(f"'{path}' is not a distill code grid file (not a regular file)")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodeFileError(f"code grid file '{path}' does not exist") from None
    except UnicodeDecodeError:
        raise CodeFileError(f"'{path}' is not a distill code grid file (not UTF-8 text)") from None
    except OSError as error:
        raise CodeFileError(f"cannot read code grid file '{path}' ({error.strerror or error})") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CodeFileError(f"'{path}' is not a distill code grid file (not JSON: {error})") from error
    except RecursionError as error:
        raise CodeFileError(f"'{path}' is not a distill code grid file (its JSON nests too deeply)") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        found = data.get("format") if isinstance(data, dict) else None
        raise CodeFileError(f"'{path}' is not a distill code grid file (format {found!r}, expected '{FORMAT_NAME}')")
    if data.get("version") != FORMAT_VERSION:
        raise CodeFileError(f"'{path}' is a code grid file of version {data.get('version')!r}; this distill reads version {FORMAT_VERSION}")
    try:
        header = {name: data[name] for name in _HEADER_FIELDS}
        grid = CodeGrid(**header, **_cells_from_json(data))
        history = data.get("history") or {}
        undo, redo = ([Step(grid.with_cells(**_cells_from_json(entry)), str(entry["description"])) for entry in history.get(side, [])] for side in ("undo", "redo"))
    except KeyError as error:
        raise CodeFileError(f"code grid file '{path}' is damaged (field {error} is missing)") from error
    except (TypeError, ValueError, AttributeError, OverflowError) as error:  # OverflowError: a code beyond 64 bits
        raise CodeFileError(f"code grid file '{path}' is damaged ({error})") from error
    return CodesFile(grid, tuple(undo), tuple(redo))


def _cells_to_json(grid: CodeGrid) -> dict:
    """The `codes` and `blends` fields of a grid or history entry."""
    blends = [{"level": level, "column": column, "mix": [list(pair) for pair in mix]} for (level, column), mix in sorted(grid.blends.items())]
    return {"codes": grid.codes.tolist(), "blends": blends}


def _cells_from_json(data: dict) -> dict:
    """Keyword arguments `codes` and `blends` for `CodeGrid` / `with_cells` from their JSON fields."""
    codes = data["codes"]
    if not (isinstance(codes, list) and all(isinstance(row, list) and all(type(c) is int for c in row) for row in codes)):
        raise ValueError("codes must be a list of lists of integers")
    blends = {(int(b["level"]), int(b["column"])): tuple((int(code), float(weight)) for code, weight in b["mix"]) for b in data["blends"]}
    return {"codes": np.array(codes, dtype=np.int64), "blends": blends}


def _dump(data: dict) -> str:
    """JSON with one top-level field per line and one line per code row, so files read and diff well."""
    lines = []
    for key, value in data.items():
        if key == "codes":
            rows = ",\n".join(f"    {json.dumps(row)}" for row in value)
            lines.append(f'  "codes": [\n{rows}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
