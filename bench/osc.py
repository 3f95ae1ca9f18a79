"""Resident engine benchmark over real OSC/UDP on loopback: ping latency, parameter throughput, generation.

    .venv/bin/python bench/osc.py --model PATH_OR_NAME [--threads 1] [--pings 2000] [--params 2000]

Needs a model with a prior (e.g. the demo after `distill train-prior demo`). The engine and its OSC server
run in this process exactly as `distill serve` sets them up (torch threads, GIL switch interval); the
client is a separate process, so the client's own work does not compete for this process's GIL. Reports:
- `/distill/ping` round trip, p50 / p99 / max, idle and while 4 s generations run back to back on the worker;
- sustained `/distill/param/temperature` messages per second from one client, sent at a fixed rate, and
  how many of the answers came back (none lost is the target);
- `/distill/generate 4` to `/distill/generated`, per run (the first is a warm-up and reported apart).
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

    report: dict = {}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="library name or model file with a prior")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as distill serve)")
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--params", type=int, default=2000)
    parser.add_argument("--param-rate", type=float, default=2000.0, help="parameter messages per second to send")
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--busy-generations", type=int, default=40, help="4 s generations queued while pinging")
    args = parser.parse_args()

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
        info = engine.load_model(args.model)
        server = OscServer(engine, "127.0.0.1", 0).start()
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        client = context.Process(target=client_main, args=(server.address, args, results))
        client.start()
        report = results.get()
        client.join()
        server.close()
        engine.shutdown()

    def ms(values: list[float]) -> dict:
        return {"p50_ms": 1000 * float(np.percentile(values, 50)), "p99_ms": 1000 * float(np.percentile(values, 99)), "max_ms": 1000 * max(values), "n": len(values)}

    summary = {
        "machine": {"nproc": os.cpu_count(), "torch_threads": threads, "torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "model": {"name": info.name, "levels": info.levels, "codebook_size": info.codebook_size, "sample_rate": info.sample_rate},
        "ping_idle": ms(report["ping_idle_s"]),
        "ping_during_generation": {**ms(report["ping_during_generation_s"]), "generation_was_running": report["generation_was_running"]},
        "params": report["params"],
        "generate_4s": {"warmup_ms": 1000 * report["generate_4s_warmup_s"], "median_ms": 1000 * float(np.median(report["generate_4s_s"])), "min_ms": 1000 * min(report["generate_4s_s"]), "runs": len(report["generate_4s_s"])},
    }
    idle, busy, params, gen = summary["ping_idle"], summary["ping_during_generation"], summary["params"], summary["generate_4s"]
    print("| Measure | Result | Target |\n|---|---|---|")
    print(f"| `/distill/ping` idle, p50 / p99 | {idle['p50_ms']:.3f} / {idle['p99_ms']:.3f} ms | |")
    print(f"| `/distill/ping` during generation, p50 / p99 (max) | {busy['p50_ms']:.3f} / {busy['p99_ms']:.3f} ms ({busy['max_ms']:.1f}) | p99 < 2 ms |")
    print(f"| parameter messages | {params['rate_per_s']:.0f} /s sent, {params['answered']} of {params['sent']} answered | 2000 /s, none lost |")
    print(f"| `/distill/generate 4` -> `/distill/generated`, median (min) | {gen['median_ms']:.0f} ms ({gen['min_ms']:.0f}) | < 300 ms |")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
