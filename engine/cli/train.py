"""`distill train` and `distill health`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

from engine.cli.options import add_device_option
from engine.errors import DistillError
from engine.limits import MAX_TRAIN_MINUTES
from engine.model.config import DEFAULT_MINUTES, ModelConfig, codebook_size_rule, level_labels
from engine.training.runs import TRAIN_OPTION_RANGES, ZERO_MEANS, check_train_option, train_option_range


def option_type(key: str, auto: bool = False) -> Callable[[str], int | float | None]:
    """An argparse type for training option `key`, held to its range in TRAIN_OPTION_RANGES; `auto` also takes "auto" (None)."""

    whole = TRAIN_OPTION_RANGES[key][0]
    rule = train_option_range(key, zero=False, kind="a whole number" if whole else "a number") + (", or auto" if auto else "")

    def parse(text: str) -> int | float | None:
        if auto and text == "auto":
            return None
        try:
            value = check_train_option(key, float(text))
        except (ValueError, DistillError) as error:
            raise argparse.ArgumentTypeError(f"must be {rule}, not {text!r}") from error
        if value == 0 and key in ZERO_MEANS:  # OSC's 0 ("adapt") is "auto" or leaving the option out here
            raise argparse.ArgumentTypeError(f"must be {rule}, not {text!r}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train` and `health`."""
    p = subparsers.add_parser(
        "train", help="teach a new model your sounds, from a folder of samples",
        description="Teach a new model the sounds in a folder: it learns to turn each sound into a grid of codes "
        "(coarse to fine) and back. The model is saved in the library under --name.",
    )
    p.add_argument("dataset", type=Path, metavar="FOLDER", help="folder of sound files, searched with its sub-folders (nothing in it is changed)")
    p.add_argument("--name", required=True, help="the model's name in the library (letters, digits, - _ .; case is ignored)")
    m = ModelConfig
    low, high = (int(bound) for bound in TRAIN_OPTION_RANGES["levels"][1:])
    p.add_argument("--levels", type=int, default=m.levels, choices=range(low, high + 1), help=f"rows of codes from coarse to fine (default {m.levels}: {', '.join(level_labels(m.levels))})")
    p.add_argument("--codebook-dim", type=option_type("codebook_dim"), default=m.codebook_dim, metavar="D", help=f"detail held by each code, {train_option_range('codebook_dim')} (default {m.codebook_dim}; rarely worth changing)")
    p.add_argument("--codebook-size", type=option_type("codebook_size", auto=True), default=None, metavar="N", help=f"how many different codes each row has, {train_option_range('codebook_size', zero=False)} (default: adapt to the sounds, {codebook_size_rule()})")
    p.add_argument("--commitment-weight", type=option_type("commitment_weight"), default=m.commitment_weight, metavar="W", help=f"how firmly sounds are held to the codes, {train_option_range('commitment_weight')} (default {m.commitment_weight:g}; lower it when `distill health` reports unused codes)")
    p.add_argument("--hidden", type=option_type("hidden"), default=m.hidden, metavar="C", help=f"model size, {train_option_range('hidden')} (default {m.hidden}; smaller trains faster and sounds coarser)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, metavar="N", help="train for N passes over the sounds")
    budget.add_argument("--minutes", type=float, metavar="M", help=f"train for M minutes, at most {MAX_TRAIN_MINUTES} (default {DEFAULT_MINUTES:g})")
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
    from engine.cli.train_display import TrainDisplay, console, run_until_stopped
    from engine.training.trainer import TrainRequest, train

    request = TrainRequest(
        dataset=args.dataset, name=args.name, levels=args.levels, codebook_dim=args.codebook_dim,
        codebook_size=args.codebook_size,
        commitment_weight=args.commitment_weight, hidden=args.hidden, epochs=args.epochs, minutes=args.minutes,
        device=args.device, resume=args.resume, seed=args.seed, description=args.description,
        waveform_head=args.waveform_head,
    )
    run_until_stopped(TrainDisplay(console()), "the best weights so far", partial(train, request))
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
    if not levels:
        raise DistillError(f"{path.name} has no codebook health recorded")
    console = make_console()
    status, light = overall(levels)
    console.print(f"model '{metadata.get('name', path.stem)}': overall [{light}]{status}[/{light}]", highlight=False)
    for row in health_rows(levels):
        console.print(row, highlight=False)
    console.print()
    if len(health.usage) == len(levels):
        console.print(heatmap_text([list(counts) for counts in health.usage], tuple(h.label for h in levels)), highlight=False, markup=False)
    return 0
