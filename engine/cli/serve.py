"""`distill serve`: the resident engine on OSC (and MIDI), until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

SWITCH_INTERVAL_S = 0.0005  # the network thread waits at most this long for the GIL while torch works
# One core is left for the network, MIDI and audio threads (and for a DAW beside the engine): on 2 cores with
# one kept busy by another process, 1 thread answered a 4 s generate in 283 ms (median), 2 threads in 1481 ms.
DEFAULT_TORCH_THREADS = max(1, (os.cpu_count() or 2) - 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `serve`."""
    p = subparsers.add_parser("serve", help="run the resident engine, controlled over OSC and MIDI")
    p.add_argument("--model", help="library name or model file to load at start")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=9000, help="UDP port for OSC (default 9000; 0 picks a free one)")
    p.add_argument("--midi-in", metavar="NAME", help="MIDI input port to listen to (see `distill midi ports`)")
    p.add_argument("--audio-device", metavar="NAME|none", help="audio output device (default: the system's; none: no sound)")
    p.add_argument("--out", type=Path, help="folder for generated and decoded sounds (default: the data folder's outputs)")
    p.add_argument("--threads", type=int, default=DEFAULT_TORCH_THREADS, help=f"torch threads for model work (default {DEFAULT_TORCH_THREADS})")
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
    from engine.errors import DistillError
    from engine.osc.server import OscServer

    if args.threads < 1:
        raise DistillError(f"--threads must be 1 or more, not {args.threads}")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    sys.setswitchinterval(SWITCH_INTERVAL_S)

    engine = Engine(out_dir=args.out, audio=AudioOut(args.audio_device))
    server = midi_input = None
    try:
        if args.model:
            info = engine.load_model(args.model)
            print(f"loaded model '{info.name}' ({'with' if info.has_prior else 'without'} a prior)", file=sys.stderr)
        midi = None
        if args.midi_in:
            from engine.midi import MidiAdapter, open_input

            midi = MidiAdapter(engine)
            midi_input = open_input(args.midi_in, midi.handle)  # None (and one line) when there is no MIDI
        try:
            server = OscServer(engine, args.host, args.port, midi=midi)
        except OSError as error:
            raise DistillError(f"cannot listen on {args.host}:{args.port} ({error.strerror or error})") from error
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
