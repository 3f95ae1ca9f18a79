"""Hostile input, fault and race probes (issue 16) against the real CLI, the library and a real `distill serve`.

    .venv/bin/python bench/probes.py [--quick] [--only TEXT] [--markdown FILE] [--keep] [--list]

Everything runs in a throw-away folder: a DISTILL_HOME with a tiny model and prior trained at the start
(codebook 16, dimension 16, hidden 32, 2 epochs on eight synthesised sounds), and `distill serve` on a free
loopback port with no audio device. The CLI runs as `python -m engine.cli` from this checkout.

Each probe has a name, a category, what it does and what passing means. Besides its own checks, every probe
passes only when afterwards:
- the engine answers `/distill/ping` within 1 s and has logged no traceback;
- nothing was written outside DISTILL_HOME and the probe's own scratch folder (nor into the checkout);
- the library's model `tiny` is still there with its prior.
Every CLI run is limited to 6 GB of address space. CLI failures must be one sentence (`error: ...`, exit status 1, or argparse's usage error, status 2) with no
traceback. OSC failures must be a `/distill/error` whose message is one sentence and no "internal error".

`--quick` leaves out the slow probes (trainings, kills, races, waits on locks). `--only TEXT` runs the probes
whose name or category contains TEXT (`--only 'A|B'`: either). The table goes to stdout, then the Markdown summary (also written to
`--markdown FILE`). As root, permission probes run their CLI without root's power over file permissions
(`setpriv`), and full or read-only disks are small tmpfs mounts; elsewhere the disk probes are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pickle
import platform
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import soundfile
from pythonosc.osc_message_builder import OscMessageBuilder

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.demo_sounds import write_demo_dataset  # noqa: E402
from engine.limits import MAX_GRID_COLUMNS  # noqa: E402
from engine.modelfile import read_model_file, read_model_metadata, save_model_file  # noqa: E402
from engine.osc.args import Arg, Optional, Rest  # noqa: E402
from engine.osc.client import OscClient  # noqa: E402
from engine.osc.packet import BUNDLE_TAG, MAX_DATAGRAM_MESSAGES  # noqa: E402
from engine.osc.routes import ROUTES, Route  # noqa: E402
from engine.osc.server import MAX_DATAGRAM, MAX_LISTENERS  # noqa: E402
from engine.osc.work import MAX_JOBS_PER_CLIENT, MAX_REPLY_BYTES_PER_DATAGRAM  # noqa: E402

TINY_TRAIN = ("--codebook-size", "16", "--codebook-dim", "16", "--hidden", "32", "--device", "cpu", "--seed", "1")
TINY_PRIOR = ("--context", "16", "--d-model", "32", "--layers", "1", "--device", "cpu", "--seed", "1")
UNPRIVILEGED = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")  # root, but held to file permissions
MEMORY_LIMIT = 6 * 2**30  # address space of every CLI run
PING_LIMIT_S = 1.0
TIME_TAG_NOW = b"\x00" * 7 + b"\x01"


class Failed(Exception):
    """A probe's pass condition does not hold; the message says what happened instead."""


class Skipped(Exception):
    """A probe cannot run here (e.g. it needs root to mount a small disk)."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


# -- the registry ------------------------------------------------------------------------------------------


@dataclass
class Probe:
    category: str
    name: str
    does: str
    passes: str
    run: Callable[[Bench], object]
    slow: bool = False
    timeout: float = 90.0


PROBES: list[Probe] = []


def probe(category: str, name: str, does: str, passes: str, slow: bool = False, timeout: float = 90.0):
    """Register the decorated function `f(bench)` as a probe; it raises Failed or Skipped, or returns a note."""

    def register(function: Callable[[Bench], object]) -> Callable[[Bench], object]:
        PROBES.append(Probe(category, name, does, passes, function, slow, timeout))
        return function

    return register


# -- the bench: a data folder, a served engine and the CLI --------------------------------------------------


@dataclass
class Run:
    """A finished CLI command."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float

    def __str__(self) -> str:
        tail = self.err.strip().splitlines()[-3:]
        return f"`distill {' '.join(self.args)[:120]}` exited {self.code}: {' | '.join(tail)[:400]}"


class Bench:
    """The throw-away world the probes act on. `scratch` is the running probe's own folder."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home"
        self.sounds = root / "sounds"
        self.scratch = root / "scratch"
        self.serve: subprocess.Popen | None = None
        self.port = 0
        self.serve_log: list[str] = []
        self.processes: list[subprocess.Popen] = []

    # -- setup

    def prepare(self) -> None:
        write_demo_dataset(self.sounds, per_kind=1, seed=3)
        started = time.monotonic()
        self.expect_ok(self.cli("train", str(self.sounds), "--name", "tiny", "--epochs", "2", *TINY_TRAIN, timeout=600))
        self.no_prior_file = self.root / "tiny-no-prior.sda"
        shutil.copy(self.home / "models" / "tiny.sda", self.no_prior_file)
        self.expect_ok(self.cli("train-prior", "tiny", "--epochs", "2", *TINY_PRIOR, timeout=600))
        self.tiny_file = self.root / "tiny.sda"
        shutil.copy(self.home / "models" / "tiny.sda", self.tiny_file)
        self.expect_ok(self.cli("encode", "tiny", str(self.sounds / "kick_1.wav"), "--out", str(self.root / "kick.json")))
        self.grid_file = self.root / "kick.json"
        print(f"tiny model and prior trained in {time.monotonic() - started:.0f} s", file=sys.stderr)
        self.start_serve()

    def start_serve(self) -> None:
        self.serve, self.port = self.spawn_serve(self.home, self.serve_log)
        client = self.client()
        try:
            client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=60)
            client.request("/distill/encode", "A", str(self.sounds / "kick_1.wav"), reply="/distill/encoded", timeout=60)
            client.request("/distill/param/duration", 0.25, reply="/distill/param/duration")
        finally:
            client.close()

    def spawn_serve(self, home: Path, log: list[str], *extra: str) -> tuple[subprocess.Popen, int]:
        """A `distill serve` on a free port whose stderr lines are appended to `log`."""
        command = [sys.executable, "-m", "engine.cli", "serve", "--port", "0", "--audio-device", "none", "--threads", "1", *extra]
        process = subprocess.Popen(command, cwd=REPO, env=self.env(home), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, errors="replace")
        self.processes.append(process)
        for line in process.stderr:
            log.append(line)
            found = re.search(r"listening for OSC on 127\.0\.0\.1:(\d+)", line)
            if found:
                threading.Thread(target=lambda: log.extend(process.stderr), daemon=True).start()
                return process, int(found.group(1))
        raise RuntimeError(f"distill serve did not start: {''.join(log)[-2000:]}")

    def close(self) -> None:
        (self.root / "serve.log").write_text("".join(self.serve_log))
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    # -- the CLI

    def env(self, home: Path | None = None, **extra: str) -> dict[str, str]:
        return {**os.environ, "DISTILL_HOME": str(home or self.home), "PYTHONPATH": str(REPO), **extra}

    def cli(self, *args: str, home: Path | None = None, timeout: float = 120, unprivileged: bool = False) -> Run:
        """Run `distill ARGS` to its end (killed after `timeout` s: a Failed naming the hang); `unprivileged`: held
        to file permissions even as root."""
        prefix = UNPRIVILEGED if unprivileged and os.geteuid() == 0 else ()
        started = time.monotonic()
        process = subprocess.Popen([*prefix, sys.executable, "-m", "engine.cli", *args], cwd=REPO, env=self.env(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", preexec_fn=_within_memory)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise Failed(f"`distill {' '.join(args)[:120]}` did not end within {timeout:g} s") from None
        return Run(tuple(args), process.returncode, out, err, time.monotonic() - started)

    def start_cli(self, *args: str, home: Path | None = None) -> subprocess.Popen:
        """Start `distill ARGS` in the background (killed at the end if still running)."""
        process = subprocess.Popen([sys.executable, "-m", "engine.cli", *args], cwd=REPO, env=self.env(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        self.processes.append(process)
        return process

    @staticmethod
    def expect_ok(run: Run) -> Run:
        check(run.code == 0 and "Traceback" not in run.err, f"expected success: {run}")
        return run

    def expect_refused_unless(self, run: Run, harmless: bool) -> None:
        """A success when the input is `harmless` and the command worked, else a one-sentence refusal."""
        if not (harmless and run.code == 0):
            self.expect_error(run)

    @staticmethod
    def expect_error(run: Run, *words: str) -> Run:
        """A refusal in one sentence naming the problem: exit 1 (or argparse's 2), no traceback, an `error:` line with `words`."""
        check("Traceback" not in run.err, f"traceback: {run}")
        check(run.code in (1, 2), f"expected exit status 1 (or 2 for usage), got {run}")
        errors = [line for line in run.err.splitlines() if "error:" in line]
        check(len(errors) == 1, f"expected one error line, got {run}")
        for word in words:
            check(word.lower() in errors[0].lower(), f"the error does not name {word!r}: {errors[0][:300]}")
        return run

    def fresh_home(self, name: str = "home", with_tiny: bool = True) -> Path:
        """A new data folder under the scratch folder, holding a copy of the tiny model (with its prior)."""
        home = self.scratch / name
        (home / "models").mkdir(parents=True)
        if with_tiny:
            shutil.copy(self.tiny_file, home / "models" / "tiny.sda")
        return home

    # -- OSC

    def client(self, port: int | None = None) -> OscClient:
        return OscClient(("127.0.0.1", port or self.port))

    def ping(self, limit: float = PING_LIMIT_S, port: int | None = None) -> float:
        """Seconds to a `/distill/pong`; Failed if none comes within `limit`."""
        client = self.client(port)
        try:
            started = time.monotonic()
            try:
                client.request("/distill/ping", reply="/distill/pong", timeout=limit)
            except TimeoutError:
                raise Failed(f"/distill/ping was not answered within {limit:g} s") from None
            return time.monotonic() - started
        finally:
            client.close()

    def exchange(self, data: bytes, timeout: float = 5.0) -> list[tuple[str, list]]:
        """Send one datagram from a fresh socket; the messages that come back until `timeout` passes quietly
        for 0.3 s after the first (at least one is waited for until `timeout`)."""
        client = self.client()
        try:
            client.send_raw(data)
            replies = [client.receive(timeout)]
            with contextlib.suppress(TimeoutError):
                while True:
                    replies.append(client.receive(0.3))
            return replies
        except TimeoutError:
            return []
        finally:
            client.close()

    def refused(self, data: bytes, *words: str, timeout: float = 5.0) -> str:
        """Send `data`; the first reply must be one-sentence `/distill/error` naming `words`. Returns its message."""
        replies = self.exchange(data, timeout)
        check(replies, f"no reply within {timeout:g} s to a datagram of {len(data)} bytes")
        address, values = replies[0]
        check(address == "/distill/error", f"expected /distill/error, got {address} {values[:4]}")
        message = str(values[1]) if len(values) > 1 else ""
        check_sentence(message)
        for word in words:
            check(word.lower() in message.lower(), f"the error does not name {word!r}: {message[:300]}")
        return message


def _within_memory() -> None:
    """At most MEMORY_LIMIT of address space: a command that allocates what a hostile header claims fails fast."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check_sentence(message: str) -> None:
    """An error message fit for a user: one line, no traceback, no internal error."""
    check("internal error" not in message and "Traceback" not in message, f"an internal error: {message[:300]}")
    check("\n" not in message.strip(), f"more than one line: {message[:300]}")
    check(message.strip(), "an empty error message")


def need_root(what: str) -> None:
    if os.geteuid() != 0:
        raise Skipped(f"{what} needs root here")


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[Path]:
    """A real small file system (tmpfs) mounted at `folder`; Skipped where mounting is not allowed."""
    need_root("mounting a small disk")
    folder.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True).returncode:
        raise Skipped("mounting a tmpfs was refused")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# -- raw OSC: the malformed datagrams the engine's own encoder never makes -------------------------------------


def osc_string(text: bytes) -> bytes:
    """`text`, NUL-terminated and padded to a multiple of 4 bytes."""
    return text + b"\x00" * (4 - len(text) % 4)


def raw_message(address: bytes, tags: bytes | None = None, payload: bytes = b"") -> bytes:
    data = osc_string(address)
    if tags is not None:
        data += osc_string(b"," + tags)
    return data + payload


def typed(address: str, *pairs: tuple[str, object]) -> bytes:
    """A well-formed message with explicit OSC type tags (blobs, nil, true, int64, double, ...)."""
    builder = OscMessageBuilder(address)
    for kind, value in pairs:
        builder.add_arg(value, kind)
    return builder.build().dgram


def bundle(*elements: bytes, time_tag: bytes = TIME_TAG_NOW) -> bytes:
    return BUNDLE_TAG + time_tag + b"".join(struct.pack(">i", len(e)) + e for e in elements)


def message(address: str, *values) -> bytes:
    from engine.osc.args import build

    return build(address, values)


PING = message("/distill/ping")


# -- files the engine should refuse ------------------------------------------------------------------------


def write_wav_header(path: Path, *, channels: int = 1, rate: int = 44100, bits: int = 16, data_bytes: int, body: bytes = b"", riff_size: int | None = None) -> Path:
    """A RIFF/WAVE header that declares `data_bytes` of PCM, followed by `body` (which may be shorter)."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    header = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_bytes)
    path.write_bytes(b"RIFF" + struct.pack("<I", riff_size if riff_size is not None else (len(header) + data_bytes) & 0xFFFFFFFF) + header + body)
    return path


def safetensors_bytes(header: dict | str, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, str) else json.dumps(header)
    encoded = text.encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded) if length is None else length) + encoded + data


