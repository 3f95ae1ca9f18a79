"""Live training displays for the terminal (a progress bar and one line per epoch, from trainer events),
and the Ctrl-C handling shared by the long-running commands."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli.render import health_rows, level_line
from engine.data.dataset import SkippedFile
from engine.training.trainer import EpochReport, TrainingFinished, TrainingStarted


def console() -> Console:
    """A console that does not hard-wrap long lines when output goes to a file or pipe."""
    return Console(soft_wrap=True)


@contextlib.contextmanager
def stop_on_signals(console: Console, saved: str) -> Iterator[threading.Event]:
    """Yield an event that SIGINT/SIGTERM set, so the job stops cleanly and saves `saved`; a second Ctrl-C aborts."""
    stop = threading.Event()

    def request_stop(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        console.print(f"stopping after this step; {saved} will be saved (press Ctrl-C again to abort)")
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_until_stopped(display: EpochDisplay, saved: str, job: Callable[..., object]) -> None:
    """Run `job(on_event=display, stop=...)` until its budget is spent or Ctrl-C / SIGTERM stops it cleanly
    (saving `saved`), then close `display`."""
    try:
        with stop_on_signals(display.console, saved) as stop:
            job(on_event=display, stop=stop)
    finally:
        display.close()


class EpochDisplay:
    """Progress bar over a time or epoch budget plus printed lines; subclasses render their events."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.task = None
        self.by_minutes = False

    def start_progress(self, epochs: int | None, minutes: float | None) -> None:
        """Show the bar: over seconds when the budget is a time, over epochs otherwise."""
        self.by_minutes = epochs is None
        self.progress.start()
        self.task = self.progress.add_task("epoch 0", total=minutes * 60 if self.by_minutes else epochs, status="")

    def advance(self, epoch: int, seconds: float, status: str) -> None:
        """Move the bar after an epoch."""
        self.progress.update(self.task, completed=seconds if self.by_minutes else epoch, description=f"epoch {epoch}", status=status)

    def skipped(self, event: SkippedFile) -> None:
        """One line per file left out of the dataset."""
        self.console.print(f"skipped {event.path}: {event.reason}", highlight=False)

    def close(self) -> None:
        """Stop the live display (also after an error)."""
        self.progress.stop()


PHASE_INTROS = {
    "spectral": "phase 1, spectral: encoder, codebooks and decoder learn the sounds{head} (* marks the best epoch so far)",
    "adversarial": "phase 2, adversarial: the codes are fixed; the decoder learns detail and attacks against a discriminator{head}",
}
HEAD_INTROS = {  # what the waveform head does in each phase, said only when the run trains one (--waveform-head)
    "spectral": ", the waveform head learns their waves",
    "adversarial": ", the waveform head learns from its output",
}


class TrainDisplay(EpochDisplay):
    """Turns VQ-VAE training events into a progress bar and one line per epoch."""

    phase = ""  # the phase of the last epoch shown
    head = False  # whether the run trains the waveform head

    def __call__(self, event) -> None:
        if isinstance(event, SkippedFile):
            self.skipped(event)
        elif isinstance(event, TrainingStarted):
            self._started(event)
        elif isinstance(event, EpochReport):
            self._epoch(event)
        elif isinstance(event, TrainingFinished):
            self._finished(event)

    def _started(self, e: TrainingStarted) -> None:
        m = e.model
        self.head = e.train.waveform_head
        self.console.print(
            f"training '{e.name}' on {e.device}: {e.train_files} training files ({e.train_chunks} chunks), "
            f"{e.val_files} validation files; {m.levels} levels x {m.codebook_size} codes of dim {m.codebook_dim}, "
            f"commitment weight {m.commitment_weight}" + (f"; resuming after epoch {e.start_epoch}" if e.start_epoch else ""),
            highlight=False,
        )
        self.start_progress(e.epochs, e.minutes)

    def _epoch(self, e: EpochReport) -> None:
        if e.phase != self.phase:
            head = HEAD_INTROS[e.phase] if self.head else ""
            self.progress.console.print(PHASE_INTROS[e.phase].format(head=head), highlight=False)
            self.phase = e.phase
        if e.losses:  # the adversarial phase: the decoder's losses and the discriminators'
            losses = e.losses
            detail = f"adv {losses['adversarial']:.3f}  feat {losses['feature_matching']:.3f}  disc {losses['discriminator']:.3f}"
        else:
            detail = " | ".join(level_line(h) for h in e.health)
        if e.head_losses:  # the waveform head trains in both phases
            detail += f"  head stft {e.head_losses['head_stft']:.3f}  mel {e.head_losses['head_mel']:.3f}"
        self.progress.console.print(
            f"epoch {e.epoch:>3}  loss {e.train_loss:.4f}  val L1 {e.val_l1:.4f}{' *' if e.best else '  '}  {detail}", highlight=False
        )
        for warning in e.warnings:
            self.progress.console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
        self.advance(e.epoch, e.seconds, f"{e.phase} · val L1 {e.val_l1:.3f}")

    def _finished(self, e: TrainingFinished) -> None:
        self.progress.stop()
        how = "stopped" if e.stopped else "finished"
        self.console.print(
            f"{how} after {e.epochs} epochs in {e.seconds / 60:.1f} min; best validation L1 {e.best_val_l1:.4f} (epoch {e.best_epoch})",
            highlight=False,
        )
        self.console.print("codebook health:")
        for row in health_rows(e.health):
            self.console.print(row, highlight=False)
        if e.notice:
            self.console.print(f"[yellow]note:[/yellow] {e.notice}", highlight=False)
        self.console.print(f"saved '{e.name}' to {e.path}", highlight=False)
