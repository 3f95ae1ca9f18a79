"""Note-on to sound: how long a note takes to reach a listener, through a real JACK server.

    .venv/bin/python bench/latency.py --home DISTILL_HOME --model NAME [--notes 200] [--chords 25] [--busy]
        [--period 128] [--threads N] [--ping-every 0.02]

Starts a private JACK server with its dummy backend (`jackd -d dummy`, Debian's jackd2: it paces process
cycles like a sound card), runs an `Engine` playing on it, and records the engine's output ports with a
second JACK client (python JACK-Client). Each note's latency is the time from the moment `Engine.note` is
called (read on JACK's frame clock) to the first recorded sample above -80 dBFS, so it includes everything
a listener waits for except the sound card's own buffer. The model needs a prior (`distill train-prior`).

- `--notes`: single notes at a musician's pace (one every 0.3 s, 0.2 s long, keys from a 16-pad range);
- `--chords`: 8 keys at once, one chord every 0.6 s; each key of a chord is measured;
- `--busy`: another process keeps one core busy throughout (as a DAW does);
- while the notes play, an OSC client in another process sends `/distill/ping` to the engine's OSC server
  every `--ping-every` seconds and times each `/distill/pong`.
The engine is set up as `distill serve` sets it up (torch threads, default `serve`'s; the GIL switch
interval) and serves OSC on a free loopback port. Keys are rendered ahead first (the engine does this on its
own after the first note); the report says how many notes found their key ready. Prints p50 / p95 / max of
the notes and p50 / p99 / max of the pings, in milliseconds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import numpy as np

RATE = 48000
THRESHOLD = 1e-4  # -80 dBFS
PADS = range(36, 52)  # 16 keys, as on a pad controller


class Onsets:
    """A JACK client recording the first loud frame after each `mark()`: the latencies, in frames."""

    def __init__(self, server: str):
        import jack

        self.client = jack.Client("distill-latency", no_start_server=True, servername=server)
        self.ports = [self.client.inports.register(f"in_{i}") for i in range(2)]
        self.pending: list[int] = []  # frame times of notes waiting for their sound
        self.latencies: list[int] = []
        self.lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def connect_from(self, name: str) -> None:
        for source, target in zip(self.client.get_ports(f"{name}:.*", is_audio=True, is_output=True), self.ports):
            self.client.connect(source, target)

    def mark(self) -> None:
        """A note is being sent now."""
        with self.lock:
            self.pending.append(self.client.frame_time)

    def _process(self, frames: int) -> None:
        loud = np.flatnonzero(np.abs(self.ports[0].get_array()) > THRESHOLD)
        if not loud.size:
            return
        onset = self.client.last_frame_time + int(loud[0])
        with self.lock:
            self.latencies += [onset - sent for sent in self.pending if sent <= onset]
            self.pending = [sent for sent in self.pending if sent > onset]

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def wait_silent(seconds: float) -> None:
    time.sleep(seconds)


def summary(frames: list[int]) -> str:
    ms = np.array(frames) / RATE * 1000
    return f"n={len(ms)} p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms"


def pinger(address: tuple[str, int], every: float, stop, results) -> None:
    """Round trips of `/distill/ping` -> `/distill/pong`, one every `every` seconds until `stop` is set (a process)."""
    from engine.osc.client import OscClient

    client = OscClient(address)
    times = []
    while not stop.is_set():
        started = time.perf_counter()
        client.request("/distill/ping", reply="/distill/pong")
        times.append(time.perf_counter() - started)
        time.sleep(every)
    client.close()
    results.put(times)


def ping_summary(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"n={len(ms)} p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, max {ms.max():.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--chords", type=int, default=25)
    parser.add_argument("--busy", action="store_true")
    parser.add_argument("--period", type=int, default=128, help="JACK frames per cycle")
    parser.add_argument("--threads", type=int, help="torch threads (default: distill serve's)")
    parser.add_argument("--ping-every", type=float, default=0.02, help="seconds between pings while playing")
    args = parser.parse_args()

    server = f"distill-latency-{os.getpid()}"
    os.environ["DISTILL_HOME"] = args.home
    os.environ["JACK_DEFAULT_SERVER"] = server  # before PortAudio is initialised
    jackd = subprocess.Popen(["jackd", "--no-realtime", "-n", server, "-d", "dummy", "-r", str(RATE), "-p", str(args.period)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    import torch

    from engine.audio.playback import AudioOut
    from engine.cli.serve import DEFAULT_TORCH_THREADS, SWITCH_INTERVAL_S
    from engine.core import Engine
    from engine.osc.server import OscServer

    threads = args.threads or DEFAULT_TORCH_THREADS
    torch.set_num_threads(threads)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    engine = Engine(audio=AudioOut())
    osc = OscServer(engine, "127.0.0.1", 0)
    osc.start()
    onsets = Onsets(server)
    context = multiprocessing.get_context("spawn")
    stop_pings, pings = context.Event(), context.Queue()
    pinging = context.Process(target=pinger, args=(osc.address, args.ping_every, stop_pings, pings))
    try:
        engine.load_model(args.model)
        engine.set_param("duration", 0.2)
        engine.note(PADS[0], 0)  # makes the instrument: it renders every key ahead
        onsets.connect_from("PortAudio")
        while engine._instrument.ready_count < PADS.stop:  # keys are rendered ahead from 0 up: the pads are ready
            time.sleep(0.1)
        rng = np.random.default_rng(0)
        ready = 0
        pinging.start()
        for _ in range(args.notes):
            onsets.mark()
            ready += engine.note(int(rng.choice(PADS)), 100)
            wait_silent(0.3)
        single = list(onsets.latencies)
        for _ in range(args.chords):
            for key in rng.choice(PADS, size=8, replace=False):
                onsets.mark()
                ready += engine.note(int(key), 100)
            wait_silent(0.6)
        chords = onsets.latencies[len(single) :]
        stop_pings.set()
        round_trips = pings.get(timeout=30)
        print(f"JACK dummy {RATE} Hz, {args.period} frames per cycle; {'one core busy' if args.busy else 'idle'}; "
              f"{threads} torch thread(s), {os.cpu_count()} cores; {ready} of {args.notes + 8 * args.chords} notes found their key ready")
        print(f"single notes: {summary(single)}")
        print(f"8-note chords: {summary(chords)}")
        print(f"/distill/ping while playing, every {args.ping_every:g} s: {ping_summary(round_trips)}")
    finally:
        stop_pings.set()
        if pinging.is_alive():
            pinging.join(10)
        osc.close()
        engine.shutdown()
        onsets.close()
        if busy is not None:
            busy.kill()
        import sounddevice as sd

        sd._terminate()
        jackd.terminate()


if __name__ == "__main__":
    main()
