"""The run skeleton the VQ-VAE trainer and the prior trainer share.

An `EpochLoop` trains epochs of steps until its budget (epochs or minutes) is spent or `stop` is set, keeps
the clock across resumes, writes a checkpoint every `checkpoint_seconds` and at the end of a cut-short run,
and saves the best weights. A subclass says what a run is:

    _setup()            load data and model, or restore both from the checkpoint (sets state, train_cfg)
    _begin_epoch()      the epoch's order of training items -> number of steps in the epoch
    _step(steps)        one optimisation step (`steps`: the epoch's length, for schedules)
    _finish_epoch()     validate, record history and the best weights, checkpoint, report
    _checkpoint()       write everything `--resume` needs
    _save(stopped)      store the best weights -> the "finished" event

and a `_step` ends with `_optimise(loss, learning_rate, module)`: set the rate, backward, clip, step.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from engine.device import resolve_device
from engine.errors import DistillError, LibraryError
from engine.library import Library
from engine.training.checkpoint import remove_abandoned_temporaries
from engine.training.runs import check_run_request


@dataclass
class RunState:
    """Progress a checkpoint restores; trainers add their running sums."""

    epoch: int = 0  # finished epochs
    step_in_epoch: int = 0
    steps: int = 0
    seconds: float = 0.0  # training time, resumed runs included
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0


def snapshot(module: nn.Module) -> dict:
    """A CPU copy of a module's weights (the best epoch's, kept while training goes on)."""
    return copy.deepcopy({k: v.detach().cpu() for k, v in module.state_dict().items()})


class EpochLoop(ABC):
    """One training run; `run()` does the work. See the module docstring for what subclasses provide."""

    what: str = "training"  # names the run in the error when it stops before its first epoch

    def __init__(self, request: Any, on_event: Callable[[Any], None] | None = None, stop: threading.Event | None = None, library: Library | None = None):
        check_run_request(request)
        self.request = request
        self.emit = on_event or (lambda event: None)
        self.stop = stop or threading.Event()
        self.library = library or Library()
        self.device = resolve_device(request.device)
        self.state = RunState()
        self.train_cfg: Any = None  # has epochs, minutes, checkpoint_seconds, grad_clip; set by _setup()
        self.optimizer: torch.optim.Optimizer | None = None  # set by _setup()
        self.held = contextlib.ExitStack()  # what the run holds until it ends (its claim on the checkpoint)

    @abstractmethod
    def _setup(self) -> None:
        ...

    @abstractmethod
    def _begin_epoch(self) -> int:
        ...

    @abstractmethod
    def _step(self, steps_in_epoch: int) -> None:
        ...

    @abstractmethod
    def _finish_epoch(self) -> None:
        ...

    @abstractmethod
    def _checkpoint(self) -> None:
        ...

    @abstractmethod
    def _save(self, stopped: bool) -> Any:
        ...

    def _optimise(self, loss: torch.Tensor, learning_rate: float, module: nn.Module) -> None:
        """One optimizer step on `loss` at `learning_rate`, gradients clipped to `train_cfg.grad_clip`."""
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), self.train_cfg.grad_clip)
        self.optimizer.step()

    def _converged(self) -> bool:
        """True when more epochs would not help (a subclass may stop early); never, by default."""
        return False

    def _budget_left(self) -> bool:
        cfg, s = self.train_cfg, self.state
        out_of_epochs = cfg.epochs is not None and s.epoch >= cfg.epochs
        out_of_time = cfg.minutes is not None and s.seconds >= cfg.minutes * 60
        return not (out_of_epochs or out_of_time or self._converged())

    def _run_epoch(self, clock_start: float, seconds_before: float) -> bool:
        """Train one epoch (or its remainder after a resume). Returns False if stopped or out of time."""
        s, cfg = self.state, self.train_cfg
        steps_in_epoch = self._begin_epoch()
        last_checkpoint = time.monotonic()
        while s.step_in_epoch < steps_in_epoch:
            if self.stop.is_set():
                return False
            if cfg.minutes is not None and s.seconds >= cfg.minutes * 60:
                break  # out of time: this shortened epoch is validated and kept like any other
            self._step(steps_in_epoch)
            s.step_in_epoch += 1
            s.steps += 1
            s.seconds = seconds_before + time.perf_counter() - clock_start
            if time.monotonic() - last_checkpoint > cfg.checkpoint_seconds:
                self._checkpoint()
                last_checkpoint = time.monotonic()
        if s.step_in_epoch == 0:
            return False
        self._finish_epoch()
        return True

    def run(self) -> Any:
        """Set up, train within the budget or until stopped, save the best weights; returns the finished event."""
        remove_abandoned_temporaries()
        with self.held:
            return self._run()

    def _run(self) -> Any:
        self._setup()
        clock_start, seconds_before = time.perf_counter(), self.state.seconds
        stopped = False
        while self._budget_left():
            if not self._run_epoch(clock_start, seconds_before):
                stopped = self.stop.is_set()
                break
        if stopped or self.state.step_in_epoch or self.state.epoch == 0:  # keep the cut-short run for --resume
            self._checkpoint()
        if self.state.epoch == 0:
            raise DistillError(f"{self.what} stopped before the first epoch finished; nothing was saved (run again with --resume to continue)")
        try:
            finished = self._save(stopped)
        except LibraryError as error:  # a full disk, a read-only folder: the last checkpoint still holds the run
            raise DistillError(f"{error}; the checkpoint keeps this {self.what}, so run it again with --resume to save it") from error
        self.emit(finished)
        return finished

