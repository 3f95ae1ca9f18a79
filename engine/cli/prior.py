"""`distill train-prior`: train the autoregressive prior of a model and store it in the same model file."""

from __future__ import annotations

import argparse

from engine.cli.options import add_device_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train-prior`."""
    p = subparsers.add_parser("train-prior", help="train the prior that generates new code grids for a model")
    p.add_argument("model", metavar="MODEL", help="library name or model file path (the prior is stored in that file)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, metavar="N", help="train this many epochs in all")
    budget.add_argument("--minutes", type=float, metavar="M", help="train this many minutes in all (default 10)")
    add_device_option(p, "training")
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
    from engine.cli.prior_display import PriorDisplay
    from engine.cli.train_display import console, stop_on_signals
    from engine.prior.train import PriorTrainRequest, train_prior

    request = PriorTrainRequest(
        model=args.model, epochs=args.epochs, minutes=args.minutes, device=args.device, resume=args.resume,
        restart=args.restart, seed=args.seed, context=args.context, d_model=args.d_model, n_layers=args.layers,
    )
    display = PriorDisplay(console())
    try:
        with stop_on_signals(display.console, "the best prior so far") as stop:
            train_prior(request, on_event=display, stop=stop)
    finally:
        display.close()
    return 0
