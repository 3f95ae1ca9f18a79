"""What the engine needs to run training for its clients: the options it trains with, and progress.

`TrainOptions` are set one at a time by clients (like the sampling parameters) and checked against
`TRAIN_OPTION_RANGES`; `vqvae_progress` / `prior_progress` turn the trainers' events into the engine's
progress events, with the share of the budget done. Nothing here imports torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from engine.errors import DistillError
from engine.events import PriorLevelProgress, PriorTrainProgress, TrainProgress
from engine.generation.settings import MAX_HISTORY_SEED
from engine.limits import MAX_OSC_SEED, MAX_TRAIN_MINUTES
from engine.paths import user_path
from engine.model.config import ModelConfig

# Training options: (whole number?, lowest, highest); 0 is also allowed where ZERO_MEANS says what it means.
TRAIN_OPTION_RANGES: dict[str, tuple[bool, float, float]] = {
    "levels": (True, 2, 4),
    "codebook_size": (True, 2, 4096),
    "codebook_dim": (True, 2, 1024),
    "commitment_weight": (False, 0.0, 10.0),
    "hidden": (True, 8, 1024),
    "minutes": (False, 0.0, MAX_TRAIN_MINUTES),
    "seed": (True, 0, MAX_OSC_SEED),
    "waveform_head": (True, 0, 1),  # 1: also learn the experimental waveform inverter (docs/benchmarks.md)
}
ZERO_MEANS = {"codebook_size": "adapt to the dataset", "minutes": "the default budget"}


@dataclass(frozen=True)
class TrainOptions:
    """What `train_start` trains with unless told otherwise (TrainRequest's defaults; ranges: TRAIN_OPTION_RANGES).

    codebook_size 0 adapts it to the dataset; minutes 0 is the trainer's default budget; waveform_head 1 also
    trains the experimental waveform head (a number like the others, so Pd can set it).
    """

    levels: int = ModelConfig.levels
    codebook_size: int = 0
    codebook_dim: int = ModelConfig.codebook_dim
    commitment_weight: float = ModelConfig.commitment_weight
    hidden: int = ModelConfig.hidden
    minutes: float = 0.0
    seed: int = 0
    waveform_head: int = 0

    def request_fields(self) -> dict:
        """These options as `TrainRequest` keyword arguments (0 becomes None: adapt, default budget; waveform_head a bool)."""
        return {**asdict(self), "codebook_size": self.codebook_size or None, "minutes": self.minutes or None, "waveform_head": bool(self.waveform_head)}


def check_train_key(key: str) -> str:
    """`key` if it names a training option, else DistillError listing them."""
    if key not in TRAIN_OPTION_RANGES:
        raise DistillError(f"unknown training option '{key}' (use {', '.join(TRAIN_OPTION_RANGES)})")
    return key


def train_option_range(key: str, zero: bool = True, kind: str = "") -> str:
    """The values training option `key` takes, in words: "from 2 to 4", "0 (adapt to the dataset) or from 2 to 4096",
    with `kind` ("a whole number") before "from"; without `zero`, leaves out what 0 means (for front ends that say it
    otherwise)."""
    _, low, high = TRAIN_OPTION_RANGES[key]
    start = f"{kind} from".strip()
    if key not in ZERO_MEANS or not zero:
        return f"{start} {low:g} to {high:g}"
    if low > 0:
        return f"0 ({ZERO_MEANS[key]}) or {start} {low:g} to {high:g}"
    return f"{start} 0 ({ZERO_MEANS[key]}) to {high:g}"


def train_options_help() -> str:
    """Every training option with its range, for help texts ("levels from 2 to 4, ...")."""
    return ", ".join(f"{key} {train_option_range(key)}" for key in TRAIN_OPTION_RANGES)


def check_train_option(key: str, value: object) -> int | float:
    """`value` for training option `key` (an int for whole-number options), else DistillError naming the range."""
    whole, low, high = TRAIN_OPTION_RANGES[check_train_key(key)]
    kind = "a whole number" if whole else "a number"
    rule = f"{key} must be {train_option_range(key, kind=kind)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DistillError(f"{rule}, not {value!r}")
    if whole and not float(value).is_integer():
        raise DistillError(f"{rule}, not {value:g}")
    if not (low <= value <= high or (value == 0 and key in ZERO_MEANS)):
        raise DistillError(f"{rule}, not {value:g}")
    return int(value) if whole else float(value)


def dataset_folder(dataset: str) -> Path:
    """The sound folder `dataset` names, or DistillError when it names none."""
    if not dataset.strip():
        raise DistillError("name the dataset folder (an empty path is not one)")
    folder = user_path(dataset, "a dataset folder")
    if not folder.is_dir():
        raise DistillError(f"the dataset folder '{dataset}' does not exist")
    return folder


def check_request_options(request_type: type, options: dict, taken: set[str]) -> None:
    """DistillError naming the keys of `options` that are no field of `request_type` or are among `taken`."""
    unknown = set(options) - ({f.name for f in fields(request_type)} - taken)
    if unknown:
        raise DistillError(f"unknown training options: {', '.join(sorted(unknown))}")


def check_run_request(request) -> None:
    """DistillError unless a training request's (VQ-VAE or prior) budget and seed are usable: epochs 1 or more,
    minutes above 0 up to MAX_TRAIN_MINUTES (None: not given) and a seed from 0 to MAX_HISTORY_SEED.

    `--epochs 0` once trained nothing and then said it stopped before its first epoch; a seed of 2^80 ended in
    torch's overflow traceback."""
    if request.epochs is not None and request.epochs < 1:
        raise DistillError(f"epochs must be 1 or more, not {request.epochs}")
    if request.minutes is not None and not 0 < request.minutes <= MAX_TRAIN_MINUTES:
        raise DistillError(f"minutes must be above 0 and at most {MAX_TRAIN_MINUTES}, not {request.minutes:g}")
    if not 0 <= request.seed <= MAX_HISTORY_SEED:
        raise DistillError(f"the seed must be a whole number from 0 to {MAX_HISTORY_SEED}, not {request.seed}")


def check_minutes(minutes: float | None) -> None:
    """DistillError unless `minutes` is None or 0 (not given) or a training budget up to MAX_TRAIN_MINUTES."""
    if minutes is not None and not 0 <= minutes <= MAX_TRAIN_MINUTES:
        raise DistillError(f"training minutes must be 0 (the default) or above, at most {MAX_TRAIN_MINUTES}, not {minutes:g}")


@dataclass
class Budget:
    """A training run's budget, from its trainer's started event, and its level labels."""

    epochs: int | None = None
    minutes: float | None = None
    labels: tuple[str, ...] = ()

    def fraction(self, epoch: int, seconds: float) -> float:
        """Share of the budget done after `epoch` epochs and `seconds` of training, 0..1 (the larger share)."""
        shares = [0.0]
        if self.minutes:
            shares.append(seconds / (self.minutes * 60))
        if self.epochs:
            shares.append(epoch / self.epochs)
        return min(1.0, max(shares))


def vqvae_progress(event, budget: Budget) -> TrainProgress | None:
    """The engine event for a VQ-VAE trainer event (None for those clients are not told about)."""
    from engine.training.trainer import EpochReport, TrainingStarted

    if isinstance(event, TrainingStarted):
        budget.epochs, budget.minutes, budget.labels = event.epochs, event.minutes, event.model.labels
    elif isinstance(event, EpochReport):
        fraction = budget.fraction(event.epoch, event.seconds)
        losses = tuple((name, float(value)) for name, value in (event.losses or {}).items())
        return TrainProgress(
            event.epoch, event.train_loss, event.seconds, event.val_l1, fraction, event.best, tuple(event.health), tuple(event.warnings), event.phase, losses,
        )
    return None


def prior_progress(event, budget: Budget) -> PriorTrainProgress | None:
    """The engine event for a prior trainer event (None for those clients are not told about)."""
    from engine.prior.train import PriorEpochReport, PriorTrainingStarted

    if isinstance(event, PriorTrainingStarted):
        budget.epochs, budget.minutes, budget.labels = event.epochs, event.minutes, event.labels
    elif isinstance(event, PriorEpochReport):
        levels = tuple(
            PriorLevelProgress(level, label, train, val)
            for level, (label, train, val) in enumerate(zip(budget.labels, event.train_perplexity, event.val_perplexity))
        )
        fraction = budget.fraction(event.epoch, event.seconds)
        return PriorTrainProgress(event.epoch, event.train_loss, event.val_loss, event.seconds, fraction, event.best, levels, tuple(event.warnings))
    return None
