"""Live training display for the terminal: a progress bar and one line per epoch, from trainer events."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli.render import health_rows, level_line
from engine.data.dataset import SkippedFile
from engine.training.trainer import EpochReport, TrainingFinished, TrainingStarted


def console() -> Console:
    """A console that does not hard-wrap long lines when output goes to a file or pipe."""
    return Console(soft_wrap=True)


class TrainDisplay:
    """Turns training events into a progress bar and one line per epoch."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.task = None
        self.by_minutes = False

    def __call__(self, event) -> None:
        if isinstance(event, SkippedFile):
            self.console.print(f"skipped {event.path}: {event.reason}", highlight=False)
        elif isinstance(event, TrainingStarted):
            self._started(event)
        elif isinstance(event, EpochReport):
            self._epoch(event)
        elif isinstance(event, TrainingFinished):
            self._finished(event)

    def _started(self, e: TrainingStarted) -> None:
        m = e.model
        self.console.print(
            f"training '{e.name}' on {e.device}: {e.train_files} training files ({e.train_chunks} chunks), "
            f"{e.val_files} validation files; {m.levels} levels x {m.codebook_size} codes of dim {m.codebook_dim}, "
            f"commitment weight {m.commitment_weight}" + (f"; resuming after epoch {e.start_epoch}" if e.start_epoch else ""),
            highlight=False,
        )
        self.by_minutes = e.epochs is None
        total = e.minutes * 60 if self.by_minutes else e.epochs
        self.progress.start()
        self.task = self.progress.add_task("epoch 0", total=total, status="")

    def _epoch(self, e: EpochReport) -> None:
        levels = " | ".join(level_line(h) for h in e.health)
        self.progress.console.print(
            f"epoch {e.epoch:>3}  loss {e.train_loss:.4f}  val L1 {e.val_l1:.4f}{' *' if e.best else '  '}  {levels}", highlight=False
        )
        for warning in e.warnings:
            self.progress.console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
        done = e.seconds if self.by_minutes else e.epoch
        self.progress.update(self.task, completed=done, description=f"epoch {e.epoch}", status=f"val L1 {e.val_l1:.3f}")

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
        self.console.print(f"saved '{e.name}' to {e.path}", highlight=False)

    def close(self) -> None:
        """Stop the live display (also after an error)."""
        self.progress.stop()
