"""`distill outputs clean`: remove generated and decoded sound files from the outputs folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.limits import MAX_CLEAN_AGE_DAYS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `outputs clean`."""
    outputs = subparsers.add_parser("outputs", help="the folder generated and decoded sounds are written to")
    outputs.set_defaults(func=lambda args: outputs.print_help() or 2)
    actions = outputs.add_subparsers(dest="outputs_command", metavar="ACTION")
    clean = actions.add_parser("clean", help="remove sound files from the outputs folder (the history keeps its entries)")
    clean.add_argument("--older-than", type=float, default=0.0, metavar="DAYS",
                       help=f"only files last changed more than DAYS days ago (0 to {MAX_CLEAN_AGE_DAYS}; default 0: all)")
    clean.add_argument("--keep-history", action="store_true", help="keep the files the generation history points to")
    clean.add_argument("--folder", type=Path, help="the folder to clean (default: the data folder's outputs)")
    clean.set_defaults(func=run_clean)


def run_clean(args: argparse.Namespace) -> int:
    """Remove the files and say how many, how much, and what was kept."""
    from engine.outputs import clean_outputs
    from engine.paths import outputs_dir
    from engine.store import History

    folder = args.folder if args.folder is not None else outputs_dir()
    keep = frozenset(Path(record.path) for record in History().list()) if args.keep_history else frozenset()
    cleaned = clean_outputs(folder, older_than_days=args.older_than, keep=keep)
    print(f"Removed {cleaned.removed} sound file(s), {cleaned.freed_bytes / 1e6:.1f} MB, from {folder}; kept {cleaned.kept}.")
    if cleaned.removed:
        print("The history keeps every entry; `distill history regenerate ID` makes a removed sound again.")
    return 0
