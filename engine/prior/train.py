"""Prior training (`distill train-prior`): code sequences of a trained VQ-VAE -> a CodePrior in the same file.

`train_prior(request, on_event=..., stop=...)` runs synchronously and reports through events, like the
VQ-VAE trainer (`engine.training.trainer`), on the same run skeleton (`engine.training.loop`) and checkpoint files.

- Codes are extracted once, with the frozen VQ-VAE, from the files of its training split (plus augmented
  copies, more for small collections) and from its validation split (as they are); see `engine.prior.data`.
- Every epoch reports training and validation loss (cross-entropy, nats per code) and perplexity
  (exp of the loss) per level; the weights with the lowest validation loss are the ones saved.
- The end head (one-shots, `engine.prior.model`) is trained beside the codes with binary cross-entropy on
  whether each frame lies after its file's sound (`CodeSet.after_end`), added to the code loss; its
  validation loss is recorded in the history as `val_end_loss` (not part of `val_loss`, which picks the best
  weights and stays comparable with priors without the head).
- A checkpoint (optimizer, RNG states, the extracted codes and the epoch's window plan) is written after
  every epoch and every `checkpoint_seconds`, so `resume` continues exactly where it stopped.
- Memorisation warning: see MEMORISATION_RULE; the record lands in `metadata["prior"]["memorisation"]`.
- Early stop: once the validation loss has not improved for PATIENCE epochs, the run ends (saying so once,
  as that epoch's warning) and keeps the best weights: on a GPU, a 90-second budget ran 473 epochs of which
  everything after epoch 17 only memorised. `metadata["prior"]["early_stop"]` records the epoch it stopped at.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.audio.mel import MelSpectrogram
from engine.data.augment import augmentation_strength
from engine.data.dataset import SkippedFile, load_dataset
from engine.errors import DistillError
from engine.library import Library
from engine.model.persist import load_vqvae
from engine.modelfile import save_model_file
from engine.paths import safe_stem
from engine.prior.bundle import PRIOR_PREFIX, save_prior
from engine.prior.config import (
    DEFAULT_PRIOR_MINUTES,
    HEAD_DIM,
    PriorConfig,
    PriorTrainConfig,
    adaptive_prior_config,
    augmentation_variants,
)
from engine.prior.data import (
    CodeSet,
    WindowPlan,
    encode_clips,
    epoch_plan,
    take_windows,
    validation_plan,
)
from engine.prior.model import CodePrior
from engine.training.checkpoint import checkpoint_path, claim_run, load_checkpoint, save_checkpoint
from engine.training.loop import EpochLoop, RunState, snapshot

PATIENCE = 20  # epochs without a better validation loss before the run stops early
MEMORISATION_PPL = 1.5  # rule (a): Structure-level validation perplexity below this
MEMORISATION_EPOCHS = 3  # rule (b): validation loss up and training loss down this many epochs running
MEMORISATION_RATIO = 1.5  # rule (c): validation loss above this multiple of the training loss
MEMORISATION_RULE = (
    f"warn when (a) the validation perplexity of the first (Structure) level falls below {MEMORISATION_PPL}, "
    f"(b) the validation loss rose while the training loss fell for {MEMORISATION_EPOCHS} epochs in a row, or "
    f"(c) the validation loss exceeds {MEMORISATION_RATIO} x the training loss"
)


@dataclass
class PriorTrainRequest:
    """What the user asked for (`distill train-prior MODEL ...`); size fields left None adapt to the dataset."""

    model: str | Path  # library name or model file path
    epochs: int | None = None
    minutes: float | None = None  # neither epochs nor minutes: DEFAULT_PRIOR_MINUTES
    device: str = "auto"
    resume: bool = False
    restart: bool = False  # discard an earlier prior run (its checkpoint) and a prior already in the file
    seed: int = 0
    context: int | None = None
    d_model: int | None = None
    n_layers: int | None = None
    n_heads: int | None = None  # None with d_model set: d_model / 32
    variants: int | None = None  # augmented copies per training file
    batch_size: int | None = None


@dataclass
class PriorTrainingStarted:
    """Sent once the codes are extracted and the prior built."""

    model: str
    device: str
    labels: tuple[str, ...]  # level names, coarse to fine
    train_files: int
    val_files: int
    train_frames: int  # code frames of the training sequences, augmented copies and silent gaps included
    val_frames: int
    prior: PriorConfig
    train: PriorTrainConfig
    params: int
    start_epoch: int  # epochs already done (resume)
    epochs: int | None
    minutes: float | None


@dataclass
class PriorEpochReport:
    """Sent after every epoch; losses in nats per code, perplexities per level."""

    epoch: int
    steps: int
    train_loss: float
    val_loss: float
    train_perplexity: list[float]
    val_perplexity: list[float]
    seconds: float
    best: bool
    warnings: list[str]  # memorisation warnings (see MEMORISATION_RULE)


@dataclass
class PriorTrainingFinished:
    """Sent when the prior is saved into the model file."""

    model: str
    path: Path
    epochs: int
    seconds: float
    best_epoch: int
    best_val_loss: float
    val_perplexity: list[float]  # of the saved weights
    memorisation: dict
    params: int
    stopped: bool
    notice: str = ""  # one sentence when the prior was saved elsewhere than the model file it started from, else ""


PriorTrainerEvent = PriorTrainingStarted | PriorEpochReport | PriorTrainingFinished | SkippedFile


@dataclass
class _State(RunState):
    """Everything a checkpoint restores besides tensors."""

    best_val_loss: float = math.inf
    partial_ce: list[float] = field(default_factory=list)  # per-level cross-entropy sums of the unfinished epoch
    partial_count: int = 0  # target frames behind them


def prior_loss(logits: Tensor, codes: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """logits [B, L, T, K], codes [B, L, T], mask [B, T] -> (mean loss [], per-level sums [L], frames [])."""
    B, L, T, K = logits.shape
    ce = F.cross_entropy(logits.reshape(-1, K), codes.reshape(-1), reduction="none").view(B, L, T)  # [B, L, T]
    sums = (ce * mask[:, None]).sum(dim=(0, 2))  # [L]
    count = mask.sum()
    return sums.sum() / (count * L).clamp_min(1), sums, count


def end_loss(end_logits: Tensor, after_end: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """end_logits [B, T], after_end [B, T] (bool), mask [B, T] -> (mean binary cross-entropy [], its sum [])."""
    bce = F.binary_cross_entropy_with_logits(end_logits, after_end.float(), reduction="none")  # [B, T]
    total = (bce * mask).sum()
    return total / mask.sum().clamp_min(1), total


def memorisation_warnings(history: list[dict], labels: tuple[str, ...]) -> list[str]:
    """The memorisation warnings (MEMORISATION_RULE) for the last epoch of `history`."""
    last = history[-1]
    found = []
    if last["val_perplexity"][0] < MEMORISATION_PPL:
        found.append(
            f"{labels[0]} validation perplexity {last['val_perplexity'][0]:.2f} is below {MEMORISATION_PPL}: "
            "the prior predicts held-out sounds almost with certainty and may reproduce training sounds"
        )
    recent = history[-(MEMORISATION_EPOCHS + 1):]
    if len(recent) == MEMORISATION_EPOCHS + 1 and all(
        b["val_loss"] > a["val_loss"] and b["train_loss"] < a["train_loss"] for a, b in itertools.pairwise(recent)
    ):
        found.append(
            f"validation loss rose for {MEMORISATION_EPOCHS} epochs while training loss fell: the prior is "
            f"memorising; the best weights (lowest validation loss) are the ones kept"
        )
    if last["val_loss"] > MEMORISATION_RATIO * last["train_loss"]:
        found.append(
            f"validation loss {last['val_loss']:.3f} is more than {MEMORISATION_RATIO} x the training loss "
            f"{last['train_loss']:.3f}: the prior fits its training sounds far better than new ones"
        )
    return found


def make_optimizer(prior: CodePrior, cfg: PriorTrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only (nanoGPT's split), betas (0.9, 0.95)."""
    params = [p for p in prior.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(0.9, 0.95))