def model_header(metadata_text: str) -> dict:
    return {"__metadata__": {"format": "distill-model", "version": "2", "metadata": metadata_text}}


class Marker:
    """Unpickling this creates the file `path`: proof that something ran a pickle it was handed."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def changed_model(bench: Bench, path: Path, change: Callable[[dict, dict], None]) -> Path:
    """A copy of the tiny model (with prior) at `path`, its tensors and metadata changed by `change(tensors, metadata)`."""
    tensors, metadata = read_model_file(bench.tiny_file)
    change(tensors, metadata)
    return save_model_file(path, tensors, metadata)


HARMLESS_MODELS = {"name ../../escape", "health garbage", "name 100 KB", "weights that do not fit"}  # a model still (the last without its damaged prior): may be accepted


def hostile_model_files(bench: Bench, folder: Path) -> dict[str, Path]:
    """Model files of every kind of damage, by what is wrong with them."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def add(label: str, name: str, content: bytes) -> None:
        files[label] = folder / name
        files[label].write_bytes(content)

    good = bench.tiny_file.read_bytes()
    add("empty", "empty.sda", b"")
    add("pickle", "pickle.sda", pickle.dumps(Marker(bench.scratch / "PICKLE-RAN")))
    buffer = folder / "torchsave.sda"
    torch.save({"x": Marker(bench.scratch / "PICKLE-RAN")}, buffer)
    files["torch.save zip"] = buffer
    add("truncated", "truncated.sda", good[: len(good) // 2])
    add("header cut", "header-cut.sda", good[:40])
    add("header length 2^62", "huge-header.sda", struct.pack("<Q", 2**62) + good[8:])
    add("header length past the end", "long-header.sda", struct.pack("<Q", len(good)) + good[8:])
    add("header not JSON", "garbage-header.sda", safetensors_bytes("{not json" + " " * 7))
    add("metadata nested 100000 deep", "deep.sda", safetensors_bytes(model_header('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")))
    add("metadata not an object", "list-metadata.sda", safetensors_bytes(model_header("[1, 2, 3]")))
    add("metadata NaN", "nan-metadata.sda", safetensors_bytes(model_header('{"config": {"levels": NaN, "hidden": Infinity}}')))
    add("tensor claims 2^40 floats", "huge-tensor.sda", safetensors_bytes({**model_header("{}"), "w": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}}, b"\0" * 64))
    add("tensor offsets overlap", "overlap.sda", safetensors_bytes({**model_header("{}"), "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "v": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, b"\0" * 24))
    add("random bytes", "random.sda", random.Random(1).randbytes(4096))
    (folder / "folder.sda").mkdir()
    files["a folder"] = folder / "folder.sda"

    def config(**values):
        return lambda tensors, metadata: metadata["config"].update(values)

    for label, change in {
        "hidden 300000": config(hidden=300_000),
        "codebook 2^40": config(codebook_size=2**40),
        "levels as text": config(levels="3"),
        "codebook_size 16.5": config(codebook_size=16.5),
        "hidden true": config(hidden=True),
        "config a list": lambda t, m: m.update(config=[1, 2]),
        "config missing": lambda t, m: m.pop("config"),
        "n_fft 2^40": lambda t, m: m["mel"].update(n_fft=2**40),
        "sample_rate text": lambda t, m: m["mel"].update(sample_rate="44100"),
        "prior context 1e9": lambda t, m: m["prior"]["config"].update(context=10**9),
        "prior a string": lambda t, m: m.update(prior="yes"),
        "weights that do not fit": lambda t, m: t.update({name: torch.zeros(3) for name in list(t)[:1]}),
        "name ../../escape": lambda t, m: m.update(name="../../escape"),
        "health garbage": lambda t, m: m.update(health={"levels": [1, "x", None]}),
        "name 100 KB": lambda t, m: m.update(name="n" * 100_000),
    }.items():
        files[label] = changed_model(bench, folder / f"{re.sub('[^a-z0-9]+', '-', label.lower())}.sda", change)
    return files


# -- OSC packets ---------------------------------------------------------------------------------------------

def _nested(depth: int) -> bytes:
    """A ping inside `depth` bundles."""
    data = PING
    for _ in range(depth):
        data = bundle(data)
    return data


MALFORMED = {
    "zero-length datagram": b"",
    "one byte": b"/",
    "three bytes": b"/di",
    "address without a leading slash": raw_message(b"distill/ping", b""),
    "address not NUL-terminated": b"/distill/ping",
    "address padded short": b"/distill/ping\x00\x00",
    "type tags without a comma": osc_string(b"/distill/ping") + osc_string(b"ii") + b"\0" * 8,
    "unknown type tag letters": raw_message(b"/distill/param/seed", b"Qz", b"\0" * 8),
    "int tag with no data": raw_message(b"/distill/param/seed", b"i"),
    "float tag with 2 bytes": raw_message(b"/distill/param/temperature", b"f", b"\0\0"),
    "string without its NUL": raw_message(b"/distill/preset/save", b"s", b"abcd"),
    "string running to the end": raw_message(b"/distill/model/search", b"s", b"x" * 1000),
    "blob with a lying size": raw_message(b"/distill/ping", b"b", struct.pack(">i", 1_000_000) + b"abcd"),
    "blob with a negative size": raw_message(b"/distill/ping", b"b", struct.pack(">i", -8) + b"abcdabcd"),
    "array never closed": raw_message(b"/distill/generate", b"[ii", b"\0" * 8),
    "array closed never opened": raw_message(b"/distill/generate", b"]", b""),
    "arrays nested 10000 deep": raw_message(b"/distill/generate", b"[" * 10_000 + b"]" * 10_000),
    "time tag argument cut": raw_message(b"/distill/ping", b"t", b"\0" * 4),
    "address not UTF-8": raw_message(b"/distill/\xff\xfe", b""),
    "string argument not UTF-8": raw_message(b"/distill/model/search", b"s", osc_string(b"\xc3\x28\xa0\xa1")),
    "NUL in the middle of a string": raw_message(b"/distill/preset/save", b"s", b"ab\x00cd\x00\x00\x00"),
    "address of 60 KB": raw_message(b"/" + b"d" * 60_000, b""),
    "type tags of 60 KB": raw_message(b"/distill/ping", b"i" * 60_000),
    "random 512 bytes starting with /": b"/" + random.Random(7).randbytes(511),
    "#bundle without a NUL": b"#bundle" + b"X" + TIME_TAG_NOW + struct.pack(">i", len(PING)) + PING,
    "bundle header only, cut": BUNDLE_TAG + b"\x00\x00",
    "bundle element size -4 (the 24 bytes that hung python-osc)": BUNDLE_TAG + TIME_TAG_NOW + struct.pack(">i", -4) + b"\0" * 4,
    "bundle element size -2^31": BUNDLE_TAG + TIME_TAG_NOW + struct.pack(">i", -(2**31)) + PING,
    "bundle element size 2^31-1": BUNDLE_TAG + TIME_TAG_NOW + struct.pack(">i", 2**31 - 1) + PING,
    "bundle element size odd": BUNDLE_TAG + TIME_TAG_NOW + struct.pack(">i", len(PING) - 1) + PING,
    "bundle element of garbage": bundle(b"\xff" * 16),
    "bundle nested 3000 deep": _nested(3000),
    "bundle of 65 pings (one over the limit)": bundle(*[PING] * (MAX_DATAGRAM_MESSAGES + 1)),
    "bundle holding a malformed message": bundle(PING, b"/distill/ping"),
    "message starting with #": raw_message(b"#distill/ping", b""),
}



def _malformed_probe(label: str, data: bytes) -> None:
    @probe("osc packets", f"malformed: {label}", f"sends a {len(data)}-byte datagram: {label}", "a one-sentence /distill/error")
    def run(bench: Bench) -> None:
        bench.refused(data)


for _label, _data in MALFORMED.items():
    _malformed_probe(_label, _data)


@probe("osc packets", "random datagrams", "sends 500 datagrams of random bytes (seeded), half starting with / and half with #bundle\\0",
       "the engine keeps answering, every datagram is answered or refused, no traceback")
def random_datagrams(bench: Bench) -> str:
    generator = random.Random(16)
    client = bench.client()
    try:
        for number in range(500):
            head = b"/" if number % 2 else BUNDLE_TAG
            client.send_raw(head + generator.randbytes(generator.randrange(0, 300)))
        answered = 0
        with contextlib.suppress(TimeoutError):
            while True:
                client.receive(1.0)
                answered += 1
    finally:
        client.close()
    check(answered >= 500, f"only {answered} of 500 random datagrams were answered")
    return f"{answered} replies"


def _timed_bundle_probe(label: str, time_tag: bytes) -> None:
    @probe("osc packets", f"bundle time tag {label}", f"a bundle timed {label} holding /distill/ping", "the ping is answered at once (time tags are ignored, never waited for)")
    def run(bench: Bench) -> None:
        started = time.monotonic()
        replies = bench.exchange(bundle(PING, time_tag=time_tag), timeout=2)
        check(replies and replies[0][0] == "/distill/pong", f"expected /distill/pong, got {replies[:1]}")
        check(time.monotonic() - started < 1.5, "the bundle's ping was answered late")


for _label, _tag in {"far in the future (year 2106)": b"\xff" * 8, "in the past (1900)": b"\x00" * 8, "of NTP era garbage": b"\x80\x00\x00\x00\xde\xad\xbe\xef"}.items():
    _timed_bundle_probe(_label, _tag)


@probe("osc packets", "empty bundle", "a bundle with a header and no elements", "no reply needed, and ping still answers (nothing to do)")
def empty_bundle(bench: Bench) -> str:
    replies = bench.exchange(bundle(), timeout=1)
    for address, values in replies:
        if address == "/distill/error":
            check_sentence(str(values[-1]))
    return f"{len(replies)} replies"


@probe("osc packets", "64 KB datagram", "one /distill/model/search whose query fills the largest UDP datagram", "answered (search end) or refused in one sentence")
def biggest_datagram(bench: Bench) -> None:
    overhead = len(message("/distill/model/search", ""))
    data = message("/distill/model/search", "k" * (MAX_DATAGRAM - overhead - 4))
    check(len(data) <= MAX_DATAGRAM, "built too large")
    replies = bench.exchange(data, timeout=5)
    check(replies, "no reply to the largest datagram")
    address, values = replies[-1]
    check(address in ("/distill/model/search/end", "/distill/error"), f"unexpected reply {address}")
    if address == "/distill/error":
        check_sentence(values[1])


@probe("osc packets", "address patterns", "sends /distill/*, /distill/param/{seed,top_k}, /distill/[a-z]ing and /distill/pin?", "each refused in one sentence; none starts an action")
def address_patterns(bench: Bench) -> None:
    for address in ("/distill/*", "/distill/param/{seed,top_k}", "/distill/[a-z]ing", "/distill/pin?", "//distill/ping"):
        replies = bench.exchange(message(address), timeout=2)
        check(replies and replies[0][0] == "/distill/error", f"{address}: expected /distill/error, got {replies[:1]}")
        check_sentence(replies[0][1][1])
        check(len(replies) == 1, f"{address}: started {len(replies) - 1} more replies")


# -- OSC arguments: well-formed messages with hostile values -------------------------------------------------


def _sent(bench: Bench, data: bytes, timeout: float = 10.0) -> tuple[str, list]:
    """The first reply to `data`, which must come; an error must be one sentence."""
    replies = bench.exchange(data, timeout)
    check(replies, f"no reply within {timeout:g} s")
    address, values = replies[0]
    if address == "/distill/error":
        check_sentence(str(values[1]))
    return address, values


@probe("osc arguments", "NaN and infinities", "sends NaN, +inf, -inf and 3.5e38 (float32 and double) to every float parameter, generate, blend and continue",
       "each refused in one sentence; the parameters keep their values")
def nan_and_infinities(bench: Bench) -> None:
    client = bench.client()
    try:
        before = {p: client.request(f"/distill/param/{p}", reply=f"/distill/param/{p}")[0] for p in ("temperature", "top_p", "duration")}
    finally:
        client.close()
    for value in (math.nan, math.inf, -math.inf):
        for kind in ("f", "d"):
            for address in ("/distill/param/temperature", "/distill/param/top_p", "/distill/param/duration", "/distill/generate", "/distill/note/mode"):
                pairs = [("s", "gate"), (kind, value)] if address == "/distill/note/mode" else [(kind, value)]
                address_got, values = _sent(bench, typed(address, *pairs))
                check(address_got == "/distill/error", f"{address} {value} ({kind}) was accepted: {address_got} {values}")
            for data in (typed("/distill/blend", ("s", "A"), ("s", "A"), (kind, value)), typed("/distill/continue", ("s", "A"), (kind, value))):
                check(_sent(bench, data)[0] == "/distill/error", f"a non-finite value was accepted by {data[:16]!r}")
    client = bench.client()
    try:
        after = {p: client.request(f"/distill/param/{p}", reply=f"/distill/param/{p}")[0] for p in ("temperature", "top_p", "duration")}
    finally:
        client.close()
    check(after == before, f"parameters changed: {before} -> {after}")


@probe("osc arguments", "negative and extreme integers", "sends -1, -2^31, 2^31-1 and int64 +-2^62 to every int argument of history, notes, cells, seeds, top_k, previews",
       "each answered or refused in one sentence")
def extreme_integers(bench: Bench) -> None:
    for value in (-1, -(2**31), 2**31 - 1):
        for address, before in (("/distill/history/list", []), ("/distill/note", [60]), ("/distill/cell/set", ["A", 0, 0]), ("/distill/param/seed", []),
                                 ("/distill/param/top_k", []), ("/distill/preview", [0]), ("/distill/history/replay", []), ("/distill/health/usage", []),
                                 ("/distill/swap", ["A", "A", 0]), ("/distill/subscribe", []), ("/distill/prior/train/start", ["probe-missing", 1.0])):
            _sent(bench, message(address, *before, value))
    for value in (2**62, -(2**62)):
        check(_sent(bench, typed("/distill/param/seed", ("h", value)))[0] == "/distill/error", f"int64 {value} accepted as a seed")
    _sent(bench, message("/distill/param/seed", 0))


@probe("osc arguments", "seed at 2^31-1 then a generation", "sets /distill/param/seed to 2^31-1, generates 0.1 s, then asks for the seed",
       "the generation is answered, and so is the seed (still an OSC int)")
def seed_wraps(bench: Bench) -> str:
    client = bench.client()
    try:
        client.request("/distill/param/seed", 2**31 - 1, reply="/distill/param/seed")
        generated = client.request("/distill/generate", 0.1, reply="/distill/generated", timeout=60)
        seed = client.request("/distill/param/seed", reply="/distill/param/seed", timeout=5)
        client.send("/distill/param/seed", 0)
    except TimeoutError as error:
        raise Failed(f"no answer: {error}") from None
    finally:
        client.close()
    return f"generated with seed {generated[2]}, next seed {seed[0]}"


@probe("osc arguments", "other OSC types", "sends true, false, nil, blob, char, MIDI, RGBA, int64, double and arrays to /distill/param/seed and /distill/preset/save",
       "each answered (int64 and double numbers are numbers) or refused in one sentence")
def other_types(bench: Bench) -> None:
    for kind, value in (("T", True), ("F", False), ("N", None), ("b", b"\x01\x02\x03"), ("m", (0, 144, 60, 100)), ("r", 0x11223344), ("h", 5), ("d", 0.5)):
        for address in ("/distill/param/seed", "/distill/preset/save"):
            _sent(bench, typed(address, (kind, value)))
    builder = OscMessageBuilder("/distill/param/seed")
    builder.add_arg([1, [2, 3]])
    _sent(bench, builder.build().dgram)
    _sent(bench, raw_message(b"/distill/param/seed", b"c", struct.pack(">i", 65)))


@probe("osc arguments", "strings with control characters", "saves presets named with newline, tab, escape, CR, RTL override, emoji, combining marks, then lists and deletes them",
       "each saved or refused in one sentence; the preset list answers with its end")
def control_strings(bench: Bench) -> None:
    names = ["line\nbreak", "tab\there", "esc\x1b[31mred", "cr\rret", "rtl\u202eevil", "emoji\U0001f600", "e\u0301\u0301\u0301", "\u200b", " ", "-", "--help"]
    for name in names:
        _sent(bench, message("/distill/preset/save", name))
    client = bench.client()
    try:
        client.send("/distill/preset/list")
        client.expect("/distill/preset/list/end", timeout=5)
    finally:
        client.close()
    for name in names:
        bench.exchange(message("/distill/preset/delete", name), timeout=2)


@probe("osc arguments", "60 KB strings everywhere", "sends a 60,000-character text as each text argument of every route (one argument at a time)",
       "every request is answered or refused in one sentence, and the reply fits a datagram")
def long_strings(bench: Bench) -> str:
    text = "x" * 60_000
    tried = 0
    for route in ROUTES:
        pairs = _benign_pairs(route, bench)
        for position, (kind, _) in enumerate(pairs):
            if kind in ("s", "slot"):
                arguments = [text if number == position else value for number, (_, value) in enumerate(pairs)]
                with_label(f"{route.address} argument {position + 1}", _sent, bench, message(route.address, *arguments), 20)
                tried += 1
    bench.exchange(message("/distill/preset/delete", text), timeout=2)
    return f"{tried} text arguments"


@probe("osc arguments", "a 60 KB preset name, then the list", "saves a preset whose name is 60,000 bytes of UTF-8, then asks /distill/preset/list",
       "either refused in one sentence, or the list still ends with /distill/preset/list/end")
def long_preset_name(bench: Bench) -> str:
    name = "\u00e9" * 30_000
    address, _ = _sent(bench, message("/distill/preset/save", name))
    client = bench.client()
    try:
        client.send("/distill/preset/list")
        try:
            client.expect("/distill/preset/list/end", timeout=5)
        except TimeoutError:
            raise Failed("/distill/preset/list was never answered after a 60 KB preset name was saved") from None
    finally:
        bench.exchange(message("/distill/preset/delete", name), timeout=2)
        client.close()
    return f"save answered {address}"


@probe("osc arguments", "long and odd tags", "requests ending in a 65-byte tag, a tag with a newline, a tag only ('tag:'), and 'tag:' as the only argument of ping",
       "each answered or refused in one sentence, a valid tag echoed")
def odd_tags(bench: Bench) -> None:
    bench.refused(message("/distill/ping", "tag:" + "t" * 61), "tag")
    for tag in ("tag:", "tag:\n", "tag:\u00e9\u00e9"):
        address, values = _sent(bench, message("/distill/ping", tag))
        check(address == "/distill/pong" and values[-1] == tag, f"tag {tag!r} not echoed: {address} {values}")
    _sent(bench, message("/distill/model/search", "tag:x", "tag:y"))


@probe("osc arguments", "traversal and hostile paths", "loads models from ../../etc/passwd, /dev/zero, /dev/urandom, /proc/self/mem, a FIFO, ~nosuchuser and names of 300 and 5000 bytes; encodes, plays and trains on the same",
       "each refused in one sentence within 10 s; the loaded model stays")
def hostile_paths(bench: Bench) -> None:
    fifo = bench.scratch / "pipe.wav"
    os.mkfifo(fifo)
    for path in ("../../../../../../etc/passwd", "/dev/zero", "/dev/urandom", "/proc/self/mem", str(fifo), "/", "", "\x7f", "~/x.sda", "~nosuchuser/x.sda", "n" * 5000, "/etc/" + "d" * 300):
        for data in (message("/distill/model/load", path), message("/distill/encode", "B", path), message("/distill/play", path),
                     message("/distill/train/defaults", path + "/x"), message("/distill/train/start", path + "/x", "never")):
            address, values = _sent(bench, data, timeout=10)
            check(address == "/distill/error", f"{path!r} was accepted: {address} {values}")
    client = bench.client()
    try:
        client.send("/distill/health")
        client.expect("/distill/health", timeout=5)
    finally:
        client.close()


@probe("osc arguments", "slot names", "encodes into slots named '..', '../x', 'a/b', 'CON', a 33-character name and '' and decodes them",
       "bad names refused in one sentence; nothing is written outside the outputs folder")
def slot_names(bench: Bench) -> None:
    for slot in ("..", "../x", "a/b", "", "s" * 33, "\u00e9", "A B"):
        check(_sent(bench, message("/distill/encode", slot, str(bench.sounds / "hat_1.wav")))[0] == "/distill/error", f"slot {slot!r} accepted")
    address, _ = _sent(bench, message("/distill/encode", "CON", str(bench.sounds / "hat_1.wav")), timeout=30)
    check(address == "/distill/encoded", f"slot CON refused: {address}")
    check(_sent(bench, message("/distill/decode", "CON"), timeout=30)[0] == "/distill/decoded", "slot CON did not decode")


# -- OSC routes: every address of the route table, with every wrong shape of arguments ------------------------

BENIGN = {"i": 0, "level": 0, "f": 0.25, "slot": "A", "s": "probe-missing"}


def _benign_pairs(route: Route, bench: Bench) -> list[tuple[str, object]]:
    """(kind, value) for every required and optional argument of a route: harmless values (missing names)."""
    pairs = []
    for item in route.args:
        args = (item,) if isinstance(item, Arg) else item.args if isinstance(item, Optional) else ()
        pairs += [(arg.kind, BENIGN[arg.kind]) for arg in args]
    return pairs


def _as_wire(kind: str, value: object) -> tuple[str, object]:
    if isinstance(value, str):
        return ("s", value)
    return ("f", value) if isinstance(value, float) else ("i", value)


def _variants(route: Route, bench: Bench) -> dict[str, bytes]:
    """Every wrong (and the right) shape of arguments for `route`, as datagrams."""
    pairs = _benign_pairs(route, bench)
    values = [value for _, value in pairs]
    numeric = [kind in ("i", "f", "level") for kind, _ in pairs]
    whole = [kind in ("i", "level") for kind, _ in pairs]
    variants = {
        "no arguments": message(route.address),
        "benign arguments": message(route.address, *values),
        "one extra argument": message(route.address, *values, 1),
        "three extra arguments of mixed types": message(route.address, *values, 1, "x", 2.5),
        "all arguments as text": message(route.address, *["x" for _ in values]) if values else message(route.address, "x"),
        "all arguments as numbers": message(route.address, *[7 for _ in values]) if values else message(route.address, 7),
        "floats where ints are expected (as Pd sends)": message(route.address, *[float(v) if w else v for v, w in zip(values, whole)]),
        "benign arguments again": message(route.address, *values),
        "non-integral floats where ints are expected": message(route.address, *[v + 0.5 if w else v for v, w in zip(values, whole)]),
        "int32 extremes": message(route.address, *[2**31 - 1 if w else (3.4e38 if n else v) for v, w, n in zip(values, whole, numeric)]),
        "negative extremes": message(route.address, *[-(2**31) if w else (-3.4e38 if n else v) for v, w, n in zip(values, whole, numeric)]),
        "NaN for every number": typed(route.address, *[("f", math.nan) if n else _as_wire(k, v) for (k, v), n in zip(pairs, numeric)]) if any(numeric) else typed(route.address, ("f", math.nan)),
    }
    for label, kind, value in (("nil", "N", None), ("true", "T", True), ("blob", "b", b"\x00\x01"), ("int64", "h", 2**40), ("double", "d", 0.5)):
        variants[f"{label} for every argument"] = typed(route.address, *[(kind, value) for _ in (values or [None])])
    if any(isinstance(item, Rest) for item in route.args):
        variants["a rest of 200 values"] = message(route.address, *values, *([0] * 200))
    return variants


def _route_probe(route: Route) -> None:
    @probe("osc routes", f"route {route.address}", f"sends {route.address} with no, benign, too many, mistyped, Pd-float, extreme, NaN, nil, true, blob, int64 and double arguments",
           "every variant gets a reply or a one-sentence /distill/error (Pd floats the same reply as ints), and ping answers within 1 s after each")
    def run(bench: Bench) -> str:
        first: dict[str, tuple[str, list]] = {}
        for label, data in _variants(route, bench).items():
            client = bench.client()
            try:
                client.send_raw(data)
                try:
                    first[label] = client.receive(30)
                except TimeoutError:
                    raise Failed(f"{label}: no reply within 30 s") from None
                if route.address == "/distill/subscribe":
                    client.send("/distill/unsubscribe")
            finally:
                client.close()
            address, values = first[label]
            if address == "/distill/error":
                with_label(label, check_sentence, str(values[1]))
            with_label(label, bench.ping)
        if any(kind in ("i", "level") for kind, _ in _benign_pairs(route, bench)):  # the same answer as ints got, before or after (state may change)
            pd = first["floats where ints are expected (as Pd sends)"]
            ints = [first["benign arguments"], first["benign arguments again"]]
            check(any(pd[0] == got[0] and (got[0] != "/distill/error" or got[1] == pd[1]) for got in ints), f"Pd floats answered {pd} but ints {ints}")
        return f"{len(first)} variants"


def with_label(label: str, function: Callable, *args) -> object:
    try:
        return function(*args)
    except Failed as failure:
        raise Failed(f"{label}: {failure}") from None


for _route in ROUTES:
    _route_probe(_route)


# -- OSC load: floods, amplification, queues, subscribers -----------------------------------------------------


@probe("osc load", "burst of 3000 pings", "one client sends 3000 /distill/ping as fast as it can", "at least 99 % answered; ping answers afterwards")
def ping_burst(bench: Bench) -> str:
    client = bench.client()
    try:
        for _ in range(3000):
            client.send_raw(PING)
        answered = 0
        with contextlib.suppress(TimeoutError):
            while True:
                client.receive(1.0)
                answered += 1
    finally:
        client.close()
    check(answered >= 2970, f"only {answered} of 3000 pings answered")
    return f"{answered} of 3000 answered"


@probe("osc load", "flood of queued requests", "one client sends 4000 /distill/model/list while another pings every 0.1 s", "the flood is answered or refused, and every ping meanwhile answers within 1 s")
def queued_flood(bench: Bench) -> str:
    stop = threading.Event()
    worst: list[float] = []
    errors: list[str] = []

    def pinger() -> None:
        while not stop.is_set():
            try:
                worst.append(bench.ping())
            except Failed as failure:
                errors.append(str(failure))
            time.sleep(0.1)

    thread = threading.Thread(target=pinger)
    thread.start()
    client = bench.client()
    counts = {"answered": 0, "refused": 0}
    try:
        data = message("/distill/model/list")
        for _ in range(4000):
            client.send_raw(data)
        with contextlib.suppress(TimeoutError):
            while True:
                address, values = client.receive(2.0)
                if address == "/distill/error":
                    check_sentence(values[1])
                    counts["refused"] += 1
                elif address == "/distill/model/list/end":
                    counts["answered"] += 1
    finally:
        stop.set()
        thread.join()
        client.close()
    check(not errors, f"ping failed during the flood: {errors[:1]}")
    check(counts["answered"] + counts["refused"] >= 3960, f"only {counts} of 4000")
    return f"{counts}, slowest ping {1000 * max(worst):.0f} ms"


@probe("osc load", "bundle of 64 generations", "one datagram bundles 64 /distill/generate 1", f"at most {MAX_JOBS_PER_CLIENT} run, the rest refused in one sentence; ping answers meanwhile", timeout=240)
def bundled_generations(bench: Bench) -> str:
    client = bench.client()
    generated = refused = 0
    try:
        client.send_raw(bundle(*[message("/distill/generate", 1.0)] * MAX_DATAGRAM_MESSAGES))
        bench.ping()
        with contextlib.suppress(TimeoutError):
            while generated + refused < MAX_DATAGRAM_MESSAGES:
                address, values = client.receive(60)
                if address == "/distill/error":
                    check_sentence(values[1])
                    refused += 1
                elif address == "/distill/generated":
                    generated += 1
    finally:
        client.close()
    check(generated <= MAX_JOBS_PER_CLIENT and generated + refused == MAX_DATAGRAM_MESSAGES, f"{generated} generated, {refused} refused")
    return f"{generated} generated, {refused} refused"


@probe("osc load", "bundle of 64 /distill/help", "one datagram bundles 64 /distill/help (each answered by ~60 messages)", f"the replies stop at {MAX_REPLY_BYTES_PER_DATAGRAM // 1024} KB with one error")
def help_amplification(bench: Bench) -> str:
    client = bench.client()
    total = errors = 0
    try:
        client.send_raw(bundle(*[message("/distill/help")] * MAX_DATAGRAM_MESSAGES))
        with contextlib.suppress(TimeoutError):
            while True:
                client.socket.settimeout(1.0)
                data = client.socket.recv(65536)
                total += len(data)
                errors += b"/distill/error" in data[:16]
    finally:
        client.close()
    check(total <= MAX_REPLY_BYTES_PER_DATAGRAM + 2048 and errors == 1, f"{total} bytes of replies, {errors} errors")
    return f"{total} bytes, {errors} error"


@probe("osc load", "subscribers that vanish", f"{MAX_LISTENERS + 8} clients subscribe and close their sockets; then a new one subscribes", "the new subscriber is accepted and gets events")
def vanishing_subscribers(bench: Bench) -> None:
    for _ in range(MAX_LISTENERS + 8):
        client = bench.client()
        client.request("/distill/subscribe", reply="/distill/subscribed")
        client.close()
    client = bench.client()
    try:
        client.request("/distill/subscribe", reply="/distill/subscribed")
        other = bench.client()
        other.request("/distill/param/top_k", 3, reply="/distill/param/top_k")
        other.send("/distill/param/top_k", 0)
        other.close()
        check(client.expect("/distill/param/top_k", timeout=2) is not None, "no event")
        client.send("/distill/unsubscribe")
    finally:
        client.close()


@probe("osc load", "subscriber on an unreachable port", "subscribes port 9 (nothing listens: ICMP unreachable) and makes 50 events", "the engine keeps serving others")
def unreachable_subscriber(bench: Bench) -> None:
    client = bench.client()
    try:
        client.request("/distill/subscribe", 9, reply="/distill/subscribed")
        for value in range(50):
            client.send("/distill/param/top_k", value % 5)
        bench.ping()
        client.send("/distill/unsubscribe", 9)
        client.send("/distill/param/top_k", 0)
    finally:
        client.close()


@probe("osc load", "subscribed to its own port", "a client sends /distill/subscribe <the engine's own port>, then sets a parameter",
       "refused in one sentence, or at least no endless exchange: the engine handles fewer than 50 requests in the 2 s after")
def self_subscription(bench: Bench) -> str:
    client = bench.client()
    try:
        client.send("/distill/subscribe", bench.port)
        address, values = client.receive(2)
        client.send("/distill/param/top_k", 2)
        client.send("/distill/param/top_k", 0)
        time.sleep(0.5)
        before = len(bench.serve_log)  # the engine logs every request it handles
        time.sleep(2.0)
        growth = len(bench.serve_log) - before
        client.send("/distill/unsubscribe", bench.port)
    finally:
        client.close()
    check(growth < 50, f"{growth} requests handled in 2 s: the engine is answering itself")
    return f"{address} {values[-1][:60] if values else ''}"


@probe("osc load", "two engines, one subscribed to the other", "a second `distill serve` B starts; a client subscribes B's port to the probes' engine A and sets a parameter on A",
       "both engines fall quiet: fewer than 50 requests handled by each in the 2 s after (no endless exchange)", slow=True)
def engines_subscribed(bench: Bench) -> str:
    log: list[str] = []
    other, port = bench.spawn_serve(bench.fresh_home("other", with_tiny=False), log)
    client = bench.client()
    try:
        client.request("/distill/subscribe", port, reply="/distill/subscribed")
        client.send("/distill/param/top_k", 2)
        client.send("/distill/param/top_k", 0)
        client.send("/distill/error", "/distill/x", "an error sent to an engine")
        time.sleep(1.0)
        before = len(bench.serve_log), len(log)  # each engine logs every request it handles
        time.sleep(2.0)
        growth = len(bench.serve_log) - before[0], len(log) - before[1]
        client.send("/distill/unsubscribe", port)
    finally:
        client.close()
        other.terminate()
        other.wait(30)
    check(max(growth) < 50, f"A handled {growth[0]} and B {growth[1]} requests in 2 s: the engines answer each other")
    return f"A +{growth[0]}, B +{growth[1]} log lines in 2 s"


@probe("osc load", "500 clients at once", "500 sockets each send one /distill/model/list", "every one is answered")
def many_clients(bench: Bench) -> str:
    clients = [bench.client() for _ in range(500)]
    try:
        for client in clients:
            client.send("/distill/model/list")
        answered = 0
        for client in clients:
            with contextlib.suppress(TimeoutError):
                client.expect("/distill/model/list/end", timeout=5)
                answered += 1
    finally:
        for client in clients:
            client.close()
    check(answered == 500, f"{answered} of 500 answered")
    return "500 answered"


@probe("osc load", "clients that leave before their reply", "200 clients send /distill/generate 0.1 and close at once", "the engine keeps serving; later requests are answered")
def leaving_clients(bench: Bench) -> None:
    for _ in range(200):
        client = bench.client()
        client.send("/distill/model/info", "tiny")
        client.close()
    for _ in range(10):
        client = bench.client()
        client.send("/distill/generate", 0.1)
        client.close()
    client = bench.client()
    try:
        client.request("/distill/model/info", "tiny", reply="/distill/model/info/end", timeout=60)
    finally:
        client.close()


@probe("osc load", "locked library.db", "another process holds library.db's write lock for 4 s while /distill/preset/save, /distill/model/rename and /distill/model/list are sent",
       "ping answers within 1 s throughout; the requests end answered or refused in one sentence", slow=True)
def locked_library(bench: Bench) -> None:
    holder = sqlite3.connect(bench.home / "library.db", isolation_level=None)
    client = bench.client()
    try:
        holder.execute("BEGIN EXCLUSIVE")
        client.send("/distill/preset/save", "locked")
        client.send("/distill/model/rename", "probe-missing", "x")
        client.send("/distill/model/list")
        for _ in range(8):
            bench.ping()
            time.sleep(0.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        for _ in range(3):
            address, values = client.receive(15)
            if address == "/distill/error":
                check_sentence(values[1])
    except TimeoutError:
        raise Failed("a request was never answered after the lock was released") from None
    finally:
        client.close()


# -- names: traversal, reserved and odd names through the CLI and OSC ----------------------------------------

BAD_NAMES = ["..", ".", "../x", "a/b", "/abs", "", " ", "-rf", "x" * 65, "ドラム", "a\nb", "a\x7f", ".hidden", "nul\u200b"]


@probe("names", "train --name hostile", "`distill train --name N` for '..', '.', '../x', 'a/b', '/abs', '', ' ', 65 characters, Japanese, a newline, DEL, '.hidden'",
       "each refused in one sentence before any training; nothing written")
def train_names(bench: Bench) -> None:
    for name in BAD_NAMES:
        run = bench.cli("train", str(bench.sounds), "--name", name, "--epochs", "1", *TINY_TRAIN, timeout=60)
        bench.expect_error(run)
        check(run.seconds < 30, f"--name {name!r} was refused only after {run.seconds:.0f} s")


@probe("names", "models rename/import hostile", "renames tiny's copy to, and imports it as, each hostile name; renames to an existing name in another case",
       "each refused in one sentence; the model is unharmed")
def library_names(bench: Bench) -> None:
    home = bench.fresh_home()
    shutil.copy(bench.tiny_file, home / "models" / "other.sda")
    for name in BAD_NAMES[:8]:
        bench.expect_error(bench.cli("models", "rename", "tiny", name, home=home))
        bench.expect_error(bench.cli("models", "import", str(bench.tiny_file), "--name", name, home=home))
    bench.expect_error(bench.cli("models", "rename", "tiny", "OTHER", home=home), "other")
    check(sorted(p.name for p in (home / "models").iterdir()) == ["other.sda", "tiny.sda"], "the models folder changed")


@probe("names", "a model whose own name escapes", "a model file whose metadata name is ../../escape: generate --out DIR, import it, and load and generate over OSC",
       "every sound lands in its output folder")
def escaping_model_name(bench: Bench) -> None:
    path = changed_model(bench, bench.scratch / "escape.sda", lambda t, m: m.update(name="../../escape"))
    out = bench.scratch / "deep" / "er" / "out"
    bench.expect_ok(bench.cli("generate", str(path), "--duration", "0.1", "--seed", "1", "--out", str(out)))
    written = [p for p in bench.scratch.rglob("*") if p.is_file() and p != path]
    check(written and all(out in p.parents for p in written), f"written outside --out: {written}")
    client = bench.client()
    try:
        client.request("/distill/model/load", str(path), reply="/distill/model/loaded", timeout=60)
        written = client.request("/distill/generate", 0.1, reply="/distill/generated", timeout=60)[0]
        check(Path(written).resolve().is_relative_to((bench.home / "outputs").resolve()), f"generated outside the outputs folder: {written}")
    finally:
        client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=60)
        client.close()


@probe("names", "hostile preset names (CLI)", "`distill presets save` with ../../x, 10,000 characters, a newline, '' and Unicode; list and delete them",
       "saved or refused in one sentence; nothing written outside DISTILL_HOME")
def preset_names(bench: Bench) -> None:
    home = bench.fresh_home()
    for name in ("../../x", "p" * 10_000, "a\nb", "", "\u00e9t\u00e9", "--"):
        run = bench.cli("presets", "save", "--temperature", "0.5", "--", name, home=home)
        check("Traceback" not in run.err, f"traceback: {run}")
        if run.code:
            bench.expect_error(run)
    bench.expect_ok(bench.cli("presets", "list", home=home))


@probe("names", "non-UTF-8 and odd file names", "a sound named with bytes that are not UTF-8, one named '-x.wav', one with a newline: encode each, train/defaults over OSC on their folder",
       "each encoded or refused in one sentence; the folder is counted")
def odd_file_names(bench: Bench) -> None:
    folder = bench.scratch / "odd"
    folder.mkdir()
    data = (bench.sounds / "kick_1.wav").read_bytes()
    names = [b"\xff\xfe-bad.wav", b"-x.wav", b"new\nline.wav", b"sp ace.wav", "\u00e9t\u00e9.wav".encode()]
    for name in names:
        path = os.path.join(os.fsencode(folder), name)
        with open(path, "wb") as handle:
            handle.write(data)
        run = bench.cli("encode", "tiny", "--out", str(bench.scratch / "odd.json"), "--", os.fsdecode(path))
        check("Traceback" not in run.err, f"traceback: {run}")
        if run.code:
            bench.expect_error(run)
    _sent(bench, message("/distill/train/defaults", str(folder)), timeout=30)


# -- model files --------------------------------------------------------------------------------------------


@probe("model files", "import hostile model files", "`distill models import` of 30 damaged or hostile files (pickles, truncations, huge headers and tensors, nesting, out-of-range and mistyped configs, weights that do not fit)",
       "each refused in one sentence naming the file (or imported whole when harmless); no pickle runs; the library stays usable", timeout=600)
def import_hostile(bench: Bench) -> str:
    home = bench.fresh_home()
    files = hostile_model_files(bench, bench.scratch / "files")
    failures = []
    for label, path in files.items():
        run = bench.cli("models", "import", str(path), "--name", "imported", home=home, timeout=60)
        try:
            bench.expect_refused_unless(run, label in HARMLESS_MODELS)
            if run.code == 0:
                bench.expect_ok(bench.cli("models", "delete", "imported", "--yes", home=home))
        except Failed as failure:
            failures.append(f"{label}: {failure}")
    check(not (bench.scratch / "PICKLE-RAN").exists(), "a pickle ran")
    bench.expect_ok(bench.cli("models", "list", home=home))
    check(not failures, "; ".join(failures))
    return f"{len(files)} files"


@probe("model files", "hostile files dropped into the models folder", "copies the same 30 files into models/ by hand, then `models list`, `models show` and `models search`",
       "the list shows tiny and skips each bad file with one line; no traceback", timeout=300)
def dropped_hostile(bench: Bench) -> str:
    home = bench.fresh_home()
    files = hostile_model_files(bench, home / "models")
    for args in (("models", "list"), ("models", "search", "tiny"), ("models", "show", "tiny")):
        run = bench.expect_ok(bench.cli(*args, home=home, timeout=60))
        check("tiny" in run.out, f"tiny missing from `{' '.join(args)}`")
    for label, path in files.items():
        if path.is_file():
            run = bench.cli("models", "show", path.stem, home=home, timeout=60)
            check("Traceback" not in run.err, f"{label}: traceback in `models show`: {run}")
    check(not (bench.scratch / "PICKLE-RAN").exists(), "a pickle ran")
    return f"{len(files)} files"


@probe("model files", "load hostile model files over OSC", "/distill/model/load each of the 30 files by path", "each refused in one sentence; the loaded model stays loaded; ping answers", timeout=300)
def osc_load_hostile(bench: Bench) -> str:
    files = hostile_model_files(bench, bench.scratch / "files")
    failures = []
    for label, path in files.items():
        try:
            address, values = _sent(bench, message("/distill/model/load", str(path)), timeout=60)
            check(address == "/distill/error" or label in HARMLESS_MODELS, f"accepted: {address} {values}")
        except Failed as failure:
            failures.append(f"{label}: {failure}")
    client = bench.client()
    try:
        client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=60)
    finally:
        client.close()
    check(not (bench.scratch / "PICKLE-RAN").exists(), "a pickle ran")
    check(not failures, "; ".join(failures))
    return f"{len(files)} files"


def _reads(read: Callable[[Path], object], path: Path) -> bool:
    try:
        read(path)
        return True
    except Exception:  # noqa: BLE001 - any refusal
        return False


@probe("model files", "use hostile model files in the CLI", "`distill generate`, `health`, `encode` and `train-prior` given each of the 30 files by path",
       "each refused in one sentence or (when harmless) works", slow=True, timeout=900)
def cli_hostile_models(bench: Bench) -> None:
    files = hostile_model_files(bench, bench.scratch / "files")
    failures = []
    for label, path in files.items():
        header_reads = _reads(read_model_metadata, path)  # `health` needs only the header
        for args in (("generate", str(path), "--duration", "0.1", "--out", str(bench.scratch / "out")), ("health", str(path)), ("encode", str(path), str(bench.sounds / "hat_1.wav"), "--out", str(bench.scratch / "g.json"))):
            try:
                bench.expect_refused_unless(bench.cli(*args, timeout=60), label in HARMLESS_MODELS or (args[0] == "health" and header_reads))
            except Failed as failure:
                failures.append(f"{label} / {args[0]}: {failure}")
    check(not failures, "; ".join(failures[:6]))


@probe("model files", "model file that is a FIFO, /dev/zero or a loop", "models/x.sda as a named pipe, a link to /dev/zero, a link to itself and a link to a missing file; `models list`",
       "the list ends within 30 s naming tiny, without hanging on the pipe")
def special_model_files(bench: Bench) -> None:
    home = bench.fresh_home()
    os.mkfifo(home / "models" / "pipe.sda")
    os.symlink("/dev/zero", home / "models" / "zero.sda")
    os.symlink("loop.sda", home / "models" / "loop.sda")
    os.symlink("missing.sda", home / "models" / "dangling.sda")
    run = bench.expect_ok(bench.cli("models", "list", home=home, timeout=30))
    check("tiny" in run.out, "tiny not listed")
    bench.expect_error(bench.cli("models", "show", "pipe", home=home, timeout=30))


# -- audio files and datasets --------------------------------------------------------------------------------


def hostile_sounds(bench: Bench, folder: Path) -> dict[str, Path]:
    """Sound files of every kind of damage, by what is wrong with them."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def write(label: str, name: str, samples: np.ndarray, rate: int = 44100, subtype: str | None = None) -> None:
        files[label] = folder / name
        soundfile.write(files[label], samples, rate, subtype=subtype)

    (folder / "empty.wav").write_bytes(b"")
    files["empty file"] = folder / "empty.wav"
    write("one sample", "one.wav", np.array([0.5], dtype=np.float32))
    nan = np.sin(np.linspace(0, 400, 44100)).astype(np.float32)
    nan[::7] = np.nan
    write("NaN samples", "nan.wav", nan, subtype="FLOAT")
    write("inf samples", "inf.wav", np.full(44100, np.inf, dtype=np.float32), subtype="FLOAT")
    write("huge floats", "huge.wav", np.full(44100, 3e38, dtype=np.float32), subtype="FLOAT")
    write("silence", "silence.wav", np.zeros(44100, dtype=np.float32))
    write("64 channels", "many.wav", np.random.default_rng(1).standard_normal((4410, 64)).astype(np.float32) * 0.1)
    write("1 Hz rate", "onehz.wav", np.random.default_rng(1).standard_normal(64).astype(np.float32) * 0.1, rate=1)
    write("8 kHz", "eight.wav", np.random.default_rng(1).standard_normal(8000).astype(np.float32) * 0.1, rate=8000)
    files["header claims 2 GB"] = write_wav_header(folder / "claims2gb.wav", data_bytes=0x7FFFFFF0, body=b"\x01\x00" * 4096)
    files["header claims 4 GB, 8 channels 32-bit"] = write_wav_header(folder / "claims4gb.wav", channels=8, bits=32, data_bytes=0xFFFFFFF0, body=b"\x01" * 8192)
    files["header rate 0"] = write_wav_header(folder / "rate0.wav", rate=0, data_bytes=8192, body=b"\x01" * 8192)
    files["header 0 channels"] = write_wav_header(folder / "chan0.wav", channels=0, data_bytes=8192, body=b"\x01" * 8192)
    files["header cut"] = folder / "cut.wav"
    files["header cut"].write_bytes((bench.sounds / "kick_1.wav").read_bytes()[:30])
    files["text named .wav"] = folder / "text.wav"
    files["text named .wav"].write_text("hello " * 100)
    files["wav named .txt"] = folder / "sound.txt"
    shutil.copy(bench.sounds / "kick_1.wav", files["wav named .txt"])
    files["wav named .flac"] = folder / "sound.flac"
    shutil.copy(bench.sounds / "kick_1.wav", files["wav named .flac"])
    (folder / "dir.wav").mkdir()
    files["a folder named .wav"] = folder / "dir.wav"
    os.mkfifo(folder / "fifo.wav")
    files["a FIFO named .wav"] = folder / "fifo.wav"
    os.symlink("/dev/zero", folder / "zero.wav")
    files["a link to /dev/zero"] = folder / "zero.wav"
    os.symlink("/dev/urandom", folder / "urandom.wav")
    files["a link to /dev/urandom"] = folder / "urandom.wav"
    os.symlink("loop.wav", folder / "loop.wav")
    files["a link to itself"] = folder / "loop.wav"
    return files


@probe("audio files", "encode hostile sounds (CLI)", "`distill encode tiny FILE` for 22 damaged sounds: empty, 1 sample, NaN, inf, huge headers, rate 0, 0 channels, text, folders, a FIFO, /dev/zero, /dev/urandom, a link loop",
       "each encoded or refused in one sentence within 30 s, under 6 GB of memory", timeout=900)
def encode_hostile(bench: Bench) -> str:
    files = hostile_sounds(bench, bench.scratch / "sounds")
    failures = []
    for label, path in files.items():
        try:
            run = bench.cli("encode", "tiny", str(path), "--out", str(bench.scratch / "grid.json"), timeout=30)
            if run.code:
                bench.expect_error(run)
            else:
                grid = json.loads((bench.scratch / "grid.json").read_text())
                check(all(isinstance(c, int) for row in grid["codes"] for c in row), "a grid with non-integer codes")
        except Failed as failure:
            failures.append(f"{label}: {failure}")
    check(not failures, "; ".join(failures))
    return f"{len(files)} files"


@probe("audio files", "encode hostile sounds (OSC)", "/distill/encode B FILE for the same 22 sounds", "each answered /distill/encoded or refused in one sentence within 30 s; ping answers meanwhile", timeout=900)
def osc_encode_hostile(bench: Bench) -> str:
    files = hostile_sounds(bench, bench.scratch / "sounds")
    failures = []
    for label, path in files.items():
        try:
            _sent(bench, message("/distill/encode", "B", str(path)), timeout=30)
            bench.ping()
        except Failed as failure:
            failures.append(f"{label}: {failure}")
    check(not failures, "; ".join(failures))
    return f"{len(files)} files"


@probe("audio files", "train on a folder of hostile sounds", "`distill train --epochs 1` on a folder holding only the 22 damaged sounds",
       "trains on the usable ones, each other one skipped with a reason (or refused in one sentence); no hang on the FIFO or the devices", timeout=300)
def train_hostile_folder(bench: Bench) -> str:
    folder = bench.scratch / "sounds"
    files = hostile_sounds(bench, folder)
    run = bench.cli("train", str(folder), "--name", "hostile", "--epochs", "1", *TINY_TRAIN, timeout=240)
    bench.expect_refused_unless(run, harmless=True)
    skipped = re.findall(r"^skipped (.+?): ", run.out + run.err, re.MULTILINE)
    used = re.search(r"(\d+) training files \(\d+ chunks\), (\d+) validation", run.out)
    check(not used or int(used[1]) + int(used[2]) + len(skipped) == len(files) - 1, f"{len(skipped)} skipped and {used and used[0]} used of {len(files) - 1} files")  # the folder named .wav is no file
    return f"{len(skipped)} skipped, {used[0] if used else 'refused'}"


@probe("audio files", "six 1-sample files", "`distill train` on six sounds of one sample each (and one of 10 samples)", "refused in one sentence: nothing long enough to learn from")
def one_sample_files(bench: Bench) -> None:
    folder = bench.scratch / "short"
    folder.mkdir()
    for number in range(6):
        soundfile.write(folder / f"s{number}.wav", np.array([0.5], dtype=np.float32), 44100)
    soundfile.write(folder / "ten.wav", np.full(10, 0.5, dtype=np.float32), 44100)
    bench.expect_error(bench.cli("train", str(folder), "--name", "short", "--epochs", "1", *TINY_TRAIN, timeout=60))


@probe("audio files", "dataset with link loops and unreadable folders", "a folder with a -> b -> a, a link to itself, a link to its parent, an unreadable sub-folder and an unreadable file beside 8 good sounds; /distill/train/defaults and `distill train --epochs 1` (held to file permissions)",
       "both work on the 8 good sounds, skipping the rest with reasons; no hang", timeout=240)
def dataset_links(bench: Bench) -> str:
    folder = bench.scratch / "data"
    shutil.copytree(bench.sounds, folder)
    os.symlink(folder / "b", folder / "a")
    os.symlink(folder / "a", folder / "b")
    os.symlink("self", folder / "self")
    os.symlink("..", folder / "up")
    (folder / "locked").mkdir()
    shutil.copy(bench.sounds / "kick_1.wav", folder / "locked" / "k.wav")
    (folder / "locked").chmod(0)
    shutil.copy(bench.sounds / "kick_1.wav", folder / "unreadable.wav")
    (folder / "unreadable.wav").chmod(0)
    try:
        address, values = _sent(bench, message("/distill/train/defaults", str(folder)), timeout=60)
        home = bench.fresh_home(with_tiny=False)
        run = bench.cli("train", str(folder), "--name", "links", "--epochs", "1", *TINY_TRAIN, home=home, timeout=180, unprivileged=True)
        bench.expect_ok(run)
    finally:
        (folder / "locked").chmod(0o755)
    return f"defaults: {address} {values[-1] if values else ''}"


@probe("audio files", "train/defaults on / and /dev", "/distill/train/defaults / and /dev and /proc", "answered or refused in one sentence within 60 s; ping answers meanwhile", timeout=240)
def defaults_on_root(bench: Bench) -> str:
    notes = []
    for folder in ("/", "/dev", "/proc"):
        client = bench.client()
        try:
            client.send("/distill/train/defaults", folder)
            bench.ping()
            try:
                address, values = client.receive(60)
            except TimeoutError:
                raise Failed(f"{folder}: no answer within 60 s") from None
        finally:
            client.close()
        if address == "/distill/error":
            check_sentence(values[1])
        notes.append(f"{folder}: {address.rsplit('/', 1)[-1]}")
    return ", ".join(notes)


# -- code grids ------------------------------------------------------------------------------------------


def hostile_grids(bench: Bench, folder: Path) -> dict[str, Path]:
    """Code grid files of every kind of damage, by what is wrong with them."""
    folder.mkdir(parents=True, exist_ok=True)
    good = json.loads(bench.grid_file.read_text())
    files: dict[str, Path] = {}

    def text(label: str, content: str | bytes) -> None:
        files[label] = folder / f"{re.sub('[^a-z0-9]+', '-', label.lower())}.json"
        (files[label].write_bytes if isinstance(content, bytes) else files[label].write_text)(content)

    def changed(label: str, **changes) -> None:
        text(label, json.dumps({**good, **changes}))

    text("not JSON", "{codes: [")
    text("a JSON list", "[1, 2, 3]")
    text("nested 100000 deep", '{"codes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    text("not UTF-8", b"\xff\xfe{}")
    text("empty", "")
    codes = good["codes"]
    changed("NaN code", codes=[[math.nan] + codes[0][1:]] + codes[1:])
    changed("ragged rows", codes=[codes[0], codes[1][:-1], codes[2]])
    changed("codes 10^30", codes=[[10**30] * len(codes[0])] + codes[1:])
    changed("codes -1", codes=[[-1] * len(codes[0])] + codes[1:])
    changed("codes as floats", codes=[[0.5] * len(codes[0])] + codes[1:])
    changed("codes as text", codes="abc")
    changed("no levels", codes=[], labels=[])
    changed("100 levels", codes=[codes[0]] * 100, labels=[f"L{n}" for n in range(100)])
    changed("frames 10^12", frames=10**12)
    changed("frames as text", frames="33")
    changed("hop_length 2^40", hop_length=2**40, samples=2**40 * 32)
    changed("sample_rate 1", sample_rate=1)
    changed("labels a string", labels="abc")
    changed("blends with NaN weights", blends=[{"level": 0, "column": 0, "mix": [[1, math.nan], [2, math.nan]]}])
    changed("blends outside the grid", blends=[{"level": 10**9, "column": -5, "mix": [[1, 0.5], [2, 0.5]]}])
    changed("blends as a dict", blends={"x": 1})
    changed("history of garbage", history={"undo": [1, 2], "redo": "x"})
    changed("model of another id", model_id="0" * 16)
    columns = MAX_GRID_COLUMNS * 46  # about 3,000,000
    frames = columns * good["downsample"]
    header = json.dumps({**{k: v for k, v in good.items() if k != "codes"}, "frames": frames, "samples": (frames - 1) * good["hop_length"]})
    row = "[" + ",".join(["1"] * columns) + "]"
    text("3 x 3,000,000 columns", header[:-1] + ', "codes": [' + ",".join([row] * 3) + "]}")
    os.mkfifo(folder / "fifo.json")
    files["a FIFO"] = folder / "fifo.json"
    (folder / "dir.json").mkdir()
    files["a folder"] = folder / "dir.json"
    return files


HARMLESS_GRIDS = {"labels a string"}  # 'abc' reads as three labels: decodes as it should
SELF_CONSISTENT_GRIDS = HARMLESS_GRIDS | {"100 levels", "hop_length 2^40", "sample_rate 1", "model of another id", "3 x 3,000,000 columns"}  # need no model to show or edit


@probe("code grids", "decode hostile grids", "`distill decode tiny GRID --out x.wav` for 26 damaged grids (nesting, NaN, 10^30, ragged, 3 x 3,000,000 columns, hop 2^40, a FIFO, ...)",
       "each refused in one sentence within 60 s under 6 GB (or decoded when harmless)", timeout=1200)
def decode_hostile(bench: Bench) -> str:
    files = hostile_grids(bench, bench.scratch / "grids")
    failures = []
    for label, path in files.items():
        try:
            run = bench.cli("decode", "tiny", str(path), "--out", str(bench.scratch / "out.wav"), timeout=60)
            bench.expect_refused_unless(run, label in HARMLESS_GRIDS)
        except Failed as failure:
            failures.append(f"{label}: {failure}")
    check(not failures, "; ".join(failures))
    return f"{len(files)} grids"


@probe("code grids", "show and edit hostile grids", "`distill codes show`, `codes set` and `codes undo` on the same 26 grids", "each refused in one sentence within 60 s; no file is half-written", timeout=1200)
def edit_hostile(bench: Bench) -> str:
    files = hostile_grids(bench, bench.scratch / "grids")
    failures = []
    for label, path in files.items():
        for args in (("codes", "show", str(path)), ("codes", "set", str(path), "--level", "0", "--frame", "0", "--index", "1"), ("codes", "undo", str(path))):
            try:
                bench.expect_refused_unless(bench.cli(*args, timeout=60), label in SELF_CONSISTENT_GRIDS)
            except Failed as failure:
                failures.append(f"{label} / {args[1]}: {failure}")
    check(not failures, "; ".join(failures[:8]))
    return f"{len(files)} grids"


@probe("code grids", "grid edits with hostile numbers (OSC)", "/distill/cell/set, /distill/swap, /distill/blend, /distill/reimagine and /distill/continue on slot A with frames, levels and codes at -1, 2^31-1, levels 99 and 'nonsense'",
       "each refused in one sentence; slot A unchanged")
def osc_grid_numbers(bench: Bench) -> None:
    client = bench.client()
    try:
        client.send("/distill/grid/get", "A")
        before = client.expect("/distill/grid/size")
    finally:
        client.close()
    for data in (
        message("/distill/cell/set", "A", 0, -1, 0), message("/distill/cell/set", "A", 0, 0, 2**31 - 1), message("/distill/cell/set", "A", 99, 0, 0),
        message("/distill/cell/set", "A", "nonsense", 0, 0), message("/distill/swap", "A", "A", 5, 2), message("/distill/swap", "A", "A", 0, 2**31 - 1),
        message("/distill/blend", "A", "A", 2.0), message("/distill/blend", "A", "A", -0.5), message("/distill/blend", "A", "A", 0.5, 3, 1),
        message("/distill/reimagine", "A", -5, 2**31 - 1), message("/distill/reimagine", "A", 0, 1, 99),
        message("/distill/continue", "A", 601.0), message("/distill/continue", "A", 0.5, -1), message("/distill/continue", "A", 0.5, 2**31 - 1),
    ):
        check(_sent(bench, data, timeout=30)[0] == "/distill/error", f"accepted: {data[:40]!r}")
    client = bench.client()
    try:
        client.send("/distill/grid/get", "A")
        check(client.expect("/distill/grid/size") == before, "slot A changed")
    finally:
        client.close()


# -- the library and the data folder ---------------------------------------------------------------------------


def _library_with(bench: Bench, damage: Callable[[Path], None]) -> tuple[Path, Run]:
    """A data folder with two models and a preset whose library.db is then damaged; `models list` on it."""
    home = bench.fresh_home()
    shutil.copy(bench.tiny_file, home / "models" / "second.sda")
    bench.expect_ok(bench.cli("models", "list", home=home))
    bench.expect_ok(bench.cli("presets", "save", "keep", "--temperature", "0.5", home=home))
    damage(home / "library.db")
    return home, bench.cli("models", "list", home=home, timeout=60)


def _corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    generator = random.Random(3)
    for page in range(1, len(data) // 4096):
        start = page * 4096 + 100
        data[start : start + 200] = generator.randbytes(200)
    path.write_bytes(bytes(data))


LIBRARY_DAMAGE: dict[str, Callable[[Path], None]] = {
    "corrupt pages": _corrupt_pages,
    "truncated to 100 bytes": lambda path: path.write_bytes(path.read_bytes()[:100]),
    "zero bytes": lambda path: path.write_bytes(b""),
    "random bytes": lambda path: path.write_bytes(random.Random(4).randbytes(20_000)),
    "garbage WAL": lambda path: Path(f"{path}-wal").write_bytes(random.Random(5).randbytes(10_000)),
    "a folder": lambda path: (path.unlink(), path.mkdir()),
    "a link to itself": lambda path: (path.unlink(), os.symlink(path.name, path)),
    "a link to /dev/null": lambda path: (path.unlink(), os.symlink("/dev/null", path)),
    "a FIFO": lambda path: (path.unlink(), os.mkfifo(path)),
    "schema changed by hand": lambda path: sqlite3.connect(path).executescript("DROP TABLE files; CREATE TABLE files (x);"),
}


def _library_probe(label: str, damage: Callable[[Path], None]) -> None:
    @probe("library", f"library.db {label}", f"library.db is {label}; `models list`, `presets list`, `models show tiny`",
           "models listed (index rebuilt or kept in memory, one warning line; a folder: one sentence naming library.db); never a traceback or hang")
    def run(bench: Bench) -> str:
        home, listing = _library_with(bench, damage)
        check("Traceback" not in listing.err, f"traceback: {listing}")
        if label == "a folder":
            bench.expect_error(listing, "library.db")
        else:
            check("tiny" in listing.out and "second" in listing.out, f"models lost from the list: {listing.out}")
        for args in (("presets", "list"), ("models", "show", "tiny")):
            run = bench.cli(*args, home=home, timeout=60)
            check("Traceback" not in run.err, f"traceback: {run}")
            if run.code:
                bench.expect_error(run)
        check((home / "models" / "tiny.sda").is_file() and (home / "models" / "second.sda").is_file(), "a model file was lost")
        return listing.err.strip().splitlines()[0][:100] if listing.err.strip() else "clean"


for _label, _damage in LIBRARY_DAMAGE.items():
    _library_probe(_label, _damage)


@probe("library", "read-only data folder", "DISTILL_HOME on a file system remounted read-only: `models list`, `models search`, `generate` (to a writable --out), then `models rename`, `train`",
       "reads work, writes refused in one sentence")
def read_only_home(bench: Bench) -> None:
    with small_disk(bench.scratch / "disk") as disk:
        home = disk / "home"
        (home / "models").mkdir(parents=True)
        shutil.copy(bench.tiny_file, home / "models" / "tiny.sda")
        bench.expect_ok(bench.cli("models", "list", home=home))
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        check("tiny" in bench.expect_ok(bench.cli("models", "list", home=home)).out, "tiny not listed")
        bench.expect_ok(bench.cli("models", "search", "tiny", home=home))
        bench.expect_refused_unless(bench.cli("generate", "tiny", "--duration", "0.1", "--out", str(bench.scratch / "out"), home=home), harmless=True)
        bench.expect_error(bench.cli("models", "rename", "tiny", "other", home=home))
        bench.expect_error(bench.cli("train", str(bench.sounds), "--name", "ro", "--epochs", "1", *TINY_TRAIN, home=home, timeout=120))
        bench.expect_error(bench.cli("presets", "save", "x", home=home))


@probe("library", "full disk", "DISTILL_HOME on a 16 MB disk filled to the last byte: `models list`, `generate`, `encode`, `train-prior`, then `models delete`",
       "writes refused in one sentence naming the lack of space (or SQLite's disk I/O error); list and delete work", timeout=300)
def full_disk(bench: Bench) -> None:
    with small_disk(bench.scratch / "disk") as disk:
        home = disk / "home"
        (home / "models").mkdir(parents=True)
        shutil.copy(bench.tiny_file, home / "models" / "tiny.sda")
        shutil.copy(bench.tiny_file, home / "models" / "second.sda")
        bench.expect_ok(bench.cli("models", "list", home=home))
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        bench.expect_ok(bench.cli("models", "list", home=home))
        for args in (("generate", "tiny", "--duration", "0.5"), ("encode", "tiny", str(bench.sounds / "kick_1.wav")), ("train-prior", "second", "--epochs", "1", "--restart", *TINY_PRIOR)):
            error = bench.expect_error(bench.cli(*args, home=home, timeout=120)).err.lower()
            check(any(word in error for word in ("space", "full", "i/o")), f"{args[0]}: the error does not say the disk is full: {error.strip()[-200:]}")
        check(bench.cli("models", "list", home=home).code == 0, "list failed on the full disk")
        bench.expect_ok(bench.cli("models", "delete", "second", "--yes", home=home))
        check((home / "models" / "tiny.sda").stat().st_size == bench.tiny_file.stat().st_size, "tiny.sda changed")


@probe("library", "locked library.db (CLI)", "another process holds library.db's write lock while `models rename` runs", "one sentence saying it is busy, after the busy timeout", slow=True)
def locked_cli(bench: Bench) -> None:
    home = bench.fresh_home()
    bench.expect_ok(bench.cli("models", "list", home=home))
    holder = sqlite3.connect(home / "library.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        bench.expect_error(bench.cli("models", "rename", "tiny", "other", home=home, timeout=60), "busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@probe("library", "DISTILL_HOME odd", "DISTILL_HOME is a file; its models folder is a file; it is a path through a file", "one sentence each")
def odd_home(bench: Bench) -> None:
    file_home = bench.scratch / "file"
    file_home.write_text("x")
    bench.expect_error(bench.cli("models", "list", home=file_home))
    bench.expect_error(bench.cli("models", "list", home=file_home / "below"))
    home = bench.scratch / "home2"
    home.mkdir()
    (home / "models").write_text("x")
    bench.expect_error(bench.cli("models", "list", home=home))


@probe("library", "unreadable model file", "a model file the user may not read beside tiny (CLI held to file permissions): `models list`, `models show`, `generate`",
       "tiny listed; the unreadable one skipped or refused in one sentence")
def unreadable_model(bench: Bench) -> None:
    home = bench.fresh_home()
    shutil.copy(bench.tiny_file, home / "models" / "secret.sda")
    (home / "models" / "secret.sda").chmod(0)
    run = bench.expect_ok(bench.cli("models", "list", home=home, unprivileged=True))
    check("tiny" in run.out, "tiny missing")
    bench.expect_error(bench.cli("models", "show", "secret", home=home, unprivileged=True))
    bench.expect_error(bench.cli("generate", "secret", "--duration", "0.1", "--out", str(bench.scratch / "out"), home=home, unprivileged=True))


# -- CLI values -----------------------------------------------------------------------------------------------

CLI_VALUES = {
    "generate": [("--duration", v) for v in ("nan", "inf", "-1", "0", "1e309", "601")] + [("--count", v) for v in ("0", "-1", "1000000000000")]
    + [("--seed", v) for v in ("-1", str(2**80), "x")] + [("--top-k", v) for v in ("-1", str(10**20))] + [("--top-p", v) for v in ("0", "2", "nan")]
    + [("--temperature", v) for v in ("-1", "nan", "inf")] + [("--sample-rate", v) for v in ("0", "-44100", "1000000000")] + [("--stereo-width", v) for v in ("2", "nan", "-1")],
    "train": [("--epochs", v) for v in ("0", "-1", "nan")] + [("--minutes", v) for v in ("nan", "inf", "0", "-5", "1e9")] + [("--codebook-size", v) for v in ("1", str(2**40))]
    + [("--hidden", v) for v in ("0", "300000")] + [("--codebook-dim", v) for v in ("0", "100000")] + [("--commitment-weight", v) for v in ("nan", "-1", "1e9")] + [("--seed", v) for v in ("-1", str(2**80))],
    "train-prior": [("--context", v) for v in ("0", "1000000000", "-1")] + [("--d-model", v) for v in ("0", "100000")] + [("--layers", v) for v in ("0", "1000000")]
    + [("--epochs", v) for v in ("0",)] + [("--minutes", v) for v in ("nan", "-1")],
    "preview": [("--index", v) for v in ("-1", "1000000000")] + [("--level", v) for v in ("99", "-1", "nonsense")] + [("--seconds", v) for v in ("nan", "0", "1e9")],
    "serve": [("--port", v) for v in ("70000", "-1")] + [("--threads", v) for v in ("0", "-3")],
}


def _cli_values_probe(command: str, cases: list[tuple[str, str]]) -> None:
    @probe("cli values", f"{command} with hostile numbers", f"`distill {command}` with {len(cases)} out-of-range values: " + ", ".join(f"{flag} {value}" for flag, value in cases[:6]) + ", ...",
           "each refused in one sentence naming the option, quickly", timeout=900)
    def run(bench: Bench) -> str:
        failures = []
        home = bench.fresh_home()
        for flag, value in cases:
            budget = () if flag in ("--epochs", "--minutes") else ("--epochs", "1")  # one budget flag at a time
            base = {
                "generate": ("generate", "tiny", "--duration", "0.1", "--out", str(bench.scratch / "out")),
                "train": ("train", str(bench.sounds), "--name", "numbers", *TINY_TRAIN, *budget),
                "train-prior": ("train-prior", "tiny", "--restart", *TINY_PRIOR, *budget),
                "preview": ("preview", "tiny", "--level", "0", "--index", "0", "--out", str(bench.scratch / "p.wav")),
                "serve": ("serve", "--audio-device", "none", "--port", "0"),
            }[command]
            try:
                result = bench.cli(*base, f"{flag}={value}", home=home, timeout=60)
                bench.expect_error(result, flag.lstrip("-").split("-")[0])
                check(result.seconds < 40, f"refused only after {result.seconds:.0f} s")
            except Failed as failure:
                failures.append(f"{flag} {value}: {failure}")
        check(not failures, "; ".join(failures))
        return f"{len(cases)} values"


for _command, _cases in CLI_VALUES.items():
    _cli_values_probe(_command, _cases)


# -- races and kills --------------------------------------------------------------------------------------------


def _model_names(home: Path) -> set[str]:
    return {path.stem for path in (home / "models").glob("*.sda")}


def _stray_temporaries(home: Path) -> list[str]:
    return [str(path.relative_to(home)) for path in home.rglob(".*") if path.is_file()]


@probe("races", "two trainings of one name", "two `distill train --name dup` at once", "both end without a traceback, and every run that says it saved a model has its own model file (none replaced)", slow=True, timeout=600)
def concurrent_trains(bench: Bench) -> str:
    home = bench.fresh_home(with_tiny=False)
    runs = [bench.start_cli("train", str(bench.sounds), "--name", "dup", "--epochs", "2", *TINY_TRAIN, home=home) for _ in range(2)]
    results = [process.communicate(timeout=500) + (process.returncode,) for process in runs]
    saved = [re.search(r"saved '([^']+)'", out) for out, err, code in results]
    for out, err, code in results:
        check("Traceback" not in err, f"traceback: {err[-500:]}")
    names = {found.group(1) for found in saved if found}
    check(len(names) == sum(1 for found in saved if found), f"two runs saved over one name: {names}")
    check(names <= _model_names(home), f"saved models missing: {names - _model_names(home)}")
    return f"saved {sorted(names)}; exit {[code for *_, code in results]}"


@probe("races", "import while training", "`distill train --name imp` runs; meanwhile tiny (with prior) is imported as imp", "when training ends, imp still has its prior; the training saved elsewhere or refused in one sentence", slow=True, timeout=600)
def import_while_training(bench: Bench) -> str:
    home = bench.fresh_home(with_tiny=False)
    training = bench.start_cli("train", str(bench.sounds), "--name", "imp", "--epochs", "3", *TINY_TRAIN, home=home)
    time.sleep(3)
    bench.expect_ok(bench.cli("models", "import", str(bench.tiny_file), "--name", "imp", home=home))
    out, err, = training.communicate(timeout=500)
    check("Traceback" not in err, f"traceback: {err[-500:]}")
    check(read_model_metadata(home / "models" / "imp.sda").get("prior"), "the imported model lost its prior")
    return f"training exit {training.returncode}: {(out + err).strip().splitlines()[-1][:100]}"


@probe("races", "train --resume after train-prior", "train t1, train-prior t1, then `train --name t1 --resume`", "t1 keeps its prior (generate works)", slow=True, timeout=600)
def resume_keeps_prior(bench: Bench) -> None:
    home = bench.fresh_home(with_tiny=False)
    bench.expect_ok(bench.cli("train", str(bench.sounds), "--name", "t1", "--epochs", "2", *TINY_TRAIN, home=home, timeout=300))
    bench.expect_ok(bench.cli("train-prior", "t1", "--epochs", "1", *TINY_PRIOR, home=home, timeout=300))
    run = bench.cli("train", str(bench.sounds), "--name", "t1", "--resume", "--epochs", "2", *TINY_TRAIN, home=home, timeout=300)
    check("Traceback" not in run.err, f"traceback: {run}")
    bench.expect_ok(bench.cli("generate", "t1", "--duration", "0.1", "--out", str(bench.scratch / "out"), home=home))


def _wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@probe("races", "kill -9 during training, then resume", "kills `distill train` with SIGKILL once its first checkpoint exists, then `train --resume`", "the resume finishes and saves; no temporary files are left", slow=True, timeout=600)
def kill_and_resume(bench: Bench) -> str:
    home = bench.fresh_home(with_tiny=False)
    training = bench.start_cli("train", str(bench.sounds), "--name", "k9", "--epochs", "6", *TINY_TRAIN, home=home)
    reached = _wait_for(lambda: (home / "checkpoints" / "k9" / "checkpoint.pt").exists(), 300)
    training.kill()
    training.communicate()
    check(reached, "no checkpoint appeared")
    bench.expect_ok(bench.cli("train", str(bench.sounds), "--name", "k9", "--resume", "--epochs", "6", *TINY_TRAIN, home=home, timeout=400))
    check("k9" in _model_names(home), "k9 not saved")
    check(not _stray_temporaries(home), f"temporaries left: {_stray_temporaries(home)}")
    return "resumed"


@probe("races", "kill -9 mid-checkpoint write", "kills `distill train` with SIGKILL the moment a temporary file appears after its first checkpoint (a later checkpoint being written), then `train --resume`",
       "the resume finishes; the temporary is cleaned up", slow=True, timeout=600)
def kill_mid_write(bench: Bench) -> str:
    home = bench.fresh_home(with_tiny=False)
    training = bench.start_cli("train", str(bench.sounds), "--name", "k9w", "--epochs", "6", *TINY_TRAIN, home=home)
    check(_wait_for(lambda: (home / "checkpoints" / "k9w" / "checkpoint.pt").exists(), 300), "no checkpoint appeared")
    caught = _wait_for(lambda: bool(_stray_temporaries(home)), 300, interval=0.001)
    training.kill()
    training.communicate()
    left = _stray_temporaries(home)
    bench.expect_ok(bench.cli("train", str(bench.sounds), "--name", "k9w", "--resume", "--epochs", "6", *TINY_TRAIN, home=home, timeout=400))
    check(not _stray_temporaries(home), f"temporaries left after the resume: {_stray_temporaries(home)}")
    return f"killed with {left} on disk" if caught else "no temporary was caught (killed after the run)"


@probe("races", "rename during prior training", "`distill train-prior pr` runs; meanwhile pr is renamed pr2", "the prior is not lost: pr2 (or a free name) has it, or the run refuses in one sentence keeping it", slow=True, timeout=600)
def rename_during_prior(bench: Bench) -> str:
    home = bench.fresh_home(with_tiny=False)
    shutil.copy(bench.no_prior_file, home / "models" / "pr.sda")
    training = bench.start_cli("train-prior", "pr", "--epochs", "6", *TINY_PRIOR, home=home)
    time.sleep(4)
    bench.expect_ok(bench.cli("models", "rename", "pr", "pr2", home=home))
    out, err = training.communicate(timeout=400)
    check("Traceback" not in err, f"traceback: {err[-500:]}")
    with_prior = [name for name in _model_names(home) if read_model_metadata(home / "models" / f"{name}.sda").get("prior")]
    check(with_prior, f"no model has the prior (exit {training.returncode}: {err.strip()[-200:]})")
    return f"prior in {with_prior}"


@probe("races", "delete during generation (OSC)", "a copy of tiny is loaded and generates 5 s; meanwhile it is deleted and renamed over OSC", "the generation ends or fails in one sentence; the engine keeps serving", slow=True)
def delete_during_generation(bench: Bench) -> None:
    shutil.copy(bench.tiny_file, bench.home / "models" / "victim.sda")
    client = bench.client()
    try:
        client.request("/distill/model/load", "victim", reply="/distill/model/loaded", timeout=60)
        client.send("/distill/generate", 5.0)
        _sent(bench, message("/distill/model/rename", "victim", "victim2"))
        _sent(bench, message("/distill/model/delete", "victim2"))
        address, values = client.receive(120)
        if address == "/distill/error":
            check_sentence(values[1])
    finally:
        client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=60)
        client.close()


@probe("races", "concurrent library writers", "8 processes at once: rename a<->b, tag, describe and import on one data folder", "each ends ok or refused in one sentence; no model file is lost or half-written", slow=True, timeout=300)
def concurrent_writers(bench: Bench) -> None:
    home = bench.fresh_home()
    shutil.copy(bench.tiny_file, home / "models" / "a.sda")
    commands = [("models", "rename", "a", "b"), ("models", "rename", "b", "a"), ("models", "tag", "a", "x"), ("models", "tag", "b", "y"),
                ("models", "describe", "tiny", "words"), ("models", "import", str(bench.tiny_file), "--name", "c"), ("models", "import", str(bench.tiny_file), "--name", "c"), ("models", "delete", "c", "--yes")]
    processes = [bench.start_cli(*command, home=home) for command in commands]
    for command, process in zip(commands, processes):
        out, err = process.communicate(timeout=120)
        check("Traceback" not in err, f"{' '.join(command)}: traceback {err[-300:]}")
    names = _model_names(home)
    check("tiny" in names and ({"a", "b"} & names), f"a model was lost: {names}")
    for name in names:
        read_model_file(home / "models" / f"{name}.sda")


@probe("races", "SIGTERM and SIGINT to serve mid-generation", "a second `distill serve` starts a 5 s generation and gets SIGTERM (then another SIGINT)", "it exits within 30 s with status 0, no traceback, no temporary file left", slow=True, timeout=300)
def serve_signals(bench: Bench) -> str:
    notes = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        home = bench.fresh_home(f"serve-{signum}")
        log: list[str] = []
        process, port = bench.spawn_serve(home, log, "--model", "tiny")
        client = bench.client(port)
        try:
            client.send("/distill/generate", 5.0)
            time.sleep(1.0)
            process.send_signal(signum)
            try:
                code = process.wait(30)
            except subprocess.TimeoutExpired:
                raise Failed(f"serve did not stop within 30 s of {signal.Signals(signum).name}") from None
        finally:
            client.close()
        time.sleep(0.2)
        text = "".join(log)
        check(code == 0 and "Traceback" not in text, f"{signal.Signals(signum).name}: exit {code}: {text[-400:]}")
        check(not _stray_temporaries(home), f"temporaries left: {_stray_temporaries(home)}")
        notes.append(f"{signal.Signals(signum).name} -> {code}")
    return ", ".join(notes)


@probe("races", "two serves on one port", "starts `distill serve --port P` where the probes' engine already listens", "one sentence saying the port is taken")
def port_taken(bench: Bench) -> None:
    bench.expect_error(bench.cli("serve", "--port", str(bench.port), "--audio-device", "none", timeout=60), str(bench.port))


# -- the runner ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    probe: Probe
    outcome: str  # "pass", "FAIL" or "skip"
    detail: str
    seconds: float


def release_fifos(folder: Path) -> None:
    """Open every named pipe under `folder` for writing and close it: a reader stuck on one gets end of file."""
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_fifo():
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def snapshot(bench: Bench) -> set[str]:
    """Every path under the probes' root except DISTILL_HOME and the running probe's scratch folder, and the checkout's changes."""
    paths = set()
    for folder, dirs, files in os.walk(bench.root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d not in (bench.home, bench.scratch)]
        paths.update(str(here / name) for name in dirs + files)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True).stdout
    paths.update(f"checkout: {line}" for line in status.splitlines())
    return paths


def after_checks(bench: Bench, before: set[str], log_start: int) -> None:
    """The conditions every probe shares (see the module docstring)."""
    if bench.serve.poll() is not None:
        raise Failed(f"distill serve died (exit {bench.serve.returncode})")
    bench.ping()
    new_log = "".join(bench.serve_log[log_start:])
    check("Traceback" not in new_log, f"the engine logged a traceback: {new_log[new_log.find('Traceback') - 300:][:900]}")
    stray = sorted(snapshot(bench) - before)
    check(not stray, f"written outside DISTILL_HOME and scratch: {stray[:5]}")
    check(read_model_metadata(bench.home / "models" / "tiny.sda").get("prior"), "the library's tiny lost its prior")


def run_probe(bench: Bench, item: Probe, number: int) -> Result:
    bench.scratch = bench.root / "scratch" / f"{number:03d}"
    bench.scratch.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chmod(bench.root / "scratch", 0o755)
    before = snapshot(bench)
    log_start = len(bench.serve_log)
    started = time.monotonic()
    outcome: list[Result] = []

    def target() -> None:
        try:
            note = item.run(bench)
            after_checks(bench, before, log_start)
            outcome.append(Result(item, "pass", str(note or ""), 0))
        except Skipped as skip:
            outcome.append(Result(item, "skip", str(skip), 0))
        except Failed as failure:
            outcome.append(Result(item, "FAIL", str(failure), 0))
        except Exception as error:  # noqa: BLE001 - a bug of the probe itself is reported, and the run goes on
            frame = traceback.extract_tb(error.__traceback__)[-1]
            outcome.append(Result(item, "FAIL", f"the probe itself failed: {type(error).__name__}: {error} (line {frame.lineno}: {frame.line})", 0))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(item.timeout)
    seconds = time.monotonic() - started
    release_fifos(bench.scratch)
    if not outcome:
        return Result(item, "FAIL", f"the probe did not end within {item.timeout:g} s", seconds)
    result = outcome[0]
    result.seconds = seconds
    if bench.serve.poll() is not None:
        print("  (distill serve died; restarting it)", file=sys.stderr)
        bench.start_serve()
    return result


def markdown(results: list[Result], args: argparse.Namespace, started: datetime, seconds: float) -> str:
    categories: dict[str, list[Result]] = {}
    for result in results:
        categories.setdefault(result.probe.category, []).append(result)
    lines = [
        f"Command: `.venv/bin/python bench/probes.py{' --quick' if args.quick else ''}{f' --only {args.only!r}' if args.only else ''}`, "
        f"{started:%Y-%m-%d %H:%M}, {platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}, {seconds / 60:.1f} min.",
        "",
        "| category | tried | passed | failed | skipped |",
        "|---|---|---|---|---|",
    ]
    for category, items in categories.items():
        counts = {outcome: sum(r.outcome == outcome for r in items) for outcome in ("pass", "FAIL", "skip")}
        lines.append(f"| {category} | {len(items) - counts['skip']} | {counts['pass']} | {counts['FAIL']} | {counts['skip']} |")
    tried = [r for r in results if r.outcome != "skip"]
    lines.append(f"| **all** | {len(tried)} | {sum(r.outcome == 'pass' for r in tried)} | {sum(r.outcome == 'FAIL' for r in tried)} | {len(results) - len(tried)} |")
    failed = [r for r in results if r.outcome == "FAIL"]
    if failed:
        lines += ["", "Failed:", ""] + [f"- **{r.probe.category} / {r.probe.name}**: {r.detail.splitlines()[0] if r.detail else ''}"[:700] for r in failed]
    skipped = [r for r in results if r.outcome == "skip"]
    if skipped:
        lines += ["", "Skipped: " + "; ".join(f"{r.probe.name} ({r.detail})" for r in skipped)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="leave out the slow probes (trainings, kills, races, lock waits)")
    parser.add_argument("--only", metavar="TEXT", help="run only the probes whose name or category contains TEXT (several: A|B)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the Markdown summary to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away folder (its path is printed)")
    parser.add_argument("--list", action="store_true", help="list the probes and exit")
    args = parser.parse_args()
    wanted = [text.lower() for text in args.only.split("|")] if args.only else [""]
    chosen = [p for p in PROBES if not (args.quick and p.slow) and any(text in f"{p.category} {p.name}".lower() for text in wanted)]
    if args.list:
        for item in chosen:
            print(f"{item.category:14} {item.name}{' (slow)' if item.slow else ''}\n{'':14} does: {item.does}\n{'':14} passes: {item.passes}")
        return 0
    started, clock = datetime.now(), time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="distill-probes-"))
    os.chmod(root, 0o755)
    bench = Bench(root / "run")
    bench.root.mkdir()
    print(f"probing in {root} ({len(chosen)} probes)", file=sys.stderr)
    results: list[Result] = []
    try:
        bench.prepare()
        for number, item in enumerate(chosen, 1):
            result = run_probe(bench, item, number)
            results.append(result)
            print(f"{result.outcome:4} {result.seconds:6.1f}s  {item.category:14} {item.name[:60]:60} {result.detail.splitlines()[0][:140] if result.detail else ''}", flush=True)
    finally:
        bench.close()
        if not args.keep:
            for mount in Path("/proc/mounts").read_text().splitlines() if Path("/proc/mounts").exists() else []:
                if str(root) in mount:
                    subprocess.run(["umount", "-l", mount.split()[1]], capture_output=True)
            for folder, dirs, _ in os.walk(root):
                for d in dirs:
                    with contextlib.suppress(OSError):
                        os.chmod(os.path.join(folder, d), 0o755)
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}", file=sys.stderr)
    summary = markdown(results, args, started, time.monotonic() - clock)
    print("\n" + summary)
    if args.markdown:
        args.markdown.write_text(summary)
    return 0 if all(r.outcome != "FAIL" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
