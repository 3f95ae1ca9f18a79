"""Command-line options several commands share, defined once."""

from __future__ import annotations

import argparse

from engine.device import DEVICES


def add_device_option(parser: argparse.ArgumentParser, work: str) -> None:
    """`--device auto|cpu|cuda` (default auto: CUDA when present); `work` says what runs there."""
    parser.add_argument("--device", default="auto", choices=DEVICES, help=f"where {work} runs: auto (CUDA when present, the default), cpu or cuda")


def show_help(parser: argparse.ArgumentParser) -> int:
    """Print `parser`'s help (a command given without its action) and return the usage-error status 2."""
    parser.print_help()
    return 2
