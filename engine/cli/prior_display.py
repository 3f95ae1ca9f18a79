"""Live display of prior training: a progress bar and one line per epoch with per-level perplexity."""

from __future__ import annotations

from engine.cli.train_display import EpochDisplay
from engine.data.dataset import SkippedFile
from engine.prior.train import PriorEpochReport, PriorTrainingFinished, PriorTrainingStarted


class PriorDisplay(EpochDisplay):
    """Turns prior training events into a progress bar and one line per epoch."""

    def __init__(self, console):
        super().__init__(console)
        self.labels: tuple[str, ...] = ()

    def __call__(self, event) -> None:
        if isinstance(event, SkippedFile):
            self.skipped(event)
        elif isinstance(event, PriorTrainingStarted):
            self._started(event)
        elif isinstance(event, PriorEpochReport):
            self._epoch(event)
        elif isinstance(event, PriorTrainingFinished):
            self._finished(event)

    def _started(self, e) -> None:
        p, t = e.prior, e.train
        self.labels = e.labels
        self.console.print(
            f"training the prior of '{e.model}' on {e.device}: {e.train_files} training files x {1 + t.variants} "
            f"(augmented copies) = {e.train_frames} code frames, {e.val_files} validation files = {e.val_frames} frames; "
            f"{p.n_layers} layers x {p.d_model} wide, context {p.context} frames, {e.params / 1e6:.2f} M parameters"
            + (f"; resuming after epoch {e.start_epoch}" if e.start_epoch else ""),
            highlight=False,
        )
        self.start_progress(e.epochs, e.minutes)

    def _epoch(self, e) -> None:
        levels = " | ".join(
            f"{label} ppl {train:.1f}/{val:.1f}" for label, train, val in zip(self.labels, e.train_perplexity, e.val_perplexity)
        )
        self.progress.console.print(
            f"epoch {e.epoch:>3}  loss {e.train_loss:.3f}  val {e.val_loss:.3f}{' *' if e.best else '  '}  "
            f"train/val perplexity: {levels}",
            highlight=False,
        )
        for warning in e.warnings:
            self.progress.console.print(f"[yellow]memorisation warning:[/yellow] {warning}", highlight=False)
        self.advance(e.epoch, e.seconds, f"val {e.val_loss:.3f}")

    def _finished(self, e) -> None:
        self.progress.stop()
        how = "stopped" if e.stopped else "finished"
        perplexity = ", ".join(f"{label} {value:.1f}" for label, value in zip(self.labels, e.val_perplexity))
        self.console.print(
            f"{how} after {e.epochs} epochs in {e.seconds / 60:.1f} min; best validation loss {e.best_val_loss:.3f} "
            f"(epoch {e.best_epoch}), perplexity {perplexity}",
            highlight=False,
        )
        if e.memorisation["flagged"]:
            for warning in e.memorisation["warnings"]:
                self.console.print(f"[yellow]memorisation warning:[/yellow] {warning}", highlight=False)
        if e.notice:
            self.console.print(f"[yellow]note:[/yellow] {e.notice}", highlight=False)
        self.console.print(f"saved the prior ({e.params / 1e6:.2f} M parameters) into '{e.model}' ({e.path})", highlight=False)
        self.console.print(f"generate new sounds with `distill generate {e.model}`", highlight=False)

    def close(self) -> None:
        """Stop the live display (also after an error)."""
        self.progress.stop()
