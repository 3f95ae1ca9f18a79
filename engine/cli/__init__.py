"""distill: train a sound model on your own samples, then generate, edit and play sounds with it.

Every command has its own help: `distill COMMAND --help`.
"""

# How the commands are put together: each module of COMMAND_MODULES exposes `register(subparsers)`, which
# adds its commands and sets `func(args) -> int` on each parser. Other packages add commands the same way
# through the `distill.commands` entry point group (the TUI's `distill tui`), so the engine never imports
# them. A `DistillError` becomes one line on stderr and exit status 1.

from __future__ import annotations

import argparse
import difflib
import sys

from engine import __version__
from engine.errors import DistillError

COMMAND_MODULES = ("engine.cli.train", "engine.cli.models", "engine.cli.demo", "engine.cli.codes", "engine.cli.prior", "engine.cli.generate", "engine.cli.midi", "engine.cli.audio", "engine.cli.outputs", "engine.cli.serve")


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose commands answer an unknown flag themselves, with their own usage.

    argparse hands a command's unknown arguments up to the top-level parser, which then prints the
    top-level usage; here the command that got them refuses them, names the closest flag it knows, and
    shows how to call it. Subcommand parsers are made of the same class (argparse's default).
    """

    def parse_known_args(self, args=None, namespace=None):
        """As argparse's, but unknown arguments are an error of this parser."""
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._closest_flag(extras)}")
        return namespace, extras

    def _closest_flag(self, extras: list[str]) -> str:
        """' (did you mean --temperature?)' for the first unknown flag close to a known one, else ''."""
        known = [flag for action in self._actions for flag in action.option_strings if flag.startswith("--")]
        for extra in extras:
            if extra.startswith("--"):
                close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered command."""
    import importlib

    parser = CommandParser(prog="distill", description=__doc__)
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
