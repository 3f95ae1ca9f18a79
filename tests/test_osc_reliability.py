"""Reliability of the OSC adapter: malformed and random datagrams, concurrent editors, ping during a job."""

from __future__ import annotations

import logging
import random
import struct
import sys
import threading
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.core import Engine
from engine.events import GridEdited
from engine.osc.client import OscClient
from engine.osc.routes import ROUTES

JOB_ADDRESSES = {"/distill/generate", "/distill/preview", "/distill/decode", "/distill/encode", "/distill/play", "/distill/train/start", "/distill/model/load"}


@pytest.fixture
def engine(home, tmp_path, tiny_prior_file, sound_folder):
    engine = Engine(out_dir=tmp_path / "out")
    engine.load_model(str(tiny_prior_file))
    wavs = sorted(sound_folder.glob("*.wav"))
    for slot, path in (("keep1", wavs[0]), ("keep2", wavs[1])):
        engine.encode(slot, str(path)).result()
    yield engine
    engine.shutdown()


def random_value(rng: random.Random) -> tuple:
    """(value, OSC tag) of any type, often extreme."""
    kind = rng.choice("iifffsssTFNbdh")
    if kind == "i":
        return rng.choice([0, 1, -1, 2**31 - 1, -(2**31), rng.randint(-100, 100)]), "i"
    if kind == "h":
        return rng.choice([2**40, -(2**62), 7]), "h"
    if kind == "f":
        return rng.choice([0.0, 0.5, -1.0, 2.5, 3.4e38, -3.4e38, float("nan"), float("inf"), rng.uniform(-1e6, 1e6)]), "f"
    if kind == "d":
        return rng.choice([1e300, -1e300, 0.25, float("nan")]), "d"
    if kind == "s":
        return rng.choice(["", "A", "keep3", "timbre", "x" * 2000, "../../etc/passwd", "\u00e9\u00e8", "-1"]), "s"
    if kind == "b":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))), "b"
    return None, kind  # T, F, N


def random_message(rng: random.Random, addresses: list[str]) -> bytes:
    builder = OscMessageBuilder(rng.choice(addresses))
    for _ in range(rng.randrange(7)):
        value, tag = random_value(rng)
        builder.add_arg(value, tag)
    return builder.build().dgram


def random_datagram(rng: random.Random, addresses: list[str]) -> bytes:
    """Random bytes, truncated or corrupted messages, bad type tags, or (nested, timed) bundles."""
    choice = rng.randrange(7)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    message = random_message(rng, addresses)
    if choice == 1:
        return message[: rng.randrange(1, len(message) + 1)]
    if choice == 2:
        corrupt = bytearray(message)
        for _ in range(rng.randrange(1, 4)):
            corrupt[rng.randrange(len(corrupt))] = rng.randrange(256)
        return bytes(corrupt)
    if choice == 3:  # a type tag string with unknown or missing tags
        address = rng.choice(addresses).encode()
        tags = b"," + bytes(rng.choice(b"ifsxyzQ?[") for _ in range(rng.randrange(5)))
        pad = lambda b: b + b"\x00" * (4 - len(b) % 4)
        return pad(address) + pad(tags) + struct.pack(">i", 7)
    if choice == 4:
        bundle = OscBundleBuilder(rng.choice([0, 1, time.time() + 3600]))  # immediately, long ago, in an hour
        for _ in range(rng.randrange(1, 5)):
            bundle.add_content(OscMessageBuilder(rng.choice(addresses)).build())
        return bundle.build().dgram
    if choice == 5:  # a bundle whose element size lies
        return b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 1000) + message
    return message


def slot_state(engine: Engine) -> dict:
    return {slot: (engine.grid(slot).codes.copy(), dict(engine.grid(slot).blends), engine.edit_history(slot)) for slot in engine.slots()}


def test_random_and_malformed_datagrams_leave_the_engine_serving_and_slots_unchanged(engine, server, caplog):
    caplog.set_level(logging.ERROR, logger="distill.osc")
    before = slot_state(engine)
    addresses = [r.address for r in ROUTES if r.address not in JOB_ADDRESSES] + ["/distill/nope", "/", "distill", "/distill/*"]
    rng = random.Random(5)
    client, fuzzer = OscClient(server.address), OscClient(server.address)  # the fuzzer's replies are not read
    for number in range(1500):
        fuzzer.send_raw(random_datagram(rng, addresses))
        if number % 100 == 99:  # let the server keep up (UDP drops what overflows its buffer)
            assert client.request("/distill/ping", reply="/distill/pong", timeout=10)
    assert client.request("/distill/ping", reply="/distill/pong", timeout=10)
    after = slot_state(engine)
    assert before.keys() == after.keys()
    for slot in before:
        assert np.array_equal(before[slot][0], after[slot][0]) and before[slot][1:] == after[slot][1:]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a datagram caused an internal error"
    client.close()
    fuzzer.close()


def test_concurrent_editors_end_in_a_consistent_grid_whose_history_replays(engine, server):
    original = engine.grid("keep1")
    edits: list[GridEdited] = []
    engine.subscribe(lambda event: edits.append(event) if isinstance(event, GridEdited) and event.slot == "keep1" else None)
    columns = original.columns

    def editor(seed: int) -> None:
        rng = random.Random(seed)
        client = OscClient(server.address)
        for _ in range(40):
            client.send("/distill/cell/set", "keep1", float(rng.randrange(3)), float(rng.randrange(columns)), float(rng.randrange(16)))
            client.expect("/distill/edited", timeout=10)
            if rng.random() < 0.2:
                client.send("/distill/undo", "keep1")  # may fail when another client undid everything: fine
                client.receive(timeout=10)
        client.close()

    threads = [threading.Thread(target=editor, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = engine.grid("keep1")
    # the events, applied in order to the original, give the final grid
    replayed = original.codes.copy()
    for edit in edits:
        for level, column, code in edit.cells:
            replayed[level, column] = code
    assert np.array_equal(replayed, final.codes)
    # and the undo history walks back to the original and forward again to the same final grid
    undo_depth, redo_depth = len(engine.edit_history("keep1")[0]), len(engine.edit_history("keep1")[1])
    assert (undo_depth, redo_depth) == (edits[-1].undo_depth, edits[-1].redo_depth) and undo_depth > 0
    for _ in range(undo_depth):
        engine.undo("keep1")
    assert engine.grid("keep1") == original
    for _ in range(undo_depth):
        engine.redo("keep1")
    assert engine.grid("keep1") == final


def test_ping_is_answered_at_once_during_a_generation(engine, server):
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # as `distill serve` does
    client = OscClient(server.address)
    try:
        client.send("/distill/generate", 30.0)
        time.sleep(0.05)
        latencies = []
        while len(latencies) < 300:
            started = time.perf_counter()
            client.request("/distill/ping", reply="/distill/pong")
            latencies.append(time.perf_counter() - started)
            if client.pending:  # the generation finished before enough pings
                break
        client.expect("/distill/generated", timeout=120)
    finally:
        sys.setswitchinterval(previous)
        client.close()
    assert len(latencies) >= 100, "the generation was too short to measure during it"
    assert np.percentile(latencies, 50) < 0.005 and np.percentile(latencies, 99) < 0.05, np.percentile(latencies, [50, 99])
