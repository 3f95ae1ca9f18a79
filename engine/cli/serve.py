"""`distill serve`: the resident engine on OSC (and MIDI), until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path

from engine.cli.options import add_device_option

SWITCH_INTERVAL_S = 0.0005  # the network thread waits at most this long for the GIL while torch works
# One core is left for the network, MIDI and audio threads (and for a DAW beside the engine): on 2 cores with
# one kept busy by another process, 1 thread answered a 4 s generate in 283 ms (median), 2 threads in 1481 ms.
DEFAULT_TORCH_THREADS = max(1, (os.cpu_count() or 2) - 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `serve`."""
    p = subparsers.add_parser(
        "serve", help="keep a model loaded and play it from Pd, Max, a MIDI keyboard or the terminal app",
        description="Keep a model loaded and answer OSC messages (from the Pd and Max patches, the terminal app, "
        "or anything that speaks OSC) and, with --midi-in, a MIDI keyboard, until Ctrl-C.",
    )
    p.add_argument("--model", metavar="MODEL", help="a model's name in the library, or a model file, to load at start")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=9000, help="port the patches send OSC to (default 9000; 0 picks a free one)")
    p.add_argument("--midi-in", metavar="NAME", help="MIDI input port to listen to (see `distill midi ports`)")
    p.add_argument("--audio-device", metavar="NAME|none", help="audio output device (default: the system's; none: no sound)")
    p.add_argument("--out", type=Path, metavar="FOLDER", help="where generated and decoded sounds are written (default: the outputs folder of the data folder)")
    p.add_argument("--threads", type=int, default=DEFAULT_TORCH_THREADS, metavar="N", help=f"processor cores for the model (default {DEFAULT_TORCH_THREADS}: all but one, kept free for sound and messages)")
    add_device_option(p, "model work (generation, notes, encoding, training)")
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; jobs are finished and files complete when it returns."""
    import logging
    import signal
    import sys
    import threading

    import torch

    from engine.audio.playback import AudioOut
    from engine.core import Engine
    from engine.device import resolve_device
    from engine.errors import DistillError
    from engine.osc.server import OscServer

    if args.threads < 1:
        raise DistillError(f"--threads must be 1 or more, not {args.threads}")
    if not 0 <= args.port <= 65535:  # the socket would raise OverflowError, not OSError
        raise DistillError(f"--port must be from 0 (a free one) to 65535, not {args.port}")
    device = resolve_device(args.device)  # a CUDA request without CUDA fails here, before anything starts
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    sys.setswitchinterval(SWITCH_INTERVAL_S)

    engine = Engine(out_dir=args.out, audio=AudioOut(args.audio_device), device=device.type)
    server = midi_input = None
    try:
        midi = None
        if args.midi_in:
            from engine.midi import MidiAdapter

            midi = MidiAdapter(engine)
        # The port is taken before the model loads, so a busy one is said at once, not after seconds of loading.
        try:
            server = OscServer(engine, args.host, args.port, midi=midi)
        except OSError as error:
            raise DistillError(_listen_error(args.host, args.port, error)) from error
        if args.model:
            info = engine.load_model(args.model)
            print(f"loaded model '{info.name}' ({'with' if info.has_prior else 'without'} a prior)", file=sys.stderr)
        if midi is not None:
            from engine.midi import open_input

            midi_input = open_input(args.midi_in, midi.handle)  # None (and one line) when there is no MIDI
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        server.start()
        host, port = server.address
        print(
            f"distill serve: listening for OSC on {host}:{port}; library {engine.library.home}; writing sounds to {engine.out_dir}; "
            f"first seed {engine.params.seed}",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        print("distill serve: stopping", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.close()
        if midi_input is not None:
            midi_input.close()
        engine.shutdown()
    print("distill serve: stopped", file=sys.stderr, flush=True)
    return 0


def _listen_error(host: str, port: int, error: OSError) -> str:
    """One sentence for a socket that cannot be bound; a busy port says how to choose another."""
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {host}:{port} (Address already in use): another program, perhaps another "
            f"`distill serve`, has port {port}; choose another with --port N (--port 0 picks a free one)"
        )
    return f"cannot listen on {host}:{port} ({reason})"
