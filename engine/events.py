"""What the resident engine tells its listeners (OSC subscribers, the MIDI adapter, the TUI), and what its jobs return.

Every event is a small frozen dataclass; `Engine.subscribe(listener)` calls `listener(event)` on the thread
that caused it (a client's thread for parameter changes and edits, the torch worker for jobs, the training
thread for training), with no engine lock held, so listeners must be quick and must not call back into
long engine work. A listener that raises is logged by the engine; the edit, job or run goes on.

Every job (an engine method that returns a `Future`) gives the event it announced, or, for `play` and
`train_defaults`, whose results only their caller hears, a `Playing` or `TrainDefaults`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.training.health import LevelHealth


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
    samples_per_column: int  # audio samples per code column: sample_rate / samples_per_column columns per second


@dataclass(frozen=True)
class ModelLoaded:
    """A model (and its prior, if it has one) is now loaded."""

    info: ModelInfo


PARAM_NAMES = ("temperature", "top_k", "top_p", "seed", "duration", "one_shot")  # the sampling parameters


@dataclass(frozen=True)
class ParamChanged:
    """A sampling parameter (one of PARAM_NAMES) was set (also sent when it was set to the value it had)."""

    name: str
    value: float | int


@dataclass(frozen=True)
class Continued:
    """Slot `source` was continued by the prior into slot `slot` (announced as `Encoded`), `frames` columns
    long in all, drawn with `seed` (what `Engine.continue_slot` gives)."""

    source: str
    slot: str
    frames: int
    seed: int


@dataclass(frozen=True)
class Reimagined:
    """A region of a slot was redrawn by the prior with `seed`: the edit (announced as `GridEdited`) and its seed
    (what `Engine.reimagine` gives)."""

    edit: GridEdited
    seed: int


@dataclass(frozen=True)
class CopyChecked:
    """The longest verbatim copy of a training file in slot `slot`: `columns` whole columns in a row (`distinct`
    different ones, `seconds` long) of training file `file` (0 columns and "" when none; `Engine.check_copy`)."""

    slot: str
    columns: int
    distinct: int
    seconds: float
    file: str


@dataclass(frozen=True)
class CopyUnavailable:
    """Copies cannot be checked for the loaded model (its training files are not at hand); said once per model."""

    reason: str


@dataclass(frozen=True)
class GridEdited:
    """One slot's grid was edited (also what the edit methods return).

    `cells` are the changed cells as (level, column, shown code), in level then column order; empty when the
    edit changed nothing. The depths are the slot's undo and redo stack sizes after the edit; `blended` are
    the slot's blended cells after it, as runs (level, first column, end column) (`CodeGrid.blended_runs`).
    """

    slot: str
    cells: tuple[tuple[int, int, int], ...]
    undo_depth: int
    redo_depth: int
    blended: tuple[tuple[int, int, int], ...] = ()


Edit = GridEdited  # what `Engine.set_cell`, `blend`, `undo`, `redo` (and, per slot, `swap`) return


@dataclass(frozen=True)
class Encoded:
    """A sound was encoded into a slot, replacing its grid and history."""

    slot: str
    levels: int
    frames: int  # code columns


@dataclass(frozen=True)
class JobProgress:
    """A job (`generate`, `encode`, `decode`, `preview`, `load`, `copy`, ...) started (fraction 0) or finished (1)."""

    job: str
    fraction: float
    message: str


@dataclass(frozen=True)
class JobFailed:
    """A job that has no waiting caller (training: job "train" or "prior/train") failed; `message` is one sentence."""

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
class Playing:
    """A sound file (or a slot, decoded to this file) started playing; `play`'s result, not announced."""

    path: Path


@dataclass(frozen=True)
class ModelRenamed:
    """A library model was renamed (the loaded model's name follows when it was that one)."""

    old: str
    new: str


@dataclass(frozen=True)
class ModelDeleted:
    """A library model was deleted (a loaded copy stays loaded)."""

    name: str


@dataclass(frozen=True)
class TrainOptionChanged:
    """A training option was set (also sent when it was set to the value it had)."""

    key: str
    value: float | int


@dataclass(frozen=True)
class TrainDefaults:
    """`train_defaults`' result, not announced (the options it set are, each as `TrainOptionChanged`)."""

    dataset: str  # the folder as the caller named it
    files: int  # readable sound files in it


@dataclass(frozen=True)
class TrainJobStarted:
    """A training run started in the training thread; `job` is "train" (VQ-VAE) or "prior/train"."""

    job: str
    name: str  # the new model (train) or the model whose prior is trained, as the client named it


@dataclass(frozen=True)
class TrainProgress:
    """A VQ-VAE training epoch finished."""

    epoch: int
    loss: float  # mean training loss of the epoch
    seconds: float  # training time so far
    val_l1: float  # held-out log-mel L1
    fraction: float  # share of the budget (epochs or minutes) done, 0..1
    best: bool  # these weights are the best so far
    health: tuple[LevelHealth, ...]  # codebook health per level over the epoch
    warnings: tuple[str, ...]  # codebook collapse warnings of the epoch
    phase: str = "spectral"  # the trainer's phase: "spectral", then "adversarial"
    losses: tuple[tuple[str, float], ...] = ()  # the phase's own mean losses by name (the adversarial phase's)


@dataclass(frozen=True)
class PriorLevelProgress:
    """One level of a prior training epoch: perplexity (effective choices per code) on both splits."""

    level: int
    label: str
    train_perplexity: float
    val_perplexity: float


@dataclass(frozen=True)
class PriorTrainProgress:
    """A prior training epoch finished; losses in nats per code."""

    epoch: int
    train_loss: float
    val_loss: float
    seconds: float
    fraction: float  # share of the budget (epochs or minutes) done, 0..1
    best: bool
    levels: tuple[PriorLevelProgress, ...]
    warnings: tuple[str, ...]  # memorisation warnings of the epoch


@dataclass(frozen=True)
class TrainJobDone:
    """Training finished (budget spent or stopped) and the result is saved in the library.

    `job` and `name` as in `TrainJobStarted`; `stopped`: it was asked to stop before its budget was spent.
    """

    job: str
    name: str
    stopped: bool


@dataclass(frozen=True)
class NoteSettingsChanged:
    """How notes behave was set: `mode` "one-shot" or "gate", `release` seconds of fade after a gate note-off."""

    mode: str
    release: float


@dataclass(frozen=True)
class PresetSaved:
    """The sampling parameters were saved as a preset."""

    name: str


@dataclass(frozen=True)
class PresetDeleted:
    """A preset was deleted."""

    name: str


EngineEvent = (
    ModelLoaded | ModelRenamed | ModelDeleted | ParamChanged | GridEdited | Encoded | JobProgress | JobFailed
    | Generated | Decoded | Previewed | TrainOptionChanged | TrainJobStarted | TrainProgress | PriorTrainProgress
    | TrainJobDone | PresetSaved | PresetDeleted | NoteSettingsChanged | CopyChecked | CopyUnavailable
)
