"""`distill audio devices`: list the sound outputs that `distill serve --audio-device NAME` can play through."""

from __future__ import annotations

import argparse

from engine.audio.playback import output_devices
from engine.cli.options import show_help


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `audio` command and its actions."""
    parser = subparsers.add_parser("audio", help="sound output devices", description=__doc__)
    parser.set_defaults(func=lambda args: show_help(parser))
    actions = parser.add_subparsers(dest="audio_command", metavar="ACTION")
    action = actions.add_parser("devices", help="list the output devices --audio-device accepts")
    action.set_defaults(func=list_devices)


def list_devices(args: argparse.Namespace) -> int:
    """One output device a line: its name (what --audio-device takes), system, channels and rate; * the default."""
    devices = output_devices()
    if not devices:
        print("No audio output devices: distill serve still writes every sound to a file.")
        return 0
    for device in devices:
        mark = "*" if device.default else " "
        print(f"{mark} {device.name}  ({device.host}, {device.channels} channels, {device.sample_rate} Hz)")
    print("* the default; --audio-device takes a name above, or none for no sound")
    return 0
