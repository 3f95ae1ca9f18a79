"""`distill train` and `distill health`."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.options import add_device_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train` and `health`."""
    p = subparsers.add_parser("train", help="train an RVQ-VAE on a folder of sounds")
    p.add_argument("dataset", type=Path, help="folder of audio files (scanned recursively, never modified)")
    p.add_argument("--name", required=True, help="name of the model in the library")
    p.add_argument("--levels", type=int, default=3, choices=(2, 3, 4), help="quantizer levels (default 3: Structure/Timbre/Detail)")
    p.add_argument("--codebook-dim", type=int, default=128, help="code vector size (default 128)")
    p.add_argument("--codebook-size", default="auto", choices=("auto", "64", "128", "256"), help="codes per level (auto: by dataset size)")
    p.add_argument("--commitment-weight", type=float, default=0.25, help="weight of the commitment loss (default 0.25)")
    p.add_argument("--hidden", type=int, default=256, help="conv channels (default 256; smaller is faster, coarser)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="train this many epochs in all")
    budget.add_argument("--minutes", type=float, help="train this many minutes in all (default 10)")
    add_device_option(p, "training")
    p.add_argument("--resume", action="store_true", help="continue the interrupted or earlier run of this name")
    p.add_argument("--seed", type=int, default=0, help="random seed (runs with the same seed are identical on CPU)")
    p.add_argument("--description", default="", help="free text stored with the model, searchable")
    p.set_defaults(func=run_train)

    h = subparsers.add_parser("health", help="codebook health and usage heatmap of a model")
    h.add_argument("model", help="library name or model file path")
    h.set_defaults(func=run_health)


def run_train(args: argparse.Namespace) -> int:
    """Train until the budget is spent; Ctrl-C (or SIGTERM) stops cleanly and saves the best weights so far."""
    from engine.cli.train_display import TrainDisplay, console, stop_on_signals
    from engine.training.trainer import TrainRequest, train

    request = TrainRequest(
        dataset=args.dataset, name=args.name, levels=args.levels, codebook_dim=args.codebook_dim,
        codebook_size=None if args.codebook_size == "auto" else int(args.codebook_size),
        commitment_weight=args.commitment_weight, hidden=args.hidden, epochs=args.epochs, minutes=args.minutes,
        device=args.device, resume=args.resume, seed=args.seed, description=args.description,
    )
    display = TrainDisplay(console())
    try:
        with stop_on_signals(display.console, "the best weights so far") as stop:
            train(request, on_event=display, stop=stop)
    finally:
        display.close()
    return 0


def run_health(args: argparse.Namespace) -> int:
    """Print per-level health, the overall verdict and the usage heatmap of a model."""
    from engine.cli.render import health_rows
    from engine.cli.train_display import console as make_console
    from engine.library import Library
    from engine.modelfile import read_model_metadata
    from engine.model_health import ModelHealth
    from engine.training.health import heatmap_text, overall

    path = Library().resolve(args.model)
    metadata = read_model_metadata(path)
    health = ModelHealth.from_metadata(metadata)
    levels = list(health.levels)
    console = make_console()
    if not levels:
        console.print(f"{path.name} has no codebook health recorded")
        return 1
    status, light = overall(levels)
    console.print(f"model '{metadata.get('name', path.stem)}': overall [{light}]{status}[/{light}]", highlight=False)
    for row in health_rows(levels):
        console.print(row, highlight=False)
    console.print()
    if len(health.usage) == len(levels):
        console.print(heatmap_text([list(counts) for counts in health.usage], tuple(h.label for h in levels)), highlight=False, markup=False)
    return 0
