"""`distill tui`: the terminal app, registered as a `distill.commands` plugin (so `engine` never imports `tui`)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `tui`."""
    p = subparsers.add_parser("tui", help="the terminal app: library, training, code grids, generation, health")
    p.add_argument("--host", default="127.0.0.1", help="the engine's address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="the engine's OSC port (default 9000)")
    p.add_argument("--model", help="library name or model file to load once connected")
    p.add_argument("--audio-device", metavar="NAME|none", help="audio device of an engine started here (default: the system's)")
    p.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    """Connect to the engine at --host/--port, starting one in the background when none answers."""
    from tui.app import DistillApp
    from tui.launcher import engine_at

    server = (args.host, args.port)
    with engine_at(server, audio_device=args.audio_device) as started:
        if started:
            print(f"started an engine on {args.host}:{args.port}; it stops when the app closes")
        DistillApp(server, load_model=args.model).run()
    return 0