class PriorTrainer(EpochLoop):
    """One prior training run; `run()` does the work. Use `train_prior()` unless you need the pieces."""

    what = "prior training"

    def __init__(self, request: PriorTrainRequest, on_event: Callable[[PriorTrainerEvent], None] | None = None, stop: threading.Event | None = None, library: Library | None = None):
        super().__init__(request, on_event, stop, library)
        try:  # the sizes asked for are checked before any work: d_model 0 once trained and saved a prior no command could load
            replace(PriorConfig(), **self._sizes())
        except ValueError as error:
            raise DistillError(str(error)) from error

    # ---------------------------------------------------------------- setup

    def _sizes(self) -> dict:
        """The prior sizes the request sets (the others adapt); d_model without n_heads gets heads of HEAD_DIM."""
        req = self.request
        sizes = {"context": req.context, "d_model": req.d_model, "n_layers": req.n_layers, "n_heads": req.n_heads}
        if req.d_model is not None and req.n_heads is None:
            sizes["n_heads"] = max(1, req.d_model // HEAD_DIM)
        return {key: value for key, value in sizes.items() if value is not None}

    def _check_run(self) -> None:
        """Refuse to silently abandon an earlier run or replace a prior; --restart clears the way."""
        req, name = self.request, self.name
        if req.resume and req.restart:
            raise DistillError("--resume and --restart contradict each other; choose one")
        if req.resume:
            if not self.ckpt_path.exists():
                raise DistillError(f"nothing to resume: no interrupted or earlier prior training of model '{name}'")
        elif req.restart:
            self.ckpt_path.unlink(missing_ok=True)
        elif self.ckpt_path.exists():
            raise DistillError(f"a prior training run of model '{name}' already exists; add --resume to continue it or --restart to start over")
        elif self.loaded.metadata.get("prior"):
            raise DistillError(f"model '{name}' already has a prior; add --restart to train a new one in its place")

    def _configs(self, file_count: int) -> tuple[PriorConfig, PriorTrainConfig]:
        """Adaptive sizes for the dataset, with the request's overrides."""
        req, vq = self.request, self.loaded.model.cfg
        prior = replace(adaptive_prior_config(file_count, vq.levels, vq.codebook_size), **self._sizes())
        strength = augmentation_strength(file_count)
        minutes = req.minutes if (req.minutes or req.epochs) else DEFAULT_PRIOR_MINUTES
        train = PriorTrainConfig(
            epochs=req.epochs, minutes=minutes, seed=req.seed, strength=strength,
            variants=req.variants if req.variants is not None else augmentation_variants(file_count, strength),
        )
        if req.batch_size is not None:
            train.batch_size = req.batch_size
        return prior, train

    def _extract(self, generator: torch.Generator) -> tuple[CodeSet, CodeSet]:
        """Encode the VQ-VAE's training split (with augmented copies) and validation split into codes."""
        dataset = self.loaded.metadata.get("dataset") or {}
        folder, train_names, val_names = dataset.get("folder"), dataset.get("train_files"), dataset.get("val_files")
        if not folder or train_names is None or val_names is None:
            raise DistillError(f"model '{self.name}' does not record which files it was trained on, so no prior can be trained for it")
        if not Path(folder).is_dir():
            raise DistillError(f"the sounds model '{self.name}' was trained on are no longer in {folder}; put that folder back to train its prior")
        mel = MelSpectrogram(self.loaded.mel)
        clips = {clip.name: clip for clip in load_dataset(folder, mel, min_files=0).clips}
        for missing in [n for n in train_names + val_names if n not in clips]:
            self.emit(SkippedFile(Path(folder) / missing, "no longer in the dataset folder"))
        train_clips = [clips[n] for n in train_names if n in clips]
        val_clips = [clips[n] for n in val_names if n in clips]
        if not train_clips or not val_clips:
            split = "training" if not train_clips else "validation"
            raise DistillError(f"none of the {split} files of model '{self.name}' are left in {folder}; the prior needs them")
        cfg = self.train_cfg
        common = {"gap_columns": cfg.gap_columns, "silence_value": mel.silence_value, "generator": generator}
        train_set = encode_clips(self.loaded.model, train_clips, variants=cfg.variants, strength=cfg.strength, **common)
        val_set = encode_clips(self.loaded.model, val_clips, variants=0, strength=0.0, **common)
        self.counts = {"train_files": len(train_clips), "val_files": len(val_clips)}
        return train_set, val_set

    def _setup(self) -> None:
        req = self.request
        self.path = self.library.resolve(req.model)
        self.loaded = load_vqvae(self.path, device=self.device)
        self.name = self.loaded.name
        self.labels = self.loaded.model.cfg.labels
        # Next to the VQ-VAE run's checkpoint, per file name and VQ-VAE: two copies of a model train apart.
        self.ckpt_path = checkpoint_path(safe_stem(self.path.stem)).with_name(f"prior-{self.loaded.model_id}.pt")
        self.held.enter_context(claim_run(self.ckpt_path, f"prior training of model '{self.name}'"))
        self._check_run()
        self.state = _State()
        saved = None
        if req.resume:
            saved, info = load_checkpoint(self.ckpt_path)
            self.prior_cfg = PriorConfig.from_dict(info["prior"])
            self.train_cfg = PriorTrainConfig.from_dict(info["train"])
            if req.epochs is not None or req.minutes is not None:  # a new budget for the continued run
                self.train_cfg.epochs, self.train_cfg.minutes = req.epochs, req.minutes
            self.counts = info["counts"]
            for key in ("epoch", "step_in_epoch", "steps", "seconds", "history", "best_epoch", "best_val_loss", "partial_ce", "partial_count"):
                setattr(self.state, key, info[key])
            gap = self.train_cfg.gap_columns
            self.train_set = CodeSet(saved["train_codes"], saved["train_lengths"], self.train_cfg.variants + 1, gap)
            self.val_set = CodeSet(saved["val_codes"], saved["val_lengths"], 1, gap)
        else:
            file_count = int((self.loaded.metadata.get("dataset") or {}).get("file_count") or 0)
            self.prior_cfg, self.train_cfg = self._configs(file_count)
            self.train_set, self.val_set = self._extract(torch.Generator().manual_seed(self.train_cfg.seed))
        torch.manual_seed(self.train_cfg.seed)
        self.generator = torch.Generator().manual_seed(self.train_cfg.seed)  # window plans

        self.val_plan = validation_plan(self.val_set)
        self.val_stream = self.val_set.codes.to(self.device)  # [L, N] validation sequences in dataset order
        self.val_after = self.val_set.after_end(self.val_plan.order)[None].to(self.device)  # [1, N] end-head targets
        self.prior = CodePrior(self.prior_cfg).to(self.device)
        self.optimizer = make_optimizer(self.prior, self.train_cfg)
        self.best_state: dict | None = None
        self.plan: WindowPlan | None = None
        self.stream: Tensor | None = None  # [L, N] the epoch's codes in plan order, on the device
        self.after: Tensor | None = None  # [1, N] whether each of them lies after its sound (end-head targets)
        if saved is not None:
            self.prior.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            self.best_state = saved["best"]
            if saved["plan"] is not None:
                self.plan = WindowPlan(**saved["plan"])
            torch.set_rng_state(saved["rng"])
            self.generator.set_state(saved["generator"])

        self.emit(
            PriorTrainingStarted(
                self.name, str(self.device), self.labels, self.counts["train_files"], self.counts["val_files"],
                int(self.train_set.lengths.sum()), int(self.val_set.lengths.sum()), self.prior_cfg, self.train_cfg,
                self.prior.num_params(), self.state.epoch, self.train_cfg.epochs, self.train_cfg.minutes,
            )
        )

    # ---------------------------------------------------------------- loop

    def _learning_rate(self) -> float:
        """Linear warm-up over `warmup_steps`, then constant."""
        cfg = self.train_cfg
        return cfg.learning_rate * min(1.0, (self.state.steps + 1) / max(1, cfg.warmup_steps))

    def _losses(self, stream: Tensor, after: Tensor, starts: Tensor, begins: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Windows of `stream` [L, N] and `after` [1, N] at `starts` [B] -> (loss [], per-level CE sums [L], frames [], end BCE sum []).

        The loss is the mean code cross-entropy plus, with an end head, the mean end binary cross-entropy.
        """
        context = self.prior_cfg.context
        codes, mask = take_windows(stream, starts, context)  # [B, L, C], [B, C]
        h = self.prior.hidden(codes, begins=begins.to(self.device))  # [B, C, d]
        loss, level_sums, frames = prior_loss(self.prior.code_logits(h, codes), codes, mask)
        if self.prior.end is None:
            return loss, level_sums, frames, torch.zeros((), device=self.device)
        targets, _ = take_windows(after, starts, context)  # [B, 1, C]
        end_mean, end_sum = end_loss(self.prior.end_logits(h), targets[:, 0], mask)
        return loss + end_mean, level_sums, frames, end_sum

    @torch.no_grad()
    def _validate(self) -> tuple[list[float], float]:
        """Mean cross-entropy per level, and mean end binary cross-entropy, over the validation windows (no dropout)."""
        self.prior.eval()
        sums = torch.zeros(self.prior_cfg.levels, device=self.device)  # [L]
        count = torch.zeros((), device=self.device)
        end_sum = torch.zeros((), device=self.device)
        batch = self.train_cfg.batch_size
        for first in range(0, len(self.val_plan.starts), batch):
            window = slice(first, first + batch)
            _, level_sums, frames, window_end = self._losses(self.val_stream, self.val_after, self.val_plan.starts[window], self.val_plan.begins[window])
            sums += level_sums
            count += frames
            end_sum += window_end
        self.prior.train()
        return (sums / count.clamp_min(1)).tolist(), float(end_sum / count.clamp_min(1))

    def _checkpoint(self) -> None:
        s = self.state
        info = {
            "prior": self.prior_cfg.to_dict(), "train": self.train_cfg.to_dict(), "counts": self.counts,
            "model_id": self.loaded.model_id,
            "epoch": s.epoch, "step_in_epoch": s.step_in_epoch, "steps": s.steps, "seconds": s.seconds,
            "history": s.history, "best_epoch": s.best_epoch, "best_val_loss": s.best_val_loss,
            "partial_ce": s.partial_ce, "partial_count": s.partial_count,
        }
        plan = None if self.plan is None else {"order": self.plan.order, "starts": self.plan.starts, "begins": self.plan.begins}
        tensors = {
            "model": self.prior.state_dict(), "optimizer": self.optimizer.state_dict(), "best": self.best_state,
            "train_codes": self.train_set.codes, "train_lengths": self.train_set.lengths,
            "val_codes": self.val_set.codes, "val_lengths": self.val_set.lengths,
            "plan": plan, "rng": torch.get_rng_state(), "generator": self.generator.get_state(),
        }
        save_checkpoint(self.ckpt_path, tensors, info)

    def _begin_epoch(self) -> int:
        s, cfg = self.state, self.train_cfg
        if self.plan is None or s.step_in_epoch == 0:
            self.plan = epoch_plan(self.train_set, self.prior_cfg.context, cfg.min_epoch_windows, self.generator)
            s.partial_ce, s.partial_count = [0.0] * self.prior_cfg.levels, 0
        self.stream = self.train_set.stream(self.plan.order).to(self.device)
        self.after = self.train_set.after_end(self.plan.order)[None].to(self.device)  # [1, N]
        self.prior.train()
        return math.ceil(len(self.plan.starts) / cfg.batch_size)

    def _step(self, steps_in_epoch: int) -> None:
        s, cfg = self.state, self.train_cfg
        batch = slice(s.step_in_epoch * cfg.batch_size, (s.step_in_epoch + 1) * cfg.batch_size)
        loss, level_sums, frames, _ = self._losses(self.stream, self.after, self.plan.starts[batch], self.plan.begins[batch])
        self._optimise(loss, self._learning_rate(), self.prior)
        s.partial_ce = [a + b for a, b in zip(s.partial_ce, level_sums.tolist())]
        s.partial_count += int(frames)

    def _converged(self) -> bool:
        s = self.state
        return s.epoch > 0 and s.epoch - s.best_epoch >= PATIENCE

    def _finish_epoch(self) -> None:
        s = self.state
        val_ce, val_end = self._validate()
        train_ce = [total / max(1, s.partial_count) for total in s.partial_ce]
        s.epoch += 1
        val_loss, train_loss = sum(val_ce) / len(val_ce), sum(train_ce) / len(train_ce)
        best = val_loss < s.best_val_loss
        if best:
            s.best_val_loss, s.best_epoch = val_loss, s.epoch
            self.best_state = snapshot(self.prior)
        s.history.append({
            "epoch": s.epoch, "train_loss": train_loss, "val_loss": val_loss, "seconds": round(s.seconds, 2),
            "train_perplexity": [math.exp(x) for x in train_ce], "val_perplexity": [math.exp(x) for x in val_ce],
            **({"val_end_loss": val_end} if self.prior.end is not None else {}),
        })
        warnings = memorisation_warnings(s.history, self.labels)
        if self._converged():
            warnings.append(
                f"validation loss has not improved for {s.epoch - s.best_epoch} epochs (best: epoch {s.best_epoch}): "
                "training stops here and keeps the best weights"
            )
        s.history[-1]["warnings"] = warnings
        s.step_in_epoch = 0
        self.plan = None
        self._checkpoint()
        last = s.history[-1]
        self.emit(PriorEpochReport(s.epoch, s.steps, train_loss, val_loss, last["train_perplexity"], last["val_perplexity"], s.seconds, best, warnings))

    # ---------------------------------------------------------------- finish

    def _save(self, stopped: bool) -> PriorTrainingFinished:
        s = self.state
        self.prior.load_state_dict(self.best_state)
        best = s.history[s.best_epoch - 1]
        memorisation = {
            "rule": MEMORISATION_RULE,
            "flagged": bool(best["warnings"]),
            "warnings": best["warnings"],  # of the saved (best) epoch
            "warned_epochs": [h["epoch"] for h in s.history if h["warnings"]],
        }
        info = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model_id": self.loaded.model_id,
            "train_config": self.train_cfg.to_dict(),
            "data": {**self.counts, "train_frames": int(self.train_set.lengths.sum()), "val_frames": int(self.val_set.lengths.sum())},
            "epochs": s.epoch, "steps": s.steps, "seconds": round(s.seconds, 2), "device": str(self.device), "stopped": stopped,
            "best_epoch": s.best_epoch, "best_val_loss": s.best_val_loss,
            "train_perplexity": best["train_perplexity"], "val_perplexity": best["val_perplexity"],
            "history": s.history,
            "memorisation": memorisation,
            "early_stop": s.epoch if self._converged() else None,
        }
        path, notice = self.library.rewrite(
            self.path, self.loaded.model_id, lambda target: save_prior(target, self.prior, info), lambda target: self._recreate(target, info)
        )
        return PriorTrainingFinished(
            path.stem if notice else self.name, path, s.epoch, s.seconds, s.best_epoch, s.best_val_loss, best["val_perplexity"],
            memorisation, self.prior.num_params(), stopped, notice,
        )

    def _recreate(self, path: Path, info: dict) -> None:
        """Write the VQ-VAE this run started from, with the new prior, as a new model file at `path`."""
        kept = {key: tensor for key, tensor in self.loaded.tensors.items() if not key.startswith(PRIOR_PREFIX)}
        save_model_file(path, kept, {**self.loaded.metadata, "name": path.stem, "prior": None})
        save_prior(path, self.prior, info)


def train_prior(request: PriorTrainRequest, on_event: Callable[[PriorTrainerEvent], None] | None = None, stop: threading.Event | None = None, library: Library | None = None) -> PriorTrainingFinished:
    """Train a prior as requested and store it in the model file; see the module docstring."""
    return PriorTrainer(request, on_event, stop, library).run()
