"""`distill train-prior`: train the autoregressive prior of a model and store it in the same model file."""

from __future__ import annotations

import argparse
from functools import partial

from engine.cli.options import add_device_option
from engine.prior.config import DEFAULT_PRIOR_MINUTES, PriorConfig, prior_size_rule


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train-prior`."""
    p = subparsers.add_parser("train-prior", help="teach a model to write new code grids, so that it can generate sounds")
    p.add_argument("model", metavar="MODEL", help="a model's name in the library, or a model file (what is learned is stored in it)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, metavar="N", help="train for N passes over the model's sounds")
    budget.add_argument("--minutes", type=float, metavar="M", help=f"train for M minutes (default {DEFAULT_PRIOR_MINUTES:g})")
    add_device_option(p, "training")
    restart = p.add_mutually_exclusive_group()
    restart.add_argument("--resume", action="store_true", help="continue the interrupted or earlier prior run of this model")
    restart.add_argument("--restart", action="store_true", help="discard an earlier prior run (and the model's prior) and start over")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed: on the CPU the same seed gives the same result (default 0)")
    p.add_argument("--context", type=int, metavar="F", help=f"how many code columns it listens back (default {PriorConfig.context})")
    p.add_argument("--d-model", type=int, metavar="D", help=f"its width (default: {prior_size_rule(1)})")
    p.add_argument("--layers", type=int, metavar="N", help=f"its depth (default: {prior_size_rule(2)})")
    p.set_defaults(func=run_train_prior)


def run_train_prior(args: argparse.Namespace) -> int:
    """Train until the budget is spent; Ctrl-C (or SIGTERM) stops cleanly and saves the best prior so far."""
    from engine.cli.prior_display import PriorDisplay
    from engine.cli.train_display import console, run_until_stopped
    from engine.prior.train import PriorTrainRequest, train_prior

    request = PriorTrainRequest(
        model=args.model, epochs=args.epochs, minutes=args.minutes, device=args.device, resume=args.resume,
        restart=args.restart, seed=args.seed, context=args.context, d_model=args.d_model, n_layers=args.layers,
    )
    run_until_stopped(PriorDisplay(console()), "the best prior so far", partial(train_prior, request))
    return 0
