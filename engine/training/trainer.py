"""The RVQ-VAE training loop (VQVAE-01..07, CLI-01): dataset -> chunks -> model -> library entry.

`train(request, on_event=..., stop=...)` runs synchronously and reports through events, so the CLI draws a
progress bar, the resident engine forwards OSC messages and a test collects them, all from the same loop.

- The split is by file; chunks of ~1.5 s with padding masks; augmentation in the log-mel domain.
- An epoch is one pass over the training chunks, repeated until it holds at least `MIN_EPOCH_VIEWS` chunk
  views (small datasets would otherwise spend more time validating and checkpointing than training).
- k-means initialisation runs on a dedicated first batch holding at least 4 vectors per code, in training
  mode, before any evaluation pass (the library would otherwise initialise from whatever batch came first).
- Two phases (see engine/training/adversarial.py): "spectral" trains everything with the multi-scale L1 and
  keeps its best epoch by held-out L1; "adversarial", the last `adversarial.SHARE` of the budget, starts from
  those weights and fine-tunes the decoder alone against log-mel discriminators, codes frozen, and keeps its
  last epoch.
- The waveform head (engine/training/vocoder.py) is opt-in (`waveform_head`, `distill train --waveform-head`;
  experimental: on 2 CPU cores it lost to Griffin-Lim, see docs/benchmarks.md). When asked for, it takes one
  step after every VQ-VAE step, in both phases, on crops of the training waves; the model file holds its last
  weights and names it as the inverter when it beats Griffin-Lim on the held-out files
  (`vocoder.choose_inverter`), else names Griffin-Lim. Without it no head is built, stepped or checkpointed and
  the model file names Griffin-Lim. A resumed run keeps the original run's choice (it is in the TrainConfig).
- A checkpoint is written after every epoch and every `checkpoint_seconds`, with optimizer, discriminator and
  RNG state and the phase, so `resume` continues exactly where it stopped.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch

from engine.audio.mel import MelConfig, MelSpectrogram
from engine.data.augment import augment, augmentation_strength
from engine.data.chunks import make_chunks
from engine.data.dataset import Dataset, SkippedFile, load_dataset, split_by_file
from engine.errors import DistillError
from engine.library import Library, check_name
from engine.model.config import DEFAULT_MINUTES, ModelConfig, TrainConfig, adaptive_config
from engine.model.losses import masked_mel_l1, vqvae_loss
from engine.model.persist import save_vqvae
from engine.model.vqvae import ConvVQVAE
from engine.model.waveform_head import HeadConfig, WaveformHead
from engine.model_health import ModelHealth
from engine.modelfile import read_model_metadata
from engine.training import adversarial, vocoder
from engine.training.adversarial import AdversarialLosses, AdversarialPhase, freeze_codes
from engine.training.checkpoint import checkpoint_path, claim_run, load_checkpoint, save_checkpoint
from engine.training.health import LevelHealth, level_health, usage_counts, warnings_for
from engine.training.loop import EpochLoop, RunState, snapshot
from engine.training.vocoder import HeadLosses, HeadTraining

MIN_EPOCH_VIEWS = 400
INIT_VECTORS_PER_CODE = 4
WARMUP = 0.03  # share of the budget spent ramping the learning rate up
PHASES = ("spectral", "adversarial")


@dataclass
class TrainRequest:
    """What the user asked for (`distill train ...`, `/distill/train/start`)."""

    dataset: Path
    name: str
    levels: int = ModelConfig.levels
    codebook_dim: int = ModelConfig.codebook_dim
    codebook_size: int | None = None  # None: adapts to the dataset
    commitment_weight: float = ModelConfig.commitment_weight
    hidden: int = ModelConfig.hidden  # conv channels; smaller trains faster and reconstructs less well
    epochs: int | None = None
    minutes: float | None = None  # neither epochs nor minutes: DEFAULT_MINUTES
    device: str = "auto"
    resume: bool = False
    seed: int = 0
    description: str = ""
    waveform_head: bool = False  # also learn the experimental waveform inverter (engine/training/vocoder.py)


@dataclass
class TrainingStarted:
    """Sent once the data is loaded and the model built."""

    name: str
    device: str
    train_files: int
    val_files: int
    train_chunks: int
    model: ModelConfig
    train: TrainConfig
    start_epoch: int  # epochs already done (resume)
    epochs: int | None
    minutes: float | None


@dataclass
class EpochReport:
    """Sent after every epoch."""

    epoch: int
    steps: int
    train_loss: float  # the multi-scale reconstruction loss (plus commitment in the spectral phase)
    val_l1: float  # held-out log-mel L1 (natural log, floor 1e-5)
    seconds: float  # training time so far, resumed runs included
    health: list[LevelHealth]
    warnings: list[str]
    best: bool  # these weights are the ones kept so far
    phase: str = "spectral"  # one of PHASES
    losses: dict[str, float] | None = None  # the adversarial phase's mean losses (AdversarialLosses' fields)
    head_losses: dict[str, float] | None = None  # the waveform head's mean losses (HeadLosses' fields)


@dataclass
class TrainingFinished:
    """Sent when the model is saved (after the budget, or after a stop)."""

    name: str
    path: Path
    epochs: int
    seconds: float
    best_epoch: int
    best_val_l1: float
    health: list[LevelHealth]
    stopped: bool
    notice: str = ""  # one sentence when the model was saved under another name than asked for, else ""


TrainerEvent = TrainingStarted | EpochReport | TrainingFinished | SkippedFile


@dataclass
class _State(RunState):
    """Everything a checkpoint restores."""

    best_val_l1: float = math.inf
    phase: str = "spectral"
    partial_loss: float = 0.0  # running sum of the unfinished epoch's losses
    partial_adversarial: dict | None = None  # running sums of the unfinished adversarial epoch's losses
    partial_counts: torch.Tensor | None = None  # [L, K] usage in the unfinished epoch
    partial_head: dict | None = None  # running sums of the unfinished epoch's waveform head losses
    head_seconds: float = 0.0  # of `seconds`, spent training the waveform head


class Trainer(EpochLoop):
    """One VQ-VAE training run; `run()` does the work. Use `train()` unless you need the pieces."""

    def __init__(self, request: TrainRequest, on_event: Callable[[TrainerEvent], None] | None = None, stop: threading.Event | None = None, library: Library | None = None):
        super().__init__(request, on_event, stop, library)
        # Names ignore case: a run named SmallKit is the run (and model) of a library's smallkit. The name is
        # checked first: '.' or '..' would name the checkpoints folder or the data folder as the run's folder.
        name = self.library.canonical_name(check_name(request.name))
        if name == request.name:
            name = checkpoint_path(name).parent.name
        self.request = replace(request, name=name)
        self.ckpt_path = checkpoint_path(name)

    # ---------------------------------------------------------------- setup

    def _check_name(self) -> None:
        """Refuse to overwrite a finished model or silently abandon an interrupted run.

        `--resume` of a finished run is refused when its model has a prior (training the VQ-VAE on would
        leave the prior fitted to other codes); otherwise the continued run replaces the model it saved
        before, and only that one (see `_replaces`).
        """
        self.model_path = self.library.path_for(self.request.name)
        self.held.enter_context(claim_run(self.ckpt_path, f"a training run named '{self.request.name}'"))
        if self.request.resume:
            if not self.ckpt_path.exists():
                raise DistillError(f"nothing to resume: no interrupted or earlier run named '{self.request.name}'")
            if self.model_path.exists() and read_model_metadata(self.model_path).get("prior"):
                raise DistillError(
                    f"model '{self.request.name}' already has a prior, which continued training would leave behind; "
                    "train a new model under another --name instead"
                )
            return
        if self.ckpt_path.exists():
            raise DistillError(f"a training run named '{self.request.name}' already exists; choose another name (or continue that run: `distill train --resume`)")
        if self.model_path.exists():
            raise DistillError(f"a model named '{self.request.name}' is already in the library; choose another name")

    def _load_data(self, mel_cfg: MelConfig) -> Dataset:
        self.mel = MelSpectrogram(mel_cfg)
        return load_dataset(self.request.dataset, self.mel, on_skip=self.emit)

    def _setup(self) -> None:
        req = self.request
        self._check_name()
        self.state = _State()
        saved = None
        if req.resume:
            saved, info = load_checkpoint(self.ckpt_path)
            self.mel_cfg = MelConfig.from_dict(info["mel"])
            self.model_cfg = ModelConfig.from_dict(info["model"])
            self.train_cfg = TrainConfig.from_dict(info["train"])
            if req.epochs is not None or req.minutes is not None:  # a new budget for the continued run
                self.train_cfg.epochs, self.train_cfg.minutes = req.epochs, req.minutes
            dataset = self._load_data(self.mel_cfg)
            by_name = {clip.name: clip for clip in dataset.clips}
            missing = [n for n in info["train_files"] + info["val_files"] if n not in by_name]
            if missing:
                raise DistillError(f"cannot resume: {len(missing)} training files are gone from {req.dataset} (first: {missing[0]})")
            self.train_clips = [by_name[n] for n in info["train_files"]]
            self.val_clips = [by_name[n] for n in info["val_files"]]
            for key in ("epoch", "step_in_epoch", "steps", "seconds", "history", "best_epoch", "best_val_l1", "partial_loss"):
                setattr(self.state, key, info[key])
            self.state.phase = info.get("phase", "spectral")
            self.state.partial_adversarial = info.get("partial_adversarial")
            self.state.partial_head = info.get("partial_head")
            self.state.head_seconds = info.get("head_seconds", 0.0)
            self.run_id = info.get("run_id") or uuid.uuid4().hex  # checkpoints of older versions have none
        else:
            self.mel_cfg = MelConfig()
            dataset = self._load_data(self.mel_cfg)
            minutes = req.minutes if (req.minutes or req.epochs) else DEFAULT_MINUTES
            train_cfg = TrainConfig(epochs=req.epochs, minutes=minutes, seed=req.seed, waveform_head=req.waveform_head)
            self.model_cfg, self.train_cfg = adaptive_config(
                dataset.file_count,
                levels=req.levels,
                codebook_dim=req.codebook_dim,
                codebook_size=req.codebook_size,
                commitment_weight=req.commitment_weight,
                hidden=req.hidden,
                train=train_cfg,
            )
            self.train_clips, self.val_clips = split_by_file(dataset.clips, val_fraction=self.train_cfg.val_fraction, seed=req.seed)
            self.run_id = uuid.uuid4().hex
        self.dataset = dataset
        torch.manual_seed(self.train_cfg.seed)
        self.generator = torch.Generator().manual_seed(self.train_cfg.seed)

        silence = self.mel.silence_value
        chunk = self.train_cfg.chunk_frames
        train_mels, train_mask, _ = make_chunks(self.train_clips, chunk_frames=chunk, silence_value=silence)
        val_mels, val_mask, _ = make_chunks(self.val_clips, chunk_frames=chunk, silence_value=silence)
        if not req.resume:
            real = train_mels.transpose(1, 2)[train_mask]  # [frames, M]
            self.model_cfg.mel_mean = float(real.mean())
            self.model_cfg.mel_std = float(real.std().clamp_min(1e-3))
        self.train_mels, self.train_mask = train_mels.to(self.device), train_mask.to(self.device)  # [N, M, T], [N, T]
        self.val_mels, self.val_mask = val_mels.to(self.device), val_mask.to(self.device)
        self.strength = self.train_cfg.augmentation if self.train_cfg.augmentation is not None else augmentation_strength(dataset.file_count)

        self.model = ConvVQVAE(self.model_cfg).to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.train_cfg.learning_rate, weight_decay=self.train_cfg.weight_decay)
        self.head: WaveformHead | None = None
        self.head_training: HeadTraining | None = None
        if self.train_cfg.waveform_head:
            self._build_head()
        self.best_state: dict | None = None
        self.permutation: torch.Tensor | None = None
        self.adversarial: AdversarialPhase | None = None
        if saved is not None:
            self.model.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            self.best_state = saved.get("best")
            self.permutation = saved.get("permutation")
            self.state.partial_counts = saved.get("partial_counts")
            if self.head is not None and saved.get("head") is not None:  # checkpoints of older versions have no head: it starts afresh
                self.head.load_state_dict(saved["head"])
                self.head_training.load_state_dict(saved["head_training"])
            if self.state.phase == "adversarial":
                self.adversarial = AdversarialPhase(self.model, self.device, self.generator)
                self.adversarial.load_state_dict(saved["adversarial"])
            torch.set_rng_state(saved["rng"])
            self.generator.set_state(saved["generator"])

        self.emit(
            TrainingStarted(
                req.name, str(self.device), len(self.train_clips), len(self.val_clips), len(self.train_mels),
                self.model_cfg, self.train_cfg, self.state.epoch, self.train_cfg.epochs, self.train_cfg.minutes,
            )
        )
        self._init_codebooks()

    def _build_head(self) -> None:
        """The waveform head and its training; its initial weights leave the VQ-VAE's random draws as they were."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.train_cfg.seed + vocoder.SEED_OFFSET)
            head_cfg = HeadConfig(dim=self.model_cfg.hidden, mel_mean=self.model_cfg.mel_mean, mel_std=self.model_cfg.mel_std)
            self.head = WaveformHead(head_cfg, self.mel_cfg).to(self.device)
        head_mel = MelSpectrogram(self.mel_cfg).to(self.device)
        self.head_training = HeadTraining(self.head, head_mel, [clip.wave for clip in self.train_clips], self.train_cfg.seed)

    # ---------------------------------------------------------------- loop

    def _init_codebooks(self) -> None:
        """k-means on one batch with at least INIT_VECTORS_PER_CODE vectors per code, before anything else."""
        if self.model.quantizer.initialised:
            return
        columns = self.model.num_columns(self.train_cfg.chunk_frames)
        needed = math.ceil(INIT_VECTORS_PER_CODE * self.model_cfg.codebook_size / columns)
        index = torch.randperm(len(self.train_mels), generator=self.generator)
        index = index.repeat(math.ceil(needed / len(index)))[:needed]  # augmented repeats when data is scarce
        mels, mask = augment(self.train_mels[index], self.train_mask[index], strength=self.strength, generator=self.generator, silence_value=self.mel.silence_value)
        self.model.train()
        with torch.no_grad():
            self.model(mels.unsqueeze(1), mask)

    def _epoch_order(self) -> torch.Tensor:
        n = len(self.train_mels)
        repeats = max(1, math.ceil(MIN_EPOCH_VIEWS / n))
        return torch.cat([torch.randperm(n, generator=self.generator) for _ in range(repeats)])

    @torch.no_grad()
    def _validate(self) -> float:
        """Masked log-mel L1 (scale 1 only: the figure users compare) over the validation chunks."""
        self.model.eval()
        total, frames = 0.0, 0
        for start in range(0, len(self.val_mels), 32):
            mels = self.val_mels[start : start + 32].unsqueeze(1)  # [b, 1, M, T]
            mask = self.val_mask[start : start + 32]
            recon, _, _ = self.model(mels)
            n = int(mask.sum())
            total += float(masked_mel_l1(recon, mels, mask)) * n
            frames += n
        self.model.train()
        return total / max(frames, 1)

    def _checkpoint(self) -> None:
        s = self.state
        info = {
            "mel": self.mel_cfg.to_dict(), "model": self.model_cfg.to_dict(), "train": self.train_cfg.to_dict(),
            "dataset": str(self.request.dataset), "run_id": self.run_id,
            "train_files": [c.name for c in self.train_clips], "val_files": [c.name for c in self.val_clips],
            "epoch": s.epoch, "step_in_epoch": s.step_in_epoch, "steps": s.steps, "seconds": s.seconds,
            "history": s.history, "best_epoch": s.best_epoch, "best_val_l1": s.best_val_l1, "partial_loss": s.partial_loss,
            "phase": s.phase, "partial_adversarial": s.partial_adversarial,
            **({"partial_head": s.partial_head, "head_seconds": s.head_seconds} if self.head is not None else {}),
        }
        tensors = {
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "best": self.best_state,
            "permutation": self.permutation, "partial_counts": s.partial_counts,
            "adversarial": self.adversarial.state_dict() if self.adversarial else None,
            **({"head": self.head.state_dict(), "head_training": self.head_training.state_dict()} if self.head is not None else {}),
            "rng": torch.get_rng_state(), "generator": self.generator.get_state(),
        }
        save_checkpoint(self.ckpt_path, tensors, info)

    def _progress(self, steps_in_epoch: int) -> float:
        """How far through the budget training is, 0..1 (the larger of the time and epoch fractions)."""
        cfg, s = self.train_cfg, self.state
        fractions = [0.0]
        if cfg.minutes:
            fractions.append(s.seconds / (cfg.minutes * 60))
        if cfg.epochs:
            fractions.append((s.epoch + s.step_in_epoch / steps_in_epoch) / cfg.epochs)
        return min(1.0, max(fractions))

    def _begin_epoch(self) -> int:
        s = self.state
        if self.permutation is None or s.step_in_epoch == 0:
            if s.phase == "spectral" and self._progress(1) >= 1 - adversarial.SHARE:
                self._start_adversarial_phase()
            self.permutation = self._epoch_order()
            s.partial_loss = 0.0
            s.partial_adversarial = vars(AdversarialLosses()) if s.phase == "adversarial" else None
            s.partial_head = vars(HeadLosses()) if self.head is not None else None
            s.partial_counts = torch.zeros(self.model_cfg.levels, self.model_cfg.codebook_size, dtype=torch.long)
        self.model.train()
        if self.adversarial is not None:
            freeze_codes(self.model)
        return math.ceil(len(self.permutation) / self.train_cfg.batch_size)

    def _start_adversarial_phase(self) -> None:
        """From the spectral phase's best weights on, only the decoder learns, against the discriminators."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.adversarial = AdversarialPhase(self.model, self.device, self.generator)
        self.state.phase = "adversarial"

    def _step(self, steps_in_epoch: int) -> None:
        s, cfg = self.state, self.train_cfg
        index = self.permutation[s.step_in_epoch * cfg.batch_size : (s.step_in_epoch + 1) * cfg.batch_size]
        mels, mask = augment(self.train_mels[index], self.train_mask[index], strength=self.strength, generator=self.generator, silence_value=self.mel.silence_value)
        mels = mels.unsqueeze(1)  # [B, 1, M, T]
        if self.adversarial is not None:
            losses, indices = self.adversarial.step(mels, mask, cfg.grad_clip)
            s.partial_loss += losses.reconstruction
            s.partial_adversarial = {key: value + getattr(losses, key) for key, value in s.partial_adversarial.items()}
        else:
            recon, indices, commit = self.model(mels, mask)
            loss, _ = vqvae_loss(recon, mels, commit, mask)
            spectral_progress = min(1.0, self._progress(steps_in_epoch) / (1 - adversarial.SHARE))  # anneal by the phase's end
            self._optimise(loss, learning_rate(cfg.learning_rate, spectral_progress), self.model)
            s.partial_loss += loss.item()
        s.partial_counts += usage_counts(indices, self.model_cfg.codebook_size, self.model._column_mask(mask)).cpu()
        if self.head is not None:
            self._head_step(steps_in_epoch)

    def _head_step(self, steps_in_epoch: int) -> None:
        """One step of the waveform head (after the VQ-VAE's; in the adversarial phase on its decoder's output)."""
        s, cfg = self.state, self.train_cfg
        started = time.perf_counter()
        head = self.head_training.step(learning_rate(vocoder.LEARNING_RATE, self._progress(steps_in_epoch)), cfg.grad_clip, self.model if self.adversarial else None)
        s.partial_head = {key: value + getattr(head, key) for key, value in (s.partial_head or vars(HeadLosses())).items()}
        s.head_seconds += time.perf_counter() - started

    def _finish_epoch(self) -> None:
        s = self.state
        steps_in_epoch = s.step_in_epoch
        val_l1 = self._validate()
        health = level_health(s.partial_counts, self.model_cfg.labels)
        s.epoch += 1
        best = val_l1 < s.best_val_l1 or s.phase == "adversarial"  # the adversarial phase keeps its last epoch
        if best:
            s.best_val_l1, s.best_epoch = val_l1, s.epoch
            self.best_state = snapshot(self.model)
        train_loss = s.partial_loss / steps_in_epoch
        losses = None if s.partial_adversarial is None else {k: v / steps_in_epoch for k, v in s.partial_adversarial.items()}
        head_losses = None if self.head is None else {k: v / steps_in_epoch for k, v in (s.partial_head or vars(HeadLosses())).items()}
        s.history.append({
            "epoch": s.epoch, "phase": s.phase, "train_loss": train_loss, "val_l1": val_l1, "seconds": round(s.seconds, 2),
            "utilisation": [h.utilisation for h in health], "perplexity": [h.perplexity for h in health], "dead": [h.dead for h in health],
            **({"losses": losses} if losses else {}), **({"head_losses": head_losses} if head_losses else {}),
        })
        s.step_in_epoch = 0
        self.permutation = None
        self._checkpoint()
        self.emit(EpochReport(s.epoch, s.steps, train_loss, val_l1, s.seconds, health, warnings_for(health), best, s.phase, losses, head_losses))

    # ---------------------------------------------------------------- finish

    @torch.no_grad()
    def _final_health(self) -> tuple[list[LevelHealth], torch.Tensor]:
        """Usage of the saved weights over every chunk, train and validation, without augmentation."""
        self.model.eval()
        counts = torch.zeros(self.model_cfg.levels, self.model_cfg.codebook_size, dtype=torch.long)
        for mels, mask in ((self.train_mels, self.train_mask), (self.val_mels, self.val_mask)):
            for start in range(0, len(mels), 32):
                _, indices, _ = self.model(mels[start : start + 32].unsqueeze(1))
                counts += usage_counts(indices, self.model_cfg.codebook_size, self.model._column_mask(mask[start : start + 32])).cpu()
        return level_health(counts, self.model_cfg.labels), counts

    def _save(self, stopped: bool) -> TrainingFinished:
        s = self.state
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        health, counts = self._final_health()
        inverters = vocoder.choose_inverter(self.model, self.head, self.val_clips) if self.head is not None else None
        head = self.head if inverters and inverters["inverter"] == "waveform-head" else None
        summary = self.dataset.summary()
        summary["train_files"] = [c.name for c in self.train_clips]
        summary["val_files"] = [c.name for c in self.val_clips]
        metadata = {
            "name": self.request.name,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "description": self.request.description,
            "tags": [],
            "dataset": summary,
            "train_config": self.train_cfg.to_dict(),
            "training": {
                "epochs": s.epoch, "steps": s.steps, "seconds": round(s.seconds, 2), "device": str(self.device),
                "best_epoch": s.best_epoch, "best_val_l1": s.best_val_l1, "history": s.history, "stopped": stopped,
                "phases": {"adversarial_share": adversarial.SHARE, "reached": s.phase, **({"head_seconds": round(s.head_seconds, 2)} if inverters else {})},
                **({"inverters": inverters} if inverters else {}),
                "run_id": self.run_id,
            },
            "health": ModelHealth(tuple(health), tuple(map(tuple, counts.tolist()))).to_metadata(),
            "prior": None,
        }
        entry, notice = self.library.save_new(
            self.request.name, lambda path: save_vqvae(path, self.model, self.mel_cfg, {**metadata, "name": path.stem}, head=head), self._replaces
        )
        return TrainingFinished(entry.name, entry.path, s.epoch, s.seconds, s.best_epoch, s.best_val_l1, health, stopped, notice)

    def _replaces(self, metadata: dict) -> bool:
        """Whether the library model of this run's name may be replaced: only this run's own earlier result, without a prior."""
        training = metadata.get("training")
        return isinstance(training, dict) and training.get("run_id") == self.run_id and not metadata.get("prior")


def learning_rate(peak: float, progress: float) -> float:
    """Linear warm-up over the first 3 % of the budget, then cosine decay to a tenth of `peak`.

    Tying the schedule to the budget (time or epochs) lets a 10-minute run end as well annealed as a long one.
    """
    if progress < WARMUP:
        return peak * (0.1 + 0.9 * progress / WARMUP)
    decay = (progress - WARMUP) / (1 - WARMUP)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * decay)))


def train(request: TrainRequest, on_event: Callable[[TrainerEvent], None] | None = None, stop: threading.Event | None = None, library: Library | None = None) -> TrainingFinished:
    """Train a model as requested and save it in the library; see the module docstring."""
    return Trainer(request, on_event, stop, library).run()
