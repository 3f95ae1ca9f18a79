"""`distill midi ports`: list the MIDI input ports that `distill serve --midi-in NAME` can open."""

from __future__ import annotations

import argparse

from engine.cli.options import show_help
from engine.midi import input_port_names


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `midi` command and its actions."""
    parser = subparsers.add_parser("midi", help="MIDI input ports", description=__doc__)
    parser.set_defaults(func=lambda args: show_help(parser))
    actions = parser.add_subparsers(dest="midi_command", metavar="ACTION")
    action = actions.add_parser("ports", help="list the MIDI input ports")
    action.set_defaults(func=list_ports)


def list_ports(args: argparse.Namespace) -> int:
    """`distill midi ports`: one input port name per line (MidiUnavailable with no MIDI system)."""
    names = input_port_names()
    print("\n".join(names) if names else "No MIDI input ports.")
    return 0
