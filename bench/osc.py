"""Resident engine benchmark over real OSC/UDP on loopback: ping latency, parameter throughput, floods, generation.

    .venv/bin/python bench/osc.py --model PATH_OR_NAME [--threads 1] [--pings 2000] [--params 2000]
    .venv/bin/python bench/osc.py --flood-rates 2000,5000,10000 [--flood-seconds 2]   # no model needed

The engine and its OSC server run in this process exactly as `distill serve` sets them up (torch threads,
GIL switch interval); the client is a separate process, so the client's own work does not compete for this
process's GIL. Reports:
- with `--model` (one with a prior, e.g. the demo after `distill train-prior demo`): `/distill/ping` round
  trip, p50 / p99 / max, idle and while 4 s generations run back to back on the worker; sustained
  `/distill/param/temperature` messages per second from one client, sent at a fixed rate, and how many of
  the answers came back (none lost is the target); `/distill/generate 4` to `/distill/generated`, per run
  (the first is a warm-up and reported apart);
- with `--flood-rates`: for each rate, `/distill/param/temperature` sent at that rate for `--flood-seconds`
  (a bounded count) while a second thread of the client counts the answers as they come: answered,
  refused (`/distill/error`, e.g. the per-client queue limit) and lost (neither), and the socket's receive
  buffer as the OS granted it.
Prints a Markdown summary and the JSON report.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def client_main(address: tuple[str, int], args: argparse.Namespace, results) -> None:
    """The measuring client (a separate process)."""
    from engine.osc.client import OscClient

    client = OscClient(address)

    def pings(count: int) -> list[float]:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            client.request("/distill/ping", reply="/distill/pong")
            times.append(time.perf_counter() - started)
        return times

    report: dict = {"floods": [flood(client, rate, args.flood_seconds) for rate in args.flood_rates]}
    if not args.model:
        client.close()
        results.put(report)
        return
    pings(100)  # warm-up
    report["ping_idle_s"] = pings(args.pings)

    for _ in range(args.busy_generations):  # queued 4 s generations, back to back on the worker
        client.send("/distill/generate", 4.0)
    time.sleep(0.2)
    during, done = [], 0
    while len(during) < args.pings and done < args.busy_generations:
        during += pings(1)
        while client.pending:  # a /distill/generated arrived while pinging
            client.pending.popleft()
            done += 1
    report["ping_during_generation_s"] = during
    report["generation_was_running"] = done < args.busy_generations
    for _ in range(args.busy_generations - done):
        client.expect("/distill/generated", timeout=600)

    sent, interval = args.params, 1.0 / args.param_rate
    started = time.perf_counter()
    for number in range(sent):
        while time.perf_counter() < started + number * interval:
            pass
        client.send("/distill/param/temperature", 0.5 + (number % 100) / 100)
    send_seconds = time.perf_counter() - started
    received = 0
    try:
        while received < sent:
            client.expect("/distill/param/temperature", timeout=2.0)
            received += 1
    except TimeoutError:
        pass
    report["params"] = {"sent": sent, "answered": received, "send_seconds": send_seconds, "rate_per_s": sent / send_seconds}

    generate = []
    for _ in range(args.generations + 1):
        started = time.perf_counter()
        client.request("/distill/generate", 4.0, reply="/distill/generated", timeout=600)
        generate.append(time.perf_counter() - started)
    report["generate_4s_warmup_s"] = generate[0]
    report["generate_4s_s"] = generate[1:]
    client.close()
    results.put(report)


def flood(client, rate: float, seconds: float) -> dict:
    """Send `/distill/param/temperature` at `rate` per second for `seconds`; count answers and refusals as
    they arrive (a second thread reads the socket, so the client's own buffer never overflows)."""
    from engine.osc.args import build

    sent = int(rate * seconds)
    counts = {"answered": 0, "refused": 0}
    done = threading.Event()

    def read() -> None:
        client.socket.settimeout(1.0)
        while counts["answered"] + counts["refused"] < sent:
            try:
                data = client.socket.recv(65536)
            except TimeoutError:
                if done.is_set():  # nothing for a second after the last send: the rest are lost
                    return
                continue
            if data.startswith(b"/distill/param/temperature"):
                counts["answered"] += 1
            elif data.startswith(b"/distill/error"):
                counts["refused"] += 1

    reader = threading.Thread(target=read)
    reader.start()
    messages = [build("/distill/param/temperature", (0.5 + (number % 100) / 100,)) for number in range(100)]
    interval = 1.0 / rate
    started = time.perf_counter()
    for number in range(sent):
        while time.perf_counter() < started + number * interval:
            pass
        client.send_raw(messages[number % 100])
    send_seconds = time.perf_counter() - started
    done.set()
    reader.join()
    return {"rate": rate, "sent": sent, "send_rate_per_s": sent / send_seconds, **counts, "lost": sent - counts["answered"] - counts["refused"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="library name or model file with a prior (without: only the floods run)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as distill serve)")
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--params", type=int, default=2000)
    parser.add_argument("--param-rate", type=float, default=2000.0, help="parameter messages per second to send")
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--busy-generations", type=int, default=40, help="4 s generations queued while pinging")
    parser.add_argument("--flood-rates", type=lambda text: [float(rate) for rate in text.split(",")], default=[], help="comma-separated message rates per second to flood with")
    parser.add_argument("--flood-seconds", type=float, default=2.0, help="how long each flood lasts")
    args = parser.parse_args()
    if not args.model and not args.flood_rates:
        parser.error("give --model, --flood-rates or both")

    import torch

    from engine.cli.serve import DEFAULT_TORCH_THREADS, SWITCH_INTERVAL_S
    from engine.core import Engine
    from engine.osc.server import OscServer

    threads = args.threads or DEFAULT_TORCH_THREADS
    torch.set_num_threads(threads)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    with tempfile.TemporaryDirectory(prefix="distill-osc-bench-") as home:
        os.environ["DISTILL_HOME"] = home
        engine = Engine(out_dir=Path(home) / "out")
        info = engine.load_model(args.model) if args.model else None
        server = OscServer(engine, "127.0.0.1", 0).start()
        receive_buffer = server.receive_buffer
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        client = context.Process(target=client_main, args=(server.address, args, results))
        client.start()
        report = results.get()
        client.join()
        server.close()
        engine.shutdown()

    summary = {
        "machine": {"nproc": os.cpu_count(), "torch_threads": threads, "torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "receive_buffer_bytes": receive_buffer,
        "floods": report["floods"],
    }
    print("| Measure | Result | Target |\n|---|---|---|")
    for run in report["floods"]:
        print(f"| flood of `/distill/param/temperature` at {run['rate']:.0f} /s ({run['send_rate_per_s']:.0f} /s sent) | {run['answered']} of {run['sent']} answered, {run['refused']} refused, {run['lost']} lost | none lost |")
    if info is not None:
        summary |= model_summary(info, report)
        idle, busy, params, gen = summary["ping_idle"], summary["ping_during_generation"], summary["params"], summary["generate_4s"]
        print(f"| `/distill/ping` idle, p50 / p99 | {idle['p50_ms']:.3f} / {idle['p99_ms']:.3f} ms | |")
        print(f"| `/distill/ping` during generation, p50 / p99 (max) | {busy['p50_ms']:.3f} / {busy['p99_ms']:.3f} ms ({busy['max_ms']:.1f}) | p99 < 2 ms |")
        print(f"| parameter messages | {params['rate_per_s']:.0f} /s sent, {params['answered']} of {params['sent']} answered | 2000 /s, none lost |")
        print(f"| `/distill/generate 4` -> `/distill/generated`, median (min) | {gen['median_ms']:.0f} ms ({gen['min_ms']:.0f}) | < 300 ms |")
    print(json.dumps(summary, indent=2))


def model_summary(info, report: dict) -> dict:
    """The parts of the summary that need a model: ping, parameters and generation."""

    def ms(values: list[float]) -> dict:
        return {"p50_ms": 1000 * float(np.percentile(values, 50)), "p99_ms": 1000 * float(np.percentile(values, 99)), "max_ms": 1000 * max(values), "n": len(values)}

    return {
        "model": {"name": info.name, "levels": info.levels, "codebook_size": info.codebook_size, "sample_rate": info.sample_rate},
        "ping_idle": ms(report["ping_idle_s"]),
        "ping_during_generation": {**ms(report["ping_during_generation_s"]), "generation_was_running": report["generation_was_running"]},
        "params": report["params"],
        "generate_4s": {"warmup_ms": 1000 * report["generate_4s_warmup_s"], "median_ms": 1000 * float(np.median(report["generate_4s_s"])), "min_ms": 1000 * min(report["generate_4s_s"]), "runs": len(report["generate_4s_s"])},
    }


if __name__ == "__main__":
    main()
