"""A real JACK server with its dummy backend (no sound card) and a recording client, for playback tests.

`jackd -d dummy` paces process cycles like hardware does, PortAudio (so sounddevice, so `AudioOut`) sees it
as the device "system", and `Recorder`, a second JACK client (python JACK-Client), records whatever is
connected to its two inputs. The server runs in synchronous mode (`--sync`): each cycle waits for every
client, so what the recorder gets in a cycle is what the engine wrote in that cycle (in JACK2's default
asynchronous mode, a client late under load leaves its previous block, and recordings repeat or drop blocks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest

RATE, PERIOD = 48000, 128
SERVER = f"distill-test-{os.getpid()}"


@contextmanager
def jack_server():
    """Start a private dummy JACK server, point PortAudio at it, and stop it afterwards (skip without jackd)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian: jackd2); .ci/run installs it")
    import jack
    import sounddevice as sd

    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    process = subprocess.Popen(
        ["jackd", "--no-realtime", "--sync", "-n", SERVER, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                jack.Client("distill-probe", no_start_server=True, servername=SERVER).close()
                break
            except jack.JackOpenError:
                assert time.monotonic() < deadline and process.poll() is None, "jackd did not start"
                time.sleep(0.05)
        sd._terminate()  # PortAudio lists devices once, when initialised: let it find the new server
        sd._initialize()
        yield
    finally:
        sd._terminate()  # before the server goes: PortAudio aborts the process if its server vanishes first
        process.terminate()
        process.wait(10)
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        sd._initialize()


class Recorder:
    """A JACK client that records two inputs; `connect_from(client)` wires another client's outputs to them.

    Positions are counted in recorded samples after a mark (`blocks_recorded`), never on JACK's frame clock:
    on a loaded machine cycles are skipped (the clock jumps) and blocks arrive late, stamped before "now".
    A block recorded after the mark was made after it, so a sound started after the mark is all there.
    """

    def __init__(self):
        import jack

        self.client = jack.Client("distill-recorder", no_start_server=True, servername=SERVER)
        self.inputs = [self.client.inports.register(f"in_{i}") for i in range(2)]
        self.blocks: list[np.ndarray] = []  # [frames, 2] each, in the order recorded
        self.lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        block = np.stack([port.get_array() for port in self.inputs], axis=1).copy()  # [frames, 2]
        with self.lock:
            self.blocks.append(block)

    def connect_from(self, client_name: str) -> None:
        """Connect every audio output port of `client_name` to the inputs, in order."""
        outputs = self.client.get_ports(f"{client_name}:.*", is_audio=True, is_output=True)
        assert outputs, f"no output ports of {client_name}: {[p.name for p in self.client.get_ports()]}"
        for source, target in zip(outputs, self.inputs):
            self.client.connect(source, target)

    @property
    def blocks_recorded(self) -> int:
        """How many blocks are recorded so far: a mark for `after`."""
        with self.lock:
            return len(self.blocks)

    def after(self, mark: int) -> np.ndarray:
        """The samples [N, 2] of the blocks recorded after `mark`, back to back."""
        with self.lock:
            blocks = self.blocks[mark:]
        return np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=np.float32)

    def wait_after(self, mark: int, frames: int, timeout: float = 30) -> np.ndarray:
        """The samples after `mark` once there are at least `frames` of them."""
        deadline = time.monotonic() + timeout
        while len(samples := self.after(mark)) < frames:
            assert time.monotonic() < deadline, f"JACK did not record {frames} frames"
            time.sleep(0.01)
        return samples

    def first_sound(self, mark: int, threshold: float = 1e-4, timeout: float = 60) -> int:
        """The index, in the samples after `mark`, where the recording first exceeds `threshold`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            loud = np.flatnonzero(np.abs(self.after(mark)).max(axis=1) > threshold)
            if loud.size:
                return int(loud[0])
            time.sleep(0.01)
        raise AssertionError("no sound reached the recorder")

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
