"""The `distill` command line: one sub-module per group of commands, each calling engine functions.

Every sub-module exposes `register(subparsers)`, which adds its commands and sets `func` on each parser;
`func(args) -> int` runs the command. Other packages add commands the same way through the
`distill.commands` entry point group (the TUI's `distill tui`), so the engine never imports them. A `DistillError` becomes one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from engine import __version__
from engine.errors import DistillError

COMMAND_MODULES = ("engine.cli.train", "engine.cli.models", "engine.cli.demo", "engine.cli.codes", "engine.cli.prior", "engine.cli.generate", "engine.cli.midi", "engine.cli.audio", "engine.cli.outputs", "engine.cli.serve")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered command."""
    import importlib

    parser = argparse.ArgumentParser(prog="distill", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"distill {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from importlib.metadata import entry_points

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for plugin in entry_points(group="distill.commands"):
        plugin.load().register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `distill` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DistillError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
