"""`distill train` and `distill health`."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.options import add_device_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train` and `health`."""
    p = subparsers.add_parser(
        "train", help="teach a new model your sounds, from a folder of samples",
        description="Teach a new model the sounds in a folder: it learns to turn each sound into a grid of codes "
        "(coarse to fine) and back. The model is saved in the library under --name.",
    )
    p.add_argument("dataset", type=Path, metavar="FOLDER", help="folder of sound files, searched with its sub-folders (nothing in it is changed)")
    p.add_argument("--name", required=True, help="the model's name in the library (letters, digits, - _ .; case is ignored)")
    p.add_argument("--levels", type=int, default=3, choices=(2, 3, 4), help="rows of codes from coarse to fine (default 3: Structure, Timbre, Detail)")
    p.add_argument("--codebook-dim", type=int, default=128, metavar="D", help="detail held by each code (default 128; rarely worth changing)")
    p.add_argument("--codebook-size", default="auto", choices=("auto", "64", "128", "256"), help="how many different codes each row has (auto: 64 up to 20 files, 128 up to 100, 256 above)")
    p.add_argument("--commitment-weight", type=float, default=0.25, metavar="W", help="how firmly sounds are held to the codes (default 0.25; lower it when `distill health` reports unused codes)")
    p.add_argument("--hidden", type=int, default=256, metavar="C", help="model size (default 256; smaller trains faster and sounds coarser)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, metavar="N", help="train for N passes over the sounds")
    budget.add_argument("--minutes", type=float, metavar="M", help="train for M minutes (default 10)")
    add_device_option(p, "training")
    p.add_argument("--resume", action="store_true", help="continue an interrupted (or finished) run of this name")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed: on the CPU the same seed and sounds give the same model (default 0)")
    p.add_argument("--description", default="", metavar="TEXT", help="a note stored with the model; `distill models search` finds its words")
    p.add_argument("--waveform-head", action="store_true", help="also learn a fast waveform inverter; experimental, see docs/benchmarks.md")
    p.set_defaults(func=run_train)

    h = subparsers.add_parser("health", help="how well a model uses its codes, with a map of which ones it uses")
    h.add_argument("model", metavar="MODEL", help="a model's name in the library, or a model file")
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
        waveform_head=args.waveform_head,
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
    from engine.heatmap import heatmap_text
    from engine.model_health import ModelHealth
    from engine.training.health import overall

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
