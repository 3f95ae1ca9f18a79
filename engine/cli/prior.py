"""`distill train-prior`: train the autoregressive prior of a model and store it in the same model file."""

from __future__ import annotations

import argparse
import signal
import threading


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train-prior`."""
    p = subparsers.add_parser("train-prior", help="train the prior that generates new code grids for a model")
    p.add_argument("model", metavar="MODEL", help="library name or model file path (the prior is stored in that file)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, metavar="N", help="train this many epochs in all")
    budget.add_argument("--minutes", type=float, metavar="M", help="train this many minutes in all (default 10)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    restart = p.add_mutually_exclusive_group()
    restart.add_argument("--resume", action="store_true", help="continue the interrupted or earlier prior run of this model")
    restart.add_argument("--restart", action="store_true", help="discard an earlier prior run (and the model's prior) and start over")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (runs with the same seed are identical on CPU)")
    p.add_argument("--context", type=int, metavar="F", help="code frames the prior looks back (default 256, about 12 s)")
    p.add_argument("--d-model", type=int, metavar="D", help="transformer width (default: by dataset size, 128-192)")
    p.add_argument("--layers", type=int, metavar="N", help="transformer layers (default: by dataset size, 3-6)")
    p.set_defaults(func=run_train_prior)


def run_train_prior(args: argparse.Namespace) -> int:
    """Train until the budget is spent; Ctrl-C (or SIGTERM) stops cleanly and saves the best prior so far."""
    from engine.cli.train_display import console
    from engine.prior.train import PriorTrainRequest, train_prior

    request = PriorTrainRequest(
        model=args.model, epochs=args.epochs, minutes=args.minutes, device=args.device, resume=args.resume,
        restart=args.restart, seed=args.seed, context=args.context, d_model=args.d_model, n_layers=args.layers,
    )
    display = PriorDisplay(console())
    stop = threading.Event()

    def request_stop(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        display.console.print("stopping after this step; the best prior so far will be saved (press Ctrl-C again to abort)")
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        train_prior(request, on_event=display, stop=stop)
    finally:
        display.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


class PriorDisplay:
    """Turns prior training events into a progress bar and one line per epoch."""

    def __init__(self, console):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.task = None
        self.by_minutes = False
        self.labels: tuple[str, ...] = ()

    def __call__(self, event) -> None:
        from engine.data.dataset import SkippedFile
        from engine.prior.train import (
            PriorEpochReport,
            PriorTrainingFinished,
            PriorTrainingStarted,
        )

        if isinstance(event, SkippedFile):
            self.console.print(f"skipped {event.path}: {event.reason}", highlight=False)
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
        self.by_minutes = e.epochs is None
        self.progress.start()
        self.task = self.progress.add_task("epoch 0", total=e.minutes * 60 if self.by_minutes else e.epochs, status="")

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
        done = e.seconds if self.by_minutes else e.epoch
        self.progress.update(self.task, completed=done, description=f"epoch {e.epoch}", status=f"val {e.val_loss:.3f}")

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
        self.console.print(f"saved the prior ({e.params / 1e6:.2f} M parameters) into '{e.model}' ({e.path})", highlight=False)
        self.console.print(f"generate new sounds with `distill generate {e.model}`", highlight=False)

    def close(self) -> None:
        """Stop the live display (also after an error)."""
        self.progress.stop()
