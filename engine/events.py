"""What the resident engine tells its listeners (OSC subscribers, the MIDI adapter, the TUI).

Every event is a small frozen dataclass; `Engine.subscribe(listener)` calls `listener(event)` on the thread
that caused it (a client's thread for parameter changes and edits, the torch worker for jobs, the training
thread for training), so listeners must be quick and must not call back into long engine work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelInfo:
    """The loaded model, as clients see it."""

    name: str
    path: Path
    levels: int
    codebook_size: int
    sample_rate: int
    has_prior: bool
    labels: tuple[str, ...]


@dataclass(frozen=True)
class ModelLoaded:
    """A model (and its prior, if it has one) is now loaded."""

    info: ModelInfo


@dataclass(frozen=True)
class ParamChanged:
    """A sampling parameter was set (also sent when it was set to the value it had)."""

    name: str
    value: float | int


@dataclass(frozen=True)
class GridEdited:
    """One slot's grid was edited (also what the edit methods return).

    `cells` are the changed cells as (level, column, shown code), in level then column order; empty when the
    edit changed nothing. The depths are the slot's undo and redo stack sizes after the edit.
    """

    slot: str
    cells: tuple[tuple[int, int, int], ...]
    undo_depth: int
    redo_depth: int


Edit = GridEdited  # what `Engine.set_cell`, `blend`, `undo`, `redo` (and, per slot, `swap`) return


@dataclass(frozen=True)
class Encoded:
    """A sound was encoded into a slot, replacing its grid and history."""

    slot: str
    levels: int
    frames: int  # code columns


@dataclass(frozen=True)
class JobProgress:
    """A job (`generate`, `encode`, `decode`, `preview`, `load`) started (fraction 0) or finished (1)."""

    job: str
    fraction: float
    message: str


@dataclass(frozen=True)
class JobFailed:
    """A job that has no waiting caller (training) failed; `message` is one sentence."""

    job: str
    message: str


@dataclass(frozen=True)
class Generated:
    """A new sound was generated and its file is complete."""

    path: Path
    duration: float  # seconds
    seed: int


@dataclass(frozen=True)
class Decoded:
    """A slot's grid was decoded; its file is complete."""

    slot: str
    path: Path


@dataclass(frozen=True)
class Previewed:
    """A codebook entry's preview clip is complete."""

    level: int
    index: int
    path: Path


@dataclass(frozen=True)
class TrainProgress:
    """A training epoch finished."""

    epoch: int
    loss: float
    seconds: float


@dataclass(frozen=True)
class TrainDone:
    """Training finished (budget spent or stopped) and the model is saved in the library."""

    name: str


Event = (
    ModelLoaded | ParamChanged | GridEdited | Encoded | JobProgress | JobFailed | Generated | Decoded | Previewed
    | TrainProgress | TrainDone
)
