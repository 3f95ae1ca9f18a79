"""Training: the training options (`TrainOptions`) and one run at a time in the training thread, of a new
model (VQ-VAE) on a sound folder or of a model's prior, announced as it goes and stopped on request.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, replace
from pathlib import Path

from engine.core.state import EngineState, lower_thread_priority
from engine.errors import DistillError
from engine.events import EngineEvent, JobFailed, TrainDefaults, TrainJobDone, TrainJobStarted, TrainOptionChanged
from engine.training.runs import (
    Budget,
    TrainOptions,
    check_minutes,
    check_request_options,
    check_train_key,
    check_train_option,
    dataset_folder,
    prior_progress,
    vqvae_progress,
)

log = logging.getLogger("distill.engine")


class TrainingMixin(EngineState):
    """The engine's training options and runs (see the module docstring)."""

    @property
    def train_options(self) -> TrainOptions:
        """The training options (an immutable snapshot)."""
        return self._train_options

    def train_option(self, key: str, value: float | None = None) -> float | int:
        """Set training option `key` (see TrainOptions) and announce it, or report it when `value` is None.

        A whole-number option accepts an integral float (Pd sends only floats); out-of-range values raise
        DistillError and change nothing.
        """
        if value is None:
            return getattr(self._train_options, check_train_key(key))
        value = check_train_option(key, value)
        with self._lock:
            self._train_options = replace(self._train_options, **{key: value})
        self._emit(TrainOptionChanged(key, value))
        return value

    def train_defaults(self, dataset: str) -> Future[TrainDefaults]:
        """Inspect the sound folder `dataset` on the files thread and set the training options to its defaults.

        Every option but the seed takes `adaptive_config`'s value for the folder's count of usable sound
        files, those training would use (each announced); minutes becomes the trainer's default budget. The
        future gives `TrainDefaults` with that count and `dataset` as asked.
        """
        folder = dataset_folder(dataset)
        return self._files.submit(self._defaults_job, dataset, folder)

    def _defaults_job(self, dataset: str, folder: Path) -> TrainDefaults:
        from engine.audio.mel import MelConfig
        from engine.data.dataset import count_usable
        from engine.model.config import DEFAULT_MINUTES, adaptive_config

        files = count_usable(folder, MelConfig().sample_rate)  # what training will use: silent files are not counted
        model, _ = adaptive_config(files)
        with self._lock:
            options = TrainOptions(  # the seed and the waveform head choice are the user's, not the dataset's
                model.levels, model.codebook_size, model.codebook_dim, model.commitment_weight, model.hidden, DEFAULT_MINUTES,
                self._train_options.seed, self._train_options.waveform_head,
            )
            self._train_options = options
        for key, value in asdict(options).items():
            self._emit(TrainOptionChanged(key, value))
        return TrainDefaults(dataset, files)

    def train_start(self, dataset: str, name: str, minutes: float | None = None, **options) -> None:
        """Start training a new model `name` on the sound folder `dataset` in the training thread.

        Trains with the training options; `minutes` (0 or None: the minutes option) and `options` (further
        `TrainRequest` fields: epochs, levels, ...) override them. Announces `TrainJobStarted`, then
        `TrainProgress` per epoch and `TrainJobDone` (or `JobFailed` with job "train").
        """
        from engine.library import check_name
        from engine.training.trainer import TrainRequest, train

        folder = dataset_folder(dataset)
        check_name(name)
        check_minutes(minutes)
        check_request_options(TrainRequest, options, {"dataset", "name", "minutes"})
        chosen = {**self._train_options.request_fields(), **options}
        if minutes:
            chosen["minutes"] = minutes
        request = TrainRequest(dataset=folder, name=name, device=self.device, **chosen)
        self._start_training("train", name, lambda on_event, stop: train(request, on_event, stop, self.library), vqvae_progress)

    def prior_train_start(self, model: str, minutes: float | None = None, restart: bool = False, **options) -> None:
        """Start training the prior of model `model` (library name or file) in the training thread.

        `minutes` 0 or None: the default budget; `restart` replaces an existing prior or an unfinished run;
        `options` are further `PriorTrainRequest` fields (epochs, context, ...). Announces `TrainJobStarted`,
        then `PriorTrainProgress` per epoch and `TrainJobDone` (or `JobFailed`), all with job "prior/train".
        When that model is the loaded one, it is loaded again (with its new prior) before `TrainJobDone`.
        """
        from engine.prior.train import PriorTrainRequest, train_prior

        path = self._find(model).path  # a missing or damaged model file is refused now
        check_minutes(minutes)
        check_request_options(PriorTrainRequest, options, {"model", "minutes", "restart", "resume", "device"})
        request = PriorTrainRequest(model=path, minutes=minutes or None, restart=bool(restart), device=self.device, **options)

        def run(on_event, stop):
            finished = train_prior(request, on_event, stop, self.library)
            current = self._model
            if current is not None and current.info.path.resolve() == finished.path.resolve():
                self.load_model_async(str(finished.path)).result()
            return finished

        self._start_training("prior/train", model, run, prior_progress)

    def _start_training(self, job: str, name: str, run: Callable, translate: Callable) -> None:
        """Run `run(on_event, stop)` (a trainer) in the training thread, its events translated by
        `translate(event, budget)`; refused while another run is going."""
        with self._train_lock:
            if self._train_busy:
                raise DistillError("a training run is already going; stop it first (/distill/train/stop)")
            self._train_busy = True
            stop = threading.Event()
            self._train_stop = stop
            thread = threading.Thread(target=self._training_job, args=(job, name, run, translate, stop), name="distill-train", daemon=True)
            self._train_thread = thread
        self._emit(TrainJobStarted(job, name))  # outside the lock: a listener may ask whether a run is going
        try:
            thread.start()
        except RuntimeError as error:  # no thread could be started: no run is going
            with self._train_lock:
                self._train_busy = False
            self._emit(JobFailed(job, f"the training thread could not start ({error})"))
            raise

    def _training_job(self, job: str, name: str, run: Callable, translate: Callable, stop: threading.Event) -> None:
        lower_thread_priority()
        budget = Budget()

        def on_event(event) -> None:
            progress = translate(event, budget)
            if progress is not None:
                self._emit(progress)

        try:
            last: EngineEvent = TrainJobDone(job, name, run(on_event, stop).stopped)
        except (DistillError, ValueError) as error:
            last = JobFailed(job, str(error))
        except Exception as error:  # noqa: BLE001 - a bug: logged in full, and clients still learn the run ended
            log.error("%s failed:\n%s", job, traceback.format_exc())
            last = JobFailed(job, f"internal error ({type(error).__name__}); see the engine's log")
        finally:
            with self._train_lock:  # a client told the run ended may start the next one at once
                self._train_busy = False
        self._emit(last)

    def train_stop(self) -> None:
        """Ask the training run (VQ-VAE or prior) to stop; it saves its best weights and then sends `TrainJobDone`."""
        if not self.training:
            raise DistillError("no training run is going")
        self._train_stop.set()

    @property
    def training(self) -> bool:
        """Whether a training run is going (until just before its `TrainJobDone` or `JobFailed`)."""
        return self._train_busy
